package org.securep2p.transport.reliable;

/**
 * The datagram format of the reliable channel (docs/PROTOCOL.md section 13.2), version 2. Decoding is strict
 * and total: every byte of a datagram is accounted for, every length and range is checked, and the result is
 * a {@link Verdict} rather than an exception, because garbage from the network is routine here and must cost
 * no more than a branch. Decoding fills a reusable {@link Packet} and encoding writes into a caller's array,
 * so the per-datagram path allocates nothing.
 *
 * <p>Not its job: deciding whether a well-formed packet makes sense for the connection (the channel checks
 * packet numbers, acknowledgements and offsets against its state) or checking a tag ({@link ReliableAuth}
 * does; the decoder only sets aside the {@link #TAG_BYTES} a tagged packet ends with).
 */
public final class ReliableWire {

    static final int VERSION = 2;
    /** Version 1 had no tag; a peer still speaking it is told apart from garbage ({@link Verdict#OLD_VERSION}). */
    static final int OLD_VERSION = 1;

    public static final int TYPE_DATA = 1;
    public static final int TYPE_ACK = 2;
    public static final int TYPE_PING = 3;
    public static final int TYPE_CLOSE = 4;

    /** CLOSE codes. GOODBYE: the sender's FIN was acknowledged and it has released the channel. */
    public static final int CLOSE_GOODBYE = 0;
    /** CLOSE code: the sender gave up on the channel (aborted by its user or by a local failure). */
    public static final int CLOSE_ABORT = 1;

    static final int FLAG_FIN = 0x01;

    /**
     * Bit of the type byte: the packet ends with a {@link #TAG_BYTES}-byte tag over everything before it
     * (PROTOCOL.md 13.9). The tag itself is checked by the channel, which alone knows whether it has keys.
     */
    public static final int TYPE_TAGGED = 0x80;

    /** A GMAC tag, AES-256-GCM's full 128 bits (PROTOCOL.md 13.9). */
    static final int TAG_BYTES = 16;

    /** version u8, type u8, connection id u32, packet number u64. */
    public static final int HEADER_BYTES = 14;
    /** max data u64, range count u8. */
    static final int ACK_FIXED_BYTES = 9;
    /** largest u64, first range u32. */
    static final int FIRST_RANGE_BYTES = 12;
    /** gap u32, length u32. */
    static final int MORE_RANGE_BYTES = 8;
    /** offset u64, length u16, flags u8. */
    static final int STREAM_HEADER_BYTES = 11;

    /**
     * Ranges one ACK may carry: 32 ranges (268 bytes) describe any loss pattern of the last few hundred
     * packets, and bound the work one ACK can cause.
     */
    public static final int MAX_ACK_RANGES = 32;

    /**
     * Stream bytes in one DATA packet: what is left of a 1,200-byte datagram after the header, an ACK with one
     * range, the stream header and the tag. A full packet still carries the common one-range ACK; smaller ones
     * carry more ranges in the room they leave. Room for the tag is kept before keys too, so that a segment
     * cut before the handshake completed can be retransmitted, tagged, in the same room.
     */
    static final int MAX_STREAM_PAYLOAD = DatagramLink.MAX_DATAGRAM - HEADER_BYTES - ACK_FIXED_BYTES
            - FIRST_RANGE_BYTES - STREAM_HEADER_BYTES - TAG_BYTES;

    /**
     * Packet numbers, stream offsets and max data are below 2^62 (QUIC's bound): no counter can wrap in the
     * life of a connection (2^62 bytes at 100 Gbit/s is 11 years), and the arithmetic never overflows a long.
     */
    static final long MAX_COUNTER = (1L << 62) - 1;

    static final int CLOSE_BYTES = HEADER_BYTES + 1;

    private static final long U32_MAX = 0xFFFF_FFFFL;

    /** Why a datagram was refused; {@link #OK} when it decoded. */
    public enum Verdict {
        OK,
        /** Shorter than its fields say. */
        TRUNCATED,
        /** Version 1 (untagged, PROTOCOL.md 13.2): a peer that must be updated. */
        OLD_VERSION,
        /** A version byte other than {@link #VERSION} and {@link #OLD_VERSION}. */
        UNKNOWN_VERSION,
        /** A type byte other than the four defined (with or without {@link #TYPE_TAGGED}). */
        UNKNOWN_TYPE,
        /** Bytes left after the last field. */
        TRAILING_BYTES,
        /** Longer than {@link DatagramLink#MAX_DATAGRAM}: no peer of ours sends that. */
        TOO_LONG,
        /** A field outside its range: a counter ≥ 2^62, a range below zero, a reserved flag, a bad code. */
        OUT_OF_RANGE
    }

