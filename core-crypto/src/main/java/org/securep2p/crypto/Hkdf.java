package org.securep2p.crypto;

import java.util.Arrays;
import java.util.Objects;

import javax.crypto.Mac;

import static org.securep2p.crypto.CryptoException.Reason.UNSUPPORTED_PARAMETER;

/**
 * HKDF (RFC 5869) over SHA-256 or SHA-512: HKDF-Extract then HKDF-Expand, composed from the JDK's HMAC
 * exactly as RFC 5869 section 2 defines them (checked against RFC 5869's and Project Wycheproof's vectors).
 * Every caller passes a namespaced label inside {@code info}, so no derived key can be repurposed.
 */
public final class Hkdf {

    private Hkdf() {
    }

    /**
     * {@code OKM = HKDF-Expand(HKDF-Extract(salt, ikm), info, length)}. An empty or null {@code salt} means a
     * string of zeros of the hash length (RFC 5869, section 2.2). Lengths outside 1..255·HashLen are refused.
     */
    public static SecretBytes derive(HashFunction hash, byte[] ikm, byte[] salt, byte[] info, int length)
            throws CryptoException {
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(ikm, "ikm");
        Objects.requireNonNull(info, "info");
        int hashLen = hash.outputLength();
        if (length < 1 || length > 255 * hashLen) {
            throw new CryptoException(UNSUPPORTED_PARAMETER, "HKDF output length " + length + " outside 1.."
                    + 255 * hashLen);
        }
        Mac mac = hash.mac();
        byte[] prk = Hmac.compute(mac, hash, salt == null || salt.length == 0 ? new byte[hashLen] : salt, ikm);
        byte[] okm = new byte[length];
        byte[] t = new byte[hashLen];
        try {
            Hmac.init(mac, hash, prk);
            for (int i = 1, done = 0; done < length; i++) {
                if (i > 1) {
                    mac.update(t);
                }
                mac.update(info);
                mac.update((byte) i);
                // Mac.doFinal(byte[], int) copies from an array of its own that it never wipes; this one is ours.
                byte[] block = mac.doFinal();
                System.arraycopy(block, 0, t, 0, hashLen);
                Arrays.fill(block, (byte) 0);
                int n = Math.min(hashLen, length - done);
                System.arraycopy(t, 0, okm, done, n);
                done += n;
            }
            return SecretBytes.takeOwnership(okm);
        } finally {
            Arrays.fill(prk, (byte) 0);
            Arrays.fill(t, (byte) 0);
        }
    }
}
