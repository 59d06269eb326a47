package org.securep2p.app.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The sender's file (PROTOCOL.md §24.5): {@link #prepare} reads it once, computing every chunk's leaf hash and
 * the whole file's SHA-256 from that one read (on two threads for a large file); {@link #readChunk} later hands
 * out a chunk only if its bytes still hash to that leaf, so a chunk is never sealed from data other than what was
 * offered (which would put two plaintexts under one key and nonce, §24.3). A file that changed or vanished is SOURCE_CHANGED.
 * Immutable and thread-safe: each read opens the file afresh, so a file deleted meanwhile is noticed.
 */
public final class SourceFile {

    private final Path file;
    private final long size;
    private final int chunkSize;
    private final int chunkCount;
    /** chunkCount leaves of 32 bytes, back to back (one array: a 2 GiB file has half a million). */
    private final byte[] leaves;
    private final byte[] sha256;

    /**
     * From this size on {@link #prepare} hashes on two threads. What that saves is the whole-file hash, about
     * 0.6 ms per MiB here (SHA-NI), and only where a core is free; what it costs is a thread start and a hand-over
     * per chunk, which on a busy machine (the new thread waiting for a time slice) was measured at up to 2-3 ms.
     * From 8 MiB (about 5 ms saved, 35 of the app's 240 KiB chunks) the gain is worth having; below it nobody
     * waits long enough to notice either way.
     */
    static final long CONCURRENT_FROM = 8L << 20;

    private SourceFile(Path file, long size, int chunkSize, byte[] leaves, byte[] sha256) {
        this.file = file;
        this.size = size;
        this.chunkSize = chunkSize;
        this.chunkCount = (int) FileOffer.chunkCount(size, chunkSize);
        this.leaves = leaves;
        this.sha256 = sha256;
    }

    /**
     * Checks that {@code file} is a readable regular file of at most {@code maxBytes} (TOO_LARGE, or
     * STORAGE_FAILED saying which), then reads it once. SOURCE_CHANGED if it changes size while read.
     * STORAGE_FAILED if the calling thread is interrupted meanwhile (its interrupt flag stays set).
     */
    public static SourceFile prepare(Path file, int chunkSize, long maxBytes) throws FileTransferException {
        return prepare(file, chunkSize, maxBytes, CONCURRENT_FROM, Probe.NONE);
    }

