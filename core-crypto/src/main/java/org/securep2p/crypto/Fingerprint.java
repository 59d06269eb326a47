package org.securep2p.crypto;

import java.security.MessageDigest;
import java.util.Locale;
import java.util.Objects;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;

/**
 * The SHA-256 of an identity's canonical encoding: 256 bits that name an identity. Shown to people as 16
 * groups of 4 upper-case hex digits. Compared in constant time.
 */
public final class Fingerprint {

    public static final int LENGTH = 32;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final byte[] bytes;

    private Fingerprint(byte[] bytes) {
        this.bytes = bytes;
    }

    static Fingerprint of(byte[] identityEncoding) {
        return new Fingerprint(HashFunction.SHA_256.hash(identityEncoding));
    }

    /** A fingerprint carried in a wire format or a connection code. */
    public static Fingerprint fromBytes(byte[] bytes) throws CryptoException {
        if (bytes == null || bytes.length != LENGTH) {
            throw new CryptoException(BAD_ENCODING, "fingerprint must be 32 bytes");
        }
        return new Fingerprint(bytes.clone());
    }

    /** Parses the display form; spaces, colons and case are ignored, anything else is an error. */
    public static Fingerprint parse(String text) throws CryptoException {
        Objects.requireNonNull(text, "text");
        StringBuilder hex = new StringBuilder(64);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ' ' || c == ':') {
                continue;
            }
            if (Character.digit(c, 16) < 0) {
                throw new CryptoException(BAD_ENCODING, "fingerprint has a character that is not hex at " + i);
            }
            hex.append(c);
        }
        if (hex.length() != 2 * LENGTH) {
            throw new CryptoException(BAD_ENCODING, "fingerprint must have 64 hex digits, found " + hex.length());
        }
        byte[] b = new byte[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            b[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return new Fingerprint(b);
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    byte[] bytesUnsafe() {
        return bytes;
    }

    /** 16 groups of 4 hex digits separated by spaces. */
    public String displayString() {
        StringBuilder sb = new StringBuilder(79);
        for (int i = 0; i < LENGTH; i++) {
            if (i > 0 && i % 2 == 0) {
                sb.append(' ');
            }
            sb.append(HEX[(bytes[i] >> 4) & 0xF]).append(HEX[bytes[i] & 0xF]);
        }
        return sb.toString();
    }

    /** The first four groups: enough to tell fingerprints apart in a log, not to verify one. */
    public String shortForm() {
        return displayString().substring(0, 19).toUpperCase(Locale.ROOT);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Fingerprint f && MessageDigest.isEqual(bytes, f.bytes);
    }

    @Override
    public int hashCode() {
        return ((bytes[0] & 0xFF) << 24) | ((bytes[1] & 0xFF) << 16) | ((bytes[2] & 0xFF) << 8) | (bytes[3] & 0xFF);
    }

    @Override
    public String toString() {
        return "Fingerprint[" + displayString() + "]";
    }
}
