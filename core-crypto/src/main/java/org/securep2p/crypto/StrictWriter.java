package org.securep2p.crypto;

import java.io.ByteArrayOutputStream;

/**
 * Writes the layouts that {@link StrictReader} reads; lengths are checked against their field width. A buffer
 * it outgrows is zeroed before it is dropped, so a writer that held secrets leaves no copy behind once
 * {@link #wipe()} (or {@link #toByteArrayThenWipe()}) has zeroed the last one.
 */
public final class StrictWriter {

    private final WipeableBuffer out;

    public StrictWriter() {
        out = new WipeableBuffer(256);
    }

    /**
     * A writer whose first buffer holds {@code capacity} bytes: an output that fits is never copied while it grows
     * (for bulk data such as file chunks, where each copy of a quarter-megabyte buffer shows in the profile).
     */
    public StrictWriter(int capacity) {
        out = new WipeableBuffer(capacity);
    }

    /** Zeroes everything written so far (the copy {@link #toByteArray()} returned belongs to the caller). */
    public void wipe() {
        out.wipe();
    }

    /** The output, after which the writer's own buffer is zeroed: for an encoding that holds secrets. */
    public byte[] toByteArrayThenWipe() {
        byte[] bytes = out.toByteArray();
        out.wipe();
        return bytes;
    }

    /** The array the writer currently writes into; for the test that checks it is zeroed. */
    byte[] buffer() {
        return out.buffer();
    }

    /**
     * ByteArrayOutputStream keeps its array protected, and drops an outgrown one without zeroing it; this
     * grows the array itself, zeroing the old one, and exposes only the zeroing.
     */
    private static final class WipeableBuffer extends ByteArrayOutputStream {
        WipeableBuffer(int capacity) {
            super(capacity);
        }

        @Override
        public synchronized void write(int b) {
            ensureCapacity(count + 1);
            super.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            ensureCapacity(count + len);
            super.write(b, off, len);
        }

        @Override
        public void writeBytes(byte[] b) {
            write(b, 0, b.length);
        }

        private void ensureCapacity(int needed) {
            if (needed < 0) {
                throw new OutOfMemoryError("StrictWriter output over 2 GiB");
            }
            if (needed > buf.length) {
                byte[] old = buf;
                buf = java.util.Arrays.copyOf(old, Math.max(needed, Math.min(Integer.MAX_VALUE - 8,
                        2 * old.length)));
                java.util.Arrays.fill(old, (byte) 0);
            }
        }

        synchronized byte[] buffer() {
            return buf;
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
