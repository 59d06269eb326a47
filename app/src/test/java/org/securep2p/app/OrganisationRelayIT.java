package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;

/**
 * Issue 19's acceptance with real processes on loopback: an organisation relay ({@code securep2p relay --trust})
 * for a lead's CA, three members (A, B, C) and an outsider of another CA, each a {@code --json} peer with the relay.
 * The outsider is refused in the TLS handshake (the relay logs why); the members see each other online in
 * {@code members}; A opens B by certified name, B accepts and they chat on path direct; C declines A's request and
 * A's wait ends naming C; C blocks A, and A's next request is dropped at C and logged; C, revoked by the lead, is
 * refused by the relay after the new list and no longer listed.
 *
 * <p>Then the relay turns malicious: the same key, data folder and port, but run as the relay test-jar's
 * {@code SubstitutingRelay}, the production relay server whose directory answers B's ENTRY with a part of another
 * member's entry. That is what its operator, or whoever holds its key and data, can do (§23.6): the members' pins
 * and the CA still hold, and only their own checks of an entry (§23.3) stand in the way. A's {@code open} of B is
 * refused with DIRECTORY_REFUSED naming the reason, for Charlie's bundle under B's certificate (check 3) and for
 * Alpha's certificate under B's listing (check 2); nothing reaches B and A's security log records each. The same
 * relay without the substitution lets A's request through to B (the control). Check 1 (a certificate our CA does
 * not accept) stays with {@code MemberEntryCheckTest}: this double changes the store, and the relay's own look-up
 * answers UNKNOWN_MEMBER for a certificate its CA refuses, so the entry never reaches the member.
 */
class OrganisationRelayIT {

    private static final Duration START = Duration.ofMinutes(3);
    private static final Duration STEP = Duration.ofSeconds(90);
    /** Below the relay's refill of 2 directory requests a second per member. */
    private static final Duration MEMBERS_PACE = Duration.ofMillis(600);

