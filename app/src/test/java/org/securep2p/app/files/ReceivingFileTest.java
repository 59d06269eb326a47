package org.securep2p.app.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The receiver's {@code .part} and journal (PROTOCOL.md §24.6): replay after a restart, torn and stale records. */
class ReceivingFileTest {

    private static final int CHUNK = FilesTesting.CHUNK;

    @TempDir
    Path dir;
    private Path mounted;

    @AfterEach
    void unmountSmallDisk() throws Exception {
        if (mounted != null && FilesTesting.isMountPoint(mounted)) {
            FilesTesting.unmount(mounted);
        }
    }

    /** A file's bytes and its offer. */
    private static final class Source {
        private final byte[] content;
        private final FileOffer offer;

        Source(byte[] content, FileOffer offer) {
            this.content = content;
            this.offer = offer;
        }

        byte[] content() {
            return content.clone();
        }

        FileOffer offer() {
            return offer;
        }

        byte[] chunk(int i) {
            return FilesTesting.chunk(content, i, offer.chunkSize());
        }

        byte[] leaf(int i) {
            byte[] c = chunk(i);
            return MerkleTree.leafHash(c, 0, c.length);
        }
    }

    private static Source source(int size, long seed) throws Exception {
        return new Source(FilesTesting.bytes(new Random(seed), size), FilesTesting.offer(size, CHUNK, seed));
    }

    private ReceivingFile open(Path where, Source s) throws FileTransferException {
        return ReceivingFile.open(where.resolve("x.part"), where.resolve("x.journal"), s.offer());
    }

    private static void write(ReceivingFile f, Source s, int index) throws FileTransferException {
        assertThat(f.write(index, s.chunk(index), s.leaf(index))).isTrue();
    }

    private static BitSet bits(int... indices) {
        BitSet b = new BitSet();
        for (int i : indices) {
            b.set(i);
        }
        return b;
    }

    @Test
    void chunksWrittenOutOfOrderAreStillHeldAfterAReopen() throws Exception {
        Source s = source(5 * CHUNK + 7, 1);
        try (ReceivingFile f = open(dir, s)) {
            for (int i : new int[] {4, 0, 5, 2}) {
                write(f, s, i);
            }
            assertThat(f.have()).isEqualTo(bits(0, 2, 4, 5));
            assertThat(f.complete()).isFalse();
        }
        try (ReceivingFile f = open(dir, s)) {
            assertThat(f.have()).isEqualTo(bits(0, 2, 4, 5));
            assertThat(f.bytesHeld()).isEqualTo(3L * CHUNK + 7);
            assertThat(f.chunkCount()).isEqualTo(6);
        }
    }

    @Test
    void aTornLastJournalRecordIsIgnoredAndCutOff() throws Exception {
        Source s = source(4 * CHUNK, 2);
        try (ReceivingFile f = open(dir, s)) {
            write(f, s, 1);
            write(f, s, 3);
        }
        Path journal = dir.resolve("x.journal");
        // Most of a record for chunk 2 (whose data never arrived): a crash in the middle of the append.
        byte[] torn = java.nio.ByteBuffer.allocate(ReceivingFile.RECORD - 1).putInt(2).put(s.leaf(2), 0, 31).array();
        Files.write(journal, torn, StandardOpenOption.APPEND);
        try (ReceivingFile f = open(dir, s)) {
            assertThat(f.have()).isEqualTo(bits(1, 3));
            assertThat(Files.size(journal)).isEqualTo(2L * ReceivingFile.RECORD);
            write(f, s, 2);
        }
        try (ReceivingFile f = open(dir, s)) {
            assertThat(f.have()).isEqualTo(bits(1, 2, 3));
        }
    }

    @Test
    void aJournaledChunkWhoseDataChangedIsNotKeptAndIsWrittenAgain() throws Exception {
        Source s = source(3 * CHUNK + 1, 3);
        try (ReceivingFile f = open(dir, s)) {
            for (int i = 0; i < 4; i++) {
                write(f, s, i);
            }
        }
        Path part = dir.resolve("x.part");
        byte[] onDisk = Files.readAllBytes(part);
        onDisk[CHUNK + 100] ^= 1;
        Files.write(part, onDisk);
        // The last chunk's data lost entirely (a power cut before it reached the disk).
        try (var c = java.nio.channels.FileChannel.open(part, StandardOpenOption.WRITE)) {
            c.truncate(3L * CHUNK);
        }
        try (ReceivingFile f = open(dir, s)) {
            assertThat(f.have()).isEqualTo(bits(0, 2));
            write(f, s, 1);
            write(f, s, 3);
            assertThat(f.complete()).isTrue();
            assertThat(f.sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(s.content()));
        }
    }

