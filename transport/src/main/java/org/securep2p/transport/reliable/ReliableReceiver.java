package org.securep2p.transport.reliable;

/**
 * The receiving half of a reliable channel: which packet numbers arrived (for ACKs), when to acknowledge,
 * the reassembly of stream bytes and the receive window. Single-threaded: the channel calls it under its
 * lock, with the time.
 *
 * <p>Memory: stream bytes are only accepted within the window the application's reading leaves
 * ({@code readOffset + window}), so the reassembly buffer never exceeds the window; out-of-order bytes are
 * tracked in at most {@link #MAX_OUT_OF_ORDER_RANGES} ranges and a packet that would need more is refused
 * (and not acknowledged, so the peer sends it again); at most {@link ReliableWire#MAX_ACK_RANGES} ranges of
 * packet numbers are remembered, the oldest forgotten first.
 *
 * <p>A packet is checked completely ({@link #check}) before it changes anything ({@link #apply}).
 */
final class ReliableReceiver {

    /**
     * Holes the reassembly tolerates at once. At 20% random loss a 4 MiB window in flight has ~700 holes,
     * but they are repaired in order of loss; 256 ranges (4 KB of bookkeeping, one short scan per packet)
     * keep a lossy bulk transfer going, and a packet beyond them is simply sent again later.
     */
    static final int MAX_OUT_OF_ORDER_RANGES = 256;

    /**
     * How far above the largest packet number seen a new one may be: what the peer can have sent that we have
     * not seen. A sender never skips numbers; the ack-eliciting packets it has outstanding span at most
     * {@link ReliableSender#MAX_PACKETS} numbers, and its pure ACKs (one per two of our packets at most, plus
     * one per duplicate) answer packets of ours that our congestion window bounds: with the default 4 MiB
     * buffers a whole window is about 7,000 packets, and after a timeout it is 2. A larger jump is a corrupt
     * or forged packet: accepting it would make every later ACK acknowledge a number the peer never sent
     * (PROTOCOL.md 13.3). It was 2^20, which let one forged PING poison the session.
     */
    static final long MAX_PACKET_NUMBER_JUMP = ReliableSender.MAX_PACKETS;

    /** Results of {@link #check}. */
    static final int ACCEPT = 0;
    /** Not acceptable now for lack of room: drop it quietly, the peer will send it again. */
    static final int NO_ROOM = 1;
    /** Contradicts what the peer said before (window, final size) or an impossible packet number. */
    static final int INVALID = 2;

    private static final long NONE = Long.MIN_VALUE;

    private final int window;
    private final long ackDelay;
    private final ReliableByteRing ring;
    private final ReliableRangeSet outOfOrder = new ReliableRangeSet(MAX_OUT_OF_ORDER_RANGES, false);
    private final ReliableRangeSet packets = new ReliableRangeSet(ReliableWire.MAX_ACK_RANGES, true);

    private long readOffset;
    private long rcvNxt;
    private long finalOffset = -1;
    private long advertised;
    private long largestPn = -1;
    private int unacknowledged;
    private long ackDeadline = NONE;
    private boolean ackNow;
    private long duplicates;

    ReliableReceiver(int window, long ackDelayNanos) {
        this.window = window;
        this.ackDelay = ackDelayNanos;
        this.ring = new ReliableByteRing(window);
        this.advertised = ReliableConfig.MIN_RECEIVE_WINDOW;
    }

    /** Whether this packet number was received before (and so the packet is a duplicate). */
    boolean seen(long pn) {
        return packets.contains(pn);
    }

    /** Checks a decoded DATA, ACK or PING packet against the receive state; changes nothing. */
    int check(ReliableWire.Packet p) {
        if (p.number > largestPn + MAX_PACKET_NUMBER_JUMP) {
            return INVALID;
        }
        if (p.type != ReliableWire.TYPE_DATA) {
            return ACCEPT;
        }
        long end = p.offset + p.length;
        if (end > readOffset + window) {
            return INVALID;
        }
        if (finalOffset >= 0 && (end > finalOffset || (p.fin && end != finalOffset))) {
            return INVALID;
        }
        if (p.fin && finalOffset < 0 && (end < rcvNxt || end < outOfOrder.max())) {
            return INVALID;
        }
        long start = Math.max(p.offset, rcvNxt);
        if (end > start && start > rcvNxt && !outOfOrder.canAdd(start, end)) {
            return NO_ROOM;
        }
        return ACCEPT;
    }

