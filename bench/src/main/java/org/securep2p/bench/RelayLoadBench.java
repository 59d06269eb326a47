package org.securep2p.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.securep2p.relay.Inbox;
import org.securep2p.relay.MailboxItem;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.RelayClient;
import org.securep2p.relay.RelayConnector;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.SendCapability;

/**
 * The relay under load (issue 18): {@code securep2p relay} in its own JVM on loopback, N client connections held
 * open at once (each subscribed to an inbox of its own), and an open-loop stream of posts at a fixed total rate,
 * connection i posting into connection i+1's inbox, for a fixed time. Every message carries (sender, sequence) and
 * the time it was posted; the subscriber counts it and deletes it at the relay once counted, as a client does once
 * it has stored an item (PROTOCOL.md §22.6). Prints one table: messages acknowledged, delivered, lost and
 * duplicated; the delivery latency (post called to DELIVER at the subscriber) and the acknowledgement latency (post
 * called to OK, i.e. committed durably); the relay's CPU time (utime+stime from {@code /proc/PID/stat}, as a share
 * of one core) and resident memory (VmRSS, VmHWM); the bench client's own CPU, so that one sees which side is the
 * limit.
 *
 * <p>Not its job: the messenger's use of the relay (ratchet, history, acknowledgements), which costs the clients,
 * not the relay. Items are 1 KiB (the smallest bucket, which holds a short text's ratchet message).
 *
 * <p>Arguments {@code [connections (1000)] [messages per second (1000)] [seconds (60)]}; a warm-up of
 * {@code -Dbench.warmup=S} seconds (5) at the same rate comes first, counted for loss and duplicates but not for
 * latency and CPU. {@code -Dbench.delete=false} leaves delivered items at the relay. The client connections are
 * spread over {@code -Dbench.connectors=K} (8) {@link RelayConnector}s: each has one event thread that signs every
 * request of its connections, and a thousand users would not share one. The relay child runs with the
 * JVM options of the {@code securep2p} launcher (what {@code securep2p relay} gets), or {@code -Dbench.relayJvm}.
 *
 * <p>Issue 19: {@code -Dbench.store=postgresql} runs the relay on PostgreSQL (PROTOCOL.md §23.5), a throwaway
 * cluster it makes (the Debian package postgresql-15), or on the database of {@code -Dbench.store=postgresql://…};
 * then {@code -Dbench.instances=K} (2) instances share it, with one relay key, behind one address (a TCP balancer in
 * the bench JVM, whose CPU counts as the client's), and the table adds each instance's CPU and PostgreSQL's
 * ({@link RelayFleet}). The relay's memory figures are the first instance's.
 * Both JVMs hold one socket per connection: {@code ulimit -n} must be at least connections + 512.
 * <pre>
 * mvn -B -o -q -pl bench -am package -DskipTests
 * java -cp bench/target/benchmarks.jar org.securep2p.bench.RelayLoadBench 1000 1000 60
 * java -Dbench.store=postgresql -cp bench/target/benchmarks.jar org.securep2p.bench.RelayLoadBench 2000 1000 60
 * </pre>
 */
public final class RelayLoadBench {

    /** The line {@code securep2p relay} prints once it listens. */
    static final String ADDRESS_LINE = "relay: ";
    /** File descriptors each JVM needs beyond one per connection (jars, SQLite, selectors, pipes). */
    static final int SPARE_FILES = 512;
    /** Body bytes of one item: sender, sequence, index, post time and filler, as a short text's ratchet message. */
    static final int BODY = 200;
    static final int TTL_SECONDS = 3600;
    /** Connections opened at once while connecting (TLS handshakes are the relay's heaviest work). */
    static final int CONNECT_PARALLELISM = 32;
    static final Duration CONNECT_TIMEOUT = Duration.ofMinutes(2);
    static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(1);
    /** The launcher's JVM options for the app (securep2p, "app_jvm_options"), which {@code securep2p relay} uses. */
    static final List<String> LAUNCHER_JVM = List.of("-XX:+UseSerialGC", "-Xms16m", "-Xmx512m",
            "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:-ShrinkHeapInSteps");

    private static final Pattern SPACES = Pattern.compile("\\s+");

