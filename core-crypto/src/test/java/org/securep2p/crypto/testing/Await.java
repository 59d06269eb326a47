package org.securep2p.crypto.testing;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting in tests for something another thread or process makes true, instead of sleeping a guessed time.
 *
 * <p>Guarantees: the condition is checked at once, then again with a short back-off (1 ms doubling up to
 * {@value #MAX_PAUSE_MILLIS} ms) until it holds or the timeout has passed; on timeout it throws an
 * {@link AssertionError} naming what was awaited and for how long, so a failing test says what did not happen.
 * The condition is checked once more after the deadline, so a slow machine that got there late still passes.
 * An interrupt ends the wait with an {@link AssertionError} and keeps the thread's interrupt flag.
 *
 * <p>Not its job: timing. A test that must let real time pass (a timer on the real clock expiring, pacing a
 * burst) sleeps, and says why; a condition that can be awaited never does.
 */
public final class Await {

    /** The longest pause between two checks: short enough that a test never waits much past the event. */
    static final long MAX_PAUSE_MILLIS = 50;

    private Await() {
    }

    /** Returns once {@code condition} holds; fails naming {@code what} after {@code timeout}. */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        until(() -> what, timeout, condition);
    }

    /** As {@link #until(String, Duration, BooleanSupplier)}; {@code what} is asked for at failure (a state dump). */
    public static void until(Supplier<String> what, Duration timeout, BooleanSupplier condition) {
        value(what, timeout, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    /** Returns the first present value of {@code supplier}; fails naming {@code what} after {@code timeout}. */
    public static <T> T value(String what, Duration timeout, Supplier<Optional<T>> supplier) {
        return value(() -> what, timeout, supplier);
    }

    /** As {@link #value(String, Duration, Supplier)}; {@code what} is asked for at failure (a state dump). */
    public static <T> T value(Supplier<String> what, Duration timeout, Supplier<Optional<T>> supplier) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long pause = 1;
        while (true) {
            boolean late = System.nanoTime() - deadline >= 0;
            Optional<T> v = supplier.get();
            if (v.isPresent()) {
                return v.get();
            }
            if (late) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms awaiting " + what.get());
            }
            long leftMillis = Math.max(1, (deadline - System.nanoTime()) / 1_000_000L);
            try {
                Thread.sleep(Math.min(pause, leftMillis));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted awaiting " + what.get(), e);
            }
            pause = Math.min(pause * 2, MAX_PAUSE_MILLIS);
        }
    }
}
