package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class WiringTest {

    @Test
    void anErrorWhileUnlockingCompletesTheMessengerExceptionally() throws Exception {
        CompletableFuture<DefaultMessenger> messenger = new CompletableFuture<>();
        NoClassDefFoundError error = new NoClassDefFoundError("org/securep2p/Missing");
        Wiring.unlockThread(() -> {
            throw error;
        }, messenger).start();
        // Before: the Error ended the thread and the future stayed open (the screen said "unlocking keys…" forever).
        Throwable failure = messenger.handle((m, e) -> e).get(30, TimeUnit.SECONDS);
        assertThat(failure).isSameAs(error);
        assertThat(Wiring.failureText(failure)).startsWith("securep2p: start-up failed: ");
    }

    @Test
    void anAppExceptionWhileUnlockingCompletesTheMessengerExceptionally() throws Exception {
        CompletableFuture<DefaultMessenger> messenger = new CompletableFuture<>();
        AppException refused = new AppException(AppException.Reason.START_FAILED, "securep2p: no keys");
        Wiring.unlockThread(() -> {
            throw refused;
        }, messenger).start();
        assertThat(messenger.handle((m, e) -> e).get(30, TimeUnit.SECONDS)).isSameAs(refused);
    }

    @Test
    void quittingWhileTheKeysUnlockClosesTheKeyManagerBeforeReleasingTheHomeLock() throws Exception {
        List<String> closed = new CopyOnWriteArrayList<>();
        Wiring.Resources resources = new Wiring.Resources();
        resources.add(() -> closed.add("home lock"));
        CountDownLatch childSpawned = new CountDownLatch(1);
        Thread unlock = new Thread(() -> {
            try {
                childSpawned.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            resources.add(() -> closed.add("key manager"));
        });
        unlock.start();
        Thread closer = new Thread(() -> Wiring.closeAfter(unlock, resources, Duration.ofSeconds(30)));
        closer.start();
        // The exit is waiting for the unlock (or, before the fix, already done) when the child gets registered.
        while (closer.getState() != Thread.State.TIMED_WAITING && closer.getState() != Thread.State.TERMINATED) {
            Thread.onSpinWait();
        }
        childSpawned.countDown();
        closer.join();
        unlock.join();
        assertThat(closed).containsExactly("key manager", "home lock");
    }

    @Test
    void theExitWaitsForTheUnlockOnlyUpToItsBound() throws Exception {
        List<String> closed = new CopyOnWriteArrayList<>();
        Wiring.Resources resources = new Wiring.Resources();
        resources.add(() -> closed.add("home lock"));
        CountDownLatch never = new CountDownLatch(1);
        Thread unlock = new Thread(() -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        unlock.setDaemon(true);
        unlock.start();
        Wiring.closeAfter(unlock, resources, Duration.ofMillis(50));
        assertThat(closed).containsExactly("home lock");
        never.countDown();
    }
}
