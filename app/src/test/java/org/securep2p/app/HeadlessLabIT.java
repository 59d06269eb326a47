package org.securep2p.app;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.securep2p.transport.testing.NetLab;

/**
 * Issue 6's end-to-end acceptance test: two {@code securep2p --json} processes in the transport's network lab
 * ({@code transport/lab/netlab.sh}), through the TURN relay (1000 messages each way by default) and directly
 * connected (400 each way by default) at 20% packet loss, every one delivered exactly once and in order per
 * sender; on the direct path a peer SIGKILLed mid-conversation and restarted resumes the conversation without a
 * new handshake, losing and duplicating nothing, while the other peer goes on sending through the outage and
 * the reconnection. {@code -Dsecurep2p.lab.messages} and {@code -Dsecurep2p.lab.crashMessages} change the sizes.
 *
 * <p>Why the crash run is smaller: every send, receipt and acknowledgement commits the whole conversation file,
 * which holds every unacknowledged ciphertext (about 3.3 KB each at QUANTUM_RESISTANT). The crash leaves
 * hundreds of messages queued on both sides (45 s of dead-peer timeout with B still sending), each commit then
 * seals and fsyncs about a megabyte, and 1000 each way around a crash takes over four minutes on a loaded
 * 2-core machine. The numbers each run measured are printed as {@code [HeadlessLabIT …]} lines.
 *
 * <p>Loss: {@code netlab.sh loss <lab> a 20} drops 20% of the UDP datagrams entering or leaving A's side, so
 * every datagram between the peers (direct, or A's leg of the relay) meets 20% loss once, in both directions.
 * It is switched on after the connection is set up and stays on through the crash and the reconnection.
 *
 * <p>Needs root, iproute2, iptables, coturn, util-linux' setsid, and the packaged app (failsafe passes
 * {@code securep2p.jar} and {@code securep2p.lab}); without them it fails and says what is missing.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class HeadlessLabIT {

    /** Messages each peer sends over the relay. */
    static final int N = Integer.getInteger("securep2p.lab.messages", 1000);
    /** Messages each peer sends on the direct path around the crash (the class comment says why fewer). */
    static final int N_CRASH = Integer.getInteger("securep2p.lab.crashMessages", 1000);
    static final double LOSS_PERCENT = 20;
    /** Sends written ahead of their answers: keeps the peer busy, bounds what a crash leaves undecided. */
    static final int WINDOW = 32;

    static final Duration START = Duration.ofSeconds(60);
    static final Duration CONNECT = Duration.ofSeconds(60);
    static final Duration EXCHANGE = Duration.ofSeconds(150);
    /** The transport's dead-peer timeout is 45 s (TransportConfig); a loaded machine gets a margin. */
    static final Duration DEAD_PEER = Duration.ofSeconds(75);

    static Path jar;

    @BeforeAll
    static void requirements() {
        NetLab.requireAvailable();
        jar = LabPeerProcess.packagedJar();
    }

    /** The relayed path: both peers behind symmetric NATs, only TURN connects them. */
    @Test
    void relayedExchangeAtTwentyPercentLoss() throws Exception {
        try (Rig rig = new Rig(NetLab.Topology.SYMMETRIC)) {
            // The lab's coturn supports RFC 5780: the JSON mode gives the measured kind and the advice sentence.
            com.fasterxml.jackson.databind.JsonNode stun = rig.a.call("stun", Map.of(), CONNECT);
            assertEquals("ADDRESS_AND_PORT_DEPENDENT/ADDRESS_AND_PORT_DEPENDENT", stun.path("nat").asText(),
                    "" + stun);
            assertTrue(stun.path("advice").asText().startsWith("A relay will be needed"), "advice: " + stun);
            rig.connect("relayed", false);
            rig.lab.setLoss(rig.lab.nsA(), LOSS_PERCENT);
            long t0 = System.nanoTime();
            CompletableFuture<Void> fromA = rig.sendAsync(rig.a, "A", 1, N);
            CompletableFuture<Void> fromB = rig.sendAsync(rig.b, "B", 1, N);
            fromA.get(EXCHANGE.toSeconds(), TimeUnit.SECONDS);
            fromB.get(EXCHANGE.toSeconds(), TimeUnit.SECONDS);
            rig.awaitAllDelivered(EXCHANGE);
            double seconds = (System.nanoTime() - t0) / 1e9;
            report("relayed", "%d + %d messages at %.0f%% loss in %.1f s: %.1f messages/s", N, N, LOSS_PERCENT,
                    seconds, 2 * N / seconds);
            rig.assertExactlyOnceInOrder(rig.a, "A", rig.b, Set.of(), Set.of(), false);
            rig.assertExactlyOnceInOrder(rig.b, "B", rig.a, Set.of(), Set.of(), false);
            rig.passed = true;
        }
    }

    /**
     * Two peers behind one NAT router that does not hairpin, default settings and no TURN server: the chat goes
     * direct over their LAN addresses (with host.candidates=PUBLIC_ONLY it could not connect at all).
     */
    @Test
    void chatBehindOneNatThatDoesNotHairpinGoesDirectWithoutTurn() throws Exception {
        try (Rig rig = new Rig(NetLab.Topology.SAMENAT,
                l -> List.of("stun.servers=" + l.env("STUN1") + "," + l.env("STUN2")))) {
            rig.connect("direct", false);
            int n = 20;
            CompletableFuture<Void> fromA = rig.sendAsync(rig.a, "A", 1, n);
            CompletableFuture<Void> fromB = rig.sendAsync(rig.b, "B", 1, n);
            fromA.get(EXCHANGE.toSeconds(), TimeUnit.SECONDS);
            fromB.get(EXCHANGE.toSeconds(), TimeUnit.SECONDS);
            rig.awaitAllDelivered(EXCHANGE);
            rig.assertExactlyOnceInOrder(rig.a, "A", rig.b, Set.of(), Set.of(), false);
            rig.assertExactlyOnceInOrder(rig.b, "B", rig.a, Set.of(), Set.of(), false);
            rig.passed = true;
        }
    }

    /**
     * A chat over IPv6: both peers on one dual-stack LAN (default settings, no TURN server), IPv4 between them
     * blocked, so the only path left is IPv6 (their server-reflexive IPv4 candidates need a hairpinning router,
     * which this one is not). A's code must carry its IPv6 host address; 20 messages each way arrive in order.
     */
    @Test
    void chatOverIpv6OnADualStackLan() throws Exception {
        try (Rig rig = new Rig(NetLab.Topology.LAN,
                l -> List.of("stun.servers=" + l.env("STUN1_6") + "," + l.env("STUN1")))) {
            rig.lab.isolateIpv4BetweenPeers();
            java.net.InetAddress a6 = rig.lab.address6A();
            rig.connect("direct", false, code -> {
                try {
                    assertTrue(org.securep2p.transport.ConnectionCode.parse(code).candidates().stream()
                            .anyMatch(c -> c.address().getAddress().equals(a6)), "A's IPv6 address in " + code);
                } catch (org.securep2p.transport.TransportException e) {
                    throw new AssertionError(e);
                }
            });
            int n = 20;
            CompletableFuture<Void> fromA = rig.sendAsync(rig.a, "A", 1, n);
            CompletableFuture<Void> fromB = rig.sendAsync(rig.b, "B", 1, n);
            fromA.get(EXCHANGE.toSeconds(), TimeUnit.SECONDS);
            fromB.get(EXCHANGE.toSeconds(), TimeUnit.SECONDS);
            rig.awaitAllDelivered(EXCHANGE);
            rig.assertExactlyOnceInOrder(rig.a, "A", rig.b, Set.of(), Set.of(), false);
            rig.assertExactlyOnceInOrder(rig.b, "B", rig.a, Set.of(), Set.of(), false);
            report("ipv6", "%d + %d messages over IPv6 on a dual-stack LAN, IPv4 between the peers blocked", n, n);
            rig.passed = true;
        }
    }

    /**
     * The direct path, with a crash: A is SIGKILLed (JVM and key-manager child) while both peers send, B keeps
     * sending into the dead connection, A restarts from its home, and the stored session resumes.
     */
    @Test
    void directExchangeAtTwentyPercentLossSurvivesSigkillAndResumes() throws Exception {
        try (Rig rig = new Rig(NetLab.Topology.DIRECT)) {
            com.fasterxml.jackson.databind.JsonNode stun = rig.a.call("stun", Map.of(), CONNECT);
            assertEquals("NONE/ENDPOINT_INDEPENDENT", stun.path("nat").asText(), "" + stun);
            assertTrue(stun.path("advice").asText().startsWith("One code is enough"), "advice: " + stun);
            assertFalse(stun.path("answer_needed").asBoolean(), "" + stun);
            rig.connect("direct", false);
            rig.lab.setLoss(rig.lab.nsA(), LOSS_PERCENT);
            int half = N_CRASH / 2;
            long t0 = System.nanoTime();
            CompletableFuture<Void> fromA = rig.sendAsync(rig.a, "A", 1, half);
            CompletableFuture<Void> fromB = rig.sendAsync(rig.b, "B", 1, half);

            // Mid-conversation: A has had about a quarter of its messages accepted, both are still sending.
            rig.a.awaitCondition(() -> rig.a.sentCount() >= half / 2, EXCHANGE, "half of A's first batch accepted");
            List<ProcessHandle> killed = rig.a.killHard();
            long killedAt = System.nanoTime();
            double before = (killedAt - t0) / 1e9;
            int lastAttemptedByA = rig.lastAttempted("A");
            Map<String, String> acceptedBeforeKill = rig.a.sentIds();
            int bGotBeforeKill = rig.b.receivedCount();
            int aGotBeforeKill = rig.a.receivedCount();
            report("direct", "SIGKILLed A's process group %s after %.1f s: A had %d sends accepted (%d written), "
                    + "B had received %d of them, A had received %d; %.1f messages/s received before the crash",
                    killed.stream().map(h -> h.pid() + "").toList(), before, acceptedBeforeKill.size(),
                    lastAttemptedByA, bGotBeforeKill, aGotBeforeKill, (bGotBeforeKill + aGotBeforeKill) / before);

            // A restarts from its home while B, still sending, has yet to notice.
            CompletableFuture<Void> restart = CompletableFuture.runAsync(() -> rig.a.start(START));
            rig.b.awaitEvent(e -> e.method().equals("disconnected"), rig.bConnectedMark, DEAD_PEER,
                    "disconnected after A was killed");
            double detect = (System.nanoTime() - killedAt) / 1e9;
            report("direct", "B saw disconnected %.1f s after the SIGKILL", detect);
            fromB.get(EXCHANGE.toSeconds(), TimeUnit.SECONDS);
            fromA.get(5, TimeUnit.SECONDS); // cut off by the kill: returns without waiting for answers
            restart.get(START.toSeconds(), TimeUnit.SECONDS);
            // B goes on writing while it is offline and while it reconnects, one message at a time, so that sends
            // fall into every stage of the reconnection (queued offline, during the set-up, on the new session).
            AtomicBoolean reconnecting = new AtomicBoolean(true);
            CompletableFuture<Void> restB = rig.sendAsync(rig.b, "B", half + 1, N_CRASH, reconnecting::get);

            // A new code (codes are single-use), a new ICE/TLS connection, the same ratchet session.
            long r0 = System.nanoTime();
            int bBefore = rig.b.sentCount();
            rig.connect("direct", true);
            reconnecting.set(false);
            report("direct", "reconnected and resumed in %.1f s (loss still on); B sent %d messages during it",
                    (System.nanoTime() - r0) / 1e9, rig.b.sentCount() - bBefore);

            long resumedAt = System.nanoTime();
            int receivedAtResume = rig.a.receivedCount() + rig.b.receivedCount();
            CompletableFuture<Void> restA = rig.sendAsync(rig.a, "A", lastAttemptedByA + 1, N_CRASH);
            restA.get(EXCHANGE.toSeconds(), TimeUnit.SECONDS);
            restB.get(EXCHANGE.toSeconds(), TimeUnit.SECONDS);
            rig.awaitAllDelivered(EXCHANGE);
            double total = (System.nanoTime() - t0) / 1e9;
            double after = (System.nanoTime() - resumedAt) / 1e9;
            report("direct", "after the resumption: %d messages received in %.1f s, %.1f messages/s (with the "
                    + "backlog queued during the outage)", rig.a.receivedCount() + rig.b.receivedCount()
                    - receivedAtResume, after, (rig.a.receivedCount() + rig.b.receivedCount() - receivedAtResume)
                    / after);
            int sentByA = rig.a.sentCount();
            int sentByB = rig.b.sentCount();
            report("direct", "%d (A) + %d (B) messages accepted, all delivered, %.1f s from the first send "
                    + "including the crash", sentByA, sentByB, total);

            // Messages A wrote but whose send was never answered before the kill may or may not have been
            // accepted; if one arrives it must still be in order and arrive once.
            Set<String> undecided = new HashSet<>();
            for (int i = 1; i <= lastAttemptedByA; i++) {
                String t = text("A", i);
                if (!acceptedBeforeKill.containsValue(t)) {
                    undecided.add(t);
                }
            }
            rig.assertExactlyOnceInOrder(rig.a, "A", rig.b, undecided, acceptedBeforeKill.keySet(), false);
            rig.assertExactlyOnceInOrder(rig.b, "B", rig.a, Set.of(), Set.of(), true);
            rig.passed = true;
        }
    }

    /** A lab and two peers in it; tears everything down, keeps the homes of a failed run for inspection. */
    static final class Rig implements AutoCloseable {
        final NetLab lab;
        final Path dir;
        final LabPeerProcess a;
        final LabPeerProcess b;
        boolean passed;
        int bConnectedMark;
        private final Map<String, Integer> attempted = new java.util.concurrent.ConcurrentHashMap<>();

        /** The settings each home gets, from the lab's env: STUN1, STUN2 and the TURN server by default. */
        private final java.util.function.Function<NetLab, List<String>> settings;

        Rig(NetLab.Topology topology) throws IOException {
            this(topology, l -> List.of("stun.servers=" + l.env("STUN1") + "," + l.env("STUN2"),
                    "turn.servers=" + l.env("TURN"), "turn.username=" + l.env("TURN_USER"),
                    "turn.password=" + l.env("TURN_PASSWORD")));
        }

        Rig(NetLab.Topology topology, java.util.function.Function<NetLab, List<String>> settings)
                throws IOException {
            this.settings = settings;
            long t = System.nanoTime();
            lab = NetLab.up(topology);
            try {
                dir = Files.createTempDirectory("headless-lab-" + lab.prefix() + "-");
                Path pass = dir.resolve("passphrase");
                Files.writeString(pass, "lab passphrase " + lab.prefix() + "\n", UTF_8);
                Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
                a = new LabPeerProcess(lab.nsA(), home("a"), "alice", jar, pass);
                b = new LabPeerProcess(lab.nsB(), home("b"), "bob", jar, pass);
                CompletableFuture<Void> sa = CompletableFuture.runAsync(() -> a.start(START));
                CompletableFuture<Void> sb = CompletableFuture.runAsync(() -> b.start(START));
                sa.join();
                sb.join();
            } catch (RuntimeException | IOException e) {
                lab.close();
                throw e;
            }
            report(topology.scriptName(), "%s up and both peers ready in %.1f s", lab, (System.nanoTime() - t) / 1e9);
        }

        private Path home(String which) throws IOException {
            Path home = Files.createDirectories(dir.resolve(which));
            Files.writeString(home.resolve("securep2p.conf"), String.join("\n", settings.apply(lab)) + "\n", UTF_8);
            return home;
        }

        /**
         * A waits, B connects with A's code; both must report {@code connected} over the expected path. A resumed
         * connection must say so on both sides and show no handshake.
         */
        void connect(String path, boolean resumed) {
            connect(path, resumed, code -> { });
        }

        /** As above; {@code offer} sees A's code first. */
        void connect(String path, boolean resumed, java.util.function.Consumer<String> offer) {
            int ma = a.mark();
            int mb = b.mark();
            com.fasterxml.jackson.databind.JsonNode waiting = a.call("wait", Map.of(), CONNECT);
            offer.accept(waiting.get("code").asText());
            b.call("connect", Map.of("code", waiting.get("code").asText()), CONNECT);
            if (waiting.path("answer_needed").asBoolean()) {
                // Behind NAT the waiting side needs the dialler's answer code (as a user would paste it).
                String answer = b.awaitEvent(e -> e.method().equals("answer_code"), mb, CONNECT, "answer_code")
                        .params().get("code").asText();
                a.call("accept_answer", Map.of("code", answer), CONNECT);
            }
            LabPeerProcess.Event cb = b.awaitEvent(e -> e.method().equals("connected") || e.method().equals("error"),
                    mb, CONNECT, "connected");
            LabPeerProcess.Event ca = a.awaitEvent(e -> e.method().equals("connected") || e.method().equals("error"),
                    ma, CONNECT, "connected");
            bConnectedMark = b.mark();
            for (LabPeerProcess.Event e : List.of(ca, cb)) {
                assertEquals("connected", e.method(), "connection failed: " + e.params());
                assertEquals(path, e.params().path("path").asText(), "path: " + e.params());
                assertEquals(resumed, e.params().path("resumed").asBoolean(), "resumed: " + e.params());
            }
            assertEquals(ca.params().path("safety_number").asText(), cb.params().path("safety_number").asText());
            for (LabPeerProcess p : List.of(a, b)) {
                List<String> stages = p.events(p == a ? ma : mb).stream().filter(e -> e.method().equals("progress"))
                        .map(e -> e.params().path("stage").asText()).toList();
                assertEquals(!resumed, stages.contains("handshake"), p.name() + "'s stages: " + stages);
                assertEquals(resumed, stages.contains("resume"), p.name() + "'s stages: " + stages);
            }
        }

        /**
         * Sends {@code prefix-from … prefix-to} from {@code p}, at most {@link #WINDOW} unanswered; stops quietly
         * when the peer's stdin breaks (it was killed).
         */
        CompletableFuture<Void> sendAsync(LabPeerProcess p, String prefix, int from, int to) {
            return sendAsync(p, prefix, from, to, () -> false);
        }

        /** As above; while {@code paced} holds, one message at a time. */
        CompletableFuture<Void> sendAsync(LabPeerProcess p, String prefix, int from, int to, BooleanSupplier paced) {
            return CompletableFuture.runAsync(() -> {
                List<Integer> ids = new ArrayList<>();
                for (int i = from; i <= to; i++) {
                    try {
                        int window = paced.getAsBoolean() ? 1 : WINDOW;
                        if (ids.size() >= window) {
                            p.awaitResponse(ids.get(ids.size() - window), EXCHANGE);
                        }
                        if (window == 1) {
                            LabPeerProcess.sleep(5); // paced: one message at a time, a little apart
                        }
                        ids.add(p.sendAsync(text(prefix, i)));
                    } catch (UncheckedIOException e) {
                        return; // killed
                    }
                    attempted.put(prefix, i);
                }
                try {
                    for (int id : ids) {
                        p.awaitResponse(id, EXCHANGE);
                    }
                } catch (UncheckedIOException e) {
                    // killed
                }
            });
        }

        int lastAttempted(String prefix) {
            return attempted.getOrDefault(prefix, 0);
        }

        /** Every accepted send on both sides received by the other and reported delivered. */
        void awaitAllDelivered(Duration timeout) {
            for (LabPeerProcess[] pair : List.of(new LabPeerProcess[] {a, b}, new LabPeerProcess[] {b, a})) {
                LabPeerProcess sender = pair[0];
                LabPeerProcess receiver = pair[1];
                Set<String> ids = sender.sentIds().keySet();
                try {
                    sender.awaitCondition(() -> new HashSet<>(sender.delivered()).containsAll(ids), timeout,
                            "delivery of all " + ids.size() + " messages");
                } catch (AssertionError e) {
                    Map<String, String> undelivered = sender.sentIds();
                    sender.delivered().forEach(undelivered::remove);
                    throw new AssertionError(e.getMessage() + "\nnot delivered: " + undelivered.values().stream()
                            .sorted().limit(20).toList(), e);
                }
                Set<String> texts = new HashSet<>(sender.sentIds().values());
                // Delivered means the receiver stored them: its history has every one. A message it stored just
                // before it was killed is there without being shown again (PROTOCOL.md 20.8).
                Set<String> notShown = new HashSet<>(texts);
                receiver.received().forEach(notShown::remove);
                if (!notShown.isEmpty()) {
                    List<String> kept = receiver.historyTexts(sender.fingerprint(), CONNECT);
                    texts.removeIf(t -> notShown.contains(t) && kept.contains(t));
                }
                try {
                    receiver.awaitCondition(() -> new HashSet<>(receiver.received()).containsAll(texts), timeout,
                            "receipt of all " + texts.size() + " messages from " + sender.name());
                } catch (AssertionError e) {
                    Set<String> missing = new java.util.TreeSet<>(texts);
                    receiver.received().forEach(missing::remove);
                    throw new AssertionError(e.getMessage() + "\nmissing: " + missing.stream().limit(20).toList(), e);
                }
            }
        }

        /**
         * What {@code receiver} got from {@code sender} is exactly the sender's accepted messages, each once, in
         * the order sent (plus, in place, any of {@code undecided}); every accepted id was reported delivered,
         * once, or more than once only if it was accepted before a crash.
         */
        void assertExactlyOnceInOrder(LabPeerProcess sender, String prefix, LabPeerProcess receiver,
                Set<String> undecided, Set<String> acceptedBeforeCrash, boolean receiverCrashed) {
            List<String> shown = receiver.received().stream().filter(t -> t.startsWith(prefix + "-")).toList();
            // Nothing is shown twice, not even by a receiver killed mid-stream (PROTOCOL.md 20.8): a message is
            // shown only by the history append that stored it first.
            assertEquals(new HashSet<>(shown).size(), shown.size(), receiver.name() + " showed duplicates: "
                    + duplicates(shown));
            List<String> got = shown;
            if (receiverCrashed) {
                // Killed between storing a message in its history and printing it, the receiver does not show it
                // again after the restart; its history is the record: everything must be there, in order, once,
                // and what was shown is part of it in the same order.
                got = receiver.historyTexts(sender.fingerprint(), CONNECT).stream()
                        .filter(t -> t.startsWith(prefix + "-")).toList();
                List<String> inHistory = got;
                List<String> shownInOrder = inHistory.stream().filter(shown::contains).toList();
                assertEquals(shown.stream().filter(inHistory::contains).toList(), shownInOrder,
                        receiver.name() + " showed messages in another order than its history holds");
                assertTrue(inHistory.containsAll(shown), receiver.name() + " showed messages its history lacks");
                report(prefix, "%s's history holds %d, %d of them shown (the rest stored just before its crash)",
                        receiver.name(), inHistory.size(), shown.size());
            }
            List<String> expected = sender.sentIds().values().stream()
                    .sorted(Comparator.comparingInt(HeadlessLabIT::number)).toList();
            List<String> gotKnown = got.stream().filter(t -> !undecided.contains(t)).toList();
            assertEquals(new HashSet<>(got).size(), got.size(), receiver.name() + " got duplicates: "
                    + duplicates(got));
            for (int i = 1; i < got.size(); i++) {
                assertTrue(number(got.get(i - 1)) < number(got.get(i)), receiver.name() + " got " + got.get(i - 1)
                        + " before " + got.get(i));
            }
            Set<String> missing = new HashSet<>(expected);
            gotKnown.forEach(missing::remove);
            assertTrue(missing.isEmpty(), receiver.name() + " never got " + missing.size() + ": " + missing.stream()
                    .sorted().limit(20).toList());
            assertEquals(expected, gotKnown, receiver.name() + " got other messages than " + sender.name() + " sent");
            List<String> delivered = sender.delivered();
            // "delivered" is announced before the acknowledgement is committed (PROTOCOL.md 20.6), so a SIGKILL in
            // between makes the restarted sender announce it again: repeats are allowed for messages accepted
            // before a crash (undecided or not), never otherwise; a missing announcement never.
            List<String> repeated = duplicates(delivered);
            assertTrue(acceptedBeforeCrash.containsAll(repeated), sender.name() + " reported a message delivered twice: "
                    + repeated);
            assertTrue(new HashSet<>(delivered).containsAll(sender.sentIds().keySet()), sender.name()
                    + " never reported some accepted messages delivered");
            assertEquals(List.of(), sender.errors(), sender.name() + "'s failed requests");
            long extra = (long) got.size() - gotKnown.size();
            report(prefix, "%s → %s: %d accepted, %d received exactly once in order (%d of them undecided at the "
                    + "crash), %d delivered", sender.name(), receiver.name(), expected.size(), got.size(), extra,
                    delivered.size());
        }

        @Override
        public void close() {
            try {
                a.close();
            } catch (RuntimeException e) {
                // best effort
            }
            try {
                b.close();
            } catch (RuntimeException e) {
                // best effort
            }
            if (!passed) {
                System.err.println("[HeadlessLabIT] " + lab + " failed; A: " + a.recentEvents(30) + "\nB: "
                        + b.recentEvents(30) + "\nhomes and logs kept in " + dir);
            }
            lab.close();
            if (passed) {
                deleteTree(dir);
            }
        }
    }

    static String text(String prefix, int i) {
        return String.format(Locale.ROOT, "%s-%04d", prefix, i);
    }

    static int number(String text) {
        return Integer.parseInt(text.substring(text.indexOf('-') + 1));
    }

    static List<String> duplicates(List<String> list) {
        Set<String> seen = new HashSet<>();
        return list.stream().filter(t -> !seen.add(t)).limit(20).toList();
    }

    static void report(String topic, String format, Object... args) {
        System.out.println("[HeadlessLabIT " + topic + "] " + String.format(Locale.ROOT, format, args));
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind
        }
    }
}
