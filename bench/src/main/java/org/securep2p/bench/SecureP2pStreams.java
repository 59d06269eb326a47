package org.securep2p.bench;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.ConnectionCode;
import org.securep2p.transport.Connector;
import org.securep2p.transport.PeerConnection;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.TransportConfig;

/**
 * securep2p's rows of {@link TransportBench}: the whole transport (ICE on loopback, the reliable channel,
 * TLS 1.3 ChaCha20-Poly1305 pinned to the identity) through its public API, at each security level, and the
 * time from "connect" to a usable TLS channel.
 */
final class SecureP2pStreams {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Connections made to time the set-up; the first ones also warm the code up. */
    static final int CONNECT_RUNS = 12;

    private SecureP2pStreams() {
    }

    /** Two loopback connectors with fresh identities: [waiter side, dialer side]. */
    static Connector[] connectors(InMemoryPrivateKeys a, InMemoryPrivateKeys b, SecureRandom random)
            throws Exception {
        Path certs = Files.createTempDirectory("bench-certs");
        TransportConfig config = TransportConfig.builder()
                .hostCandidates(TransportConfig.HostCandidates.LOOPBACK_ONLY).stunServers(List.of()).build();
        return new Connector[] {
            new Connector(config, a, TransportCertificate.loadOrCreate(certs.resolve("a"), a, Clock.systemUTC()), random),
            new Connector(config, b, TransportCertificate.loadOrCreate(certs.resolve("b"), b, Clock.systemUTC()), random)};
    }

