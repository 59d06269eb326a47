package org.securep2p.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

import org.securep2p.crypto.testing.Await;

/**
 * Drives one program in a detached tmux session on a private tmux server (its own {@code -L} socket), the way a
 * person at a 120x40 terminal would: keys in with {@code send-keys}, the screen out with {@code capture-pane}.
 *
 * <p>Not its job: what the program is or what its screens mean (the test's).
 */
final class TmuxSession {

    static final int WIDTH = 120;
    static final int HEIGHT = 40;

    private final String socket;
    private final String name;

    private TmuxSession(String socket, String name) {
        this.socket = socket;
        this.name = name;
    }

    /**
     * Starts {@code command} (a shell command line) in a new detached session of the tmux server on
     * {@code socket}, whose configuration {@code config} keeps dead panes (remain-on-exit) for inspection.
     */
    static TmuxSession start(String socket, Path config, String name, String command) throws IOException {
        run(List.of("tmux", "-u", "-L", socket, "-f", config.toString(), "new-session", "-d", "-x",
                String.valueOf(WIDTH), "-y", String.valueOf(HEIGHT), "-s", name, command));
        TmuxSession s = new TmuxSession(socket, name);
        s.tmux("set-option", "-t", name, "remain-on-exit", "on"); // also set in the config, before the command runs
        return s;
    }

    /** Writes a tmux configuration that keeps panes after their program exits and leaves keys undelayed. */
    static Path writeConfig(Path dir) throws IOException {
        Path conf = dir.resolve("tmux.conf");
        Files.writeString(conf, """
                set-option -g remain-on-exit on
                set-option -g escape-time 0
                set-option -g status off
                set-option -g history-limit 2000
                """);
        return conf;
    }

    /** Ends the whole tmux server of {@code socket} (every session on it); quiet if it is already gone. */
    static void killServer(String socket) {
        try {
            exec(List.of("tmux", "-L", socket, "kill-server"));
        } catch (IOException e) {
            // nothing left to stop
        }
    }

    String name() {
        return name;
    }

    /** Types {@code text} literally (no key names), as a paste would. */
    void type(String text) throws IOException {
        tmux("send-keys", "-t", name, "-l", "--", text);
    }

    /** Presses keys by tmux name: "Enter", "C-c", "Escape", or a single character. */
    void press(String... keys) throws IOException {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", name));
        args.addAll(List.of(keys));
        tmux(args.toArray(String[]::new));
    }

    /**
     * Lets the programs on this tmux server set its clipboard with OSC 52 ({@code set-clipboard on}): each
     * sequence becomes a paste buffer, which {@link #newestBuffer()} reads.
     */
    void allowClipboard() throws IOException {
        tmux("set-option", "-s", "set-clipboard", "on");
    }

    /** The newest paste buffer's text (what the last OSC 52 set), or empty if there is none. */
    Optional<String> newestBuffer() throws IOException {
        Result r = exec(List.of("tmux", "-u", "-L", socket, "show-buffer"));
        return r.status() == 0 ? Optional.of(r.output()) : Optional.empty();
    }

    /**
     * Pastes {@code text} as a terminal does: bracketed ({@code ESC [ 200 ~} ... {@code ESC [ 201 ~}) if the
     * program asked for it, line breaks as carriage returns (tmux's paste-buffer default).
     */
    void paste(String text) throws IOException {
        String buffer = "paste-" + name;
        tmux("set-buffer", "-b", buffer, "--", text);
        tmux("paste-buffer", "-p", "-d", "-b", buffer, "-t", name);
    }

    /** The visible screen, one string per row (trailing blanks trimmed by tmux). */
    List<String> rows() throws IOException {
        String out = tmux("capture-pane", "-p", "-t", name);
        List<String> rows = new ArrayList<>(List.of(out.split("\n", -1)));
        if (!rows.isEmpty() && rows.get(rows.size() - 1).isEmpty()) {
            rows.remove(rows.size() - 1);
        }
        return rows;
    }

    /** The visible screen as one text; a description instead if the pane cannot be read. */
    String screen() {
        try {
            return String.join("\n", rows());
        } catch (IOException e) {
            return "(cannot capture " + name + ": " + e.getMessage() + ")";
        }
    }

    /** The process id of the program in the pane (the shell execs it). */
    long pid() throws IOException {
        return Long.parseLong(tmux("display-message", "-p", "-t", name, "#{pane_pid}").strip());
    }

    /** Whether the program in the pane has ended (tmux may not have collected its exit status yet). */
    boolean dead() throws IOException {
        return paneState()[0].equals("1");
    }

