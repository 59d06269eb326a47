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
import org.securep2p.transport.TransportCertificate;
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

    static List<TransportBench.Row> rows(int samples, int bulkMiB) throws Exception {
        SecureRandom random = new SecureRandom();
        Path certs = Files.createTempDirectory("bench-certs");
        List<TransportBench.Row> rows = new ArrayList<>();
        try (InMemoryPrivateKeys a = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0);
             InMemoryPrivateKeys b = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0)) {
            TransportConfig config = TransportConfig.builder()
                    .hostCandidates(TransportConfig.HostCandidates.LOOPBACK_ONLY).stunServers(List.of()).build();
            Connector waiterSide = new Connector(config, a,
                    TransportCertificate.loadOrCreate(certs.resolve("a"), a, Clock.systemUTC()), random);
            Connector dialerSide = new Connector(config, b,
                    TransportCertificate.loadOrCreate(certs.resolve("b"), b, Clock.systemUTC()), random);
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
            public InputStream aIn() {
                return a.inputStream();
            }

            public OutputStream aOut() {
                return a.outputStream();
            }

            public InputStream bIn() {
                return b.inputStream();
            }

            public OutputStream bOut() {
                return b.outputStream();
            }

            public void close() {
                a.close();
                b.close();
            }
        };
    }
}