    /**
     * The throughput ratio to the JDK's TLS 1.3 ChaCha20 over TCP, measured fairly on a noisy machine: the
     * JDK pair and one connection per level stay open, and each of {@code reps} rounds times one bulk of
     * {@code mib} MiB on each in turn, so that every ratio compares runs made moments apart. Returns the lines
     * of a small table: per level, the median, lowest and highest ratio.
     */
    static List<String> interleavedRatios(int reps, int mib) throws Exception {
        SecureRandom random = new SecureRandom();
        List<String> lines = new ArrayList<>();
        try (InMemoryPrivateKeys a = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0);
             InMemoryPrivateKeys b = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0);
             TransportBench.StreamPair jdk = TransportBench.jdkTls("TLS_CHACHA20_POLY1305_SHA256")) {
            Connector[] sides = connectors(a, b, random);
            List<TransportBench.StreamPair> pairs = new ArrayList<>();
            pairs.add(jdk);
            for (SecurityLevel level : SecurityLevel.values()) {
                PeerConnection[] pair = connect(sides[0], sides[1], level);
                pairs.add(streams(pair[1], pair[0]));
            }
            try {
                double[][] mibPerSecond = new double[pairs.size()][reps];
                List<TransportBench.Sink> sinks = new ArrayList<>();
                for (TransportBench.StreamPair p : pairs) {
                    sinks.add(TransportBench.Sink.start(p, (long) mib << 20));
                }
                byte[] chunk = new byte[16 * 1024];
                random.nextBytes(chunk);
                for (int i = 0; i < pairs.size(); i++) {
                    TransportBench.bulk(pairs.get(i), chunk, (long) mib << 20); // warm-up round, not timed
                }
                for (int r = 0; r < reps; r++) {
                    for (int i = 0; i < pairs.size(); i++) {
                        long t0 = System.nanoTime();
                        TransportBench.bulk(pairs.get(i), chunk, (long) mib << 20);
                        mibPerSecond[i][r] = mib / ((System.nanoTime() - t0) / 1e9);
                    }
                }
                lines.add(String.format(Locale.ROOT, "%nthroughput ratio to the JDK's TLS 1.3 ChaCha20 over TCP, %d "
                        + "interleaved rounds of %d MiB (JDK median %.1f MiB/s)", reps, mib,
                        median(mibPerSecond[0])));
                lines.add(String.format(Locale.ROOT, "%-22s %10s %8s %8s %8s", "level", "MiB/s", "ratio", "lowest",
                        "highest"));
                SecurityLevel[] levels = SecurityLevel.values();
                for (int i = 1; i < pairs.size(); i++) {
                    double[] ratio = new double[reps];
                    for (int r = 0; r < reps; r++) {
                        ratio[r] = mibPerSecond[i][r] / mibPerSecond[0][r];
                    }
                    double[] sorted = ratio.clone();
                    Arrays.sort(sorted);
                    lines.add(String.format(Locale.ROOT, "%-22s %10.1f %7.0f%% %7.0f%% %7.0f%%", levels[i - 1],
                            median(mibPerSecond[i]), 100 * median(ratio), 100 * sorted[0],
                            100 * sorted[reps - 1]));
                }
                sinks.forEach(TransportBench.Sink::stop);
            } finally {
                for (TransportBench.StreamPair p : pairs.subList(1, pairs.size())) {
                    p.close();
                }
            }
        }
        return lines;
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static List<TransportBench.Row> rows(int samples, int bulkMiB) throws Exception {
        SecureRandom random = new SecureRandom();
        List<TransportBench.Row> rows = new ArrayList<>();
        try (InMemoryPrivateKeys a = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0);
             InMemoryPrivateKeys b = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0)) {
            Connector[] sides = connectors(a, b, random);
            Connector waiterSide = sides[0];
            Connector dialerSide = sides[1];
            // One unrecorded pass first, so that the first row does not pay alone for compiling the
            // connection set-up and the data path (it measured up to 20% below the other two without it).
            PeerConnection[] warm = connect(waiterSide, dialerSide, SecurityLevel.STANDARD);
            try (PeerConnection dialer = warm[1]; PeerConnection waiter = warm[0]) {
                TransportBench.measureStream(new TransportBench.Row("warm-up"), streams(dialer, waiter),
                        Math.min(samples, 2_000), Math.min(bulkMiB, 64));
            }
            for (SecurityLevel level : SecurityLevel.values()) {
                TransportBench.Row row = new TransportBench.Row("securep2p " + level
                        + " (ICE loopback + reliable UDP + TLS 1.3 ChaCha20)");
                long[] setup = new long[CONNECT_RUNS];
                for (int i = 0; i < CONNECT_RUNS; i++) {
                    long t0 = System.nanoTime();
                    PeerConnection[] pair = connect(waiterSide, dialerSide, level);
                    setup[i] = System.nanoTime() - t0;
                    if (i < CONNECT_RUNS - 1) {
                        pair[0].close();
                        pair[1].close();
                        continue;
                    }
                    try (PeerConnection dialer = pair[1]; PeerConnection waiter = pair[0]) {
                        TransportBench.measureStream(row, streams(dialer, waiter), samples, bulkMiB);
                    }
                }
                long[] measured = Arrays.copyOfRange(setup, 2, CONNECT_RUNS);
                row.note = String.format(Locale.ROOT, "connect to usable TLS p50 %.1f ms (both sides, loopback)",
                        TransportBench.percentile(measured, 50) / 1000.0);
                rows.add(row);
            }
        }
        return rows;
    }

    /** Waiter and dialer concurrently, as two people would; [waiter, dialer]. */
    static PeerConnection[] connect(Connector waiterSide, Connector dialerSide, SecurityLevel level)
            throws Exception {
        Connector.Waiting waiting = waiterSide.waitForPeer(level);
        ConnectionCode code = ConnectionCode.parse(waiting.code().text());
        CompletableFuture<PeerConnection> w = CompletableFuture.supplyAsync(() -> {
            try {
                return waiting.awaitPeer(TIMEOUT);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        PeerConnection d = dialerSide.dial(code, level).awaitPeer(TIMEOUT);
        return new PeerConnection[] {w.get(), d};
    }

    static TransportBench.StreamPair streams(PeerConnection a, PeerConnection b) {
        return new TransportBench.StreamPair() {
            @Override
            public InputStream aIn() {
                return a.inputStream();
            }

            @Override

            public OutputStream aOut() {
                return a.outputStream();
            }

            @Override

            public InputStream bIn() {
                return b.inputStream();
            }

            @Override

            public OutputStream bOut() {
                return b.outputStream();
            }

            @Override
            public void close() {
                a.close();
                b.close();
            }
        };
    }
}