    /**
     * The exit status once the program has ended and tmux has collected it (128 + N for signal N). A pane can
     * read as dead (its terminal closed) a moment before the status is known; then this is still empty.
     */
    Optional<Integer> exitStatus() throws IOException {
        String[] f = paneState();
        if (!f[0].equals("1")) {
            return Optional.empty();
        }
        if (!f[1].isEmpty()) {
            return Optional.of(Integer.parseInt(f[1]));
        }
        return f[2].isEmpty() ? Optional.empty() : Optional.of(128 + Integer.parseInt(f[2]));
    }

    /** pane_dead, pane_dead_status, pane_dead_signal; the last two are empty while unknown. */
    private String[] paneState() throws IOException {
        String out = tmux("display-message", "-p", "-t", name, "#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}");
        String[] f = out.strip().split("\\|", -1);
        return f.length == 3 ? f : new String[] {"0", "", ""};
    }

    /**
     * Polls the screen until {@code found} returns a value, and returns it; fails with {@code what} and the last
     * screen after {@code timeoutMillis}. Also fails at once if the program has ended.
     */
    <T> T await(String what, long timeoutMillis, Function<List<String>, Optional<T>> found)
            throws IOException, InterruptedException {
        List<List<String>> last = new ArrayList<>(List.of(List.of()));
        try {
            return Await.value(() -> name + ": " + what + "; screen:\n" + String.join("\n", last.get(0)),
                    Duration.ofMillis(timeoutMillis), () -> {
                        last.set(0, unchecked(this::rows));
                        Optional<T> hit = found.apply(last.get(0));
                        if (hit.isEmpty() && unchecked(this::dead)) {
                            throw new AssertionError(name + ": the program exited (status "
                                    + unchecked(this::exitStatus).map(String::valueOf).orElse("not yet known")
                                    + ") while waiting for " + what + "; screen:\n" + String.join("\n", last.get(0)));
                        }
                        return hit;
                    });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** As {@link #await}, for a condition on the whole screen. */
    void awaitScreen(String what, long timeoutMillis, Predicate<String> ok) throws IOException, InterruptedException {
        await(what, timeoutMillis, rows -> ok.test(String.join("\n", rows)) ? Optional.of(true) : Optional.empty());
    }

    /**
     * Waits until the program has ended and tmux has its exit status, and returns that.
     *
     * <p>tmux linked with libutempter can miss a SIGCHLD: while it removes another pane's utmp record, the
     * library's own SIGCHLD handler is in place, and a pane process ending then stays a zombie, its status
     * unknown, until the next SIGCHLD (tmux issue 311). So when the pane has read as dead for a while without a
     * status, tmux's server gets a SIGCHLD to look again; that is all it does.
     */
    int awaitExit(long timeoutMillis) throws IOException, InterruptedException {
        long[] deadSince = {0};
        try {
            return Await.value(() -> name + ": " + (unchecked(this::dead) ? "an exit status from tmux"
                    : "the program to end") + " after quitting; screen:\n" + screen(),
                    Duration.ofMillis(timeoutMillis), () -> {
                        Optional<Integer> exit = unchecked(this::exitStatus);
                        if (exit.isEmpty()) {
                            unchecked(() -> nudgeIfDeadWithoutStatus(deadSince));
                        }
                        return exit;
                    });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The SIGCHLD of {@link #awaitExit}'s doc, once the pane has read as dead for 2 s (since deadSince[0]). */
    private boolean nudgeIfDeadWithoutStatus(long[] deadSince) throws IOException {
        if (!dead()) {
            deadSince[0] = 0;
        } else if (deadSince[0] == 0) {
            deadSince[0] = System.nanoTime();
        } else if (System.nanoTime() - deadSince[0] > TimeUnit.SECONDS.toNanos(2)) {
            String server = tmux("display-message", "-p", "#{pid}").strip();
            System.err.println(name + ": pane dead for 2 s without an exit status; SIGCHLD to tmux (pid " + server
                    + ")");
            exec(List.of("kill", "-CHLD", server));
            deadSince[0] = System.nanoTime();
        }
        return true;
    }

    /** A tmux call from inside an Await condition, which cannot throw IOException. */
    private interface IoCall<T> {
        T call() throws IOException;
    }

    private static <T> T unchecked(IoCall<T> call) {
        try {
            return call.call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String tmux(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("tmux", "-u", "-L", socket));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /** Runs a command to completion; fails with its output if it does not succeed. */
    static String run(List<String> cmd) throws IOException {
        Result r = exec(cmd);
        if (r.status != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (" + r.status + "): " + r.output.strip());
        }
        return r.output;
    }

    record Result(int status, String output) {
    }

    /** Runs a command to completion (bounded), returning its status and output (stdout and stderr merged). */
    static Result exec(List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LANG", "C.UTF-8");
        Process p = pb.start();
        p.getOutputStream().close();
        try (InputStream in = p.getInputStream()) {
            String out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish");
            }
            return new Result(p.exitValue(), out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
    }
}
