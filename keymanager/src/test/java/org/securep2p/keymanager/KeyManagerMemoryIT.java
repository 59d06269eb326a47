package org.securep2p.keymanager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A passphrase-protected key manager gives Argon2id's arena back after its start (PROTOCOL.md 18): the 128 MiB
 * the derivation needs stay neither committed nor, under mlockall, locked for the child's life. A behaviour
 * check, not a benchmark: the child's resident memory once it says the start's memory is released must be well
 * below the arena's size, at the first start (which creates the master key) and at a restart (which derives the
 * key again). Before the release, with memory locked, it was 400 MB (every mapped page faulted in) and then
 * ~220 MB (the arena's heap still committed).
 */
class KeyManagerMemoryIT {

    /** Argon2id's production arena (KdfParameters.DEFAULT_MEMORY_KIB). */
    private static final long ARENA_KIB = KdfParameters.DEFAULT_MEMORY_KIB;

    @TempDir
    Path temp;

    private final SecureRandom random = new SecureRandom();

    @Test
    void passphraseProtectedChildReleasesTheArgon2idArenaAfterItsStart() throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux"), "/proc is Linux");
        Path file = temp.resolve("passphrase");
        Files.writeString(file, "correct horse battery staple 4417\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = Map.of(PassphraseSource.PASSPHRASE_FILE_VARIABLE, file.toString(),
                "DBUS_SESSION_BUS_ADDRESS", "unix:path=" + temp.resolve("no-bus"));
        Path log = temp.resolve("keymanager.log");
        try (KeyManagerProcess p = KeyManagerProcess.start(temp.resolve("km"), temp.resolve("keys"), random, env,
                log)) {
            assertReleased(p, log, 1);
            p.restart();
            assertReleased(p, log, 2);
            // Still serving after its heap shrank.
            assertThat(p.client().identity()).isNotNull();
        }
    }

    private static void assertReleased(KeyManagerProcess p, Path log, int starts) throws Exception {
        List<String> lines = awaitLines(log, KeyManagerMain.MEMORY_RELEASED_PREFIX, starts);
        assertThat(String.join("\n", Files.readAllLines(log))).contains("keys protected by passphrase (Argon2id(m="
                + ARENA_KIB + " KiB");
        long rss = statusKb(p.pid(), "VmRSS");
        long hwm = statusKb(p.pid(), "VmHWM");
        long locked = statusKb(p.pid(), "VmLck");
        System.out.printf(Locale.ROOT, "KeyManagerMemoryIT: start %d: VmRSS %d kB, VmHWM %d kB, VmLck %d kB; %s%n",
                starts, rss, hwm, locked, lines.get(lines.size() - 1));
        // The peak shows the arena was really there, so the low figure after it means it was given back.
        assertThat(hwm).as("VmHWM: the derivation's arena was resident").isGreaterThan(ARENA_KIB);
        // Three quarters of the arena: a JVM that kept it would be above the arena's size on its own.
        assertThat(rss).as("VmRSS after the start: the arena (%d KiB) is released", ARENA_KIB)
                .isLessThan(ARENA_KIB * 3 / 4);
    }

    /** Waits (bounded) until {@code log} holds {@code count} lines starting with {@code prefix}; returns them. */
    private static List<String> awaitLines(Path log, String prefix, int count) {
        return Await.value(() -> "'" + prefix + "' line " + count + " in " + lines(log), Duration.ofSeconds(30),
                () -> Optional.of(lines(log).stream().filter(l -> l.startsWith(prefix)).toList())
                        .filter(found -> found.size() >= count));
    }

    private static List<String> lines(Path log) {
        try {
            return Files.readAllLines(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long statusKb(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
            }
        }
        throw new IOException(field + " not in /proc/" + pid + "/status");
    }
}
