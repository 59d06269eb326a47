package org.securep2p.app.doctor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.securep2p.app.doctor.DoctorReport.Check;
import org.securep2p.app.doctor.DoctorReport.Verdict;

/**
 * The doctor's judgement as a pure function of what the probes found: the network checks' ✔/✗ and sentences,
 * the verdict, and the advice. No I/O, so every advice path is tested without a network.
 */
final class Verdicts {

    static final String DIRECT = "One connection code is enough: share yours, or paste your peer's.";
    static final String ANSWER_CODE = "Ask your peer for an answer code: your network only lets in packets from"
            + " addresses you have sent to, so whoever connects must send theirs back.";
    static final String TURN = "Connections will go through your TURN server: your NAT gives each destination its"
            + " own port, so a direct connection cannot work.";
    static final String NEEDS_TURN = "Configure a TURN server (--turn with --turn-user and --turn-password-file, or"
            + " turn.servers in securep2p.conf): your NAT gives each destination its own port, so only a relayed"
            + " connection can work.";
    static final String UDP_BLOCKED = "Your network blocks UDP: use a relay (--relay) for your messages; direct and"
            + " TURN connections cannot work from here.";
    static final String UDP_BLOCKED_WITH_RELAY = "Your network blocks UDP: your relay still carries your messages;"
            + " direct and TURN connections cannot work from here.";
    static final String NO_STUN = "Configure a STUN server (--stun, or stun.servers in securep2p.conf): without one"
            + " neither you nor the doctor can learn your public address.";
    static final String UNKNOWN = "Your NAT could not be measured: if a connection fails, ask your peer for an"
            + " answer code; if it still fails, configure a TURN server.";
    static final String RELAY_MEANWHILE = "Meanwhile your relay still carries messages to contacts who are offline.";
    static final String CLOCK = "Set this computer's clock (turn on time synchronisation): certificates and"
            + " revocation lists are checked against it.";

    private Verdicts() {
    }

    static DoctorReport report(Facts f) {
        List<Check> checks = new ArrayList<>();
        checks.add(f.keys());
        checks.add(f.home());
        checks.addAll(stunChecks(f.network()));
        checks.add(natCheck(f.network()));
        checks.add(udpCheck(f));
        f.turns().forEach(t -> checks.add(turnCheck(t)));
        f.relays().forEach(r -> checks.add(new Check("relay:" + r.address(), r.ok(), r.sentence(), Map.of())));
        checks.add(f.ipv6());
        checks.add(f.clock());
        Verdict verdict = verdict(f);
        return new DoctorReport(checks, verdict, advice(f, verdict));
    }

    static Verdict verdict(Facts f) {
        boolean turnAllocated = f.turns().stream().anyMatch(t -> t.relayed().isPresent());
        boolean turnAnswered = f.turns().stream().anyMatch(Facts.Turn::reachable);
        Facts.Network n = f.network();
        if (!n.reachable()) {
            if (turnAllocated) {
                return Verdict.TURN;
            }
            boolean askedAnyone = !n.servers().isEmpty() || !f.turns().isEmpty();
            return askedAnyone && !turnAnswered ? Verdict.UDP_BLOCKED : Verdict.UNKNOWN;
        }
        if (n.relayNeeded()) {
            return turnAllocated ? Verdict.TURN : Verdict.NEEDS_TURN;
        }
        return n.answerNeeded().map(needed -> needed ? Verdict.ANSWER_CODE : Verdict.DIRECT).orElse(Verdict.UNKNOWN);
    }