    /** One decoded datagram; reused from datagram to datagram, valid until the next decode into it. */
    public static final class Packet {
        public int type;
        /** The type byte had {@link #TYPE_TAGGED}: the last {@link #TAG_BYTES} bytes are a tag, not fields. */
        boolean tagged;
        public int connectionId;
        long number;
        /** DATA, ACK, PING: the sender's receive limit (stream offset it may be sent up to). */
        long maxData;
        int rangeCount;
        /** Acknowledged packet numbers, inclusive, descending: rangeHigh[0] is the largest acknowledged. */
        final long[] rangeHigh = new long[MAX_ACK_RANGES];
        final long[] rangeLow = new long[MAX_ACK_RANGES];
        /** DATA: stream offset, length, FIN, and where the payload starts in the decoded array. */
        public long offset;
        int length;
        boolean fin;
        int payloadStart;
        /** CLOSE: the code. */
        int closeCode;

        boolean ackEliciting() {
            return type == TYPE_DATA || type == TYPE_PING;
        }
    }

    private ReliableWire() {
    }

    /** Decodes {@code buf[0, len)} into {@code out}; on anything but OK, {@code out} holds garbage. */
    public static Verdict decode(byte[] buf, int len, Packet out) {
        if (len < 1) {
            return Verdict.TRUNCATED;
        }
        if (len > DatagramLink.MAX_DATAGRAM) {
            return Verdict.TOO_LONG;
        }
        int version = buf[0] & 0xFF;
        if (version != VERSION) {
            return version == OLD_VERSION ? Verdict.OLD_VERSION : Verdict.UNKNOWN_VERSION;
        }
        if (len < HEADER_BYTES) {
            return Verdict.TRUNCATED;
        }
        int type = buf[1] & 0xFF;
        out.tagged = (type & TYPE_TAGGED) != 0;
        type &= ~TYPE_TAGGED;
        if (type < TYPE_DATA || type > TYPE_CLOSE) {
            return Verdict.UNKNOWN_TYPE;
        }
        if (out.tagged) {
            // The fields end where the tag begins; from here on len is the length of what the tag covers.
            len -= TAG_BYTES;
            if (len < HEADER_BYTES) {
                return Verdict.TRUNCATED;
            }
        }
        out.type = type;
        out.connectionId = (int) u32(buf, 2);
        out.number = u64(buf, 6);
        if (out.number < 0 || out.number > MAX_COUNTER) {
            return Verdict.OUT_OF_RANGE;
        }
        int pos = HEADER_BYTES;
        if (type == TYPE_CLOSE) {
            if (len < CLOSE_BYTES) {
                return Verdict.TRUNCATED;
            }
            out.closeCode = buf[pos] & 0xFF;
            if (out.closeCode != CLOSE_GOODBYE && out.closeCode != CLOSE_ABORT) {
                return Verdict.OUT_OF_RANGE;
            }
            return len == CLOSE_BYTES ? Verdict.OK : Verdict.TRAILING_BYTES;
        }
        if (len - pos < ACK_FIXED_BYTES) {
            return Verdict.TRUNCATED;
        }
        out.maxData = u64(buf, pos);
        if (out.maxData < 0 || out.maxData > MAX_COUNTER) {
            return Verdict.OUT_OF_RANGE;
        }
        int count = buf[pos + 8] & 0xFF;
        pos += ACK_FIXED_BYTES;
        if (count > MAX_ACK_RANGES) {
            return Verdict.OUT_OF_RANGE;
        }
        out.rangeCount = count;
        if (count > 0) {
            if (len - pos < FIRST_RANGE_BYTES + (count - 1) * MORE_RANGE_BYTES) {
                return Verdict.TRUNCATED;
            }
            long high = u64(buf, pos);
            long low = high - u32(buf, pos + 8);
            pos += FIRST_RANGE_BYTES;
            if (high < 0 || high > MAX_COUNTER || low < 0) {
                return Verdict.OUT_OF_RANGE;
            }
            out.rangeHigh[0] = high;
            out.rangeLow[0] = low;
            for (int i = 1; i < count; i++) {
                high = low - u32(buf, pos) - 2;
                low = high - u32(buf, pos + 4);
                pos += MORE_RANGE_BYTES;
                if (low < 0) {
                    return Verdict.OUT_OF_RANGE;
                }
                out.rangeHigh[i] = high;
                out.rangeLow[i] = low;
            }
        }
        if (type != TYPE_DATA) {
            return pos == len ? Verdict.OK : Verdict.TRAILING_BYTES;
        }
        if (len - pos < STREAM_HEADER_BYTES) {
            return Verdict.TRUNCATED;
        }
        out.offset = u64(buf, pos);
        out.length = ((buf[pos + 8] & 0xFF) << 8) | (buf[pos + 9] & 0xFF);
        int flags = buf[pos + 10] & 0xFF;
        pos += STREAM_HEADER_BYTES;
        out.fin = (flags & FLAG_FIN) != 0;
        if ((flags & ~FLAG_FIN) != 0 || out.offset < 0 || out.offset > MAX_COUNTER - out.length
                || out.length > MAX_STREAM_PAYLOAD || (out.length == 0 && !out.fin)) {
            return Verdict.OUT_OF_RANGE;
        }
        if (len - pos < out.length) {
            return Verdict.TRUNCATED;
        }
        out.payloadStart = pos;
        return pos + out.length == len ? Verdict.OK : Verdict.TRAILING_BYTES;
    }