    private RelayLoadBench() {
    }

    public static void main(String[] args) throws Exception {
        int connections = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        int warmup = Integer.getInteger("bench.warmup", 5);
        int connectors = Integer.getInteger("bench.connectors", 8);
        boolean delete = Boolean.parseBoolean(System.getProperty("bench.delete", "true"));
        String store = System.getProperty("bench.store", "");
        int instances = Integer.getInteger("bench.instances", store.isEmpty() ? 1 : 2);
        if (connections < 2 || rate < 1 || seconds < 1 || warmup < 0 || connectors < 1) {
            System.err.println("usage: RelayLoadBench [connections >= 2] [messages per second] [seconds]");
            System.exit(2);
        }
        long files = openFileLimit();
        if (files >= 0 && files < connections + SPARE_FILES) {
            System.err.printf(Locale.ROOT, "RelayLoadBench: ulimit -n is %d; %d connections need at least %d open "
                    + "files in each JVM (one socket per connection + %d): run 'ulimit -n %d' first.%n", files,
                    connections, connections + SPARE_FILES, SPARE_FILES, connections + SPARE_FILES);
            System.exit(2);
        }
        Path dir = Files.createTempDirectory("securep2p-relay-load");
        try {
            Result r = run(dir, connections, rate, seconds, warmup, delete, connectors, instances, store);
            r.print();
        } finally {
            if (Boolean.getBoolean("bench.keep")) {
                System.out.println("(kept the relay's data folder and stderr in " + dir + ")");
            } else {
                deleteTree(dir);
            }
        }
    }

    /** One client connection: its inbox (subscribed) and where it posts. */
    private record Node(RelayClient client, Inbox inbox, SendCapability next) {
    }

    /** Everything measured; the arrays are indexed by message number k (sender k % N, sequence k / N). */
    static final class Result {
        int connections;
        int rate;
        int seconds;
        int warmup;
        int connectors;
        boolean delete;
        int total;
        int measuredFrom;
        double connectSeconds;
        long acknowledged;
        long failed;
        final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
        long delivered;
        long lost;
        long duplicated;
        long outOfOrder;
        long drops;
        final Map<String, LongAdder> dropReasons = new ConcurrentHashMap<>();
        double fsyncMillis;
        double sendSeconds;
        long maxLagMillis;
        long[] deliveryNanos = new long[0];
        long[] ackNanos = new long[0];
        double relayCpuPercent;
        int instances = 1;
        String store = "SQLite";
        double[] instanceCpuPercent = new double[0];
        double postgresCpuPercent = Double.NaN;
        double postgresCpuMicrosPerMessage = Double.NaN;
        double relayCpuMicrosPerMessage;
        double clientCpuMicrosPerMessage;
        double clientCpuPercent;
        long relayRssKb;
        long relayMaxRssKb;
        long relayHwmKb;
        long relayRssAfterConnectKb;
        String load = "";

