package org.securep2p.app.files;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

import org.securep2p.crypto.CryptoException;

/**
 * A transfer's name on both sides (PROTOCOL.md §24.1): 16 random bytes chosen by the sender, written as 32
 * lower-case hex digits in file names, events and JSON. Immutable; equality is constant-time.
 */
public final class FileId {

    public static final int LENGTH = 16;

    private final byte[] bytes;

    private FileId(byte[] bytes) {
        this.bytes = bytes;
    }

    /** A fresh id from {@code random}. */
    public static FileId random(SecureRandom random) {
        byte[] b = new byte[LENGTH];
        random.nextBytes(b);
        return new FileId(b);
    }

    /** The id in {@code bytes} (copied); exactly {@link #LENGTH} bytes or BAD_ENCODING. */
    public static FileId of(byte[] bytes) throws CryptoException {
        if (Objects.requireNonNull(bytes).length != LENGTH) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "file id must be 16 bytes");
        }
        return new FileId(bytes.clone());
    }

    /** Parses the 32 hex digits a user or a JSON client gives (case ignored); anything else BAD_ENCODING. */
    public static FileId parse(String hex) throws CryptoException {
        String h = Objects.requireNonNull(hex).strip().toLowerCase(Locale.ROOT);
        if (h.length() != 2 * LENGTH || !h.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "a file id is 32 hex digits");
        }
        return new FileId(HexFormat.of().parseHex(h));
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** 32 lower-case hex digits. */
    public String hex() {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FileId other && MessageDigest.isEqual(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return hex();
    }
}
