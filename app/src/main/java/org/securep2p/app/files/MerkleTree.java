package org.securep2p.app.files;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The Merkle tree over a file's chunks (PROTOCOL.md §24.4): RFC 9162 §2.1 with SHA-256, leaf = SHA-256(0x00 ||
 * data), node = SHA-256(0x01 || left || right), split at the largest power of two below n; the root of no leaves
 * is SHA-256(""). Built bottom-up, a lone last node of a level moving up unchanged, which gives the same tree.
 * Immutable; hashes go in and out as copies.
 */
public final class MerkleTree {

    public static final int HASH_LENGTH = 32;
    /** No path is longer: a file has at most 2^19 chunks, and a tree of 2^32 leaves would need 32 levels. */
    public static final int MAX_DEPTH = 32;

    /** levels[0] holds the leaf hashes, each level the next one up, 32 bytes per node, flat to keep it small. */
    private final byte[][] levels;
    private final int count;

    private MerkleTree(byte[][] levels, int count) {
        this.levels = levels;
        this.count = count;
    }

    /** SHA-256(0x00 || data[offset, offset + length)): the leaf hash of one chunk's plaintext. */
    public static byte[] leafHash(byte[] data, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, data.length);
        MessageDigest d = sha256();
        d.update((byte) 0);
        d.update(data, offset, length);
        return d.digest();
    }

    /** The tree whose leaf hashes are {@code leaves} (each 32 bytes, copied). */
    public static MerkleTree of(List<byte[]> leaves) {
        int n = leaves.size();
        byte[] level = new byte[n * HASH_LENGTH];
        for (int i = 0; i < n; i++) {
            byte[] leaf = leaves.get(i);
            if (leaf.length != HASH_LENGTH) {
                throw new IllegalArgumentException("a leaf hash is 32 bytes");
            }
            System.arraycopy(leaf, 0, level, i * HASH_LENGTH, HASH_LENGTH);
        }
        List<byte[]> built = new ArrayList<>();
        built.add(level);
        MessageDigest d = sha256();
        for (int size = n; size > 1; size = (size + 1) / 2) {
            byte[] below = level;
            level = new byte[(size + 1) / 2 * HASH_LENGTH];
            for (int i = 0; i + 1 < size; i += 2) {
                d.update((byte) 1);
                d.update(below, i * HASH_LENGTH, 2 * HASH_LENGTH);
                System.arraycopy(d.digest(), 0, level, i / 2 * HASH_LENGTH, HASH_LENGTH);
            }
            if (size % 2 == 1) {
                System.arraycopy(below, (size - 1) * HASH_LENGTH, level, size / 2 * HASH_LENGTH, HASH_LENGTH);
            }
            built.add(level);
        }
        return new MerkleTree(built.toArray(new byte[0][]), n);
    }

    /** The number of leaves. */
    public int count() {
        return count;
    }

    /** The tree head: SHA-256("") for no leaves. */
    public byte[] root() {
        if (count == 0) {
            return sha256().digest();
        }
        return Arrays.copyOf(levels[levels.length - 1], HASH_LENGTH);
    }

    /** Leaf {@code index}'s hash (a copy). */
    public byte[] leaf(int index) {
        Objects.checkIndex(index, count);
        return Arrays.copyOfRange(levels[0], index * HASH_LENGTH, (index + 1) * HASH_LENGTH);
    }

    /** RFC 9162 §2.1.3.1's audit path of leaf {@code index}, leaf side first; {@link #depth} hashes. */
    public List<byte[]> auditPath(int index) {
        Objects.checkIndex(index, count);
        List<byte[]> path = new ArrayList<>();
        int i = index;
        for (int l = 0, size = count; size > 1; l++, size = (size + 1) / 2) {
            int sibling = i ^ 1;
            if (sibling < size) {
                path.add(Arrays.copyOfRange(levels[l], sibling * HASH_LENGTH, (sibling + 1) * HASH_LENGTH));
            }
            i >>>= 1;
        }
        return List.copyOf(path);
    }

    /** The length of leaf {@code index}'s audit path in a tree of {@code count} leaves (0 ≤ index < count). */
    public static int depth(int index, int count) {
        Objects.checkIndex(index, count);
        int depth = 0;
        int i = index;
        for (int size = count; size > 1; size = (size + 1) / 2) {
            if ((i ^ 1) < size) {
                depth++;
            }
            i >>>= 1;
        }
        return depth;
    }

    /**
     * RFC 9162 §2.1.3.2: whether {@code path} proves {@code leafHash} is leaf {@code index} of the tree of
     * {@code count} leaves with head {@code root}. The final comparison is constant-time.
     */
    public static boolean verify(byte[] leafHash, int index, int count, List<byte[]> path, byte[] root) {
        if (leafHash.length != HASH_LENGTH || root.length != HASH_LENGTH || index < 0 || index >= count
                || path.size() > MAX_DEPTH) {
            return false;
        }
        long fn = index;
        long sn = count - 1L;
        byte[] r = leafHash.clone();
        MessageDigest d = sha256();
        for (byte[] p : path) {
            if (p.length != HASH_LENGTH || sn == 0) {
                return false;
            }
            d.update((byte) 1);
            if ((fn & 1) == 1 || fn == sn) {
                d.update(p);
                d.update(r);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                d.update(r);
                d.update(p);
            }
            r = d.digest();
            fn >>>= 1;
            sn >>>= 1;
        }
        boolean same = MessageDigest.isEqual(r, root);
        return same && sn == 0;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return "MerkleTree[" + count + " leaves]";
    }
}
