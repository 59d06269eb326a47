package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.transport.ConnectionCode;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Issue 6's attacks, each against real {@code --json} processes on loopback: an identity change of a known peer,
 * a connection code with another fingerprint, a level downgrade by an on-path proxy, and replayed and truncated
 * datagrams. After each test the logs of every home are searched for every plaintext sent and the passphrase.
 */
class AttackIT {

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
    private final List<AttackPeers.Peer> peers = new CopyOnWriteArrayList<>();
    private final List<String> plaintexts = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void startStun() throws Exception {
        String j = System.getProperty("securep2p.jar", "target/securep2p-app.jar");
        jar = Path.of(j).toAbsolutePath();
        assertThat(jar).as("the packaged jar (run after package)").exists();
        passphrase = "atk-passphrase-" + hex(12);
        passphraseFile = AttackPeers.passphraseFile(shared.resolve("secret"), passphrase);
        stun = new AttackPeers.Stun(shared.resolve("stun"));
    }

    @AfterAll
    static void stopStun() throws Exception {
        if (stun != null) {
            stun.close();
        }
    }

    @BeforeEach
    void begin(TestInfo info) {
        System.out.println("AttackIT: " + info.getDisplayName() + " at " + java.time.Instant.now());
    }

    @AfterEach
    void end() throws Exception {
        for (AttackPeers.Peer p : peers) {
            p.close();
        }
        for (AutoCloseable c : closeables) {
            c.close();
        }
        // No plaintext the test sent and not the passphrase in any log of any home.
        List<String> needles = new ArrayList<>(plaintexts);
        needles.add(passphrase);
        for (AttackPeers.Peer p : peers) {
            List<String> lines = AttackPeers.logLines(p.home);
            assertThat(lines).as("%s has logs", p.name).isNotEmpty();
            for (String line : lines) {
                for (String n : needles) {
                    assertThat(line).as("%s's log line leaks a secret or a message text", p.name)
                            .doesNotContain(n);
                }
            }
        }
    }

    /**
     * Starts a peer and waits for its {@code ready}. One at a time: a first start generates keys and runs
     * Argon2id, and several at once on a loaded machine can exceed the key manager's 30 s start limit; such a
     * start is retried once.
     */
    private AttackPeers.Peer start(String dir, String name, String level, Integer port) throws Exception {
        for (int attempt = 1;; attempt++) {
            AttackPeers.Peer p = new AttackPeers.Peer(jar, root.resolve(dir), name, passphraseFile, stun.port, level,
                    port);
            peers.add(p);
            try {
                p.awaitEvent(0, "ready", START);
                return p;
            } catch (AssertionError e) {
                String err = AttackPeers.tail(root.resolve(dir).resolve("stderr"), 20);
                if (attempt > 1 || p.alive() || !err.contains("key manager did not start")) {
                    throw e;
                }
                System.out.println("AttackIT: " + name + " retried: " + err);
                peers.remove(p);
            }
        }
    }

    private static JsonNode ready(AttackPeers.Peer p) {
        return p.awaitEvent(0, "ready", START);
    }

    private String text(String label) {
        String t = label + " " + hex(8);
        plaintexts.add(t);
        return t;
    }

    /** The waiter shows a code, the dialer connects with it; both report connected. */
    private JsonNode[] connectByCode(AttackPeers.Peer waiter, AttackPeers.Peer dialer) {
        int wm = waiter.mark();
        int dm = dialer.mark();
        String code = waiter.ok("wait", Map.of()).get("code").asText();
        dialer.ok("connect", Map.of("code", code));
        JsonNode cd = dialer.awaitEvent(dm, "connected", STEP);
        JsonNode cw = waiter.awaitEvent(wm, "connected", STEP);
        assertThat(cd.path("params").path("safety_number").asText())
                .isEqualTo(cw.path("params").path("safety_number").asText());
        return new JsonNode[] {cw, cd};
    }

