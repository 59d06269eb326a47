package org.securep2p.crypto;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_VERSION;

/**
 * DANGER: the one door through which an {@link InMemoryPrivateKeys}'s private keys leave it, as bytes, so that
 * the key manager can keep them across restarts. Like Tink's {@code CleartextKeysetHandle}, the name is the
 * warning: every caller is a place where every private key of an identity is in a plain byte array.
 *
 * <p>Only the key manager calls this, and only to seal the bytes under its master key (AEAD, {@code SealedFile})
 * before they reach a disk, or to open what it sealed. The caller wipes every array it gets or gives here. Never
 * send these bytes anywhere else, log them or keep them longer than the sealing takes.
 *
 * <p>Guarantees: the encoding ({@code docs/PROTOCOL.md} section 17) is versioned and read strictly. A state that
 * restores is one that {@link InMemoryPrivateKeys} could have written: each private key matches its public key,
 * every stored signature verifies, ids are distinct and below the id counters, counts are within the limits,
 * and the SHA-256 checksum at the end matches (a check against storage faults and bugs, not an authenticator:
 * the sealing AEAD authenticates). Anything else is {@code BAD_ENCODING}; a version this build does not know is
 * {@code UNKNOWN_VERSION}.
 *
 * <p>Not its job: encryption, files, atomicity (the key manager's vault does those).
 */
public final class PrivateKeyState {

    /** The encoding's first byte. */
    public static final int VERSION = 1;
    /** SHA-256 of everything before it. */
    static final int CHECKSUM_LENGTH = 32;

    private PrivateKeyState() {
    }

    /**
     * The whole private state of {@code keys}: identity and prekey private keys, public prekeys with their ids
     * and signatures, id counters. DANGER: plain private keys; seal them, then wipe the array.
     */
    public static byte[] encodeForSealedStorage(InMemoryPrivateKeys keys) {
        return encode(Objects.requireNonNull(keys, "keys"));
    }

    /**
     * An {@link InMemoryPrivateKeys} exactly as it was encoded (no sink attached: attach one before serving).
     * Does not modify or wipe {@code encoded}; the caller wipes it.
     *
     * @throws CryptoException {@code UNKNOWN_VERSION} for a version other than {@value #VERSION} (0 is
     *                         {@code BAD_ENCODING}: no version 0 was ever written), {@code BAD_ENCODING} for
     *                         anything that is not a state this class could have written
     */
    public static InMemoryPrivateKeys restoreFromSealedStorage(byte[] encoded, SecureRandom random, Clock clock)
            throws CryptoException {
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(clock, "clock");
        if (encoded.length < 1) {
            throw new CryptoException(BAD_ENCODING, "key state: empty");
        }
        int version = encoded[0] & 0xFF;
        if (version == 0) {
            throw new CryptoException(BAD_ENCODING, "key state: version 0");
        }
        if (version != VERSION) {
            throw new CryptoException(UNKNOWN_VERSION, "key state: version " + version);
        }
        if (encoded.length < 1 + CHECKSUM_LENGTH) {
            throw new CryptoException(BAD_ENCODING, "key state: truncated");
        }
        int bodyEnd = encoded.length - CHECKSUM_LENGTH;
        MessageDigest sha256 = sha256();
        sha256.update(encoded, 0, bodyEnd);
        if (!MessageDigest.isEqual(sha256.digest(), Arrays.copyOfRange(encoded, bodyEnd, encoded.length))) {
            throw new CryptoException(BAD_ENCODING, "key state: checksum does not match (truncated or damaged)");
        }
        byte[] body = Arrays.copyOfRange(encoded, 1, bodyEnd);
        try {
            StrictReader r = new StrictReader(body, "key state");
            InMemoryPrivateKeys keys = InMemoryPrivateKeys.readState(r, random, clock);
            try {
                r.expectEnd();
            } catch (CryptoException e) {
                keys.close();
                throw e;
            }
            return keys;
        } catch (CryptoException e) {
            // Inside the state every failure (a signature, a key type, the identity's own version byte) means
            // the same thing to the caller: this is not a state we wrote. Only the outer version is a version.
            if (e.reason() == BAD_ENCODING) {
                throw e;
            }
            throw new CryptoException(BAD_ENCODING, "key state: " + e.getMessage(), e);
        } finally {
            Bytes.wipe(body);
        }
    }

    /**
     * From now on {@code keys} hands its whole encoded state to {@code sink} after every change that must
     * survive a crash, before the change is visible (see {@link StateSink}); {@code null} detaches. DANGER: the
     * sink receives every private key; it must be the key manager's sealing vault.
     */
    public static void attachSealedStorageSink(InMemoryPrivateKeys keys, StateSink sink) {
        keys.stateSink(sink);
    }

    static byte[] encode(InMemoryPrivateKeys keys) {
        synchronized (keys) {
            StrictWriter w = new StrictWriter(keys.stateCapacity());
            byte[] body = null;
            try {
                w.u8(VERSION);
                keys.writeState(w);
                body = w.toByteArray();
                byte[] out = Arrays.copyOf(body, body.length + CHECKSUM_LENGTH);
                MessageDigest sha256 = sha256();
                sha256.update(body);
                System.arraycopy(sha256.digest(), 0, out, body.length, CHECKSUM_LENGTH);
                return out;
            } finally {
                w.wipe();
                if (body != null) {
                    Bytes.wipe(body);
                }
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable in this JDK", e);
        }
    }
}
