package org.securep2p.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.Connector;
import org.securep2p.transport.PeerConnection;

/**
 * File transfer (PROTOCOL.md §24) next to the transport it runs on, on loopback's direct path, one row per
 * security level: the transport's one-way bulk throughput (the code behind {@link TransportBench}'s securep2p
 * rows: ICE on loopback, the reliable channel, TLS 1.3, one connection at that level) and, right after it, the rate
 * of a real file transfer between two {@code java -jar securep2p-app.jar --json} processes connected at the same
 * level, timed from writing {@code send_file} to the receiver's {@code file_done} (so it includes the sender's
 * read of the file for its Merkle tree and hash, the receiver's writes, fsync and whole-file check), and the
 * ratio of the two. The file is random bytes in the bench's temporary folder; the received copy's SHA-256 is
 * checked against it. During each transfer a text is sent every 100 ms and timed from its {@code send} request to
 * the receiver's {@code message} event (PROTOCOL.md §24.8: text is not held behind a file). The last column is the
 * CPU time spent per MiB: by this process (both ends) for the timed bulk, by both programs for the timed file; on
 * a machine where the two ends share the cores, the file's rate is bounded by the ratio of the two. Below the
 * table, on Linux, the same CPU by thread group ({@link ThreadCpu}) says which stages make the difference. Wall
 * clock: run it on a quiet machine (and under {@code flock} where builds share one).
 *
 * <pre>java -cp bench/target/benchmarks.jar org.securep2p.bench.FileTransferBench app/target/securep2p-app.jar [fileMiB] [bulkMiB]</pre>
 *
 * Defaults: a 256 MiB file, a 256 MiB bulk. Without SECUREP2P_PASSPHRASE_FILE a passphrase file is written to the
 * temporary folder (key protection is not what is measured).
 */
