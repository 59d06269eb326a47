package org.securep2p.transport.reliable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.securep2p.transport.TransportException;
import org.securep2p.crypto.testing.Await;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.transport.reliable.ReliableTesting.build;
import static org.securep2p.transport.reliable.ReliableTesting.fast;
import static org.securep2p.transport.reliable.ReliableTesting.transfer;

/** The reliable channel end to end over an in-memory {@link FaultyLink}. */
@Timeout(60)
class ReliableChannelTest {

    private final List<ReliableChannel> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        for (ReliableChannel c : opened) {
            c.abort("test over");
        }
        for (ReliableChannel c : opened) {
            assertThat(c.ioThreadFinished()).as("I/O thread of a closed channel").isTrue();
        }
    }

    private ReliableChannel open(DatagramLink link, ReliableConfig config) {
        ReliableChannel c = ReliableChannel.open(link, config);
        opened.add(c);
        return c;
    }

    @Test
    void echoesSmallMessages() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 1);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        byte[] buf = new byte[200];
        for (int i = 0; i < 100; i++) {
            byte[] msg = ("message " + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            a.write(msg, 0, msg.length);
            int n = readFully(b, buf, msg.length);
            b.write(buf, 0, n);
            byte[] back = new byte[msg.length];
            readFully(a, back, msg.length);
            assertThat(back).isEqualTo(msg);
        }
        assertThat(a.stats().droppedInvalid() + b.stats().droppedInvalid()).isZero();
        assertThat(a.pathKind()).isEqualTo("loopback");
    }

    @Test
    void deliversTenMegabytesThroughLossReorderingAndDuplication() throws Exception {
        long seed = System.nanoTime();
        System.out.println("deliversTenMegabytesThroughLossReorderingAndDuplication seed " + seed);
        FaultyLink.Impairment imp = new FaultyLink.Impairment(0.20, 0.05, 0.10, Duration.ofMillis(1),
                Duration.ZERO);
        FaultyLink link = FaultyLink.pair(imp, seed);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        long t0 = System.nanoTime();
        transfer(a, b, 10L * 1024 * 1024, 16 * 1024, seed, Duration.ofSeconds(45));
        System.out.println("10 MB in " + (System.nanoTime() - t0) / 1_000_000 + " ms; sender " + a.stats()
                + "; receiver " + b.stats() + "; path " + link.statsToB());
        assertThat(a.stats().retransmissions()).isPositive();
        assertThat(b.stats().duplicates()).isPositive();
    }

    @Test
    void fastRetransmitRepairsASingleLossWithoutATimeout() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 2);
        link.dropFromA(i -> i == 5);
        // A long initial RTO: if the loss were found by a timeout, the stats would say so.
        ReliableConfig config = build(fast().initialRto(Duration.ofSeconds(2)).minRto(Duration.ofSeconds(1)));
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        byte[] data = new byte[30 * ReliableWire.MAX_STREAM_PAYLOAD];
        new java.util.Random(5).nextBytes(data);
        a.write(data, 0, data.length);
        byte[] got = new byte[data.length];
        readFully(b, got, got.length);
        assertThat(got).isEqualTo(data);
        ReliableStats s = a.stats();
        assertThat(s.lossesDetected()).isEqualTo(1);
        assertThat(s.retransmissions()).isEqualTo(1);
        assertThat(s.rtoExpirations()).isZero();
    }

    @Test
    void retransmissionTimeoutBacksOffWhileTheLinkIsDownAndRecoversAfter() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 3);
        ReliableConfig config = build(fast().initialRto(Duration.ofMillis(20)).minRto(Duration.ofMillis(20))
                .maxRto(Duration.ofSeconds(1)));
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        link.cut();
        byte[] msg = {1, 2, 3};
        a.write(msg, 0, msg.length);
        Await.until("four RTO expirations", Duration.ofSeconds(10), () -> a.stats().rtoExpirations() >= 4);
        ReliableStats s = a.stats();
        assertThat(s.rtoExpirations()).isGreaterThanOrEqualTo(4);
        // Each expiry doubles the timeout: 20 ms · 2^n, capped at 1 s.
        assertThat(s.rtoMillis()).isEqualTo(Math.min(1_000, 20L << s.rtoExpirations()));
        assertThat(s.cwndBytes()).isEqualTo(ReliableCongestion.MIN_WINDOW_PACKETS * (long) DatagramLink.MAX_DATAGRAM);
        link.heal();
        byte[] got = new byte[3];
        readFully(b, got, 3);
        assertThat(got).isEqualTo(msg);
    }

    @Test
    void aSlowReaderBoundsWhatTheSenderBuffers() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 4);
        int buffer = 64 * 1024;
        ReliableConfig config = build(fast().sendBuffer(buffer).receiveWindow(ReliableConfig.MIN_RECEIVE_WINDOW));
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        int total = 1024 * 1024;
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                byte[] chunk = new byte[8192];
                for (int sent = 0; sent < total; sent += chunk.length) {
                    java.util.Arrays.fill(chunk, (byte) (sent / chunk.length));
                    a.write(chunk, 0, chunk.length);
                }
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        writer.start();
        byte[] buf = new byte[2048];
        int read = 0;
        long maxBuffered = 0;
        while (read < total) {
            Thread.sleep(0, 200_000); // time is the test: a slow reader, so the sender meets its buffer bound
            int n = b.read(buf, 0, buf.length, 5_000);
            assertThat(n).isPositive();
            for (int i = 0; i < n; i++) {
                assertThat(buf[i]).isEqualTo((byte) ((read + i) / 8192));
            }
            read += n;
            maxBuffered = Math.max(maxBuffered, a.stats().sendBuffered());
        }
        writer.join(10_000);
        assertThat(failed.get()).isNull();
        assertThat(maxBuffered).isLessThanOrEqualTo(buffer);
        // The sender kept within the window: nothing was ever refused for being beyond it.
        assertThat(b.stats().droppedInvalid()).isZero();
    }

    @Test
    void writeBlocksThenFailsWithBufferFullWhenThePeerNeverReads() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 5);
        ReliableConfig config = build(fast().sendBuffer(64 * 1024).receiveWindow(ReliableConfig.MIN_RECEIVE_WINDOW)
                .writeTimeout(Duration.ofMillis(300)));
        ReliableChannel a = open(link.a(), config);
        open(link.b(), config);
        byte[] big = new byte[1024 * 1024];
        long t0 = System.nanoTime();
        TransportException e = org.junit.jupiter.api.Assertions.assertThrows(TransportException.class,
                () -> a.write(big, 0, big.length));
        assertThat(e.reason()).isEqualTo(TransportException.Reason.BUFFER_FULL);
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
        // The peer's window (64 KiB) and our buffer (64 KiB) hold what was accepted; nothing more.
        assertThat(a.stats().sendBuffered()).isEqualTo(64 * 1024);
        assertThat(a.failure()).isEmpty();
    }

    @Test
    void keepalivesHoldAnIdleChannelOpen() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 6);
        // Ten dead-peer timeouts of idleness: only the keepalives can keep it open.
        ReliableConfig config = build(fast().keepalive(Duration.ofMillis(50)).deadPeer(Duration.ofMillis(400)));
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        // Time is the test: idleness on the real clock, which only the keepalives can survive.
        Thread.sleep(4_000);
        assertThat(a.failure()).isEmpty();
        assertThat(b.failure()).isEmpty();
        assertThat(a.stats().keepalivesSent() + b.stats().keepalivesSent()).isGreaterThanOrEqualTo(10);
        byte[] msg = {42};
        a.write(msg, 0, 1);
        byte[] got = new byte[1];
        readFully(b, got, 1);
        assertThat(got[0]).isEqualTo((byte) 42);
    }

    @Test
    void detectsADeadPeerWhenTheLinkIsCut() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 7);
        ReliableConfig config = build(fast().keepalive(Duration.ofMillis(50)).deadPeer(Duration.ofMillis(300)));
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        link.cut();
        byte[] buf = new byte[10];
        // A has data outstanding, B is idle: both must notice.
        a.write(buf, 0, buf.length);
        TransportException e = org.junit.jupiter.api.Assertions.assertThrows(TransportException.class,
                () -> b.read(buf, 0, buf.length, 10_000));
        assertThat(e.reason()).isEqualTo(TransportException.Reason.PEER_TIMEOUT);
        assertThat(e.getMessage()).contains("nothing received from the peer for 300 ms");
        Await.until("a's failure", Duration.ofSeconds(10), () -> a.failure().isPresent());
        assertThat(a.failure()).get().extracting(TransportException::reason)
                .isEqualTo(TransportException.Reason.PEER_TIMEOUT);
        TransportException w = org.junit.jupiter.api.Assertions.assertThrows(TransportException.class,
                () -> a.write(buf, 0, 1));
        assertThat(w.reason()).isEqualTo(TransportException.Reason.PEER_TIMEOUT);
    }

    @Test
    void gracefulCloseGivesEndOfStreamAfterAllData() throws Exception {
        FaultyLink link = FaultyLink.pair(new FaultyLink.Impairment(0.1, 0.02, 0.05, Duration.ofMillis(1),
                Duration.ZERO), 8);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        byte[] data = new byte[200_000];
        new java.util.Random(8).nextBytes(data);
        a.write(data, 0, data.length);
        a.close();
        assertThat(a.failure()).isEmpty();
        assertThat(a.ioThreadFinished()).isTrue();
        byte[] got = new byte[data.length];
        readFully(b, got, got.length);
        assertThat(got).isEqualTo(data);
        assertThat(b.read(got, 0, 10, 5_000)).isEqualTo(-1);
        assertThat(b.read(got, 0, 10, 0)).isEqualTo(-1);
        b.close();
        assertThat(b.ioThreadFinished()).isTrue();
    }

    @Test
    void afterThePeersGoodbyeWritesFailWithPeerClosedAndReadsEnd() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 13);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        byte[] data = {1, 2, 3, 4};
        a.write(data, 0, data.length);
        a.close();
        Await.until("b's failure", Duration.ofSeconds(5), () -> b.failure().isPresent());
        TransportException e = org.junit.jupiter.api.Assertions.assertThrows(TransportException.class,
                () -> b.write(data, 0, 1));
        assertThat(e.reason()).isEqualTo(TransportException.Reason.PEER_CLOSED);
        byte[] got = new byte[4];
        readFully(b, got, 4);
        assertThat(got).isEqualTo(data);
        assertThat(b.read(got, 0, 4, 0)).isEqualTo(-1);
        b.close();
        assertThat(b.ioThreadFinished()).isTrue();
    }

    @Test
    void bothSidesClosingAtOnceEndCleanly() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 9);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        byte[] x = {1, 2, 3};
        a.write(x, 0, 3);
        b.write(x, 0, 3);
        Thread closer = new Thread(b::close);
        closer.start();
        a.close();
        closer.join(10_000);
        assertThat(a.failure()).isEmpty();
        assertThat(b.failure().map(TransportException::reason).orElse(TransportException.Reason.PEER_CLOSED))
                .isEqualTo(TransportException.Reason.PEER_CLOSED);
        assertThat(a.ioThreadFinished()).isTrue();
        assertThat(b.ioThreadFinished()).isTrue();
    }

    @Test
    void abortReachesThePeerAsPeerClosed() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 10);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        a.abort("user hung up");
        byte[] buf = new byte[4];
        TransportException e = org.junit.jupiter.api.Assertions.assertThrows(TransportException.class,
                () -> b.read(buf, 0, 4, 5_000));
        assertThat(e.reason()).isEqualTo(TransportException.Reason.PEER_CLOSED);
        assertThat(a.failure()).get().extracting(TransportException::reason).isEqualTo(TransportException.Reason.CLOSED);
        TransportException r = org.junit.jupiter.api.Assertions.assertThrows(TransportException.class,
                () -> a.read(buf, 0, 4, 0));
        assertThat(r.reason()).isEqualTo(TransportException.Reason.CLOSED);
    }

    @Test
    void readTimesOutWithZeroAndStreamsCarryBytes() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 11);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        byte[] buf = new byte[4];
        assertThat(b.read(buf, 0, 4, 20)).isZero();
        a.outputStream().write(new byte[] {5, 6, 7});
        a.outputStream().flush();
        java.io.InputStream in = b.inputStream();
        assertThat(in.read()).isEqualTo(5);
        assertThat(in.read(buf, 0, 2)).isGreaterThanOrEqualTo(1);
        a.outputStream().close();
        int last = buf[0] == 6 && in.available() == 0 ? in.read() : 0;
        assertThat(in.read()).isEqualTo(-1);
        assertThat(last == 7 || buf[1] == 7).isTrue();
    }

    @Test
    void staysWithinItsBuffersWithManySmallWrites() throws Exception {
        FaultyLink link = FaultyLink.pair(new FaultyLink.Impairment(0.05, 0, 0.05, Duration.ofMillis(1),
                Duration.ZERO), 12);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        transfer(a, b, 2L * 1024 * 1024, 100, 12, Duration.ofSeconds(40));
    }

    static int readFully(ReliableChannel c, byte[] buf, int len) throws TransportException {
        int have = 0;
        while (have < len) {
            int n = c.read(buf, have, len - have, 5_000);
            if (n <= 0) {
                throw new AssertionError("read returned " + n + " after " + have + " bytes");
            }
            have += n;
        }
        return have;
    }
}
