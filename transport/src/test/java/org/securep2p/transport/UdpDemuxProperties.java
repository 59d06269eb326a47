package org.securep2p.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import org.securep2p.transport.reliable.DatagramLink;
import org.securep2p.transport.reliable.ReliableWire;

/**
 * Whatever datagrams arrive at a fixed-port listener, from whichever sources: the demultiplexer never throws,
 * never holds more links or half-open links than its bounds, and a link only ever receives datagrams its own
 * source sent with its own connection id (no cross-talk), while links are established and closed in between.
 */
class UdpDemuxProperties {

    private static final int SOURCES = 6;
    private static final int MAX_CONNECTIONS = 4;
    private static final int MAX_HALF_OPEN = 2;

    @Property(tries = 100)
    void randomDatagramsNeverBreakTheBoundsNorReachAnotherSourcesLink(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 300) int datagrams) throws Exception {
        Random random = new Random(seed);
        List<UdpDemux.Link> opened = new ArrayList<>();
        Map<InetSocketAddress, List<byte[]>> sent = new HashMap<>();
        ReliableWire.Packet scratch = new ReliableWire.Packet();
        UdpDemux demux = UdpDemux.bind(0, MAX_CONNECTIONS, MAX_HALF_OPEN, opened::add, () -> { });
        try {
            for (int i = 0; i < datagrams; i++) {
                InetSocketAddress from = UdpDemuxTest.source(random.nextInt(SOURCES));
                byte[] d = datagram(random);
                sent.computeIfAbsent(from, k -> new ArrayList<>()).add(d);
                demux.deliver(from, d, d.length, scratch);
                UdpDemux.Counts c = demux.counts();
                assertThat(c.links()).as("seed %d", seed).isLessThanOrEqualTo(MAX_CONNECTIONS);
                assertThat(c.halfOpen()).as("seed %d", seed).isLessThanOrEqualTo(MAX_HALF_OPEN);
                if (!opened.isEmpty() && random.nextInt(8) == 0) {
                    UdpDemux.Link link = opened.get(random.nextInt(opened.size()));
                    if (random.nextBoolean()) {
                        link.markEstablished();
                    } else {
                        link.close();
                    }
                }
                for (UdpDemux.Link link : opened) {
                    if (link.state() != UdpDemux.LinkState.CLOSED) {
                        for (byte[] got : UdpDemuxTest.received(link)) {
                            assertThat(connectionId(got)).isEqualTo(link.key().connectionId());
                            assertThat(sent.get(link.key().source())).as("seed %d", seed)
                                    .anySatisfy(s -> assertThat(s).isEqualTo(got));
                        }
                    }
                }
            }
        } finally {
            demux.closeNow();
        }
    }

    /** Junk, truncated or bit-flipped openings, openings of other connection ids, and genuine openings. */
    private static byte[] datagram(Random r) {
        byte[] opening = UdpDemuxTest.OPENING;
        return switch (r.nextInt(6)) {
            case 0 -> {
                byte[] b = new byte[r.nextInt(DatagramLink.MAX_DATAGRAM + 40)];
                r.nextBytes(b);
                yield b;
            }
            case 1 -> Arrays.copyOf(opening, r.nextInt(opening.length));
            case 2 -> {
                byte[] b = opening.clone();
                b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                yield b;
            }
            case 3 -> ConnectorListenTest.packet(ReliableWire.TYPE_DATA, r.nextInt(3), r.nextInt(2) * 1138L);
            case 4 -> ConnectorListenTest.packet(1 + r.nextInt(4), 0, 0);
            default -> opening.clone();
        };
    }

    private static int connectionId(byte[] d) {
        return ((d[2] & 0xff) << 24) | ((d[3] & 0xff) << 16) | ((d[4] & 0xff) << 8) | (d[5] & 0xff);
    }
}
