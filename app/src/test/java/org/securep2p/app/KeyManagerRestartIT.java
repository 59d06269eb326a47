package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5's app wiring: when the key-manager child dies (SIGKILL), the app says so, restarts it with the same
 * identity (checked by SupervisedKeys), and the open chat session goes on.
 */
class KeyManagerRestartIT {

    @TempDir
    Path dir;

    @Test
    void aKilledKeyManagerIsReportedAndRestartedAndTheChatGoesOn() throws Exception {
        Path jar = Path.of(System.getProperty("securep2p.jar", "target/securep2p-app.jar"));
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "restart test passphrase");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = Map.of("SECUREP2P_PASSPHRASE_FILE", pass.toString(),
                "DBUS_SESSION_BUS_ADDRESS", "disabled:");
        int port;
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        // Bare host:port: no STUN server needed for this test.
        String conf = "host.candidates=LOOPBACK_ONLY\nstun.servers=127.0.0.1:9\n";
        try (JsonPeer alice = JsonPeer.start(jar, dir.resolve("alice"), "alice", conf, env, "--port",
                String.valueOf(port));
                JsonPeer bob = JsonPeer.start(jar, dir.resolve("bob"), "bob", conf, env)) {
            String aliceFp = alice.event("ready", 120).get("fingerprint").asText();
            bob.event("ready", 120);
            alice.result("wait", Map.of(), 30);
            bob.result("connect", Map.of("code", "127.0.0.1:" + port), 30);
            bob.event("connected", 60);
            alice.event("connected", 60);

            long child = keyManagerChild(alice.pid()).orElseThrow(() -> new AssertionError("no key-manager child"));
            new ProcessBuilder("kill", "-KILL", String.valueOf(child)).start().waitFor();
            JsonNode stopped = alice.event("notice", 30);
            assertThat(stopped.get("text").asText()).contains("key manager stopped");
            assertThat(alice.event("notice", 60).get("text").asText()).contains("running again");
            long restarted = keyManagerChild(alice.pid()).orElseThrow();
            assertThat(restarted).isNotEqualTo(child);

            // The session lives in the app: it goes on without the key manager's help.
            String id = alice.result("send", Map.of("text", "still here"), 30).get("id").asText();
            assertThat(bob.event("message", 30).get("text").asText()).isEqualTo("still here");
            assertThat(alice.event("delivered", 30).get("id").asText()).isEqualTo(id);
            assertThat(alice.result("identity", Map.of(), 10).get("fingerprint").asText()).isEqualTo(aliceFp);

            String security = Files.readString(alice.home.resolve("logs/security.log"));
            assertThat(security).contains("key manager").contains("restarted");
            assertThat(security).doesNotContain("still here");
        }
        // Neither the programs nor their key managers (first and restarted) wrote outside their homes. (A key
        // manager once took the app's logging configuration and made logs/ in its working directory.)
        try (var files = Files.list(JsonPeer.workingDirectoryOf(dir.resolve("alice")))) {
            assertThat(files).isEmpty();
        }
        try (var files = Files.list(JsonPeer.workingDirectoryOf(dir.resolve("bob")))) {
            assertThat(files).isEmpty();
        }
    }

    /** The key-manager JVM started by {@code parent}. */
    private static Optional<Long> keyManagerChild(long parent) throws IOException {
        return ProcessHandle.of(parent).flatMap(p -> p.children()
                .filter(c -> c.info().arguments().map(List::of).orElse(List.of()).stream()
                        .anyMatch(a -> a.endsWith("KeyManagerMain")))
                .map(ProcessHandle::pid).findFirst());
    }
}
