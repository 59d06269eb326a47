package org.securep2p.ratchet;

import java.security.MessageDigest;
import java.util.Objects;

import org.securep2p.crypto.Aead;
import org.securep2p.crypto.AeadAlgorithm;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

/**
 * A ratchet message on the wire: {@code version u8 (=2) || level u8 || var16(header field) || random[32] ||
 * var32(body)}. The header field is the plain {@code n u32} at STANDARD and the encrypted {@link Header}
 * above; {@code random} is fresh for every message and enters the body's key and nonce (so a rolled-back
 * state that repeats a chain position never repeats a key and nonce); the body is the message AEAD's output.
 * {@link #prefix()} (everything before the body) is part of the body's associated data, so nothing in the
 * header or the random value can be changed without the body failing.
 *
 * <p>Guarantees: immutable (arrays are copied in and out); equality compares every field, the byte fields in
 * constant time (the header field and body end in authentication tags); {@code toString()} shows the level
 * and the sizes, never the bytes.
 */
final class WireMessage {

    static final int VERSION = 2;
    /** Version 1 derived the body's key and nonce from the message key alone; refused as OLD_VERSION. */
    static final int OLD_VERSION = 1;
    /** Nonce (12) + the largest header + tag (16). */
    static final int MAX_HEADER_FIELD = 12 + Header.MAX_ENCODED + 16;
    static final int TAG = 16;
    static final int RANDOM_LENGTH = Aead.MESSAGE_RANDOM_LENGTH;

    private final SecurityLevel level;
    private final byte[] headerField;
    private final byte[] random;
    private final byte[] body;

    /** {@code body} may be null for a message whose prefix is needed before its body exists. */
    WireMessage(SecurityLevel level, byte[] headerField, byte[] random, byte[] body) {
        this(level, headerField.clone(), random.clone(), body == null ? null : body.clone(), true);
    }

    /** Takes ownership of the arrays: for {@link #decode}, whose arrays are the reader's fresh copies. */
    @SuppressWarnings("UnusedVariable") // owned only tells this constructor from the copying one
    private WireMessage(SecurityLevel level, byte[] headerField, byte[] random, byte[] body, boolean owned) {
        this.level = Objects.requireNonNull(level, "level");
        this.headerField = headerField;
        this.random = random;
        this.body = body;
    }

    SecurityLevel level() {
        return level;
    }

    /** The plain {@code n u32} at STANDARD, the encrypted {@link Header} above. */
    byte[] headerField() {
        return headerField.clone();
    }

    byte[] random() {
        return random.clone();
    }

    byte[] body() {
        return body == null ? null : body.clone();
    }

    byte[] prefix() {
        return new StrictWriter().u8(VERSION).u8(level.code()).var16(headerField).bytes(random).toByteArray();
    }

    byte[] encode() {
        return new StrictWriter().bytes(prefix()).var32(body).toByteArray();
    }

    static WireMessage decode(byte[] bytes) throws RatchetException {
        try {
            StrictReader r = new StrictReader(bytes, "ratchet message");
            int version = r.u8("version");
            if (version == OLD_VERSION) {
                throw new RatchetException(RatchetException.Reason.OLD_VERSION, "ratchet message version " + version
                        + " is no longer accepted (no per-message randomness)");
            }
            if (version != VERSION) {
                throw new RatchetException(RatchetException.Reason.UNKNOWN_VERSION, "ratchet message version " + version);
            }
            SecurityLevel level = SecurityLevel.fromCode(r.u8("level"));
            byte[] header = r.var16(4, MAX_HEADER_FIELD, "header");
            byte[] random = r.fixed(RANDOM_LENGTH, "message random");
            byte[] body = r.var32(TAG, RatchetLimits.MAX_PLAINTEXT + TAG, "body");
            r.expectEnd();
            return new WireMessage(level, header, random, body, true);
        } catch (CryptoException e) {
            throw new RatchetException(RatchetException.Reason.MALFORMED, e.getMessage(), e);
        }
    }

    static AeadAlgorithm headerAead(SecurityLevel level) {
        return level.messageAead();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof WireMessage m)) {
            return false;
        }
        // Every field is compared, so the time taken does not tell which one differs.
        boolean same = level == m.level;
        same &= MessageDigest.isEqual(headerField, m.headerField);
        same &= MessageDigest.isEqual(random, m.random);
        same &= MessageDigest.isEqual(body, m.body);
        return same;
    }

    @Override
    public int hashCode() {
        // Level and sizes only: equal messages agree on them, and no tag byte enters a hash table's timing.
        return (level.hashCode() * 31 + headerField.length) * 31 + (body == null ? -1 : body.length);
    }

    @Override
    public String toString() {
        return "WireMessage[" + level + ", header field " + headerField.length + " bytes, body "
                + (body == null ? "absent" : body.length + " bytes") + "]";
    }
}
