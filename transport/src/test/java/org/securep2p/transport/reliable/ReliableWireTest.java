package org.securep2p.transport.reliable;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.transport.reliable.ReliableWire.Verdict;

/** The datagram codec: round trips, exact sizes, and one test per rejection. */
class ReliableWireTest {

    private static final int CID = 0x0A0B0C0D;

    private final ReliableWire.Packet p = new ReliableWire.Packet();

    static ReliableRangeSet ranges(long... lowHighPairs) {
        ReliableRangeSet s = new ReliableRangeSet(64, false);
        for (int i = 0; i < lowHighPairs.length; i += 2) {
            s.add(lowHighPairs[i], lowHighPairs[i + 1]);
        }
        return s;
    }

    static byte[] data(long pn, ReliableRangeSet acked, long offset, byte[] payload, boolean fin) {
        byte[] b = new byte[2 * DatagramLink.MAX_DATAGRAM];
        int pos = ReliableWire.writeHeader(b, ReliableWire.TYPE_DATA, CID, pn);
        pos = ReliableWire.writeAck(b, pos, 1 << 20, acked, ReliableWire.MAX_ACK_RANGES);
        pos = ReliableWire.writeStreamHeader(b, pos, offset, payload.length, fin);
        System.arraycopy(payload, 0, b, pos, payload.length);
        return Arrays.copyOf(b, pos + payload.length);
    }

    static byte[] control(int type, long pn, ReliableRangeSet acked) {
        byte[] b = new byte[DatagramLink.MAX_DATAGRAM];
        int pos = ReliableWire.writeHeader(b, type, CID, pn);
        pos = ReliableWire.writeAck(b, pos, 12345, acked, ReliableWire.MAX_ACK_RANGES);
        return Arrays.copyOf(b, pos);
    }

    static byte[] close(int code) {
        byte[] b = new byte[ReliableWire.CLOSE_BYTES];
        ReliableWire.writeClose(b, CID, 77, code);
        return b;
    }

    private Verdict decode(byte[] b) {
        return ReliableWire.decode(b, b.length, p);
    }

    @Test
    void roundTripsADataPacket() {
        byte[] payload = {1, 2, 3, 4, 5};
        byte[] b = data(42, ranges(0, 5, 7, 10, 20, 21), 1000, payload, true);
        assertThat(decode(b)).isEqualTo(Verdict.OK);
        assertThat(p.type).isEqualTo(ReliableWire.TYPE_DATA);
        assertThat(p.connectionId).isEqualTo(CID);
        assertThat(p.number).isEqualTo(42);
        assertThat(p.maxData).isEqualTo(1 << 20);
        assertThat(p.rangeCount).isEqualTo(3);
        assertThat(new long[] {p.rangeHigh[0], p.rangeLow[0], p.rangeHigh[1], p.rangeLow[1], p.rangeHigh[2],
                p.rangeLow[2]}).containsExactly(20, 20, 9, 7, 4, 0);
        assertThat(p.offset).isEqualTo(1000);
        assertThat(p.length).isEqualTo(5);
        assertThat(p.fin).isTrue();
        assertThat(Arrays.copyOfRange(b, p.payloadStart, p.payloadStart + p.length)).isEqualTo(payload);
        assertThat(p.ackEliciting()).isTrue();
    }

    @Test
    void roundTripsAckPingAndClose() {
        assertThat(decode(control(ReliableWire.TYPE_ACK, 3, ranges()))).isEqualTo(Verdict.OK);
        assertThat(p.type).isEqualTo(ReliableWire.TYPE_ACK);
        assertThat(p.rangeCount).isZero();
        assertThat(p.maxData).isEqualTo(12345);
        assertThat(p.ackEliciting()).isFalse();
        assertThat(decode(control(ReliableWire.TYPE_PING, 4, ranges(0, 3)))).isEqualTo(Verdict.OK);
        assertThat(p.type).isEqualTo(ReliableWire.TYPE_PING);
        assertThat(p.ackEliciting()).isTrue();
        assertThat(decode(close(ReliableWire.CLOSE_ABORT))).isEqualTo(Verdict.OK);
        assertThat(p.type).isEqualTo(ReliableWire.TYPE_CLOSE);
        assertThat(p.closeCode).isEqualTo(ReliableWire.CLOSE_ABORT);
        assertThat(p.number).isEqualTo(77);
    }

