package org.securep2p.transport;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.securep2p.transport.reliable.ReliableAuth;
import org.securep2p.transport.reliable.ReliableChannel;
import org.securep2p.transport.reliable.ReliableConfig;
import org.securep2p.transport.reliable.UdpDatagramLink;

/**
 * What the fixed-port listener's demultiplexer (PROTOCOL.md 14, {@code UdpDemux}) costs a bulk transfer: the
 * same keyed reliable channels over UDP loopback, the receiving side either on its own connected socket (as
 * the single-peer listen and every dialer) or on a link of one shared listener socket, with one peer and with
 * several at once (the volume split between them). No TLS on top, so the demultiplexer's share is the largest
 * it can be. Interleaved rounds; prints MiB/s (all peers together) and process CPU per MiB (both ends, all
 * threads): median, lowest, highest. In the transport's package because the channel is package-private.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar org.securep2p.transport.ListenerDemuxBench [rounds] [MiB] [peers]}
 */
public final class ListenerDemuxBench {

    private ListenerDemuxBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int peers = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        SecureRandom random = new SecureRandom();
        Map<String, List<double[]>> rows = new LinkedHashMap<>();
        String own = "own socket, 1 peer";
        String one = "listener, 1 peer";
        String many = "listener, " + peers + " peers";
        for (String v : List.of(own, one, many)) {
            rows.put(v, new ArrayList<>());
            run(v.equals(own), v.equals(many) ? peers : 1, 16, random); // warm-up
        }
        for (int r = 0; r < rounds; r++) {
            // Rotate the order so a busy machine's drift hits every variant alike.
            for (int k = 0; k < 3; k++) {
                String v = List.of(own, one, many).get((r + k) % 3);
                rows.get(v).add(run(v.equals(own), v.equals(many) ? peers : 1, mib, random));
            }
        }
        System.out.printf(Locale.ROOT, "keyed reliable channels over UDP loopback, %d rounds of %d MiB (split "
                + "between the peers)%n", rounds, mib);
        System.out.printf(Locale.ROOT, "%-22s %10s %10s %10s %12s %10s %10s%n", "receiving side", "MiB/s", "lowest",
                "highest", "CPU ms/MiB", "lowest", "highest");
        rows.forEach((name, r) -> System.out.printf(Locale.ROOT, "%-22s %10.1f %10.1f %10.1f %12.2f %10.2f %10.2f%n",
                name, median(r, 0), min(r, 0), max(r, 0), median(r, 1), min(r, 1), max(r, 1)));
        System.out.printf(Locale.ROOT, "listener/own socket, 1 peer: throughput %.1f%%, CPU per MiB %.1f%%%n",
                100 * median(rows.get(one), 0) / median(rows.get(own), 0),
                100 * median(rows.get(one), 1) / median(rows.get(own), 1));
    }

    /** Transfers {@code mib} MiB from {@code peers} dialers to one receiver each; returns {MiB/s, CPU ms/MiB}. */
    private static double[] run(boolean ownSocket, int peers, int mib, SecureRandom random) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        LinkedBlockingQueue<UdpDemux.Link> opened = new LinkedBlockingQueue<>();
        UdpDemux demux = ownSocket ? null : UdpDemux.bind(0, 32, 8, opened::add, () -> { });
        List<ReliableChannel> senders = new ArrayList<>();
        List<ReliableChannel> receivers = new ArrayList<>();
        try {
            for (int p = 0; p < peers; p++) {
                byte[] m = new byte[ReliableAuth.EXPORTER_BYTES];
                random.nextBytes(m);
                byte[] copy = m.clone();
                ReliableConfig config = ReliableConfig.defaults();
                ReliableChannel a;
                ReliableChannel b;
                if (ownSocket) {
                    DatagramChannel ca = DatagramChannel.open().bind(new InetSocketAddress(lo, 0));
                    DatagramChannel cb = DatagramChannel.open().bind(new InetSocketAddress(lo, 0));
                    ca.connect(cb.getLocalAddress());
                    cb.connect(ca.getLocalAddress());
                    a = ReliableChannel.open(UdpDatagramLink.of(ca), config);
                    b = ReliableChannel.open(UdpDatagramLink.of(cb), config);
                    a.installKeys(ReliableAuth.fromExporter(m, true));
                    b.installKeys(ReliableAuth.fromExporter(copy, false));
                    a.write(new byte[1], 0, 1);
                } else {
                    a = ReliableChannel.open(UdpDatagramLink.connect(null, new InetSocketAddress(lo, demux.port())),
                            config);
                    a.installKeys(ReliableAuth.fromExporter(m, true));
                    a.write(new byte[1], 0, 1); // DATA at offset 0: opens the peer's link on the listener
                    UdpDemux.Link link = opened.poll(10, TimeUnit.SECONDS);
                    if (link == null) {
                        throw new IllegalStateException("the listener opened no link for peer " + p);
                    }
                    link.markEstablished();
                    b = ReliableChannel.open(link, config);
                    b.installKeys(ReliableAuth.fromExporter(copy, false));
                }
                senders.add(a);
                receivers.add(b);
                if (b.read(new byte[1], 0, 1, 10_000) != 1) {
                    throw new IllegalStateException("peer " + p + " not connected");
                }
            }
            long each = ((long) mib << 20) / peers;
            AtomicReference<Throwable> failed = new AtomicReference<>();
            byte[] chunk = new byte[64 * 1024];
            random.nextBytes(chunk);
            List<Thread> threads = new ArrayList<>();
            long cpu0 = cpuNanos();
            long t0 = System.nanoTime();
            for (int p = 0; p < peers; p++) {
                ReliableChannel a = senders.get(p);
                ReliableChannel b = receivers.get(p);
                threads.add(new Thread(() -> {
                    try {
                        for (long sent = 0; sent < each; sent += chunk.length) {
                            a.write(chunk, 0, (int) Math.min(chunk.length, each - sent));
                        }
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                }, "bench-writer-" + p));
                threads.add(new Thread(() -> {
                    try {
                        byte[] buf = new byte[64 * 1024];
                        long got = 0;
                        while (got < each) {
                            int n = b.read(buf, 0, buf.length, 10_000);
                            if (n <= 0) {
                                throw new IllegalStateException("stalled at " + got + ": " + b.failure());
                            }
                            got += n;
                        }
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                }, "bench-reader-" + p));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            long t1 = System.nanoTime();
            long cpu1 = cpuNanos();
            if (failed.get() != null) {
                throw new IllegalStateException("transfer failed", failed.get());
            }
            for (ReliableChannel b : receivers) {
                if (b.stats().droppedUnauthenticated() != 0 || !b.stats().peerTags()) {
                    throw new IllegalStateException("tags did not verify: " + b.stats());
                }
            }
            return new double[] {mib / ((t1 - t0) / 1e9), (cpu1 - cpu0) / 1e6 / mib};
        } finally {
            senders.forEach(c -> c.abort("bench over"));
            receivers.forEach(c -> c.abort("bench over"));
            if (demux != null) {
                demux.closeNow();
            }
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
