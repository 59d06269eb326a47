package org.securep2p.transport.reliable;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the packet tag (PROTOCOL.md 13.9) costs a bulk transfer, with nothing else changed: two reliable
 * channels over real UDP on loopback, in one process, the same transfer with and without packet keys, in
 * interleaved rounds so that a busy machine's drift hits both alike. No TLS on top, so the tag's share is the
 * largest it can be. Prints MiB/s and process CPU per MiB (both ends, all threads), median, lowest and highest.
 * It lives in the transport's package (in the bench module) because the channel is package-private.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar org.securep2p.transport.reliable.ReliableTagCostBench [rounds] [MiB]}
 */
public final class ReliableTagCostBench {

    private ReliableTagCostBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        SecureRandom random = new SecureRandom();
        run(false, 16, random); // warm-up, both paths
        run(true, 16, random);
        List<double[]> plain = new ArrayList<>();
        List<double[]> tagged = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            boolean tagFirst = r % 2 == 1;
            (tagFirst ? tagged : plain).add(run(tagFirst, mib, random));
            (tagFirst ? plain : tagged).add(run(!tagFirst, mib, random));
        }
        System.out.printf(Locale.ROOT, "reliable channel alone over UDP loopback, %d interleaved rounds of %d MiB%n",
                rounds, mib);
        System.out.printf(Locale.ROOT, "%-22s %10s %10s %10s %12s %10s %10s%n", "variant", "MiB/s", "lowest",
                "highest", "CPU ms/MiB", "lowest", "highest");
        print("untagged", plain);
        print("tagged (GMAC)", tagged);
        double throughput = median(tagged, 0) / median(plain, 0);
        double cpu = median(tagged, 1) / median(plain, 1);
        System.out.printf(Locale.ROOT, "tagged/untagged: throughput %.1f%%, CPU per MiB %.1f%%%n",
                100 * throughput, 100 * cpu);
    }

    private static void print(String name, List<double[]> rows) {
        System.out.printf(Locale.ROOT, "%-22s %10.1f %10.1f %10.1f %12.2f %10.2f %10.2f%n", name, median(rows, 0),
                min(rows, 0), max(rows, 0), median(rows, 1), min(rows, 1), max(rows, 1));
    }

    /** One transfer of {@code mib} MiB a → b; returns {MiB/s, CPU ms per MiB}. */
    private static double[] run(boolean keyed, int mib, SecureRandom random) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        DatagramChannel ca = DatagramChannel.open().bind(new InetSocketAddress(lo, 0));
        DatagramChannel cb = DatagramChannel.open().bind(new InetSocketAddress(lo, 0));
        ca.connect(cb.getLocalAddress());
        cb.connect(ca.getLocalAddress());
        ReliableConfig config = ReliableConfig.defaults();
        ReliableChannel a = ReliableChannel.open(UdpDatagramLink.of(ca), config);
        ReliableChannel b = ReliableChannel.open(UdpDatagramLink.of(cb), config);
        try {
            if (keyed) {
                byte[] m = new byte[ReliableAuth.EXPORTER_BYTES];
                random.nextBytes(m);
                byte[] copy = m.clone();
                a.installKeys(ReliableAuth.fromExporter(m, true));
                b.installKeys(ReliableAuth.fromExporter(copy, false));
            }
            long total = (long) mib << 20;
            AtomicReference<Throwable> failed = new AtomicReference<>();
            byte[] chunk = new byte[64 * 1024];
            random.nextBytes(chunk);
            long cpu0 = cpuNanos();
            long t0 = System.nanoTime();
            Thread writer = new Thread(() -> {
                try {
                    for (long sent = 0; sent < total; sent += chunk.length) {
                        a.write(chunk, 0, chunk.length);
                    }
                } catch (Throwable t) {
                    failed.set(t);
                }
            }, "bench-writer");
            writer.start();
            byte[] buf = new byte[64 * 1024];
            long got = 0;
            while (got < total) {
                int n = b.read(buf, 0, buf.length, 10_000);
                if (n <= 0) {
                    throw new IllegalStateException("transfer stalled at " + got + ": " + b.failure() + " "
                            + failed.get());
                }
                got += n;
            }
            long t1 = System.nanoTime();
            long cpu1 = cpuNanos();
            writer.join();
            if (keyed && (a.stats().droppedUnauthenticated() + b.stats().droppedUnauthenticated() != 0
                    || !b.stats().peerTags())) {
                throw new IllegalStateException("tags did not verify: " + b.stats());
            }
            return new double[] {mib / ((t1 - t0) / 1e9), (cpu1 - cpu0) / 1e6 / mib};
        } finally {
            a.abort("bench over");
            b.abort("bench over");
        }
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static double median(List<double[]> rows, int col) {
        double[] v = rows.stream().mapToDouble(r -> r[col]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double min(List<double[]> rows, int col) {
        return rows.stream().mapToDouble(r -> r[col]).min().orElse(Double.NaN);
    }

    private static double max(List<double[]> rows, int col) {
        return rows.stream().mapToDouble(r -> r[col]).max().orElse(Double.NaN);
    }
}
