package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;

/**
 * Issue 18's acceptance with real processes on loopback: a relay ({@code securep2p relay}) and two {@code --json}
 * peers. (1) A and B meet once by code; B stops; A sends 20 messages; B starts again and receives all 20 from the
 * relay, once each and in order, with no code; A hears each is delivered. (4) The relay is SIGKILLed while A posts
 * and started again on the same data: every message it had acknowledged reaches B, none twice. (5) The relay's
 * data folder and output hold no fingerprint, name or text of either user. (2) Both online, known to each other, no
 * code: A opens B and a direct path is set up through the rendezvous (path {@code direct}, session resumed). And
 * a joiner without a relay of its own receives through the one the inviter's code named.
 */
class RelayIT {

    private static final String CONF = """
            host.candidates=LOOPBACK_ONLY
            stun.servers=127.0.0.1:9
            keepalive.interval.ms=500
            dead.peer.timeout.ms=3000
            """;
    private static final String NAME_A = "alicerelayuser";
    private static final String NAME_B = "bobrelayuser";

    @TempDir
    Path dir;

    private Path jar;
    private Map<String, String> env;

    /** A relay process and what it printed. */
    private static final class Relay implements AutoCloseable {
        final Process process;
        final String address;
        final List<String> output = new java.util.concurrent.CopyOnWriteArrayList<>();

