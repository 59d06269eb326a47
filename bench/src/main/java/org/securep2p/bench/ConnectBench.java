package org.securep2p.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Connect time as the user sees it: two real peers ({@code java -jar <jar> --json}) on loopback, a real STUN
 * server (coturn's {@code turnserver}, STUN only, on 127.0.0.1: never a public one), one waits and the other
 * connects with the code. Measured from writing {@code connect} to reading the dialer's {@code connected}
 * event; the stages are the dialer's {@code progress} events (each stage lasts until the next event, the last
 * one until {@code connected}). Each run is a first contact with fresh homes (new identities, a new code, the
 * full hybrid handshake); in the same processes the dialer then disconnects and connects again with a new code
 * (a reconnection: the stored session is resumed, no handshake). Prints one table per case.
 *
 * <pre>java -cp bench/target/benchmarks.jar org.securep2p.bench.ConnectBench app/target/securep2p-app.jar 10</pre>
 *
 * Between both peers' {@code ready} and the {@code wait}, the bench pauses 5 s ({@code -Dpause.ms}): the time
 * a user takes at least to pass a code on, during which the program's connection warm-up runs (PROTOCOL.md
 * §14.1); {@code -Dpause.ms=0} measures a connect issued the instant the program is ready.
 *
 * The homes get {@code host.candidates=ALL} by default (the code carries the machine's own addresses, which
 * are reachable from itself) and {@code stun.servers=127.0.0.1:<port>}; a third argument {@code LOOPBACK_ONLY}
 * or {@code PUBLIC_ONLY} sets another mode. Without SECUREP2P_PASSPHRASE_FILE in the environment, a passphrase
 * file is written to the bench's temporary folder (key protection is not part of the connect time).
 */
public final class ConnectBench {

    /** Generous bounds: a bench run must end, but never measures against them. */
    private static final long READY_MILLIS = 120_000;
    private static final long CONNECT_MILLIS = 60_000;
    /** Between both peers' ready and the wait (-Dpause.ms): a user takes seconds to pass the code on. */
    private static final long PAUSE_MILLIS = Long.getLong("pause.ms", 5_000);
    private static final List<String> JVM_OPTIONS = List.of("-Dice4j.harvest.mapping.aws.enabled=false",
            "-Dorg.ice4j.ice.harvest.DISABLE_AWS_HARVESTER=true");
    private static final Pattern METHOD = Pattern.compile("\"method\":\"([a-z_]+)\"");
    private static final Pattern STAGE = Pattern.compile("\"stage\":\"([a-z_]+)\"");
    private static final Pattern ELAPSED = Pattern.compile("\"elapsed_ms\":(\\d+)");
    private static final Pattern CODE = Pattern.compile("\"code\":\"([^\"]+)\"");
    private static final Pattern ID = Pattern.compile("\"id\":(\\d+)");
    private static final Pattern RESUMED = Pattern.compile("\"resumed\":(true|false)");

