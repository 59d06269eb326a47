package org.securep2p.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The transport's latency and throughput on loopback, side by side in one run with the two baselines the
 * issue names: raw UDP (what the path itself costs) and the JDK's TLS 1.3 over a TCP loopback socket (what an
 * ordinary secure stream costs). Prints one table; wall-clock, so run it on a quiet machine.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar org.securep2p.bench.TransportBench [rttSamples] [bulkMiB]}
 */
public final class TransportBench {

    static final int MESSAGE = 100;

    private TransportBench() {
    }

    /** Two connected ends of one byte stream: the bench writes on {@code a} and the echo side uses {@code b}. */
    interface StreamPair extends AutoCloseable {
        InputStream aIn();

        OutputStream aOut();

        InputStream bIn();

        OutputStream bOut();

        @Override
        void close() throws Exception;
    }

    /** A row of the table. */
    static final class Row {
        final String name;
        double p50Micros = Double.NaN;
        double p99Micros = Double.NaN;
        double mibPerSecond = Double.NaN;
        /** Process CPU time (all threads, both ends) per MiB of the timed bulk: robust to a busy machine. */
        double cpuMillisPerMiB = Double.NaN;
        String note = "";

        Row(String name) {
            this.name = name;
        }
    }

    public static void main(String[] args) throws Exception {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int bulkMiB = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        List<Row> rows = new ArrayList<>();
        // -Dbench.baselines=false leaves out the baselines (for profiling securep2p's own rows).
        boolean baselines = Boolean.parseBoolean(System.getProperty("bench.baselines", "true"));
        if (baselines) {
            rows.add(rawUdp(samples, bulkMiB));
        }
        for (String suite : baselines ? List.of("TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256")
                : List.<String>of()) {
            Row r = new Row("JDK TLS 1.3 over TCP, " + suite);
            try (StreamPair p = jdkTls(suite)) {
                measureStream(r, p, samples, bulkMiB);
            }
            rows.add(r);
        }
        rows.addAll(SecureP2pStreams.rows(samples, bulkMiB));
        print(rows, samples, bulkMiB);
        // -Dbench.rounds=N (default 7; 0 to skip): the ratio to the JDK ChaCha20 baseline, interleaved.
        int rounds = Integer.getInteger("bench.rounds", 7);
        if (baselines && rounds > 0) {
            SecureP2pStreams.interleavedRatios(rounds, Math.max(16, bulkMiB / 4)).forEach(System.out::println);
        }
    }

    /** The receiving end of repeated bulks: drains {@code bytes} at a time and acknowledges each with one byte. */
    static final class Sink {
        private final Thread thread;

        private Sink(Thread thread) {
            this.thread = thread;
        }

        static Sink start(StreamPair p, long bytes) {
            Thread t = new Thread(() -> {
                byte[] big = new byte[64 * 1024];
                try {
                    while (true) {
                        long got = 0;
                        while (got < bytes) {
                            int n = p.bIn().read(big, 0, (int) Math.min(big.length, bytes - got));
                            if (n < 0) {
                                return;
                            }
                            got += n;
                        }
                        p.bOut().write(1);
                        p.bOut().flush();
                    }
                } catch (IOException e) {
                    // closed at the end of the measurement
                }
            }, "bench-sink");
            t.setDaemon(true);
            t.start();
            return new Sink(t);
        }

        void stop() {
            thread.interrupt();
        }
    }

