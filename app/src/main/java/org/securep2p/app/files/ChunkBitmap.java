package org.securep2p.app.files;

import java.util.Arrays;
import java.util.stream.IntStream;

import org.securep2p.crypto.CryptoException;

/**
 * An immutable set of chunk indices out of {@code count} (PROTOCOL.md §24.2, a HAVE's bitmap): chunk i is bit
 * (7 − i mod 8) of byte ⌊i/8⌋, the unused low bits of the last byte are zero. {@link #decode} accepts exactly
 * that layout, so one set has one encoding.
 */
public final class ChunkBitmap {

    private final int count;
    private final byte[] bits;
    private final int cardinality;

    private ChunkBitmap(int count, byte[] bits) {
        this.count = count;
        this.bits = bits;
        int c = 0;
        for (byte b : bits) {
            c += Integer.bitCount(b & 0xFF);
        }
        this.cardinality = c;
    }

    /** No chunk out of {@code count} (0..{@link FileOffer#MAX_CHUNK_COUNT}). */
    public static ChunkBitmap empty(int count) {
        checkCount(count);
        return new ChunkBitmap(count, new byte[bytesFor(count)]);
    }

    /** Every chunk out of {@code count}. */
    public static ChunkBitmap full(int count) {
        checkCount(count);
        byte[] b = new byte[bytesFor(count)];
        Arrays.fill(b, (byte) 0xFF);
        if (count % 8 != 0) {
            b[b.length - 1] = (byte) (0xFF << (8 - count % 8));
        }
        return new ChunkBitmap(count, b);
    }

    /**
     * Reads a bitmap of {@code count} chunks: exactly ceil(count/8) bytes with the unused bits zero, else
     * BAD_ENCODING (also for a count outside 0..{@link FileOffer#MAX_CHUNK_COUNT}).
     */
    public static ChunkBitmap decode(int count, byte[] bitmap) throws CryptoException {
        if (count < 0 || count > FileOffer.MAX_CHUNK_COUNT) {
            throw bad("chunk count out of range");
        }
        if (bitmap.length != bytesFor(count)) {
            throw bad("bitmap must be ceil(count / 8) bytes");
        }
        if (count % 8 != 0 && (bitmap[bitmap.length - 1] & (0xFF >>> (count % 8))) != 0) {
            throw bad("unused bits of the bitmap are set");
        }
        return new ChunkBitmap(count, bitmap.clone());
    }

    /** ceil(count / 8). */
    public static int bytesFor(int count) {
        return (count + 7) / 8;
    }

    public int count() {
        return count;
    }

    public boolean has(int index) {
        checkIndex(index);
        return (bits[index >>> 3] & (0x80 >>> (index & 7))) != 0;
    }

    /** How many chunks the set holds. */
    public int cardinality() {
        return cardinality;
    }

    public boolean isComplete() {
        return cardinality == count;
    }

    /** The indices not in the set, ascending. */
    public IntStream missing() {
        return IntStream.range(0, count).filter(i -> !has(i));
    }

    /** The highest index in the set, or -1 when it is empty. */
    public int highest() {
        for (int i = count - 1; i >= 0; i--) {
            if (has(i)) {
                return i;
            }
        }
        return -1;
    }

    /** This set plus {@code index} (this one when it has it already). */
    public ChunkBitmap with(int index) {
        if (has(index)) {
            return this;
        }
        byte[] b = bits.clone();
        b[index >>> 3] |= (byte) (0x80 >>> (index & 7));
        return new ChunkBitmap(count, b);
    }

    /** The wire layout of §24.2 (a copy). */
    public byte[] toBitmap() {
        return bits.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkBitmap other && count == other.count && Arrays.equals(bits, other.bits);
    }

    @Override
    public int hashCode() {
        return 31 * count + Arrays.hashCode(bits);
    }

    @Override
    public String toString() {
        return "ChunkBitmap[" + cardinality + " of " + count + "]";
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException(index);
        }
    }

    private static void checkCount(int count) {
        if (count < 0 || count > FileOffer.MAX_CHUNK_COUNT) {
            throw new IllegalArgumentException("chunk count out of range");
        }
    }

    private static CryptoException bad(String what) {
        return new CryptoException(CryptoException.Reason.BAD_ENCODING, "chunk bitmap: " + what);
    }
}
