package org.securep2p.app.files;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

/**
 * One sealed chunk as it travels outside the ratchet (PROTOCOL.md §24.3): {@code file_id || u32 index || var32
 * sealed}. Only the layout is checked here ({@code index} below {@link FileOffer#MAX_CHUNK_COUNT}, {@code sealed}
 * {@link #MIN_SEALED}..{@link #MAX_SEALED} bytes); whether it opens is {@link ChunkSealer#open}'s. Immutable.
 */
@SuppressWarnings("ArrayRecordComponent") // copied in and out; equals and hashCode below compare the contents
public record Chunk(FileId id, int index, byte[] sealed) {

    /** The depth byte and the AEAD tag: an empty chunk with no path. */
    public static final int MIN_SEALED = 1 + 16;
    /** The depth byte, the longest path, the largest chunk and the tag. */
    public static final int MAX_SEALED = 1 + MerkleTree.MAX_DEPTH * MerkleTree.HASH_LENGTH + FileOffer.MAX_CHUNK_SIZE
            + 16;

    /** What {@link #encode} adds around the sealed bytes: the file id, the index and the length. */
    private static final int ENVELOPE = FileId.LENGTH + 4 + 4;

    public Chunk {
        Objects.requireNonNull(id);
        if (index < 0 || index >= FileOffer.MAX_CHUNK_COUNT) {
            throw new IllegalArgumentException("chunk index out of range");
        }
        if (Objects.requireNonNull(sealed).length < MIN_SEALED || sealed.length > MAX_SEALED) {
            throw new IllegalArgumentException("sealed chunk must be " + MIN_SEALED + ".." + MAX_SEALED + " bytes");
        }
        sealed = sealed.clone();
    }

    @Override
    public byte[] sealed() {
        return sealed.clone();
    }

    /**
     * The sealed bytes themselves, not a copy, for {@link ChunkSealer#open(FileOffer, Chunk)}, which only reads
     * them: a quarter-megabyte copy per chunk shows in a transfer's profile.
     */
    byte[] sealedBytes() {
        return sealed;
    }

    /** The length of {@link #encode()}. */
    public int encodedLength() {
        return ENVELOPE + sealed.length;
    }

    public byte[] encode() {
        ByteBuffer out = ByteBuffer.allocate(encodedLength());
        encodeInto(out);
        return out.array();
    }

    /**
     * Writes {@link #encode()}'s bytes at {@code out}'s position (big-endian, as {@link StrictWriter} writes):
     * a frame that carries the chunk is then built with one copy of the sealed bytes.
     */
    public void encodeInto(ByteBuffer out) {
        out.put(id.bytes()).putInt(index).putInt(sealed.length).put(sealed);
    }

    /** Reads a chunk; any deviation from the layout is BAD_ENCODING. */
    public static Chunk decode(byte[] encoded) throws CryptoException {
        StrictReader r = new StrictReader(Objects.requireNonNull(encoded, "encoded"), "chunk");
        Chunk c = read(r);
        r.expectEnd();
        return c;
    }

    /**
     * Reads a chunk at {@code r}'s position and leaves {@code r} just past it (for a frame that carries one:
     * no copy of its slice first); any deviation from the layout is BAD_ENCODING.
     */
    public static Chunk read(StrictReader r) throws CryptoException {
        FileId id = FileId.of(r.fixed(FileId.LENGTH, "file id"));
        int index = r.u32("index");
        if (index >= FileOffer.MAX_CHUNK_COUNT) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chunk: index out of range");
        }
        byte[] sealed = r.var32(MIN_SEALED, MAX_SEALED, "sealed");
        return new Chunk(id, index, sealed);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Chunk other && id.equals(other.id) && index == other.index
                && MessageDigest.isEqual(sealed, other.sealed);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * id.hashCode() + index) + Arrays.hashCode(sealed);
    }

    @Override
    public String toString() {
        return "Chunk[" + id + " #" + index + ", " + sealed.length + " bytes]";
    }
}
