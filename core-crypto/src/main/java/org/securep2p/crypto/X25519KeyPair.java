package org.securep2p.crypto;

import java.security.SecureRandom;
import java.util.Objects;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;

/**
 * An X25519 key pair for short-lived use (ratchet keys, ephemeral keys): agreement refuses low-order peer
 * keys, {@link #close()} wipes the private key, {@code toString()} never shows it. Long-term identity keys do
 * not use this type: they stay with their key holder ({@link PrivateKeyOperations}).
 */
public final class X25519KeyPair implements AutoCloseable {

    public static final int KEY_LENGTH = X25519.KEY_LENGTH;

    private final SecretBytes privateKey;
    private final byte[] publicKey;

    private X25519KeyPair(SecretBytes privateKey, byte[] publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    public static X25519KeyPair generate(SecureRandom random) {
        byte[] k = X25519.generatePrivateKey(Objects.requireNonNull(random, "random"));
        try {
            return new X25519KeyPair(SecretBytes.takeOwnership(k), X25519.publicKey(k));
        } catch (CryptoException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** Restores a key pair from its private key, as kept in a session record. */
    public static X25519KeyPair fromPrivateKey(byte[] privateKey) throws CryptoException {
        if (privateKey == null || privateKey.length != KEY_LENGTH) {
            throw new CryptoException(BAD_ENCODING, "X25519 private key must be 32 bytes");
        }
        return new X25519KeyPair(SecretBytes.copyOf(privateKey), X25519.publicKey(privateKey));
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** X25519 with {@code peerPublicKey}; {@code LOW_ORDER_POINT} for an all-zero result. */
    public SecretBytes agree(byte[] peerPublicKey) throws CryptoException {
        return X25519.agree(privateKey.unsafeBytes(), peerPublicKey);
    }

    /**
     * The private key, for the one place that must persist it: an encrypted session record. The caller wipes
     * the copy.
     */
    public byte[] exportPrivateKeyForSessionRecord() {
        return privateKey.copyBytes();
    }

    @Override
    public void close() {
        privateKey.close();
    }

    @Override
    public String toString() {
        return "X25519KeyPair[public " + org.bouncycastle.util.encoders.Hex.toHexString(publicKey, 0, 4) + "..]";
    }
}
