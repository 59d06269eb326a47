package org.securep2p.ratchet;

import java.security.MessageDigest;
import java.util.Arrays;

import org.securep2p.crypto.SecretBytes;

/**
 * One 32-byte key of the ratchet, typed by its role ({@link RootKey}, {@link ChainKey}, {@link MessageKey},
 * {@link HeaderKey}), so that no key can be passed where another kind is meant.
 *
 * <p>Guarantees: holds exactly {@link Kdf#KEY_LENGTH} bytes, never changed in place (a state replaces a key, it
 * does not rewrite it) until {@link #wipe()} zeroes them; {@code toString()} shows the kind and the length,
 * never the bytes. {@code equals} is identity on purpose: a session state shares its keys with its copy and
 * tells "the same key" by identity when it wipes what its successor no longer holds
 * ({@code SessionState.wipeSecretsNotIn}); values are compared with {@link #equalsConstantTime}.
 *
 * <p>Not its job: deciding when a key dies (the session state does that).
 */
abstract sealed class RatchetKey permits RootKey, ChainKey, MessageKey, HeaderKey {

    private final byte[] bytes;

    /** Takes ownership of {@code bytes}: the caller must not use or change the array afterwards. */
    RatchetKey(byte[] bytes) {
        if (bytes.length != Kdf.KEY_LENGTH) {
            throw new IllegalArgumentException("a ratchet key has " + Kdf.KEY_LENGTH + " bytes, not " + bytes.length);
        }
        this.bytes = bytes;
    }

    /**
     * The backing array, not a copy, for the derivations and the record encoding that read it: never change
     * it and never keep it beyond the key's life.
     */
    final byte[] unsafeBytes() {
        return bytes;
    }

    /** A wiping copy, for the AEAD that uses this key; the caller closes it. */
    final SecretBytes secret() {
        return SecretBytes.copyOf(bytes);
    }

    final boolean equalsConstantTime(RatchetKey other) {
        return MessageDigest.isEqual(bytes, other.bytes);
    }

    final boolean equalsConstantTime(byte[] other) {
        return MessageDigest.isEqual(bytes, other);
    }

    @SuppressWarnings("AmbiguousMethodReference") // no method reference names either wipe
    final void wipe() {
        Arrays.fill(bytes, (byte) 0);
    }

    /** Wipes {@code key} if there is one. */
    @SuppressWarnings("AmbiguousMethodReference") // as wipe(): called directly, never by reference
    static void wipe(RatchetKey key) {
        if (key != null) {
            key.wipe();
        }
    }

    @Override
    public final String toString() {
        return getClass().getSimpleName() + "[" + bytes.length + " bytes]";
    }
}
