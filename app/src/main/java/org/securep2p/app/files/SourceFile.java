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

/**
 * The sender's file (PROTOCOL.md §24.5): {@link #prepare} reads it once, computing every chunk's leaf hash and
 * the whole file's SHA-256 in the same pass; {@link #readChunk} later hands out a chunk only if its bytes still
 * hash to that leaf, so a chunk is never sealed from data other than what was offered (which would put two
 * plaintexts under one key and nonce, §24.3). A file that changed or vanished is SOURCE_CHANGED.
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
     */
    public static SourceFile prepare(Path file, int chunkSize, long maxBytes) throws FileTransferException {
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
            MessageDigest whole = MerkleTree.sha256();
            MessageDigest leaf = MerkleTree.sha256();
            byte[] chunk = new byte[chunkSize];
            ByteBuffer buf = ByteBuffer.wrap(chunk);
            for (int i = 0; i < count; i++) {
                int len = (int) Math.min(chunkSize, size - (long) i * chunkSize);
                buf.clear().limit(len);
                while (buf.hasRemaining()) {
                    if (c.read(buf) < 0) {
                        throw changed();
                    }
                }
                whole.update(chunk, 0, len);
                leaf.update((byte) 0);
                leaf.update(chunk, 0, len);
                leaf.digest(leaves, i * MerkleTree.HASH_LENGTH, MerkleTree.HASH_LENGTH);
            }
            buf.clear().limit(1);
            if (c.read(buf) > 0) {
                throw changed();
            }
            return new SourceFile(file, size, chunkSize, leaves, whole.digest());
        } catch (NoSuchFileException e) {
            throw storage("the file does not exist");
        } catch (AccessDeniedException e) {
            throw storage("the file cannot be read");
        } catch (java.security.DigestException e) {
            throw new IllegalStateException("a 32-byte slot always fits a SHA-256", e);
        } catch (IOException e) {
            throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED,
                    "the file cannot be read", e);
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