    @TempDir
    Path root;

    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : running) {
            c.close();
        }
    }

    /** The relay process and what it printed. */
    private static final class Relay implements AutoCloseable {
        final Process process;
        final String address;
        final List<String> output = new CopyOnWriteArrayList<>();

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
                printed.completeExceptionally(new AssertionError("the relay ended without its address: " + output));
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

    private static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private AttackPeers.Peer member(Path jar, Path passphraseFile, int stun, Path home, String name, Path caCert,
            String relay) throws IOException {
        AttackPeers.Peer p = new AttackPeers.Peer(jar, home, name, passphraseFile, stun, null, null,
                List.of("--trust", "ca:" + caCert, "--relay", relay));
        running.add(0, p);
        p.awaitEvent(0, "ready", START);
        return p;
    }

    /**
     * {@code check}, run at most once every {@link #MEMBERS_PACE}, false in between. A member may make 2 directory
     * requests a second with a burst of 20 ({@code RelayConnection.MEMBER_REQUESTS_PER_SECOND}). Polling
     * {@code members} at {@link Await}'s pace (every 50 ms) used the burst up during a long wait, and the relay then
     * refused the connection's next request (RATE_LIMITED), so the step after the wait failed.
     */
    private static BooleanSupplier paced(BooleanSupplier check) {
        long[] last = {System.nanoTime() - MEMBERS_PACE.toNanos()};
        return () -> {
            long now = System.nanoTime();
            if (now - last[0] < MEMBERS_PACE.toNanos()) {
                return false;
            }
            last[0] = now;
            return check.getAsBoolean();
        };
    }

    private static boolean listsOnline(AttackPeers.Peer p, String... names) {
        JsonNode list = p.call("members", Map.of()).path("result");
        List<String> online = new ArrayList<>();
        list.forEach(m -> {
            if (m.path("online").asBoolean()) {
                online.add(m.path("name").asText());
            }
        });
        return online.containsAll(List.of(names));
    }

    private static String relayLog(Path data) throws IOException {
        StringBuilder b = new StringBuilder();
        try (var files = Files.walk(data)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                b.append(Files.readString(f, StandardCharsets.UTF_8));
            }
        }
        return b.toString();
    }

    @Test
    void membersFindEachOtherByNameRequestAnswerAndBlockOutsidersAreRefused() throws Exception {
        Path jar = Path.of(System.getProperty("securep2p.jar", "target/securep2p-app.jar")).toAbsolutePath();
        assertThat(jar).as("the packaged jar (run after package)").exists();
        String passphrase = "orgrelay-" + HexFormat.of().formatHex(new byte[] {1, 2, 3, 4});
        Path passphraseFile = AttackPeers.passphraseFile(root.resolve("secret"), passphrase);
        AttackPeers.Stun stun = new AttackPeers.Stun(root.resolve("stun"));
        running.add(stun);
        OrganisationLab lab = new OrganisationLab(jar, passphraseFile, root.resolve("runs"));
        Path config = root.resolve("securep2p.conf");
        Files.writeString(config, "stun.servers=127.0.0.1:" + stun.port + "\nhost.candidates=LOOPBACK_ONLY\n");

        Path lead = root.resolve("lead");
        Path caCert = lab.newCa(lead, "Control");
        Path a = root.resolve("a");
        Path b = root.resolve("b");
        Path c = root.resolve("c");
        lab.firstStart(a, "alpha", caCert, config);
        lab.firstStart(b, "bravo", caCert, config);
        lab.firstStart(c, "charlie", caCert, config);
        lab.issue(lead, Map.of("Control-Alpha", a, "Control-Bravo", b, "Control-Charlie", c));
        Path otherLead = root.resolve("other-lead");
        Path otherCa = lab.newCa(otherLead, "Mallory Corp");
        Path m = root.resolve("mallory");
        lab.firstStart(m, "mallory", otherCa, config);
        lab.issue(otherLead, Map.of("Control-Bravo", m));

        Path data = root.resolve("relay-data");
        int port = freeTcpPort();
        ProcessBuilder rb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "relay", "--listen", "127.0.0.1:" + port, "--data", data.toString(),
                "--trust", "ca:" + caCert).directory(Files.createDirectories(root.resolve("relay-cwd")).toFile())
                .redirectErrorStream(true);
        Relay relay = new Relay(rb.start());
        running.add(relay);

        AttackPeers.Peer alpha = member(jar, passphraseFile, stun.port, a, "alpha", caCert, relay.address);
        AttackPeers.Peer bravo = member(jar, passphraseFile, stun.port, b, "bravo", caCert, relay.address);
        AttackPeers.Peer charlie = member(jar, passphraseFile, stun.port, c, "charlie", caCert, relay.address);
        // The outsider (another CA's certificate) is refused in the TLS handshake: the relay says so.
        AttackPeers.Peer mallory = member(jar, passphraseFile, stun.port, m, "mallory", otherCa, relay.address);
        Await.until(() -> "the relay logs the outsider's refusal", STEP, () -> {
            try {
                return relayLog(data).lines().anyMatch(l -> l.contains("refused") && l.contains("Mallory Corp"));
            } catch (IOException e) {
                return false;
            }
        });
        assertThat(mallory.call("members", Map.of()).has("error")).as(mallory.report()).isTrue();

        // Every member has published itself and is online.
        Await.until(() -> "alpha lists bravo and charlie online\n" + alpha.report(), STEP,
                paced(() -> listsOnline(alpha, "Control-Bravo", "Control-Charlie")));

        // A opens B by certified name; B accepts; they chat on a direct path.
        int am = alpha.mark();
        int bm = bravo.mark();
        JsonNode opened = alpha.ok("open", Map.of("name", "Control-Bravo"));
        assertThat(opened.path("status").asText()).isEqualTo("opening");
        JsonNode request = bravo.awaitEvent(bm, "chat_request", STEP);
        assertThat(request.path("params").path("name").asText()).isEqualTo("Control-Alpha");
        bravo.ok("accept_request", Map.of("id", request.path("params").path("id").asText()));
        JsonNode ca = alpha.awaitEvent(am, "connected", STEP);
        JsonNode cb = bravo.awaitEvent(bm, "connected", STEP);
        assertThat(ca.path("params").path("peer_id").asText()).isEqualTo("Control-Bravo");
        assertThat(cb.path("params").path("peer_id").asText()).isEqualTo("Control-Alpha");
        assertThat(ca.path("params").path("path").asText()).isEqualTo("direct");
        int bm2 = bravo.mark();
        alpha.ok("send", Map.of("peer", ca.path("params").path("peer").asText(), "text", "hello bravo by name"));
        bravo.awaitFrom(bm2, n -> "message".equals(n.path("method").asText())
                && "hello bravo by name".equals(n.path("params").path("text").asText()), STEP, "A's message");

        // C declines A's request: A's wait ends naming C.
        am = alpha.mark();
        int cm = charlie.mark();
        String attempt = alpha.ok("open", Map.of("name", "Control-Charlie")).path("attempt").asText();
        JsonNode toC = charlie.awaitEvent(cm, "chat_request", STEP);
        charlie.ok("decline_request", Map.of("id", toC.path("params").path("id").asText()));
        JsonNode declined = alpha.awaitFrom(am, n -> "error".equals(n.path("method").asText())
                && attempt.equals(n.path("params").path("attempt").asText()), STEP, "the decline");
        assertThat(declined.path("params").path("reason").asText()).contains("Control-Charlie declined");

        // C blocks A: A's next request is dropped at C and logged, never shown.
        charlie.ok("block", Map.of("name", "Control-Alpha"));
        cm = charlie.mark();
        alpha.ok("open", Map.of("name", "Control-Charlie"));
        Await.until(() -> "charlie logs the blocked request", STEP, () -> {
            Path log = c.resolve("logs/security.log");
            try {
                return Files.exists(log) && Files.readString(log).contains("dropped: blocked");
            } catch (IOException e) {
                return false;
            }
        });
        assertThat(charlie.events(cm, "chat_request")).isEmpty();

        // A revoked member: the lead revokes C; the relay loads the new ca.crl, closes C's connection and refuses
        // it from then on, and the directory no longer lists C.
        lab.ok(lead, "ca", "revoke", "Control-Charlie");
        Await.until(() -> "the relay refuses the revoked member", STEP, () -> {
            try {
                return relayLog(data).lines().anyMatch(l -> l.contains("refused") && l.contains("revoked")
                        && l.contains("Control-Charlie"));
            } catch (IOException e) {
                return false;
            }
        });
        Await.until(() -> "alpha no longer lists charlie\n" + alpha.report(), STEP,
                paced(() -> !alpha.call("members", Map.of()).path("result").toString().contains("Control-Charlie")));
        assertThat(relayLog(data)).doesNotContain("hello bravo by name");

        // The relay turns malicious (see the class comment). A ends its session with B first, so that an entry
        // that passed would send B a request, which the checks must prevent.
        alpha.ok("disconnect", Map.of("peer", ca.path("params").path("peer").asText()));
        running.remove(relay);
        relay.close();
        Path control = root.resolve("substitution");
        ProcessBuilder eb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.securep2p.relay.server.SubstitutingRelay",
                "127.0.0.1", Integer.toString(port), data.toString(), caCert.toString(), control.toString())
                .directory(root.resolve("relay-cwd").toFile()).redirectErrorStream(true);
        Relay evil = new Relay(eb.start());
        running.add(0, evil);
        assertThat(evil.address).as("the same relay key and port").isEqualTo(relay.address);
        Await.until(() -> "alpha lists bravo online again\n" + alpha.report(), STEP,
                paced(() -> listsOnline(alpha, "Control-Bravo")));

        refusedByName(alpha, bravo, a, control, "bundle Control-Bravo Control-Charlie",
                "the directory's prekey bundle for Control-Bravo is not signed by Control-Bravo's certified identity");
        refusedByName(alpha, bravo, a, control, "certificate Control-Bravo Control-Alpha",
                "the directory's certificate for \"Control-Bravo\" is for \"Control-Alpha\"");

        // The control: without the substitution the same relay's entry passes and B gets A's request.
        Files.delete(control);
        bm = bravo.mark();
        assertThat(alpha.ok("open", Map.of("name", "Control-Bravo")).path("status").asText()).isEqualTo("opening");
        JsonNode honest = bravo.awaitEvent(bm, "chat_request", STEP);
        assertThat(honest.path("params").path("name").asText()).isEqualTo("Control-Alpha");
    }

    /**
     * With {@code substitution} in force at the relay, A's {@code open} of B fails with DIRECTORY_REFUSED and
     * {@code reason}, A's security log records it, and nothing reaches B: no chat request, no session.
     */
    private static void refusedByName(AttackPeers.Peer alpha, AttackPeers.Peer bravo, Path alphaHome, Path control,
            String substitution, String reason) throws IOException {
        Path next = control.resolveSibling(control.getFileName() + ".next");
        Files.writeString(next, substitution, StandardCharsets.UTF_8);
        Files.move(next, control, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        int am = alpha.mark();
        int bm = bravo.mark();
        JsonNode r = alpha.call("open", Map.of("name", "Control-Bravo"));
        String sentence = Character.toUpperCase(reason.charAt(0)) + reason.substring(1) + ".";
        assertThat(r.path("error").path("data").path("reason").asText()).as(r.toString())
                .isEqualTo("DIRECTORY_REFUSED");
        assertThat(r.path("error").path("message").asText()).as(r.toString()).endsWith(" " + sentence);
        Path log = alphaHome.resolve("logs/security.log");
        Await.until(() -> "alpha's security log records the refusal\n" + alpha.report(), STEP, () -> {
            try {
                return Files.readString(log, StandardCharsets.UTF_8).lines()
                        .anyMatch(l -> l.contains("directory entry for Control-Bravo refused: " + sentence));
            } catch (IOException e) {
                return false;
            }
        });
        assertThat(bravo.events(bm, "chat_request")).as(bravo.report()).isEmpty();
        assertThat(bravo.events(bm, "connected")).isEmpty();
        assertThat(alpha.events(am, "connected")).isEmpty();
    }
}
