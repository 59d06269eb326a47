package org.securep2p.keymanager;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * {@link KeyringMasterKeyStore} against a real Secret Service: each case starts a private D-Bus session
 * ({@code dbus-run-session}) with its own gnome-keyring-daemon, HOME, XDG_DATA_HOME and XDG_RUNTIME_DIR under
 * a temp directory, and runs {@link KeyringProbe} in a child JVM inside it. The probe prints a SHA-256 of the
 * master key, never the key. Needs the Debian packages gnome-keyring, dbus and dbus-x11; without them the
 * test fails, unless {@code -Dsecurep2p.keyring.skip=true}.
 */
class KeyringMasterKeyStoreIT {

    private static final long CHILD_TIMEOUT_SECONDS = 60;
    private static final String KEYRING_PASSWORD = "it-login-password";

    @TempDir
    Path temp;

    private Path keys;

    /** Per test rather than in {@code @BeforeAll}: failsafe counts a class-level assumption as a failure. */
    private static void requireTools() {
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("dbus-run-session", "gnome-keyring-daemon")) {
            if (!onPath(tool)) {
                missing.add(tool);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String message = "missing " + missing + ": install the Debian packages gnome-keyring, dbus and dbus-x11 "
                + "(as ./test does), or skip with -Dsecurep2p.keyring.skip=true";
        assumeFalse(Boolean.getBoolean("securep2p.keyring.skip"), message);
        fail(message);
    }

    @BeforeEach
    void setUp() throws IOException {
        requireTools();
        for (String d : List.of("home", "data", "run")) {
            Files.createDirectories(temp.resolve(d));
        }
        Files.setPosixFilePermissions(temp.resolve("run"), KeyDirectory.DIRECTORY_PERMISSIONS);
        keys = temp.resolve("keys");
    }

    @AfterEach
    void nothingLeftRunning() throws Exception {
        // dbus-run-session ends dbus-daemon when its child exits, and gnome-keyring-daemon leaves with its bus.
        // Check that, and end (by pid) only processes whose environment points at this test's temp dir.
        try {
            Await.until(() -> "the end of this test's processes; left behind: " + ourProcesses(),
                    Duration.ofSeconds(10), () -> ourProcesses().isEmpty());
        } finally {
            ourProcesses().forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void createsTheMasterKeyAndReadsTheSameKeyBackInALaterSession() throws Exception {
        List<String> first = inSession(true, probe("keyring"), probe("keyring"));
        assertThat(first).hasSize(2);
        assertThat(first.get(0)).startsWith("OK OS_KEYRING ");
        assertThat(first.get(1)).isEqualTo(first.get(0));
        // A new bus and daemon, reading the keyring file written by the first: the entry really persisted.
        List<String> second = inSession(true, probe("select"));
        assertThat(second).containsExactly(first.get(0));
        assertThat(keys.resolve(KeyringMasterKeyStore.MARKER_FILE)).exists();
        assertThat(keys.resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE)).doesNotExist();
    }

    @Test
    void aRestoredOlderKeyStateIsDetectedThroughTheHighWaterInTheRealKeyring() throws Exception {
        // Snapshot identity.state, consume the bundle's one-time prekey, put the snapshot back, reopen.
        assertThat(inSession(true, probe("rollback"))).containsExactly("OK detected PREKEY_ALREADY_USED");
    }

    @Test
    void reportsKeyringUnavailableWithoutASessionBus() throws Exception {
        Map<String, String> env = baseEnvironment();
        env.put("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + temp.resolve("run/no-such-bus"));
        assertThat(run(env, List.of("sh", "-c", probe("keyring") + "; " + probe("select"))))
                .containsExactly("ERR KEYRING_UNAVAILABLE", "ERR PASSPHRASE_REQUIRED");
        assertThat(keys.resolve(KeyringMasterKeyStore.MARKER_FILE)).doesNotExist();
    }

    @Test
    void reportsKeyringLockedWhenTheLoginKeyringIsLocked() throws Exception {
        // Create the login keyring (unlocked) once, then start a new daemon that does not unlock it.
        assertThat(inSession(true, "true")).isEmpty();
        List<String> locked = inSession(false, probe("keyring"));
        assertThat(locked).containsExactly("ERR KEYRING_LOCKED");
        assertThat(keys.resolve(KeyringMasterKeyStore.MARKER_FILE)).doesNotExist();
    }

    @Test
    void reportsKeyringLockedNotMissingForAnExistingKeyDirectory() throws Exception {
        assertThat(inSession(true, probe("keyring"))).singleElement().asString().startsWith("OK OS_KEYRING ");
        assertThat(inSession(false, probe("keyring"), probe("select")))
                .containsExactly("ERR KEYRING_LOCKED", "ERR KEYRING_LOCKED");
        assertThat(keys.resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE)).doesNotExist();
    }

    /**
     * Runs {@code commands} in sequence in a fresh D-Bus session with our own gnome-keyring-daemon (unlocked
     * or not). The daemon runs in the foreground under the script, so the script knows its pid, waits until
     * it owns org.freedesktop.secrets (else D-Bus activation would start a second, unowned one) and ends it
     * afterwards: a daemon still starting up when its bus goes away was seen to linger.
     */
    private List<String> inSession(boolean unlock, String... commands) throws Exception {
        String daemon = unlock
                ? "printf '%s' '" + KEYRING_PASSWORD + "' | gnome-keyring-daemon --foreground --unlock "
                        + "--components=secrets >/dev/null &"
                : "gnome-keyring-daemon --foreground --components=secrets </dev/null >/dev/null &";
        String script = daemon + "\n"
                + "daemon=$!\n"
                + "i=0; until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus "
                + "org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true; do "
                + "i=$((i+1)); [ $i -gt 100 ] && { echo 'gnome-keyring-daemon did not start' >&2; break; }; "
                + "sleep 0.1; done\n"
                + String.join("\n", commands) + "\n"
                + "kill $daemon; wait $daemon\n";
        return run(baseEnvironment(), List.of("dbus-run-session", "--", "sh", "-c", script));
    }

    private String probe(String mode) {
        return quote(javaBinary()) + " -cp " + quote(testClassPath()) + " " + KeyringProbe.class.getName() + " "
                + mode + " " + quote(keys.toString());
    }

    private Map<String, String> baseEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", temp.resolve("home").toString());
        env.put("XDG_DATA_HOME", temp.resolve("data").toString());
        env.put("XDG_RUNTIME_DIR", temp.resolve("run").toString());
        env.put("LANG", "C.UTF-8");
        return env;
    }

    private List<String> run(Map<String, String> env, List<String> command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(env);
        Path stderr = temp.resolve("stderr-" + System.nanoTime() + ".txt");
        builder.redirectError(stderr.toFile());
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            fail("child did not finish in " + CHILD_TIMEOUT_SECONDS + " s; stderr:\n" + Files.readString(stderr));
        }
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        System.out.println("[child stderr]\n" + err);
        List<String> lines = new ArrayList<>();
        for (String line : new String(out, StandardCharsets.UTF_8).lines().toList()) {
            if (line.startsWith("OK ") || line.startsWith("ERR ")) {
                lines.add(line.strip());
            }
        }
        return lines;
    }

    private List<ProcessHandle> ourProcesses() {
        String marker = "XDG_RUNTIME_DIR=" + temp.resolve("run");
        List<ProcessHandle> found = new ArrayList<>();
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            all.forEach(p -> {
                try {
                    byte[] environ = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "environ"));
                    for (String entry : new String(environ, StandardCharsets.UTF_8).split("\0", -1)) {
                        if (entry.equals(marker)) {
                            found.add(p);
                            return;
                        }
                    }
                } catch (IOException | SecurityException gone) {
                    // Exited meanwhile, or not ours to read.
                }
            });
        }
        return found;
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Surefire and failsafe may hide the class path in a manifest-only jar; they publish the real one here. */
    private static String testClassPath() {
        String path = System.getProperty("surefire.test.class.path");
        return path != null && !path.isEmpty() ? path : System.getProperty("java.class.path");
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator, -1)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
