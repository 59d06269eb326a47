package org.securep2p.transport.reliable;

/**
 * The sending half of a reliable channel: the send buffer, the segments cut from it, the packets that carry
 * them, loss detection, retransmission, the RTO timer and congestion and flow control. Single-threaded: the
 * channel calls it under its lock, with the time.
 *
 * <p>Model (RFC 9002 with RFC 6298's timer): stream bytes are cut into segments when first sent; a segment
 * keeps its bounds for life and is retransmitted whole, always in a new packet with a new packet number.
 * A packet is lost when a packet sent 3 or more numbers later is acknowledged (fast retransmit) or when a
 * later one is acknowledged and it is 9/8 RTT old; when the retransmission timer expires, everything in
 * flight is lost. Packet numbers are never reused, so every acknowledgement gives a valid RTT sample.
 *
 * <p>Memory: the buffer holds at most the configured send buffer; segment and packet records sit in rings
 * that grow by doubling up to {@link #MAX_SEGMENTS} and {@link #MAX_PACKETS} entries.
 */
final class ReliableSender {

    /**
     * Segments not yet released (sent and unacknowledged, lost, or acknowledged above a gap): 32,768 covers a
     * 4 MiB buffer cut into 128-byte writes, and bounds the bookkeeping at about 700 KB.
     */
    static final int MAX_SEGMENTS = 1 << 15;

    /** Packet numbers between the oldest one in flight and the next; the same reasoning as segments. */
    static final int MAX_PACKETS = 1 << 15;

    /** RFC 9002 kPacketThreshold, TCP's three duplicate ACKs: reordering by up to 2 packets is not loss. */
    static final int PACKET_THRESHOLD = 3;

    private static final int INITIAL_RECORDS = 1024;
    private static final long NONE = Long.MIN_VALUE;

    private static final byte SEG_FLIGHT = 1;
    private static final byte SEG_LOST = 2;
    private static final byte SEG_ACKED = 3;

    private final int bufferLimit;
    private final ReliableByteRing buffer;
    private final ReliableRto rto;
    private final ReliableCongestion cc;

    private long writeEnd;
    private long sndNxt;
    private long sndUna;
    private boolean finQueued;
    private boolean finSent;
    private boolean finAcked;
    private long peerMaxData = ReliableConfig.MIN_RECEIVE_WINDOW;

    private long[] segOffset = new long[INITIAL_RECORDS];
    private int[] segLength = new int[INITIAL_RECORDS];
    private byte[] segState = new byte[INITIAL_RECORDS];
    private boolean[] segFin = new boolean[INITIAL_RECORDS];
    private long[] segLastPn = new long[INITIAL_RECORDS];
    private long segBase;
    private long segNext;

    private long[] pktNumber = filled(INITIAL_RECORDS);
    private long[] pktSent = new long[INITIAL_RECORDS];
    private long[] pktSeg = new long[INITIAL_RECORDS];
    private int[] pktSize = new int[INITIAL_RECORDS];
    private boolean[] pktFlight = new boolean[INITIAL_RECORDS];
    private long pktBase;
    private long nextPn;
    private long largestAcked = -1;
    private long bytesInFlight;
    private int elicitingInFlight;

    private long[] rtxQueue = new long[INITIAL_RECORDS];
    private int rtxHead;
    private int rtxCount;

    private long rtoDeadline = NONE;
    private long lossTime = NONE;
    private boolean probeWanted;

    // What prepare() chose for the next DATA packet.
    private long chosenSeg = -1;
    private long chosenOffset;
    private int chosenLength;
    private boolean chosenFin;

    private long retransmissions;
    private long thresholdLosses;
    private long rtoExpirations;
    private long lastEliciting = NONE;

    ReliableSender(int bufferLimit, ReliableRto rto, ReliableCongestion cc) {
        this.bufferLimit = bufferLimit;
        this.buffer = new ReliableByteRing(bufferLimit);
        this.rto = rto;
        this.cc = cc;
    }

    /** Bytes the application may still write without waiting. */
    int writable() {
        return finQueued ? 0 : (int) (bufferLimit - (writeEnd - sndUna));
    }

    /** Copies up to {@link #writable()} bytes into the buffer; returns how many. */
    int accept(byte[] b, int off, int len) {
        int n = Math.min(len, writable());
        if (n > 0) {
            buffer.put(writeEnd, b, off, n);
            writeEnd += n;
        }
        return n;
    }

    /** Ends the stream after what has been written. */
    void queueFin() {
        finQueued = true;
    }

    boolean finQueued() {
        return finQueued;
    }

    boolean finAcked() {
        return finAcked;
    }

