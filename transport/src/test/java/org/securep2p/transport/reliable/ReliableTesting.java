package org.securep2p.transport.reliable;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import org.securep2p.transport.TransportException;

/** Shared pieces of the reliable-channel tests: fast timers and a byte-exact seeded transfer. */
public final class ReliableTesting {

    private ReliableTesting() {
    }

    /** Timers shrunk so that losses and timeouts play out in milliseconds; buffers as in production. */
    public static ReliableConfig.Builder fast() {
        return ReliableConfig.builder()
                .initialRto(Duration.ofMillis(100))
                .minRto(Duration.ofMillis(2))
                .maxRto(Duration.ofSeconds(2))
                .ackDelay(Duration.ofMillis(1))
                .keepalive(Duration.ofSeconds(5))
                .deadPeer(Duration.ofSeconds(20))
                .writeTimeout(Duration.ofSeconds(20))
                .closeTimeout(Duration.ofSeconds(30))
                .poll(Duration.ofMillis(2));
    }

    public static ReliableConfig build(ReliableConfig.Builder b) {
        try {
            return b.build();
        } catch (TransportException e) {
            throw new AssertionError(e);
        }
    }

    /** The seeded pseudo-random stream both sides of a transfer regenerate. */
    public static void fill(SplittableRandom r, byte[] chunk, int len) {
        for (int i = 0; i < len; i += 8) {
            long v = r.nextLong();
            for (int k = 0; k < 8 && i + k < len; k++) {
                chunk[i + k] = (byte) (v >>> (8 * k));
            }
        }
    }

    /**
     * Writes {@code total} seeded bytes from {@code from} in chunks of {@code chunk} on a separate thread,
     * closes it, and checks on this thread that {@code to} reads exactly those bytes and then end of
     * stream. Fails with the first differing offset.
     */
    static void transfer(ReliableChannel from, ReliableChannel to, long total, int chunk, long seed,
                         Duration limit) throws Exception {
        transfer(from, to, total, chunk, seed, limit, true);
    }

    /** As above; without {@code close}, the stream is left open and end of stream is not checked. */
    static void transfer(ReliableChannel from, ReliableChannel to, long total, int chunk, long seed,
                         Duration limit, boolean close) throws Exception {
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                SplittableRandom r = new SplittableRandom(seed);
                byte[] buf = new byte[chunk];
                long left = total;
                while (left > 0) {
                    int n = (int) Math.min(chunk, left);
                    // Regenerate per chunk boundary the same way the reader does (aligned to 8 bytes).
                    fill(r, buf, n);
                    from.write(buf, 0, n);
                    left -= n;
                }
                if (close) {
                    from.close();
                }
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        }, "test-writer");
        writer.start();
        try {
            SplittableRandom r = new SplittableRandom(seed);
            byte[] expected = new byte[chunk];
            byte[] got = new byte[chunk];
            long offset = 0;
            long deadline = System.nanoTime() + limit.toNanos();
            while (offset < total) {
                int want = (int) Math.min(chunk, total - offset);
                fill(r, expected, want);
                int have = 0;
                while (have < want) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new AssertionError("transfer too slow: " + offset + " of " + total + " bytes after "
                                + limit + "; sender " + from.stats() + "; receiver " + to.stats()
                                + "; writer " + writerFailure.get());
                    }
                    int n;
                    try {
                        n = to.read(got, have, want - have, 200);
                    } catch (TransportException e) {
                        throw new AssertionError("read failed at " + (offset + have) + " of " + total
                                + "; sender " + from.stats() + " " + from.failure() + "; receiver " + to.stats()
                                + "; writer " + writerFailure.get(), e);
                    }
                    if (n < 0) {
                        throw new AssertionError("end of stream at " + (offset + have) + " of " + total);
                    }
                    have += n;
                }
                for (int i = 0; i < want; i++) {
                    if (got[i] != expected[i]) {
                        throw new AssertionError("byte " + (offset + i) + " differs (seed " + seed + ")");
                    }
                }
                offset += want;
            }
            if (!close) {
                return;
            }
            int n;
            long eofDeadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while ((n = to.read(got, 0, got.length, 200)) == 0) {
                if (System.nanoTime() - eofDeadline > 0) {
                    throw new AssertionError("no end of stream; sender " + from.stats());
                }
            }
            if (n != -1) {
                throw new AssertionError(n + " bytes after the end");
            }
        } finally {
            writer.join(20_000);
        }
        if (writerFailure.get() != null) {
            throw new AssertionError("writer failed", writerFailure.get());
        }
    }
}
