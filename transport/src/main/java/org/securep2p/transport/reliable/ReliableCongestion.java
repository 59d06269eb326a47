package org.securep2p.transport.reliable;

/**
 * NewReno congestion control in bytes, as RFC 9002 section 7 states it for packet-numbered transports: slow
 * start until the first loss, then additive increase of one packet per window; on loss, halve once per
 * round (a loss of a packet sent before the current recovery began does not halve again); on a
 * retransmission timeout, fall to the minimum window. Times are nanoseconds supplied by the caller.
 *
 * <p>Not its job: detecting losses or pacing. Growth is capped so that an application-limited sender cannot
 * build a window it has never used beyond its buffer.
 */
final class ReliableCongestion {

    /** RFC 9002 kMinimumWindow: two packets, so that one loss still leaves one packet to carry the repair. */
    static final int MIN_WINDOW_PACKETS = 2;

    private static final int PACKET = DatagramLink.MAX_DATAGRAM;
    private static final long MIN_WINDOW = (long) MIN_WINDOW_PACKETS * PACKET;

    private final long maxWindow;
    private long cwnd;
    private long ssthresh = Long.MAX_VALUE;
    private long ackedInAvoidance;
    private boolean recovering;
    private long recoveryStart;

    ReliableCongestion(int initialWindowPackets, long maxWindowBytes) {
        this.cwnd = (long) initialWindowPackets * PACKET;
        this.maxWindow = Math.max(maxWindowBytes, cwnd);
    }

    boolean canSend(long bytesInFlight, int packetBytes) {
        return bytesInFlight + packetBytes <= cwnd;
    }

    /** A packet of {@code bytes}, sent at {@code sentAt}, was acknowledged. */
    void onAcked(int bytes, long sentAt) {
        if (recovering && sentAt - recoveryStart <= 0) {
            return;
        }
        if (cwnd < ssthresh) {
            cwnd += bytes;
        } else {
            ackedInAvoidance += bytes;
            if (ackedInAvoidance >= cwnd) {
                ackedInAvoidance -= cwnd;
                cwnd += PACKET;
            }
        }
        cwnd = Math.min(cwnd, maxWindow);
    }

    /**
     * Packets were declared lost, the newest of them sent at {@code newestLostSentAt}. Returns whether this
     * began a new recovery period (and so halved the window).
     */
    boolean onLoss(long newestLostSentAt, long now) {
        if (recovering && newestLostSentAt - recoveryStart <= 0) {
            return false;
        }
        enterRecovery(now);
        cwnd = ssthresh;
        return true;
    }

    /** The retransmission timer expired: everything in flight is presumed lost. */
    void onRto(long now) {
        enterRecovery(now);
        cwnd = MIN_WINDOW;
    }

    long window() {
        return cwnd;
    }

    long slowStartThreshold() {
        return ssthresh;
    }

    private void enterRecovery(long now) {
        recovering = true;
        recoveryStart = now;
        ssthresh = Math.max(cwnd / 2, MIN_WINDOW);
        ackedInAvoidance = 0;
    }
}
