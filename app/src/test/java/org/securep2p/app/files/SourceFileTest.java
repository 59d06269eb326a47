package org.securep2p.app.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sender's reader (PROTOCOL.md §24.5): one pass of leaves and hash, and every chunk checked when read. */
class SourceFileTest {

    private static final int CHUNK = FilesTesting.CHUNK;

    @TempDir
    Path dir;

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
