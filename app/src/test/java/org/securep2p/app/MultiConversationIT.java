package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;

/**
 * Issue 16's acceptance: three real {@code --json} processes on loopback. A talks to B and C at once (200
 * messages interleaved each way on both conversations), is SIGKILLed mid-stream and restarted, and sends to B
 * while B is stopped. B and C wait on fixed ports ({@code --port}); A connects with {@code host:port}, so a
 * reconnection needs no new code: A's {@code host:port} link redials with backoff, B waits again on its port.
 */
class MultiConversationIT {

    private static final int MESSAGES = 200;
    /** Dead peers are noticed in seconds, not the default 45 s. */
    private static final String CONF = """
            host.candidates=LOOPBACK_ONLY
            stun.servers=127.0.0.1:9
            keepalive.interval.ms=500
            dead.peer.timeout.ms=3000
            """;

    @TempDir
    Path dir;

    private Path jar;
    private Map<String, String> env;

    private JsonPeer start(String name, Integer port) throws IOException {
        List<String> extra = port == null ? List.of() : List.of("--port", String.valueOf(port));
        return JsonPeer.start(jar, dir.resolve(name), name, CONF, env, extra.toArray(String[]::new));
    }

    private static int freePort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Polls what {@code p} has printed for a line matching {@code which}. */
    private static JsonNode seen(JsonPeer p, Predicate<JsonNode> which, long seconds) {
        return Await.value(() -> p.name + ": a line matching; last lines: " + p.tail(), Duration.ofSeconds(seconds),
                () -> p.seen.stream().filter(which).findFirst());
    }

    private static Predicate<JsonNode> event(String method, Predicate<JsonNode> params) {
        return n -> method.equals(n.path("method").asText(null)) && params.test(n.get("params"));
    }

    /** The texts of the messages {@code p} showed from {@code peer}, in order. */
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

    /** The texts in {@code p}'s stored history with {@code peer} that start with {@code prefix}, in order. */
    private static List<String> history(JsonPeer p, String peer, String prefix) {
        try {
            return p.result("history", Map.of("peer", peer, "limit", 1000), 30).findValuesAsText("text").stream()
                    .filter(t -> t.startsWith(prefix)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted asking " + p.name + " for its history", e);
        }
    }

    private static List<String> numbered(String prefix, int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(prefix + i);
        }
        return out;
    }

    private static void awaitCount(JsonPeer p, String peer, String prefix, int count) {
        Await.until(() -> p.name + ": " + count + " messages " + prefix + "* from " + peer + ", got "
                + received(p, peer, prefix), Duration.ofMinutes(2), () -> received(p, peer, prefix).size() >= count);
        // Exactly count: one shown twice would make more.
        assertThat(received(p, peer, prefix)).as(p.name + " from " + peer).hasSize(count);
    }

    /** Connects {@code a} to the waiter {@code w} on {@code port}; returns the waiter's fingerprint. */
    private static void connect(JsonPeer a, JsonPeer w, int port, String waiterFp, String aFp) throws Exception {
        w.result("wait", Map.of(), 30);
        String attempt = a.result("connect", Map.of("code", "127.0.0.1:" + port), 30).get("attempt").asText();
        seen(a, event("connected", p -> p.get("attempt").asText().equals(attempt)
                && p.get("peer").asText().equals(waiterFp)), 90);
        seen(w, event("connected", p -> p.get("peer").asText().equals(aFp)), 90);
    }

