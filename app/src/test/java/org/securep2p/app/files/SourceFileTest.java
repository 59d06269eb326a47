package org.securep2p.app.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sender's reader (PROTOCOL.md §24.5): one read for leaves and hash (on one or two threads), and every chunk
 * checked when read.
 */
class SourceFileTest {

    private static final int CHUNK = FilesTesting.CHUNK;
    private static final int BIG_CHUNK = FileOffer.MAX_CHUNK_SIZE;

    @TempDir
    Path dir;

    /** The leaves and SHA-256 of §24.4 computed the obvious way, independently of SourceFile. */
    private static List<byte[]> referenceLeaves(byte[] content, int chunkSize) throws Exception {
        List<byte[]> out = new ArrayList<>();
        for (int from = 0; from < content.length; from += chunkSize) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update((byte) 0);
            d.update(content, from, Math.min(chunkSize, content.length - from));
            out.add(d.digest());
        }
        return out;
    }

    private static void assertHashedLikeTheReference(SourceFile src, byte[] content, int chunkSize)
            throws Exception {
        assertThat(src.size()).isEqualTo(content.length);
        assertThat(src.sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(content));
        List<byte[]> expected = referenceLeaves(content, chunkSize);
        List<byte[]> leaves = src.leaves();
        assertThat(leaves).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(leaves.get(i)).as("leaf %d of %d bytes", i, content.length).isEqualTo(expected.get(i));
        }
    }

    /** Records the second thread, if any, and does {@code onRead} after each chunk read. */
    private static final class Recorder implements SourceFile.Probe {
        final AtomicReference<Thread> hasher = new AtomicReference<>();
        private final IoConsumer onRead;

        Recorder(IoConsumer onRead) {
            this.onRead = onRead;
        }

        @Override
        public void hashing(Thread t) {
            hasher.set(t);
        }

        @Override
        public void read(int index) throws IOException {
            onRead.accept(index);
        }
    }

    @FunctionalInterface
    private interface IoConsumer {
        void accept(int index) throws IOException;
    }

    @Provide
    Arbitrary<Integer> sizes() {
        // Uniform sizes rarely land on a chunk boundary, so half of them are a few bytes either side of one.
        Arbitrary<Integer> near = Arbitraries.integers().between(0, 5)
                .flatMap(n -> Arbitraries.integers().between(-2, 2).map(d -> Math.max(0, n * CHUNK + d)));
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 5 * CHUNK + CHUNK / 2), near);
    }

    @Property(tries = 60)
    void leavesAndHashEqualTheReferenceOnOneThreadOrTwo(@ForAll("sizes") int size, @ForAll boolean twoThreads,
            @ForAll long seed) throws Exception {
        byte[] content = FilesTesting.bytes(new Random(seed), size);
        Path file = Files.createTempFile("source", ".bin");
        try {
            Files.write(file, content);
            Recorder probe = new Recorder(i -> { });
            SourceFile src = SourceFile.prepare(file, CHUNK, size, twoThreads ? 0 : Long.MAX_VALUE, probe);
            assertThat(probe.hasher.get() != null).as("hashed on two threads").isEqualTo(twoThreads);
            assertHashedLikeTheReference(src, content, CHUNK);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void aFileFromTheThresholdOnIsHashedOnTwoThreadsToTheSameResultAsOnOne() throws Exception {
        long from = SourceFile.CONCURRENT_FROM;
        for (long size : new long[] {from - 1, from, from + BIG_CHUNK + 5}) {
            byte[] content = FilesTesting.bytes(new Random(size), (int) size);
            Path file = Files.write(dir.resolve("f" + size), content);
            Recorder probe = new Recorder(i -> { });
            SourceFile two = SourceFile.prepare(file, BIG_CHUNK, size, from, probe);
            assertThat(probe.hasher.get() != null).as("%d bytes on two threads", size).isEqualTo(size >= from);
            SourceFile one = SourceFile.prepare(file, BIG_CHUNK, size, Long.MAX_VALUE, SourceFile.Probe.NONE);
            assertThat(two.sha256()).isEqualTo(one.sha256());
            assertThat(two.leaves()).containsExactlyElementsOf(one.leaves());
            assertHashedLikeTheReference(SourceFile.prepare(file, BIG_CHUNK, size), content, BIG_CHUNK);
            if (probe.hasher.get() != null) {
                assertThat(probe.hasher.get().isAlive()).isFalse();
            }
        }
    }

    @Test
    void aFileThatShrinksOrGrowsWhileHashedOnTwoThreadsIsSourceChangedAndTheThreadEnds() throws Exception {
        int size = 6 * CHUNK + 7;
        byte[] content = FilesTesting.bytes(new Random(4), size);
        Path file = dir.resolve("f");
        for (int at = 0; at < 7; at++) {
            int readAt = at;
            for (boolean grow : new boolean[] {false, true}) {
                if (!grow && at == 6) {
                    continue; // cut after the last chunk was read: nothing read is wrong, readChunk sees it later
                }
                Files.write(file, content);
                Recorder probe = new Recorder(i -> {
                    if (i == readAt) {
                        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                            raf.setLength(grow ? size + 1 : (long) (readAt + 1) * CHUNK + 3);
                        }
                    }
                });
                assertThatThrownBy(() -> SourceFile.prepare(file, CHUNK, Long.MAX_VALUE, 0, probe))
                        .as("%s after chunk %d", grow ? "grown" : "shrunk", readAt)
                        .isInstanceOfSatisfying(FileTransferException.class, e -> assertReason(e,
                                FileTransferException.Reason.SOURCE_CHANGED, "changed since it was offered"));
                assertThat(probe.hasher.get().isAlive()).as("the second thread has ended").isFalse();
            }
        }
    }

    @Test
    void anInterruptWhileHashedOnTwoThreadsIsStorageFailedEndsTheThreadAndKeepsTheFlag() throws Exception {
        byte[] content = FilesTesting.bytes(new Random(5), 6 * CHUNK);
        Path file = Files.write(dir.resolve("f"), content);
        for (int at = 0; at < 6; at++) {
            int readAt = at;
            Recorder probe = new Recorder(i -> {
                if (i == readAt) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                assertThatThrownBy(() -> SourceFile.prepare(file, CHUNK, Long.MAX_VALUE, 0, probe))
                        .isInstanceOfSatisfying(FileTransferException.class, e -> assertReason(e,
                                FileTransferException.Reason.STORAGE_FAILED, "cannot be read"));
                assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is kept").isTrue();
            } finally {
                Thread.interrupted();
            }
            assertThat(probe.hasher.get().isAlive()).as("the second thread has ended").isFalse();
        }
        assertHashedLikeTheReference(SourceFile.prepare(file, CHUNK, Long.MAX_VALUE, 0, SourceFile.Probe.NONE),
                content, CHUNK);
    }

    private static void assertReason(FileTransferException e, FileTransferException.Reason reason, String text) {
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.getMessage()).contains(text);
    }

    @Test
    void leavesAndHashEqualAnIndependentComputationForEveryBoundarySize() throws Exception {
        for (int size : new int[] {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5}) {
            byte[] content = FilesTesting.bytes(new Random(size), size);
            Path file = Files.write(dir.resolve("f" + size), content);
            SourceFile src = SourceFile.prepare(file, CHUNK, size);
            assertThat(src.size()).isEqualTo(size);
            assertThat(src.chunkSize()).isEqualTo(CHUNK);
            assertThat(src.sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(content));
            int n = (size + CHUNK - 1) / CHUNK;
            List<byte[]> leaves = src.leaves();
            assertThat(leaves).hasSize(n);
            for (int i = 0; i < n; i++) {
                MessageDigest d = MessageDigest.getInstance("SHA-256");
                d.update((byte) 0);
                d.update(content, i * CHUNK, Math.min(CHUNK, size - i * CHUNK));
                assertThat(leaves.get(i)).as("leaf %d of %d bytes", i, size).isEqualTo(d.digest());
                assertThat(src.readChunk(i)).isEqualTo(FilesTesting.chunk(content, i, CHUNK));
            }
        }
    }

    @Test
    void aChangedByteMakesOnlyItsChunkSourceChanged() throws Exception {
        byte[] content = FilesTesting.bytes(new Random(1), 3 * CHUNK + 5);
        Path file = Files.write(dir.resolve("f"), content);
        SourceFile src = SourceFile.prepare(file, CHUNK, Long.MAX_VALUE);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(CHUNK + 17);
            raf.write(content[CHUNK + 17] ^ 0x40);
        }
        assertThatThrownBy(() -> src.readChunk(1)).isInstanceOfSatisfying(FileTransferException.class,
                e -> assertReason(e, FileTransferException.Reason.SOURCE_CHANGED, "changed since it was offered"));
        for (int i : new int[] {0, 2, 3}) {
            assertThat(src.readChunk(i)).isEqualTo(FilesTesting.chunk(content, i, CHUNK));
        }
    }

    @Test
    void aVanishedOrShortenedFileIsSourceChanged() throws Exception {
        byte[] content = FilesTesting.bytes(new Random(2), 2 * CHUNK + 5);
        Path file = Files.write(dir.resolve("f"), content);
        SourceFile src = SourceFile.prepare(file, CHUNK, Long.MAX_VALUE);
        Files.write(file, java.util.Arrays.copyOf(content, 2 * CHUNK + 4));
        assertThatThrownBy(() -> src.readChunk(2)).isInstanceOfSatisfying(FileTransferException.class,
                e -> assertThat(e.reason()).isEqualTo(FileTransferException.Reason.SOURCE_CHANGED));
        assertThat(src.readChunk(0)).isEqualTo(FilesTesting.chunk(content, 0, CHUNK));
        Files.delete(file);
        assertThatThrownBy(() -> src.readChunk(0)).isInstanceOfSatisfying(FileTransferException.class,
                e -> assertThat(e.reason()).isEqualTo(FileTransferException.Reason.SOURCE_CHANGED));
    }

    @Test
    void aReopenedSourceChecksChunksAgainstTheStoredLeaves() throws Exception {
        byte[] content = FilesTesting.bytes(new Random(3), 2 * CHUNK + 9);
        Path file = Files.write(dir.resolve("f"), content);
        List<byte[]> leaves = SourceFile.prepare(file, CHUNK, Long.MAX_VALUE).leaves();
        SourceFile again = SourceFile.reopen(file, content.length, CHUNK, leaves);
        assertThat(again.readChunk(2)).isEqualTo(FilesTesting.chunk(content, 2, CHUNK));
        List<byte[]> wrong = new java.util.ArrayList<>(leaves);
        wrong.set(1, new byte[32]);
        SourceFile forged = SourceFile.reopen(file, content.length, CHUNK, wrong);
        assertThatThrownBy(() -> forged.readChunk(1)).isInstanceOfSatisfying(FileTransferException.class,
                e -> assertThat(e.reason()).isEqualTo(FileTransferException.Reason.SOURCE_CHANGED));
        assertThat(forged.readChunk(0)).isEqualTo(FilesTesting.chunk(content, 0, CHUNK));
    }

    @Test
    void refusesADirectoryAMissingPathAndAFileOverTheLimit() throws Exception {
        Path file = Files.write(dir.resolve("f"), new byte[1001]);
        assertThatThrownBy(() -> SourceFile.prepare(dir, CHUNK, Long.MAX_VALUE))
                .isInstanceOfSatisfying(FileTransferException.class,
                        e -> assertReason(e, FileTransferException.Reason.STORAGE_FAILED, "not a regular file"));
        assertThatThrownBy(() -> SourceFile.prepare(dir.resolve("none"), CHUNK, Long.MAX_VALUE))
                .isInstanceOfSatisfying(FileTransferException.class,
                        e -> assertReason(e, FileTransferException.Reason.STORAGE_FAILED, "does not exist"));
        assertThatThrownBy(() -> SourceFile.prepare(file, CHUNK, 1000))
                .isInstanceOfSatisfying(FileTransferException.class,
                        e -> assertThat(e.reason()).isEqualTo(FileTransferException.Reason.TOO_LARGE));
        assertThat(SourceFile.prepare(file, CHUNK, 1001).size()).isEqualTo(1001);
    }
}
