package org.securep2p.app.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Objects;
import java.util.Set;

import org.securep2p.keymanager.SecureFiles;

/**
 * One incoming transfer's bytes on disk (PROTOCOL.md §24.6): the {@code .part} (created 0600, a symbolic link in
 * its place is not followed), each verified chunk written at its offset, and the journal beside the transfer's
 * file, one record {@code u32 index || leaf[32]} appended after each chunk's data. Neither is fsynced per chunk
 * (the {@code .part}'s data is forced every {@link #FORCE_EVERY} bytes, for the latency of everything else that
 * fsyncs, not for safety); instead {@link #open} replays the journal and keeps a chunk only if its bytes in the
 * {@code .part} still hash to the journaled leaf, so after a crash or a power loss {@link #have()} never claims a
 * chunk the disk lost or tore (such a chunk is simply asked for again). A torn last record is cut off.
 * {@link #sha256()} is the SHA-256 of the bytes written at their offsets, taken after forcing the file to disk: the
 * chunks written in order from the start are hashed as they are written (so a transfer's end does not wait for the
 * whole file to be read back), the rest (chunks that came out of order, or before a reopen) are read back from the
 * file.
 *
 * <p>Thread-safe: every method takes the one lock. Not its job: verifying chunks (the caller writes only
 * chunks whose audit path it checked, with that leaf) nor naming or renaming the file.
 */
public final class ReceivingFile implements AutoCloseable {

    static final int RECORD = 4 + MerkleTree.HASH_LENGTH;
    /** Replay and hashing read this much at a time. */
    private static final int BUFFER = 1 << 20;
    /**
     * Written data is forced to disk once this much is unforced. On ext4 (ordered data, the Linux default) an
     * fsync of any small file, such as a text's ratchet state or history row, waits for the data another fsync or
     * the kernel's writeback is flushing at the time: left to the final force, a 512 MiB file held such a text up
     * to 400 ms (a 2 GiB file, seconds). Forced as it comes, a flush is at most this much: about 30 ms on the
     * 2-core VM the benches run on. Every 8 MiB held texts less but cost the transfer up to a sixth of its rate
     * there (the flushes' I/O moves into the part of the transfer that is bound by the CPU); every 32 MiB cost
     * nothing measurable on JDK 25.
     */
    static final long FORCE_EVERY = 32L << 20;

    private final Object lock = new Object();
    private final Path part;
    private final Path journal;
    private final long size;
    private final int chunkSize;
    private final int chunkCount;
    private final FileChannel data;
    private final FileChannel log;
    private final BitSet have;
    private long journalLength;
    private long bytesHeld;
    /** Bytes written to the {@code .part} since it was last forced. */
    private long unforced;
    /** SHA-256 of the file's first {@link #prefixHashed} bytes, fed by in-order writes. */
    private final MessageDigest prefix = MerkleTree.sha256();
    private long prefixHashed;
    private boolean closed;

    private ReceivingFile(Path part, Path journal, FileOffer offer, FileChannel data, FileChannel log) {
        this.part = part;
        this.journal = journal;
        this.size = offer.size();
        this.chunkSize = offer.chunkSize();
        this.chunkCount = offer.chunkCount();
        this.data = data;
        this.log = log;
        this.have = new BitSet(chunkCount);
    }