        void print() {
            System.out.printf(Locale.ROOT, "%nrelay load: %d connections on loopback, %d messages/s for %d s "
                    + "(after %d s of warm-up), 1 KiB items, %s%n", connections, rate, seconds, warmup,
                    delete ? "each deleted by its subscriber once counted" : "left at the relay");
            System.out.printf(Locale.ROOT, "relay: %d instance%s on %s%s%n", instances, instances == 1 ? "" : "s",
                    store, instances == 1 ? "" : ", behind one address (a TCP balancer in the bench JVM)");
            row("connections open (create + subscribe each)", "%d in %.1f s, over %d connectors", connections,
                    connectSeconds, connectors);
            row("messages posted / acknowledged (OK)", "%d / %d", total, acknowledged);
            row("post failures", "%d %s", failed, failures.isEmpty() ? "" : failures.toString());
            row("achieved post rate (measured window)", "%.1f /s (sender lag max %d ms)",
                    (total - measuredFrom) / sendSeconds, maxLagMillis);
            row("delivered / lost / duplicated", "%d / %d / %d", delivered, lost, duplicated);
            row("delivered out of sequence order", "%d", outOfOrder);
            row("connection state changes during the run", "%d %s", drops, dropReasons.isEmpty() ? ""
                    : dropReasons.toString());
            row("delivery latency post -> DELIVER", "p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms",
                    ms(deliveryNanos, 50), ms(deliveryNanos, 90), ms(deliveryNanos, 99), ms(deliveryNanos, 100));
            row("ack latency post -> OK (durable)", "p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms",
                    ms(ackNanos, 50), ms(ackNanos, 90), ms(ackNanos, 99), ms(ackNanos, 100));
            row("relay CPU (utime+stime)", "%.1f %% of one core%s", relayCpuPercent, instances == 1 ? ""
                    : Arrays.stream(instanceCpuPercent).mapToObj(p -> String.format(Locale.ROOT, "%.1f %%", p))
                            .collect(java.util.stream.Collectors.joining(" + ", " (", ")")));
            if (!Double.isNaN(postgresCpuPercent)) {
                row("PostgreSQL CPU (all its processes)", "%.1f %% of one core, %.0f us per message",
                        postgresCpuPercent, postgresCpuMicrosPerMessage);
            }
            row("bench client CPU (all connections)", "%.1f %% of one core", clientCpuPercent);
            row("CPU per message, from first post to drained", "relay %.0f us, client %.0f us (one core: %.0f "
                    + "messages/s at most for the relay)", relayCpuMicrosPerMessage, clientCpuMicrosPerMessage,
                    1e6 / relayCpuMicrosPerMessage);
            row("relay RSS after connect / end / max", "%.1f / %.1f / %.1f MiB", relayRssAfterConnectKb / 1024.0,
                    relayRssKb / 1024.0, relayMaxRssKb / 1024.0);
            row("relay VmHWM", "%.1f MiB", relayHwmKb / 1024.0);
            row("disk: append 4 KiB + fdatasync, median", "%.2f ms (%.0f/s if every commit cost that)", fsyncMillis,
                    1000 / fsyncMillis);
            System.out.println("(latency and CPU over the measured window; RSS sampled every second from "
                    + "/proc/PID/status; load average at the end " + load + "; " + Runtime.getRuntime()
                    .availableProcessors() + " cores)");
        }

        private static void row(String name, String format, Object... values) {
            System.out.printf(Locale.ROOT, "%-44s " + format + "%n", Stream.concat(Stream.of(name),
                    Arrays.stream(values)).toArray());
        }