    /** Everything written, and the FIN if queued, has been acknowledged. */
    boolean allAcked() {
        return sndUna == writeEnd && (!finQueued || finAcked);
    }

    /** A fresh packet number; every packet, of any type, takes one. */
    long takePacketNumber() {
        return nextPn++;
    }

    /** Whether one more ack-eliciting packet can be tracked. */
    boolean canTrack() {
        if (nextPn - pktBase >= MAX_PACKETS) {
            // Pure ACKs take packet numbers but are never tracked, and only acknowledgements, losses and
            // timeouts move the base: a long one-way transfer's receiver would otherwise stay blocked for
            // good with nothing in flight to move it (found by the transport benchmark: its one-byte reply
            // after 320 MiB received was never sent).
            advancePacketBase();
        }
        return nextPn - pktBase < MAX_PACKETS;
    }

    /**
     * Chooses the next DATA packet's stream content: the oldest lost segment, else new bytes within the
     * peer's window. Returns its payload length, or -1 if congestion control, flow control or the record
     * bounds allow nothing now.
     */
    int prepare() {
        if (!canTrack()) {
            return -1;
        }
        while (rtxCount > 0) {
            long s = rtxQueue[rtxHead];
            int i = segIndex(s);
            if (s < segBase || segState[i] != SEG_LOST) {
                rtxPop();
                continue;
            }
            if (!cc.canSend(bytesInFlight, packetBytes(segLength[i]))) {
                return -1;
            }
            chosenSeg = s;
            chosenOffset = segOffset[i];
            chosenLength = segLength[i];
            chosenFin = segFin[i];
            return chosenLength;
        }
        long unsent = writeEnd - sndNxt;
        boolean finDue = finQueued && !finSent;
        if ((unsent == 0 && !finDue) || segNext - segBase >= MAX_SEGMENTS) {
            return -1;
        }
        int len = (int) Math.max(0, Math.min(unsent, Math.min(peerMaxData - sndNxt, ReliableWire.MAX_STREAM_PAYLOAD)));
        if (len == 0 && unsent > 0) {
            return -1;
        }
        if (!cc.canSend(bytesInFlight, packetBytes(len))) {
            return -1;
        }
        chosenSeg = -1;
        chosenOffset = sndNxt;
        chosenLength = len;
        chosenFin = finDue && sndNxt + len == writeEnd;
        return len;
    }

    /**
     * Writes the stream part of the packet {@link #prepare()} chose at {@code pos} of {@code out} (whose
     * bytes before {@code pos} are the rest of the packet) and tracks the packet. Returns the packet's end.
     */
    int writeChosen(byte[] out, int pos, long pn, long now) {
        pos = ReliableWire.writeStreamHeader(out, pos, chosenOffset, chosenLength, chosenFin);
        buffer.get(chosenOffset, out, pos, chosenLength);
        pos += chosenLength;
        long seg = chosenSeg;
        if (seg < 0) {
            seg = segNext++;
            ensureSegments();
            int i = segIndex(seg);
            segOffset[i] = chosenOffset;
            segLength[i] = chosenLength;
            segFin[i] = chosenFin;
            sndNxt += chosenLength;
            finSent |= chosenFin;
        } else {
            rtxPop();
            retransmissions++;
        }
        int i = segIndex(seg);
        segState[i] = SEG_FLIGHT;
        segLastPn[i] = pn;
        track(pn, seg, pos, now);
        return pos;
    }

    /** Tracks an ack-eliciting packet without stream data (a PING) of {@code size} bytes. */
    void trackPing(long pn, int size, long now) {
        track(pn, -1, size, now);
    }

    /** Whether the ACK's acknowledged packet numbers are all ones we have sent. */
    boolean ackPlausible(ReliableWire.Packet p) {
        return p.rangeCount == 0 || p.rangeHigh[0] < nextPn;
    }

    /**
     * Applies an ACK block (already checked with {@link #ackPlausible}). Returns whether it acknowledged
     * anything new, so that waiting writers may be woken.
     */
    boolean onAck(ReliableWire.Packet p, long now) {
        if (p.maxData > peerMaxData) {
            peerMaxData = p.maxData;
        }
        if (p.rangeCount == 0) {
            return false;
        }
        long largest = p.rangeHigh[0];
        boolean any = false;
        boolean sampleLargest = false;
        long largestSentAt = 0;
        long top = trackedEnd() - 1;
        for (int r = 0; r < p.rangeCount && elicitingInFlight > 0; r++) {
            long lo = Math.max(p.rangeLow[r], pktBase);
            for (long pn = Math.min(p.rangeHigh[r], top); pn >= lo; pn--) {
                int slot = pktSlot(pn);
                if (pktNumber[slot] == pn && pktFlight[slot]) {
                    if (pn == largest) {
                        sampleLargest = true;
                        largestSentAt = pktSent[slot];
                    }
                    acknowledge(slot);
                    any = true;
                }
            }
        }
        if (largest > largestAcked) {
            largestAcked = largest;
        }
        if (sampleLargest) {
            rto.sample(now - largestSentAt);
        }
        if (any) {
            releaseAcknowledged();
            detectLosses(now);
            // RFC 6298 5.2/5.3: stop the timer when nothing is outstanding, else restart it.
            rtoDeadline = elicitingInFlight > 0 ? now + rto.rto() : NONE;
        }
        return any;
    }