    /** {@code from} sends; {@code to} shows it exactly once; {@code from} sees it delivered. */
    private void chat(AttackPeers.Peer from, AttackPeers.Peer to, String text) {
        int tm = to.mark();
        int fm = from.mark();
        String id = from.ok("send", Map.of("text", text)).get("id").asText();
        to.awaitFrom(tm, m -> "message".equals(m.path("method").asText())
                && text.equals(m.path("params").path("text").asText()), STEP, "message '" + text + "'");
        from.awaitFrom(fm, m -> "delivered".equals(m.path("method").asText())
                && id.equals(m.path("params").path("id").asText()), STEP, "delivered " + id);
    }

    private static String fingerprint(JsonNode readyOrConnected) {
        return readyOrConnected.path("params").path("fingerprint").asText();
    }

    private static String reason(JsonNode error) {
        return error.path("params").path("reason").asText();
    }

    private static String errorReason(JsonNode response) {
        return response.path("error").path("data").path("reason").asText();
    }

    /** Waits a little and asserts that none of {@code method} came after {@code from}. */
    private static void never(AttackPeers.Peer p, int from, String method, Duration settle)
            throws InterruptedException {
        Thread.sleep(settle.toMillis()); // time is the test: what must not happen has no event to await
        assertThat(p.events(from, method)).as("%s must not report '%s'\n%s", p.name, method, p.report()).isEmpty();
    }

