package org.securep2p.app;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.securep2p.crypto.testing.Await;
import org.securep2p.transport.testing.NetLab;

/**
 * Issue 18's acceptance (3): UDP between the peers blocked (the network lab's {@code block-udp}, iptables DROP)
 * and no TURN server, the chat goes on through the relay both ways. Real processes: the relay ({@code securep2p
 * relay}) in the lab's public namespace, reachable over TCP from both sides, and two {@code --json} peers, each
 * behind its own NAT router (the {@code eim} lab), started with {@code --relay <its address>}.
 *
 * <p>They meet once by code while UDP works (path {@code direct}) and introduce their inboxes inside the
 * ratchet (PROTOCOL.md §22.5); then A's network starts dropping every UDP datagram, which leaves no path
 * between them but the relay's wss (TCP). Both see the connection drop; then each sends {@link #N} messages:
 * every one arrives once and in order, its sender sees {@code relayed} and then {@code delivered} for it, and
 * both conversations show path {@code relay} (§22.8). Without the relay nothing would connect: a code exchanged
 * while UDP is blocked fails (ICE finds no path) within the connect timeout.
 *
 * <p>The peers' transport timers are shortened (keepalive 1 s, dead peer 5 s, connect 15 s) so the whole run,
 * lab included, stays around a minute. Needs root, iproute2, iptables, coturn (only as STUN server here),
 * util-linux' setsid and the packaged app (failsafe passes {@code securep2p.jar} and {@code securep2p.lab}).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RelayLabIT {

    /** Messages each peer sends through the relay. */
    static final int N = 10;
    /** The relay listens on the public namespace's first address (coturn's STUN address: UDP, no clash). */
    static final int RELAY_PORT = 443;

    static final Duration START = Duration.ofSeconds(60);
    static final Duration CONNECT = Duration.ofSeconds(60);
    /** Both sides know each other's inbox (MAILBOX sent and stored right after the session is confirmed). */
    static final Duration INTRODUCED = Duration.ofSeconds(30);
    /** dead.peer.timeout.ms below, with a margin for a loaded machine. */
    static final Duration DROP = Duration.ofSeconds(30);
    static final Duration EXCHANGE = Duration.ofSeconds(60);
    static final long CONNECT_TIMEOUT_MS = 15_000;
    /** A failed connect must end within its timeout; STUN (which gets no answer) and the set-up come first. */
    static final Duration CONNECT_FAILS_WITHIN = Duration.ofMillis(CONNECT_TIMEOUT_MS).plusSeconds(20);

    static final Pattern RELAY_ADDRESS = Pattern.compile("relay: (wss://\\S+/#[0-9a-f]{64})");

    static Path jar;

    @BeforeAll
    static void requirements() {
        NetLab.requireAvailable();
        jar = LabPeerProcess.packagedJar();
    }

    @Test
    void chatGoesThroughTheRelayBothWaysWhenUdpBetweenThePeersIsBlocked() throws Exception {
        long t0 = System.nanoTime();
        try (NetLab lab = NetLab.up(NetLab.Topology.EIM)) {
            Path dir = Files.createTempDirectory("relay-lab-" + lab.prefix() + "-");
            boolean passed = false;
            try (RelayProcess relay = RelayProcess.start(lab, dir.resolve("relay"));
                    Peers peers = Peers.start(lab, dir, relay.address())) {
                LabPeerProcess a = peers.a;
                LabPeerProcess b = peers.b;
                report("%s, relay %s and both peers ready in %.1f s", lab, relay.address(), since(t0));

                peers.connectByCode("direct");
                String fpA = a.fingerprint();
                String fpB = b.fingerprint();
                awaitConversation(a, fpB, c -> !c.path("relay").asText("").isEmpty(), INTRODUCED,
                        "B's inbox at the relay known to A");
                awaitConversation(b, fpA, c -> !c.path("relay").asText("").isEmpty(), INTRODUCED,
                        "A's inbox at the relay known to B");

                // The network blocks UDP: nothing of ICE, STUN or TURN passes; the relay's TCP does.
                int ma = a.mark();
                int mb = b.mark();
                lab.blockUdp(lab.nsA());
                long blocked = System.nanoTime();
                b.awaitEvent(e -> e.method().equals("disconnected"), mb, DROP, "disconnected after UDP was blocked");
                a.awaitEvent(e -> e.method().equals("disconnected"), ma, DROP, "disconnected after UDP was blocked");
                report("UDP blocked: both saw the connection drop after %.1f s", since(blocked));

                long c0 = System.nanoTime();
                CompletableFuture<List<String>> fromA = CompletableFuture.supplyAsync(() -> send(a, fpB, "A"));
                CompletableFuture<List<String>> fromB = CompletableFuture.supplyAsync(() -> send(b, fpA, "B"));
                List<String> idsA = fromA.get(EXCHANGE.toSeconds(), TimeUnit.SECONDS);
                List<String> idsB = fromB.get(EXCHANGE.toSeconds(), TimeUnit.SECONDS);
                assertRelayedAndDelivered(a, idsA);
                assertRelayedAndDelivered(b, idsB);
                assertReceivedOnceInOrder(b, "A");
                assertReceivedOnceInOrder(a, "B");
                report("%d + %d messages through the relay, each relayed and delivered, in %.1f s", N, N, since(c0));

                awaitConversation(a, fpB, c -> c.path("path").asText().equals("relay"), INTRODUCED,
                        "path relay in A's conversation with B");
                awaitConversation(b, fpA, c -> c.path("path").asText().equals("relay"), INTRODUCED,
                        "path relay in B's conversation with A");

                // Without the relay nothing would connect: a code exchanged now leads nowhere.
                long f0 = System.nanoTime();
                LabPeerProcess.Event failed = peers.connectByCodeFails();
                report("a connect with UDP blocked failed after %.1f s: %s", since(f0), failed.params());
                assertThat(failed.params().path("reason").asText())
                        .as("B's connect ends because ICE found no path").contains("(NO_ROUTE");
                assertThat(a.errors()).isEmpty();
                assertThat(b.errors()).isEmpty();
                passed = true;
                report("passed in %.1f s", since(t0));
            } finally {
                if (passed) {
                    deleteTree(dir);
                } else {
                    System.err.println("[RelayLabIT] kept the homes and the relay's data for inspection: " + dir);
                }
            }
        }
    }

    // ---- the steps -------------------------------------------------------------------------------------------

    /** Sends {@code prefix-1 … prefix-N} to {@code peer} one after another; returns the message ids. */
    private static List<String> send(LabPeerProcess p, String peer, String prefix) {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= N; i++) {
            JsonNode r = p.awaitResponse(p.request("send", Map.of("peer", peer, "text", text(prefix, i))), EXCHANGE);
            assertThat(r.has("result")).as("%s: send %d: %s", p.name(), i, r).isTrue();
            ids.add(r.get("result").get("id").asText());
        }
        return ids;
    }

    /** Every id was reported relayed exactly once, then delivered exactly once. */
    private static void assertRelayedAndDelivered(LabPeerProcess sender, List<String> ids) {
        sender.awaitCondition(() -> new HashSet<>(sender.relayed()).containsAll(ids), EXCHANGE,
                "relayed for all " + ids.size() + " messages");
        sender.awaitCondition(() -> new HashSet<>(sender.delivered()).containsAll(ids), EXCHANGE,
                "delivered for all " + ids.size() + " messages");
        List<String> relayed = sender.relayed().stream().filter(ids::contains).toList();
        List<String> delivered = sender.delivered().stream().filter(ids::contains).toList();
        assertThat(relayed).as("%s's relayed events", sender.name()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(delivered).as("%s's delivered events", sender.name()).containsExactlyInAnyOrderElementsOf(ids);
    }

    /** The receiver showed exactly {@code prefix-1 … prefix-N}, each once, in that order. */
    private static void assertReceivedOnceInOrder(LabPeerProcess receiver, String prefix) {
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= N; i++) {
            expected.add(text(prefix, i));
        }
        receiver.awaitCondition(() -> new HashSet<>(receiver.received()).containsAll(expected), EXCHANGE,
                "receipt of all " + N + " messages " + prefix + "-*");
        List<String> got = receiver.received().stream().filter(t -> t.startsWith(prefix + "-")).toList();
        assertThat(got).as("what %s showed from %s", receiver.name(), prefix).containsExactlyElementsOf(expected);
    }

    /** Waits until {@code p}'s {@code conversations} entry for {@code peer} satisfies {@code condition}. */
    private static void awaitConversation(LabPeerProcess p, String peer,
            java.util.function.Predicate<JsonNode> condition, Duration timeout, String what) {
        JsonNode[] last = new JsonNode[1];
        Await.until(() -> p.name() + ": " + what + "; conversations: " + last[0] + p.recentEvents(15), timeout,
                () -> {
                    last[0] = p.call("conversations", Map.of(), CONNECT);
                    return conversation(last[0], peer).filter(condition).isPresent();
                });
    }

    private static Optional<JsonNode> conversation(JsonNode list, String peer) {
        for (JsonNode c : list) {
            if (c.path("peer").asText().equals(peer)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    static String text(String prefix, int i) {
        return prefix + "-" + i;
    }

    private static double since(long t) {
        return (System.nanoTime() - t) / 1e9;
    }

    private static void report(String format, Object... args) {
        System.out.println("[RelayLabIT] " + String.format(java.util.Locale.ROOT, format, args));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    // ---- the processes -----------------------------------------------------------------------------------------

    /**
     * {@code securep2p relay} in the lab's public namespace, its stdout and stderr kept in {@code data}'s parent
     * ({@code relay.out}, {@code relay.err}); {@link #address()} is the address it printed.
     */
    static final class RelayProcess implements AutoCloseable {
        private final Process process;
        private final String address;

        private RelayProcess(Process process, String address) {
            this.process = process;
            this.address = address;
        }

        static RelayProcess start(NetLab lab, Path data) throws IOException {
            // The relay refuses a data folder other users may read (it holds the relay's key).
            Files.createDirectories(data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                    "rwx------")));
            String listen = lab.stun1().getAddress().getHostAddress() + ":" + RELAY_PORT;
            List<String> cmd = new ArrayList<>();
            cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(LabPeerProcess.JVM_OPTIONS);
            cmd.addAll(List.of("-jar", jar.toString(), "relay", "--listen", listen, "--data", data.toString()));
            Process p = lab.exec(lab.nsPublic(), cmd);
            Path out = data.resolveSibling("relay.out");
            Path err = data.resolveSibling("relay.err");
            CompletableFuture<String> printed = new CompletableFuture<>();
            pump(p.getInputStream(), out, printed);
            pump(p.getErrorStream(), err, printed); // wherever the address is printed
            try {
                String address = printed.get(START.toSeconds(), TimeUnit.SECONDS);
                assertThat(address).as("the relay's address").startsWith("wss://" + listen + "/#");
                return new RelayProcess(p, address);
            } catch (Exception e) {
                p.destroyForcibly();
                throw new AssertionError("the relay printed no address 'relay: wss://" + listen + "/#FP' within "
                        + START + "; stdout: " + read(out) + " stderr: " + read(err), e);
            }
        }

        /** Copies {@code in} to {@code file} line by line; completes {@code address} with the first address line. */
        private static void pump(InputStream in, Path file, CompletableFuture<String> address) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, UTF_8));
                        Writer w = Files.newBufferedWriter(file, UTF_8, StandardOpenOption.CREATE,
                                StandardOpenOption.APPEND)) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        w.write(line + "\n");
                        w.flush();
                        Matcher m = RELAY_ADDRESS.matcher(line);
                        if (m.find()) {
                            address.complete(m.group(1));
                        }
                    }
                } catch (IOException e) {
                    // the relay exited
                }
                address.completeExceptionally(new IOException("the relay's " + file.getFileName() + " ended"));
            }, "relay-output");
            t.setDaemon(true);
            t.start();
        }

        private static String read(Path file) {
            try {
                return Files.exists(file) ? Files.readString(file, UTF_8) : "";
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        }

        String address() {
            return address;
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    /** A in the lab's A namespace, B in B's, both with {@code --relay} and STUN but no TURN server. */
    static final class Peers implements AutoCloseable {
        final LabPeerProcess a;
        final LabPeerProcess b;

        private Peers(LabPeerProcess a, LabPeerProcess b) {
            this.a = a;
            this.b = b;
        }

        static Peers start(NetLab lab, Path dir, String relay) throws IOException {
            Path pass = dir.resolve("passphrase");
            Files.writeString(pass, "lab passphrase " + lab.prefix() + "\n", UTF_8);
            Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
            List<String> options = List.of("--relay", relay);
            Peers peers = new Peers(new LabPeerProcess(lab.nsA(), home(lab, dir, "a"), "alice", jar, pass, options),
                    new LabPeerProcess(lab.nsB(), home(lab, dir, "b"), "bob", jar, pass, options));
            try {
                CompletableFuture<Void> sa = CompletableFuture.runAsync(() -> peers.a.start(START));
                CompletableFuture<Void> sb = CompletableFuture.runAsync(() -> peers.b.start(START));
                sa.join();
                sb.join();
            } catch (RuntimeException e) {
                peers.close();
                throw e;
            }
            return peers;
        }

        /** STUN only (no TURN: nothing relays UDP), and short timers so the drop and a failed connect are quick. */
        private static Path home(NetLab lab, Path dir, String which) throws IOException {
            Path home = Files.createDirectories(dir.resolve(which));
            Files.writeString(home.resolve("securep2p.conf"), String.join("\n",
                    "stun.servers=" + lab.env("STUN1") + "," + lab.env("STUN2"),
                    "stun.timeout.ms=3000",
                    "keepalive.interval.ms=1000",
                    "dead.peer.timeout.ms=5000",
                    "connect.timeout.ms=" + CONNECT_TIMEOUT_MS) + "\n", UTF_8);
            return home;
        }

        /** A waits, B connects with A's code (A takes B's answer code when its code asks for one). */
        private int[] exchangeCodes() {
            int ma = a.mark();
            int mb = b.mark();
            JsonNode waiting = a.call("wait", Map.of(), CONNECT);
            b.call("connect", Map.of("code", waiting.get("code").asText()), CONNECT);
            if (waiting.path("answer_needed").asBoolean()) {
                String answer = b.awaitEvent(e -> e.method().equals("answer_code"), mb, CONNECT, "answer_code")
                        .params().get("code").asText();
                a.call("accept_answer", Map.of("code", answer), CONNECT);
            }
            return new int[] {ma, mb};
        }

        void connectByCode(String path) {
            int[] marks = exchangeCodes();
            LabPeerProcess.Event cb = b.awaitEvent(e -> e.method().equals("connected") || e.method().equals("error"),
                    marks[1], CONNECT, "connected");
            LabPeerProcess.Event ca = a.awaitEvent(e -> e.method().equals("connected") || e.method().equals("error"),
                    marks[0], CONNECT, "connected");
            for (LabPeerProcess.Event e : List.of(ca, cb)) {
                assertThat(e.method()).as("connection failed: %s", e.params()).isEqualTo("connected");
                assertThat(e.params().path("path").asText()).as("path: %s", e.params()).isEqualTo(path);
            }
        }

        /** Exchanges codes as {@link #connectByCode} does; B's attempt must end in an error, returned. */
        LabPeerProcess.Event connectByCodeFails() {
            int[] marks = exchangeCodes();
            LabPeerProcess.Event e = b.awaitEvent(ev -> ev.method().equals("connected") || ev.method().equals("error"),
                    marks[1], CONNECT_FAILS_WITHIN, "the end of the connect attempt");
            assertThat(e.method()).as("a connect with UDP blocked: %s", e.params()).isEqualTo("error");
            return e;
        }

        @Override
        public void close() {
            a.close();
            b.close();
        }
    }
}
