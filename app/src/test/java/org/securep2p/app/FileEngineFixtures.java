package org.securep2p.app;

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
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.securep2p.app.files.Chunk;
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
 * The file engine on its own (PROTOCOL.md §24.5), for tests that drive it directly: a host and a session of the
 * test's own that record what the engine says, and a small file a receiver is offered and sent.
 */
final class FileEngineFixtures {

    static final int CHUNK = FileOffer.MIN_CHUNK_SIZE;

    private FileEngineFixtures() {
    }

    /**
     * A messenger whose live session is the test's to set, with a relay inbox that takes control payloads only
     * (none at all once {@code inbox} is false).
     */
    static final class RecordingHost implements FileTransfers.Host {
        final List<ChatEvent> events = new CopyOnWriteArrayList<>();
        final List<ChatPayload> posted = new CopyOnWriteArrayList<>();
        final AtomicReference<FileLink> live = new AtomicReference<>();
        /** The thread that said a file was done. */
        final AtomicReference<Thread> doneBy = new AtomicReference<>();
        volatile boolean inbox = true;

        /** Until some file was said to be done. */
        void awaitFileDone() {
            Await.until(() -> "a file done; events " + events, Duration.ofSeconds(30), () -> doneBy.get() != null);
        }

        @Override
        public Optional<FileLink> live(Fingerprint peer) {
            return Optional.ofNullable(live.get());
        }

        @Override
        public Optional<CompletableFuture<Void>> postControl(Fingerprint peer, ChatPayload payload) {
            if (!inbox) {
                return Optional.empty();
            }
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
    static final class RecordingLink implements FileLink {
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

    /** A two-chunk file, its tree, a file key and a peer: what a receiver is offered and sent in these tests. */
    static final class TwoChunks {
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
            return FileEngineFixtures.offer(id, file, tree, key);
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

        /** The SHA-256 of the whole file, as its offer names it. */
        byte[] sha256() {
            return file.sha256();
        }

        /** The transfers' store of a receiver in {@code home}. */
        TransferStore store(Path home) throws Exception {
            return new TransferStore(home.resolve("transfers"), SecretBytes.copyOf(key), random);
        }

        /** Offers the file {@code id} to {@code receiver} and hands it both chunks, as the contact's inbox would. */
        void deliverThroughInbox(FileTransfers receiver, FileId id) throws Exception {
            receiver.message(peer, new FileMessage.Offer(offer(id)), false);
            for (Chunk c : sealed(id, 0, 1)) {
                receiver.chunk(peer, c, Optional.empty());
            }
        }

        /** The status stored for {@code id} in {@code home}; empty when there is no record (or it does not open). */
        Optional<TransferStore.Status> storedStatus(Path home, FileId id) {
            try (TransferStore s = store(home)) {
                return s.load(id).map(t -> {
                    t.offer().wipe();
                    return t.status();
                });
            } catch (Exception e) {
                return Optional.empty();
            }
        }

        /**
         * Until a received file's sender was told and its record in {@code home} is down to what it keeps (§24.6): a
         * TOLD record, no journal. The engine does that after the final event, on its own thread, and closing the
         * engine before that would cut it short (left for the next start).
         */
        void awaitTold(Path home, FileId id) {
            Await.until(() -> "transfer " + id + " told: " + storedStatus(home, id), Duration.ofSeconds(30),
                    () -> !Files.exists(home.resolve("transfers").resolve(id.hex() + ".journal"))
                            && storedStatus(home, id).equals(Optional.of(TransferStore.Status.TOLD)));
        }

        /** A receiver in {@code home} that takes the file without asking. */
        FileTransfers receiver(RecordingHost host, Path home) throws Exception {
            return new FileTransfers(host, store(home), home.resolve("downloads"),
                    new FileTransfers.Limits(1L << 20, 1L << 20), random, Clock.systemUTC());
        }
    }

    /** A two-chunk file written in {@code dir}, a file key and a peer. */
    static TwoChunks twoChunks(Path dir, SecureRandom random) throws Exception {
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

    static FileOffer offer(FileId id, SourceFile file, MerkleTree tree, byte[] key) throws Exception {
        try (SecretBytes k = SecretBytes.copyOf(key)) {
            return new FileOffer(id, java.time.Instant.EPOCH, "race.bin", "application/octet-stream", file.size(),
                    CHUNK, file.sha256(), tree.root(), k);
        }
    }
}
