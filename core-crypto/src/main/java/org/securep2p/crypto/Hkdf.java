package org.securep2p.crypto;

import java.util.Objects;

import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

import static org.securep2p.crypto.CryptoException.Reason.UNSUPPORTED_PARAMETER;

/**
 * HKDF (RFC 5869) over SHA-256 or SHA-512, through Bouncy Castle. Every caller passes a namespaced label
 * from {@link Labels} inside {@code info}, so no derived key can be repurposed.
 */
public final class Hkdf {

    private Hkdf() {
    }

    /**
     * HKDF-Extract then HKDF-Expand. An empty or null {@code salt} means a string of zeros of the hash length
     * (RFC 5869, section 2.2). Output lengths outside 1..255·HashLen are refused.
     */
    public static SecretBytes derive(HashFunction hash, byte[] ikm, byte[] salt, byte[] info, int length)
            throws CryptoException {
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(ikm, "ikm");
        Objects.requireNonNull(info, "info");
        if (length < 1 || length > 255 * hash.outputLength()) {
            throw new CryptoException(UNSUPPORTED_PARAMETER, "HKDF output length " + length + " outside 1.."
                    + 255 * hash.outputLength());
        }
        HKDFBytesGenerator gen = new HKDFBytesGenerator(hash.newDigest());
        gen.init(new HKDFParameters(ikm, salt == null || salt.length == 0 ? null : salt, info));
        byte[] out = new byte[length];
        gen.generateBytes(out, 0, length);
        return SecretBytes.takeOwnership(out);
    }
}
