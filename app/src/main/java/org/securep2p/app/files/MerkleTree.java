package org.securep2p.app.files;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The Merkle tree over a file's chunks (PROTOCOL.md §24.4): RFC 9162 §2.1 with SHA-256, leaf = SHA-256(0x00 ||
 * data), node = SHA-256(0x01 || left || right).
 */
public final class MerkleTree {

    public static final int HASH_LENGTH = 32;

    private MerkleTree() {
    }

    /** SHA-256(0x00 || data[offset, offset + length)): the leaf hash of one chunk's plaintext. */
    public static byte[] leafHash(byte[] data, int offset, int length) {
        MessageDigest d = sha256();
        d.update((byte) 0);
        d.update(data, offset, length);
        return d.digest();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
