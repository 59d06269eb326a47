package org.securep2p.crypto;

import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;

/** The hash functions a {@link SecurityLevel} may name for its KDF and transcript. */
public enum HashFunction {
    SHA_256("SHA-256", 32),
    SHA_512("SHA-512", 64);

    private final String standardName;
    private final int outputLength;

    HashFunction(String standardName, int outputLength) {
        this.standardName = standardName;
        this.outputLength = outputLength;
    }

    /** The name used in KDF labels and in {@code docs/PROTOCOL.md}, e.g. {@code SHA-512}. */
    public String standardName() {
        return standardName;
    }

    public int outputLength() {
        return outputLength;
    }

    Digest newDigest() {
        return this == SHA_256 ? new SHA256Digest() : new SHA512Digest();
    }

    byte[] hash(byte[]... parts) {
        Digest d = newDigest();
        for (byte[] p : parts) {
            d.update(p, 0, p.length);
        }
        byte[] out = new byte[outputLength];
        d.doFinal(out, 0);
        return out;
    }
}
