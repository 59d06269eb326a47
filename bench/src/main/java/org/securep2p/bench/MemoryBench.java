package org.securep2p.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resident memory of the real program as a user runs it (issue 15): two peers started through the launcher
 * ({@code ./securep2p --json}, so with the launcher's JVM options) on loopback with a fixed port, then 1,000
 * messages (alternating sides, each awaited until {@code delivered}). Each home is made by a first start
 * beforehand and one more start makes the key manager's class-data archive, so the figures are of a returning
 * user's start. For each app process and its key-manager
 * child it reads {@code /proc/<pid>/status}: VmRSS and VmHWM after the start (both {@code ready}, and each key
 * manager's "start-up memory released" line) and after the messages. Both protections: a passphrase file, and
 * the OS keyring in a private D-Bus session with its own unlocked gnome-keyring-daemon (the bench runs itself
 * again inside {@code dbus-run-session}; without those tools the keyring rows say so). Prints one table, in MiB
 * (kB from /proc divided by 1024), with the load average.
 *
 * <pre>java -cp bench/target/benchmarks.jar org.securep2p.bench.MemoryBench ./securep2p [messages]</pre>
 *
 * Build the app first ({@code ./securep2p --help} does); the launcher would otherwise build inside the timing.
 */
public final class MemoryBench {

    private static final String IN_SESSION = "SECUREP2P_MEMORY_BENCH_IN_SESSION";
    private static final String ROW = "ROW ";
    private static final String RELEASED = "keymanager: start-up memory released";
    private static final long TIMEOUT_SECONDS = 120;

    private MemoryBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: MemoryBench <path to the securep2p launcher> [messages [passphrase|keyring]]");
            System.exit(2);
        }
        Path launcher = Path.of(args[0]).toAbsolutePath();
        int messages = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        String only = args.length > 2 ? args[2] : "both";
        if (System.getenv(IN_SESSION) != null) {
            for (String row : run("keyring", launcher, messages)) {
                System.out.println(ROW + row);
            }
            return;
        }
        List<String> rows = new ArrayList<>();
        if (!only.equals("keyring")) {
            rows.addAll(run("passphrase", launcher, messages));
        }
        if (!only.equals("passphrase")) {
            rows.addAll(keyringRows(launcher, messages));
        }
        System.out.printf(Locale.ROOT, "%-11s %-18s %12s %12s %14s %14s%n", "protection", "process",
                "RSS start", "HWM start", "RSS after " + messages, "HWM after " + messages);
        rows.forEach(System.out::println);
        System.out.println("(MiB from /proc/<pid>/status VmRSS and VmHWM; " + messages
                + " messages over loopback; load average " + Files.readString(Path.of("/proc/loadavg")).trim() + ")");
    }

    /** Runs the keyring rows in a private session bus with an unlocked gnome-keyring, by running this class again. */
    private static List<String> keyringRows(Path launcher, int messages) throws Exception {
        for (String tool : List.of("dbus-run-session", "gnome-keyring-daemon", "dbus-send")) {
            if (!onPath(tool)) {
                return List.of(String.format(Locale.ROOT, "%-11s skipped: %s not found (Debian: gnome-keyring, dbus, "
                        + "dbus-x11)", "keyring", tool));
            }
        }
        Path dir = Files.createTempDirectory("securep2p-memory-keyring");
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwx------"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String script = "printf %s bench | gnome-keyring-daemon --foreground --unlock --components=secrets "
                + ">/dev/null 2>&1 &\n"
                + "daemon=$!\n"
                + "i=0; until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus "
                + "org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true; do "
                + "i=$((i+1)); [ $i -gt 100 ] && { echo 'gnome-keyring-daemon did not start' >&2; break; }; "
                + "sleep 0.1; done\n"
                + "\"$0\" -cp \"$1\" " + MemoryBench.class.getName() + " \"$2\" \"$3\"; rc=$?\n"
                + "kill $daemon; wait $daemon 2>/dev/null; exit $rc\n";
        ProcessBuilder b = new ProcessBuilder("dbus-run-session", "--", "sh", "-c", script, java,
                System.getProperty("java.class.path"), launcher.toString(), String.valueOf(messages))
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> env = b.environment();
        env.remove("SECUREP2P_PASSPHRASE_FILE");
        env.remove("DBUS_SESSION_BUS_ADDRESS");
        env.put(IN_SESSION, "1");
        env.put("HOME", Files.createDirectories(dir.resolve("home")).toString());
        env.put("XDG_DATA_HOME", Files.createDirectories(dir.resolve("data")).toString());
        env.put("XDG_RUNTIME_DIR", run.toString());
        Process p = b.start();
        List<String> rows = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith(ROW)) {
                    rows.add(line.substring(ROW.length()));
                }
            }
        }
        if (p.waitFor() != 0 || rows.isEmpty()) {
            rows.add(String.format(Locale.ROOT, "%-11s failed (status %d); see stderr", "keyring", p.exitValue()));
        }
        return rows;
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":", -1)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Two peers, start, chat, the four processes' figures as table rows. */
    private static List<String> run(String protection, Path launcher, int messages) throws Exception {
        Path dir = Files.createTempDirectory("securep2p-memory-" + protection);
        Map<String, String> env = new HashMap<>();
        if (protection.equals("passphrase")) {
            Path pass = dir.resolve("pass");
            Files.writeString(pass, "memory bench passphrase 4417 correct horse");
            Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
            env.put("SECUREP2P_PASSPHRASE_FILE", pass.toString());
            env.put("DBUS_SESSION_BUS_ADDRESS", "disabled:");
        }
        int port;
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        String conf = "host.candidates=LOOPBACK_ONLY\nstun.servers=127.0.0.1:9\n";
        // A first start of each creates its identity (more work and garbage than a user's every-day start); a
        // second start of alice's makes the key manager's class-data archive for this protection (a new key
        // directory's start makes none; PROTOCOL.md 18, memory); the figures are of the starts after it, as a
        // returning user's. One after the other: a launcher that decides to build must not run two Maven builds
        // at once.
        for (String name : List.of("alice", "bob", "alice")) {
            try (Peer first = Peer.start(launcher, dir.resolve(name), name, conf, env)) {
                first.await("\"method\":\"ready\"");
            }
        }
        try (Peer alice = Peer.start(launcher, dir.resolve("alice"), "alice", conf, env, "--port",
                String.valueOf(port))) {
            alice.await("\"method\":\"ready\"");
            try (Peer bob = Peer.start(launcher, dir.resolve("bob"), "bob", conf, env)) {
                bob.await("\"method\":\"ready\"");
                return chat(protection, alice, bob, port, messages);
            }
        }
    }

    private static List<String> chat(String protection, Peer alice, Peer bob, int port, int messages)
            throws Exception {
        // The "after start" figures: both ready, and each key manager past its start-up memory release.
        long alicesKeys = alice.keyManagerPid();
        long bobsKeys = bob.keyManagerPid();
        long[][] start = {status(alice.pid()), status(alicesKeys), status(bob.pid()), status(bobsKeys)};

        alice.call("wait", "{}");
        alice.await("\"result\"");
        bob.call("connect", "{\"code\":\"127.0.0.1:" + port + "\"}");
        bob.await("\"result\"");
        alice.await("\"method\":\"connected\"");
        bob.await("\"method\":\"connected\"");
        Pattern sentId = Pattern.compile("\"result\":\\{\"id\":\"([^\"]+)\"");
        for (int i = 0; i < messages; i++) {
            Peer from = i % 2 == 0 ? alice : bob;
            from.call("send", "{\"text\":\"memory bench message " + i + "\"}");
            Matcher m = sentId.matcher(from.await("\"result\""));
            if (!m.find()) {
                throw new IOException(from.name + ": send " + i + " failed");
            }
            // The delivered event is the only later line carrying this id (its params also name the peer).
            from.await("\"id\":\"" + m.group(1) + "\"");
        }
        long[][] after = {status(alice.pid()), status(alicesKeys), status(bob.pid()), status(bobsKeys)};
        String[] names = {"app alice", "key manager alice", "app bob", "key manager bob"};
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            rows.add(String.format(Locale.ROOT, "%-11s %-18s %12.1f %12.1f %14.1f %14.1f", protection, names[i],
                    start[i][0] / 1024.0, start[i][1] / 1024.0, after[i][0] / 1024.0, after[i][1] / 1024.0));
        }
        return rows;
    }

    /** VmRSS and VmHWM in kB. */
    static long[] status(long pid) throws IOException {
        long[] values = new long[2];
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                values[0] = kb(line);
            } else if (line.startsWith("VmHWM:")) {
                values[1] = kb(line);
            }
        }
        return values;
    }

    private static long kb(String line) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).replace("kB", "").trim());
    }

    /** One {@code securep2p --json} process, driven line by line. */
    static final class Peer implements AutoCloseable {
        final String name;
        final Path home;
        private final Process process;
        private final OutputStream stdin;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private int ids;

        private Peer(String name, Path home, Process process) {
            this.name = name;
            this.home = home;
            this.process = process;
            this.stdin = process.getOutputStream();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // The process ended.
                }
            }, "memory-bench-" + name);
            reader.setDaemon(true);
            reader.start();
        }

        static Peer start(Path launcher, Path home, String name, String conf, Map<String, String> env,
                String... extra) throws IOException {
            Files.createDirectories(home);
            Files.writeString(home.resolve("securep2p.conf"), conf);
            List<String> command = new ArrayList<>(List.of(launcher.toString(), "--json", "--home", home.toString(),
                    "--name", name));
            command.addAll(List.of(extra));
            // Usually the launcher execs java, so this process is the app's JVM; on a run that records the launcher's
            // class cache it stays as the JVM's parent instead (see appPid).
            ProcessBuilder b = new ProcessBuilder(command).directory(home.toFile())
                    .redirectError(home.resolve("stderr.txt").toFile());
            b.environment().putAll(env);
            return new Peer(name, home, b.start());
        }

        /**
         * The app's JVM: this process when the launcher exec'd java, else its java child (a run that records the
         * launcher's class cache keeps bash as the parent); reading the launcher's bash would report a few MiB.
         */
        long pid() throws IOException {
            if (process.info().command().orElse("").endsWith("/java")) {
                return process.pid();
            }
            return process.children().filter(h -> h.info().command().orElse("").endsWith("/java")).findFirst()
                    .orElseThrow(() -> new IOException(name + ": no Java process under the launcher")).pid();
        }

        /** The key-manager child, once its start's memory is released (its line in the home's keymanager.log). */
        long keyManagerPid() throws Exception {
            Path log = home.resolve("logs").resolve("keymanager.log");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (!(Files.exists(log) && Files.readString(log).contains(RELEASED))) {
                if (System.nanoTime() > deadline) {
                    throw new IOException(name + ": no '" + RELEASED + "' line in " + log);
                }
                Thread.sleep(20);
            }
            return process.descendants().filter(h -> h.info().commandLine().orElse("").contains("KeyManagerMain"))
                    .findFirst().orElseThrow(() -> new IOException(name + ": no key-manager child")).pid();
        }

        void call(String method, String params) throws IOException {
            ids++;
            String request = "{\"jsonrpc\":\"2.0\",\"id\":" + ids + ",\"method\":\"" + method + "\",\"params\":"
                    + params + "}\n";
            stdin.write(request.getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }

        /** The next line containing {@code text}, skipping others. */
        String await(String text) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (true) {
                String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new IOException(name + ": nothing containing " + text + " within " + TIMEOUT_SECONDS
                            + " s (see " + home.resolve("stderr.txt") + ")");
                }
                if (line.contains("\"error\"") && line.contains("\"id\":" + ids + ",")) {
                    throw new IOException(name + ": " + line);
                }
                if (line.contains(text)) {
                    return line;
                }
            }
        }

        @Override
        public void close() throws Exception {
            try {
                call("quit", "{}");
            } catch (IOException e) {
                // Already gone.
            }
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
    }
}