    /** The earliest time {@link #onTimer} has work, or Long.MAX_VALUE. */
    long nextDeadline() {
        long d = Long.MAX_VALUE;
        if (rtoDeadline != NONE) {
            d = rtoDeadline;
        }
        if (lossTime != NONE && lossTime - d < 0) {
            d = lossTime;
        }
        return d;
    }

    void onTimer(long now) {
        if (lossTime != NONE && now - lossTime >= 0) {
            detectLosses(now);
        }
        if (rtoDeadline != NONE && now - rtoDeadline >= 0) {
            rtoExpirations++;
            rto.backoff();
            rtoDeadline = NONE;
            lossTime = NONE;
            if (elicitingInFlight > 0) {
                for (long pn = pktBase, end = trackedEnd(); pn < end; pn++) {
                    int slot = pktSlot(pn);
                    if (pktNumber[slot] == pn && pktFlight[slot]) {
                        lose(slot);
                    }
                }
                cc.onRto(now);
            } else {
                // Persist probe: the peer's window is closed and its update may have been lost.
                probeWanted = true;
            }
            advancePacketBase();
        }
    }

    /**
     * Called after each round of sending: with data waiting only for the peer's window and nothing in flight,
     * arm the timer so that a PING probes for the window (a lost window update would otherwise stall us).
     */
    void armProbeIfBlocked(long now) {
        if (rtoDeadline == NONE && elicitingInFlight == 0 && writeEnd > sndNxt && sndNxt >= peerMaxData) {
            rtoDeadline = now + rto.rto();
        }
    }

    /** Whether a window probe is due; clears the request. */
    boolean takeProbe() {
        boolean p = probeWanted;
        probeWanted = false;
        return p;
    }

    long bytesInFlight() {
        return bytesInFlight;
    }

    boolean elicitingInFlight() {
        return elicitingInFlight > 0;
    }

    /** When the last ack-eliciting packet was sent, or Long.MIN_VALUE. */
    long lastEliciting() {
        return lastEliciting;
    }

    /** Bytes written but not yet acknowledged. */
    long buffered() {
        return writeEnd - sndUna;
    }

    long retransmissions() {
        return retransmissions;
    }

    long thresholdLosses() {
        return thresholdLosses;
    }

    long rtoExpirations() {
        return rtoExpirations;
    }

    long packetsTaken() {
        return nextPn;
    }

    ReliableRto rtoEstimator() {
        return rto;
    }

    ReliableCongestion congestion() {
        return cc;
    }

    private static int packetBytes(int payload) {
        return ReliableWire.HEADER_BYTES + ReliableWire.ackBytes(1) + ReliableWire.STREAM_HEADER_BYTES + payload;
    }

    private void track(long pn, long seg, int size, long now) {
        ensurePackets(pn);
        int slot = pktSlot(pn);
        pktNumber[slot] = pn;
        pktSent[slot] = now;
        pktSeg[slot] = seg;
        pktSize[slot] = size;
        pktFlight[slot] = true;
        bytesInFlight += size;
        elicitingInFlight++;
        lastEliciting = now;
        if (rtoDeadline == NONE) {
            rtoDeadline = now + rto.rto();
        }
    }

    private void acknowledge(int slot) {
        pktFlight[slot] = false;
        bytesInFlight -= pktSize[slot];
        elicitingInFlight--;
        cc.onAcked(pktSize[slot], pktSent[slot]);
        long seg = pktSeg[slot];
        if (seg >= segBase) {
            int i = segIndex(seg);
            if (segState[i] != SEG_ACKED) {
                segState[i] = SEG_ACKED;
                finAcked |= segFin[i];
            }
        }
    }

    private void lose(int slot) {
        pktFlight[slot] = false;
        bytesInFlight -= pktSize[slot];
        elicitingInFlight--;
        long seg = pktSeg[slot];
        if (seg >= segBase) {
            int i = segIndex(seg);
            // Only the segment's latest transmission counts: an older copy's loss changes nothing.
            if (segState[i] == SEG_FLIGHT && segLastPn[i] == pktNumber[slot]) {
                segState[i] = SEG_LOST;
                rtxPush(seg);
            }
        }
    }

