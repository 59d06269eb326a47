package org.securep2p.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Start-up of the real program as the user sees it, on a warm machine, launched the way the user launches it
 * (the {@code securep2p} launcher script, so with its JDK choice and JVM options; or a jar with this JVM). Each
 * round measures, from process start:
 * <ul>
 * <li><b>menu</b>: the TUI in a detached tmux (120x40, its own server) until {@code capture-pane} shows the main
 * menu's first frame; then <b>menu answers</b>: key 4 pressed at that moment until the security-level screen
 * shows (a key that needs no keys); then <b>TUI keys ready</b>: until the menu shows the identity's fingerprint
 * (the key manager served, the messenger is up);</li>
 * <li><b>json ready</b>: {@code --json} until its first line ({@code ready}: key manager serving, identity
 * loaded, storage key, certificate, trust store).</li>
 * </ul>
 * The first run (a JSON start that creates the identity) is reported apart; then one untimed start of each kind
 * (the launcher's class cache is made by the first start of its kind) and the wait for the cache's assembly;
 * warm figures are min, median, max.
 * Prints one table and the load average before and after.
 *
 * <pre>
 * bench/keyring-session.sh java -cp bench/target/benchmarks.jar org.securep2p.bench.StartupBench ./securep2p 10
 * </pre>
 *
 * Without an OS keyring, set SECUREP2P_PASSPHRASE_FILE (the Argon2id cost is then part of every start). The
 * polling of tmux (every 5 ms, each {@code capture-pane} a process of a few ms) adds a few ms to the TUI rows.
 */
public final class StartupBench {

    private static final String TMUX_SOCKET = "securep2p-startup-" + ProcessHandle.current().pid();
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);

    private StartupBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: StartupBench <securep2p launcher | securep2p-app.jar> [runs]");
            System.exit(2);
        }
        Path program = Path.of(args[0]).toAbsolutePath();
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path home = Files.createTempDirectory("securep2p-startup");
        String loadBefore = loadAverage();
        boolean tmux = tmuxAvailable();
        double first = jsonReady(program, home);
        List<Double> json = new ArrayList<>();
        List<Double> menu = new ArrayList<>();
        List<Double> answers = new ArrayList<>();
        List<Double> tuiReady = new ArrayList<>();
        try {
            if (tmux) {
                // The tmux server's own start is not the program's: it runs before the first round.
                tmux("new-session", "-d", "-s", "idle", "sleep 3600");
            }
            // Untimed: each kind of run once, so that the launcher's class cache for it exists (on a JDK 24+ it is
            // assembled in the background after the first run of its kind; the rounds start once that is done).
            jsonReady(program, home);
            if (tmux) {
                tui(program, home, -1);
            }
            awaitCacheAssembly();
            for (int i = 0; i < runs; i++) {
                json.add(jsonReady(program, home));
                if (tmux) {
                    double[] t = tui(program, home, i);
                    menu.add(t[0]);
                    answers.add(t[1]);
                    tuiReady.add(t[2]);
                }
            }
        } finally {
            if (tmux) {
                tmux("kill-server");
            }
        }
        System.out.printf(Locale.ROOT, "%-44s %8s %8s %8s%n", "start-up, ms from launch (warm runs)", "min", "median",
                "max");
        if (tmux) {
            row("TUI: main menu drawn", menu);
            row("TUI: menu answers a key (4 → level screen)", answers);
            row("TUI: keys ready (fingerprint on the menu)", tuiReady);
        } else {
            System.out.println("(no tmux: TUI rows skipped; apt-get install tmux)");
        }
        row("--json: ready line", json);
        System.out.printf(Locale.ROOT, "%-44s %8.0f%n", "first run, --json ready (creates the identity)", first);
        System.out.printf(Locale.ROOT, "(%d warm runs of %s; home %s; protection: %s)%n", runs, program, home,
                System.getenv("SECUREP2P_PASSPHRASE_FILE") != null ? "passphrase file" : "OS keyring");
        System.out.printf(Locale.ROOT, "load average before: %s; after: %s%n", loadBefore, loadAverage());
    }

    /** Waits (at most 3 minutes) until no JVM assembles an AOT cache ({@code -XX:AOTMode=create}). */
    private static void awaitCacheAssembly() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline && ProcessHandle.allProcesses().anyMatch(p -> p.info().arguments()
                .map(a -> List.of(a).contains("-XX:AOTMode=create")).orElse(false))) {
            Thread.sleep(200);
        }
    }

    private static void row(String name, List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        System.out.printf(Locale.ROOT, "%-44s %8.0f %8.0f %8.0f%n", name, sorted.get(0), sorted.get(sorted.size() / 2),
                sorted.get(sorted.size() - 1));
    }

    /** The command that starts the program: the launcher as it is, or this JVM on the jar. */
    private static List<String> command(Path program, Path home, String... extra) {
        List<String> command = new ArrayList<>();
        if (program.toString().endsWith(".jar")) {
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-jar");
        }
        command.add(program.toString());
        command.addAll(List.of("--home", home.toString(), "--name", "bench"));
        command.addAll(List.of(extra));
        return command;
    }

    private static double jsonReady(Path program, Path home) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command(program, home, "--json"))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        double ms = (System.nanoTime() - start) / 1e6;
        if (line == null || !line.contains("\"ready\"")) {
            p.destroyForcibly();
            throw new IOException("the program did not report ready: " + line);
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"quit\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        p.waitFor();
        return ms;
    }

    /** One TUI start in tmux: ms to the menu, to the answer to a key, to the fingerprint. */
    private static double[] tui(Path program, Path home, int round) throws IOException, InterruptedException {
        String session = "tui" + (round < 0 ? "warm-up" : round);
        StringBuilder shell = new StringBuilder("exec");
        for (String part : command(program, home)) {
            shell.append(" '").append(part.replace("'", "'\\''")).append('\'');
        }
        long start = System.nanoTime();
        tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", session, shell.toString());
        await(session, start, s -> s.contains("main menu") && s.contains("7  Quit"));
        double menu = (System.nanoTime() - start) / 1e6;
        tmux("send-keys", "-t", session, "4");
        await(session, start, s -> s.contains("Minimum security level"));
        double answered = (System.nanoTime() - start) / 1e6;
        // 3 (the default level) chooses and goes back to the menu, without Escape's sequence timeout.
        tmux("send-keys", "-t", session, "3");
        await(session, start, s -> s.contains("main menu") && s.contains("fingerprint"));
        double ready = (System.nanoTime() - start) / 1e6;
        tmux("send-keys", "-t", session, "q");
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (tmuxQuiet("has-session", "-t", session) == 0) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the TUI did not exit after q");
            }
            Thread.sleep(10);
        }
        return new double[] {menu, answered, ready};
    }

    /**
     * Between two looks at the screen. Each look is a tmux process of a few ms: polled every 5 ms they kept most of
     * one of this VM's two cores busy beside the program being timed (menu median 558 ms at 5 ms, see the README).
     */
    private static final long POLL_MILLIS = Long.getLong("poll.ms", 20);

    private interface ScreenTest {
        boolean test(String screen);
    }

    private static void await(String session, long start, ScreenTest test) throws IOException, InterruptedException {
        String screen = "";
        while (start + TIMEOUT_NANOS > System.nanoTime()) {
            screen = capture(session);
            if (test.test(screen)) {
                return;
            }
            Thread.sleep(POLL_MILLIS);
        }
        throw new IOException("the TUI never showed what was awaited; screen:\n" + screen);
    }

    private static String capture(String session) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("tmux", "-L", TMUX_SOCKET, "capture-pane", "-p", "-t", session)
                .redirectErrorStream(true).start();
        String screen = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return screen;
    }

    private static void tmux(String... args) throws IOException, InterruptedException {
        int status = tmuxQuiet(args);
        if (status != 0) {
            throw new IOException("tmux " + String.join(" ", args) + " failed (" + status + ")");
        }
    }

    private static int tmuxQuiet(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("tmux", "-u", "-L", TMUX_SOCKET, "-f", "/dev/null"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor();
    }

    private static boolean tmuxAvailable() {
        try {
            return new ProcessBuilder("tmux", "-V").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
