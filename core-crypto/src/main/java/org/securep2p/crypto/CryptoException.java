package org.securep2p.crypto;

import java.util.Objects;

/**
 * The one checked failure of core-crypto. The {@link Reason} says what went wrong in protocol terms so that
 * the caller can act on it (a forged signature is not a malformed encoding, and neither is a reused prekey).
 *
 * <p>Messages name fields and sizes only; they never carry key material, plaintext or secrets.
 */
public final class CryptoException extends Exception {

    /** Why an operation was refused. */
    public enum Reason {
        /** Bytes do not follow the specified layout: wrong length, truncated, trailing data, bad flag. */
        BAD_ENCODING,
        /** The encoding names a protocol version this build does not speak. */
        UNKNOWN_VERSION,
        /** A typed key sits where a key of another type was required (curve key in place of KEM key...). */
        WRONG_KEY_TYPE,
        /** A signature did not verify, or a required signature is missing. */
        BAD_SIGNATURE,
        /** The peer offered or used a lower security level than the local floor. */
        DOWNGRADE,
        /** An X25519 agreement produced the all-zero output: the peer sent a low-order point. */
        LOW_ORDER_POINT,
        /** An AEAD tag did not verify: the ciphertext, its associated data or the key is not what was sent. */
        DECRYPT_FAILED,
        /** The identity is not the one that was expected (connection code, known peer, addressee). */
        IDENTITY_MISMATCH,
        /** The level requires a prekey (ML-KEM at QUANTUM_RESISTANT) that the bundle does not carry. */
        MISSING_PREKEY,
        /** A message refers to a prekey id that is not on offer. */
        UNKNOWN_PREKEY,
        /** A one-time prekey was already consumed; using it again would repeat a key. */
        PREKEY_ALREADY_USED,
        /** A signed prekey is outside its validity window (too old, or dated in the future). */
        STALE_PREKEY,
        /** A parameter is outside what this wrapper supports (key, nonce or tag size, output length). */
        UNSUPPORTED_PARAMETER,
        /** A one-shot object was asked to do its one thing twice (e.g. seal with a single-use key). */
        KEY_REUSE,
        /**
         * The key holder's state could not be made durable, so the operation that changed it (consuming a
         * one-time prekey, rotating, replenishing) was refused before its result became visible.
         */
        STATE_NOT_PERSISTED,
    }

    private final Reason reason;

    public CryptoException(Reason reason, String message) {
        super(reason + ": " + Objects.requireNonNull(message, "message"));
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public CryptoException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + Objects.requireNonNull(message, "message"), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