        /** The nearest-rank percentile of sorted nanoseconds, in milliseconds (NaN if there is none). */
        static double ms(long[] sorted, int percentile) {
            if (sorted.length == 0) {
                return Double.NaN;
            }
            int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
            return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] / 1e6;
        }
    }

    static Result run(Path dir, int connections, int rate, int seconds, int warmup, boolean delete,
            int connectors, int instances, String store) throws Exception {
        Result r = new Result();
        r.connectors = connectors;
        r.connections = connections;
        r.rate = rate;
        r.seconds = seconds;
        r.warmup = warmup;
        r.delete = delete;
        r.measuredFrom = warmup * rate;
        r.total = (warmup + seconds) * rate;
        r.fsyncMillis = fsyncMillis(dir.resolve("fsync-probe"));
        RelayFleet fleet = RelayFleet.start(dir, connections, instances, store);
        r.instances = fleet.instances();
        r.store = fleet.storeName();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(t -> {
            Thread th = new Thread(t, "relay-load-rss");
            th.setDaemon(true);
            return th;
        });
        try {
            RelayAddress address = fleet.address();
            long pid = fleet.firstPid();
            AtomicLong maxRss = new AtomicLong();
            var unused = sampler.scheduleAtFixedRate(() -> {
                try {
                    long rss = MemoryBench.status(pid)[0];
                    maxRss.accumulateAndGet(rss, Math::max);
                } catch (IOException e) {
                    // the relay ended; the run reports it
                }
            }, 0, 1, TimeUnit.SECONDS);
            SecureRandom random = new SecureRandom();
            Counters counters = new Counters(r.total, connections);
            List<Node> nodes = new ArrayList<>();
            List<RelayConnector> pool = new ArrayList<>();
            try {
                for (int i = 0; i < connectors; i++) {
                    pool.add(RelayConnector.start(address, random));
                }
                long t0 = System.nanoTime();
                nodes.addAll(connect(pool, address, connections, random, counters, delete));
                r.connectSeconds = (System.nanoTime() - t0) / 1e9;
                r.relayRssAfterConnectKb = MemoryBench.status(pid)[0];
                counters.running = true;
                long relayCpu0 = sum(fleet.instanceTicks());
                long pgCpu0 = fleet.postgresTicks();
                long clientCpu0 = cpuTicks(ProcessHandle.current().pid());
                send(r, nodes, counters, fleet, rate);
                // Every post either failed (never to be delivered) or counts down once at its first delivery.
                if (!counters.answered.await(DRAIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    System.err.println("RelayLoadBench: not every post was answered within " + DRAIN_TIMEOUT);
                }
                if (!counters.drained.await(DRAIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    System.err.println("RelayLoadBench: not everything acknowledged arrived within " + DRAIN_TIMEOUT);
                }
                // All the work the messages caused (post, commit, deliver, delete), wherever it fell in time.
                r.relayCpuMicrosPerMessage = (sum(fleet.instanceTicks()) - relayCpu0) * 1e6 / CLOCK_TICKS / r.total;
                r.postgresCpuMicrosPerMessage = pgCpu0 < 0 ? Double.NaN
                        : (fleet.postgresTicks() - pgCpu0) * 1e6 / CLOCK_TICKS / r.total;
                r.clientCpuMicrosPerMessage = (cpuTicks(ProcessHandle.current().pid()) - clientCpu0) * 1e6
                        / CLOCK_TICKS / r.total;
                long[] status = MemoryBench.status(pid);
                r.relayRssKb = status[0];
                r.relayHwmKb = status[1];
                r.relayMaxRssKb = Math.max(maxRss.get(), status[0]);
                counters.running = false;
                counters.summarise(r);
            } finally {
                for (Node n : nodes) {
                    n.client().close();
                }
                pool.forEach(RelayConnector::close);
            }
            r.load = Files.readString(Path.of("/proc/loadavg")).strip();
            return r;
        } finally {
            sampler.shutdownNow();
            fleet.close();
        }
    }

    /** Per-message counts and times, written by the posting callbacks and the subscribers' sinks. */
    static final class Counters {
        final int total;
        final int connections;
        final AtomicIntegerArray acked;
        final AtomicIntegerArray received;
        final long[] ackedAt;
        final long[] deliveredAt;
        /** Per receiving connection: the last sender sequence it got from its one sender. */
        final AtomicIntegerArray lastSequence;
        final LongAdder outOfOrder = new LongAdder();
        /** Connections that dropped after the connect phase ({@code running}), and why (the client's sentence). */
        final LongAdder drops = new LongAdder();
        final Map<String, LongAdder> dropReasons = new ConcurrentHashMap<>();
        volatile boolean running;
        final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
        /** Per message: 1 once settled (delivered, or its post failed), so that {@link #drained} counts it once. */
        final AtomicIntegerArray settled;
        /**
         * Counts down once per message when it is settled: at its first delivery, or when its post failed (a post
         * that timed out may still have been committed and be delivered later: that must not count twice, or the
         * wait would end before an acknowledged message arrived).
         */
        final CountDownLatch drained;
        /** Counts down once per message when its post is answered (OK or failure). */
        final CountDownLatch answered;

        Counters(int total, int connections) {
            this.total = total;
            this.connections = connections;
            acked = new AtomicIntegerArray(total);
            received = new AtomicIntegerArray(total);
            ackedAt = new long[total];
            deliveredAt = new long[total];
            lastSequence = new AtomicIntegerArray(connections);
            for (int i = 0; i < connections; i++) {
                lastSequence.set(i, -1);
            }
            settled = new AtomicIntegerArray(total);
            drained = new CountDownLatch(total);
            answered = new CountDownLatch(total);
        }

        /** A delivered blob: decodes (sender, sequence, k) and the post time it carries. */
        void delivered(int receiver, byte[] blob) {
            long now = System.nanoTime();
            ByteBuffer b;
            try {
                b = ByteBuffer.wrap(MailboxItem.decode(blob).body());
            } catch (RelayException e) {
                failures.computeIfAbsent("undecodable delivery", x -> new LongAdder()).increment();
                return;
            }
            int sender = b.getInt();
            int sequence = b.getInt();
            int k = b.getInt();
            long postedNanos = b.getLong();
            if (k < 0 || k >= total || k % connections != sender || k / connections != sequence
                    || (sender + 1) % connections != receiver) {
                failures.computeIfAbsent("delivery with a wrong (sender, sequence)", x -> new LongAdder())
                        .increment();
                return;
            }
            if (received.getAndIncrement(k) == 0) {
                deliveredAt[k] = now - postedNanos;
                if (lastSequence.getAndAccumulate(receiver, sequence, Math::max) > sequence) {
                    outOfOrder.increment();
                }
                settle(k);
            }
        }

        void settle(int k) {
            if (settled.compareAndSet(k, 0, 1)) {
                drained.countDown();
            }
        }

        void summarise(Result r) {
            List<Long> delivery = new ArrayList<>();
            List<Long> ack = new ArrayList<>();
            for (int k = 0; k < total; k++) {
                int a = acked.get(k);
                int n = received.get(k);
                if (a == 1) {
                    r.acknowledged++;
                    if (n == 0) {
                        r.lost++;
                    }
                }
                if (n > 0) {
                    r.delivered++;
                    r.duplicated += n - 1;
                    if (k >= r.measuredFrom) {
                        delivery.add(deliveredAt[k]);
                    }
                }
                if (a == 1 && k >= r.measuredFrom) {
                    ack.add(ackedAt[k]);
                }
            }
            r.failed = r.total - r.acknowledged;
            r.failures.putAll(failures);
            r.outOfOrder = outOfOrder.sum();
            r.drops = drops.sum();
            r.dropReasons.putAll(dropReasons);
            r.deliveryNanos = delivery.stream().mapToLong(Long::longValue).sorted().toArray();
            r.ackNanos = ack.stream().mapToLong(Long::longValue).sorted().toArray();
        }
    }

    /** Opens the connections, creates an inbox on each and subscribes to it, CONNECT_PARALLELISM at a time. */
    private static List<Node> connect(List<RelayConnector> connectors, RelayAddress address, int connections,
            SecureRandom random, Counters counters, boolean delete) throws Exception {
        Inbox[] inboxes = new Inbox[connections];
        RelayClient[] clients = new RelayClient[connections];
        for (int from = 0; from < connections; from += CONNECT_PARALLELISM) {
            List<CompletableFuture<Void>> batch = new ArrayList<>();
            for (int i = from; i < Math.min(connections, from + CONNECT_PARALLELISM); i++) {
                int receiver = i;
                Inbox inbox = Inbox.generate(address, random);
                RelayClient client = connectors.get(i % connectors.size()).open();
                client.addStateListener(state -> {
                    if (counters.running && state != RelayClient.State.CONNECTED) {
                        counters.drops.increment();
                        String why = client.lastProblem().isEmpty() ? state.name() : client.lastProblem();
                        counters.dropReasons.computeIfAbsent(why, x -> new LongAdder()).increment();
                    }
                });
                inboxes[i] = inbox;
                clients[i] = client;
                batch.add(client.create(inbox).thenCompose(v -> client.subscribe(inbox, d -> {
                    counters.delivered(receiver, d.blob());
                    if (delete) {
                        var unused = client.delete(inbox, d.sequence());
                    }
                })));
            }
            CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new))
                    .get(CONNECT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            nodes.add(new Node(clients[i], inboxes[i], inboxes[(i + 1) % connections].capability()));
        }
        return nodes;
    }

    /**
     * Posts message k at t0 + k / rate (open loop: a slow relay does not slow the sender down, it shows as a
     * growing acknowledgement latency), from connection k % N into the next connection's inbox.
     */
    private static void send(Result r, List<Node> nodes, Counters c, RelayFleet fleet, int rate) throws IOException {
        int n = nodes.size();
        byte[] filler = new byte[BODY - 20];
        long self = ProcessHandle.current().pid();
        long[] relayCpu0 = new long[0];
        long pgCpu0 = -1;
        long clientCpu0 = 0;
        long window0 = 0;
        long t0 = System.nanoTime();
        long maxLag = 0;
        for (int k = 0; k < r.total; k++) {
            long due = t0 + (long) k * 1_000_000_000L / rate;
            long now = System.nanoTime();
            while (now < due) {
                LockSupport.parkNanos(due - now);
                now = System.nanoTime();
            }
            if (k == r.measuredFrom) {
                relayCpu0 = fleet.instanceTicks();
                pgCpu0 = fleet.postgresTicks();
                clientCpu0 = cpuTicks(self);
                window0 = now;
            }
            maxLag = Math.max(maxLag, now - due);
            int sender = k % n;
            int sequence = k / n;
            int index = k;
            byte[] body = ByteBuffer.allocate(BODY).putInt(sender).putInt(sequence).putInt(k).putLong(now)
                    .put(filler).array();
            byte[] blob = new MailboxItem(MailboxItem.Kind.RATCHET, body).encode();
            long postedAt = now;
            Node node = nodes.get(sender);
            var unused = node.client().post(node.next(), blob, TTL_SECONDS).whenComplete((atRelay, failure) -> {
                if (failure == null) {
                    c.ackedAt[index] = System.nanoTime() - postedAt;
                    c.acked.set(index, 1);
                    c.answered.countDown();
                } else {
                    Throwable cause = failure instanceof java.util.concurrent.CompletionException
                            && failure.getCause() != null ? failure.getCause() : failure;
                    String why = cause instanceof RelayException e ? e.reason().name() : cause.getClass().getName();
                    c.failures.computeIfAbsent(why, x -> new LongAdder()).increment();
                    c.answered.countDown();
                    c.settle(index);
                }
            });
        }
        long end = System.nanoTime();
        double window = (end - window0) / 1e9;
        r.sendSeconds = window;
        r.maxLagMillis = maxLag / 1_000_000;
        long[] relayCpu1 = fleet.instanceTicks();
        r.instanceCpuPercent = new double[relayCpu1.length];
        for (int i = 0; i < relayCpu1.length; i++) {
            r.instanceCpuPercent[i] = 100.0 * (relayCpu1[i] - relayCpu0[i]) / CLOCK_TICKS / window;
        }
        r.relayCpuPercent = 100.0 * (sum(relayCpu1) - sum(relayCpu0)) / CLOCK_TICKS / window;
        r.postgresCpuPercent = pgCpu0 < 0 ? Double.NaN
                : 100.0 * (fleet.postgresTicks() - pgCpu0) / CLOCK_TICKS / window;
        r.clientCpuPercent = 100.0 * (cpuTicks(self) - clientCpu0) / CLOCK_TICKS / window;
    }

    /**
     * What a durable commit may cost on this disk: the median of 100 appends of 4 KiB to a file, each followed by
     * fdatasync, as SQLite's WAL does at each commit with {@code synchronous=FULL}. Each append grows the file
     * (a metadata write too), where a WAL reused after a checkpoint does not: an upper bound, not the relay's cost.
     */
    static double fsyncMillis(Path file) throws IOException {
        long[] t = new long[100];
        ByteBuffer page = ByteBuffer.allocate(4096);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int i = 0; i < t.length; i++) {
                long t0 = System.nanoTime();
                page.clear();
                while (page.hasRemaining()) {
                    ch.write(page);
                }
                ch.force(false);
                t[i] = System.nanoTime() - t0;
            }
        } finally {
            Files.deleteIfExists(file);
        }
        Arrays.sort(t);
        return Result.ms(t, 50);
    }

    /** Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on every Linux architecture we run on). */
    static final int CLOCK_TICKS = 100;

    /** utime + stime of a process, in clock ticks. */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        // After the command name in parentheses (which may hold spaces): state is field 3, utime 14, stime 15.
        String[] f = SPACES.splitAsStream(stat.substring(stat.lastIndexOf(')') + 2)).toArray(String[]::new);
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** The soft limit on open files of this process (which the relay child inherits), or -1 if unknown. */
    static long openFileLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = SPACES.splitAsStream(line.substring("Max open files".length()).trim()).findFirst()
                        .orElse("");
                return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        return -1;
    }

    private static long sum(long[] ticks) {
        return Arrays.stream(ticks).sum();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
