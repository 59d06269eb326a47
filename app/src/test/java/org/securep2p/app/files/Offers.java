package org.securep2p.app.files;

import java.security.SecureRandom;
import java.time.Instant;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;

/** Offers for tests: random ids, hashes and keys from the given random. */
final class Offers {

    private Offers() {
    }

    static FileOffer offer(SecureRandom random, String name, long size, int chunkSize) throws CryptoException {
        byte[] sha = new byte[32];
        byte[] root = new byte[32];
        random.nextBytes(sha);
        random.nextBytes(root);
        return offer(random, name, size, chunkSize, sha, root);
    }

    static FileOffer offer(SecureRandom random, String name, long size, int chunkSize, byte[] sha, byte[] root)
            throws CryptoException {
        byte[] key = new byte[32];
        random.nextBytes(key);
        try (SecretBytes k = SecretBytes.copyOf(key)) {
            return new FileOffer(FileId.random(random), Instant.ofEpochMilli(1_765_000_000_000L), name,
                    "application/octet-stream", size, chunkSize, sha, root, k);
        }
    }
}