public final class FileTransferBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long READY_MILLIS = 120_000;
    private static final long CONNECT_MILLIS = 60_000;
    private static final List<String> JVM_OPTIONS = List.of("-Dice4j.harvest.mapping.aws.enabled=false",
            "-Dorg.ice4j.ice.harvest.DISABLE_AWS_HARVESTER=true");
    /** No STUN server (the discard port): loopback host candidates are all a direct path on one machine needs. */
    private static final String CONF = """
            host.candidates=LOOPBACK_ONLY
            stun.servers=127.0.0.1:9
            files.auto_accept_mb=4096
            """;

    private FileTransferBench() {
    }

    /** One level's figures. */
    private record Row(SecurityLevel level, double bulkMiBPerSecond, double fileMiBPerSecond, double offerSeconds,
            double totalSeconds, double texts, double textMedianMillis, double textP99Millis, double textMaxMillis,
            double idleMedianMillis, double idleMaxMillis, double coldMiBPerSecond, double bulkCpuMillisPerMiB,
            double fileCpuMillisPerMiB, Threads threads) {
    }

    /** Where the timed rounds' CPU went, per thread group: the bulk (both ends), the file's sender and receiver. */
    private record Threads(ThreadCpu bulk, ThreadCpu sender, ThreadCpu receiver) {
    }

    /** The result of one timed bulk. */
    private record Bulk(double mibPerSecond, double cpuSeconds, ThreadCpu threads) {
    }

    /** The pause between two texts sent during a transfer. */
    private static final long TEXT_PAUSE_MILLIS = 100;
    /** Thread groups that spent less than this in a timed round are left out of the per-thread lines. */
    private static final long MIN_GROUP_MILLIS = 20;
    /** Texts timed before the transfer, with nothing else going on: the baseline. */
    private static final int IDLE_TEXTS = 30;

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: FileTransferBench <securep2p-app.jar> [fileMiB] [bulkMiB]");
            System.exit(2);
        }
        Path jar = Path.of(args[0]).toAbsolutePath();
        int fileMiB = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int bulkMiB = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        Path dir = Files.createTempDirectory("securep2p-file-bench");
        try {
            String passphrase = System.getenv("SECUREP2P_PASSPHRASE_FILE");
            if (passphrase == null) {
                Path p = dir.resolve("pass");
                Files.writeString(p, "file bench passphrase, not a secret");
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
                passphrase = p.toString();
            }
            Path file = dir.resolve("bench-" + fileMiB + "MiB.bin");
            String sha = randomFile(file, (long) fileMiB << 20);
            List<Row> rows = new ArrayList<>();
            SecureRandom random = new SecureRandom();
            try (InMemoryPrivateKeys a = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0);
                 InMemoryPrivateKeys b = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0)) {
                Connector[] sides = SecureP2pStreams.connectors(a, b, random);
                // One unrecorded bulk first, as TransportBench does, so the first level does not pay for the JIT.
                bulk(sides, SecurityLevel.STANDARD, Math.min(bulkMiB, 64), random);
                for (SecurityLevel level : SecurityLevel.values()) {
                    Bulk bulkRun = bulk(sides, level, bulkMiB, random);
                    double bulk = bulkRun.mibPerSecond();
                    ThreadCpu[] fileThreads = new ThreadCpu[2];
                    double[] transfer = transfer(jar, dir.resolve(level.name().toLowerCase(Locale.ROOT)), passphrase,
                            level, file, sha, fileThreads);
                    rows.add(new Row(level, bulk, fileMiB / transfer[1], transfer[0], transfer[1], transfer[2],
                            transfer[3], transfer[4], transfer[5], transfer[6], transfer[7], fileMiB / transfer[8],
                            1000 * bulkRun.cpuSeconds() / bulkMiB, 1000 * transfer[9] / fileMiB,
                            new Threads(bulkRun.threads(), fileThreads[0], fileThreads[1])));
                    System.err.printf(Locale.ROOT, "%s: bulk %.1f MiB/s, file %.1f MiB/s (first %.1f) (load %s)%n",
                            level, bulk, fileMiB / transfer[1], fileMiB / transfer[8], loadAverage());
                }
            }
            System.out.printf(Locale.ROOT, "%nloopback, direct path: transport bulk of %d MiB vs a %d MiB file "
                    + "(send_file → file_done between two --json processes), load average %s%n", bulkMiB, fileMiB,
                    loadAverage());
            System.out.printf(Locale.ROOT, "%-20s %12s %12s %8s %14s %12s %10s %6s %22s %18s %20s%n", "level",
                    "bulk MiB/s", "file MiB/s", "ratio", "first file", "offer after", "file time", "texts",
                    "text ms p50/p99/max", "idle ms p50/max", "CPU ms/MiB bulk/file");
            for (Row r : rows) {
                System.out.printf(Locale.ROOT,
                        "%-20s %12.1f %12.1f %7.0f%% %9.1f MiB/s %10.2f s %8.1f s %6.0f %8.0f/%.0f/%.0f %13.0f/%.0f %14.1f/%.1f%n",
                        r.level(), r.bulkMiBPerSecond(), r.fileMiBPerSecond(),
                        100 * r.fileMiBPerSecond() / r.bulkMiBPerSecond(), r.coldMiBPerSecond(), r.offerSeconds(),
                        r.totalSeconds(),
                        r.texts(), r.textMedianMillis(), r.textP99Millis(), r.textMaxMillis(), r.idleMedianMillis(),
                        r.idleMaxMillis(), r.bulkCpuMillisPerMiB(), r.fileCpuMillisPerMiB());
            }
            // What the CPU column is made of: the file's figure is the sender's and the receiver's added up.
            System.out.printf(Locale.ROOT, "%nCPU ms/MiB of the timed rounds by thread group (groups above %d ms)%n",
                    MIN_GROUP_MILLIS);
            for (Row r : rows) {
                System.out.printf(Locale.ROOT, "%-20s bulk, both ends: %s%n", r.level(),
                        r.threads().bulk().perMiB(bulkMiB, MIN_GROUP_MILLIS));
                System.out.printf(Locale.ROOT, "%-20s file, sender:    %s%n", "",
                        r.threads().sender().perMiB(fileMiB, MIN_GROUP_MILLIS));
                System.out.printf(Locale.ROOT, "%-20s file, receiver:  %s%n", "",
                        r.threads().receiver().perMiB(fileMiB, MIN_GROUP_MILLIS));
            }
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * One connection at {@code level}: an untimed bulk of {@code mib}, then a timed one; its MiB/s and the CPU
     * this process (both ends) spent on it.
     */
    private static Bulk bulk(Connector[] sides, SecurityLevel level, int mib, SecureRandom random)
            throws Exception {
        PeerConnection[] pair = SecureP2pStreams.connect(sides[0], sides[1], level);
        try (TransportBench.StreamPair p = SecureP2pStreams.streams(pair[1], pair[0])) {
            byte[] chunk = new byte[16 * 1024];
            random.nextBytes(chunk);
            long total = (long) mib << 20;
            // One sink for both rounds: it acknowledges every total bytes it drains.
            TransportBench.Sink sink = TransportBench.Sink.start(p, total);
            TransportBench.bulk(p, chunk, total);
            ThreadCpu threads0 = ThreadCpu.of(ProcessHandle.current().pid());
            long cpu0 = cpuNanos(ProcessHandle.current());
            long t0 = System.nanoTime();
            TransportBench.bulk(p, chunk, total);
            double seconds = (System.nanoTime() - t0) / 1e9;
            long cpu = cpuNanos(ProcessHandle.current()) - cpu0;
            ThreadCpu threads = ThreadCpu.of(ProcessHandle.current().pid()).since(threads0, cpu / 1_000_000);
            sink.stop();
            return new Bulk(mib / seconds, cpu / 1e9, threads);
        }
    }

    /**
     * One file sent while texts go the same way: its times, the texts' latencies, both programs' CPU and where each
     * one's went.
     */
    private record Sent(double offerSeconds, double totalSeconds, List<Long> textMillis, double cpuSeconds,
            ThreadCpu senderThreads, ThreadCpu receiverThreads) {
    }

    /**
     * Two fresh programs connected at {@code level}; {@code file} sent from one to the other twice while texts go
     * the same way, the second time timed. Returns the seconds from send_file to the receiver's file_offer and to
     * its file_done, then the number of texts timed during the transfer and their median, 99th percentile and
     * maximum in milliseconds, then the median and maximum of {@link #IDLE_TEXTS} texts timed before it, then the
     * seconds the same file took when first sent by the fresh programs, then the CPU seconds both programs spent
     * on the timed transfer. The sender's and the receiver's CPU by thread group go into {@code threads}.
     */
    private static double[] transfer(Path jar, Path dir, String passphrase, SecurityLevel level, Path file,
            String sha, ThreadCpu[] threads) throws Exception {
        try (Peer sender = Peer.start(jar, dir.resolve("sender"), "sender", passphrase);
             Peer receiver = Peer.start(jar, dir.resolve("receiver"), "receiver", passphrase)) {
            sender.await(n -> "ready".equals(method(n)), READY_MILLIS, "ready");
            JsonNode ready = receiver.await(n -> "ready".equals(method(n)), READY_MILLIS, "ready");
            String fpReceiver = ready.path("params").path("fingerprint").asText();
            String code = receiver.call("wait", JSON.createObjectNode().put("level", level.name()))
                    .path("code").asText();
            sender.call("connect", JSON.createObjectNode().put("code", code).put("level", level.name()));
            sender.await(n -> "connected".equals(method(n)), CONNECT_MILLIS, "connected");
            receiver.await(n -> "connected".equals(method(n)), CONNECT_MILLIS, "connected");
            // A first round, timed apart and exactly like the timed one (texts included): fresh JVMs compile the
            // crypto, I/O and text paths while it moves, as the bulk's unrecorded first round does for the
            // transport. A first round without texts left the JIT recompiling the transport's loops for them
            // during the timed one (about a second of compiler CPU per 128 MiB). Both figures are printed.
            Sent cold = send(sender, receiver, fpReceiver, file, sha);
            // The same texts with no transfer: what a text costs on its own (ratchet, stores, JSON).
            List<Long> idleMillis = new ArrayList<>();
            for (int i = 0; i < IDLE_TEXTS; i++) {
                String text = "idle " + i;
                long s0 = System.nanoTime();
                sender.call("send", JSON.createObjectNode().put("peer", fpReceiver).put("text", text));
                receiver.await(e -> "message".equals(method(e)) && text.equals(e.path("params").path("text").asText()),
                        CONNECT_MILLIS, "an idle text");
                idleMillis.add((System.nanoTime() - s0) / 1_000_000);
                Thread.sleep(TEXT_PAUSE_MILLIS);
            }
            idleMillis.sort(Comparator.naturalOrder());
            Sent timed = send(sender, receiver, fpReceiver, file, sha);
            threads[0] = timed.senderThreads();
            threads[1] = timed.receiverThreads();
            sender.call("quit", JSON.createObjectNode());
            receiver.call("quit", JSON.createObjectNode());
            List<Long> textMillis = timed.textMillis();
            int k = textMillis.size();
            return new double[] {timed.offerSeconds(), timed.totalSeconds(), k,
                k == 0 ? Double.NaN : textMillis.get(k / 2),
                k == 0 ? Double.NaN : textMillis.get(Math.min(k - 1, k * 99 / 100)),
                k == 0 ? Double.NaN : textMillis.get(k - 1), idleMillis.get(IDLE_TEXTS / 2),
                idleMillis.get(IDLE_TEXTS - 1), cold.totalSeconds(), timed.cpuSeconds()};
        }
    }

    /**
     * Sends {@code file} while a text goes every {@link #TEXT_PAUSE_MILLIS} (§24.8: a text waits behind at most
     * the window's chunks), each timed from its send request to the receiver's message event, until the
     * receiver's file_done; checks the received copy.
     */
    private static Sent send(Peer sender, Peer receiver, String fpReceiver, Path file, String sha) throws Exception {
        ThreadCpu senderThreads0 = sender.threads();
        ThreadCpu receiverThreads0 = receiver.threads();
        long senderCpu0 = sender.cpuNanos();
        long receiverCpu0 = receiver.cpuNanos();
        long t0 = System.nanoTime();
        String id = sender.call("send_file", JSON.createObjectNode().put("peer", fpReceiver)
                .put("path", file.toString())).path("id").asText();
        receiver.await(n -> "file_offer".equals(method(n)) && id.equals(n.path("params").path("id").asText()),
                CONNECT_MILLIS * 10, "file_offer");
        double offer = (System.nanoTime() - t0) / 1e9;
        List<Long> textMillis = new ArrayList<>();
        JsonNode done = null;
        for (int i = 0; done == null; i++) {
            String text = "ping " + i;
            long s0 = System.nanoTime();
            sender.call("send", JSON.createObjectNode().put("peer", fpReceiver).put("text", text));
            JsonNode n = receiver.await(e -> {
                String m = method(e);
                if ("file_failed".equals(m) && id.equals(e.path("params").path("id").asText())) {
                    throw new IllegalStateException("the transfer failed: " + e);
                }
                return ("message".equals(m) && text.equals(e.path("params").path("text").asText()))
                        || ("file_done".equals(m) && id.equals(e.path("params").path("id").asText()));
            }, TimeUnit.HOURS.toMillis(1), "a message or file_done");
            if ("file_done".equals(method(n))) {
                done = n;
            } else {
                textMillis.add((System.nanoTime() - s0) / 1_000_000);
                Thread.sleep(TEXT_PAUSE_MILLIS);
            }
        }
        double total = (System.nanoTime() - t0) / 1e9;
        long senderCpu = sender.cpuNanos() - senderCpu0;
        long receiverCpu = receiver.cpuNanos() - receiverCpu0;
        ThreadCpu senderThreads = sender.threads().since(senderThreads0, senderCpu / 1_000_000);
        ThreadCpu receiverThreads = receiver.threads().since(receiverThreads0, receiverCpu / 1_000_000);
        textMillis.sort(Comparator.naturalOrder());
        Path got = Path.of(done.path("params").path("path").asText());
        String gotSha = sha256(got);
        if (!gotSha.equals(sha) || !sha.equalsIgnoreCase(done.path("params").path("sha256").asText())) {
            throw new IllegalStateException("the received file differs: " + gotSha + " vs " + sha);
        }
        // The next round's copy must not be a numbered twin of this one (nor the disk fill up).
        Files.delete(got);
        return new Sent(offer, total, textMillis, (senderCpu + receiverCpu) / 1e9, senderThreads, receiverThreads);
    }

    /** One {@code --json} program: requests written to its stdin, every line of its stdout kept in order. */
    private static final class Peer implements AutoCloseable {
        private final Process process;
        private final OutputStream in;
        private final BlockingQueue<JsonNode> lines = new LinkedBlockingQueue<>();
        private int nextId = 1;

        private Peer(Process process) {
            this.process = process;
            this.in = process.getOutputStream();
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(JSON.readTree(line));
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            }, "file-bench-reader");
            t.setDaemon(true);
            t.start();
        }

        static Peer start(Path jar, Path home, String name, String passphrase) throws IOException {
            Files.createDirectories(home);
            Files.writeString(home.resolve("securep2p.conf"), CONF);
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(JVM_OPTIONS);
            command.addAll(List.of("-jar", jar.toString(), "--json", "--home", home.toString(), "--name", name));
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(home.resolve("stderr.txt").toFile());
            pb.environment().put("SECUREP2P_PASSPHRASE_FILE", passphrase);
            pb.environment().put("DBUS_SESSION_BUS_ADDRESS", "disabled:");
            return new Peer(pb.start());
        }

        /** The CPU time the program has used so far (all its threads, user and system). */
        long cpuNanos() {
            return FileTransferBench.cpuNanos(process.toHandle());
        }

        /** The program's CPU by thread group so far. */
        ThreadCpu threads() {
            return ThreadCpu.of(process.pid());
        }

        /** Writes a request and returns its result; an error answer fails the run. */
        JsonNode call(String method, ObjectNode params) throws IOException {
            int id = nextId++;
            ObjectNode req = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
            req.set("params", params);
            in.write((JSON.writeValueAsString(req) + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
            if ("quit".equals(method)) {
                return JSON.createObjectNode();
            }
            JsonNode answer = await(n -> n.path("id").asInt(-1) == id && method(n) == null, CONNECT_MILLIS,
                    method + " answer");
            if (!answer.has("result")) {
                throw new IOException(method + " failed: " + answer);
            }
            return answer.get("result");
        }

        /** The next line matching {@code which}, skipping others; an {@code error} event fails the run. */
        JsonNode await(Predicate<JsonNode> which, long millis, String what) throws IOException {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            while (true) {
                JsonNode n;
                try {
                    // In slices, so that a program that died is noticed at once rather than at the deadline.
                    n = lines.poll(Math.min(1_000_000_000L, Math.max(0, end - System.nanoTime())),
                            TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
                if (n == null) {
                    if (System.nanoTime() - end >= 0 || (!process.isAlive() && lines.isEmpty())) {
                        throw new IOException("no " + what + " (alive: " + process.isAlive() + ")");
                    }
                    continue;
                }
                if ("error".equals(method(n))) {
                    throw new IOException("error while awaiting " + what + ": " + n);
                }
                if (which.test(n)) {
                    return n;
                }
            }
        }

        @Override
        public void close() {
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    /** The CPU time {@code p} has used so far (all its threads, user and system). */
    private static long cpuNanos(ProcessHandle p) {
        return p.info().totalCpuDuration().orElseThrow(
                () -> new IllegalStateException("this platform does not report a process's CPU time")).toNanos();
    }

    private static String method(JsonNode n) {
        return n.has("method") ? n.get("method").asText() : null;
    }

    /** Writes {@code size} random bytes to {@code file}; returns their SHA-256 in hex. */
    private static String randomFile(Path file, long size) throws IOException {
        MessageDigest md = sha256();
        SecureRandom random = new SecureRandom();
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < size; written += block.length) {
                random.nextBytes(block);
                int n = (int) Math.min(block.length, size - written);
                out.write(block, 0, n);
                md.update(block, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder left behind
        }
    }
}
