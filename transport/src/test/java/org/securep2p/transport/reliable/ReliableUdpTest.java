package org.securep2p.transport.reliable;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.transport.reliable.ReliableTesting.build;
import static org.securep2p.transport.reliable.ReliableTesting.fast;
import static org.securep2p.transport.reliable.ReliableTesting.transfer;

/** The reliable channel over real UDP sockets on 127.0.0.1, directly and through the {@link ImpairmentProxy}. */
@Timeout(60)
class ReliableUdpTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            AutoCloseable r = resources.get(i);
            if (r instanceof ReliableChannel c) {
                c.abort("test over");
                assertThat(c.ioThreadFinished()).as("I/O thread of a closed channel").isTrue();
            } else {
                r.close();
            }
        }
    }

    private <T extends AutoCloseable> T keep(T r) {
        resources.add(r);
        return r;
    }

    private static DatagramChannel bound() throws Exception {
        DatagramChannel ch = DatagramChannel.open();
        ch.bind(new InetSocketAddress(LOOPBACK, 0));
        return ch;
    }

    @Test
    void echoesOverDirectUdp() throws Exception {
        DatagramChannel ca = keep(bound());
        DatagramChannel cb = keep(bound());
        ca.connect(cb.getLocalAddress());
        cb.connect(ca.getLocalAddress());
        ReliableConfig config = build(fast());
        ReliableChannel a = keep(ReliableChannel.open(UdpDatagramLink.of(ca), config));
        ReliableChannel b = keep(ReliableChannel.open(UdpDatagramLink.of(cb), config));
        assertThat(a.pathKind()).isEqualTo("direct");
        byte[] buf = new byte[100];
        for (int i = 0; i < 200; i++) {
            byte[] msg = new byte[100];
            msg[0] = (byte) i;
            a.write(msg, 0, msg.length);
            ReliableChannelTest.readFully(b, buf, 100);
            b.write(buf, 0, 100);
            ReliableChannelTest.readFully(a, buf, 100);
            assertThat(buf).isEqualTo(msg);
        }
    }

    @Test
    void deliversTenMegabytesThroughTheImpairmentProxy() throws Exception {
        long seed = System.nanoTime();
        System.out.println("deliversTenMegabytesThroughTheImpairmentProxy seed " + seed);
        DatagramChannel ca = keep(bound());
        DatagramChannel cb = keep(bound());
        FaultyLink.Impairment imp = new FaultyLink.Impairment(0.20, 0.05, 0.10, Duration.ofMillis(1),
                Duration.ZERO);
        ImpairmentProxy proxy = keep(ImpairmentProxy.start((InetSocketAddress) ca.getLocalAddress(),
                (InetSocketAddress) cb.getLocalAddress(), imp, seed));
        ca.connect(proxy.addressForA());
        cb.connect(proxy.addressForB());
        ReliableConfig config = build(fast());
        ReliableChannel a = keep(ReliableChannel.open(UdpDatagramLink.of(ca), config));
        ReliableChannel b = keep(ReliableChannel.open(UdpDatagramLink.of(cb), config));
        long t0 = System.nanoTime();
        transfer(a, b, 10L * 1024 * 1024, 16 * 1024, seed, Duration.ofSeconds(45));
        System.out.println("10 MB through the proxy in " + (System.nanoTime() - t0) / 1_000_000 + " ms; sender "
                + a.stats() + "; receiver " + b.stats() + "; a>b " + proxy.statsToB() + "; b>a " + proxy.statsToA());
        assertThat(proxy.statsToB().lost()).isPositive();
        assertThat(proxy.statsToB().duplicated()).isPositive();
        assertThat(proxy.statsToB().reordered()).isPositive();
    }

    @Test
    void dropsGarbageFromThePeerAddressAndKeepsGoing() throws Exception {
        // The peer's socket sends both the channel's datagrams and garbage: all from the validated address.
        DatagramChannel ca = keep(bound());
        DatagramChannel cb = keep(bound());
        ca.connect(cb.getLocalAddress());
        cb.connect(ca.getLocalAddress());
        ReliableConfig config = build(fast());
        ReliableChannel a = keep(ReliableChannel.open(UdpDatagramLink.of(ca), config));
        ReliableChannel b = keep(ReliableChannel.open(UdpDatagramLink.of(cb), config));
        try (DatagramSocket intruder = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            // From another port: the connected socket never even delivers it.
            byte[] junk = "not a packet".getBytes(StandardCharsets.US_ASCII);
            intruder.send(new DatagramPacket(junk, junk.length, ca.getLocalAddress()));
        }
        byte[] tooLong = new byte[DatagramLink.MAX_DATAGRAM + 100];
        tooLong[0] = ReliableWire.VERSION;
        cb.write(java.nio.ByteBuffer.wrap(tooLong));
        cb.write(java.nio.ByteBuffer.wrap(new byte[] {9, 9, 9}));
        byte[] msg = "still fine".getBytes(StandardCharsets.US_ASCII);
        b.write(msg, 0, msg.length);
        byte[] got = new byte[msg.length];
        ReliableChannelTest.readFully(a, got, got.length);
        assertThat(got).isEqualTo(msg);
        assertThat(a.stats().droppedMalformed()).isEqualTo(1); // the 3-byte one; the long one never surfaces
    }
}
