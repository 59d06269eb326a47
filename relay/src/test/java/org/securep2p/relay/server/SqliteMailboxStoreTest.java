package org.securep2p.relay.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;
import org.securep2p.crypto.testing.SeededRandom;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.RelayException.Reason;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SqliteMailboxStoreTest {

    @TempDir
    Path data;

    final SeededRandom random = new SeededRandom("store");
    final Instant now = Instant.parse("2026-12-06T12:00:00Z");
    final Instant later = now.plus(Duration.ofHours(1));
    final byte[] receive = new byte[32];
    final byte[] send = new byte[32];
    SqliteMailboxStore store;

    SqliteMailboxStore open(int maxItems, long maxBytes, int maxMailboxes) throws IOException {
        store = SqliteMailboxStore.open(new RelayConfig("127.0.0.1", 0, data, Duration.ofDays(21), maxItems,
                maxBytes, maxMailboxes, 10, 10, 10, Optional.empty()));
        return store;
    }

    @AfterEach
    void close() {
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

    @Test
    void commitsDurablyInAWalFileOfItsOwn() throws Exception {
        open(10, 1 << 20, 10);
        assertThat(store.setting("journal_mode")).isEqualTo("wal");
        assertThat(store.setting("synchronous")).isEqualTo("2"); // FULL
        // Not SQLite's exclusive mode, which would keep out the reader: the data folder's lock file keeps out
        // a second relay (aSecondStoreOnTheSameFolderIsRefused).
        assertThat(store.setting("locking_mode")).isEqualTo("normal");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("relay.db"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("relay.db.lock"))))
                .isEqualTo("rw-------");
    }

    @Test
    void whatWasCommittedIsThereAfterAReopen() throws Exception {
        open(10, 1 << 20, 10);
        MailboxId id = box();
        assertThat(store.post(id, new byte[] {1, 2, 3}, now, later)).isEqualTo(1);
        store.close();
        open(10, 1 << 20, 10);
        assertThat(store.itemsAfter(id, 0, now, 10)).singleElement()
                .satisfies(i -> assertThat(i.blob()).containsExactly(1, 2, 3));
        assertThat(store.keys(id).orElseThrow().sendKey()).isEqualTo(send);
        assertThat(store.post(id, new byte[] {4}, now, later)).isEqualTo(2);
    }

    @Test
    void aSecondStoreOnTheSameFolderIsRefused() throws Exception {
        open(10, 1 << 20, 10);
        store.close();
        open(10, 1 << 20, 10); // an existing file: opening alone takes the lock, two relays never both start
        assertThatThrownBy(() -> SqliteMailboxStore.open(RelayConfig.defaults("h", 0, data)))
                .isInstanceOf(IOException.class).hasMessageContaining("another relay may be using");
    }

    @Test
    void refusesAnotherProgramsDatabase() throws Exception {
        open(10, 1 << 20, 10);
        store.close();
        try (var c = new org.sqlite.SQLiteConfig().createConnection("jdbc:sqlite:" + data.resolve("relay.db"));
                var s = c.createStatement()) {
            s.execute("PRAGMA application_id = 42");
        }
        assertThatThrownBy(() -> open(10, 1 << 20, 10)).hasMessageContaining("another program's SQLite file");
    }

    @Test
    void sequencesAreNeverReusedAfterADelete() throws Exception {
        open(10, 1 << 20, 10);
        MailboxId id = box();
        store.post(id, new byte[] {1}, now, later);
        store.post(id, new byte[] {2}, now, later);
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
                .isInstanceOfSatisfying(RelayException.class, e -> assertThat(e.reason()).isEqualTo(Reason.QUOTA_EXCEEDED));
        Instant t = now.plusSeconds(10);
        assertThat(store.post(id, new byte[] {3}, t, later)).isEqualTo(3);
        assertThat(store.itemsAfter(id, 0, t, 10)).extracting(MailboxStore.Item::sequence).containsExactly(2L, 3L);
    }

    @Test
    void aRefusedPostChangesNothing() throws Exception {
        open(10, 5, 10);
        MailboxId id = box();
        store.post(id, new byte[] {1, 2, 3}, now, later);
        assertThatThrownBy(() -> store.post(id, new byte[] {4, 5, 6}, now, later))
                .isInstanceOfSatisfying(RelayException.class, e -> assertThat(e.reason()).isEqualTo(Reason.QUOTA_EXCEEDED));
        assertThat(store.post(id, new byte[] {7, 8}, now, later)).isEqualTo(2); // the refused one took no sequence
        assertThatThrownBy(() -> store.post(MailboxId.random(random), new byte[] {1}, now, later))
                .isInstanceOfSatisfying(RelayException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_MAILBOX));
    }

    @Test
    void theMailboxCapHoldsAcrossReopens() throws Exception {
        open(10, 1 << 20, 2);
        box();
        box();
        store.close();
        open(10, 1 << 20, 2);
        assertThatThrownBy(this::box)
                .isInstanceOfSatisfying(RelayException.class, e -> assertThat(e.reason()).isEqualTo(Reason.QUOTA_EXCEEDED));
    }

    @Test
    void theSweepRemovesOnlyExpiredItems() throws Exception {
        open(10, 1 << 20, 10);
        MailboxId id = box();
        store.post(id, new byte[] {1}, now, now.plusSeconds(60));
        store.post(id, new byte[] {2}, now, later);
        assertThat(store.itemsAfter(id, 0, now.plusSeconds(60), 10)).hasSize(1);
        assertThat(store.sweep(now.plusSeconds(59))).isZero();
        assertThat(store.sweep(now.plusSeconds(60))).isEqualTo(1);
        assertThat(store.itemsAfter(id, 0, now, 10)).extracting(MailboxStore.Item::sequence).containsExactly(2L);
    }

    @Test
    void aClosedStoreRefusesWithInternal() throws Exception {
        open(10, 1 << 20, 10);
        store.close();
        assertThatThrownBy(() -> store.create(MailboxId.random(random), receive, send, now))
                .isInstanceOfSatisfying(RelayException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INTERNAL));
    }

    @Test
    void theNativeLibraryFolderIsPrivateAndInTheDataFolder() throws Exception {
        String before = System.clearProperty(SqliteMailboxStore.TMPDIR_PROPERTY);
        try {
            Path dir = data.resolve("d");
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            SqliteMailboxStore.useNativeFolderIn(dir);
            Path folder = dir.toAbsolutePath().resolve("native");
            assertThat(System.getProperty(SqliteMailboxStore.TMPDIR_PROPERTY)).isEqualTo(folder.toString());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder))).isEqualTo("rwx------");
        } finally {
            if (before == null) {
                System.clearProperty(SqliteMailboxStore.TMPDIR_PROPERTY);
            } else {
                System.setProperty(SqliteMailboxStore.TMPDIR_PROPERTY, before);
            }
        }
    }

    /** Posts of {@code n} threads queued behind a first post whose commit is held until they all wait. */
    final class HeldGroup implements AutoCloseable {
        final CountDownLatch holding = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger commits = new AtomicInteger();
        final ExecutorService pool = Executors.newCachedThreadPool();
        final CompletableFuture<Long> first;
        final List<CompletableFuture<Long>> rest = new ArrayList<>();

        HeldGroup(MailboxId box, int n, boolean failSecond) throws Exception {
            store.beforeCommit(() -> {
                int c = commits.incrementAndGet();
                if (c == 1) {
                    holding.countDown();
                    try {
                        release.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                } else if (c == 2 && failSecond) {
                    throw new java.sql.SQLException("disk full (test)");
                }
            });
            first = post(box);
            assertThat(holding.await(20, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < n; i++) {
                rest.add(post(box));
            }
            Await.until("the posts queue behind the held commit", Duration.ofSeconds(20),
                    () -> store.queuedWrites() == n);
        }

        private CompletableFuture<Long> post(MailboxId box) {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return store.post(box, new byte[] {1, 2, 3}, now, later);
                } catch (RelayException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, pool);
        }

        @Override
        public void close() {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void postsThatArriveTogetherShareOneCommitAndEachGetsItsOwnSequence() throws Exception {
        open(100, 1 << 20, 10);
        MailboxId box = box();
        try (HeldGroup g = new HeldGroup(box, 5, false)) {
            // Held in its commit: the first post has not returned (an OK cannot precede the commit).
            assertThat(g.first).isNotDone();
            g.release.countDown();
            assertThat(g.first.get(20, TimeUnit.SECONDS)).isEqualTo(1L);
            List<Long> sequences = new ArrayList<>();
            for (CompletableFuture<Long> f : g.rest) {
                sequences.add(f.get(20, TimeUnit.SECONDS));
            }
            assertThat(sequences).containsExactlyInAnyOrder(2L, 3L, 4L, 5L, 6L);
            assertThat(store.groupCommits()).isEqualTo(2); // the first post's, then one for the five
        }
        assertThat(store.itemsAfter(box, 0, now, 100)).hasSize(6);
    }

    @Test
    void aFailedGroupCommitFailsEveryWriteOfItAndStoresNothing() throws Exception {
        open(100, 1 << 20, 10);
        MailboxId box = box();
        try (HeldGroup g = new HeldGroup(box, 4, true)) {
            g.release.countDown();
            assertThat(g.first.get(20, TimeUnit.SECONDS)).isEqualTo(1L);
            for (CompletableFuture<Long> f : g.rest) {
                assertThatThrownBy(() -> f.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(RelayException.class)
                        .cause().satisfies(e -> assertThat(((RelayException) e).reason()).isEqualTo(Reason.INTERNAL));
            }
        }
        assertThat(store.itemsAfter(box, 0, now, 100)).extracting(MailboxStore.Item::sequence)
                .containsExactly(1L);
        store.beforeCommit(() -> { });
        assertThat(store.post(box, new byte[] {9}, now, later)).isEqualTo(2L); // the failed group used no sequence
    }

    @Test
    void aRefusedWriteInAGroupChangesNothingAndTheOthersCommit() throws Exception {
        open(3, 1 << 20, 10);
        MailboxId box = box();
        try (HeldGroup g = new HeldGroup(box, 4, false)) {
            g.release.countDown();
            g.first.get(20, TimeUnit.SECONDS);
            int ok = 0;
            int full = 0;
            for (CompletableFuture<Long> f : g.rest) {
                try {
                    f.get(20, TimeUnit.SECONDS);
                    ok++;
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(((RelayException) e.getCause()).reason()).isEqualTo(Reason.QUOTA_EXCEEDED);
                    full++;
                }
            }
            assertThat(ok).isEqualTo(2); // the quota of 3 is checked inside the shared transaction
            assertThat(full).isEqualTo(2);
        }
        assertThat(store.itemsAfter(box, 0, now, 100)).extracting(MailboxStore.Item::sequence)
                .containsExactly(1L, 2L, 3L);
    }

    @Test
    void keysAreReadWithoutTheStoreLock() throws Exception {
        open(10, 1 << 20, 10);
        MailboxId box = box();
        byte[] expected = send.clone();
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        store.beforeCommit(() -> {
            holding.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            // The writer's outcome is not what this test checks (it is interrupted at the end); the read is.
            var unused = pool.submit(() -> store.post(box, new byte[] {1}, now, later));
            assertThat(holding.await(20, TimeUnit.SECONDS)).isTrue();
            // The writer holds the lock in its commit; a signature check's key lookup must not wait for it.
            CompletableFuture<Optional<MailboxStore.Keys>> keys = CompletableFuture.supplyAsync(() -> {
                try {
                    return store.keys(box);
                } catch (RelayException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            assertThat(keys.get(20, TimeUnit.SECONDS).orElseThrow().sendKey()).isEqualTo(expected);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void itemsAreReadWhileAGroupCommitsAndOnlyCommittedOnes() throws Exception {
        open(100, 1 << 20, 10);
        MailboxId box = box();
        assertThat(store.post(box, new byte[] {7}, now, later)).isEqualTo(1L);
        try (HeldGroup g = new HeldGroup(box, 0, false)) {
            // The second post is inside its commit, holding the writer: a subscription's read must not wait for
            // it, and sees the committed item only.
            CompletableFuture<List<MailboxStore.Item>> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return store.itemsAfter(box, 0, now, 10);
                } catch (RelayException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, g.pool);
            assertThat(read.get(10, TimeUnit.SECONDS)).extracting(MailboxStore.Item::sequence).containsExactly(1L);
            assertThat(g.first).isNotDone();
            g.release.countDown();
            assertThat(g.first.get(20, TimeUnit.SECONDS)).isEqualTo(2L);
        }
        assertThat(store.itemsAfter(box, 0, now, 10)).extracting(MailboxStore.Item::sequence).containsExactly(1L, 2L);
    }

    @Test
    void aPosterWhoseGroupCommittedIsAnsweredWhileTheNextGroupCommits() throws Exception {
        open(100, 1 << 20, 10);
        MailboxId box = box();
        int n = 8;
        CountDownLatch thirdHolding = new CountDownLatch(1);
        CountDownLatch releaseThird = new CountDownLatch(1);
        try (HeldGroup g = new HeldGroup(box, n, false)) {
            java.util.concurrent.atomic.AtomicReference<CompletableFuture<Long>> last =
                    new java.util.concurrent.atomic.AtomicReference<>();
            // Commit 1 is the HeldGroup's first post; commit 2 holds the n queued posts and, before it commits,
            // queues one more post, whose commit (3) is then held until the end.
            store.beforeCommit(() -> {
                int c = g.commits.incrementAndGet();
                if (c == 2) {
                    last.set(CompletableFuture.supplyAsync(() -> {
                        try {
                            return store.post(box, new byte[] {4}, now, later);
                        } catch (RelayException e) {
                            throw new java.util.concurrent.CompletionException(e);
                        }
                    }, g.pool));
                    Await.until("a post queues behind the second commit", Duration.ofSeconds(20),
                            () -> store.queuedWrites() == 1);
                } else if (c == 3) {
                    thirdHolding.countDown();
                    try {
                        releaseThird.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            g.commits.set(1);
            g.release.countDown();
            assertThat(g.first.get(20, TimeUnit.SECONDS)).isEqualTo(1L);
            assertThat(thirdHolding.await(20, TimeUnit.SECONDS)).isTrue();
            // Every post of the second group was committed: each is answered although the third commit holds the
            // writer (before, each took the store's lock in turn to learn its outcome, behind that commit).
            List<Long> sequences = new ArrayList<>();
            for (CompletableFuture<Long> f : g.rest) {
                sequences.add(f.get(10, TimeUnit.SECONDS));
            }
            assertThat(sequences).containsExactlyInAnyOrder(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
            assertThat(last.get()).isNotDone();
            releaseThird.countDown();
            assertThat(last.get().get(20, TimeUnit.SECONDS)).isEqualTo(10L);
        } finally {
            releaseThird.countDown();
        }
        assertThat(store.groupCommits()).isEqualTo(3);
    }

    @Test
    void aGroupEndedByAnUnexpectedExceptionAnswersEveryWriteOfIt() throws Exception {
        open(100, 1 << 20, 10);
        MailboxId box = box();
        try (HeldGroup g = new HeldGroup(box, 4, false)) {
            store.beforeCommit(() -> {
                if (g.commits.incrementAndGet() == 2) {
                    throw new IllegalStateException("a bug in the commit (test)");
                }
            });
            g.release.countDown();
            assertThat(g.first.get(20, TimeUnit.SECONDS)).isEqualTo(1L);
            // The committer sees the exception itself; the others are failed, none left waiting for an outcome.
            int internal = 0;
            for (CompletableFuture<Long> f : g.rest) {
                try {
                    f.get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof RelayException r) {
                        assertThat(r.reason()).isEqualTo(Reason.INTERNAL);
                        internal++;
                    } else {
                        assertThat(e.getCause()).isInstanceOf(IllegalStateException.class);
                    }
                }
            }
            assertThat(internal).isEqualTo(3);
        }
        store.beforeCommit(() -> { });
        assertThat(store.itemsAfter(box, 0, now, 100)).extracting(MailboxStore.Item::sequence).containsExactly(1L);
        assertThat(store.post(box, new byte[] {9}, now, later)).isEqualTo(2L);
    }

    @Test
    void writesAndReadsNeverTakeTheStoresOwnMonitor() throws Exception {
        open(100, 1 << 20, 10);
        MailboxId box = box();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            // Before, every poster took the store's monitor to learn its outcome, and every read waited for it:
            // whoever held it (a commit, a sweep) held up all of them. The store now locks only private objects.
            SqliteMailboxStore held = store;
            synchronized (held) {
                Future<List<MailboxStore.Item>> f = pool.submit(() -> {
                    long seq = store.post(box, new byte[] {1}, now, later);
                    assertThat(store.delete(box, seq)).isEqualTo(1);
                    return store.itemsAfter(box, 0, now, 10);
                });
                assertThat(f.get(10, TimeUnit.SECONDS)).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void itemsAndKeysAreValuesComparedByContent() {
        MailboxStore.Item item = new MailboxStore.Item(4, 5, new byte[] {1, 2});
        assertThat(item).isEqualTo(new MailboxStore.Item(4, 5, new byte[] {1, 2}))
                .hasSameHashCodeAs(new MailboxStore.Item(4, 5, new byte[] {1, 2}))
                .isNotEqualTo(new MailboxStore.Item(4, 5, new byte[] {1, 3}))
                .isNotEqualTo(new MailboxStore.Item(4, 6, new byte[] {1, 2}));
        MailboxStore.Keys keys = new MailboxStore.Keys(new byte[] {7}, new byte[] {8});
        assertThat(keys).isEqualTo(new MailboxStore.Keys(new byte[] {7}, new byte[] {8}))
                .hasSameHashCodeAs(new MailboxStore.Keys(new byte[] {7}, new byte[] {8}))
                .isNotEqualTo(new MailboxStore.Keys(new byte[] {8}, new byte[] {7}));
        // The keys name the mailbox: their bytes stay out of anything printed.
        assertThat(keys.toString()).doesNotContain("7").doesNotContain("8");
    }
}
