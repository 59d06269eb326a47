package org.securep2p.crypto.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A UTC clock a test moves by hand, for rotation, validity windows, retention and the time-driven KEM policy.
 *
 * <p>Guarantees: {@link #instant()} returns exactly what the test last set; it never moves by itself. Safe to
 * read from another thread than the one that moves it.
 *
 * <p>Not its job: time zones. It is always UTC; asking for another zone is a test bug and throws.
 */
public final class MutableClock extends Clock {

    private volatile Instant now;

    public MutableClock(Instant start) {
        this.now = start;
    }

    /** Moves the clock by {@code d} (negative moves it back). */
    public void advance(Duration d) {
        now = now.plus(d);
    }

    public void set(Instant instant) {
        now = instant;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        if (ZoneOffset.UTC.equals(zone)) {
            return this;
        }
        throw new UnsupportedOperationException("MutableClock is UTC only, not " + zone);
    }

    @Override
    public Instant instant() {
        return now;
    }
}