    /** Writes the 14-byte header at 0, untagged ({@link #markTagged} sets the bit); returns the next position. */
    public static int writeHeader(byte[] b, int type, int connectionId, long number) {
        b[0] = (byte) VERSION;
        b[1] = (byte) type;
        putU32(b, 2, connectionId & U32_MAX);
        putU64(b, 6, number);
        return HEADER_BYTES;
    }

    /** Bytes an ACK block with {@code ranges} ranges takes. */
    static int ackBytes(int ranges) {
        return ACK_FIXED_BYTES + (ranges == 0 ? 0 : FIRST_RANGE_BYTES + (ranges - 1) * MORE_RANGE_BYTES);
    }

    /** How many ACK ranges fit in a DATA packet carrying {@code payload} stream bytes (and a tag). */
    static int rangesFitting(int payload) {
        int room = DatagramLink.MAX_DATAGRAM - HEADER_BYTES - ACK_FIXED_BYTES - STREAM_HEADER_BYTES - TAG_BYTES
                - payload;
        if (room < FIRST_RANGE_BYTES) {
            return 0;
        }
        return Math.min(MAX_ACK_RANGES, 1 + (room - FIRST_RANGE_BYTES) / MORE_RANGE_BYTES);
    }

    /**
     * Writes an ACK block acknowledging the highest {@code maxRanges} ranges of {@code received} (half-open
     * ranges of packet numbers). A range longer than a u32 describes is cut at its low end and ends the block:
     * those packets were acknowledged long ago. Returns the next position.
     */
    public static int writeAck(byte[] b, int pos, long maxData, ReliableRangeSet received, int maxRanges) {
        putU64(b, pos, maxData);
        int countPos = pos + 8;
        pos += ACK_FIXED_BYTES;
        int n = Math.min(Math.min(maxRanges, MAX_ACK_RANGES), received.size());
        int written = 0;
        long prevLow = 0;
        for (int i = received.size() - 1; i >= 0 && written < n; i--) {
            long high = received.high(i) - 1;
            long low = received.low(i);
            if (written == 0) {
                long len = Math.min(high - low, U32_MAX);
                putU64(b, pos, high);
                putU32(b, pos + 8, len);
                pos += FIRST_RANGE_BYTES;
                written++;
                prevLow = high - len;
                if (len != high - low) {
                    break;
                }
            } else {
                long gap = prevLow - high - 2;
                long len = high - low;
                if (gap > U32_MAX || len > U32_MAX) {
                    break;
                }
                putU32(b, pos, gap);
                putU32(b, pos + 4, len);
                pos += MORE_RANGE_BYTES;
                written++;
                prevLow = low;
            }
        }
        b[countPos] = (byte) written;
        return pos;
    }

    /** Writes a stream header; the caller copies {@code length} payload bytes after it. */
    public static int writeStreamHeader(byte[] b, int pos, long offset, int length, boolean fin) {
        putU64(b, pos, offset);
        b[pos + 8] = (byte) (length >>> 8);
        b[pos + 9] = (byte) length;
        b[pos + 10] = (byte) (fin ? FLAG_FIN : 0);
        return pos + STREAM_HEADER_BYTES;
    }

    /** Sets {@link #TYPE_TAGGED} in a packet written at 0; the caller appends the tag. */
    static void markTagged(byte[] b) {
        b[1] = (byte) (b[1] | TYPE_TAGGED);
    }

    public static int writeClose(byte[] b, int connectionId, long number, int code) {
        int pos = writeHeader(b, TYPE_CLOSE, connectionId, number);
        b[pos] = (byte) code;
        return pos + 1;
    }

    private static long u32(byte[] b, int p) {
        return ((b[p] & 0xFFL) << 24) | ((b[p + 1] & 0xFFL) << 16) | ((b[p + 2] & 0xFFL) << 8) | (b[p + 3] & 0xFFL);
    }

    private static long u64(byte[] b, int p) {
        return (u32(b, p) << 32) | u32(b, p + 4);
    }

    private static void putU32(byte[] b, int p, long v) {
        b[p] = (byte) (v >>> 24);
        b[p + 1] = (byte) (v >>> 16);
        b[p + 2] = (byte) (v >>> 8);
        b[p + 3] = (byte) v;
    }

    private static void putU64(byte[] b, int p, long v) {
        putU32(b, p, v >>> 32);
        putU32(b, p + 4, v & U32_MAX);
    }
}