    static void print(List<Row> rows, int samples, int bulkMiB) {
        System.out.printf(Locale.ROOT, "%nloopback, %d-byte round trips (%d samples), one-way bulk of %d MiB%n",
                MESSAGE, samples, bulkMiB);
        System.out.printf(Locale.ROOT, "%-58s %10s %10s %12s %12s  %s%n", "transport", "RTT p50", "RTT p99",
                "bulk MiB/s", "CPU ms/MiB", "note");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-58s %8.1f us %8.1f us %12.1f %12.2f  %s%n", r.name, r.p50Micros,
                    r.p99Micros, r.mibPerSecond, r.cpuMillisPerMiB, r.note);
        }
    }

    /** Round trips of MESSAGE bytes echoed by a thread on b; then bulk a to b. */
    static void measureStream(Row row, StreamPair p, int samples, int bulkMiB) throws Exception {
        Thread echo = new Thread(() -> {
            byte[] buf = new byte[MESSAGE];
            try {
                DataInputStream in = new DataInputStream(p.bIn());
                while (true) {
                    in.readFully(buf);
                    if (buf[0] == (byte) 0xFF) {
                        break;
                    }
                    p.bOut().write(buf);
                    p.bOut().flush();
                }
                // Bulk phases (warm-up, then timed): drain until each phase's byte count arrived, then
                // acknowledge it once.
                byte[] big = new byte[64 * 1024];
                for (long want : new long[] {(long) warmupMiB(bulkMiB) << 20, (long) bulkMiB << 20}) {
                    long got = 0;
                    while (got < want) {
                        int n = p.bIn().read(big, 0, (int) Math.min(big.length, want - got));
                        if (n < 0) {
                            return;
                        }
                        got += n;
                    }
                    p.bOut().write(1);
                    p.bOut().flush();
                    if (Boolean.getBoolean("bench.trace")) {
                        System.err.println("bench-echo: acknowledged " + got + " bytes");
                    }
                }
            } catch (IOException e) {
                // The stream broke: say so, or the bench would wait for an acknowledgement that never comes.
                System.err.println("bench-echo: the stream failed: " + e);
            }
        }, "bench-echo");
        echo.setDaemon(true);
        echo.start();
        long[] rtt = roundTrips(p.aIn(), p.aOut(), samples);
        row.p50Micros = percentile(rtt, 50);
        row.p99Micros = percentile(rtt, 99);
        byte[] stop = new byte[MESSAGE];
        stop[0] = (byte) 0xFF;
        p.aOut().write(stop);
        p.aOut().flush();
        byte[] chunk = new byte[16 * 1024];
        new SecureRandom().nextBytes(chunk);
        // Untimed warm-up of the bulk path, as JMH would, so that no row pays for compiling code that an
        // earlier row happened to compile already (rows differ only in what runs before them).
        bulk(p, chunk, (long) warmupMiB(bulkMiB) << 20);
        long cpuStart = processCpuNanos();
        long start = System.nanoTime();
        bulk(p, chunk, (long) bulkMiB << 20);
        double seconds = (System.nanoTime() - start) / 1e9;
        row.cpuMillisPerMiB = (processCpuNanos() - cpuStart) / 1e6 / bulkMiB;
        row.mibPerSecond = bulkMiB / seconds;
        echo.join(5000);
    }

    /** The untimed bulk sent before the timed one: half of it, at least 16 MiB (a quarter left the first
     * securep2p row measurably slower than the next two, which run the same code). */
    static int warmupMiB(int bulkMiB) {
        return Math.max(16, bulkMiB / 2);
    }

    /** CPU time of this whole process (every thread), or -1 where the JDK does not report it. */
    static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    /** Writes {@code total} bytes and waits for the echo side's one-byte acknowledgement. */
    static void bulk(StreamPair p, byte[] chunk, long total) throws IOException {
        for (long sent = 0; sent < total; sent += chunk.length) {
            p.aOut().write(chunk, 0, (int) Math.min(chunk.length, total - sent));
        }
        p.aOut().flush();
        if (p.aIn().read() != 1) {
            throw new IOException("bulk not acknowledged");
        }
    }

    static long[] roundTrips(InputStream in, OutputStream out, int samples) throws IOException {
        byte[] msg = new byte[MESSAGE];
        byte[] back = new byte[MESSAGE];
        DataInputStream din = new DataInputStream(in);
        int warmup = Math.max(2000, samples / 5);
        long[] rtt = new long[samples];
        for (int i = 0; i < warmup + samples; i++) {
            msg[1] = (byte) i;
            long t0 = System.nanoTime();
            out.write(msg);
            out.flush();
            din.readFully(back);
            long t1 = System.nanoTime();
            if (back[1] != msg[1]) {
                throw new IOException("echo out of step");
            }
            if (i >= warmup) {
                rtt[i - warmup] = t1 - t0;
            }
        }
        return rtt;
    }

    static double percentile(long[] nanos, int p) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        int idx = (int) Math.min(s.length - 1, Math.ceil(p / 100.0 * s.length) - 1);
        return s[Math.max(0, idx)] / 1000.0;
    }

    /** Raw UDP: an echo thread for round trips; bulk = 1,200-byte datagrams blasted, received bytes counted. */
    static Row rawUdp(int samples, int bulkMiB) throws Exception {
        Row row = new Row("raw UDP echo (no reliability, no crypto)");
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (DatagramSocket a = new DatagramSocket(new InetSocketAddress(lo, 0));
             DatagramSocket b = new DatagramSocket(new InetSocketAddress(lo, 0))) {
            a.connect(b.getLocalSocketAddress());
            b.connect(a.getLocalSocketAddress());
            AtomicLong received = new AtomicLong();
            Thread echo = new Thread(() -> {
                byte[] buf = new byte[1500];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    b.setSoTimeout(2000);
                    while (true) {
                        p.setLength(buf.length);
                        b.receive(p);
                        if (p.getLength() == MESSAGE) {
                            b.send(p);
                        } else {
                            received.addAndGet(p.getLength());
                        }
                    }
                } catch (IOException e) {
                    // timeout or closed: done
                }
            }, "bench-udp-echo");
            echo.setDaemon(true);
            echo.start();
            byte[] msg = new byte[MESSAGE];
            DatagramPacket out = new DatagramPacket(msg, MESSAGE);
            DatagramPacket in = new DatagramPacket(new byte[1500], 1500);
            a.setSoTimeout(1000);
            int warmup = Math.max(2000, samples / 5);
            long[] rtt = new long[samples];
            int lost = 0;
            for (int i = 0; i < warmup + samples; i++) {
                long t0 = System.nanoTime();
                a.send(out);
                try {
                    in.setLength(1500);
                    a.receive(in);
                } catch (SocketTimeoutException e) {
                    lost++;
                    i--;
                    continue;
                }
                if (i >= warmup) {
                    rtt[i - warmup] = System.nanoTime() - t0;
                }
            }
            row.p50Micros = percentile(rtt, 50);
            row.p99Micros = percentile(rtt, 99);
            byte[] big = new byte[1200];
            DatagramPacket bulk = new DatagramPacket(big, big.length);
            long total = (long) bulkMiB << 20;
            long start = System.nanoTime();
            for (long sent = 0; sent < total; sent += big.length) {
                a.send(bulk);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Thread.sleep(200);
            row.mibPerSecond = bulkMiB / seconds;
            row.note = String.format(Locale.ROOT, "sender rate; %.0f%% of datagrams arrived%s",
                    100.0 * received.get() / total, lost > 0 ? ", " + lost + " echoes lost" : "");
        }
        return row;
    }

    /** JDK TLS 1.3 over TCP loopback with one cipher suite and a fresh self-signed Ed25519 certificate. */
    static StreamPair jdkTls(String suite) throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        X500Name name = new X500Name("CN=bench");
        Instant now = Instant.now();
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                name, BigInteger.ONE, Date.from(now), Date.from(now.plus(Duration.ofDays(1))), name,
                kp.getPublic()).build(new JcaContentSignerBuilder("Ed25519").build(kp.getPrivate())));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", kp.getPrivate(), new char[0], new X509Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("c", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
        SSLServerSocket server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 1,
                InetAddress.getLoopbackAddress());
        server.setEnabledProtocols(new String[] {"TLSv1.3"});
        server.setEnabledCipherSuites(new String[] {suite});
        SSLSocket client = (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                server.getLocalPort());
        client.setEnabledProtocols(new String[] {"TLSv1.3"});
        client.setEnabledCipherSuites(new String[] {suite});
        client.setTcpNoDelay(true);
        Socket[] accepted = new Socket[1];
        Thread acceptor = new Thread(() -> {
            try {
                accepted[0] = server.accept();
                accepted[0].setTcpNoDelay(true);
                ((SSLSocket) accepted[0]).startHandshake();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        acceptor.start();
        client.startHandshake();
        acceptor.join();
        server.close();
        Socket b = accepted[0];
        return new StreamPair() {
            @Override
            public InputStream aIn() {
                return io(client::getInputStream);
            }

            @Override

            public OutputStream aOut() {
                return io(client::getOutputStream);
            }

            @Override

            public InputStream bIn() {
                return io(b::getInputStream);
            }

            @Override

            public OutputStream bOut() {
                return io(b::getOutputStream);
            }

            @Override
            public void close() throws IOException {
                client.close();
                b.close();
            }
        };
    }

    interface IoSupplier<T> {
        T get() throws IOException;
    }

    static <T> T io(IoSupplier<T> s) {
        try {
            return s.get();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