    @Test
    void writtenDataIsForcedEveryFewMegabytesNotLeftToTheEnd() throws Exception {
        // The final force of a large file, and the kernel's writeback of it, hold up every other fsync of the
        // filesystem (a text's ratchet state, its history row): no more than FORCE_EVERY is ever left unforced.
        int chunk = FileOffer.MAX_CHUNK_SIZE;
        int count = (int) (ReceivingFile.FORCE_EVERY / chunk) + 3;
        Source s = new Source(FilesTesting.bytes(new Random(9), count * chunk),
                FilesTesting.offer((long) count * chunk, chunk, 9));
        try (ReceivingFile f = open(dir, s)) {
            long written = 0;
            for (int i = 0; i < count; i++) {
                write(f, s, i);
                written += chunk;
                assertThat(f.unforcedBytes()).as("unforced after chunk %d", i)
                        .isLessThan(ReceivingFile.FORCE_EVERY).isLessThanOrEqualTo(written);
            }
            assertThat(f.sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(s.content()));
        }
    }

    @Test
    void writingAHeldChunkReturnsFalseAndWritesNothing() throws Exception {
        Source s = source(2 * CHUNK, 4);
        try (ReceivingFile f = open(dir, s)) {
            write(f, s, 0);
            long journal = Files.size(dir.resolve("x.journal"));
            byte[] other = new byte[CHUNK];
            assertThat(f.write(0, other, MerkleTree.leafHash(other, 0, other.length))).isFalse();
            assertThat(Files.size(dir.resolve("x.journal"))).isEqualTo(journal);
            byte[] part = Files.readAllBytes(dir.resolve("x.part"));
            assertThat(FilesTesting.chunk(part, 0, CHUNK)).isEqualTo(s.chunk(0));
        }
    }

    @Test
    void refusesAnIndexOrLengthThatDoesNotFitTheOffer() throws Exception {
        Source s = source(2 * CHUNK + 3, 5);
        try (ReceivingFile f = open(dir, s)) {
            assertThatThrownBy(() -> f.write(3, new byte[3], s.leaf(2)))
                    .isInstanceOfSatisfying(FileTransferException.class,
                            e -> assertThat(e.reason()).isEqualTo(FileTransferException.Reason.BAD_INDEX));
            assertThatThrownBy(() -> f.write(2, new byte[4], s.leaf(2)))
                    .isInstanceOfSatisfying(FileTransferException.class,
                            e -> assertThat(e.reason()).isEqualTo(FileTransferException.Reason.BAD_CHUNK));
            assertThat(f.have()).isEqualTo(new BitSet());
        }
    }

