package org.securep2p.transport.reliable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterTry;
import org.securep2p.crypto.testing.Await;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.transport.reliable.ReliableTesting.build;
import static org.securep2p.transport.reliable.ReliableTesting.fast;
import static org.securep2p.transport.reliable.ReliableTesting.transfer;

/**
 * Garbage datagrams arriving from the peer's address (the ICE layer cannot tell them apart) never break
 * delivery, never throw, and are each dropped and counted. The garbage is of the kinds a network or a
 * careless peer produces: random bytes, truncated or extended real datagrams, wrong versions, types or
 * connection ids. (Well-formed forgeries are TLS's business: this layer has no integrity.)
 */
class ReliableGarbageProperties {

    private final List<ReliableChannel> opened = new ArrayList<>();

    @AfterTry
    void closeAll() {
        for (ReliableChannel c : opened) {
            c.abort("try over");
            assertThat(c.ioThreadFinished()).isTrue();
        }
        opened.clear();
    }

    @Property(tries = 25)
    void garbageIsDroppedAndCountedAndDeliveryStaysExact(@ForAll long seed,
                                                         @ForAll @IntRange(min = 20, max = 300) int garbage)
            throws Exception {
        FaultyLink link = FaultyLink.pair(new FaultyLink.Impairment(0.05, 0.02, 0.05, Duration.ofMillis(1),
                Duration.ZERO), seed);
        int cid = (int) (seed >>> 7);
        ReliableConfig config = build(fast().connectionId(cid));
        ReliableChannel a = ReliableChannel.open(link.a(), config);
        opened.add(a);
        ReliableChannel b = ReliableChannel.open(link.b(), config);
        opened.add(b);
        Random random = new Random(seed);
        Thread injector = new Thread(() -> {
            for (int i = 0; i < garbage; i++) {
                link.injectToB(garbage(random, link.recentFromA(), cid));
                if (i % 10 == 0) {
                    try {
                        Thread.sleep(1); // time is the test: garbage spread over the transfer, not one burst
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        injector.start();
        transfer(a, b, 256 * 1024, 4096, seed, Duration.ofSeconds(30), false);
        injector.join(10_000);
        Await.until("every garbage datagram dropped (seed " + seed + ")", Duration.ofSeconds(5),
                () -> b.stats().droppedMalformed() + b.stats().droppedForeign() >= garbage);
        ReliableStats s = b.stats();
        assertThat(s.droppedMalformed() + s.droppedForeign()).as("seed %d", seed).isEqualTo(garbage);
        assertThat(s.droppedInvalid()).isZero();
    }

    /** One garbage datagram; never a well-formed packet of this connection. */
    static byte[] garbage(Random r, List<byte[]> recent, int cid) {
        byte[] real = recent.isEmpty() ? pingOf(cid) : recent.get(r.nextInt(recent.size()));
        return switch (r.nextInt(7)) {
            case 0 -> {
                byte[] b = new byte[r.nextInt(DatagramLink.MAX_DATAGRAM) + 1];
                r.nextBytes(b);
                b[0] = (byte) (b[0] == ReliableWire.VERSION ? 0 : b[0]); // random bytes, surely not version 2
                yield b;
            }
            case 1 -> Arrays.copyOf(real, r.nextInt(real.length)); // a real datagram cut short
            case 2 -> { // a real datagram with bytes after its end
                byte[] b = Arrays.copyOf(real, real.length + 1 + r.nextInt(8));
                yield b;
            }
            case 3 -> { // another version (1, the untagged one, included)
                byte[] b = real.clone();
                int v = r.nextInt(255);
                b[0] = (byte) (v >= ReliableWire.VERSION ? v + 1 : v);
                yield b;
            }
            case 4 -> { // an unknown type
                byte[] b = real.clone();
                int t = r.nextBoolean() ? 0 : 5 + r.nextInt(250);
                // With or without the tag bit, the type must be none of the four.
                b[1] = (byte) ((t & ~ReliableWire.TYPE_TAGGED) <= ReliableWire.TYPE_CLOSE ? ReliableWire.TYPE_TAGGED : t);
                yield b;
            }
            case 5 -> { // another connection
                byte[] b = real.clone();
                b[2] ^= (byte) (1 + r.nextInt(255));
                yield b;
            }
            default -> { // our version and connection id, then noise of a random length
                byte[] b = new byte[ReliableWire.HEADER_BYTES + r.nextInt(40)];
                r.nextBytes(b);
                b[0] = ReliableWire.VERSION;
                b[1] = (byte) ReliableWire.TYPE_DATA;
                b[2] = (byte) (cid >>> 24);
                b[3] = (byte) (cid >>> 16);
                b[4] = (byte) (cid >>> 8);
                b[5] = (byte) cid;
                yield b; // too short for a DATA packet's ACK and stream blocks
            }
        };
    }

    private static byte[] pingOf(int cid) {
        byte[] b = new byte[64];
        int pos = ReliableWire.writeHeader(b, ReliableWire.TYPE_PING, cid, 0);
        pos = ReliableWire.writeAck(b, pos, ReliableConfig.MIN_RECEIVE_WINDOW, new ReliableRangeSet(1, true), 1);
        return Arrays.copyOf(b, pos);
    }
}