    private void detectLosses(long now) {
        lossTime = NONE;
        advancePacketBase();
        if (largestAcked < 0) {
            return;
        }
        long srtt = rto.srtt();
        long rtt = srtt < 0 ? rto.initial() : Math.max(srtt, rto.latest());
        long delay = Math.max(ReliableRto.GRANULARITY_NANOS, rtt + rtt / 8);
        long newestLost = NONE;
        long end = Math.min(largestAcked, trackedEnd());
        for (long pn = pktBase; pn < end; pn++) {
            int slot = pktSlot(pn);
            if (pktNumber[slot] != pn || !pktFlight[slot]) {
                continue;
            }
            long sent = pktSent[slot];
            if (largestAcked - pn >= PACKET_THRESHOLD || now - sent >= delay) {
                lose(slot);
                thresholdLosses++;
                if (newestLost == NONE || sent - newestLost > 0) {
                    newestLost = sent;
                }
            } else if (lossTime == NONE || sent + delay - lossTime < 0) {
                lossTime = sent + delay;
            }
        }
        if (newestLost != NONE) {
            cc.onLoss(newestLost, now);
            advancePacketBase();
        }
    }

    private void releaseAcknowledged() {
        while (segBase < segNext) {
            int i = segIndex(segBase);
            if (segState[i] != SEG_ACKED) {
                break;
            }
            sndUna = segOffset[i] + segLength[i];
            segBase++;
        }
        buffer.release(sndUna);
        advancePacketBase();
    }

    private void advancePacketBase() {
        while (pktBase < nextPn) {
            int slot = pktSlot(pktBase);
            if (pktNumber[slot] == pktBase && pktFlight[slot]) {
                break;
            }
            pktBase++;
        }
    }

    /**
     * One past the highest packet number that can be tracked: a tracked packet's number was within the ring
     * when it was sent and the base only rises, so scans stop here however many untracked ACKs followed.
     */
    private long trackedEnd() {
        return Math.min(nextPn, pktBase + pktNumber.length);
    }

    private int segIndex(long seg) {
        return (int) (seg & (segOffset.length - 1));
    }

    private int pktSlot(long pn) {
        return (int) (pn & (pktNumber.length - 1));
    }

    private void ensureSegments() {
        if (segNext - segBase <= segOffset.length) {
            return;
        }
        int cap = segOffset.length * 2;
        long[] off = new long[cap];
        int[] len = new int[cap];
        byte[] state = new byte[cap];
        boolean[] fin = new boolean[cap];
        long[] last = new long[cap];
        for (long s = segBase; s < segNext - 1; s++) {
            int from = segIndex(s);
            int to = (int) (s & (cap - 1));
            off[to] = segOffset[from];
            len[to] = segLength[from];
            state[to] = segState[from];
            fin[to] = segFin[from];
            last[to] = segLastPn[from];
        }
        segOffset = off;
        segLength = len;
        segState = state;
        segFin = fin;
        segLastPn = last;
        long[] q = new long[cap];
        for (int k = 0; k < rtxCount; k++) {
            q[k] = rtxQueue[(rtxHead + k) & (rtxQueue.length - 1)];
        }
        rtxQueue = q;
        rtxHead = 0;
    }

    private void ensurePackets(long pn) {
        if (pn - pktBase < pktNumber.length) {
            return;
        }
        int cap = pktNumber.length;
        while (pn - pktBase >= cap) {
            cap *= 2;
        }
        long[] number = filled(cap);
        long[] sent = new long[cap];
        long[] seg = new long[cap];
        int[] size = new int[cap];
        boolean[] flight = new boolean[cap];
        for (long n = pktBase; n < pn; n++) {
            int from = pktSlot(n);
            if (pktNumber[from] != n) {
                continue;
            }
            int to = (int) (n & (cap - 1));
            number[to] = n;
            sent[to] = pktSent[from];
            seg[to] = pktSeg[from];
            size[to] = pktSize[from];
            flight[to] = pktFlight[from];
        }
        pktNumber = number;
        pktSent = sent;
        pktSeg = seg;
        pktSize = size;
        pktFlight = flight;
    }

    private void rtxPush(long seg) {
        // At most one entry per lost segment, and lost segments are live segments: never more than the ring.
        rtxQueue[(rtxHead + rtxCount) & (rtxQueue.length - 1)] = seg;
        rtxCount++;
    }

    private void rtxPop() {
        rtxHead = (rtxHead + 1) & (rtxQueue.length - 1);
        rtxCount--;
    }

    private static long[] filled(int n) {
        long[] a = new long[n];
        java.util.Arrays.fill(a, -1);
        return a;
    }
}
