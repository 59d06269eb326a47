package org.securep2p.relay;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The name of one mailbox on a relay: 32 random bytes chosen by its owner. Not a secret (the relay sees it), but
 * unlinkable: two mailboxes of one pair of contacts share nothing. Immutable; {@link #toString()} shows only a
 * short prefix, for logs.
 */
public final class MailboxId {

    public static final int LENGTH = 32;

    private final byte[] bytes;

    private MailboxId(byte[] bytes) {
        this.bytes = bytes;
    }

    /** A copy of {@code bytes}, which must be {@link #LENGTH} long. */
    public static MailboxId of(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            throw new IllegalArgumentException("a mailbox id is " + LENGTH + " bytes");
        }
        return new MailboxId(bytes.clone());
    }

    /** A fresh id from {@code random}. */
    public static MailboxId random(SecureRandom random) {
        byte[] b = new byte[LENGTH];
        random.nextBytes(b);
        return new MailboxId(b);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public String hex() {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MailboxId other && MessageDigest.isEqual(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "mailbox " + HexFormat.of().formatHex(bytes, 0, 4) + "…";
    }
}
