package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.files.Chunk;
import org.securep2p.app.files.ChunkBitmap;
import org.securep2p.app.files.ChunkSealer;
import org.securep2p.app.files.FileId;
import org.securep2p.app.files.FileMessage;
import org.securep2p.app.files.FileOffer;
import org.securep2p.app.files.MerkleTree;
import org.securep2p.app.files.SourceFile;
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

    private static final int CHUNK = FileOffer.MIN_CHUNK_SIZE;
    private static final int ROUNDS = 60;

    private final SecureRandom random = new SecureRandom();
    private final ExecutorService pool = Executors.newFixedThreadPool(3);
    @TempDir
    Path dir;

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
    }

    /** A messenger with a relay inbox that takes control payloads only; its live session is the test's to set. */
    private static final class RecordingHost implements FileTransfers.Host {
        final List<ChatEvent> events = new CopyOnWriteArrayList<>();
        final List<ChatPayload> posted = new CopyOnWriteArrayList<>();
        final AtomicReference<FileLink> live = new AtomicReference<>();
        /** The thread that said a file was done. */
        final AtomicReference<Thread> doneBy = new AtomicReference<>();

        @Override
        public Optional<FileLink> live(Fingerprint peer) {
            return Optional.ofNullable(live.get());
        }

        @Override
        public Optional<CompletableFuture<Void>> postControl(Fingerprint peer, ChatPayload payload) {
            posted.add(payload);
            return Optional.of(CompletableFuture.completedFuture(null));
        }

        @Override
        public Optional<CompletableFuture<Void>> postChunk(Fingerprint peer, byte[] chunk) {
            return Optional.empty();
        }

        @Override
        public String name(Fingerprint peer) {
            return "peer";
        }

        @Override
        public void emit(ChatEvent event) {
            if (event instanceof ChatEvent.FileDone) {
                doneBy.set(Thread.currentThread());
            }
            events.add(event);
        }
    }

    /** A session that stands for ever and records what the engine sends on it. */
    private static final class RecordingLink implements FileLink {
        final List<ChatFrame> frames = new CopyOnWriteArrayList<>();
        final List<ChatPayload> controls = new CopyOnWriteArrayList<>();

        @Override
        public boolean isLive() {
            return true;
        }

        @Override
        public boolean sendFrame(ChatFrame frame) {
            frames.add(frame);
            return true;
        }

        @Override
        public boolean sendControl(ChatPayload payload) {
            controls.add(payload);
            return true;
        }
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
        RecordingHost host = new RecordingHost();
        try (FileTransfers sender = new FileTransfers(host, new TransferStore(dir.resolve("transfers"),
                SecretBytes.copyOf(key), random), dir.resolve("downloads"), FileTransfers.Limits.DEFAULT, random,
                Clock.systemUTC())) {
            FileId id = FileId.parse(sender.send(peer, source));
            // No session: the offer goes to the inbox.
            Await.until(() -> "the offer posted: " + host.posted, Duration.ofSeconds(30),
                    () -> host.posted.stream().anyMatch(p -> p.fileMessage() instanceof FileMessage.Offer));

            // The receiver accepts over a new session whose reader runs before the messenger publishes it.
            sender.message(peer, new FileMessage.Have(id, ChunkBitmap.empty(3)), true);
            RecordingLink link = new RecordingLink();
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
        TwoChunks two = twoChunks();
        FileId id = FileId.random(random);
        List<Chunk> chunks = two.sealed(id, 0, 1);
        Path home = Files.createDirectories(dir.resolve("reader"));
        RecordingHost host = new RecordingHost();
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
            awaitForgotten(home, id);
        }
    }

    /**
     * Until the transfer's stored state in {@code home} is gone: the engine deletes it after the final event, on
     * its own thread, and closing the engine before that would cut the deletion short (left for the next start).
     */
    private static void awaitForgotten(Path home, FileId id) {
        Await.until(() -> "transfer " + id + " forgotten", Duration.ofSeconds(30), () -> {
            try (Stream<Path> stored = Files.list(home.resolve("transfers"))) {
                return stored.noneMatch(p -> p.getFileName().toString().startsWith(id.hex()));
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** A two-chunk file, its tree, a file key and a peer: what a receiver is offered and sent in these tests. */
    private static final class TwoChunks {
        private final byte[] content;
        private final SourceFile file;
        private final MerkleTree tree;
        private final byte[] key;
        private final Fingerprint peer;
        private final SecureRandom random;

        TwoChunks(byte[] content, SourceFile file, byte[] key, Fingerprint peer, SecureRandom random) {
            this.content = content;
            this.file = file;
            this.tree = MerkleTree.of(file.leaves());
            this.key = key;
            this.peer = peer;
            this.random = random;
        }

        byte[] content() {
            return content;
        }

        Fingerprint peer() {
            return peer;
        }

        FileOffer offer(FileId id) throws Exception {
            return FileTransfersRaceTest.offer(id, file, tree, key);
        }

        /** The chunks at {@code indices}, sealed for the file {@code id}. */
        List<Chunk> sealed(FileId id, int... indices) throws Exception {
            FileOffer sent = offer(id);
            List<Chunk> chunks = new ArrayList<>();
            for (int i : indices) {
                chunks.add(new Chunk(id, i, ChunkSealer.seal(sent, i, file.readChunk(i), tree.auditPath(i))));
            }
            return chunks;
        }

        /** A receiver in {@code home} that takes the file without asking. */
        FileTransfers receiver(RecordingHost host, Path home) throws Exception {
            return new FileTransfers(host, new TransferStore(home.resolve("transfers"), SecretBytes.copyOf(key),
                    random), home.resolve("downloads"), new FileTransfers.Limits(1L << 20, 1L << 20), random,
                    Clock.systemUTC());
        }
    }

    private TwoChunks twoChunks() throws Exception {
        byte[] content = new byte[2 * CHUNK];
        new Random(7).nextBytes(content);
        Path source = Files.write(dir.resolve("source.bin"), content);
        SourceFile file = SourceFile.prepare(source, CHUNK, 1L << 20);
        byte[] key = new byte[FileOffer.KEY_LENGTH];
        random.nextBytes(key);
        byte[] peerBytes = new byte[32];
        random.nextBytes(peerBytes);
        return new TwoChunks(content, file, key, Fingerprint.fromBytes(peerBytes), random);
    }

    /**
     * Delivers the chunks at {@code indices} of a two-chunk file from the relay, each on its own thread, all at
     * once, {@link #ROUNDS} times: every round the file completes exactly once and the sender hears DONE only.
     */
    private void completesOnceWhenDelivered(int... indices) throws Exception {
        TwoChunks two = twoChunks();
        byte[] content = two.content();
        Fingerprint peer = two.peer();

        for (int round = 0; round < ROUNDS; round++) {
            FileId id = FileId.random(random);
            List<Chunk> chunks = two.sealed(id, indices);
            Path home = Files.createDirectories(dir.resolve("round-" + round));
            RecordingHost host = new RecordingHost();
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
                awaitForgotten(home, id);
            }
        }
    }

    private static FileOffer offer(FileId id, SourceFile file, MerkleTree tree, byte[] key) throws Exception {
        try (SecretBytes k = SecretBytes.copyOf(key)) {
            return new FileOffer(id, java.time.Instant.EPOCH, "race.bin", "application/octet-stream", file.size(),
                    CHUNK, file.sha256(), tree.root(), k);
        }
    }
}
