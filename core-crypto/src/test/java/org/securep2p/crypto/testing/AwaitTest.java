package org.securep2p.crypto.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {

    @Test
    void returnsOnceTheConditionHolds() {
        AtomicInteger calls = new AtomicInteger();
        Await.until("the third call", Duration.ofSeconds(5), () -> calls.incrementAndGet() >= 3);
        assertEquals(3, calls.get());
    }

    @Test
    void failsNamingWhatWasAwaitedAfterTheTimeout() {
        long start = System.nanoTime();
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.until("the moon", Duration.ofMillis(100), () -> false));
        assertTrue(e.getMessage().contains("the moon"), e.getMessage());
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(100).toNanos());
    }

    @Test
    void aLazyDescriptionIsAskedForOnlyAtFailure() {
        AtomicInteger asked = new AtomicInteger();
        Await.until(() -> "state " + asked.incrementAndGet(), Duration.ofSeconds(5), () -> true);
        assertEquals(0, asked.get());
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.until(() -> "state " + asked.incrementAndGet(), Duration.ofMillis(20), () -> false));
        assertTrue(e.getMessage().endsWith("awaiting state 1"), e.getMessage());
    }

    @Test
    void valueReturnsTheFirstPresentValue() {
        AtomicInteger calls = new AtomicInteger();
        int v = Await.value("a value", Duration.ofSeconds(5),
                () -> calls.incrementAndGet() == 4 ? Optional.of(42) : Optional.empty());
        assertEquals(42, v);
        assertEquals(4, calls.get());
    }

    @Test
    void anInterruptEndsTheWaitAndKeepsTheFlag() {
        Thread.currentThread().interrupt();
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.until("nothing", Duration.ofSeconds(30), () -> false));
        assertTrue(Thread.interrupted(), "the interrupt flag is kept");
        assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
    }

    @Test
    void clockMovesOnlyByHand() {
        MutableClock clock = new MutableClock(java.time.Instant.EPOCH);
        clock.advance(Duration.ofSeconds(5));
        assertEquals(java.time.Instant.ofEpochSecond(5), clock.instant());
        clock.set(java.time.Instant.ofEpochSecond(1));
        assertEquals(java.time.Instant.ofEpochSecond(1), clock.instant());
    }
}
