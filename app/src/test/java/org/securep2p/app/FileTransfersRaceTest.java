package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.files.Chunk;
import org.securep2p.app.files.ChunkBitmap;
import org.securep2p.app.files.FileId;
import org.securep2p.app.files.FileMessage;
import org.securep2p.app.files.FileOffer;
import org.securep2p.app.files.TransferStore;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.testing.Await;

/**
 * The file engine in the interleavings of threads that real sessions produce (PROTOCOL.md §24.5), forced here with
 * a host and a link of the test's own: chunks of one file arriving on several threads at once (a returning contact's
 * inbox and its new session both carry them, the last one sometimes twice) complete it exactly once, the thread
 * that delivers the last chunk is not the one that checks the whole file, and a HAVE read by a session before the
 * messenger published it still starts the sending once the session is up.
 */
class FileTransfersRaceTest {

    private static final int ROUNDS = 60;

    private final SecureRandom random = new SecureRandom();
    private final ExecutorService pool = Executors.newFixedThreadPool(3);
    @TempDir
    Path dir;

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
    }

    @Test
    void aHaveReadBeforeItsSessionIsPublishedStartsTheSendingOnceItIs() throws Exception {
        byte[] content = new byte[3 * FileOffer.MAX_CHUNK_SIZE];
        new Random(11).nextBytes(content);
        Path source = Files.write(dir.resolve("have-first.bin"), content);
        byte[] peerBytes = new byte[32];
        random.nextBytes(peerBytes);
        Fingerprint peer = Fingerprint.fromBytes(peerBytes);
        byte[] key = new byte[32];
        random.nextBytes(key);
        FileEngineFixtures.RecordingHost host = new FileEngineFixtures.RecordingHost();
        try (FileTransfers sender = new FileTransfers(host, new TransferStore(dir.resolve("transfers"),
                SecretBytes.copyOf(key), random), dir.resolve("downloads"), FileTransfers.Limits.DEFAULT, random,
                Clock.systemUTC())) {
            FileId id = FileId.parse(sender.send(peer, source));
            // No session: the offer goes to the inbox.
            Await.until(() -> "the offer posted: " + host.posted, Duration.ofSeconds(30),
                    () -> host.posted.stream().anyMatch(p -> p.fileMessage() instanceof FileMessage.Offer));

            // The receiver accepts over a new session whose reader runs before the messenger publishes it.
            sender.message(peer, new FileMessage.Have(id, ChunkBitmap.empty(3)), true);
            FileEngineFixtures.RecordingLink link = new FileEngineFixtures.RecordingLink();
            host.live.set(link);
            sender.sessionUp(peer, link);

            Await.until(() -> "chunks on the session: " + link.frames, Duration.ofSeconds(30),
                    () -> link.frames.size() == FileTransfers.WINDOW);
            assertThat(link.frames).extracting(ChatFrame::type).containsOnly(ChatFrame.Type.CHUNK);
            assertThat(link.frames).extracting(f -> f.chunk().index()).containsExactly(0, 1);
        }
    }

    @Test
    void theLastTwoChunksArrivingAtOnceCompleteTheFileOnce() throws Exception {
        completesOnceWhenDelivered(0, 1);
    }

    @Test
    void theLastChunkArrivingTwiceAsTheFileCompletesDoesNotFailIt() throws Exception {
        // The copy that loses the race reaches the file while it is being closed, or after: a duplicate, not a
        // failure to save.
        completesOnceWhenDelivered(0, 1, 1);
    }

    @Test
    void theChunkThatCompletesAFileLeavesTheWholeFileCheckToAnotherThread() throws Exception {
        // §24.8: the thread that delivers the last chunk is a session's reader, with texts behind it; the whole
        // file's fsync and check take as long as the file is large, so they must not run on it.
        FileEngineFixtures.TwoChunks two = FileEngineFixtures.twoChunks(dir, random);
        FileId id = FileId.random(random);
        List<Chunk> chunks = two.sealed(id, 0, 1);
        Path home = Files.createDirectories(dir.resolve("reader"));
        FileEngineFixtures.RecordingHost host = new FileEngineFixtures.RecordingHost();
        try (FileTransfers receiver = two.receiver(host, home)) {
            receiver.message(two.peer(), new FileMessage.Offer(two.offer(id)), false);
            for (Chunk c : chunks) {
                receiver.chunk(two.peer(), c, Optional.empty());
            }
            Await.until(() -> "the file done; events " + host.events, Duration.ofSeconds(30),
                    () -> host.doneBy.get() != null);
            assertThat(host.doneBy.get()).as("the thread that said the file was done")
                    .isNotSameAs(Thread.currentThread());
            ChatEvent.FileDone done = (ChatEvent.FileDone) host.events.stream()
                    .filter(ChatEvent.FileDone.class::isInstance).findFirst().orElseThrow();
            assertThat(Files.readAllBytes(Path.of(done.path()))).isEqualTo(two.content());
            two.awaitTold(home, id);
        }
    }


    /**
     * Delivers the chunks at {@code indices} of a two-chunk file from the relay, each on its own thread, all at
     * once, {@link #ROUNDS} times: every round the file completes exactly once and the sender hears DONE only.
     */
    private void completesOnceWhenDelivered(int... indices) throws Exception {
        FileEngineFixtures.TwoChunks two = FileEngineFixtures.twoChunks(dir, random);
        byte[] content = two.content();
        Fingerprint peer = two.peer();

        for (int round = 0; round < ROUNDS; round++) {
            FileId id = FileId.random(random);
            List<Chunk> chunks = two.sealed(id, indices);
            Path home = Files.createDirectories(dir.resolve("round-" + round));
            FileEngineFixtures.RecordingHost host = new FileEngineFixtures.RecordingHost();
            try (FileTransfers receiver = two.receiver(host, home)) {
                receiver.message(peer, new FileMessage.Offer(two.offer(id)), false);
                CyclicBarrier together = new CyclicBarrier(chunks.size());
                List<Future<?>> all = chunks.stream().map(c -> pool.submit(() -> {
                    together.await(10, TimeUnit.SECONDS);
                    receiver.chunk(peer, c, Optional.empty());
                    return null;
                })).<Future<?>>map(f -> f).toList();
                for (Future<?> f : all) {
                    f.get(30, TimeUnit.SECONDS);
                }
                int r = round;
                Await.until(() -> "round " + r + ": an ending; events " + host.events, Duration.ofSeconds(30),
                        () -> host.events.stream().anyMatch(e -> e instanceof ChatEvent.FileDone
                                || e instanceof ChatEvent.FileFailed));
                assertThat(host.events).as("round %d", round).noneMatch(ChatEvent.FileFailed.class::isInstance);
                assertThat(host.events.stream().filter(ChatEvent.FileDone.class::isInstance)).as("round %d", round)
                        .hasSize(1);
                assertThat(host.posted.stream().map(ChatPayload::fileMessage))
                        .as("round %d: the sender was not told the file failed", round)
                        .noneMatch(FileMessage.Cancel.class::isInstance)
                        .filteredOn(FileMessage.Done.class::isInstance).hasSize(1);
                ChatEvent.FileDone done = (ChatEvent.FileDone) host.events.stream()
                        .filter(ChatEvent.FileDone.class::isInstance).findFirst().orElseThrow();
                assertThat(Files.readAllBytes(Path.of(done.path()))).isEqualTo(content);
                two.awaitTold(home, id);
            }
        }
    }

}
