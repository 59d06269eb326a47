package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;

/**
 * The {@code securep2p} launcher as the user runs it. Whatever the JVM writes on stderr lands in the middle of the
 * TUI's screen, so a start that uses every part (the history's SQLite loads its native library) writes nothing there.
 */
class LauncherIT {

    @TempDir
    Path dir;

    @Test
    void aStartOnJdk22OrNewerWritesNoJvmWarning() throws Exception {
        Optional<Path> java = newestJava(22);
        assumeTrue(java.isPresent(), "no JDK 22 or newer under /usr/lib/jvm: nothing to check");
        Path stderr = dir.resolve("stderr.txt");
        ProcessBuilder b = jsonStart(java.get(), stderr);
        b.environment().put("SECUREP2P_CLASS_CACHE", "0");
        Process p = b.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                OutputStream in = p.getOutputStream()) {
            assertThat(out.readLine()).as("first line; stderr: %s", Files.readString(stderr)).contains("\"ready\"");
            // The history is opened (and SQLite's native library loaded) by its first call.
            in.write("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"conversations\"}\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            String line;
            while ((line = out.readLine()) != null && !line.contains("\"id\":1")) {
                // events before the answer
            }
            assertThat(line).as("the conversations answer").contains("\"result\"");
            in.write("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"quit\"}\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(dir.resolve("home").resolve("native")).as("SQLite's library was loaded").isDirectory();
        assertThat(Files.readString(stderr)).doesNotContain("WARNING");
    }

    /**
     * The first start with the class cache on a JDK 24 or newer records what it loads, and the JVM reports that
     * recording when it exits; on stdout the line would reach a {@code --json} client as something that is not
     * JSON-RPC. Every line on stdout, to the end, is a JSON object.
     */
    @Test
    void aFirstJsonStartThatRecordsTheClassCachePrintsOnlyJsonOnStdout() throws Exception {
        Optional<Path> java = newestJava(24);
        assumeTrue(java.isPresent(), "no JDK 24 or newer under /usr/lib/jvm: no AOT cache recorded");
        Path stderr = dir.resolve("stderr.txt");
        Process p = jsonStart(java.get(), stderr).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                OutputStream in = p.getOutputStream()) {
            String first = out.readLine();
            assertThat(first).as("first line; stderr: %s", Files.readString(stderr)).contains("\"ready\"");
            lines.add(first);
            in.write("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"quit\"}\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                lines.add(line);
            }
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(lines).as("stdout to its end").allMatch(l -> l.startsWith("{") && l.endsWith("}"));
    }

    /**
     * A first start (the launcher records the class cache, so the program is its child, not exec'd) whose tmux pane
     * is closed: tmux hangs up only the pane's session leader, the launcher, which must pass the SIGHUP on. Before,
     * the program ran on without a terminal, holding the home's lock.
     */
    @Test
    void closingTheTerminalOfAFirstStartEndsTheProgram() throws Exception {
        assumeTrue(new ProcessBuilder("tmux", "-V").start().waitFor() == 0, "tmux is not installed");
        Optional<Path> java = newestJava(24);
        assumeTrue(java.isPresent(), "no JDK 24 or newer: the launcher execs the program, nothing to pass on");
        Path launcher = Path.of("..", "securep2p").toAbsolutePath().normalize();
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "launcher test passphrase");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        Path home = dir.resolve("tui-home");
        String session = "launcher-it-" + ProcessHandle.current().pid();
        String command = "env SECUREP2P_JAVA=" + java.get() + " SECUREP2P_PASSPHRASE_FILE=" + pass
                + " XDG_CACHE_HOME=" + dir.resolve("tui-cache") + " DBUS_SESSION_BUS_ADDRESS=disabled: "
                + launcher + " --home " + home + " --name alice";
        run("tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command);
        try {
            // Polls the process table: there is no event for a process appearing.
            ProcessHandle program = Await.value("the first start running as the launcher's child, recording",
                    Duration.ofSeconds(60), () -> ProcessHandle.allProcesses().filter(h -> h.info().commandLine()
                            .filter(c -> c.contains("AOTMode=record") && c.contains(home.toString())).isPresent())
                            .findFirst());
            // The menu is up once the home's lock and keys are there; then the pane is closed.
            Await.until(() -> "the main menu in the pane; screen:\n" + pane(session), Duration.ofSeconds(60),
                    () -> pane(session).contains("main menu"));
            run("tmux", "kill-session", "-t", session);
            assertThat(program.onExit().get(20, TimeUnit.SECONDS).isAlive()).isFalse();
        } finally {
            new ProcessBuilder("tmux", "kill-session", "-t", session).start().waitFor();
            ProcessHandle.allProcesses().filter(h -> h.info().commandLine()
                    .filter(c -> c.contains(home.toString())).isPresent()).forEach(ProcessHandle::destroyForcibly);
        }
    }

    /**
     * {@code ./securep2p --json} on {@code java} with a fresh home and class cache folder under {@link #dir}, keys
     * under a passphrase file, no session bus; stderr to {@code stderr}.
     */
    private ProcessBuilder jsonStart(Path java, Path stderr) throws IOException {
        Path launcher = Path.of("..", "securep2p").toAbsolutePath().normalize();
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "launcher test passphrase");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        ProcessBuilder b = new ProcessBuilder(List.of(launcher.toString(), "--json", "--home",
                dir.resolve("home").toString(), "--name", "alice")).redirectError(stderr.toFile());
        b.environment().put("SECUREP2P_JAVA", java.toString());
        b.environment().put("SECUREP2P_PASSPHRASE_FILE", pass.toString());
        b.environment().put("DBUS_SESSION_BUS_ADDRESS", "disabled:");
        b.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
        return b;
    }

    private static void run(String... command) throws IOException, InterruptedException {
        assertThat(new ProcessBuilder(command).redirectErrorStream(true).start().waitFor()).as(String.join(" ", command))
                .isZero();
    }

    /** What tmux shows in {@code session}'s pane now; empty while tmux cannot tell. */
    private static String pane(String session) {
        try {
            return TmuxSession.exec(List.of("tmux", "-u", "capture-pane", "-p", "-t", session)).output();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<Path> newestJava(int atLeast) throws IOException {
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(jvms)) {
            return homes.filter(h -> Files.isExecutable(h.resolve("bin/java")) && feature(h) >= atLeast)
                    .map(h -> h.resolve("bin/java")).findFirst();
        }
    }

    private static int feature(Path home) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(v.split("[.+-]", -1)[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
