package org.securep2p.app.files;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.securep2p.crypto.Aead;
import org.securep2p.crypto.AeadAlgorithm;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HashFunction;
import org.securep2p.crypto.Hkdf;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictWriter;

/**
 * Seals and opens one chunk of a file (PROTOCOL.md §24.3): AES-256-GCM under a key of its own derived from the
 * offer's file key, zero nonce, the audit path inside the AEAD. Sealing checks the data against the offer's root
 * first, so a key and nonce only ever seal the one plaintext the tree fixes: sealing the same chunk again gives
 * the same bytes. Opening checks, in order, the AEAD, the depth and data length for the index, and the path to
 * the root, and says which failed.
 */
public final class ChunkSealer {

    private static final byte[] LABEL = "securep2p/v1/file/chunk\0".getBytes(StandardCharsets.US_ASCII);
    private static final String PAST_THE_END = "The chunk index is past the file's end.";
    private static final String WRONG_LENGTH = "The chunk's path depth or length is wrong for its index.";
    private static final String NOT_IN_TREE = "The chunk's audit path does not lead to the offer's Merkle root.";

    /**
     * What a chunk held: its data and the leaf hash it was verified under. Immutable: {@link #data()} and
     * {@link #leafHash()} hand out copies; the package's {@link ReceivingFile} writes the data without one.
     */
    public static final class OpenedChunk {
        private final byte[] data;
        private final byte[] leafHash;

        /** Takes both arrays as they are: only {@link #open} makes one, from arrays it keeps no reference to. */
        private OpenedChunk(byte[] data, byte[] leafHash) {
            this.data = data;
            this.leafHash = leafHash;
        }

        public byte[] data() {
            return data.clone();
        }

        public byte[] leafHash() {
            return leafHash.clone();
        }

        /** The data's length, without a copy. */
        public int length() {
            return data.length;
        }

        /** The data itself, for {@link ReceivingFile#write(int, OpenedChunk)}, which only reads it. */
        byte[] dataBytes() {
            return data;
        }

        /** The leaf itself, read as {@link #dataBytes()} is. */
        byte[] leafBytes() {
            return leafHash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof OpenedChunk other && MessageDigest.isEqual(data, other.data)
                    && MessageDigest.isEqual(leafHash, other.leafHash);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(leafHash);
        }

        @Override
        public String toString() {
            return "OpenedChunk[" + data.length + " bytes]";
        }
    }

    private ChunkSealer() {
    }

    /**
     * Seals chunk {@code index} of {@code offer}: {@code data} must be its bytes and {@code auditPath} its path in
     * the offer's tree (checked: otherwise IllegalArgumentException, nothing sealed; a sender whose file changed
     * reads SOURCE_CHANGED before it gets here).
     */
    public static byte[] seal(FileOffer offer, int index, byte[] data, List<byte[]> auditPath) {
        checkIndex(offer, index);
        if (data.length != offer.chunkLength(index)) {
            throw new IllegalArgumentException("chunk " + index + " must be " + offer.chunkLength(index) + " bytes");
        }
        if (!MerkleTree.verify(MerkleTree.leafHash(data, 0, data.length), index, offer.chunkCount(), auditPath,
                offer.merkleRoot())) {
            throw new IllegalArgumentException("chunk " + index + " does not match the offer's Merkle root");
        }
        return sealUnchecked(offer, index, data, auditPath);
    }

    /**
     * As {@link #seal} for {@code data} that {@link SourceFile#sealChunk} has just checked hashes to
     * {@code leafHash}: only that leaf's path to the root is checked here (a quarter-megabyte SHA-256 per chunk
     * not done twice).
     */
    static byte[] sealRead(FileOffer offer, int index, byte[] data, byte[] leafHash, List<byte[]> auditPath) {
        checkIndex(offer, index);
        if (data.length != offer.chunkLength(index)) {
            throw new IllegalArgumentException("chunk " + index + " must be " + offer.chunkLength(index) + " bytes");
        }
        if (!MerkleTree.verify(leafHash, index, offer.chunkCount(), auditPath, offer.merkleRoot())) {
            throw new IllegalArgumentException("chunk " + index + " does not match the offer's Merkle root");
        }
        return sealUnchecked(offer, index, data, auditPath);
    }

