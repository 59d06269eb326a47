package org.securep2p.app.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.securep2p.app.doctor.DoctorReport.Check;
import org.securep2p.app.doctor.DoctorReport.Verdict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class VerdictsTest {

    static final Check KEYS = Check.pass("keys", "fine");
    static final Check HOME = Check.pass("home", "fine");
    static final Check IPV6 = Check.fail("ipv6", "none");
    static final Check CLOCK = Check.pass("clock", "fine");

    static Facts.Stun answered(String server, String mapped) {
        return new Facts.Stun(server, Optional.of(mapped), Optional.of("192.0.2.2:3479"), "");
    }

    static Facts.Network network(boolean relayNeeded, Optional<Boolean> answerNeeded) {
        return new Facts.Network(List.of(answered("192.0.2.1:3478", "198.51.100.7:40000")), true,
                "X/Y", true, relayNeeded, answerNeeded, "advice");
    }

    static Facts.Network silent() {
        return new Facts.Network(List.of(new Facts.Stun("192.0.2.1:3478", Optional.empty(), Optional.empty(),
                "no answer within 5 s")), false, "UNREACHABLE", false, false, Optional.empty(), "no answer");
    }

    static Facts.Turn turnAllocated() {
        return new Facts.Turn("192.0.2.1:3478", true, true, Optional.of("192.0.2.1:50000"), "");
    }

    static Facts.Turn turnRefused() {
        return new Facts.Turn("192.0.2.1:3478", true, true, Optional.empty(), "no allocation");
    }

    static Facts.Turn turnSilent() {
        return new Facts.Turn("192.0.2.1:3478", true, false, Optional.empty(), "no answer within 5 s");
    }

    static Facts facts(Facts.Network n, List<Facts.Turn> turns, List<Facts.Relay> relays) {
        return new Facts(KEYS, HOME, n, turns, relays, IPV6, CLOCK);
    }

    static Check check(DoctorReport r, String name) {
        return r.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void publicAddressWithoutFilteringNeedsOneCode() {
        DoctorReport r = Verdicts.report(facts(network(false, Optional.of(false)), List.of(), List.of()));
        assertEquals(Verdict.DIRECT, r.verdict());
        assertEquals(Verdicts.DIRECT, r.advice().get(0));
        assertTrue(check(r, "udp").ok());
        assertTrue(check(r, "nat").ok());
        assertTrue(check(r, "stun:192.0.2.1:3478").sentence().contains("198.51.100.7:40000"));
    }

    @Test
    void filteringNatAsksForAnAnswerCode() {
        DoctorReport r = Verdicts.report(facts(network(false, Optional.of(true)), List.of(), List.of()));
        assertEquals(Verdict.ANSWER_CODE, r.verdict());
        assertEquals(List.of(Verdicts.ANSWER_CODE), r.advice());
    }

    @Test
    void symmetricNatWithoutTurnSaysConfigureOne() {
        DoctorReport r = Verdicts.report(facts(network(true, Optional.of(true)), List.of(), List.of()));
        assertEquals(Verdict.NEEDS_TURN, r.verdict());
        assertEquals(List.of(Verdicts.NEEDS_TURN), r.advice());
        assertFalse(check(r, "nat").ok());
    }

    @Test
    void symmetricNatWithRefusedTurnSaysConfigureOneAndCheckIt() {
        DoctorReport r = Verdicts.report(facts(network(true, Optional.empty()), List.of(turnRefused()),
                List.of(new Facts.Relay("192.0.2.9:443", true, "reached"))));
        assertEquals(Verdict.NEEDS_TURN, r.verdict());
        assertEquals(Verdicts.NEEDS_TURN, r.advice().get(0));
        assertEquals(Verdicts.RELAY_MEANWHILE, r.advice().get(1));
        assertTrue(r.advice().get(2).startsWith("Check the TURN server 192.0.2.1:3478"), r.advice().get(2));
        assertFalse(check(r, "turn:192.0.2.1:3478").ok());
        assertTrue(check(r, "turn:192.0.2.1:3478").sentence().contains("allocated no relay"));
    }

    @Test
    void symmetricNatWithAllocatingTurnGoesThroughIt() {
        DoctorReport r = Verdicts.report(facts(network(true, Optional.of(true)), List.of(turnAllocated()),
                List.of()));
        assertEquals(Verdict.TURN, r.verdict());
        assertEquals(List.of(Verdicts.TURN), r.advice());
        Check turn = check(r, "turn:192.0.2.1:3478");
        assertTrue(turn.ok());
        assertEquals("192.0.2.1:50000", turn.details().get("relayed"));
    }

    @Test
    void noUdpAnswerAnywhereSaysUseARelay() {
        DoctorReport r = Verdicts.report(facts(silent(), List.of(turnSilent()), List.of()));
        assertEquals(Verdict.UDP_BLOCKED, r.verdict());
        assertEquals(List.of(Verdicts.UDP_BLOCKED), r.advice());
        assertFalse(check(r, "udp").ok());
        assertFalse(check(r, "nat").ok());
        assertFalse(check(r, "stun:192.0.2.1:3478").ok());
    }

    @Test
    void noUdpButAWorkingRelaySaysTheRelayCarriesMessages() {
        DoctorReport r = Verdicts.report(facts(silent(), List.of(),
                List.of(new Facts.Relay("192.0.2.9:443", true, "reached"))));
        assertEquals(Verdict.UDP_BLOCKED, r.verdict());
        assertEquals(List.of(Verdicts.UDP_BLOCKED_WITH_RELAY), r.advice());
    }

    @Test
    void stunSilentButTurnAnsweringIsNotABlockedNetwork() {
        DoctorReport r = Verdicts.report(facts(silent(), List.of(turnRefused()), List.of()));
        assertEquals(Verdict.UNKNOWN, r.verdict());
        assertTrue(check(r, "udp").ok());
        assertEquals(Verdicts.UNKNOWN, r.advice().get(0));
    }

    @Test
    void stunSilentButTurnAllocatingGoesThroughTurn() {
        DoctorReport r = Verdicts.report(facts(silent(), List.of(turnAllocated()), List.of()));
        assertEquals(Verdict.TURN, r.verdict());
    }

    @Test
    void unmeasuredFilteringIsUnknown() {
        DoctorReport r = Verdicts.report(facts(network(false, Optional.empty()), List.of(), List.of()));
        assertEquals(Verdict.UNKNOWN, r.verdict());
        assertEquals(List.of(Verdicts.UNKNOWN), r.advice());
    }

    @Test
    void noStunServerConfiguredSaysConfigureOne() {
        Facts.Network none = new Facts.Network(List.of(), false, "UNREACHABLE", false, false, Optional.empty(), "");
        DoctorReport r = Verdicts.report(facts(none, List.of(), List.of()));
        assertEquals(Verdict.UNKNOWN, r.verdict());
        assertEquals(List.of(Verdicts.NO_STUN), r.advice());
        assertFalse(check(r, "stun").ok());
        assertFalse(check(r, "udp").ok());
    }

    @Test
    void turnWithoutCredentialsIsAFailedCheck() {
        DoctorReport r = Verdicts.report(facts(network(false, Optional.of(false)),
                List.of(new Facts.Turn("192.0.2.1:3478", false, false, Optional.empty(), "")), List.of()));
        assertFalse(check(r, "turn:192.0.2.1:3478").ok());
        assertTrue(check(r, "turn:192.0.2.1:3478").sentence().contains("username and password"));
    }

    @Test
    void failedKeysHomeRelayAndClockEachAddAdvice() {
        Facts f = new Facts(Check.fail("keys", "The keyring is locked."), Check.fail("home", "/h has mode rwxrwxrwx."),
                network(false, Optional.of(false)), List.of(),
                List.of(new Facts.Relay("192.0.2.9:443", false, "Not reached: the certificate does not match.")),
                IPV6, Check.fail("clock", "Your clock says 1999."));
        DoctorReport r = Verdicts.report(f);
        assertEquals(Verdict.DIRECT, r.verdict());
        assertEquals(5, r.advice().size(), "" + r.advice());
        assertTrue(r.advice().get(1).contains("The keyring is locked."));
        assertTrue(r.advice().get(2).contains("rwxrwxrwx"));
        assertTrue(r.advice().get(3).contains("192.0.2.9:443") && r.advice().get(3).contains("does not match"));
        assertEquals(Verdicts.CLOCK, r.advice().get(4));
        assertFalse(r.ok());
    }

    @Test
    void jsonHasTheDocumentedShape() throws Exception {
        DoctorReport r = Verdicts.report(facts(network(true, Optional.of(true)), List.of(turnAllocated()),
                List.of()));
        JsonNode j = new ObjectMapper().readTree(r.json());
        assertEquals(List.of("ok", "verdict", "checks", "advice"), iterable(j.fieldNames()));
        assertEquals("TURN", j.get("verdict").asText());
        assertEquals(r.ok(), j.get("ok").asBoolean());
        assertEquals(r.checks().size(), j.get("checks").size());
        JsonNode first = j.get("checks").get(0);
        assertEquals(List.of("name", "ok", "sentence", "details"), iterable(first.fieldNames()));
        JsonNode turn = j.get("checks").get(5);
        assertEquals("turn:192.0.2.1:3478", turn.get("name").asText());
        assertEquals("192.0.2.1:50000", turn.get("details").get("relayed").asText());
        assertEquals(r.advice().get(0), j.get("advice").get(0).asText());
    }

    @Test
    void textHasOneMarkedLinePerCheckThenTheAdvice() {
        DoctorReport r = Verdicts.report(facts(network(false, Optional.of(true)), List.of(), List.of()));
        List<String> lines = r.text().lines().toList();
        for (int i = 0; i < r.checks().size(); i++) {
            Check c = r.checks().get(i);
            assertEquals((c.ok() ? "✔ " : "✗ ") + c.name() + ": " + c.sentence(), lines.get(i));
        }
        assertEquals("What to do:", lines.get(r.checks().size()));
        assertEquals("  - " + Verdicts.ANSWER_CODE, lines.get(r.checks().size() + 1));
    }

    @Test
    void detailsCannotBeChangedAfterwards() {
        java.util.Map<String, String> d = new java.util.HashMap<>(Map.of("a", "b"));
        Check c = new Check("x", true, "s", d);
        d.put("c", "d");
        assertEquals(Map.of("a", "b"), c.details());
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
