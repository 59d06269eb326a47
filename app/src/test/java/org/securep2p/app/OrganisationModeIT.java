package org.securep2p.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Organisation mode end to end, with the real program: a team lead runs {@code securep2p ca init} and
 * {@code ca issue} for two members at once from their {@code cert/identity.crt}; the members run with
 * {@code --trust ca:PATH}, connect by code in the headless mode, see each other's certified name and chat. A
 * member of another CA is refused with a message naming both CAs, in both directions; after
 * {@code ca revoke}, the revoked member is refused with a message saying so.
 */
class OrganisationModeIT {

    private static final Duration START = Duration.ofMinutes(3);
    private static final Duration STEP = Duration.ofSeconds(90);
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    static Path shared;
    private static AttackPeers.Stun stun;
    private static Path jar;
    private static String passphrase;
    private static Path passphraseFile;

    @TempDir
    Path root;
    private OrganisationLab lab;
    private Path config;
    private final List<AttackPeers.Peer> peers = new ArrayList<>();
    private final List<String> plaintexts = new ArrayList<>();

    @BeforeAll
    static void startStun() throws Exception {
        jar = Path.of(System.getProperty("securep2p.jar", "target/securep2p-app.jar")).toAbsolutePath();
        assertThat(jar).as("the packaged jar (run after package)").exists();
        passphrase = "org-passphrase-" + HexFormat.of().formatHex(bytes(12));
        passphraseFile = AttackPeers.passphraseFile(shared.resolve("secret"), passphrase);
        stun = new AttackPeers.Stun(shared.resolve("stun"));
    }