    /** {@link #prepare(Path, int, long)} hashing on two threads from {@code concurrentFrom} bytes on. */
    static SourceFile prepare(Path file, int chunkSize, long maxBytes, long concurrentFrom, Probe probe)
            throws FileTransferException {
        checkChunkSize(chunkSize);
        if (!Files.exists(file)) {
            throw storage("the file does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw storage("the file is not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw storage("the file cannot be read");
        }
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = c.size();
            if (size > maxBytes || FileOffer.chunkCount(size, chunkSize) > FileOffer.MAX_CHUNK_COUNT) {
                throw new FileTransferException(FileTransferException.Reason.TOO_LARGE,
                        "the file is " + size + " bytes, more than the " + maxBytes + " allowed");
            }
            int count = (int) FileOffer.chunkCount(size, chunkSize);
            byte[] leaves = new byte[count * MerkleTree.HASH_LENGTH];
            byte[] sha256 = size >= concurrentFrom
                    ? hashOnTwoThreads(c, size, chunkSize, leaves, probe)
                    : hashInOnePass(c, size, chunkSize, leaves, probe);
            return new SourceFile(file, size, chunkSize, leaves, sha256);
        } catch (NoSuchFileException e) {
            throw storage("the file does not exist");
        } catch (AccessDeniedException e) {
            throw storage("the file cannot be read");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED,
                    "the file cannot be read", e);
        } catch (IOException e) {
            throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED,
                    "the file cannot be read", e);
        }
    }

    /** Fills {@code leaves} and returns the whole file's SHA-256, both on the calling thread. */
    private static byte[] hashInOnePass(FileChannel c, long size, int chunkSize, byte[] leaves, Probe probe)
            throws IOException, FileTransferException {
        MessageDigest whole = MerkleTree.sha256();
        MessageDigest leaf = MerkleTree.sha256();
        byte[] chunk = new byte[chunkSize];
        try {
            int count = leaves.length / MerkleTree.HASH_LENGTH;
            for (int i = 0; i < count; i++) {
                int len = chunkLength(size, chunkSize, i);
                readFully(c, chunk, len);
                probe.read(i);
                whole.update(chunk, 0, len);
                leafHash(leaf, chunk, len, leaves, i);
            }
            checkAtEnd(c);
            return whole.digest();
        } finally {
            // The file is the user's: no copy of it is left behind by us (as in ChunkSealer).
            Arrays.fill(chunk, (byte) 0);
        }
    }

    /**
     * Fills {@code leaves} on the calling thread, which reads each chunk once into a ring of buffers, and returns
     * the whole file's SHA-256, which a second thread computes from the same buffers in order meanwhile. A buffer
     * goes back to the reader only once that thread is done with it, and the reader is done with one before it
     * takes the next. The second thread has ended when this returns or throws.
     */
    private static byte[] hashOnTwoThreads(FileChannel c, long size, int chunkSize, byte[] leaves, Probe probe)
            throws IOException, FileTransferException, InterruptedException {
        WholeFileHash whole = new WholeFileHash(chunkSize);
        MessageDigest leaf = MerkleTree.sha256();
        Thread hasher = new Thread(whole, "file-sha256");
        hasher.setDaemon(true);
        hasher.start();
        try {
            probe.hashing(hasher);
            int count = leaves.length / MerkleTree.HASH_LENGTH;
            for (int i = 0; i < count; i++) {
                Slot slot = whole.free.take();
                if (slot == Slot.FAILED) {
                    throw new IllegalStateException("the whole-file hashing thread stopped");
                }
                slot.length = chunkLength(size, chunkSize, i);
                readFully(c, slot.data, slot.length);
                probe.read(i);
                // Handed over before the leaf is hashed, so that both digests run over it at once.
                whole.filled.add(slot);
                leafHash(leaf, slot.data, slot.length, leaves, i);
            }
            checkAtEnd(c);
            whole.filled.add(Slot.END);
            joinUninterruptibly(hasher);
            byte[] sha256 = whole.result;
            if (sha256 == null) {
                throw new IllegalStateException("the whole-file hashing thread stopped");
            }
            return sha256;
        } finally {
            // Also after a failure the second thread must end: told to stop, it ends after at most one chunk.
            whole.stop = true;
            whole.filled.offer(Slot.END);
            joinUninterruptibly(hasher);
            whole.wipe();
        }
    }

    private static int chunkLength(long size, int chunkSize, int index) {
        return (int) Math.min(chunkSize, size - (long) index * chunkSize);
    }

    /** Reads {@code len} bytes at the channel's position; SOURCE_CHANGED if the file ends sooner. */
    private static void readFully(FileChannel c, byte[] into, int len) throws IOException, FileTransferException {
        ByteBuffer buf = ByteBuffer.wrap(into, 0, len);
        while (buf.hasRemaining()) {
            if (c.read(buf) < 0) {
                throw changed();
            }
        }
    }

    /** SOURCE_CHANGED if the file has grown past the size it was hashed to. */
    private static void checkAtEnd(FileChannel c) throws IOException, FileTransferException {
        byte[] one = new byte[1];
        try {
            if (c.read(ByteBuffer.wrap(one)) > 0) {
                throw changed();
            }
        } finally {
            one[0] = 0;
        }
    }

    /** SHA-256(0x00 || chunk) (as {@link MerkleTree#leafHash}) into leaf {@code index}'s slot. */
    private static void leafHash(MessageDigest leaf, byte[] chunk, int len, byte[] leaves, int index) {
        leaf.update((byte) 0);
        leaf.update(chunk, 0, len);
        try {
            leaf.digest(leaves, index * MerkleTree.HASH_LENGTH, MerkleTree.HASH_LENGTH);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException("a 32-byte slot always fits a SHA-256", e);
        }
    }

    /** Joins {@code t}, which is sure to end soon; an interrupt meanwhile is kept for the caller. */
    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** One buffer of the ring with the length of the chunk it holds; handed between threads by the queues. */
    private static final class Slot {
        /** Sent to the second thread: no more chunks. */
        static final Slot END = new Slot(0);
        /** Sent back to the reader: the second thread stopped without a result. */
        static final Slot FAILED = new Slot(0);

        final byte[] data;
        int length;

        Slot(int capacity) {
            this.data = new byte[capacity];
        }
    }

    /** The second thread of {@link #hashOnTwoThreads}: the whole file's SHA-256 over the buffers in order. */
    private static final class WholeFileHash implements Runnable {
        /** A few chunks ahead are enough for the reader not to wait on an uneven pace; more only costs memory. */
        private static final int RING = 3;

        private final Slot[] ring = new Slot[RING];
        /** Room for every buffer and one END or FAILED, so that adding never blocks or fails. */
        final BlockingQueue<Slot> filled = new ArrayBlockingQueue<>(RING + 1);
        final BlockingQueue<Slot> free = new ArrayBlockingQueue<>(RING + 1);
        volatile boolean stop;
        /** Written before the thread ends, read after joining it. */
        byte[] result;

        WholeFileHash(int chunkSize) {
            for (int i = 0; i < RING; i++) {
                ring[i] = new Slot(chunkSize);
                free.add(ring[i]);
            }
        }

        @Override
        public void run() {
            MessageDigest whole = MerkleTree.sha256();
            boolean done = false;
            try {
                for (Slot s = filled.take(); !stop && s != Slot.END; s = filled.take()) {
                    whole.update(s.data, 0, s.length);
                    free.add(s);
                }
                if (!stop) {
                    result = whole.digest();
                    done = true;
                }
            } catch (InterruptedException e) {
                // Only prepare's own code reaches this thread, and it never interrupts it: end all the same.
                Thread.currentThread().interrupt();
            } finally {
                whole.reset();
                if (!done) {
                    // The reader may be waiting for a buffer that will not come back.
                    free.offer(Slot.FAILED);
                }
            }
        }

        /** Called once the thread has ended: the buffers held the user's file. */
        void wipe() {
            for (Slot s : ring) {
                Arrays.fill(s.data, (byte) 0);
            }
        }
    }

    /** Test seam: what {@link #prepare(Path, int, long, long, Probe)} does, told on the reading thread. */
    interface Probe {
        Probe NONE = new Probe() {
        };

        /** The second thread has started: the file is hashed on two threads. */
        default void hashing(Thread hasher) {
        }

        /** Chunk {@code index} has been read, not yet hashed. */
        default void read(int index) throws IOException {
        }
    }

    /**
     * The source of a stored outgoing transfer after a restart, with the leaves it was offered with (not
     * hashed again: every {@link #readChunk} checks its chunk). Such a source has no {@link #sha256()}.
     */
    public static SourceFile reopen(Path file, long size, int chunkSize, List<byte[]> leaves) {
        checkChunkSize(chunkSize);
        if (size < 0 || FileOffer.chunkCount(size, chunkSize) != leaves.size()) {
            throw new IllegalArgumentException("one leaf per chunk");
        }
        byte[] flat = new byte[leaves.size() * MerkleTree.HASH_LENGTH];
        for (int i = 0; i < leaves.size(); i++) {
            byte[] l = leaves.get(i);
            if (l.length != MerkleTree.HASH_LENGTH) {
                throw new IllegalArgumentException("a leaf is " + MerkleTree.HASH_LENGTH + " bytes");
            }
            System.arraycopy(l, 0, flat, i * MerkleTree.HASH_LENGTH, MerkleTree.HASH_LENGTH);
        }
        return new SourceFile(Objects.requireNonNull(file), size, chunkSize, flat, null);
    }

    /**
     * Chunk {@code index}'s bytes, read at its offset. SOURCE_CHANGED ("the file changed since it was offered")
     * when they no longer hash to the offered leaf, are short, or the file is gone; BAD_INDEX past the end.
     */
    public byte[] readChunk(int index) throws FileTransferException {
        if (index < 0 || index >= chunkCount) {
            throw new FileTransferException(FileTransferException.Reason.BAD_INDEX, "chunk index out of range");
        }
        int len = (int) Math.min(chunkSize, size - (long) index * chunkSize);
        byte[] chunk = new byte[len];
        ByteBuffer buf = ByteBuffer.wrap(chunk);
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            long pos = (long) index * chunkSize;
            while (buf.hasRemaining()) {
                int n = c.read(buf, pos);
                if (n < 0) {
                    throw changed();
                }
                pos += n;
            }
        } catch (NoSuchFileException e) {
            throw changed();
        } catch (IOException e) {
            throw new FileTransferException(FileTransferException.Reason.SOURCE_CHANGED,
                    "the file changed since it was offered: it cannot be read", e);
        }
        int at = index * MerkleTree.HASH_LENGTH;
        if (!MessageDigest.isEqual(MerkleTree.leafHash(chunk, 0, len),
                Arrays.copyOfRange(leaves, at, at + MerkleTree.HASH_LENGTH))) {
            throw changed();
        }
        return chunk;
    }

    /**
     * Chunk {@code index} read as {@link #readChunk} reads it (SOURCE_CHANGED unless its bytes hash to the offered
     * leaf) and sealed for {@code offer} with {@code auditPath} (§24.3): {@link ChunkSealer} checks that leaf's
     * path to the offer's root but does not hash the data a second time, the check just made being the one
     * sealing needs. Our copy of the plaintext is wiped.
     */
    public byte[] sealChunk(FileOffer offer, int index, List<byte[]> auditPath) throws FileTransferException {
        byte[] data = readChunk(index);
        try {
            return ChunkSealer.sealRead(offer, index, data, leaf(index), auditPath);
        } finally {
            Arrays.fill(data, (byte) 0);
        }
    }

    public Path file() {
        return file;
    }

    public long size() {
        return size;
    }

    public int chunkSize() {
        return chunkSize;
    }

    public int chunkCount() {
        return chunkCount;
    }

    /** Copies of the leaf hashes, in chunk order. */
    public List<byte[]> leaves() {
        List<byte[]> out = new ArrayList<>(chunkCount);
        for (int i = 0; i < chunkCount; i++) {
            out.add(leaf(i));
        }
        return out;
    }

    /** A copy of chunk {@code index}'s leaf hash. */
    public byte[] leaf(int index) {
        Objects.checkIndex(index, chunkCount);
        int at = index * MerkleTree.HASH_LENGTH;
        return Arrays.copyOfRange(leaves, at, at + MerkleTree.HASH_LENGTH);
    }

    /** The whole file's SHA-256 as read by {@link #prepare}; a {@link #reopen}ed source has none. */
    public byte[] sha256() {
        if (sha256 == null) {
            throw new IllegalStateException("a reopened source was not hashed again: the offer holds its SHA-256");
        }
        return sha256.clone();
    }

    @Override
    public String toString() {
        return "SourceFile[" + size + " bytes, " + chunkCount + " chunks]";
    }

    private static void checkChunkSize(int chunkSize) {
        if (chunkSize < FileOffer.MIN_CHUNK_SIZE || chunkSize > FileOffer.MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunk size out of range: " + chunkSize);
        }
    }

    private static FileTransferException changed() {
        return new FileTransferException(FileTransferException.Reason.SOURCE_CHANGED,
                "the file changed since it was offered");
    }

    private static FileTransferException storage(String sentence) {
        return new FileTransferException(FileTransferException.Reason.STORAGE_FAILED, sentence);
    }
}