    /**
     * Applies a packet that passed {@link #check}: records its number, schedules the ACK, stores its stream
     * bytes. Returns whether new bytes became readable (or the end of the stream became known).
     */
    boolean apply(ReliableWire.Packet p, byte[] datagram, long now) {
        long pn = p.number;
        if (p.ackEliciting()) {
            // Acknowledge at once what arrived out of order (the sender's loss detection needs it), else
            // every second packet, else after the ack delay.
            if (pn != largestPn + 1) {
                ackNow = true;
            } else if (++unacknowledged >= 2) {
                ackNow = true;
            } else if (ackDeadline == NONE) {
                ackDeadline = now + ackDelay;
            }
        }
        packets.add(pn, pn + 1);
        if (pn > largestPn) {
            largestPn = pn;
        }
        if (p.type != ReliableWire.TYPE_DATA) {
            return false;
        }
        long end = p.offset + p.length;
        boolean readable = false;
        if (p.fin && finalOffset < 0) {
            finalOffset = end;
            ackNow = true;
            readable = true;
        }
        long start = Math.max(p.offset, rcvNxt);
        if (end <= start) {
            duplicates++;
            return readable;
        }
        ring.put(start, datagram, p.payloadStart + (int) (start - p.offset), (int) (end - start));
        if (start == rcvNxt) {
            rcvNxt = end;
            // Held ranges that now touch the contiguous prefix join it (one may start inside the new bytes).
            while (outOfOrder.size() > 0 && outOfOrder.low(0) <= rcvNxt) {
                rcvNxt = Math.max(rcvNxt, outOfOrder.high(0));
                outOfOrder.popIfStartsAt(outOfOrder.low(0));
            }
            return true;
        }
        outOfOrder.add(start, end);
        return readable;
    }

    /** A duplicate packet arrived: our ACK may have been lost, so send one at once. */
    void onDuplicate() {
        duplicates++;
        ackNow = true;
    }

    /** Bytes ready for the application. */
    int available() {
        return (int) (rcvNxt - readOffset);
    }

    /** The peer's FIN arrived and every byte before it has been read. */
    boolean atEnd() {
        return finalOffset >= 0 && readOffset == finalOffset;
    }

    /** The peer's FIN arrived and every byte before it has arrived (read or not). */
    boolean complete() {
        return finalOffset >= 0 && rcvNxt == finalOffset;
    }

    /** Copies up to {@code len} readable bytes into {@code b}; returns how many. */
    int read(byte[] b, int off, int len) {
        int n = Math.min(len, available());
        if (n <= 0) {
            return 0;
        }
        ring.get(readOffset, b, off, n);
        readOffset += n;
        ring.release(readOffset);
        // A window update once a quarter of the window has opened since the last advertisement.
        if (readOffset + window - advertised >= window / 4) {
            ackNow = true;
        }
        return n;
    }

    /** Whether an ACK should go out now. */
    boolean ackDue(long now) {
        return ackNow || (ackDeadline != NONE && now - ackDeadline >= 0);
    }

    /** Whether anything received is still unacknowledged. */
    boolean ackPending() {
        return ackNow || ackDeadline != NONE;
    }

    /** The delayed-ACK deadline, or Long.MAX_VALUE. */
    long nextDeadline() {
        return ackDeadline == NONE ? Long.MAX_VALUE : ackDeadline;
    }

    int packetRanges() {
        return packets.size();
    }

    /** Writes our ACK block (window and up to {@code maxRanges} ranges) and clears the pending ACK. */
    int writeAck(byte[] out, int pos, int maxRanges) {
        advertised = readOffset + window;
        ackNow = false;
        unacknowledged = 0;
        ackDeadline = NONE;
        return ReliableWire.writeAck(out, pos, advertised, packets, maxRanges);
    }

    long duplicates() {
        return duplicates;
    }

    int bufferAllocated() {
        return ring.allocated();
    }
}
