package org.securep2p.relay.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.securep2p.crypto.testing.SeededRandom;
import org.securep2p.relay.MailboxId;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whatever the number of concurrent writers and their mix of POSTs and DELETEs, the group commit answers every one
 * (no caller is left waiting for a committer that never comes), each POST gets its own sequence, the sequences of
 * a mailbox are exactly 1..n, and what a reader sees afterwards is what was acknowledged and not deleted.
 */
class SqliteMailboxStoreProperties {

    static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
    static final Instant LATER = NOW.plus(Duration.ofHours(1));

    @Property(tries = 15)
    void concurrentWritersAreEachAnsweredOnceWithTheirOwnSequence(@ForAll @IntRange(min = 1, max = 12) int threads,
            @ForAll @IntRange(min = 1, max = 25) int postsEach, @ForAll @IntRange(min = 1, max = 3) int boxes,
            @ForAll boolean deleting) throws Exception {
        Path data = Files.createTempDirectory("relay-store-props",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        SeededRandom random = new SeededRandom("store-props");
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (SqliteMailboxStore store = SqliteMailboxStore.open(new RelayConfig("127.0.0.1", 0, data,
                Duration.ofDays(1), 100_000, 1L << 30, 10, 10, 10, 10, Optional.empty()))) {
            List<MailboxId> ids = new ArrayList<>();
            for (int b = 0; b < boxes; b++) {
                byte[] receive = new byte[32];
                byte[] send = new byte[32];
                random.nextBytes(receive);
                random.nextBytes(send);
                MailboxId id = MailboxId.random(random);
                store.create(id, receive, send, NOW);
                ids.add(id);
            }
            Map<MailboxId, List<Long>> sequences = new ConcurrentHashMap<>();
            ids.forEach(id -> sequences.put(id, java.util.Collections.synchronizedList(new ArrayList<>())));
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                writers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < postsEach; i++) {
                        MailboxId id = ids.get((thread + i) % boxes);
                        sequences.get(id).add(store.post(id, new byte[] {(byte) i}, NOW, LATER));
                        if (deleting && i % 3 == 2) {
                            store.delete(id, 0); // deletes nothing: a DELETE in the same groups as the POSTs
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> w : writers) {
                w.get(60, TimeUnit.SECONDS); // a lost wake-up shows here as a timeout
            }
            for (MailboxId id : ids) {
                long n = sequences.get(id).size();
                assertThat(sequences.get(id)).containsExactlyInAnyOrderElementsOf(
                        LongStream.rangeClosed(1, n).boxed().toList());
                assertThat(store.itemsAfter(id, 0, NOW, 100_000)).extracting(MailboxStore.Item::sequence)
                        .containsExactlyElementsOf(LongStream.rangeClosed(1, n).boxed().toList());
            }
            assertThat(store.queuedWrites()).isZero();
        } finally {
            pool.shutdownNow();
            try (Stream<Path> files = Files.walk(data)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
