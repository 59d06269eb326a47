package org.securep2p.relay.server;

/**
 * A token bucket (PROTOCOL.md §22.3): {@code burst} requests at once, then {@code perSecond} a second. Time comes
 * from the caller (milliseconds of the relay's clock), so tests control it. Used from one connection's frame path
 * at a time.
 */
final class TokenBucket {

    private final double capacity;
    private final double perMilli;
    private double tokens;
    private long lastMillis;

    TokenBucket(int perSecond, int burst, long nowMillis) {
        this.capacity = burst;
        this.perMilli = perSecond / 1000.0;
        this.tokens = burst;
        this.lastMillis = nowMillis;
    }

    /** Takes one token if there is one. */
    boolean tryTake(long nowMillis) {
        if (nowMillis > lastMillis) {
            tokens = Math.min(capacity, tokens + (nowMillis - lastMillis) * perMilli);
            lastMillis = nowMillis;
        }
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
