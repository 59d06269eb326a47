package org.securep2p.ratchet;

import java.security.SecureRandom;

import org.securep2p.crypto.Aead;
import org.securep2p.crypto.AeadAlgorithm;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;

/**
 * These tests run twin sessions from identical seeds on purpose, so the same message key and nonce encrypt
 * the same plaintext twice. The JDK's AES-GCM refuses two encryptions in a row under one key and nonce on one
 * Cipher instance, and core-crypto keeps one instance per thread: that refusal (KEY_REUSE) is right in
 * production, where a repeat can only come from a copied or rolled-back state. A throwaway encryption under a
 * fresh key before each deliberate repeat keeps the guard armed for everything else.
 */
final class FreshGcm {

    private static final SecureRandom RANDOM = new SecureRandom();

    private FreshGcm() {
    }

    static void clear() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        try (SecretBytes key = SecretBytes.copyOf(k);
                Aead single = Aead.singleUse(AeadAlgorithm.AES_256_GCM, key);
                Aead reused = Aead.withRandomNonces(AeadAlgorithm.AES_256_GCM, key, RANDOM)) {
            single.encrypt(new byte[0], new byte[0]);
            reused.encrypt(new byte[0], new byte[0]);
        } catch (CryptoException e) {
            throw new AssertionError(e);
        }
    }
}
