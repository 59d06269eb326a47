package org.securep2p.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;


/**
 * A 60-digit number that two people compare (aloud, or by scanning) to verify each other's identity. It is
 * computed from both fingerprints and is the same on both sides whatever the order, as in Signal: each
 * fingerprint yields 30 digits through an iterated hash, and the two halves are concatenated in sorted order.
 */
public final class SafetyNumber {

    public static final int DIGITS = 60;
    /**
     * Iterations of SHA-512 per half, as Signal uses: each half is ~99.7 bits, and the iterations add ~2^12
     * work to every guess of an attacker searching for an identity whose half collides with a victim's.
     */
    static final int ITERATIONS = 5200;

    private final String digits;

    private SafetyNumber(String digits) {
        this.digits = digits;
    }

    public static SafetyNumber of(Fingerprint local, Fingerprint remote) {
        String a = half(Objects.requireNonNull(local, "local"));
        String b = half(Objects.requireNonNull(remote, "remote"));
        return new SafetyNumber(a.compareTo(b) <= 0 ? a + b : b + a);
    }

    private static String half(Fingerprint fp) {
        byte[] fpBytes = fp.bytesUnsafe();
        byte[] h = HashFunction.SHA_512.hash(Labels.terminated(Labels.SAFETY_NUMBER), fpBytes);
        for (int i = 1; i < ITERATIONS; i++) {
            h = HashFunction.SHA_512.hash(h, fpBytes);
        }
        StringBuilder sb = new StringBuilder(30);
        for (int chunk = 0; chunk < 6; chunk++) {
            long v = 0;
            for (int j = 0; j < 5; j++) {
                v = (v << 8) | (h[chunk * 5 + j] & 0xFF);
            }
            sb.append(String.format("%05d", v % 100000));
        }
        return sb.toString();
    }

    /** The 60 digits, without separators. */
    public String digits() {
        return digits;
    }

    /** Twelve groups of five digits, in three lines of four groups, as people read them out. */
    public String displayString() {
        StringBuilder sb = new StringBuilder(74);
        for (int g = 0; g < 12; g++) {
            if (g > 0) {
                sb.append(g % 4 == 0 ? '\n' : ' ');
            }
            sb.append(digits, g * 5, g * 5 + 5);
        }
        return sb.toString();
    }

    /** Whether {@code typedOrScanned} (spaces and line breaks ignored) is this number; constant time. */
    public boolean matches(String typedOrScanned) {
        String cleaned = Objects.requireNonNull(typedOrScanned).replaceAll("\\s", "");
        return MessageDigest.isEqual(cleaned.getBytes(StandardCharsets.US_ASCII),
                digits.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafetyNumber s && s.digits.equals(digits);
    }

    @Override
    public int hashCode() {
        return digits.hashCode();
    }

    @Override
    public String toString() {
        return "SafetyNumber[" + digits + "]";
    }
}