    @Test
    void aFullDataPacketWithItsTagFillsTheDatagramExactly() {
        byte[] b = data(1, ranges(0, 1), 0, new byte[ReliableWire.MAX_STREAM_PAYLOAD], false);
        assertThat(b).hasSize(DatagramLink.MAX_DATAGRAM - ReliableWire.TAG_BYTES);
        assertThat(decode(b)).isEqualTo(Verdict.OK);
        byte[] tagged = tagged(b);
        assertThat(tagged).hasSize(DatagramLink.MAX_DATAGRAM);
        assertThat(decode(tagged)).isEqualTo(Verdict.OK);
        assertThat(p.tagged).isTrue();
        assertThat(p.length).isEqualTo(ReliableWire.MAX_STREAM_PAYLOAD);
        assertThat(ReliableWire.rangesFitting(ReliableWire.MAX_STREAM_PAYLOAD)).isEqualTo(1);
        assertThat(ReliableWire.rangesFitting(100)).isEqualTo(ReliableWire.MAX_ACK_RANGES);
    }

    @Test
    void writesOnlyTheHighestRangesThatFit() {
        ReliableRangeSet many = new ReliableRangeSet(64, false);
        for (int i = 0; i < 40; i++) {
            many.add(3L * i, 3L * i + 2);
        }
        assertThat(decode(control(ReliableWire.TYPE_ACK, 200, many))).isEqualTo(Verdict.OK);
        assertThat(p.rangeCount).isEqualTo(ReliableWire.MAX_ACK_RANGES);
        assertThat(p.rangeHigh[0]).isEqualTo(3L * 39 + 1);
        assertThat(p.rangeLow[31]).isEqualTo(3L * 8);
    }

    /** The packet with the tag bit set and 16 bytes of (unchecked) tag after it. */
    static byte[] tagged(byte[] packet) {
        byte[] t = Arrays.copyOf(packet, packet.length + ReliableWire.TAG_BYTES);
        ReliableWire.markTagged(t);
        Arrays.fill(t, packet.length, t.length, (byte) 0x5A);
        return t;
    }

    @Test
    void aTaggedPacketsFieldsEndWhereItsTagBegins() {
        byte[] ack = control(ReliableWire.TYPE_ACK, 9, ranges(0, 1));
        assertThat(decode(tagged(ack))).isEqualTo(Verdict.OK);
        assertThat(p.tagged).isTrue();
        assertThat(p.type).isEqualTo(ReliableWire.TYPE_ACK);
        assertThat(p.number).isEqualTo(9);
        assertThat(decode(ack)).isEqualTo(Verdict.OK);
        assertThat(p.tagged).isFalse();
        // The same bytes claiming a tag are 16 bytes short of their fields.
        byte[] claims = ack.clone();
        ReliableWire.markTagged(claims);
        assertThat(decode(claims)).isEqualTo(Verdict.TRUNCATED);
        byte[] close = close(ReliableWire.CLOSE_ABORT);
        assertThat(decode(tagged(close))).isEqualTo(Verdict.OK);
        assertThat(decode(Arrays.copyOf(tagged(close), close.length + ReliableWire.TAG_BYTES - 1)))
                .isEqualTo(Verdict.TRUNCATED);
    }

    @Test
    void tellsTheUntaggedVersionOneFromUnknownVersions() {
        byte[] b = control(ReliableWire.TYPE_ACK, 1, ranges(0, 1));
        b[0] = 1;
        assertThat(decode(b)).isEqualTo(Verdict.OLD_VERSION);
    }

    @Test
    void rejectsUnknownVersion() {
        for (int v : new int[] {0, 3, 255}) {
            byte[] b = control(ReliableWire.TYPE_ACK, 1, ranges(0, 1));
            b[0] = (byte) v;
            assertThat(decode(b)).isEqualTo(Verdict.UNKNOWN_VERSION);
        }
    }

    @Test
    void rejectsUnknownType() {
        for (int t : new int[] {0, 5, 255}) {
            byte[] b = control(ReliableWire.TYPE_ACK, 1, ranges(0, 1));
            b[1] = (byte) t;
            assertThat(decode(b)).isEqualTo(Verdict.UNKNOWN_TYPE);
        }
    }

    @Test
    void rejectsEveryTruncation() {
        byte[][] valid = {
            data(9, ranges(0, 5, 7, 10), 100, new byte[50], false),
            data(9, ranges(), 0, new byte[0], true),
            control(ReliableWire.TYPE_ACK, 1, ranges(0, 1, 3, 4)),
            control(ReliableWire.TYPE_PING, 1, ranges()),
            close(ReliableWire.CLOSE_GOODBYE),
        };
        for (byte[] b : valid) {
            assertThat(decode(b)).isEqualTo(Verdict.OK);
            for (int len = 0; len < b.length; len++) {
                assertThat(ReliableWire.decode(b, len, p)).as("prefix of %d bytes", len)
                        .isEqualTo(Verdict.TRUNCATED);
            }
        }
    }