    private static List<String> advice(Facts f, Verdict verdict) {
        List<String> out = new ArrayList<>();
        boolean relayWorks = f.relays().stream().anyMatch(Facts.Relay::ok);
        switch (verdict) {
            case DIRECT -> out.add(DIRECT);
            case ANSWER_CODE -> out.add(ANSWER_CODE);
            case TURN -> out.add(TURN);
            case NEEDS_TURN -> {
                out.add(NEEDS_TURN);
                if (relayWorks) {
                    out.add(RELAY_MEANWHILE);
                }
            }
            case UDP_BLOCKED -> out.add(relayWorks ? UDP_BLOCKED_WITH_RELAY : UDP_BLOCKED);
            default -> out.add(f.network().servers().isEmpty() ? NO_STUN : UNKNOWN);
        }
        if (!f.keys().ok()) {
            out.add("Key protection: " + f.keys().sentence());
        }
        if (!f.home().ok()) {
            out.add("Make the home private (chmod 700 on each folder named above): " + f.home().sentence());
        }
        for (Facts.Turn t : f.turns()) {
            if (t.relayed().isEmpty() && verdict != Verdict.UDP_BLOCKED) {
                out.add("Check the TURN server " + t.server() + " (its address, --turn-user and the password file): "
                        + turnCheck(t).sentence());
            }
        }
        for (Facts.Relay r : f.relays()) {
            if (!r.ok()) {
                out.add("Check the relay " + r.address() + " (the address as the relay printed it, with its"
                        + " fingerprint): " + r.sentence());
            }
        }
        if (!f.clock().ok()) {
            out.add(CLOCK);
        }
        return out;
    }

    private static List<Check> stunChecks(Facts.Network n) {
        if (n.servers().isEmpty()) {
            return List.of(Check.fail("stun", "No STUN server is configured."));
        }
        List<Check> out = new ArrayList<>();
        for (Facts.Stun s : n.servers()) {
            Map<String, String> d = new LinkedHashMap<>();
            s.mapped().ifPresent(m -> d.put("mapped", m));
            s.other().ifPresent(o -> d.put("other", o));
            if (s.mapped().isPresent()) {
                out.add(new Check("stun:" + s.server(), true, "Answered: it sees you at " + s.mapped().get()
                        + (s.other().isPresent() ? "; it offers RFC 5780 NAT tests." : "."), d));
            } else {
                d.put("failure", s.failure());
                out.add(new Check("stun:" + s.server(), false, "No answer: " + s.failure() + ".", d));
            }
        }
        return out;
    }

    private static Check natCheck(Facts.Network n) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("behaviour", n.nat());
        d.put("measured", Boolean.toString(n.measured()));
        n.answerNeeded().ifPresent(a -> d.put("answer_needed", a.toString()));
        if (!n.reachable()) {
            return new Check("nat", false, "Not measured: no STUN server answered.", d);
        }
        return new Check("nat", !n.relayNeeded(), n.advice(), d);
    }

    private static Check udpCheck(Facts f) {
        Facts.Network n = f.network();
        long answered = n.servers().stream().filter(s -> s.mapped().isPresent()).count();
        Map<String, String> d = Map.of("stun_answers", Long.toString(answered),
                "turn_answers", Long.toString(f.turns().stream().filter(Facts.Turn::reachable).count()));
        if (answered > 0) {
            return new Check("udp", true, "UDP gets out: " + answered + " of " + n.servers().size()
                    + " STUN servers answered.", d);
        }
        if (f.turns().stream().anyMatch(Facts.Turn::reachable)) {
            return new Check("udp", true, "UDP gets out: a TURN server answered.", d);
        }
        if (n.servers().isEmpty() && f.turns().isEmpty()) {
            return new Check("udp", false, "Not checked: no STUN or TURN server is configured.", d);
        }
        return new Check("udp", false, "No UDP answer from any STUN or TURN server: your network blocks UDP, or"
                + " every server is down.", d);
    }

    private static Check turnCheck(Facts.Turn t) {
        Map<String, String> d = new LinkedHashMap<>();
        t.relayed().ifPresent(r -> d.put("relayed", r));
        String name = "turn:" + t.server();
        if (!t.credentials()) {
            return new Check(name, false, "No TURN username and password are configured.", d);
        }
        if (!t.reachable()) {
            return new Check(name, false, "No answer over UDP: " + t.problem() + ".", d);
        }
        if (t.relayed().isPresent()) {
            return new Check(name, true, "Credentials accepted: it allocated a relay at " + t.relayed().get() + ".",
                    d);
        }
        return new Check(name, false, "It answers but allocated no relay: it refused the username or password, or"
                + " has no allocation to spare (" + t.problem() + ").", d);
    }
}
