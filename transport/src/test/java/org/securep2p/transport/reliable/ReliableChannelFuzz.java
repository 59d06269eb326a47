package org.securep2p.transport.reliable;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.securep2p.crypto.testing.Await;

import org.securep2p.transport.TransportException;

/**
 * Coverage-guided fuzzing of the reliable channel's receive side: a {@link ReliableChannel} on a scripted link
 * is fed a sequence of datagrams chosen by the fuzzer from real ones (recorded once from a real transfer, so
 * they follow whatever wire format {@link ReliableWire} writes), in any order, repeated, truncated, bit-flipped,
 * or replaced by arbitrary bytes. Whatever the sequence: no {@link RuntimeException} reaches the reader or
 * stops the I/O thread (a failure, if any, is a {@link TransportException} not caused by one), the bytes
 * delivered are never more than were sent, and the send buffer stays within its configured size. Where every
 * datagram is either real or refused by the wire decoder, the bytes delivered are exactly a prefix of the
 * stream that was sent.
 *
 * <p>Once the channel has its packet keys and the peer's first tagged packet arrived (PROTOCOL.md 13.9), more
 * holds: {@link #forgedDatagramsNeverFailAKeyedChannel} feeds every real datagram of a keyed transfer in order,
 * with the fuzzer's forgeries (mangled, untagged, tag-stripped or arbitrary datagrams, and replays) among them,
 * and the channel must not fail and must deliver the whole stream byte for byte.
 */
class ReliableChannelFuzz {

    private static final int CONNECTION_ID = 0x5EC0_F022;
    private static final long STREAM_SEED = 14;
    private static final int STREAM_BYTES = 12 * 1024;
    /** Bounds the work of one input: more datagrams than the recorded transfer holds. */
    private static final int MAX_DATAGRAMS_PER_INPUT = 96;
    private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private static final ReliableConfig CONFIG = ReliableTesting.build(ReliableTesting.fast()
            .connectionId(CONNECTION_ID).deadPeer(Duration.ofSeconds(30)).keepalive(Duration.ofSeconds(10)));
    private static final byte[] STREAM = stream();
    private static final long KEY_SEED = 1409;
    private static final List<byte[]> RECORDED = record(false);
    /** As {@link #RECORDED}, from a transfer whose ends had their keys before the first packet: all tagged. */
    private static final List<byte[]> RECORDED_KEYED = record(true);
    /** The datagrams of {@link #RECORDED_KEYED} that carry the stream (not its CLOSE), in the order sent. */
    private static final List<byte[]> KEYED_STREAM = withoutClose(RECORDED_KEYED);
    /** Bounds the forgeries of one input. */
    private static final int MAX_FORGERIES_PER_INPUT = 96;

    /** Real datagrams, honestly reordered, duplicated, dropped or mangled past what the decoder accepts. */
    @FuzzTest(maxDuration = "5m")
    void deliversAPrefixOfTheStreamWhateverArrives(FuzzedDataProvider data) throws Exception {
        run(data, false);
    }

    /** As above, plus mangled datagrams the decoder accepts (forgeries: this layer has no integrity today). */
    @FuzzTest(maxDuration = "5m")
    void forgedDatagramsNeverThrowNorOverflow(FuzzedDataProvider data) throws Exception {
        run(data, true);
    }

    /**
     * Issue 14's invariant, true since wire version 2: with keys at both ends, nothing an attacker sends fails the
     * channel or changes the stream. Every real datagram arrives once, in order (the first one first, so that
     * the peer is known to tag); before each later one the fuzzer may slip in forgeries.
     */
    @FuzzTest(maxDuration = "5m")
    void forgedDatagramsNeverFailAKeyedChannel(FuzzedDataProvider data) throws Exception {
        List<byte[]> feed = new ArrayList<>();
        int forged = 0;
        for (int i = 0; i < KEYED_STREAM.size(); i++) {
            while (i > 0 && forged < MAX_FORGERIES_PER_INPUT && data.remainingBytes() > 0 && data.consumeBoolean()) {
                byte[] f = forgery(data);
                if (f.length == 0 || isRealClose(f)) {
                    continue; // the peer's own CLOSE, replayed, is not a forgery: it may end the channel
                }
                feed.add(f);
                forged++;
            }
            feed.add(KEYED_STREAM.get(i));
        }
        ScriptedLink link = new ScriptedLink();
        ReliableChannel channel = ReliableChannel.open(link, CONFIG);
        ByteArrayOutputStream delivered = new ByteArrayOutputStream();
        try {
            channel.installKeys(ReliableAuth.fromExporter(ReliableForgeryTest.material(KEY_SEED), false));
            link.inbound.addAll(feed);
            awaitSettled(channel, link, feed.size());
            byte[] buf = new byte[4096];
            int n;
            while ((n = channel.read(buf, 0, buf.length, 0)) > 0) {
                delivered.write(buf, 0, n);
            }
            assertThat(n).as("end of stream after %d forgeries", forged).isEqualTo(-1);
            assertThat(channel.failure()).as("failure after %d forgeries; %s", forged, channel.stats()).isEmpty();
            assertThat(channel.stats().peerTags()).isTrue();
            assertThat(delivered.toByteArray()).as("stream after %d forgeries", forged).isEqualTo(STREAM);
        } finally {
            channel.abort("fuzz input over");
            Await.until("the I/O thread's end after abort", Duration.ofNanos(SETTLE_NANOS), channel::ioThreadFinished);
        }
    }