    @Test
    void theWholeFilesHashIsTheSourcesAndThePartIsPrivate() throws Exception {
        byte[] content = FilesTesting.bytes(new Random(6), 7 * CHUNK + 11);
        Path file = Files.write(dir.resolve("source.bin"), content);
        SourceFile src = SourceFile.prepare(file, CHUNK, Long.MAX_VALUE);
        Source s = new Source(content, FilesTesting.offer(content.length, CHUNK, 6));
        try (ReceivingFile f = open(dir, s)) {
            for (int i = src.chunkCount() - 1; i >= 0; i--) {
                assertThat(f.write(i, src.readChunk(i), src.leaf(i))).isTrue();
            }
            assertThat(f.complete()).isTrue();
            assertThat(f.sha256()).isEqualTo(src.sha256());
        }
        assertThat(Files.getPosixFilePermissions(dir.resolve("x.part")))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void anEmptyFileIsCompleteAtOnce() throws Exception {
        Source s = source(0, 7);
        try (ReceivingFile f = open(dir, s)) {
            assertThat(f.complete()).isTrue();
            assertThat(f.sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest());
        }
    }

    @Test
    void discardRemovesThePartAndTheJournal() throws Exception {
        Source s = source(2 * CHUNK, 8);
        ReceivingFile f = open(dir, s);
        write(f, s, 1);
        f.discard();
        assertThat(dir.resolve("x.part")).doesNotExist();
        assertThat(dir.resolve("x.journal")).doesNotExist();
        assertThatThrownBy(() -> f.write(0, s.chunk(0), s.leaf(0))).isInstanceOf(FileTransferException.class);
    }

    @Test
    void aFullDiskEndsInNoSpaceAndDiscardLeavesNothing() throws Exception {
        mounted = Files.createDirectory(dir.resolve("small"));
        FilesTesting.mountSmallDisk(mounted, "1m");
        // Four times the disk.
        Source s = source(256 * CHUNK, 9);
        ReceivingFile f = open(mounted, s);
        try {
            FileTransferException failure = null;
            int written = 0;
            for (int i = 0; i < s.offer().chunkCount() && failure == null; i++) {
                try {
                    write(f, s, i);
                    written++;
                } catch (FileTransferException e) {
                    failure = e;
                }
            }
            assertThat(failure).isNotNull();
            assertThat(failure.reason()).isEqualTo(FileTransferException.Reason.NO_SPACE);
            assertThat(written).isBetween(1, 64);
            // The C library may speak another language: the file system's own answer decides then.
            java.io.IOException localised = new java.io.IOException(
                    "Auf dem Ger\u00e4t ist kein Speicherplatz mehr verf\u00fcgbar");
            assertThat(DiskFull.isCause(localised, mounted.resolve("x.part"), CHUNK)).isTrue();
            assertThat(DiskFull.isCause(localised, dir.resolve("x.part"), CHUNK)).isFalse();
            f.discard();
            try (var entries = Files.list(mounted)) {
                assertThat(entries).isEmpty();
            }
        } finally {
            // An open file would keep the small disk busy, and it would stay mounted.
            f.close();
        }
    }

    @Property(tries = 60)
    void afterAReopenHaveIsExactlyTheChunksWritten(@ForAll @IntRange(min = 0, max = 40) int extraBytes,
            @ForAll @IntRange(min = 0, max = 9) int fullChunks, @ForAll long seed) throws Exception {
        int size = fullChunks * CHUNK + extraBytes;
        Source s = source(size, seed);
        int n = s.offer().chunkCount();
        Random r = new Random(seed);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (r.nextBoolean()) {
                order.add(i);
            }
        }
        Collections.shuffle(order, r);
        Path where = Files.createTempDirectory("receiving");
        try {
            BitSet expected = new BitSet();
            try (ReceivingFile f = open(where, s)) {
                for (int i : order) {
                    write(f, s, i);
                    expected.set(i);
                }
            }
            try (ReceivingFile f = open(where, s)) {
                assertThat(f.have()).isEqualTo(expected);
                assertThat(f.complete()).isEqualTo(expected.cardinality() == n);
                for (int i : Set.copyOf(order)) {
                    assertThat(f.write(i, s.chunk(i), s.leaf(i))).isFalse();
                }
            }
        } finally {
            FilesTesting.deleteTree(where);
        }
    }

    /**
     * The in-order prefix is hashed as it is written and the rest read back: for every order of writes, in
     * order, shuffled or partly in order, with a reopen anywhere (the prefix starts again from nothing), the
     * whole file's hash is its content's.
     */
    @Property(tries = 80)
    void theWholeFilesHashIsTheContentsForEveryOrderOfWritesAndAReopen(
            @ForAll @IntRange(min = 0, max = 40) int extraBytes, @ForAll @IntRange(min = 0, max = 7) int fullChunks,
            @ForAll @IntRange(min = 0, max = 2) int ordering, @ForAll @IntRange(min = -1, max = 8) int reopenAfter,
            @ForAll long seed) throws Exception {
        int size = fullChunks * CHUNK + extraBytes;
        Source s = source(size, seed);
        int n = s.offer().chunkCount();
        Random r = new Random(seed);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        if (ordering == 1) {
            Collections.shuffle(order, r);
        } else if (ordering == 2 && n > 2) {
            // In order but for one pair swapped: the prefix stops there and the rest is read back.
            int at = r.nextInt(n - 1);
            Collections.swap(order, at, at + 1);
        }
        Path where = Files.createTempDirectory("receiving");
        try {
            ReceivingFile f = open(where, s);
            try {
                for (int k = 0; k < order.size(); k++) {
                    if (k == reopenAfter) {
                        f.close();
                        f = open(where, s);
                    }
                    write(f, s, order.get(k));
                }
                assertThat(f.complete()).isTrue();
                assertThat(f.sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(s.content()));
                // Asked again (a failed read-back is tried again): the same.
                assertThat(f.sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(s.content()));
            } finally {
                f.close();
            }
        } finally {
            FilesTesting.deleteTree(where);
        }
    }
}