    @Test
    void aTalksToBAndCAtOnceSurvivesAKillAndQueuesForAStoppedPeer() throws Exception {
        jar = Path.of(System.getProperty("securep2p.jar", "target/securep2p-app.jar"));
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "multi conversation test passphrase");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        env = Map.of("SECUREP2P_PASSPHRASE_FILE", pass.toString(), "DBUS_SESSION_BUS_ADDRESS", "disabled:");
        int portB = freePort();
        int portC = freePort();
        JsonPeer a = start("alice", null);
        JsonPeer b = start("bob", portB);
        JsonPeer c = start("carol", portC);
        List<JsonPeer> running = new ArrayList<>(List.of(a, b, c));
        try {
            String fpA = seen(a, event("ready", p -> true), 120).get("params").get("fingerprint").asText();
            String fpB = seen(b, event("ready", p -> true), 120).get("params").get("fingerprint").asText();
            String fpC = seen(c, event("ready", p -> true), 120).get("params").get("fingerprint").asText();
            connect(a, b, portB, fpB, fpA);
            connect(a, c, portC, fpC, fpA);
            JsonNode list = a.result("conversations", Map.of(), 10);
            assertThat(list.findValuesAsText("name")).contains("bob", "carol");
            assertThat(list).filteredOn(n -> n.get("connected").asBoolean()).hasSize(2);

            // 1. 200 messages interleaved each way on both conversations, sent without waiting for answers.
            for (int i = 0; i < MESSAGES; i++) {
                a.call("send", Map.of("peer", "bob", "text", "ab" + i));
                a.call("send", Map.of("peer", fpC, "text", "ac" + i));
                b.call("send", Map.of("text", "ba" + i));
                c.call("send", Map.of("peer", fpA, "text", "ca" + i));
            }
            awaitCount(b, fpA, "ab", MESSAGES);
            awaitCount(c, fpA, "ac", MESSAGES);
            awaitCount(a, fpB, "ba", MESSAGES);
            awaitCount(a, fpC, "ca", MESSAGES);
            assertThat(received(b, fpA, "ab")).containsExactlyElementsOf(numbered("ab", 0, MESSAGES));
            assertThat(received(c, fpA, "ac")).containsExactlyElementsOf(numbered("ac", 0, MESSAGES));
            assertThat(received(a, fpB, "ba")).containsExactlyElementsOf(numbered("ba", 0, MESSAGES));
            assertThat(received(a, fpC, "ca")).containsExactlyElementsOf(numbered("ca", 0, MESSAGES));
            // Nothing crossed over: B got nothing meant for C and the other way round.
            assertThat(received(b, fpA, "ac")).isEmpty();
            assertThat(received(c, fpA, "ab")).isEmpty();

            // 2. A is SIGKILLed while both sides are sending.
            Map<Integer, String> pendingCalls = new LinkedHashMap<>();
            int kbSent = 0;
            for (int i = 0; i < 50; i++) {
                pendingCalls.put(a.call("send", Map.of("peer", "bob", "text", "k" + i)), "k" + i);
                b.call("send", Map.of("text", "kb" + i));
                kbSent++;
                if (i == 25) {
                    seen(a, n -> n.path("id").asInt() == pendingCalls.keySet().iterator().next(), 30);
                    List<ProcessHandle> children = a.process().descendants().toList();
                    a.process().destroyForcibly(); // SIGKILL
                    // Its key manager notices the parent is gone and exits; the restart must not race it.
                    for (ProcessHandle child : children) {
                        try {
                            child.onExit().get(30, TimeUnit.SECONDS);
                        } catch (java.util.concurrent.TimeoutException e) {
                            child.destroyForcibly();
                        }
                    }
                    break;
                }
            }
            a.process().waitFor(30, TimeUnit.SECONDS);
            running.remove(a);
            // What A had acknowledged (a send answered with an id) or shown (a message event) before it died.
            List<String> acknowledged = new ArrayList<>();
            for (Map.Entry<Integer, String> e : pendingCalls.entrySet()) {
                for (JsonNode n : a.seen) {
                    if (n.path("id").asInt(-1) == e.getKey() && n.has("result")) {
                        acknowledged.add(e.getValue());
                    }
                }
            }
            List<String> shown = received(a, fpB, "kb");
            assertThat(acknowledged).isNotEmpty();

            JsonPeer a2 = start("alice", null);
            running.add(a2);
            seen(a2, event("ready", p -> true), 120);
            JsonNode history = a2.result("history", Map.of("peer", "bob", "limit", 1000), 30);
            List<String> texts = history.findValuesAsText("text");
            // Every acknowledged send and every shown message is there, in the order it happened on A.
            inOrder(texts, acknowledged);
            inOrder(texts, shown);
            assertThat(texts).containsSubsequence(numbered("ab", 0, MESSAGES));
            assertThat(texts).containsSubsequence(numbered("ba", 0, MESSAGES));
            assertThat(texts).doesNotHaveDuplicates();
            for (JsonNode m : history) {
                String state = m.get("state").asText();
                if (m.get("direction").asText().equals("sent")) {
                    assertThat(state).isIn("sending", "delivered");
                } else {
                    assertThat(state).isEqualTo("received");
                }
            }
            assertThat(history).filteredOn(m -> m.get("text").asText().startsWith("ab"))
                    .allMatch(m -> m.get("state").asText().equals("delivered"));

            // B and C notice A is gone, and wait again; A connects to both again: the sessions resume.
            seen(b, event("disconnected", p -> p.get("peer").asText().equals(fpA)), 60);
            seen(c, event("disconnected", p -> p.get("peer").asText().equals(fpA)), 60);
            connect(a2, b, portB, fpB, fpA);
            connect(a2, c, portC, fpC, fpA);
            // What A stored before the kill reaches B once, in order; what B sent reaches A once, in order.
            Await.until(() -> "B shows every message A had acknowledged " + acknowledged + ", got "
                    + received(b, fpA, "k"), Duration.ofSeconds(60),
                    () -> received(b, fpA, "k").containsAll(acknowledged));
            List<String> bGot = received(b, fpA, "k").stream().filter(t -> !t.startsWith("kb")).toList();
            assertThat(bGot).doesNotHaveDuplicates();
            inOrder(bGot, acknowledged);
            assertThat(bGot).isSortedAccordingTo((x, y) -> Integer.compare(Integer.parseInt(x.substring(1)),
                    Integer.parseInt(y.substring(1))));
            // B's messages: each shown at most once across A's two lives, all of them in A's history in order
            // (one committed to the history just before the kill is in it without being shown again).
            List<String> kbExpected = numbered("kb", 0, kbSent);
            List<String> aHistory = Await.value(
                    () -> "A's history holds the " + kbExpected.size() + " messages kb* B sent", Duration.ofSeconds(60),
                    () -> Optional.of(history(a2, fpB, "kb")).filter(h -> h.size() >= kbExpected.size()));
            assertThat(aHistory).containsExactlyElementsOf(kbExpected);
            List<String> aShown = new ArrayList<>(received(a, fpB, "kb"));
            aShown.addAll(received(a2, fpB, "kb"));
            assertThat(aShown).doesNotHaveDuplicates();
            inOrder(kbExpected, aShown);

            // 3. B stops; A sends to B meanwhile (queued), B starts again and waits on its port; A's host:port
            // link redials it, the queued messages arrive once and in order, and A hears they were delivered.
            b.close();
            running.remove(b);
            seen(a2, event("disconnected", p -> p.get("peer").asText().equals(fpB)), 60);
            List<String> queuedIds = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                queuedIds.add(a2.result("send", Map.of("peer", "bob", "text", "offline" + i), 30).get("id").asText());
            }
            JsonPeer b2 = start("bob", portB);
            running.add(b2);
            seen(b2, event("ready", p -> true), 120);
            b2.result("wait", Map.of(), 30);
            seen(b2, event("connected", p -> p.get("peer").asText().equals(fpA)), 120);
            awaitCount(b2, fpA, "offline", 5);
            assertThat(received(b2, fpA, "offline")).containsExactlyElementsOf(numbered("offline", 0, 5));
            for (String id : queuedIds) {
                seen(a2, event("delivered", p -> p.get("id").asText().equals(id)
                        && p.get("peer").asText().equals(fpB)), 60);
            }
            JsonNode after = a2.result("history", Map.of("peer", fpB, "limit", 1000), 30);
            assertThat(after).filteredOn(m -> m.get("text").asText().startsWith("offline"))
                    .extracting(m -> m.get("state").asText()).containsOnly("delivered").hasSize(5);
            // Carol's conversation went on untouched through all of it.
            a2.call("send", Map.of("peer", "carol", "text", "still with you"));
            seen(c, event("message", p -> p.get("text").asText().equals("still with you")), 60);
        } finally {
            for (JsonPeer p : running) {
                p.close();
            }
        }
    }

    /** {@code part} appears in {@code all} in the same order (nothing to check when it is empty). */
    private static void inOrder(List<String> all, List<String> part) {
        if (!part.isEmpty()) {
            assertThat(all).containsSubsequence(part);
        }
    }
}