    /** What an attacker on the path can send, from the real datagrams it saw: anything but a valid tag. */
    private static byte[] forgery(FuzzedDataProvider data) {
        byte[] real = RECORDED_KEYED.get(data.consumeInt(0, RECORDED_KEYED.size() - 1));
        return switch (data.consumeInt(0, 5)) {
            case 0 -> real; // a replay
            case 1 -> Arrays.copyOf(real, data.consumeInt(0, real.length));
            case 2 -> {
                byte[] d = real.clone();
                int flips = data.consumeInt(1, 4);
                for (int k = 0; k < flips; k++) {
                    int bit = data.consumeInt(0, d.length * 8 - 1);
                    d[bit / 8] ^= (byte) (1 << (bit % 8));
                }
                yield d;
            }
            case 3 -> {
                // The packet as version 2 sends it before keys: tag stripped, TAGGED cleared, fields perhaps changed.
                byte[] d = Arrays.copyOf(real, Math.max(0, real.length - ReliableWire.TAG_BYTES));
                if (d.length > 1) {
                    d[1] &= (byte) ~ReliableWire.TYPE_TAGGED;
                    byte[] patch = data.consumeBytes(Math.min(8, d.length - 1));
                    int at = data.consumeInt(1, d.length - patch.length);
                    System.arraycopy(patch, 0, d, at, patch.length);
                }
                yield d;
            }
            case 4 -> {
                // A real header (version, connection id, a number near the real ones) over fuzzer fields and tag.
                byte[] d = data.consumeBytes(DatagramLink.MAX_DATAGRAM);
                byte[] out = Arrays.copyOf(real, Math.min(ReliableWire.HEADER_BYTES, real.length) + d.length);
                System.arraycopy(d, 0, out, Math.min(ReliableWire.HEADER_BYTES, real.length), d.length);
                if (out.length > 1) {
                    out[1] = data.consumeByte();
                }
                yield out;
            }
            default -> data.consumeBytes(DatagramLink.MAX_DATAGRAM + 1);
        };
    }

    private static boolean isRealClose(byte[] d) {
        for (byte[] r : RECORDED_KEYED) {
            if (Arrays.equals(r, d) && isClose(r)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isClose(byte[] d) {
        ReliableWire.Packet p = new ReliableWire.Packet();
        return ReliableWire.decode(d, d.length, p) == ReliableWire.Verdict.OK && p.type == ReliableWire.TYPE_CLOSE;
    }

    private static List<byte[]> withoutClose(List<byte[]> recorded) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] d : recorded) {
            if (!isClose(d)) {
                out.add(d);
            }
        }
        return out;
    }

    private static void run(FuzzedDataProvider data, boolean forgeriesAllowed) throws Exception {
        ScriptedLink link = new ScriptedLink();
        int fed = 0;
        ReliableWire.Packet packet = new ReliableWire.Packet();
        while (fed < MAX_DATAGRAMS_PER_INPUT && data.remainingBytes() > 0) {
            byte[] d = nextDatagram(data);
            if (d.length == 0) {
                continue;
            }
            if (!forgeriesAllowed && !isRecorded(d) && ReliableWire.decode(d, d.length, packet)
                    == ReliableWire.Verdict.OK && packet.connectionId == CONNECTION_ID) {
                continue;
            }
            link.inbound.add(d);
            fed++;
        }
        ReliableChannel channel = ReliableChannel.open(link, CONFIG);
        ByteArrayOutputStream delivered = new ByteArrayOutputStream();
        try {
            awaitSettled(channel, link, fed);
            byte[] buf = new byte[4096];
            while (true) {
                int n;
                try {
                    n = channel.read(buf, 0, buf.length, 0);
                } catch (TransportException e) {
                    break;
                }
                if (n <= 0) {
                    break;
                }
                delivered.write(buf, 0, n);
            }
            Optional<TransportException> failure = channel.failure();
            if (failure.isPresent()) {
                assertThat(failure.get().getCause() instanceof RuntimeException).as("failure caused by %s",
                        failure.get().getCause()).isFalse();
                assertThat(failure.get().reason()).isNotEqualTo(TransportException.Reason.IO_FAILED);
            }
            assertThat(channel.stats().sendBuffered()).isLessThanOrEqualTo(CONFIG.sendBuffer());
            byte[] got = delivered.toByteArray();
            assertThat(got.length).isLessThanOrEqualTo(STREAM.length);
            if (!forgeriesAllowed) {
                assertThat(got).isEqualTo(Arrays.copyOf(STREAM, got.length));
            }
        } finally {
            channel.abort("fuzz input over");
            Await.until("the I/O thread's end after abort", Duration.ofNanos(SETTLE_NANOS), channel::ioThreadFinished);
        }
    }

