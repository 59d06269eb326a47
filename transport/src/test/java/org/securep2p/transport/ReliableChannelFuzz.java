package org.securep2p.transport;

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

/**
 * Coverage-guided fuzzing of the reliable channel's receive side: a {@link ReliableChannel} on a scripted link
 * is fed a sequence of datagrams chosen by the fuzzer from real ones (recorded once from a real transfer, so
 * they follow whatever wire format {@link ReliableWire} writes), in any order, repeated, truncated, bit-flipped,
 * or replaced by arbitrary bytes. Whatever the sequence: no {@link RuntimeException} reaches the reader or
 * stops the I/O thread (a failure, if any, is a {@link TransportException} not caused by one), the bytes
 * delivered are never more than were sent, and the send buffer stays within its configured size. Where every
 * datagram is either real or refused by the wire decoder, the bytes delivered are exactly a prefix of the
 * stream that was sent.
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
    private static final List<byte[]> RECORDED = record();

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
            long deadline = System.nanoTime() + SETTLE_NANOS;
            while (!channel.ioThreadFinished() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(channel.ioThreadFinished()).as("I/O thread ends after abort").isTrue();
        }
    }

    private static byte[] nextDatagram(FuzzedDataProvider data) {
        byte[] real = RECORDED.get(data.consumeInt(0, RECORDED.size() - 1));
        switch (data.consumeInt(0, 3)) {
            case 0:
                return real;
            case 1:
                return Arrays.copyOf(real, data.consumeInt(0, real.length));
            case 2: {
                byte[] d = real.clone();
                int bit = data.consumeInt(0, d.length * 8 - 1);
                d[bit / 8] ^= (byte) (1 << (bit % 8));
                return d;
            }
            default:
                return data.consumeBytes(DatagramLink.MAX_DATAGRAM + 1);
        }
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
                    + s.duplicates();
            if ((counted >= fed && link.inbound.isEmpty()) || channel.failure().isPresent()
                    || channel.ioThreadFinished()) {
                return;
            }
            Thread.sleep(0, 200_000);
        }
    }

    private static byte[] stream() {
        byte[] s = new byte[STREAM_BYTES];
        ReliableTesting.fill(new SplittableRandom(STREAM_SEED), s, s.length);
        return s;
    }

    /** The datagrams a real sender emits for {@link #STREAM} and its close, as a real receiver took them. */
    private static List<byte[]> record() {
        try {
            FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), STREAM_SEED);
            ReliableChannel a = ReliableChannel.open(link.a(), CONFIG);
            ReliableChannel b = ReliableChannel.open(link.b(), CONFIG);
            try {
                ReliableTesting.transfer(a, b, STREAM_BYTES, STREAM_BYTES, STREAM_SEED, Duration.ofSeconds(30));
            } finally {
                b.abort("recorded");
                a.abort("recorded");
            }
            List<byte[]> recorded = new ArrayList<>(link.recentFromA());
            assertThat(recorded).isNotEmpty();
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
