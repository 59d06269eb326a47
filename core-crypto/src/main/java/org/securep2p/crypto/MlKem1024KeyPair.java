package org.securep2p.crypto;

import java.security.SecureRandom;
import java.util.Objects;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;

/**
 * An ML-KEM-1024 key pair for short-lived use (the ratchet's KEM step). The private key is its 64-byte seed;
 * the expanded form is kept for fast decapsulation. {@link #close()} wipes both. Also offers encapsulation to
 * a peer's public key.
 */
public final class MlKem1024KeyPair implements AutoCloseable {

    public static final int PUBLIC_KEY_LENGTH = MlKem1024.PUBLIC_KEY_LENGTH;
    public static final int CIPHERTEXT_LENGTH = MlKem1024.CIPHERTEXT_LENGTH;
    public static final int SEED_LENGTH = MlKem1024.SEED_LENGTH;

    private final SecretBytes seed;
    private final SecretBytes expanded;
    private final byte[] publicKey;

    private MlKem1024KeyPair(SecretBytes seed) throws CryptoException {
        this.seed = seed;
        this.expanded = SecretBytes.takeOwnership(MlKem1024.expandedPrivateKey(seed.unsafeBytes()));
        this.publicKey = MlKem1024.publicKey(expanded.unsafeBytes());
    }

    public static MlKem1024KeyPair generate(SecureRandom random) {
        try {
            return new MlKem1024KeyPair(SecretBytes.takeOwnership(MlKem1024.generateSeed(
                    Objects.requireNonNull(random, "random"))));
        } catch (CryptoException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** Restores a key pair from its seed, as kept in a session record. */
    public static MlKem1024KeyPair fromSeed(byte[] seed) throws CryptoException {
        if (seed == null || seed.length != SEED_LENGTH) {
            throw new CryptoException(BAD_ENCODING, "ML-KEM-1024 seed must be 64 bytes");
        }
        return new MlKem1024KeyPair(SecretBytes.copyOf(seed));
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** The shared secret for {@code ciphertext} (ML-KEM's implicit rejection: a forged one gives garbage). */
    public SecretBytes decapsulate(byte[] ciphertext) throws CryptoException {
        return MlKem1024.decapsulate(expanded.unsafeBytes(), ciphertext);
    }

    /** Encapsulates to {@code peerPublicKey}: the ciphertext to send and the secret to keep. */
    public static Encapsulation encapsulate(byte[] peerPublicKey, SecureRandom random) throws CryptoException {
        MlKem1024.Encapsulation e = MlKem1024.encapsulate(peerPublicKey, random);
        return new Encapsulation(e.ciphertext, e.sharedSecret);
    }

    /** Checks that {@code publicKey} is a well-formed ML-KEM-1024 encapsulation key (FIPS 203 modulus check). */
    public static void checkPublicKey(byte[] publicKey) throws CryptoException {
        MlKem1024.checkPublicKey(publicKey);
    }

    /** The seed, for the one place that must persist it: an encrypted session record. The caller wipes it. */
    public byte[] exportSeedForSessionRecord() {
        return seed.copyBytes();
    }

    @Override
    public void close() {
        seed.close();
        expanded.close();
    }

    @Override
    public String toString() {
        return "MlKem1024KeyPair[...]";
    }

    /** An encapsulation: {@link #ciphertext()} to send, {@link #sharedSecret()} to keep and close. */
    public static final class Encapsulation implements AutoCloseable {
        private final byte[] ciphertext;
        private final SecretBytes sharedSecret;

        Encapsulation(byte[] ciphertext, SecretBytes sharedSecret) {
            this.ciphertext = ciphertext;
            this.sharedSecret = sharedSecret;
        }

        public byte[] ciphertext() {
            return ciphertext.clone();
        }

        public SecretBytes sharedSecret() {
            return sharedSecret;
        }

        @Override
        public void close() {
            sharedSecret.close();
        }
    }
}
