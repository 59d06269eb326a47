package org.securep2p.crypto;

import java.util.Arrays;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;

/**
 * Reads the big-endian, length-prefixed layouts of {@code docs/PROTOCOL.md}. Every read is bounds-checked and
 * every failure is a {@link CryptoException} with {@code BAD_ENCODING}; {@link #expectEnd()} rejects trailing
 * bytes so that one value has exactly one encoding.
 */
public final class StrictReader {

    private final byte[] data;
    private final String what;
    private int pos;

    public StrictReader(byte[] data, String what) {
        this.data = data;
        this.what = what;
    }

    public int position() {
        return pos;
    }

    public int remaining() {
        return data.length - pos;
    }

    public int u8(String field) throws CryptoException {
        need(1, field);
        return data[pos++] & 0xFF;
    }

    public int u16(String field) throws CryptoException {
        need(2, field);
        int v = ((data[pos] & 0xFF) << 8) | (data[pos + 1] & 0xFF);
        pos += 2;
        return v;
    }

    /** An unsigned 32-bit value; ids use this, so values above {@code Integer.MAX_VALUE} are refused. */
    public int u32(String field) throws CryptoException {
        need(4, field);
        int v = ((data[pos] & 0xFF) << 24) | ((data[pos + 1] & 0xFF) << 16)
                | ((data[pos + 2] & 0xFF) << 8) | (data[pos + 3] & 0xFF);
        pos += 4;
        if (v < 0) {
            throw new CryptoException(BAD_ENCODING, what + ": " + field + " out of range");
        }
        return v;
    }

    public long u64(String field) throws CryptoException {
        need(8, field);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (data[pos + i] & 0xFF);
        }
        pos += 8;
        if (v < 0) {
            throw new CryptoException(BAD_ENCODING, what + ": " + field + " out of range");
        }
        return v;
    }

    public byte[] fixed(int length, String field) throws CryptoException {
        need(length, field);
        byte[] out = Arrays.copyOfRange(data, pos, pos + length);
        pos += length;
        return out;
    }

    /** A {@code u16} length, checked against [min, max], then that many bytes. */
    public byte[] var16(int min, int max, String field) throws CryptoException {
        int len = u16(field + " length");
        if (len < min || len > max) {
            throw new CryptoException(BAD_ENCODING, what + ": " + field + " length " + len
                    + " outside [" + min + ", " + max + "]");
        }
        return fixed(len, field);
    }

    /** A {@code u32} length, checked against [min, max], then that many bytes. */
    public byte[] var32(int min, int max, String field) throws CryptoException {
        int len = u32(field + " length");
        if (len < min || len > max) {
            throw new CryptoException(BAD_ENCODING, what + ": " + field + " length " + len
                    + " outside [" + min + ", " + max + "]");
        }
        return fixed(len, field);
    }

    public void expectEnd() throws CryptoException {
        if (pos != data.length) {
            throw new CryptoException(BAD_ENCODING, what + ": " + (data.length - pos) + " trailing bytes");
        }
    }

    private void need(int n, String field) throws CryptoException {
        if (n < 0 || data.length - pos < n) {
            throw new CryptoException(BAD_ENCODING, what + ": truncated at " + field);
        }
    }
}
