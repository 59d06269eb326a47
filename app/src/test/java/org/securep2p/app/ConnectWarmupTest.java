package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.TransportConfig;

/**
 * The warm-up really runs the connection path: a throwaway loopback connection with TLS, a hybrid handshake and
 * a ratchet message each way, at every level. A warm-up that broke (and so warmed nothing) fails here instead
 * of only being logged at every start. Its rules are checked too: no STUN or TURN server, loopback candidates
 * only, nothing written to the user's home, the temporary folder or the working directory.
 */
class ConnectWarmupTest {

    @TempDir
    Path temp;

    @Test
    void runsAThrowawayConnectionAndHandshakeAtEveryLevelWritingNothing() throws Exception {
        Path home = Files.createDirectory(temp.resolve("home"));
        Path tmp = Files.createDirectory(temp.resolve("tmp"));
        Path workingDirectory = Path.of("").toAbsolutePath();
        Map<String, Long> before = snapshot(workingDirectory);
        String userHome = System.getProperty("user.home");
        String tmpDir = System.getProperty("java.io.tmpdir");
        System.setProperty("user.home", home.toString());
        System.setProperty("java.io.tmpdir", tmp.toString());
        try {
            ConnectWarmup warmup = new ConnectWarmup(new SecureRandom(), Clock.systemUTC());
            for (SecurityLevel level : SecurityLevel.values()) {
                assertThatCode(() -> warmup.run(level)).as("warm-up at %s", level).doesNotThrowAnyException();
            }
        } finally {
            System.setProperty("user.home", userHome);
            System.setProperty("java.io.tmpdir", tmpDir);
        }
        try (Stream<Path> written = Files.list(home)) {
            assertThat(written).as("written to user.home").isEmpty();
        }
        try (Stream<Path> written = Files.list(tmp)) {
            assertThat(written).as("written to java.io.tmpdir").isEmpty();
        }
        assertThat(snapshot(workingDirectory)).as("the working directory (but target/)").isEqualTo(before);
    }

    @Test
    void theWarmUpUsesNoServerAndLoopbackCandidatesOnly() throws Exception {
        TransportConfig config = ConnectWarmup.config();
        assertThat(config.stunServers()).isEmpty();
        assertThat(config.turnServers()).isEmpty();
        assertThat(config.hostCandidates()).isEqualTo(TransportConfig.HostCandidates.LOOPBACK_ONLY);
    }

    /** Every file under {@code dir} but the build's target/, with its modification time. */
    private static Map<String, Long> snapshot(Path dir) throws IOException {
        Map<String, Long> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path relative = dir.relativize(p);
                if (!relative.toString().isEmpty() && !relative.startsWith("target")) {
                    files.put(relative.toString(), Files.getLastModifiedTime(p).toMillis());
                }
            }
        }
        return files;
    }
}