    @Test
    void rejectsTrailingBytes() {
        byte[][] valid = {
            data(9, ranges(0, 5), 100, new byte[50], false),
            control(ReliableWire.TYPE_ACK, 1, ranges(0, 1)),
            control(ReliableWire.TYPE_PING, 1, ranges()),
            close(ReliableWire.CLOSE_GOODBYE),
        };
        for (byte[] b : valid) {
            assertThat(decode(Arrays.copyOf(b, b.length + 1))).isEqualTo(Verdict.TRAILING_BYTES);
        }
    }

    @Test
    void rejectsDatagramsLongerThanTheMaximum() {
        byte[] b = Arrays.copyOf(control(ReliableWire.TYPE_ACK, 1, ranges()), DatagramLink.MAX_DATAGRAM + 1);
        assertThat(decode(b)).isEqualTo(Verdict.TOO_LONG);
    }

    @Test
    void rejectsCountersFrom2To62() {
        byte[] b = control(ReliableWire.TYPE_PING, ReliableWire.MAX_COUNTER, ranges());
        assertThat(decode(b)).isEqualTo(Verdict.OK);
        b[6] = 0x40; // packet number 2^62 + ...
        assertThat(decode(b)).isEqualTo(Verdict.OUT_OF_RANGE);
        byte[] d = data(1, ranges(), ReliableWire.MAX_COUNTER - 10, new byte[10], false);
        assertThat(decode(d)).isEqualTo(Verdict.OK);
        byte[] over = data(1, ranges(), ReliableWire.MAX_COUNTER - 9, new byte[10], false);
        assertThat(decode(over)).isEqualTo(Verdict.OUT_OF_RANGE);
        byte[] maxData = control(ReliableWire.TYPE_ACK, 1, ranges());
        maxData[ReliableWire.HEADER_BYTES] = (byte) 0x80;
        assertThat(decode(maxData)).isEqualTo(Verdict.OUT_OF_RANGE);
    }

    @Test
    void rejectsAcknowledgedRangesBelowZero() {
        byte[] first = control(ReliableWire.TYPE_ACK, 10, ranges(2, 6));
        // First range length 4 → 7 with largest 5.
        first[ReliableWire.HEADER_BYTES + ReliableWire.ACK_FIXED_BYTES + 11] = 7;
        assertThat(decode(first)).isEqualTo(Verdict.OUT_OF_RANGE);
        byte[] gap = control(ReliableWire.TYPE_ACK, 10, ranges(0, 1, 5, 6));
        // Second range's gap 3 → 4 puts its top at −1.
        gap[ReliableWire.HEADER_BYTES + ReliableWire.ACK_FIXED_BYTES + 15] = 4;
        assertThat(decode(gap)).isEqualTo(Verdict.OUT_OF_RANGE);
    }

    @Test
    void rejectsMoreThanThirtyTwoRanges() {
        byte[] b = control(ReliableWire.TYPE_ACK, 1, ranges());
        b[ReliableWire.HEADER_BYTES + 8] = (byte) (ReliableWire.MAX_ACK_RANGES + 1);
        byte[] padded = Arrays.copyOf(b, b.length + ReliableWire.FIRST_RANGE_BYTES + 32 * ReliableWire.MORE_RANGE_BYTES);
        assertThat(decode(padded)).isEqualTo(Verdict.OUT_OF_RANGE);
    }

    @Test
    void rejectsReservedStreamFlags() {
        byte[] b = data(1, ranges(), 0, new byte[3], false);
        b[b.length - 4] = 0x02;
        assertThat(decode(b)).isEqualTo(Verdict.OUT_OF_RANGE);
    }

    @Test
    void rejectsEmptyDataWithoutFin() {
        assertThat(decode(data(1, ranges(), 0, new byte[0], false))).isEqualTo(Verdict.OUT_OF_RANGE);
    }

    @Test
    void rejectsPayloadsLongerThanTheMaximum() {
        byte[] b = data(1, ranges(), 0, new byte[ReliableWire.MAX_STREAM_PAYLOAD + 1], false);
        assertThat(decode(b)).isEqualTo(Verdict.OUT_OF_RANGE);
    }

    @Test
    void rejectsUnknownCloseCodes() {
        byte[] b = close(ReliableWire.CLOSE_GOODBYE);
        b[ReliableWire.HEADER_BYTES] = 2;
        assertThat(decode(b)).isEqualTo(Verdict.OUT_OF_RANGE);
    }
}