    private ConnectBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ConnectBench <securep2p-app.jar> [runs] [ALL|LOOPBACK_ONLY|PUBLIC_ONLY]");
            System.exit(2);
        }
        Path jar = Path.of(args[0]).toAbsolutePath();
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        String hostCandidates = args.length > 2 ? args[2] : "ALL";
        Path dir = Files.createTempDirectory("securep2p-connect");
        String passphrase = System.getenv("SECUREP2P_PASSPHRASE_FILE");
        if (passphrase == null) {
            Path p = dir.resolve("pass");
            Files.writeString(p, "connect bench passphrase, not a secret");
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            passphrase = p.toString();
        }
        int stunPort = freeUdpPort();
        Process stun = new ProcessBuilder("turnserver", "-n", "--listening-ip=127.0.0.1",
                "--listening-port=" + stunPort, "--stun-only", "--no-tls", "--no-dtls", "--no-tcp", "--no-cli",
                "--log-file=" + dir.resolve("turn.log"), "--simple-log", "--no-stdout-log",
                "--pidfile=" + dir.resolve("turn.pid")).redirectErrorStream(true)
                .redirectOutput(dir.resolve("turn.out").toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(stun::destroy));
        awaitStun(stunPort, stun);
        Table first = new Table();
        Table again = new Table();
        Table firstWaiter = new Table();
        Table againWaiter = new Table();
        try {
            for (int i = 0; i < runs; i++) {
                Path run = dir.resolve("run" + i);
                try (Peer alice = Peer.start(jar, run.resolve("alice"), "alice", stunPort, hostCandidates, passphrase);
                        Peer bob = Peer.start(jar, run.resolve("bob"), "bob", stunPort, hostCandidates, passphrase)) {
                    alice.awaitReady();
                    bob.awaitReady();
                    Thread.sleep(PAUSE_MILLIS);
                    Sample[] f = connectOnce(alice, bob, false);
                    first.add(f[0]);
                    firstWaiter.add(f[1]);
                    bob.request("disconnect");
                    bob.await("disconnected", CONNECT_MILLIS);
                    alice.await("disconnected", CONNECT_MILLIS);
                    Sample[] a = connectOnce(alice, bob, true);
                    again.add(a[0]);
                    againWaiter.add(a[1]);
                    bob.request("quit");
                    alice.request("quit");
                }
                System.err.printf(Locale.ROOT, "run %d: first contact %.0f ms, reconnection %.0f ms (load %s)%n",
                        i + 1, first.totals.get(i), again.totals.get(i), loadAverage());
            }
        } finally {
            stun.destroy();
            stun.waitFor(10, TimeUnit.SECONDS);
        }
        System.out.printf(Locale.ROOT, "connect → connected on loopback, STUN on 127.0.0.1, host.candidates=%s, "
                + "%d runs, %d ms between ready and wait, load average %s%n", hostCandidates, runs, PAUSE_MILLIS,
                loadAverage());
        first.print("first contact (new code, hybrid handshake)", "dialer");
        again.print("reconnection (new code, session resumed)", "dialer");
        System.out.printf(Locale.ROOT, "%nThe waiter's clock starts at its wait: its ice stage includes the time "
                + "until the dialer's checks arrive.%n");
        firstWaiter.print("first contact, waiting side", "waiter");
        againWaiter.print("reconnection, waiting side", "waiter");
    }

    /**
     * One wait/connect; returns the dialer's and the waiter's stage clocks and the bench's own connect →
     * connected time.
     */
    private static Sample[] connectOnce(Peer waiter, Peer dialer, boolean resumeExpected) throws IOException {
        waiter.mark();
        String code = waiter.request("wait");
        Matcher m = CODE.matcher(code);
        if (!m.find()) {
            throw new IOException("wait gave no code: " + code);
        }
        dialer.mark();
        long start = System.nanoTime();
        dialer.send("connect", "{\"code\":\"" + m.group(1) + "\"}");
        String connected = dialer.await("connected", CONNECT_MILLIS);
        double total = (System.nanoTime() - start) / 1e6;
        String waiterConnected = waiter.await("connected", CONNECT_MILLIS);
        Matcher r = RESUMED.matcher(connected);
        if (!r.find() || Boolean.parseBoolean(r.group(1)) != resumeExpected) {
            throw new IOException("expected resumed=" + resumeExpected + ": " + connected);
        }
        return new Sample[] {clock(dialer, connected, total), clock(waiter, waiterConnected, Double.NaN)};
    }

    /** The stage clock of {@code peer}'s progress events since its mark, ending at its {@code connected}. */
    private static Sample clock(Peer peer, String connected, double total) {
        Map<String, Long> starts = new LinkedHashMap<>();
        for (String line : peer.sinceMark()) {
            if ("progress".equals(method(line))) {
                Matcher s = STAGE.matcher(line);
                Matcher e = ELAPSED.matcher(line);
                if (s.find() && e.find()) {
                    starts.putIfAbsent(s.group(1), Long.parseLong(e.group(1)));
                }
            }
        }
        Matcher e = ELAPSED.matcher(connected);
        // A program older than connected's elapsed_ms: the dialer's last stage ends at the bench's own reading.
        long end = e.find() ? Long.parseLong(e.group(1)) : Double.isNaN(total) ? -1 : Math.round(total);
        return new Sample(starts, end, total);
    }

    private record Sample(Map<String, Long> stageStarts, long connectedMillis, double totalMillis) {
    }

    /** Per stage, the durations of every run; and the totals. */
    private static final class Table {
        final Map<String, List<Double>> stages = new LinkedHashMap<>();
        final List<Double> totals = new ArrayList<>();

        void add(Sample s) {
            List<Map.Entry<String, Long>> list = new ArrayList<>(s.stageStarts().entrySet());
            for (int i = 0; i < list.size(); i++) {
                long next = i + 1 < list.size() ? list.get(i + 1).getValue() : s.connectedMillis();
                if (next < 0) {
                    break;
                }
                stages.computeIfAbsent(list.get(i).getKey(), k -> new ArrayList<>())
                        .add((double) (next - list.get(i).getValue()));
            }
            if (!Double.isNaN(s.totalMillis())) {
                totals.add(s.totalMillis());
            }
        }

        void print(String title, String side) {
            System.out.printf(Locale.ROOT, "%n%s%n", title);
            System.out.printf(Locale.ROOT, "%-26s %10s %10s %10s%n", "stage (" + side + ")", "median ms",
                    "min ms", "max ms");
            for (Map.Entry<String, List<Double>> e : stages.entrySet()) {
                row(e.getKey(), e.getValue());
            }
            if (!totals.isEmpty()) {
                row("connect → connected", totals);
            }
        }

        private static void row(String name, List<Double> values) {
            List<Double> v = new ArrayList<>(values);
            Collections.sort(v);
            System.out.printf(Locale.ROOT, "%-26s %10.0f %10.0f %10.0f%n", name, median(v), v.get(0),
                    v.get(v.size() - 1));
        }

        private static double median(List<Double> sorted) {
            int n = sorted.size();
            return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        }
    }

    /** One {@code --json} peer: its stdin, and every line of its stdout in a queue. */
    private static final class Peer implements AutoCloseable {
        private final Process process;
        private final OutputStream in;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final List<String> seen = new ArrayList<>();
        private int mark;
        /** Index in {@link #seen} after the last notification {@link #await} returned. */
        private int awaited;
        private int nextId = 1;

        private Peer(Process process) {
            this.process = process;
            this.in = process.getOutputStream();
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            }, "connect-bench-reader");
            t.setDaemon(true);
            t.start();
        }

        static Peer start(Path jar, Path home, String name, int stunPort, String hostCandidates, String passphrase)
                throws IOException {
            Files.createDirectories(home);
            Files.writeString(home.resolve("securep2p.conf"), "stun.servers=127.0.0.1:" + stunPort
                    + "\nhost.candidates=" + hostCandidates + "\n");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(JVM_OPTIONS);
            command.addAll(List.of("-jar", jar.toString(), "--json", "--home", home.toString(), "--name", name));
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(home.resolve("stderr.txt").toFile());
            pb.environment().put("SECUREP2P_PASSPHRASE_FILE", passphrase);
            return new Peer(pb.start());
        }

        void awaitReady() throws IOException {
            await("ready", READY_MILLIS);
        }

        void send(String method, String params) throws IOException {
            String line = "{\"jsonrpc\":\"2.0\",\"id\":" + nextId++ + ",\"method\":\"" + method + "\",\"params\":"
                    + params + "}\n";
            in.write(line.getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        /** Sends a request without params and returns its response line (notifications stay to be awaited). */
        String request(String method) throws IOException {
            int id = nextId;
            int from = seen.size();
            send(method, "{}");
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONNECT_MILLIS);
            for (int i = from; ; i++) {
                String line = i < seen.size() ? seen.get(i) : next(end, method + " response");
                Matcher m = ID.matcher(line);
                if (method(line) == null && m.find() && Integer.parseInt(m.group(1)) == id) {
                    if (line.contains("\"error\"")) {
                        throw new IOException(method + " failed: " + line);
                    }
                    return line;
                }
            }
        }

        /** The next notification {@code method} after the last one awaited; an {@code error} event fails the run. */
        String await(String method, long millis) throws IOException {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            for (int i = awaited; ; i++) {
                String line = i < seen.size() ? seen.get(i) : next(end, method);
                String m = method(line);
                if (method.equals(m)) {
                    awaited = i + 1;
                    return line;
                }
                if ("error".equals(m)) {
                    throw new IOException("error while awaiting " + method + ": " + line);
                }
            }
        }

        private String next(long endNanos, String what) throws IOException {
            try {
                String line = lines.poll(Math.max(0, endNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new IOException("no " + what + " (alive: " + process.isAlive() + ")");
                }
                seen.add(line);
                return line;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }

        /** From here on, {@link #sinceMark()} (and {@link #await}) look at what arrives next. */
        void mark() {
            mark = seen.size();
            awaited = mark;
        }

        List<String> sinceMark() {
            return seen.subList(mark, seen.size());
        }

        @Override
        public void close() throws IOException {
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    private static String method(String line) {
        if (!line.startsWith("{\"jsonrpc\":\"2.0\",\"method\"")) {
            return null;
        }
        Matcher m = METHOD.matcher(line);
        return m.find() ? m.group(1) : null;
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitStun(int port, Process stun) throws IOException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            Process ss = new ProcessBuilder("ss", "-Hlun").redirectErrorStream(true).start();
            String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            ss.waitFor();
            if (out.contains("127.0.0.1:" + port + " ")) {
                return;
            }
            if (!stun.isAlive() || System.nanoTime() > end) {
                throw new IOException("coturn did not listen on 127.0.0.1:" + port);
            }
            Thread.sleep(50);
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }
}