        Relay(Process process) throws Exception {
            this.process = process;
            CompletableFuture<String> printed = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        output.add(line);
                        if (line.startsWith("relay: wss://")) {
                            printed.complete(line.substring("relay: ".length()).trim());
                        }
                    }
                } catch (IOException e) {
                    // The process ended.
                }
                printed.completeExceptionally(new AssertionError("the relay ended without printing its address: "
                        + output));
            }, "relay-output");
            t.setDaemon(true);
            t.start();
            this.address = printed.get(60, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private Relay startRelay(Path data, int port) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                jar.toAbsolutePath().toString(), "relay", "--listen", "127.0.0.1:" + port, "--data", data.toString());
        Path cwd = Files.createDirectories(dir.resolve("relay-cwd"));
        ProcessBuilder b = new ProcessBuilder(cmd).directory(cwd.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("relay-stderr.txt").toFile()));
        return new Relay(b.start());
    }

    private JsonPeer start(String name, String relay) throws IOException {
        return JsonPeer.start(jar, dir.resolve(name), name, CONF, env, "--relay", relay);
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static JsonNode seen(JsonPeer p, Predicate<JsonNode> which, long seconds) {
        return Await.value(() -> p.name + ": a line matching; last lines: " + p.tail(), Duration.ofSeconds(seconds),
                () -> p.seen.stream().filter(which).findFirst());
    }

    private static Predicate<JsonNode> event(String method, Predicate<JsonNode> params) {
        return n -> method.equals(n.path("method").asText(null)) && params.test(n.get("params"));
    }

    private static List<String> received(JsonPeer p, String peer, String prefix) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : p.seen) {
            if ("message".equals(n.path("method").asText(null)) && peer.equals(n.get("params").get("peer").asText())
                    && n.get("params").get("text").asText().startsWith(prefix)) {
                out.add(n.get("params").get("text").asText());
            }
        }
        return out;
    }

    private static long count(JsonPeer p, String method, Predicate<JsonNode> params) {
        return p.seen.stream().filter(event(method, params)).count();
    }

    private static List<String> numbered(String prefix, int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(prefix + i);
        }
        return out;
    }

    @Test
    void offlineDeliveryThroughTheRelaySurvivesARelayKillAndLeavesNothingReadable() throws Exception {
        jar = Path.of(System.getProperty("securep2p.jar", "target/securep2p-app.jar"));
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "relay test passphrase");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        env = Map.of("SECUREP2P_PASSPHRASE_FILE", pass.toString(), "DBUS_SESSION_BUS_ADDRESS", "disabled:");
        Path data = dir.resolve("relay-data");
        int relayPort = freeTcpPort();
        Relay relay = startRelay(data, relayPort);
        List<AutoCloseable> running = new ArrayList<>(List.of(relay));
        try {
            JsonPeer a = start(NAME_A, relay.address);
            running.add(a);
            JsonPeer b = start(NAME_B, relay.address);
            running.add(b);
            String fpA = seen(a, event("ready", p -> true), 120).get("params").get("fingerprint").asText();
            String fpB = seen(b, event("ready", p -> true), 120).get("params").get("fingerprint").asText();

            // They meet once, by code.
            String code = b.result("wait", Map.of(), 30).get("code").asText();
            a.result("connect", Map.of("code", code), 30);
            seen(a, event("connected", p -> p.get("peer").asText().equals(fpB)), 90);
            seen(b, event("connected", p -> p.get("peer").asText().equals(fpA)), 90);
            // Each has introduced its inbox to the other inside the ratchet.
            Await.until(() -> "A knows B's relay: " + a.tail(), Duration.ofSeconds(60), () -> relayOf(a, fpB));
            Await.until(() -> "B knows A's relay: " + b.tail(), Duration.ofSeconds(60), () -> relayOf(b, fpA));

            // (1) B stops; A sends 20; each is relayed (committed by the relay).
            b.close();
            running.remove(b);
            seen(a, event("disconnected", p -> p.get("peer").asText().equals(fpB)), 60);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                ids.add(a.result("send", Map.of("peer", fpB, "text", "offline-secret-" + i), 30).get("id").asText());
            }
            for (String id : ids) {
                seen(a, event("relayed", p -> p.get("id").asText().equals(id)), 60);
            }
            // B starts later: no wait, no code; it receives all 20 from the relay, once each, in order.
            JsonPeer b2 = start(NAME_B, relay.address);
            running.add(b2);
            seen(b2, event("ready", p -> true), 120);
            Await.until(() -> "B receives 20 messages, got " + received(b2, fpA, "offline-secret-"),
                    Duration.ofSeconds(90), () -> received(b2, fpA, "offline-secret-").size() >= 20);
            assertThat(received(b2, fpA, "offline-secret-")).containsExactlyElementsOf(
                    numbered("offline-secret-", 0, 20));
            for (String id : ids) {
                seen(a, event("delivered", p -> p.get("id").asText().equals(id)), 60);
            }
            // B's client may open A by itself once its relay is connected (PROTOCOL.md §22.7): a direct session
            // can follow, and the ratchet still shows each message once.

            // (4) B stops again; A posts 30 while the relay is SIGKILLed and restarted on the same data.
            b2.close();
            running.remove(b2);
            List<String> killIds = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                killIds.add(a.result("send", Map.of("peer", fpB, "text", "kill-secret-" + i), 30).get("id")
                        .asText());
                if (i == 10) {
                    seen(a, event("relayed", p -> p.get("id").asText().equals(killIds.get(0))), 60);
                    relay.process.destroyForcibly(); // SIGKILL
                    relay.process.waitFor(30, TimeUnit.SECONDS);
                    running.remove(relay);
                }
            }
            List<String> relayedBeforeRestart = killIds.stream()
                    .filter(id -> count(a, "relayed", p -> p.get("id").asText().equals(id)) > 0).toList();
            assertThat(relayedBeforeRestart).isNotEmpty();
            relay = startRelay(data, relayPort);
            running.add(relay);
            for (String id : killIds) {
                seen(a, event("relayed", p -> p.get("id").asText().equals(id)), 120);
            }
            JsonPeer b3 = start(NAME_B, relay.address);
            running.add(b3);
            Await.until(() -> "B receives the 30 posted around the kill, got " + received(b3, fpA, "kill-secret-"),
                    Duration.ofSeconds(90), () -> received(b3, fpA, "kill-secret-").size() >= 30);
            assertThat(received(b3, fpA, "kill-secret-")).containsExactlyElementsOf(numbered("kill-secret-", 0, 30));
            for (String id : killIds) {
                seen(a, event("delivered", p -> p.get("id").asText().equals(id)), 60);
            }

            // (5) Nothing of either user in the relay's files or output.
            relay.close();
            running.remove(relay);
            List<String> secrets = new ArrayList<>(List.of(NAME_A, NAME_B, "offline-secret-", "kill-secret-"));
            for (String fp : List.of(fpA, fpB)) {
                secrets.add(fp);
                String compact = fp.replace(" ", "");
                secrets.add(compact);
                secrets.add(compact.toLowerCase(java.util.Locale.ROOT));
            }
            List<Path> files;
            try (Stream<Path> s = Files.walk(data)) {
                files = new ArrayList<>(s.filter(Files::isRegularFile).toList());
            }
            files.add(dir.resolve("relay-stderr.txt"));
            assertThat(files).as("the relay stored something").anyMatch(f -> f.getFileName().toString()
                    .startsWith("relay.db"));
            for (Path f : files) {
                if (!Files.exists(f)) {
                    continue;
                }
                String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                for (String s : secrets) {
                    assertThat(content).as(f + " contains " + s).doesNotContain(s);
                    if (s.matches("[0-9A-F]{64}")) {
                        String asBytes = new String(HexFormat.of().parseHex(s), StandardCharsets.ISO_8859_1);
                        assertThat(content).as(f + " contains a fingerprint's bytes").doesNotContain(asBytes);
                    }
                }
            }
            for (String line : relay.output) {
                for (String s : secrets) {
                    assertThat(line).doesNotContain(s);
                }
            }
        } finally {
            for (AutoCloseable c : running) {
                c.close();
            }
        }
    }

    @Test
    void aKnownContactOnlineIsOpenedWithoutACodeAndTheSessionResumesDirectly() throws Exception {
        jar = Path.of(System.getProperty("securep2p.jar", "target/securep2p-app.jar"));
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "relay test passphrase");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        env = Map.of("SECUREP2P_PASSPHRASE_FILE", pass.toString(), "DBUS_SESSION_BUS_ADDRESS", "disabled:");
        Relay relay = startRelay(dir.resolve("relay-data"), freeTcpPort());
        List<AutoCloseable> running = new ArrayList<>(List.of(relay));
        try {
            JsonPeer a = start(NAME_A, relay.address);
            running.add(a);
            JsonPeer b = start(NAME_B, relay.address);
            running.add(b);
            String fpA = seen(a, event("ready", p -> true), 120).get("params").get("fingerprint").asText();
            String fpB = seen(b, event("ready", p -> true), 120).get("params").get("fingerprint").asText();
            String code = b.result("wait", Map.of(), 30).get("code").asText();
            a.result("connect", Map.of("code", code), 30);
            seen(a, event("connected", p -> p.get("peer").asText().equals(fpB)), 90);
            seen(b, event("connected", p -> p.get("peer").asText().equals(fpA)), 90);
            Await.until(() -> "A knows B's relay: " + a.tail(), Duration.ofSeconds(60), () -> relayOf(a, fpB));
            Await.until(() -> "B knows A's relay: " + b.tail(), Duration.ofSeconds(60), () -> relayOf(b, fpA));

            // They part; both stay online.
            a.result("disconnect", Map.of("peer", fpB), 30);
            seen(b, event("disconnected", p -> p.get("peer").asText().equals(fpA)), 60);

            // A opens B: no code is exchanged by anybody.
            JsonNode opened = a.result("open", Map.of("peer", fpB), 30);
            assertThat(opened.get("status").asText()).isEqualTo("opening");
            String attempt = opened.get("attempt").asText();
            JsonNode connected = seen(a, event("connected", p -> p.get("attempt").asText().equals(attempt)), 90)
                    .get("params");
            assertThat(connected.get("peer").asText()).isEqualTo(fpB);
            assertThat(connected.get("path").asText()).isEqualTo("direct");
            assertThat(connected.get("resumed").asBoolean()).isTrue();
            JsonNode onB = seen(b, event("connected", p -> p.get("peer").asText().equals(fpA)
                    && p.get("resumed").asBoolean()), 90).get("params");
            assertThat(onB.get("path").asText()).isEqualTo("direct");

            // The resumed session carries messages both ways, and opening again does nothing.
            String id = a.result("send", Map.of("peer", fpB, "text", "rendezvous-secret"), 30).get("id").asText();
            seen(b, event("message", p -> p.get("id").asText().equals(id)), 60);
            seen(a, event("delivered", p -> p.get("id").asText().equals(id)), 60);
            assertThat(a.result("open", Map.of("peer", fpB), 30).get("status").asText()).isEqualTo("connected");
        } finally {
            for (AutoCloseable c : running) {
                c.close();
            }
        }
    }

    /**
     * Only the inviter runs with {@code --relay}: its code names that relay (PROTOCOL.md §11.4), the joiner keeps its
     * inbox for the inviter there (§22.5), so what the inviter sends while the joiner is away reaches the joiner,
     * started again still without {@code --relay}, from that relay; and the joiner's messages reach the inviter's
     * inbox as before.
     */
    @Test
    void aJoinerWithoutARelayReceivesWhileAwayThroughTheRelayTheInvitersCodeNamed() throws Exception {
        jar = Path.of(System.getProperty("securep2p.jar", "target/securep2p-app.jar"));
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "relay test passphrase");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        env = Map.of("SECUREP2P_PASSPHRASE_FILE", pass.toString(), "DBUS_SESSION_BUS_ADDRESS", "disabled:");
        Relay relay = startRelay(dir.resolve("relay-data"), freeTcpPort());
        List<AutoCloseable> running = new ArrayList<>(List.of(relay));
        try {
            JsonPeer a = start(NAME_A, relay.address);
            running.add(a);
            JsonPeer b = JsonPeer.start(jar, dir.resolve(NAME_B), NAME_B, CONF, env);
            running.add(b);
            String fpA = seen(a, event("ready", p -> true), 120).get("params").get("fingerprint").asText();
            String fpB = seen(b, event("ready", p -> true), 120).get("params").get("fingerprint").asText();

            // A invites: its code names its relay; B, with none of its own, connects with it.
            String code = a.result("wait", Map.of(), 30).get("code").asText();
            assertThat(code).startsWith("sp2p2o-");
            b.result("connect", Map.of("code", code), 30);
            seen(a, event("connected", p -> p.get("peer").asText().equals(fpB)), 90);
            seen(b, event("connected", p -> p.get("peer").asText().equals(fpA)), 90);
            // B introduced an inbox on A's relay: A has somewhere to post to.
            Await.until(() -> "A knows B's inbox: " + a.tail(), Duration.ofSeconds(60), () -> relayOf(a, fpB));
            Await.until(() -> "B knows A's inbox: " + b.tail(), Duration.ofSeconds(60), () -> relayOf(b, fpA));

            // B goes away; A writes; the relay commits each message.
            b.close();
            running.remove(b);
            seen(a, event("disconnected", p -> p.get("peer").asText().equals(fpB)), 60);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ids.add(a.result("send", Map.of("peer", fpB, "text", "adopted-" + i), 30).get("id").asText());
            }
            for (String id : ids) {
                seen(a, event("relayed", p -> p.get("id").asText().equals(id)), 60);
            }

            // B comes back, still without --relay, no code: it takes the five from the relay A's code named.
            JsonPeer b2 = JsonPeer.start(jar, dir.resolve(NAME_B), NAME_B, CONF, env);
            running.add(b2);
            seen(b2, event("ready", p -> true), 120);
            Await.until(() -> "B receives 5 messages, got " + received(b2, fpA, "adopted-"),
                    Duration.ofSeconds(90), () -> received(b2, fpA, "adopted-").size() >= 5);
            assertThat(received(b2, fpA, "adopted-")).containsExactlyElementsOf(numbered("adopted-", 0, 5));
            for (String id : ids) {
                seen(a, event("delivered", p -> p.get("id").asText().equals(id)), 60);
            }
        } finally {
            for (AutoCloseable c : running) {
                c.close();
            }
        }
    }

    /** Whether {@code p}'s conversation list names a relay for {@code peer}. */
    private static boolean relayOf(JsonPeer p, String peer) {
        try {
            for (JsonNode c : p.result("conversations", Map.of(), 30)) {
                if (c.path("peer").asText().equals(peer) && !c.path("relay").asText("").isEmpty()) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
