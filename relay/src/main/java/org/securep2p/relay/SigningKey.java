package org.securep2p.relay;

import java.security.SecureRandom;
import java.util.Arrays;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * One Ed25519 key of a mailbox (its receive key or its send key, PROTOCOL.md §22.3), made by a client, never by
 * the relay, which only ever sees the public half. Holds the 32-byte seed; {@link #destroy()} zeroes it.
 * {@code toString()} never shows the seed.
 */
public final class SigningKey {

    public static final int SEED_LENGTH = Ed25519.SECRET_KEY_SIZE;
    public static final int PUBLIC_LENGTH = Ed25519.PUBLIC_KEY_SIZE;
    public static final int SIGNATURE_LENGTH = Ed25519.SIGNATURE_SIZE;

    private final byte[] seed;
    private final byte[] publicKey;

    private SigningKey(byte[] seed) {
        this.seed = seed;
        this.publicKey = new byte[PUBLIC_LENGTH];
        Ed25519.generatePublicKey(seed, 0, publicKey, 0);
    }

    public static SigningKey generate(SecureRandom random) {
        byte[] s = new byte[SEED_LENGTH];
        random.nextBytes(s);
        return new SigningKey(s);
    }

    /** A key from a stored seed (copied; the caller zeroes its own). */
    public static SigningKey fromSeed(byte[] seed) {
        if (seed == null || seed.length != SEED_LENGTH) {
            throw new IllegalArgumentException("an Ed25519 seed is 32 bytes");
        }
        return new SigningKey(seed.clone());
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** A copy of the seed, for sealed storage or an introduction inside the ratchet; the caller zeroes it. */
    public byte[] seed() {
        return seed.clone();
    }

    public byte[] sign(byte[] message) {
        byte[] sig = new byte[SIGNATURE_LENGTH];
        Ed25519.sign(seed, 0, message, 0, message.length, sig, 0);
        return sig;
    }

    /** Whether {@code signature} is {@code publicKey}'s over {@code message}; false for any malformed input. */
    public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        if (publicKey == null || publicKey.length != PUBLIC_LENGTH || signature == null
                || signature.length != SIGNATURE_LENGTH || message == null) {
            return false;
        }
        try {
            return Ed25519.verify(signature, 0, publicKey, 0, message, 0, message.length);
        } catch (RuntimeException e) {
            return false;
        }
    }

    public void destroy() {
        Arrays.fill(seed, (byte) 0);
    }

    @Override
    public String toString() {
        return "SigningKey[public only shown on request]";
    }
}
