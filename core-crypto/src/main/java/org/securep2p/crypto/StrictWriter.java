package org.securep2p.crypto;

import java.io.ByteArrayOutputStream;

/** Writes the layouts that {@link StrictReader} reads; lengths are checked against their field width. */
public final class StrictWriter {

    private final WipeableBuffer out;

    public StrictWriter() {
        out = new WipeableBuffer(256);
    }

    /**
     * A writer for secrets: {@code capacity} should cover the whole output, because a buffer outgrown is
     * copied and the old copy cannot be wiped; {@link #wipe()} zeroes the buffer once the output is taken.
     */
    StrictWriter(int capacity) {
        out = new WipeableBuffer(capacity);
    }

    /** Zeroes everything written so far (the copy {@link #toByteArray()} returned belongs to the caller). */
    void wipe() {
        out.wipe();
    }

    /** ByteArrayOutputStream keeps its array protected; this exposes only the zeroing of it. */
    private static final class WipeableBuffer extends ByteArrayOutputStream {
        WipeableBuffer(int capacity) {
            super(capacity);
        }

        synchronized void wipe() {
            java.util.Arrays.fill(buf, (byte) 0);
            reset();
        }
    }

    public StrictWriter u8(int v) {
        if (v < 0 || v > 0xFF) {
            throw new IllegalArgumentException("u8 out of range");
        }
        out.write(v);
        return this;
    }

    public StrictWriter u16(int v) {
        if (v < 0 || v > 0xFFFF) {
            throw new IllegalArgumentException("u16 out of range");
        }
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    public StrictWriter u32(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("u32 out of range");
        }
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    public StrictWriter u64(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("u64 out of range");
        }
        for (int i = 7; i >= 0; i--) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    public StrictWriter bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    public StrictWriter var16(byte[] b) {
        u16(b.length);
        return bytes(b);
    }

    public StrictWriter var32(byte[] b) {
        u32(b.length);
        return bytes(b);
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }
}