    @AfterAll
    static void stopStun() throws Exception {
        if (stun != null) {
            stun.close();
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void lab() throws IOException {
        lab = new OrganisationLab(jar, passphraseFile, root.resolve("runs"));
        config = root.resolve("securep2p.conf");
        Files.writeString(config, "stun.servers=127.0.0.1:" + stun.port + "\nhost.candidates=LOOPBACK_ONLY\n");
    }

    @AfterEach
    void end() throws Exception {
        for (AttackPeers.Peer p : peers) {
            p.close();
        }
        List<String> needles = new ArrayList<>(plaintexts);
        needles.add(passphrase);
        for (AttackPeers.Peer p : peers) {
            for (String line : AttackPeers.logLines(p.home)) {
                for (String n : needles) {
                    assertThat(line).as("%s's log leaks a secret or a message", p.name).doesNotContain(n);
                }
            }
        }
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private AttackPeers.Peer member(Path home, String name, Path caCert) throws IOException {
        AttackPeers.Peer p = new AttackPeers.Peer(jar, home, name, passphraseFile, stun.port, null, null,
                List.of("--trust", "ca:" + caCert));
        peers.add(p);
        JsonNode ready = p.awaitEvent(0, "ready", START);
        assertThat(ready.path("params").path("trust_model").asText()).as(p.report()).contains("organisation CA");
        return p;
    }

    private JsonNode[] connectByCode(AttackPeers.Peer waiter, AttackPeers.Peer dialer) {
        int wm = waiter.mark();
        int dm = dialer.mark();
        String code = waiter.ok("wait", Map.of()).get("code").asText();
        dialer.ok("connect", Map.of("code", code));
        return new JsonNode[] {waiter.awaitEvent(wm, "connected", STEP), dialer.awaitEvent(dm, "connected", STEP)};
    }

    /** {@code dialer} dials {@code waiter}'s code and is refused; returns the dialer's error reason. */
    private String refusedDialling(AttackPeers.Peer waiter, AttackPeers.Peer dialer) throws InterruptedException {
        int wm = waiter.mark();
        int dm = dialer.mark();
        String code = waiter.ok("wait", Map.of()).get("code").asText();
        dialer.ok("connect", Map.of("code", code));
        JsonNode error = dialer.awaitEvent(dm, "error", STEP);
        Thread.sleep(2000); // time is the test: a session despite the refusal would come late; no event for none
        assertThat(dialer.events(dm, "connected")).as(dialer.report()).isEmpty();
        assertThat(waiter.events(wm, "connected")).as(waiter.report()).isEmpty();
        waiter.call("disconnect", Map.of()); // stops waiting, if the refusal did not end it already
        return error.path("params").path("reason").asText();
    }

    private void chat(AttackPeers.Peer from, AttackPeers.Peer to, String label) {
        String text = label + " " + HexFormat.of().formatHex(bytes(8));
        plaintexts.add(text);
        int tm = to.mark();
        int fm = from.mark();
        String id = from.ok("send", Map.of("text", text)).get("id").asText();
        to.awaitFrom(tm, m -> "message".equals(m.path("method").asText())
                && text.equals(m.path("params").path("text").asText()), STEP, "message '" + text + "'");
        from.awaitFrom(fm, m -> "delivered".equals(m.path("method").asText())
                && id.equals(m.path("params").path("id").asText()), STEP, "delivered " + id);
    }

    private static String securityLog(AttackPeers.Peer p) throws IOException {
        Path f = p.home.resolve("logs/security.log");
        return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
    }

    @Test
    void membersOfOneCaChatAndOutsidersAndRevokedMembersAreRefused() throws Exception {
        Path lead = root.resolve("lead");
        Path caCert = lab.newCa(lead, "Control");
        Path aliceHome = root.resolve("alice");
        Path bobHome = root.resolve("bob");
        lab.firstStart(aliceHome, "alice", caCert, config);
        lab.firstStart(bobHome, "bob", caCert, config);
        lab.issue(lead, Map.of("Control-Alpha", aliceHome, "Control-Bravo", bobHome));
        assertThat(lab.ok(lead, "ca", "list").out()).contains("Control-Alpha").contains("Control-Bravo");

        Path otherLead = root.resolve("other-lead");
        Path otherCa = lab.newCa(otherLead, "Mallory Corp");
        Path malloryHome = root.resolve("mallory");
        lab.firstStart(malloryHome, "mallory", otherCa, config);
        lab.issue(otherLead, Map.of("Control-Bravo", malloryHome)); // even the same member name

        AttackPeers.Peer alice = member(aliceHome, "alice", caCert);
        AttackPeers.Peer bob = member(bobHome, "bob", caCert);
        JsonNode[] c = connectByCode(alice, bob);
        for (JsonNode connected : c) {
            assertThat(connected.path("params").path("trust").asText()).isEqualTo("CA-verified");
            // Forward secrecy at QUANTUM_RESISTANT: the hybrid ephemeral exchange.
            assertThat(connected.path("params").path("key_exchange").asText()).isEqualTo("X25519MLKEM768");
        }
        assertThat(c[0].path("params").path("peer_id").asText()).isEqualTo("Control-Bravo");
        assertThat(c[1].path("params").path("peer_id").asText()).isEqualTo("Control-Alpha");
        assertThat(c[0].path("params").path("safety_number").asText())
                .isEqualTo(c[1].path("params").path("safety_number").asText());
        chat(alice, bob, "from alpha");
        chat(bob, alice, "from bravo");
        int bm = bob.mark();
        alice.ok("disconnect", Map.of());
        bob.awaitEvent(bm, "disconnected", STEP);

        // A member of another CA: refused whichever side dials, naming both CAs.
        AttackPeers.Peer mallory = member(malloryHome, "mallory", otherCa);
        String aliceRefuses = refusedDialling(mallory, alice);
        assertThat(aliceRefuses).as(alice.report()).contains("Mallory Corp").contains("Control");
        String malloryRefuses = refusedDialling(alice, mallory);
        assertThat(malloryRefuses).as(mallory.report()).contains("Control").contains("Mallory Corp");
        assertThat(securityLog(alice)).contains("CERTIFICATE_REFUSED");

        // Revocation: Bravo's certificate revoked, Alpha restarts with the new list, Bravo is refused.
        byte[] listBeforeRevocation = Files.readAllBytes(lead.resolve("cert/ca.crl"));
        lab.ok(lead, "ca", "revoke", "Control-Bravo");
        alice.close();
        peers.remove(alice);
        AttackPeers.Peer alice2 = member(aliceHome, "alice", caCert);
        String revoked = refusedDialling(bob, alice2);
        assertThat(revoked).as(alice2.report()).contains("revoked").contains("Control-Bravo");

        // The list from before the revocation, still within its 30 days, cannot come back: Alpha has loaded
        // number 2 of this CA and refuses number 1 at start.
        alice2.close();
        peers.remove(alice2);
        Path stale = Files.createDirectories(root.resolve("stale-copy"));
        Files.copy(caCert, stale.resolve("ca.crt"));
        Files.write(stale.resolve("ca.crl"), listBeforeRevocation);
        OrganisationLab.Run r = lab.run(aliceHome, "--json", "--name", "alice", "--trust",
                "ca:" + stale.resolve("ca.crt"));
        assertThat(r.exit()).as(r.err()).isNotZero();
        assertThat(r.err()).contains("STALE").contains("number 1").contains("number 2");
    }
}
