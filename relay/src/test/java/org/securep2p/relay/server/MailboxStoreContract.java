package org.securep2p.relay.server;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.testing.SeededRandom;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.RelayException.Reason;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link MailboxStore} guarantees (its Javadoc), run against each implementation: a subclass opens a
 * store with given quotas, and opens it again on the same data ({@link #open} twice) to check durability.
 */
abstract class MailboxStoreContract {

    final SeededRandom random = new SeededRandom("store contract");
    final Instant now = Instant.parse("2026-12-06T12:00:00Z");
    final Instant later = now.plus(Duration.ofHours(1));
    final byte[] receive = new byte[32];
    final byte[] send = new byte[32];
    MailboxStore store;

    /** Opens the store under test (again on the same data when called twice); the contract closes it. */
    abstract MailboxStore openStore(int maxItems, long maxBytes, int maxMailboxes) throws Exception;

    MailboxStore open(int maxItems, long maxBytes, int maxMailboxes) throws Exception {
        store = openStore(maxItems, maxBytes, maxMailboxes);
        return store;
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    MailboxId box() throws RelayException {
        random.nextBytes(receive);
        random.nextBytes(send);
        MailboxId id = MailboxId.random(random);
        store.create(id, receive, send, now);
        return id;
    }

    static void assertReason(Throwable t, Reason reason) {
        assertThat(t).isInstanceOfSatisfying(RelayException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @Test
    void aCreateWithTheSameKeysIsARetryAndWithOtherKeysMailboxExists() throws Exception {
        open(10, 1 << 20, 2);
        MailboxId id = box();
        store.create(id, receive, send, now);
        assertThat(store.keys(id)).contains(new MailboxStore.Keys(receive, send));
        byte[] other = send.clone();
        other[0] ^= 1;
        assertThatThrownBy(() -> store.create(id, receive, other, now)).satisfies(t -> assertReason(t,
                Reason.MAILBOX_EXISTS));
        // The retry counted once: one more mailbox still fits under the cap of 2.
        box();
        assertThat(store.keys(MailboxId.random(random))).isEmpty();
    }

    @Test
    void sequencesStartAtOneAndAreNeverReusedAfterADelete() throws Exception {
        open(10, 1 << 20, 10);
        MailboxId id = box();
        assertThat(store.post(id, new byte[] {1}, now, later)).isEqualTo(1);
        assertThat(store.post(id, new byte[] {2}, now, later)).isEqualTo(2);
        assertThat(store.delete(id, 2)).isEqualTo(2);
        assertThat(store.post(id, new byte[] {3}, now, later)).isEqualTo(3);
        assertThat(store.itemsAfter(id, 0, now, 10)).extracting(MailboxStore.Item::sequence).containsExactly(3L);
    }

    @Test
    void quotasCountOnlyUnexpiredItems() throws Exception {
        open(2, 1 << 20, 10);
        MailboxId id = box();
        store.post(id, new byte[] {1}, now, now.plusSeconds(10));
        store.post(id, new byte[] {2}, now, later);
        assertThatThrownBy(() -> store.post(id, new byte[] {3}, now, later))
                .satisfies(t -> assertReason(t, Reason.QUOTA_EXCEEDED));
        Instant t = now.plusSeconds(10);
        assertThat(store.post(id, new byte[] {3}, t, later)).isEqualTo(3);
        assertThat(store.itemsAfter(id, 0, t, 10)).extracting(MailboxStore.Item::sequence).containsExactly(2L, 3L);
    }

    @Test
    void aRefusedPostChangesNothingAndTakesNoSequence() throws Exception {
        open(10, 5, 10);
        MailboxId id = box();
        store.post(id, new byte[] {1, 2, 3}, now, later);
        assertThatThrownBy(() -> store.post(id, new byte[] {4, 5, 6}, now, later))
                .satisfies(t -> assertReason(t, Reason.QUOTA_EXCEEDED));
        assertThat(store.post(id, new byte[] {7, 8}, now, later)).isEqualTo(2);
        assertThatThrownBy(() -> store.post(MailboxId.random(random), new byte[] {1}, now, later))
                .satisfies(t -> assertReason(t, Reason.UNKNOWN_MAILBOX));
        assertThat(store.itemsAfter(id, 0, now, 10)).extracting(MailboxStore.Item::blob)
                .containsExactly(new byte[] {1, 2, 3}, new byte[] {7, 8});
    }

    @Test
    void deletingInAnUnknownMailboxIsRefused() throws Exception {
        open(10, 1 << 20, 10);
        assertThatThrownBy(() -> store.delete(MailboxId.random(random), 5))
                .satisfies(t -> assertReason(t, Reason.UNKNOWN_MAILBOX));
    }

    @Test
    void theMailboxCapHoldsAcrossReopens() throws Exception {
        open(10, 1 << 20, 2);
        box();
        box();
        assertThatThrownBy(this::box).satisfies(t -> assertReason(t, Reason.QUOTA_EXCEEDED));
        store.close();
        open(10, 1 << 20, 2);
        assertThatThrownBy(this::box).satisfies(t -> assertReason(t, Reason.QUOTA_EXCEEDED));
    }

    @Test
    void whatWasCommittedIsThereAfterAReopen() throws Exception {
        open(10, 1 << 20, 10);
        MailboxId id = box();
        byte[] r = receive.clone();
        byte[] s = send.clone();
        store.post(id, new byte[] {9, 9}, now, later);
        store.close();
        open(10, 1 << 20, 10);
        assertThat(store.keys(id)).contains(new MailboxStore.Keys(r, s));
        assertThat(store.itemsAfter(id, 0, now, 10)).containsExactly(
                new MailboxStore.Item(1, now.toEpochMilli(), new byte[] {9, 9}));
        assertThat(store.post(id, new byte[] {1}, now, later)).isEqualTo(2);
    }

    @Test
    void anExpiredItemIsNeverReturnedAndTheSweepRemovesOnlyThose() throws Exception {
        open(10, 1 << 20, 10);
        MailboxId id = box();
        store.post(id, new byte[] {1}, now, now.plusSeconds(60));
        store.post(id, new byte[] {2}, now, later);
        assertThat(store.itemsAfter(id, 0, now.plusSeconds(60), 10)).extracting(MailboxStore.Item::sequence)
                .containsExactly(2L);
        assertThat(store.sweep(now.plusSeconds(59))).isZero();
        assertThat(store.sweep(now.plusSeconds(60))).isEqualTo(1);
        assertThat(store.itemsAfter(id, 0, now, 10)).extracting(MailboxStore.Item::sequence).containsExactly(2L);
    }

    @Test
    void itemsAfterReadsAboveTheCursorInOrderUpToTheLimit() throws Exception {
        open(100, 1 << 20, 10);
        MailboxId id = box();
        for (int i = 1; i <= 10; i++) {
            store.post(id, new byte[] {(byte) i}, now, later);
        }
        assertThat(store.itemsAfter(id, 3, now, 4)).extracting(MailboxStore.Item::sequence)
                .containsExactly(4L, 5L, 6L, 7L);
        assertThat(store.itemsAfter(id, 10, now, 4)).isEmpty();
    }

    @Test
    void concurrentPostsGetDistinctConsecutiveSequencesAndTheQuotaHolds() throws Exception {
        int quota = 60;
        open(quota, 1 << 20, 10);
        MailboxId id = box();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Long>> posts = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                byte[] blob = {(byte) i};
                posts.add(pool.submit(() -> {
                    try {
                        return store.post(id, blob, now, later);
                    } catch (RelayException e) {
                        assertReason(e, Reason.QUOTA_EXCEEDED);
                        return -1L;
                    }
                }));
            }
            List<Long> sequences = new ArrayList<>();
            for (Future<Long> f : posts) {
                long s = f.get(60, TimeUnit.SECONDS);
                if (s > 0) {
                    sequences.add(s);
                }
            }
            assertThat(sequences).hasSize(quota).doesNotHaveDuplicates();
            assertThat(store.itemsAfter(id, 0, now, 1000)).extracting(MailboxStore.Item::sequence)
                    .containsExactlyInAnyOrderElementsOf(sequences);
            // Refused posts took no sequence: the accepted ones are exactly 1..quota.
            assertThat(sequences).allMatch(s -> s >= 1 && s <= quota);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aClosedStoreRefusesWithInternal() throws Exception {
        open(10, 1 << 20, 10);
        MailboxId id = box();
        store.close();
        assertThatThrownBy(() -> store.create(MailboxId.random(random), receive, send, now))
                .satisfies(t -> assertReason(t, Reason.INTERNAL));
        assertThatThrownBy(() -> store.post(id, new byte[] {1}, now, later))
                .satisfies(t -> assertReason(t, Reason.INTERNAL));
        assertThatThrownBy(() -> store.itemsAfter(id, 0, now, 1)).satisfies(t -> assertReason(t, Reason.INTERNAL));
    }
}