    /**
     * Opens (creating them if absent) {@code part} and {@code journal} for {@code offer}'s file and replays the
     * journal. Only the offer's sizes are used; its key is not kept.
     */
    public static ReceivingFile open(Path part, Path journal, FileOffer offer) throws FileTransferException {
        Objects.requireNonNull(offer);
        FileChannel data = null;
        FileChannel log = null;
        try {
            data = openPrivate(part);
            log = openPrivate(journal);
            ReceivingFile f = new ReceivingFile(part, journal, offer, data, log);
            synchronized (f.lock) {
                if (data.size() > f.size) {
                    // Nothing of ours lies past the end; a longer file would spoil the whole-file hash.
                    data.truncate(f.size);
                }
                f.replay();
            }
            return f;
        } catch (IOException e) {
            closeQuietly(data);
            closeQuietly(log);
            throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED,
                    "cannot open the partial file or its journal", e);
        }
    }

    private static FileChannel openPrivate(Path p) throws IOException {
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        Path dir = p.toAbsolutePath().getParent();
        if (dir != null && SecureFiles.posix(dir)) {
            FileAttribute<?> mode = PosixFilePermissions.asFileAttribute(SecureFiles.FILE_PERMISSIONS);
            return FileChannel.open(p, options, mode);
        }
        return FileChannel.open(p, options);
    }

    /** Reads the journal's whole records; keeps each chunk whose data still matches its leaf. */
    private void replay() throws IOException {
        long length = log.size();
        long whole = length - length % RECORD;
        if (whole != length) {
            // A record torn by a crash: its chunk is fetched again.
            log.truncate(whole);
        }
        journalLength = whole;
        // Flat and in index order: half a million chunks cost 16 MiB here, and the .part is then read forwards.
        byte[] leaves = new byte[chunkCount * MerkleTree.HASH_LENGTH];
        BitSet journaled = new BitSet(chunkCount);
        ByteBuffer buf = ByteBuffer.allocate(BUFFER - BUFFER % RECORD);
        long pos = 0;
        while (pos < whole) {
            buf.clear();
            buf.limit((int) Math.min(buf.capacity(), whole - pos));
            readFully(log, buf, pos);
            buf.flip();
            pos += buf.remaining();
            while (buf.remaining() >= RECORD) {
                int index = buf.getInt();
                if (index >= 0 && index < chunkCount) {
                    // A later record of the same chunk was written after the earlier one: it describes the data.
                    buf.get(leaves, index * MerkleTree.HASH_LENGTH, MerkleTree.HASH_LENGTH);
                    journaled.set(index);
                } else {
                    buf.position(buf.position() + MerkleTree.HASH_LENGTH);
                }
            }
        }
        byte[] chunk = new byte[Math.max(1, (int) Math.min(chunkSize, size))];
        for (int index = journaled.nextSetBit(0); index >= 0; index = journaled.nextSetBit(index + 1)) {
            int len = chunkLength(index);
            ByteBuffer b = ByteBuffer.wrap(chunk, 0, len);
            readFully(data, b, (long) index * chunkSize);
            if (!b.hasRemaining()
                    && MessageDigest.isEqual(MerkleTree.leafHash(chunk, 0, len), Arrays.copyOfRange(leaves,
                            index * MerkleTree.HASH_LENGTH, (index + 1) * MerkleTree.HASH_LENGTH))) {
                have.set(index);
                bytesHeld += len;
            }
        }
    }

    /** Reads into {@code b} from {@code position} until it is full or the file ends. */
    private static void readFully(FileChannel c, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int n = c.read(b, p);
            if (n < 0) {
                return;
            }
            p += n;
        }
    }

    private int chunkLength(int index) {
        return (int) Math.min(chunkSize, size - (long) index * chunkSize);
    }

    /** The chunks held (a copy). */
    public BitSet have() {
        synchronized (lock) {
            return (BitSet) have.clone();
        }
    }

    public int chunkCount() {
        return chunkCount;
    }

    /** The number of data bytes held, for progress. */
    public long bytesHeld() {
        synchronized (lock) {
            return bytesHeld;
        }
    }

    public Path part() {
        return part;
    }

    /**
     * Writes chunk {@code index}'s verified {@code chunk} at its offset, then appends its journal record. False,
     * and nothing written, for a chunk already held. BAD_INDEX or BAD_CHUNK for an index or length that does not
     * fit the offer; NO_SPACE when the disk is full (the caller then {@link #discard()}s); STORAGE_FAILED for
     * any other failure, after which the chunk is not held.
     */
    public boolean write(int index, byte[] chunk, byte[] leafHash) throws FileTransferException {
        Objects.requireNonNull(chunk);
        if (Objects.requireNonNull(leafHash).length != MerkleTree.HASH_LENGTH) {
            throw new IllegalArgumentException("a leaf is " + MerkleTree.HASH_LENGTH + " bytes");
        }
        synchronized (lock) {
            if (index < 0 || index >= chunkCount) {
                throw new FileTransferException(FileTransferException.Reason.BAD_INDEX,
                        "chunk index out of range");
            }
            if (chunk.length != chunkLength(index)) {
                throw new FileTransferException(FileTransferException.Reason.BAD_CHUNK,
                        "chunk length is wrong for its index");
            }
            requireOpen();
            if (have.get(index)) {
                return false;
            }
            ByteBuffer record = ByteBuffer.allocate(RECORD).putInt(index).put(leafHash).flip();
            try {
                writeFully(data, ByteBuffer.wrap(chunk), (long) index * chunkSize);
                writeFully(log, record, journalLength);
                if (unforced + chunk.length >= FORCE_EVERY) {
                    // A delayed allocation that finds the disk full fails here: handled as the write's own failure.
                    data.force(false);
                    unforced = 0;
                } else {
                    unforced += chunk.length;
                }
            } catch (IOException e) {
                undoJournal();
                if (DiskFull.isCause(e, part, chunk.length)) {
                    throw new FileTransferException(FileTransferException.Reason.NO_SPACE,
                            "the disk is full: the file cannot be written", e);
                }
                throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED,
                        "cannot write the partial file or its journal", e);
            }
            journalLength += RECORD;
            have.set(index);
            bytesHeld += chunk.length;
            if ((long) index * chunkSize == prefixHashed) {
                // The next chunk of the prefix, hashed from the bytes just written at its offset.
                prefix.update(chunk);
                prefixHashed += chunk.length;
            }
            return true;
        }
    }

    /** As {@link #write(int, byte[], byte[])} for an opened chunk's data and leaf (read, not copied). */
    public boolean write(int index, ChunkSealer.OpenedChunk chunk) throws FileTransferException {
        return write(index, chunk.dataBytes(), chunk.leafBytes());
    }

    /** Cuts off a record half-written by a failed append, so the next append starts on a record boundary. */
    private void undoJournal() {
        try {
            if (log.size() > journalLength) {
                log.truncate(journalLength);
            }
        } catch (IOException e) {
            // A torn tail is also cut off at the next open.
        }
    }

    private static void writeFully(FileChannel c, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            p += c.write(b, p);
        }
    }

    /** Bytes written since the {@code .part} was last forced (tests). */
    long unforcedBytes() {
        synchronized (lock) {
            return unforced;
        }
    }

    /** Whether every chunk is held. */
    public boolean complete() {
        synchronized (lock) {
            return have.cardinality() == chunkCount;
        }
    }

    /**
     * Forces the {@code .part} to disk and returns the SHA-256 of the whole file as written (for the check of
     * §24.4). Only when {@link #complete()}; STORAGE_FAILED if it cannot be read or is not the offer's size.
     */
    public byte[] sha256() throws FileTransferException {
        synchronized (lock) {
            requireOpen();
            if (have.cardinality() != chunkCount) {
                throw new IllegalStateException("the file is not complete");
            }
            try {
                data.force(true);
                if (data.size() != size) {
                    throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED,
                            "the partial file is not the offered size");
                }
                // A copy: a failed read-back leaves the prefix's state for another try.
                MessageDigest d = (MessageDigest) prefix.clone();
                ByteBuffer buf = ByteBuffer.allocate(BUFFER);
                long pos = prefixHashed;
                while (pos < size) {
                    buf.clear();
                    int n = data.read(buf, pos);
                    if (n < 0) {
                        throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED,
                                "the partial file ended early");
                    }
                    d.update(buf.array(), 0, n);
                    pos += n;
                }
                return d.digest();
            } catch (IOException e) {
                throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED,
                        "cannot read the partial file", e);
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("the JDK's SHA-256 can be cloned", e);
            }
        }
    }

    /** Closes and deletes the {@code .part} and the journal; STORAGE_FAILED if either is still there. */
    public void discard() throws FileTransferException {
        synchronized (lock) {
            closeLocked();
            IOException failure = null;
            for (Path p : new Path[] {part, journal}) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    failure = e;
                }
            }
            if (failure != null) {
                throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED,
                        "cannot delete the partial file or its journal", failure);
            }
        }
    }

    /** Closes both files; what was written stays (without fsync: see the class comment). */
    @Override
    public void close() {
        synchronized (lock) {
            closeLocked();
        }
    }

    private void closeLocked() {
        closed = true;
        closeQuietly(data);
        closeQuietly(log);
    }

    private void requireOpen() throws FileTransferException {
        if (closed) {
            throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED, "the file is closed");
        }
    }

    private static void closeQuietly(FileChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // Nothing more to do with it.
            }
        }
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "ReceivingFile[" + have.cardinality() + "/" + chunkCount + " chunks]";
        }
    }
}
