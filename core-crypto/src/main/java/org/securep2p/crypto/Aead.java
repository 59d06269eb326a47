package org.securep2p.crypto;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.KEY_REUSE;

/**
 * Authenticated encryption with associated data, with the nonce owned by the object so that no caller can
 * repeat one. Two constructions:
 * <ul>
 *   <li>{@link #singleUse}: for a key that encrypts exactly one message (a ratchet message key, the
 *   handshake's confirmation key). The nonce is fixed at zero; a second {@code encrypt} is refused with
 *   {@code KEY_REUSE}.</li>
 *   <li>{@link #withRandomNonces}: for a key that encrypts several messages (a header key). Each ciphertext
 *   starts with a fresh 96-bit nonce from the injected {@link SecureRandom}; the number of encryptions is
 *   capped at {@link #MAX_RANDOM_NONCE_MESSAGES}.</li>
 * </ul>
 * Decryption either returns the exact plaintext that was sealed with the same associated data, or fails
 * with {@code DECRYPT_FAILED}. {@link #close()} wipes the key.
 */
public final class Aead implements AutoCloseable {

    /**
     * With random 96-bit nonces, NIST SP 800-38D (section 8.3) allows at most 2^32 encryptions under one key
     * to keep the chance of a repeated nonce below 2^-32; past that, encryption is refused.
     */
    public static final long MAX_RANDOM_NONCE_MESSAGES = 1L << 32;

    private static final byte[] ZERO_NONCE = new byte[AeadAlgorithm.NONCE_LENGTH];

    private final AeadAlgorithm algorithm;
    private final SecretBytes key;
    private final SecureRandom random;
    private long sealed;
    /** The nonce of a single-use key: zero, or derived with the key by {@link #fromMessageKey}. */
    private byte[] fixedNonce = ZERO_NONCE;

    private Aead(AeadAlgorithm algorithm, SecretBytes key, SecureRandom random) throws CryptoException {
        if (key.length() != AeadAlgorithm.KEY_LENGTH) {
            throw new CryptoException(CryptoException.Reason.UNSUPPORTED_PARAMETER, "AEAD key must be 32 bytes");
        }
        this.algorithm = algorithm;
        this.key = SecretBytes.copyOf(key.unsafeBytes());
        this.random = random;
    }

    /** An AEAD whose key encrypts one message only. The key is copied; the caller still owns {@code key}. */
    public static Aead singleUse(AeadAlgorithm algorithm, SecretBytes key) throws CryptoException {
        return new Aead(Objects.requireNonNull(algorithm), Objects.requireNonNull(key), null);
    }

    /** Length of the per-message random value that {@link #fromMessageKey} mixes into the key and nonce. */
    public static final int MESSAGE_RANDOM_LENGTH = 32;

    /**
     * An AEAD for one message whose key <em>and</em> nonce are derived from a ratchet message key and 32 random
     * bytes chosen for this message (sent with it): {@code key || nonce = HKDF(hash, ikm = messageKey, salt = 0,
     * info = "securep2p/v1/ratchet/randomised-message-key\0" || messageRandom, 44)}. The random value makes the
     * pair unique even when a restored (rolled-back) state derives the same message key twice. Like
     * {@link #singleUse}, it encrypts once. The caller still owns {@code messageKey}.
     */
    public static Aead fromMessageKey(AeadAlgorithm algorithm, HashFunction hash, SecretBytes messageKey,
            byte[] messageRandom) throws CryptoException {
        Objects.requireNonNull(messageKey, "messageKey");
        Objects.requireNonNull(messageRandom, "messageRandom");
        if (messageRandom.length != MESSAGE_RANDOM_LENGTH) {
            throw new CryptoException(CryptoException.Reason.UNSUPPORTED_PARAMETER, "message random must be "
                    + MESSAGE_RANDOM_LENGTH + " bytes");
        }
        byte[] info = Bytes.concat(Labels.terminated(Labels.RATCHET_MESSAGE_KEY), messageRandom);
        try (SecretBytes okm = Hkdf.derive(hash, messageKey.unsafeBytes(), null, info,
                AeadAlgorithm.KEY_LENGTH + AeadAlgorithm.NONCE_LENGTH);
                SecretBytes key = SecretBytes.copyOf(okm.unsafeBytes(), 0, AeadAlgorithm.KEY_LENGTH)) {
            Aead aead = new Aead(Objects.requireNonNull(algorithm), key, null);
            aead.fixedNonce = java.util.Arrays.copyOfRange(okm.unsafeBytes(), AeadAlgorithm.KEY_LENGTH,
                    AeadAlgorithm.KEY_LENGTH + AeadAlgorithm.NONCE_LENGTH);
            return aead;
        }
    }

    /** An AEAD whose every ciphertext carries a fresh random nonce. The key is copied. */
    public static Aead withRandomNonces(AeadAlgorithm algorithm, SecretBytes key, SecureRandom random)
            throws CryptoException {
        return new Aead(Objects.requireNonNull(algorithm), Objects.requireNonNull(key),
                Objects.requireNonNull(random));
    }

    public AeadAlgorithm algorithm() {
        return algorithm;
    }

    public synchronized byte[] encrypt(byte[] plaintext, byte[] associatedData) throws CryptoException {
        Objects.requireNonNull(plaintext, "plaintext");
        Objects.requireNonNull(associatedData, "associatedData");
        if (random == null) {
            if (sealed > 0) {
                throw new CryptoException(KEY_REUSE, "single-use AEAD key already encrypted a message");
            }
            sealed++;
            return algorithm.seal(key.unsafeBytes(), fixedNonce, associatedData, plaintext);
        }
        if (sealed >= MAX_RANDOM_NONCE_MESSAGES) {
            throw new CryptoException(KEY_REUSE, "AEAD key reached its message limit");
        }
        sealed++;
        byte[] nonce = new byte[AeadAlgorithm.NONCE_LENGTH];
        random.nextBytes(nonce);
        return Bytes.concat(nonce, algorithm.seal(key.unsafeBytes(), nonce, associatedData, plaintext, true));
    }

    public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws CryptoException {
        Objects.requireNonNull(ciphertext, "ciphertext");
        Objects.requireNonNull(associatedData, "associatedData");
        if (random == null) {
            return algorithm.open(key.unsafeBytes(), fixedNonce, associatedData, ciphertext);
        }
        if (ciphertext.length < AeadAlgorithm.NONCE_LENGTH + AeadAlgorithm.TAG_LENGTH) {
            throw new CryptoException(BAD_ENCODING, "AEAD ciphertext too short for nonce and tag");
        }
        byte[] nonce = Arrays.copyOfRange(ciphertext, 0, AeadAlgorithm.NONCE_LENGTH);
        byte[] body = Arrays.copyOfRange(ciphertext, AeadAlgorithm.NONCE_LENGTH, ciphertext.length);
        return algorithm.open(key.unsafeBytes(), nonce, associatedData, body, true);
    }

    @Override
    public void close() {
        key.close();
    }

    @Override
    public String toString() {
        return "Aead[" + algorithm.standardName() + (random == null ? ", single-use" : ", random nonces") + "]";
    }
}