    private static String securityLog(AttackPeers.Peer p) throws IOException {
        Path f = p.home.resolve("logs/security.log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    @Test
    void identityChangeOfAKnownPeerBlocksUntilDecided() throws Exception {
        AttackPeers.Peer alice = start("alice", "alice", null, null);
        AttackPeers.Peer bob = start("bob", "bob", null, null);
        // Two later installations of "alice": new identities under the same name.
        AttackPeers.Peer alice2 = start("alice-reinstalled", "alice", null, null);
        AttackPeers.Peer alice3 = start("alice-third", "alice", null, null);
        String aliceFp = fingerprint(ready(alice));
        ready(bob);
        String alice2Fp = fingerprint(ready(alice2));
        String alice3Fp = fingerprint(ready(alice3));
        assertThat(Arrays.asList(aliceFp, alice2Fp, alice3Fp)).doesNotHaveDuplicates();

        connectByCode(alice, bob);
        chat(alice, bob, text("first hello from the real alice"));
        alice.close();

        // Round 1: the new identity knocks; Bob is asked, nothing connects, sending is blocked; he rejects.
        int bm = bob.mark();
        int a2m = alice2.mark();
        String code = alice2.ok("wait", Map.of()).get("code").asText();
        bob.ok("connect", Map.of("code", code));
        JsonNode changed = bob.awaitEvent(bm, "peer_changed", STEP);
        assertThat(changed.path("params").path("old_fingerprint").asText()).isEqualTo(aliceFp);
        assertThat(changed.path("params").path("new_fingerprint").asText()).isEqualTo(alice2Fp);
        assertThat(changed.path("params").path("name").asText()).isEqualTo("alice");
        assertThat(changed.path("params").path("explanation").asText()).isNotBlank();
        JsonNode blocked = bob.call("send", Map.of("text", text("sent while undecided")));
        assertThat(errorReason(blocked)).as("send while a decision is pending: %s\n%s", blocked, bob.report())
                .isEqualTo("PEER_CHANGED");
        never(bob, bm, "connected", Duration.ofSeconds(2));
        assertThat(alice2.events(a2m, "connected")).as(alice2.report()).isEmpty();
        assertThat(alice2.events(a2m, "message")).as(alice2.report()).isEmpty();

        bob.ok("trust", Map.of("fingerprint", alice2Fp, "decision", "reject"));
        JsonNode bobError = bob.awaitEvent(bm, "error", STEP);
        JsonNode aliceError = alice2.awaitEvent(a2m, "error", STEP);
        assertThat(reason(bobError)).containsIgnoringCase("rejected");
        assertThat(reason(aliceError)).as(alice2.report()).contains("IDENTITY_REFUSED");
        never(bob, bm, "connected", Duration.ofSeconds(1));
        assertThat(alice2.events(a2m, "connected")).as(alice2.report()).isEmpty();

        // The same new identity again: refused at once, no second question.
        bm = bob.mark();
        a2m = alice2.mark();
        code = alice2.ok("wait", Map.of()).get("code").asText();
        bob.ok("connect", Map.of("code", code));
        bobError = bob.awaitEvent(bm, "error", STEP);
        assertThat(reason(bobError)).as(bob.report()).containsIgnoringCase("rejected before");
        alice2.awaitEvent(a2m, "error", STEP);
        assertThat(bob.events(bm, "peer_changed")).isEmpty();
        assertThat(bob.events(bm, "connected")).isEmpty();
        assertThat(alice2.events(a2m, "connected")).isEmpty();
        alice2.close();

        // Round 2: another new identity; this time Bob accepts and the chat works both ways.
        bm = bob.mark();
        int a3m = alice3.mark();
        code = alice3.ok("wait", Map.of()).get("code").asText();
        bob.ok("connect", Map.of("code", code));
        changed = bob.awaitEvent(bm, "peer_changed", STEP);
        assertThat(changed.path("params").path("new_fingerprint").asText()).isEqualTo(alice3Fp);
        assertThat(changed.path("params").path("old_fingerprint").asText()).isNotEqualTo(alice3Fp);
        never(bob, bm, "connected", Duration.ofSeconds(1));
        bob.ok("trust", Map.of("fingerprint", alice3Fp, "decision", "accept"));
        JsonNode connected = bob.awaitEvent(bm, "connected", STEP);
        assertThat(fingerprint(connected)).isEqualTo(alice3Fp);
        alice3.awaitEvent(a3m, "connected", STEP);
        chat(bob, alice3, text("hello new alice, accepted"));
        chat(alice3, bob, text("thanks bob"));

        String log = securityLog(bob);
        assertThat(log).as("bob's security.log").contains("identity change").contains("REJECT")
                .contains("ACCEPT");
        assertThat(log.lines().filter(l -> l.contains("trust decision")).count()).isEqualTo(2);
    }

    @Test
    void codeWithAnotherFingerprintIsRefused() throws Exception {
        AttackPeers.Peer alice = start("alice", "alice", null, null);
        AttackPeers.Peer bob = start("bob", "bob", null, null);
        ready(alice);
        ready(bob);
        int am = alice.mark();
        int bm = bob.mark();
        ConnectionCode real = ConnectionCode.parse(alice.ok("wait", Map.of()).get("code").asText());
        byte[] other = new byte[Fingerprint.LENGTH];
        RANDOM.nextBytes(other);
        ConnectionCode forged = ConnectionCode.offer(Fingerprint.fromBytes(other), real.minimumLevel(),
                real.credentials(), real.candidates(), real.answerNeeded());
        assertThat(forged.text()).isNotEqualTo(real.text());
        bob.ok("connect", Map.of("code", forged.text()));
        JsonNode error = bob.awaitEvent(bm, "error", STEP);
        assertThat(reason(error)).as(bob.report()).contains("not who the connection code says");
        never(bob, bm, "connected", Duration.ofSeconds(3));
        assertThat(alice.events(am, "connected")).as(alice.report()).isEmpty();
        assertThat(securityLog(bob).lines()).as("bob's security.log\n%s", bob.report())
                .anyMatch(l -> l.contains("refused") && l.contains("IDENTITY_MISMATCH"));

        // The genuine code from a new wait still works: the refusal was the forged fingerprint, nothing else.
        alice.awaitEvent(am, "error", STEP);
        connectByCode(alice, bob);
        chat(bob, alice, text("the genuine code works"));
    }

    @Test
    void downgradeByOnPathProxyIsRefusedAndLogged() throws Exception {
        int alicePort = AttackPeers.freeUdpPort();
        AttackPeers.Peer alice = start("alice", "alice", "ENHANCED", alicePort);
        AttackPeers.Peer bob = start("bob", "bob", "ENHANCED", null);
        AttackPeers.Peer weakBob = start("weak-bob", "weakbob", "STANDARD", null);
        ready(alice);
        ready(bob);
        ready(weakBob);

        // A: Bob offers ENHANCED; the proxy makes Alice read STANDARD.
        AttackPeers.UdpProxy proxy = proxy(alicePort, "ENHANCED", "STANDARD");
        attemptThrough(alice, bob, proxy);

        // B: a STANDARD client dressed up as ENHANCED (and Alice's answers dressed down for it).
        AttackPeers.UdpProxy[] holder = new AttackPeers.UdpProxy[1];
        AttackPeers.UdpProxy disguise = new AttackPeers.UdpProxy(alicePort,
                d -> rewrite(d, "STANDARD", "ENHANCED", holder), d -> rewrite(d, "ENHANCED", "STANDARD", holder));
        holder[0] = disguise;
        closeables.add(disguise);
        attemptThrough(alice, weakBob, disguise);

        // Each refused handshake is in a security.log, with its reason.
        List<String> refusals = new ArrayList<>();
        for (AttackPeers.Peer p : List.of(alice, bob, weakBob)) {
            securityLog(p).lines().filter(l -> l.contains("refused")).forEach(l -> refusals.add(p.name + ": " + l));
        }
        String why = alice.report() + bob.report() + weakBob.report();
        assertThat(refusals).as("security.log lines about the rewritten level\n%s", why)
                .anyMatch(l -> l.startsWith("alice: ") && l.contains("DOWNGRADE"))
                .anyMatch(l -> l.startsWith("bob: ") && l.contains("DOWNGRADE"))
                .anyMatch(l -> l.startsWith("weakbob: ") && l.contains("TLS_FAILED"));

        // Control: the same path without rewriting connects, so the refusals above were the rewrite's doing.
        AttackPeers.UdpProxy clean = new AttackPeers.UdpProxy(alicePort, AttackPeers.UdpProxy.pass(),
                AttackPeers.UdpProxy.pass());
        closeables.add(clean);
        int am = alice.mark();
        int bm = bob.mark();
        alice.ok("wait", Map.of());
        bob.ok("connect", Map.of("code", "127.0.0.1:" + clean.port));
        JsonNode c = bob.awaitEvent(bm, "connected", STEP);
        assertThat(c.path("params").path("level").asText()).isEqualTo("ENHANCED");
        alice.awaitEvent(am, "connected", STEP);
        chat(bob, alice, text("through a clean proxy"));
    }

    private AttackPeers.UdpProxy proxy(int port, String from, String to) throws IOException {
        AttackPeers.UdpProxy[] holder = new AttackPeers.UdpProxy[1];
        AttackPeers.UdpProxy p = new AttackPeers.UdpProxy(port, d -> rewrite(d, from, to, holder),
                d -> rewrite(d, from, to, holder));
        holder[0] = p;
        closeables.add(p);
        return p;
    }

    private static List<byte[]> rewrite(byte[] d, String from, String to, AttackPeers.UdpProxy[] holder) {
        return holder[0].rewriting(from, to).apply(d);
    }

    private void attemptThrough(AttackPeers.Peer alice, AttackPeers.Peer dialer, AttackPeers.UdpProxy proxy)
            throws InterruptedException {
        int am = alice.mark();
        int dm = dialer.mark();
        alice.ok("wait", Map.of());
        dialer.ok("connect", Map.of("code", "127.0.0.1:" + proxy.port));
        JsonNode dialerEnd = dialer.awaitFrom(dm, m -> AttackPeers.isEvent("error").test(m)
                || AttackPeers.isEvent("disconnected").test(m), STEP, "error or disconnected");
        JsonNode aliceEnd = alice.awaitFrom(am, m -> AttackPeers.isEvent("error").test(m)
                || AttackPeers.isEvent("disconnected").test(m), STEP, "error or disconnected");
        assertThat(reason(dialerEnd)).isNotBlank();
        assertThat(reason(aliceEnd)).isNotBlank();
        never(dialer, dm, "connected", Duration.ofSeconds(2));
        assertThat(alice.events(am, "connected")).as(alice.report()).isEmpty();
        assertThat(proxy.rewrites.get()).as("the proxy rewrote the level (%d datagrams)", proxy.datagrams.get())
                .isPositive();
        System.out.println("AttackIT: downgrade via proxy (" + proxy.rewrites.get() + " rewrites): dialer "
                + dialerEnd + "; listener " + aliceEnd);
        // Nothing is left running on either side.
        dialer.ok("disconnect", Map.of());
        alice.ok("disconnect", Map.of());
    }

    @Test
    void replayedAndTruncatedDatagramsAreRejectedAndTheSessionStaysIntact() throws Exception {
        int alicePort = AttackPeers.freeUdpPort();
        AttackPeers.Peer alice = start("alice", "alice", "ENHANCED", alicePort);
        AttackPeers.Peer bob = start("bob", "bob", "ENHANCED", null);
        ready(alice);
        ready(bob);
        AtomicBoolean attack = new AtomicBoolean();
        AtomicInteger replayed = new AtomicInteger();
        AtomicInteger truncated = new AtomicInteger();
        List<byte[]> seen = new CopyOnWriteArrayList<>();
        AttackPeers.UdpProxy.Filter hostile = d -> {
            if (!attack.get()) {
                return List.of(d);
            }
            List<byte[]> out = new ArrayList<>();
            out.add(d);
            int n = seen.size();
            seen.add(d.clone());
            if (n % 2 == 0) {
                out.add(d.clone());                                // replayed at once
                replayed.incrementAndGet();
            }
            if (n % 3 == 0 && d.length > 12) {
                out.add(Arrays.copyOf(d, d.length - 7));           // truncated copies
                out.add(Arrays.copyOf(d, d.length / 2));
                truncated.addAndGet(2);
            }
            if (n % 5 == 4) {
                out.add(seen.get(n / 2).clone());                  // an older datagram, replayed late
                replayed.incrementAndGet();
            }
            return out;
        };
        AttackPeers.UdpProxy proxy = new AttackPeers.UdpProxy(alicePort, hostile, hostile);
        closeables.add(proxy);
        int am = alice.mark();
        int bm = bob.mark();
        alice.ok("wait", Map.of());
        bob.ok("connect", Map.of("code", "127.0.0.1:" + proxy.port));
        bob.awaitEvent(bm, "connected", STEP);
        alice.awaitEvent(am, "connected", STEP);
        attack.set(true);
        List<String> toAlice = new ArrayList<>();
        List<String> toBob = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String t = text("under replay " + i);
            toAlice.add(t);
            chat(bob, alice, t);
            String r = text("answer under replay " + i);
            toBob.add(r);
            chat(alice, bob, r);
        }
        Thread.sleep(1500); // time is the test: a late replay shown twice or a disconnect would show by then
        assertThat(replayed.get()).isPositive();
        assertThat(truncated.get()).isPositive();
        for (AttackPeers.Peer p : List.of(alice, bob)) {
            int from = p == alice ? am : bm;
            List<String> texts = p.events(from, "message").stream()
                    .map(m -> m.path("params").path("text").asText()).toList();
            assertThat(texts).as("%s received each message exactly once\n%s", p.name, p.report())
                    .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(p == alice ? toAlice : toBob);
            assertThat(p.events(from, "disconnected")).as("%s stays connected\n%s", p.name, p.report()).isEmpty();
            assertThat(p.events(from, "error")).as(p.report()).isEmpty();
        }
        System.out.println("AttackIT: replayed " + replayed.get() + ", truncated " + truncated.get()
                + " datagrams; session intact");
    }

    /**
     * Issue 14 §1: an on-path attacker who copies the connection's own headers forges CLOSE (ABORT and GOODBYE),
     * a far-ahead PING and an ACK of everything into both directions of an established session. The reliable
     * channel's packets are tagged (PROTOCOL.md 13.9), so every forgery is dropped: each message arrives exactly
     * once and neither side reports {@code disconnected}.
     */
    @Test
    void forgedClosePingAndAckPacketsOnThePathEndNothing() throws Exception {
        int alicePort = AttackPeers.freeUdpPort();
        AttackPeers.Peer alice = start("alice", "alice", "ENHANCED", alicePort);
        AttackPeers.Peer bob = start("bob", "bob", "ENHANCED", null);
        ready(alice);
        ready(bob);
        ReliableForger forger = new ReliableForger();
        AttackPeers.UdpProxy proxy = new AttackPeers.UdpProxy(alicePort, forger.upstream(), forger.downstream());
        closeables.add(proxy);
        int am = alice.mark();
        int bm = bob.mark();
        alice.ok("wait", Map.of());
        bob.ok("connect", Map.of("code", "127.0.0.1:" + proxy.port));
        bob.awaitEvent(bm, "connected", STEP);
        alice.awaitEvent(am, "connected", STEP);
        forger.arm();
        for (int i = 0; i < 5; i++) {
            chat(bob, alice, text("under forgery " + i));
            chat(alice, bob, text("answer under forgery " + i));
        }
        // A little longer under attack: a poisoned packet-number state shows as a stall, a forged ACK as a hole.
        Thread.sleep(3000); // time is the test: 3 s of forged traffic, see the line above
        chat(bob, alice, text("after forgery"));
        forger.disarm();
        assertThat(forger.closes.get()).as("CLOSEs forged").isGreaterThan(4);
        assertThat(forger.pings.get()).as("PINGs forged").isGreaterThan(4);
        assertThat(forger.acks.get()).as("ACKs forged").isGreaterThan(4);
        for (AttackPeers.Peer p : List.of(alice, bob)) {
            int from = p == alice ? am : bm;
            List<String> texts = p.events(from, "message").stream()
                    .map(m -> m.path("params").path("text").asText()).toList();
            assertThat(texts).as("%s received each message exactly once\n%s", p.name, p.report())
                    .doesNotHaveDuplicates().hasSize(p == alice ? 6 : 5);
            assertThat(p.events(from, "disconnected")).as("%s stays connected\n%s", p.name, p.report()).isEmpty();
            assertThat(p.events(from, "error")).as(p.report()).isEmpty();
        }
        System.out.println("AttackIT: forged " + forger.closes.get() + " CLOSE, " + forger.pings.get() + " PING, "
                + forger.acks.get() + " ACK datagrams; session intact");
    }

    /**
     * A relay on the path that forwards everything but alters one stream byte of one data-bearing datagram.
     * Since wire version 2 the reliable channel's tag (PROTOCOL.md 13.9) catches it before TLS sees it: the
     * datagram is dropped, the sender's retransmission carries the bytes, and the message arrives once, as sent,
     * with the session intact. (With version 1, TLS detected the alteration and the connection ended, to be
     * resumed by a redial; TLS's own check is still there, behind the tag, and no longer reachable from the path.)
     */
    @Test
    void tamperingRelayIsCaughtByThePacketTagNothingAlteredIsShownAndTheSessionStays() throws Exception {
        int alicePort = AttackPeers.freeUdpPort();
        AttackPeers.Peer alice = start("alice", "alice", "ENHANCED", alicePort);
        AttackPeers.Peer bob = start("bob", "bob", "ENHANCED", null);
        ready(alice);
        ready(bob);
        AtomicBoolean tamper = new AtomicBoolean();
        AtomicInteger tampered = new AtomicInteger();
        AttackPeers.UdpProxy.Filter toAlice = d -> {
            // The next tagged reliable DATA packet (byte 1 is the type, 0x80 the tag bit, section 13.2): the
            // byte before its 16-byte tag is stream payload, so TLS ciphertext.
            if (tamper.get() && d.length > 60 && (d[1] & 0xFF) == 0x81 && tampered.compareAndSet(0, 1)) {
                d[d.length - 17] ^= 0x40;
            }
            return List.of(d);
        };
        AttackPeers.UdpProxy relay = new AttackPeers.UdpProxy(alicePort, toAlice, AttackPeers.UdpProxy.pass());
        closeables.add(relay);
        int am = alice.mark();
        int bm = bob.mark();
        alice.ok("wait", Map.of());
        bob.ok("connect", Map.of("code", "127.0.0.1:" + relay.port));
        bob.awaitEvent(bm, "connected", STEP);
        JsonNode first = alice.awaitEvent(am, "connected", STEP);
        // Forward secrecy at ENHANCED: an ephemeral X25519 exchange, fresh for every connection.
        assertThat(first.path("params").path("key_exchange").asText()).isEqualTo("x25519");
        chat(bob, alice, text("before the relay turns hostile"));

        am = alice.mark();
        bm = bob.mark();
        tamper.set(true);
        String altered = text("altered in transit");
        chat(bob, alice, altered);
        assertThat(tampered.get()).as("the relay altered a data packet").isEqualTo(1);
        chat(alice, bob, text("answer after the alteration"));
        Thread.sleep(1000); // time is the test: a second copy or a disconnect would come late; no event for none
        assertThat(alice.events(am, "message")).as("the message once, as sent\n%s", alice.report()).hasSize(1);
        for (AttackPeers.Peer p : List.of(alice, bob)) {
            int from = p == alice ? am : bm;
            assertThat(p.events(from, "disconnected")).as("%s stays connected\n%s", p.name, p.report()).isEmpty();
            assertThat(p.events(from, "error")).as(p.report()).isEmpty();
        }
    }

    @Test
    void replayedHandshakeBytesYieldNoSession() throws Exception {
        int alicePort = AttackPeers.freeUdpPort();
        AttackPeers.Peer alice = start("alice", "alice", "STANDARD", alicePort);
        AttackPeers.Peer bob = start("bob", "bob", "STANDARD", null);
        ready(alice);
        ready(bob);
        List<byte[]> recorded = new CopyOnWriteArrayList<>();
        AttackPeers.UdpProxy recorder = new AttackPeers.UdpProxy(alicePort, d -> {
            recorded.add(d.clone());
            return List.of(d);
        }, AttackPeers.UdpProxy.pass());
        closeables.add(recorder);
        int am = alice.mark();
        int bm = bob.mark();
        alice.ok("wait", Map.of());
        bob.ok("connect", Map.of("code", "127.0.0.1:" + recorder.port));
        bob.awaitEvent(bm, "connected", STEP);
        JsonNode recordedSession = alice.awaitEvent(am, "connected", STEP);
        // Forward secrecy at STANDARD: an ephemeral X25519 exchange; no PSK, so nothing to replay into.
        assertThat(recordedSession.path("params").path("key_exchange").asText()).isEqualTo("x25519");
        chat(bob, alice, text("recorded conversation"));
        bob.ok("disconnect", Map.of());
        alice.awaitEvent(am, "disconnected", STEP);
        assertThat(recorded).hasSizeGreaterThan(3);

        int am2 = alice.mark();
        alice.ok("wait", Map.of());
        try (java.net.DatagramSocket attacker = new java.net.DatagramSocket(0,
                java.net.InetAddress.getLoopbackAddress())) {
            java.net.InetSocketAddress target = new java.net.InetSocketAddress(
                    java.net.InetAddress.getLoopbackAddress(), alicePort);
            for (int round = 0; round < 3; round++) {
                for (byte[] d : recorded) {
                    attacker.send(new java.net.DatagramPacket(d, d.length, target));
                    Thread.sleep(5); // time is the test: paced like the recorded flight, not one burst
                }
                Thread.sleep(1000); // time is the test: the replayed rounds come a second apart, as a retry would

            }
        }
        never(alice, am2, "connected", Duration.ofSeconds(5));
        assertThat(alice.events(am2, "message")).as(alice.report()).isEmpty();

        // The genuine peer connects afterwards: the replay broke nothing lasting.
        int am3 = alice.mark();
        int bm3 = bob.mark();
        if (alice.events(am2, "error").isEmpty()) {
            alice.call("disconnect", Map.of());
        }
        alice.ok("wait", Map.of());
        bob.ok("connect", Map.of("code", "127.0.0.1:" + alicePort));
        bob.awaitEvent(bm3, "connected", STEP);
        alice.awaitEvent(am3, "connected", STEP);
        chat(bob, alice, text("after the replay"));
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
