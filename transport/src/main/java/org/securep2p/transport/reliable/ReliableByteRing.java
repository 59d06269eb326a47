package org.securep2p.transport.reliable;

/**
 * Bytes addressed by stream offset in a window {@code [base, base + maxCapacity)}, stored in a power-of-two
 * ring that starts small and doubles on demand up to {@code maxCapacity}. An idle channel holds a few KiB;
 * a busy one grows to its configured buffer and no further.
 *
 * <p>Not its job: knowing which offsets hold valid data; the sender and receiver track that.
 */
final class ReliableByteRing {

    /** First allocation: a few TLS records, so small conversations never grow the ring. */
    static final int INITIAL_CAPACITY = 64 * 1024;

    private final int maxCapacity;
    private byte[] buf;
    private long base;

    /** {@code maxCapacity} is rounded up to a power of two. */
    ReliableByteRing(int maxCapacity) {
        this.maxCapacity = Integer.highestOneBit(Math.max(1, maxCapacity - 1)) << 1;
        this.buf = new byte[Math.min(INITIAL_CAPACITY, this.maxCapacity)];
    }

    long base() {
        return base;
    }

    /** Forgets the bytes below {@code newBase}; the window moves up. */
    void release(long newBase) {
        if (newBase < base) {
            throw new IllegalArgumentException("release below base");
        }
        base = newBase;
    }

    int allocated() {
        return buf.length;
    }

    /** Stores {@code len} bytes at {@code offset}, which lies within the window. */
    void put(long offset, byte[] src, int off, int len) {
        ensure(offset + len);
        int mask = buf.length - 1;
        while (len > 0) {
            int at = (int) (offset & mask);
            int n = Math.min(len, buf.length - at);
            System.arraycopy(src, off, buf, at, n);
            offset += n;
            off += n;
            len -= n;
        }
    }

    /** Copies {@code len} bytes at {@code offset} (previously stored) into {@code dst}. */
    void get(long offset, byte[] dst, int off, int len) {
        int mask = buf.length - 1;
        while (len > 0) {
            int at = (int) (offset & mask);
            int n = Math.min(len, buf.length - at);
            System.arraycopy(buf, at, dst, off, n);
            offset += n;
            off += n;
            len -= n;
        }
    }

    private void ensure(long end) {
        long need = end - base;
        if (need > maxCapacity || end < base) {
            throw new IllegalStateException("offset " + end + " outside the window at " + base);
        }
        if (need <= buf.length) {
            return;
        }
        int cap = buf.length;
        while (cap < need) {
            cap <<= 1;
        }
        byte[] grown = new byte[cap];
        // Every offset of the old window keeps its bytes; the new mask places them anew.
        long at = base;
        int left = buf.length;
        int oldMask = buf.length - 1;
        int newMask = cap - 1;
        while (left > 0) {
            int from = (int) (at & oldMask);
            int to = (int) (at & newMask);
            int n = Math.min(left, Math.min(buf.length - from, cap - to));
            System.arraycopy(buf, from, grown, to, n);
            at += n;
            left -= n;
        }
        buf = grown;
    }
}
