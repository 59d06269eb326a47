package org.securep2p.transport.reliable;

/**
 * The retransmission timeout of RFC 6298: SRTT and RTTVAR from RTT samples (alpha = 1/8, beta = 1/4),
 * RTO = SRTT + max(G, K·RTTVAR) with K = 4, clamped to [min, max], doubled on every expiry (exponential
 * backoff) and recomputed from the next sample. All times are nanoseconds; the caller supplies the samples.
 *
 * <p>Karn's problem (which transmission an ACK belongs to) does not arise: every transmission, first or
 * retransmission, has its own packet number, so every sample is valid. Not its job: running the timer.
 */
final class ReliableRto {

    /** RFC 6298's K: how many RTT deviations of headroom the timeout keeps. */
    static final int K = 4;

    /**
     * RFC 6298's G, the clock granularity: the I/O thread waits in whole milliseconds, so a timeout finer
     * than 1 ms could not be honoured anyway.
     */
    static final long GRANULARITY_NANOS = 1_000_000L;

    private final long initial;
    private final long min;
    private final long max;
    private long srtt = -1;
    private long rttvar;
    private long latest = -1;
    private long rto;

    ReliableRto(long initialNanos, long minNanos, long maxNanos) {
        if (minNanos <= 0 || minNanos > initialNanos || initialNanos > maxNanos) {
            throw new IllegalArgumentException("RTO bounds");
        }
        this.initial = initialNanos;
        this.min = minNanos;
        this.max = maxNanos;
        this.rto = initialNanos;
    }

    /** Takes one RTT measurement (RFC 6298 2.2 for the first, 2.3 after) and recomputes the RTO. */
    void sample(long rttNanos) {
        long r = Math.max(0, rttNanos);
        latest = r;
        if (srtt < 0) {
            srtt = r;
            rttvar = r / 2;
        } else {
            // RTTVAR first, with the old SRTT, as 2.3 orders it.
            rttvar = (3 * rttvar + Math.abs(srtt - r)) / 4;
            srtt = (7 * srtt + r) / 8;
        }
        rto = clamp(srtt + Math.max(GRANULARITY_NANOS, K * rttvar));
    }

    /** RFC 6298 5.5: the timer expired; the next one waits twice as long, up to the maximum. */
    void backoff() {
        rto = Math.min(max, rto <= max / 2 ? rto * 2 : max);
    }

    long rto() {
        return rto;
    }

    /** Smoothed RTT, or -1 before the first sample. */
    long srtt() {
        return srtt;
    }

    long rttvar() {
        return rttvar;
    }

    /** The most recent sample, or -1 before the first. */
    long latest() {
        return latest;
    }

    long initial() {
        return initial;
    }

    private long clamp(long v) {
        return Math.max(min, Math.min(max, v));
    }
}