    private static byte[] nextDatagram(FuzzedDataProvider data) {
        byte[] real = RECORDED.get(data.consumeInt(0, RECORDED.size() - 1));
        return switch (data.consumeInt(0, 3)) {
            case 0 -> real;
            case 1 -> Arrays.copyOf(real, data.consumeInt(0, real.length));
            case 2 -> {
                byte[] d = real.clone();
                int bit = data.consumeInt(0, d.length * 8 - 1);
                d[bit / 8] ^= (byte) (1 << (bit % 8));
                yield d;
            }
            default -> data.consumeBytes(DatagramLink.MAX_DATAGRAM + 1);
        };
    }

    private static boolean isRecorded(byte[] d) {
        for (byte[] r : RECORDED) {
            if (Arrays.equals(r, d)) {
                return true;
            }
        }
        return false;
    }

    /** Until every datagram was counted one way or another, or the channel stopped (a CLOSE ends a batch). */
    private static void awaitSettled(ReliableChannel channel, ScriptedLink link, int fed) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE_NANOS;
        while (System.nanoTime() < deadline) {
            ReliableStats s = channel.stats();
            long counted = s.packetsReceived() + s.droppedMalformed() + s.droppedForeign() + s.droppedInvalid()
                    + s.duplicates() + s.droppedUnauthenticated();
            if ((counted >= fed && link.inbound.isEmpty()) || channel.failure().isPresent()
                    || channel.ioThreadFinished()) {
                return;
            }
            Thread.sleep(0, 200_000); // gives up silently on purpose: the reads after it check what arrived
        }
    }

    private static byte[] stream() {
        byte[] s = new byte[STREAM_BYTES];
        ReliableTesting.fill(new SplittableRandom(STREAM_SEED), s, s.length);
        return s;
    }

    /** The datagrams a real sender emits for {@link #STREAM} and its close, as a real receiver took them. */
    private static List<byte[]> record(boolean keyed) {
        try {
            FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), STREAM_SEED);
            ReliableChannel a = ReliableChannel.open(link.a(), CONFIG);
            ReliableChannel b = ReliableChannel.open(link.b(), CONFIG);
            if (keyed) {
                a.installKeys(ReliableAuth.fromExporter(ReliableForgeryTest.material(KEY_SEED), true));
                b.installKeys(ReliableAuth.fromExporter(ReliableForgeryTest.material(KEY_SEED), false));
            }
            try {
                ReliableTesting.transfer(a, b, STREAM_BYTES, STREAM_BYTES, STREAM_SEED, Duration.ofSeconds(30));
            } finally {
                b.abort("recorded");
                a.abort("recorded");
            }
            List<byte[]> recorded = new ArrayList<>(link.recentFromA());
            assertThat(recorded).isNotEmpty();
            // recentFromA keeps the last 64: fewer means none of the transfer's datagrams was forgotten.
            assertThat(recorded).hasSizeLessThan(64);
            if (keyed) {
                ReliableWire.Packet p = new ReliableWire.Packet();
                for (byte[] d : recorded) {
                    assertThat(ReliableWire.decode(d, d.length, p)).isEqualTo(ReliableWire.Verdict.OK);
                    assertThat(p.tagged).as("every keyed datagram is tagged").isTrue();
                }
            }
            return recorded;
        } catch (Exception e) {
            throw new AssertionError("recording a real transfer failed", e);
        }
    }

    /** Delivers the scripted datagrams, then nothing; drops what the channel sends. */
    private static final class ScriptedLink implements DatagramLink {
        final LinkedBlockingQueue<byte[]> inbound = new LinkedBlockingQueue<>();

        @Override
        public void send(byte[] buf, int off, int len) {
        }

        @Override
        public int receive(byte[] buf, int timeoutMillis) throws java.io.IOException {
            byte[] d;
            try {
                d = timeoutMillis <= 0 ? inbound.poll() : inbound.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted");
            }
            if (d == null) {
                return -1;
            }
            System.arraycopy(d, 0, buf, 0, d.length);
            return d.length;
        }

        @Override
        public String pathKind() {
            return "scripted";
        }

        @Override
        public void close() {
        }
    }
}
