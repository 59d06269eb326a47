package org.securep2p.transport;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.reliable.DatagramLink;
import org.securep2p.crypto.testing.Await;

/** The fixed-port listener with real dialers, reliable channels and TLS on loopback (issue 16). */
class ConnectorListenerTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final SecurityLevel LEVEL = SecurityLevel.STANDARD;
    private static final int DIALERS = Connector.LISTENER_MAX_CONNECTIONS + 1;

    private static InMemoryPrivateKeys listenerKeys;
    private static final List<InMemoryPrivateKeys> dialerKeys = new ArrayList<>();

    @TempDir
    Path dir;

    private final BlockingQueue<TransportException> refusals = new LinkedBlockingQueue<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    static void identities() throws Exception {
        listenerKeys = InMemoryPrivateKeys.generate(RANDOM, Clock.systemUTC(), 0, 0);
        for (int i = 0; i < DIALERS; i++) {
            dialerKeys.add(InMemoryPrivateKeys.generate(RANDOM, Clock.systemUTC(), 0, 0));
        }
    }

    @AfterAll
    static void wipe() {
        listenerKeys.close();
        dialerKeys.forEach(InMemoryPrivateKeys::close);
        dialerKeys.clear();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        pool.shutdownNow();
    }

    private Connector connector(InMemoryPrivateKeys keys, String name) throws Exception {
        TransportConfig config = TransportConfig.builder()
                .hostCandidates(TransportConfig.HostCandidates.LOOPBACK_ONLY).stunServers(List.of()).build();
        return new Connector(config, keys, TransportCertificate.loadOrCreate(dir.resolve(name), keys,
                Clock.systemUTC()), RANDOM);
    }

    private Connector.Listener listener(int maxConnections, int maxHalfOpen) throws Exception {
        Connector.Listener l = connector(listenerKeys, "listener").listen(0, LEVEL, refusals::add, maxConnections,
                maxHalfOpen);
        toClose.add(l);
        return l;
    }

    private Future<PeerConnection> dial(int dialer, Connector.Listener listener, SecurityLevel level) {
        return dial(dialer, "127.0.0.1", listener, level);
    }

    private Future<PeerConnection> dial(int dialer, String host, Connector.Listener listener, SecurityLevel level) {
        return pool.submit(() -> {
            PeerConnection c = connector(dialerKeys.get(dialer), "dialer" + dialer)
                    .dialAddress(new InetSocketAddress(host, listener.port()), level, TIMEOUT);
            synchronized (toClose) {
                toClose.add(c);
            }
            return c;
        });
    }

    private PeerConnection accept(Connector.Listener listener) throws TransportException {
        PeerConnection c = listener.accept(TIMEOUT);
        toClose.add(c);
        return c;
    }

    private static Fingerprint fingerprint(int dialer) {
        return dialerKeys.get(dialer).identity().fingerprint();
    }

    /** A message each way, proving the pair is connected end to end. */
    private static void roundTrip(PeerConnection dialer, PeerConnection accepted, String text) throws Exception {
        dialer.sendMessage(("to listener " + text).getBytes(UTF_8));
        assertThat(new String(accepted.receiveMessage(), UTF_8)).isEqualTo("to listener " + text);
        accepted.sendMessage(("to dialer " + text).getBytes(UTF_8));
        assertThat(new String(dialer.receiveMessage(), UTF_8)).isEqualTo("to dialer " + text);
    }

    private static void awaitCondition(BooleanSupplier condition, String what) {
        Await.until(what, TIMEOUT, condition);
    }

    @Test
    void threeDialersAtOnceEachGetTheirOwnConnectionWithBulkDataBothWaysAndNoCrossTalk() throws Exception {
        Connector.Listener listener = listener(Connector.LISTENER_MAX_CONNECTIONS, Connector.LISTENER_MAX_HALF_OPEN);
        List<Future<PeerConnection>> dialing = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            dialing.add(dial(i, listener, LEVEL));
        }
        Map<Fingerprint, PeerConnection> accepted = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            PeerConnection c = accept(listener);
            accepted.put(c.peerIdentity().fingerprint(), c);
        }
        assertThat(accepted).containsOnlyKeys(fingerprint(0), fingerprint(1), fingerprint(2));
        // 1 MiB each way on every pair at once, each stream its own seeded bytes: a datagram of one peer
        // delivered to another's channel would corrupt or stall one of the six.
        int size = 1 << 20;
        List<Future<?>> transfers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            PeerConnection dialer = dialing.get(i).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(dialer.peerIdentity()).isEqualTo(listenerKeys.identity());
            PeerConnection mine = accepted.get(fingerprint(i));
            long up = 100L + i;
            long down = 200L + i;
            transfers.add(pool.submit(() -> send(dialer, size, up)));
            transfers.add(pool.submit(() -> send(mine, size, down)));
            transfers.add(pool.submit(() -> expect(mine, size, up)));
            transfers.add(pool.submit(() -> expect(dialer, size, down)));
        }
        for (Future<?> t : transfers) {
            t.get(120, TimeUnit.SECONDS);
        }
        Connector.Listener.Counts counts = listener.counts();
        assertThat(counts.open()).isEqualTo(3);
        assertThat(counts.halfOpen()).isZero();
        assertThat(counts.accepted()).isEqualTo(3);
        assertThat(refusals).isEmpty();
    }

    private static Void send(PeerConnection c, int size, long seed) throws Exception {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        for (int off = 0; off < size; off += 16 * 1024) {
            c.outputStream().write(data, off, Math.min(16 * 1024, size - off));
        }
        c.outputStream().flush();
        return null;
    }

    private static Void expect(PeerConnection c, int size, long seed) throws Exception {
        byte[] want = new byte[size];
        new Random(seed).nextBytes(want);
        byte[] got = new byte[size];
        new DataInputStream(c.inputStream()).readFully(got);
        assertThat(got).as("stream seeded %d", seed).isEqualTo(want);
        return null;
    }

    @Test
    void thirtyTwoDialersAtOnceAllGetInPastTheHalfOpenBoundAndTheThirtyThirdIsHeldOff() throws Exception {
        Connector.Listener listener = listener(Connector.LISTENER_MAX_CONNECTIONS, Connector.LISTENER_MAX_HALF_OPEN);
        int all = Connector.LISTENER_MAX_CONNECTIONS;
        List<Future<PeerConnection>> dialing = new ArrayList<>();
        for (int i = 0; i < all; i++) {
            dialing.add(dial(i, listener, LEVEL));
        }
        Map<Fingerprint, PeerConnection> accepted = new HashMap<>();
        for (int i = 0; i < all; i++) {
            PeerConnection c = accept(listener);
            accepted.put(c.peerIdentity().fingerprint(), c);
            assertThat(listener.counts().halfOpen()).isLessThanOrEqualTo(Connector.LISTENER_MAX_HALF_OPEN);
        }
        assertThat(accepted).hasSize(all);
        for (int i = 0; i < all; i++) {
            roundTrip(dialing.get(i).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS), accepted.get(fingerprint(i)),
                    "peer " + i);
        }
        long dropped = listener.counts().droppedOverLimit();
        Future<PeerConnection> extra = dial(all, listener, LEVEL);
        awaitCondition(() -> listener.counts().droppedOverLimit() > dropped, "the 33rd dialer's first packet dropped");
        assertThat(listener.counts().open()).isEqualTo(all);
        accepted.get(fingerprint(0)).close();
        PeerConnection late = accept(listener);
        assertThat(late.peerIdentity().fingerprint()).isEqualTo(fingerprint(all));
        roundTrip(extra.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS), late, "the 33rd");
        assertThat(refusals).isEmpty();
    }

    @SuppressWarnings("AddressSelection") // IP literals: nothing is looked up, one address is meant
    @Test
    void aFailedHandshakeAndAScannerDoNotDisturbAConcurrentGoodDialerNorAnOpenConnection() throws Exception {
        Connector.Listener listener = listener(Connector.LISTENER_MAX_CONNECTIONS, Connector.LISTENER_MAX_HALF_OPEN);
        Future<PeerConnection> first = dial(0, listener, LEVEL);
        PeerConnection firstAccepted = accept(listener);
        PeerConnection firstDialer = first.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        // At the same time: a peer set to another level (its ALPN is refused), a scanner, and a good dialer.
        Future<PeerConnection> wrongLevel = dial(1, listener, SecurityLevel.QUANTUM_RESISTANT);
        try (DatagramSocket scanner = new DatagramSocket()) {
            byte[] probe = "SSH-2.0-scanner\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            scanner.send(new DatagramPacket(probe, probe.length, new InetSocketAddress("127.0.0.1", listener.port())));
        }
        Future<PeerConnection> good = dial(2, listener, LEVEL);
        PeerConnection goodAccepted = accept(listener);
        assertThat(goodAccepted.peerIdentity().fingerprint()).isEqualTo(fingerprint(2));
        roundTrip(good.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS), goodAccepted, "second");
        TransportException refused = refusals.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(refused).isNotNull();
        assertThat(refused.reason()).isEqualTo(TransportException.Reason.DOWNGRADE);
        assertThatThrownBy(() -> wrongLevel.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                .cause().isInstanceOf(TransportException.class)
                .satisfies(e -> assertThat(((TransportException) e).reason())
                        .isEqualTo(TransportException.Reason.DOWNGRADE));
        roundTrip(firstDialer, firstAccepted, "first, after the others");
        awaitCondition(() -> listener.counts().droppedStray() >= 1, "the scanner's datagram counted");
        Connector.Listener.Counts counts = listener.counts();
        assertThat(counts.accepted()).isEqualTo(2);
        assertThat(counts.refused()).isEqualTo(1);
        assertThat(counts.open()).isEqualTo(2);
    }

    @Test
    void aDialerBeyondTheConnectionBoundGetsInOnceAConnectionClosesAndFreesItsSlot() throws Exception {
        Connector.Listener listener = listener(2, 2);
        Future<PeerConnection> d0 = dial(0, listener, LEVEL);
        PeerConnection a0 = accept(listener);
        Future<PeerConnection> d1 = dial(1, listener, LEVEL);
        PeerConnection a1 = accept(listener);
        Future<PeerConnection> d2 = dial(2, listener, LEVEL);
        awaitCondition(() -> listener.counts().droppedOverLimit() >= 1, "the third dialer's first packet dropped");
        assertThatThrownBy(() -> listener.accept(Duration.ofMillis(200))).isInstanceOf(TransportException.class)
                .satisfies(e -> assertThat(((TransportException) e).reason())
                        .isEqualTo(TransportException.Reason.PEER_TIMEOUT));
        assertThat(listener.counts().open()).isEqualTo(2);
        PeerConnection first = a0.peerIdentity().fingerprint().equals(fingerprint(0)) ? a0 : a1;
        first.close();
        // The third dialer's reliable channel resends its ClientHello; the freed slot takes it.
        PeerConnection a2 = accept(listener);
        assertThat(a2.peerIdentity().fingerprint()).isEqualTo(fingerprint(2));
        roundTrip(d2.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS), a2, "third");
        PeerConnection second = first == a0 ? a1 : a0;
        roundTrip(d1.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS), second, "second, untouched");
        assertThat(d0.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isNotNull();
        assertThat(listener.counts().open()).isEqualTo(2);
        // A dialer that closes frees its slot too: its GOODBYE ends the listener side's channel.
        d1.get().close();
        awaitCondition(() -> listener.counts().open() == 1, "the slot of the dialer that closed freed");
        assertThat(refusals).isEmpty();
    }

    @Test
    void anIpv4AndAnIpv6DialerAreServedOnTheOnePort() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(ipv6Loopback(), "no IPv6 loopback here");
        Connector.Listener listener = listener(Connector.LISTENER_MAX_CONNECTIONS, Connector.LISTENER_MAX_HALF_OPEN);
        Future<PeerConnection> v4 = dial(0, "127.0.0.1", listener, LEVEL);
        Future<PeerConnection> v6 = dial(1, "::1", listener, LEVEL);
        Map<Fingerprint, PeerConnection> accepted = new HashMap<>();
        for (int i = 0; i < 2; i++) {
            PeerConnection c = accept(listener);
            accepted.put(c.peerIdentity().fingerprint(), c);
        }
        roundTrip(v4.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS), accepted.get(fingerprint(0)), "IPv4");
        roundTrip(v6.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS), accepted.get(fingerprint(1)), "IPv6");
    }

    // javac 'try': binding the socket is the probe; it is held only to be closed
    @SuppressWarnings({"AddressSelection", "try"}) // IP literals: nothing is looked up, one address is meant
    private static boolean ipv6Loopback() {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("::1", 0))) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void aChangedLevelHoldsForNewDialersWhileAnOpenConnectionKeepsItsOwn() throws Exception {
        Connector.Listener listener = listener(Connector.LISTENER_MAX_CONNECTIONS, Connector.LISTENER_MAX_HALF_OPEN);
        Future<PeerConnection> before = dial(0, listener, LEVEL);
        PeerConnection beforeAccepted = accept(listener);
        listener.changeLevel(SecurityLevel.ENHANCED);
        assertThat(listener.level()).isEqualTo(SecurityLevel.ENHANCED);
        Future<PeerConnection> stale = dial(1, listener, LEVEL);
        TransportException refused = refusals.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(refused).isNotNull();
        assertThat(refused.reason()).isEqualTo(TransportException.Reason.DOWNGRADE);
        assertThatThrownBy(() -> stale.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                .cause().isInstanceOf(TransportException.class);
        Future<PeerConnection> after = dial(2, listener, SecurityLevel.ENHANCED);
        PeerConnection afterAccepted = accept(listener);
        assertThat(afterAccepted.level()).isEqualTo(SecurityLevel.ENHANCED);
        roundTrip(after.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS), afterAccepted, "at the new level");
        assertThat(beforeAccepted.level()).isEqualTo(LEVEL);
        roundTrip(before.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS), beforeAccepted, "at the old level");
    }

    // javac 'try': binding the socket is the probe that the port is free; it is held only to be closed
    @SuppressWarnings("try")
    @Test
    void closingTheListenerEndsPendingAcceptsWhileAnAcceptedConnectionRunsOnAndHoldsThePort() throws Exception {
        Connector.Listener listener = listener(Connector.LISTENER_MAX_CONNECTIONS, Connector.LISTENER_MAX_HALF_OPEN);
        Future<PeerConnection> dialing = dial(0, listener, LEVEL);
        PeerConnection accepted = accept(listener);
        PeerConnection dialer = dialing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        CompletableFuture<TransportException> pending = CompletableFuture.supplyAsync(() -> {
            try {
                listener.accept(TIMEOUT);
                return null;
            } catch (TransportException e) {
                return e;
            }
        }, pool);
        listener.close();
        TransportException ended = pending.get(10, TimeUnit.SECONDS);
        assertThat(ended).isNotNull();
        assertThat(ended.reason()).isEqualTo(TransportException.Reason.CLOSED);
        assertThatThrownBy(() -> listener.accept(Duration.ofSeconds(1))).isInstanceOf(TransportException.class)
                .satisfies(e -> assertThat(((TransportException) e).reason())
                        .isEqualTo(TransportException.Reason.CLOSED));
        roundTrip(dialer, accepted, "after the listener closed");
        int port = listener.port();
        accepted.close();
        // The last connection gone, the port is free again.
        awaitCondition(() -> {
            try (DatagramSocket again = new DatagramSocket(port)) {
                return true;
            } catch (java.net.SocketException e) {
                return false;
            }
        }, "the port released");
    }

    @SuppressWarnings("AddressSelection") // IP literals: nothing is looked up, one address is meant
    @Test
    void randomDatagramsAtALiveListenerDisturbNeitherAnOpenConnectionNorTheNextDialer() throws Exception {
        Connector.Listener listener = listener(Connector.LISTENER_MAX_CONNECTIONS, Connector.LISTENER_MAX_HALF_OPEN);
        Future<PeerConnection> dialing = dial(0, listener, LEVEL);
        PeerConnection accepted = accept(listener);
        PeerConnection dialer = dialing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        int size = 1 << 20;
        Future<?> up = pool.submit(() -> send(dialer, size, 7));
        Future<?> down = pool.submit(() -> send(accepted, size, 8));
        Future<?> upCheck = pool.submit(() -> expect(accepted, size, 7));
        Future<?> downCheck = pool.submit(() -> expect(dialer, size, 8));
        long seed = RANDOM.nextLong();
        Random random = new Random(seed);
        InetSocketAddress target = new InetSocketAddress("127.0.0.1", listener.port());
        // Three fuzzing sources: each can hold at most one half-open link (openings carry connection id 0).
        List<DatagramSocket> fuzzers = List.of(new DatagramSocket(), new DatagramSocket(), new DatagramSocket());
        try {
            for (int i = 0; i < 3000; i++) {
                byte[] d = fuzz(random);
                fuzzers.get(random.nextInt(3)).send(new DatagramPacket(d, d.length, target));
            }
        } finally {
            fuzzers.forEach(DatagramSocket::close);
        }
        for (Future<?> t : List.of(up, down, upCheck, downCheck)) {
            t.get(120, TimeUnit.SECONDS);
        }
        roundTrip(dialer, accepted, "after the fuzz (seed " + seed + ")");
        Future<PeerConnection> next = dial(1, listener, LEVEL);
        PeerConnection nextAccepted = accept(listener);
        assertThat(nextAccepted.peerIdentity().fingerprint()).as("seed %d", seed).isEqualTo(fingerprint(1));
        roundTrip(next.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS), nextAccepted, "next");
        assertThat(listener.counts().droppedStray()).as("seed %d", seed).isPositive();
    }

    private static byte[] fuzz(Random r) {
        byte[] opening = UdpDemuxTest.OPENING;
        return switch (r.nextInt(4)) {
            case 0 -> {
                byte[] b = new byte[r.nextInt(DatagramLink.MAX_DATAGRAM + 40)];
                r.nextBytes(b);
                yield b;
            }
            case 1 -> {
                byte[] b = opening.clone();
                b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                yield b;
            }
            case 2 -> ConnectorListenTest.packet(1 + r.nextInt(4), r.nextInt(2), r.nextInt(3) * 1138L);
            default -> opening.clone();
        };
    }
}