    /** Seals without checking the tree: for tests that need a chunk with a valid AEAD around a wrong path. */
    static byte[] sealUnchecked(FileOffer offer, int index, byte[] data, List<byte[]> auditPath) {
        if (auditPath.size() > MerkleTree.MAX_DEPTH) {
            throw new IllegalArgumentException("an audit path is at most " + MerkleTree.MAX_DEPTH + " hashes");
        }
        // u8 depth || path || data, laid out at once in an array of its exact size: one copy of the data, where a
        // writer would make two (its buffer, then the array it hands out).
        byte[] plaintext = new byte[1 + auditPath.size() * MerkleTree.HASH_LENGTH + data.length];
        plaintext[0] = (byte) auditPath.size();
        int at = 1;
        for (byte[] p : auditPath) {
            if (p.length != MerkleTree.HASH_LENGTH) {
                throw new IllegalArgumentException("a path hash is 32 bytes");
            }
            System.arraycopy(p, 0, plaintext, at, MerkleTree.HASH_LENGTH);
            at += MerkleTree.HASH_LENGTH;
        }
        System.arraycopy(data, 0, plaintext, at, data.length);
        byte[] ad = associatedData(offer, index);
        try (SecretBytes key = chunkKey(offer, index); Aead aead = Aead.singleUse(AeadAlgorithm.AES_256_GCM, key)) {
            try {
                return aead.encrypt(plaintext, ad);
            } catch (CryptoException e) {
                if (e.reason() != CryptoException.Reason.KEY_REUSE) {
                    throw e;
                }
                return sealAgain(key, ad, plaintext);
            }
        } catch (CryptoException e) {
            throw new IllegalStateException("sealing a chunk failed", e);
        } finally {
            // The plaintext is the user's file: no copy of it is left behind by us.
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    /**
     * Opens chunk {@code index} of {@code offer}: BAD_INDEX for an index past the offer's chunks, BAD_CHUNK when
     * the AEAD does not open or the depth or data length is wrong for the index, BAD_PROOF when the audit path
     * does not lead to the offer's root.
     */
    public static OpenedChunk open(FileOffer offer, int index, byte[] sealed) throws FileTransferException {
        if (index < 0 || index >= offer.chunkCount()) {
            throw new FileTransferException(FileTransferException.Reason.BAD_INDEX, PAST_THE_END);
        }
        byte[] plaintext;
        try (SecretBytes key = chunkKey(offer, index); Aead aead = Aead.singleUse(AeadAlgorithm.AES_256_GCM, key)) {
            plaintext = aead.decrypt(sealed, associatedData(offer, index));
        } catch (CryptoException e) {
            throw new FileTransferException(FileTransferException.Reason.BAD_CHUNK, "The chunk does not open.");
        }
        try {
            int depth = MerkleTree.depth(index, offer.chunkCount());
            int dataAt = 1 + depth * MerkleTree.HASH_LENGTH;
            if (plaintext.length < 1 || (plaintext[0] & 0xFF) != depth
                    || plaintext.length - dataAt != offer.chunkLength(index)) {
                throw new FileTransferException(FileTransferException.Reason.BAD_CHUNK, WRONG_LENGTH);
            }
            List<byte[]> path = new ArrayList<>(depth);
            for (int i = 0; i < depth; i++) {
                int at = 1 + i * MerkleTree.HASH_LENGTH;
                path.add(Arrays.copyOfRange(plaintext, at, at + MerkleTree.HASH_LENGTH));
            }
            byte[] leaf = MerkleTree.leafHash(plaintext, dataAt, plaintext.length - dataAt);
            if (!MerkleTree.verify(leaf, index, offer.chunkCount(), path, offer.merkleRoot())) {
                throw new FileTransferException(FileTransferException.Reason.BAD_PROOF, NOT_IN_TREE);
            }
            return new OpenedChunk(Arrays.copyOfRange(plaintext, dataAt, plaintext.length), leaf);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    /** As {@link #open(FileOffer, int, byte[])} for {@code chunk}'s index and sealed bytes (read, not copied). */
    public static OpenedChunk open(FileOffer offer, Chunk chunk) throws FileTransferException {
        return open(offer, chunk.index(), chunk.sealedBytes());
    }

    /**
     * The JDK's AES-GCM refuses to encrypt again under the key and nonce its cipher used last, and core-crypto
     * keeps one cipher per thread: a chunk resent right after it was sent hits that guard. Here the second
     * encryption is by design of the same plaintext (checked against the tree by {@link #seal}), so a cipher of
     * its own, the same JDK AES-GCM, seals it to the same bytes.
     */
    private static byte[] sealAgain(SecretBytes key, byte[] ad, byte[] plaintext) throws CryptoException {
        byte[] k = key.copyBytes();
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), new GCMParameterSpec(128, new byte[12]));
            c.updateAAD(ad);
            return c.doFinal(plaintext);
        } catch (GeneralSecurityException e) {
            throw new CryptoException(CryptoException.Reason.UNSUPPORTED_PARAMETER, "AES-GCM unavailable", e);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    /** key_i = HKDF-SHA-256(ikm = file_key, salt = file_id, info = label || u32 index, 32). */
    private static SecretBytes chunkKey(FileOffer offer, int index) throws CryptoException {
        byte[] info = new StrictWriter().bytes(LABEL).u32(index).toByteArray();
        byte[] ikm = offer.fileKey().copyBytes();
        try {
            return Hkdf.derive(HashFunction.SHA_256, ikm, offer.id().bytes(), info, 32);
        } finally {
            Arrays.fill(ikm, (byte) 0);
        }
    }

    /** ad = label || file_id || u32 index || u64 size || u32 chunk_size || merkle_root. */
    private static byte[] associatedData(FileOffer offer, int index) {
        return new StrictWriter().bytes(LABEL).bytes(offer.id().bytes()).u32(index).u64(offer.size())
                .u32(offer.chunkSize()).bytes(offer.merkleRoot()).toByteArray();
    }

    private static void checkIndex(FileOffer offer, int index) {
        if (index < 0 || index >= offer.chunkCount()) {
            throw new IllegalArgumentException("chunk index " + index + " past the file's " + offer.chunkCount()
                    + " chunks");
        }
    }
}
