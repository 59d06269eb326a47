package org.securep2p.transport.reliable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securep2p.transport.TransportException;
import org.securep2p.crypto.testing.Await;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.transport.reliable.ReliableTesting.build;
import static org.securep2p.transport.reliable.ReliableTesting.fast;
import static org.securep2p.transport.reliable.ReliableTesting.transfer;

/**
 * An on-path attacker who sees every datagram (so knows connection id, packet numbers and offsets) but not the
 * packet keys forges each kind of packet into both directions of an established channel while 10 MiB flow
 * each way (issue 14 §1). Every forgery must be dropped and counted, never acted on.
 */
@Timeout(120)
public class ReliableForgeryTest {

    private static final long TEN_MIB = 10L * 1024 * 1024;
    private static final int FORGERIES_PER_DIRECTION = 200;

    private final List<ReliableChannel> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        for (ReliableChannel c : opened) {
            c.abort("test over");
        }
    }

    private ReliableChannel open(DatagramLink link, ReliableConfig config) {
        ReliableChannel c = ReliableChannel.open(link, config);
        opened.add(c);
        return c;
    }

    /** The kinds of forgery the issue lists. */
    enum Forgery { CLOSE_GOODBYE, CLOSE_ABORT, FAR_AHEAD_PING, ACK_OF_EVERYTHING, DATA_AT_NEXT_OFFSET, FIN }

    /** 64 bytes as TLS's exporter would give; both ends derive their two keys from the same material. */
    static byte[] material(long seed) {
        byte[] m = new byte[ReliableAuth.EXPORTER_BYTES];
        new Random(seed).nextBytes(m);
        return m;
    }

    static void keyBoth(ReliableChannel client, ReliableChannel server, long seed) {
        client.installKeys(ReliableAuth.fromExporter(material(seed), true));
        server.installKeys(ReliableAuth.fromExporter(material(seed), false));
    }

    @ParameterizedTest
    @EnumSource(Forgery.class)
    void aForgedPacketOfEveryKindIsDroppedInBothDirectionsAndTheTransferCompletes(Forgery kind) throws Exception {
        long seed = System.nanoTime();
        // A little delay, so that a forgery made from a packet just sent overtakes it (the attacker's best case).
        FaultyLink link = FaultyLink.pair(new FaultyLink.Impairment(0, 0, 0, Duration.ofMillis(1), Duration.ZERO),
                seed);
        ReliableConfig config = build(fast().connectionId(0x5EC0_0001));
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        keyBoth(a, b, seed);

        AtomicReference<Throwable> reverse = new AtomicReference<>();
        Thread back = new Thread(() -> {
            try {
                transfer(b, a, TEN_MIB, 16 * 1024, seed + 1, Duration.ofSeconds(90), false);
            } catch (Throwable t) {
                reverse.set(t);
            }
        }, "test-reverse-transfer");
        Random random = new Random(seed);
        int[] injected = new int[2];
        Thread injector = new Thread(() -> {
            // The attack starts once both ends have seen a valid tag: before that the channel is as
            // unauthenticated as the TLS handshake it carries (PROTOCOL.md 13.9).
            while (!(a.stats().peerTags() && b.stats().peerTags())) {
                Thread.onSpinWait();
            }
            for (int i = 0; i < FORGERIES_PER_DIRECTION; i++) {
                byte[] toB = forge(kind, link.recentFromA(), link.recentFromB(), random, i % 4 == 3);
                byte[] toA = forge(kind, link.recentFromB(), link.recentFromA(), random, i % 4 == 3);
                if (toB != null) {
                    link.injectToB(toB);
                    injected[1]++;
                }
                if (toA != null) {
                    link.injectToA(toA);
                    injected[0]++;
                }
                try {
                    Thread.sleep(2); // time is the test: forgeries spread over the session, not one burst
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "test-forger");
        injector.start();
        back.start();
        transfer(a, b, TEN_MIB, 16 * 1024, seed, Duration.ofSeconds(90), false);
        back.join(90_000);
        injector.join(30_000);
        assertThat(reverse.get()).as("transfer b -> a").isNull();
        assertThat(a.failure()).as("a's failure").isEmpty();
        assertThat(b.failure()).as("b's failure").isEmpty();
        awaitDrops(a, injected[0]);
        awaitDrops(b, injected[1]);
        System.out.println(kind + " (seed " + seed + "): a " + a.stats() + "; b " + b.stats());
        assertThat(injected[0]).isEqualTo(FORGERIES_PER_DIRECTION);
        assertThat(injected[1]).isEqualTo(FORGERIES_PER_DIRECTION);
        assertThat(a.stats().droppedUnauthenticated()).isEqualTo(injected[0]);
        assertThat(b.stats().droppedUnauthenticated()).isEqualTo(injected[1]);
        assertThat(a.stats().ignoredAcks() + b.stats().ignoredAcks()).isZero();
    }

    @Test
    void anUntaggedCloseBeforeKeysEndsOnlyTheAttemptBeingSetUp() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 11);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        byte[] hello = "client hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        a.write(hello, 0, hello.length);
        ReliableChannelTest.readFully(b, new byte[hello.length], hello.length);
        // No keys yet: this is the handshake's attempt, and a CLOSE may end it (nothing else could tell it apart).
        link.injectToB(close(link.recentFromA(), ReliableWire.CLOSE_ABORT));
        awaitFailure(b);
        assertThat(b.failure().orElseThrow().reason()).isEqualTo(TransportException.Reason.PEER_CLOSED);
    }

    @Test
    void withKeysAnUntaggedCloseIsNeverActedOnEvenBeforeThePeerTags() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 12);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        // Only b has its keys (the TLS client that has sent its Finished); a, the server, still sends untagged.
        b.installKeys(ReliableAuth.fromExporter(material(12), false));
        byte[] msg = "untagged still accepted".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        a.write(msg, 0, msg.length);
        byte[] got = new byte[msg.length];
        ReliableChannelTest.readFully(b, got, got.length);
        assertThat(got).isEqualTo(msg);
        link.injectToB(close(link.recentFromA(), ReliableWire.CLOSE_GOODBYE));
        link.injectToB(close(link.recentFromA(), ReliableWire.CLOSE_ABORT));
        awaitDrops(b, 2);
        assertThat(b.stats().peerTags()).isFalse();
        a.write(msg, 0, msg.length);
        ReliableChannelTest.readFully(b, got, got.length);
        assertThat(got).isEqualTo(msg);
        assertThat(b.failure()).isEmpty();
    }

    @Test
    void aKeylessEndTakesTaggedPacketsUncheckedAndWithKeysABadTagIsAlwaysDropped() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 13);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        // a is the client whose Finished went out tagged; b, the server, has no keys yet and must still read it.
        a.installKeys(ReliableAuth.fromExporter(material(13), true));
        byte[] msg = "finished".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        a.write(msg, 0, msg.length);
        byte[] got = new byte[msg.length];
        ReliableChannelTest.readFully(b, got, got.length);
        assertThat(got).isEqualTo(msg);
        assertThat(b.stats().droppedUnauthenticated()).isZero();
        // Keys from other material: a's tags fail, every packet of a is dropped and b never counts a as tagging.
        b.installKeys(ReliableAuth.fromExporter(material(14), false));
        a.write(msg, 0, msg.length);
        Await.until("an unauthenticated packet dropped", Duration.ofSeconds(2),
                () -> b.stats().droppedUnauthenticated() > 0);
        assertThat(b.read(got, 0, got.length, 100)).isZero();
        assertThat(b.stats().droppedUnauthenticated()).isPositive();
        assertThat(b.stats().peerTags()).isFalse();
    }

    @Test
    void aPacketNumberFarAheadIsRefusedEvenUnauthenticated() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 15);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        byte[] msg = "before".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        a.write(msg, 0, msg.length);
        ReliableChannelTest.readFully(b, new byte[msg.length], msg.length);
        long largest = largestNumber(link.recentFromA());
        link.injectToB(ping(link.recentFromA(), largest + ReliableReceiver.MAX_PACKET_NUMBER_JUMP + 1));
        Await.until("an invalid packet dropped", Duration.ofSeconds(2), () -> b.stats().droppedInvalid() > 0);
        assertThat(b.stats().droppedInvalid()).isEqualTo(1);
        // What the peer can have in flight is far below the old 2^20.
        assertThat(ReliableReceiver.MAX_PACKET_NUMBER_JUMP).isEqualTo(ReliableSender.MAX_PACKETS);
        a.write(msg, 0, msg.length);
        ReliableChannelTest.readFully(b, new byte[msg.length], msg.length);
        assertThat(a.failure()).isEmpty();
        assertThat(b.failure()).isEmpty();
    }

    @Test
    void anAckOfAPacketNeverSentIsIgnoredAloneAndTheStreamBytesBesideItAreTaken() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 16);
        ReliableConfig config = build(fast());
        ReliableChannel b = open(link.b(), config);
        byte[] payload = "bytes beside a wrong ACK".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] d = new byte[DatagramLink.MAX_DATAGRAM];
        int pos = ReliableWire.writeHeader(d, ReliableWire.TYPE_DATA, config.connectionId(), 0);
        ReliableRangeSet never = new ReliableRangeSet(1, true);
        never.add(1_000_000, 1_000_001); // b has sent a handful of packets, not a million
        pos = ReliableWire.writeAck(d, pos, ReliableConfig.MIN_RECEIVE_WINDOW, never, 1);
        pos = ReliableWire.writeStreamHeader(d, pos, 0, payload.length, false);
        System.arraycopy(payload, 0, d, pos, payload.length);
        link.injectToB(java.util.Arrays.copyOf(d, pos + payload.length));
        byte[] got = new byte[payload.length];
        ReliableChannelTest.readFully(b, got, got.length);
        assertThat(got).isEqualTo(payload);
        assertThat(b.stats().ignoredAcks()).isEqualTo(1);
        assertThat(b.stats().droppedInvalid()).isZero();
    }

    // ---------------------------------------------------------------------------------------------------
    // The attacker's forgeries, made from the headers it saw.

    /**
     * A forgery of {@code kind} to the victim, made from what its peer sent ({@code fromPeer}) and what the
     * victim sent ({@code fromVictim}); untagged, or with the tag bit and a random tag when {@code badTag}.
     */
    static byte[] forge(Forgery kind, List<byte[]> fromPeer, List<byte[]> fromVictim, Random r, boolean badTag) {
        if (fromPeer.isEmpty() || fromVictim.isEmpty()) {
            return null;
        }
        long next = largestNumber(fromPeer) + 1;
        byte[] packet = switch (kind) {
            case CLOSE_GOODBYE -> close(fromPeer, ReliableWire.CLOSE_GOODBYE);
            case CLOSE_ABORT -> close(fromPeer, ReliableWire.CLOSE_ABORT);
            case FAR_AHEAD_PING -> ping(fromPeer, next + (1L << 20) - 2);
            case ACK_OF_EVERYTHING -> {
                byte[] b = new byte[64];
                int pos = header(b, fromPeer, ReliableWire.TYPE_ACK, next);
                ReliableRangeSet all = new ReliableRangeSet(1, true);
                all.add(0, largestNumber(fromVictim) + 1);
                pos = ReliableWire.writeAck(b, pos, ReliableConfig.DEFAULT_BUFFER, all, 1);
                yield java.util.Arrays.copyOf(b, pos);
            }
            case DATA_AT_NEXT_OFFSET, FIN -> {
                boolean fin = kind == Forgery.FIN;
                byte[] payload = new byte[fin ? 0 : 100];
                r.nextBytes(payload);
                byte[] b = new byte[DatagramLink.MAX_DATAGRAM];
                int pos = header(b, fromPeer, ReliableWire.TYPE_DATA, next);
                pos = ReliableWire.writeAck(b, pos, ReliableConfig.DEFAULT_BUFFER, new ReliableRangeSet(1, true), 0);
                pos = ReliableWire.writeStreamHeader(b, pos, nextOffset(fromPeer), payload.length, fin);
                System.arraycopy(payload, 0, b, pos, payload.length);
                yield java.util.Arrays.copyOf(b, pos + payload.length);
            }
            default -> throw new AssertionError(kind);
        };
        if (!badTag) {
            return packet;
        }
        byte[] t = java.util.Arrays.copyOf(packet, packet.length + ReliableWire.TAG_BYTES);
        t[1] = (byte) (t[1] | ReliableWire.TYPE_TAGGED);
        byte[] tag = new byte[ReliableWire.TAG_BYTES];
        r.nextBytes(tag);
        System.arraycopy(tag, 0, t, packet.length, tag.length);
        return t;
    }

    public static byte[] close(List<byte[]> fromPeer, int code) {
        byte[] b = new byte[ReliableWire.CLOSE_BYTES];
        header(b, fromPeer, ReliableWire.TYPE_CLOSE, largestNumber(fromPeer) + 1);
        b[ReliableWire.HEADER_BYTES] = (byte) code;
        return b;
    }

    static byte[] ping(List<byte[]> fromPeer, long number) {
        byte[] b = new byte[64];
        int pos = header(b, fromPeer, ReliableWire.TYPE_PING, number);
        pos = ReliableWire.writeAck(b, pos, 0, new ReliableRangeSet(1, true), 0);
        return java.util.Arrays.copyOf(b, pos);
    }

    /** A header copied from the peer's own (version, connection id), with our type and packet number. */
    private static int header(byte[] b, List<byte[]> fromPeer, int type, long number) {
        byte[] model = fromPeer.get(fromPeer.size() - 1);
        System.arraycopy(model, 0, b, 0, ReliableWire.HEADER_BYTES);
        b[1] = (byte) type;
        for (int i = 0; i < 8; i++) {
            b[6 + i] = (byte) (number >>> (56 - 8 * i));
        }
        return ReliableWire.HEADER_BYTES;
    }

    static long largestNumber(List<byte[]> datagrams) {
        long max = -1;
        for (byte[] d : datagrams) {
            long n = 0;
            for (int i = 0; i < 8; i++) {
                n = (n << 8) | (d[6 + i] & 0xFF);
            }
            max = Math.max(max, n);
        }
        return max;
    }

    /** The end of the highest stream bytes among the peer's DATA packets: the offset the victim expects next. */
    static long nextOffset(List<byte[]> fromPeer) {
        ReliableWire.Packet p = new ReliableWire.Packet();
        long next = 0;
        for (byte[] d : fromPeer) {
            if (ReliableWire.decode(d, d.length, p) == ReliableWire.Verdict.OK && p.type == ReliableWire.TYPE_DATA) {
                next = Math.max(next, p.offset + p.length);
            }
        }
        return next;
    }

    private static void awaitDrops(ReliableChannel c, long n) {
        Await.until(() -> n + " unauthenticated packets dropped; " + c.stats(), Duration.ofSeconds(5),
                () -> c.stats().droppedUnauthenticated() >= n);
    }

    private static void awaitFailure(ReliableChannel c) {
        Await.until("the channel's failure", Duration.ofSeconds(5), () -> c.failure().isPresent());
    }
}
