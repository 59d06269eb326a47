package org.securep2p.app.history;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Random;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;

/** Keys, fingerprints and ids for the history tests; the seed is printed so a failure can be replayed. */
final class HistoryTesting {

    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);

    static {
        // One private folder for SQLite's native library for the whole test JVM: left to the first store, it
        // would be that test's @TempDir, deleted after it (and when that store refused its file before loading
        // SQLite, every later test failed to load it). The tests of the folder itself clear and restore this.
        if (System.getProperty(SqliteHistoryStore.TMPDIR_PROPERTY) == null) {
            try {
                Path folder = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "sqlite-native",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                System.setProperty(SqliteHistoryStore.TMPDIR_PROPERTY, folder.toAbsolutePath().toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final Random random;

    HistoryTesting(String test) {
        long seed = new SecureRandom().nextLong();
        System.out.println(test + ": history test seed " + seed);
        this.random = new Random(seed);
    }

    SecretBytes key() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return SecretBytes.copyOf(b);
    }

    Fingerprint fingerprint() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        try {
            return Fingerprint.fromBytes(b);
        } catch (CryptoException e) {
            throw new AssertionError(e);
        }
    }

    /** A chat-protocol message id: 16 random bytes in lower-case hex. */
    String id() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static SqliteHistoryStore open(Path file, SecretBytes key, Retention retention) {
        return SqliteHistoryStore.open(file, key, retention, new SecureRandom(), CLOCK);
    }

    static SqliteHistoryStore open(Path file, SecretBytes key, Retention retention, Clock clock) {
        return SqliteHistoryStore.open(file, key, retention, new SecureRandom(), clock);
    }
}
