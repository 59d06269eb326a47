package org.securep2p.crypto;

import java.security.GeneralSecurityException;

import java.security.InvalidAlgorithmParameterException;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.DECRYPT_FAILED;
import static org.securep2p.crypto.CryptoException.Reason.KEY_REUSE;
import static org.securep2p.crypto.CryptoException.Reason.UNSUPPORTED_PARAMETER;

/**
 * The two AEADs we use, both with 256-bit keys, 96-bit nonces and 128-bit tags: ChaCha20-Poly1305
 * (RFC 8439, Bouncy Castle) and AES-256-GCM (NIST SP 800-38D, the JDK's implementation, which uses the
 * AES-NI and CLMUL intrinsics). Callers get them through {@link Aead}, which owns the nonce.
 */
public enum AeadAlgorithm {
    CHACHA20_POLY1305("ChaCha20-Poly1305"),
    AES_256_GCM("AES-256-GCM");

    static final int KEY_LENGTH = 32;
    static final int NONCE_LENGTH = 12;
    static final int TAG_LENGTH = 16;

    /**
     * JDK AES-GCM ciphers, one per thread and kind of key, re-initialised per message: looking the algorithm up
     * again each time costs more than encrypting a chat message. Keys that encrypt many messages (header keys)
     * get their own instance because the JDK keeps the key schedule of the last key an instance saw; mixing
     * them with single-use message keys would expand the same header key again for every message.
     */
    private static final ThreadLocal<Cipher> GCM_SINGLE_USE_KEYS = ThreadLocal.withInitial(AeadAlgorithm::newGcm);
    private static final ThreadLocal<Cipher> GCM_REUSED_KEYS = ThreadLocal.withInitial(AeadAlgorithm::newGcm);

    private static Cipher newGcm() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable in this JDK", e);
        }
    }

    private final String standardName;

    AeadAlgorithm(String standardName) {
        this.standardName = standardName;
    }

    public String standardName() {
        return standardName;
    }

    /** {@code ciphertext || tag}. The caller guarantees that (key, nonce) is never used twice. */
    byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) throws CryptoException {
        return seal(key, nonce, aad, plaintext, false);
    }

    byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext, boolean reusedKey) throws CryptoException {
        checkParameters(key, nonce);
        return this == CHACHA20_POLY1305 ? chacha(true, key, nonce, aad, plaintext) : gcm(true, key, nonce, aad,
                plaintext, reusedKey);
    }

    /** The plaintext, or {@code DECRYPT_FAILED} when the tag does not verify. */
    byte[] open(byte[] key, byte[] nonce, byte[] aad, byte[] ciphertext) throws CryptoException {
        return open(key, nonce, aad, ciphertext, false);
    }

    byte[] open(byte[] key, byte[] nonce, byte[] aad, byte[] ciphertext, boolean reusedKey) throws CryptoException {
        checkParameters(key, nonce);
        if (ciphertext == null || ciphertext.length < TAG_LENGTH) {
            throw new CryptoException(BAD_ENCODING, standardName + " ciphertext shorter than its tag");
        }
        return this == CHACHA20_POLY1305 ? chacha(false, key, nonce, aad, ciphertext) : gcm(false, key, nonce, aad,
                ciphertext, reusedKey);
    }

    private void checkParameters(byte[] key, byte[] nonce) throws CryptoException {
        if (key == null || key.length != KEY_LENGTH) {
            throw new CryptoException(UNSUPPORTED_PARAMETER, standardName + " key must be 32 bytes");
        }
        if (nonce == null || nonce.length != NONCE_LENGTH) {
            throw new CryptoException(UNSUPPORTED_PARAMETER, standardName + " nonce must be 12 bytes");
        }
    }

    private byte[] chacha(boolean encrypt, byte[] key, byte[] nonce, byte[] aad, byte[] input)
            throws CryptoException {
        ChaCha20Poly1305 c = new ChaCha20Poly1305();
        c.init(encrypt, new AEADParameters(new KeyParameter(key), TAG_LENGTH * 8, nonce, aad));
        byte[] out = new byte[c.getOutputSize(input.length)];
        int n = c.processBytes(input, 0, input.length, out, 0);
        try {
            c.doFinal(out, n);
        } catch (InvalidCipherTextException e) {
            Bytes.wipe(out);
            throw new CryptoException(DECRYPT_FAILED, standardName + " tag mismatch");
        }
        return out;
    }

    private byte[] gcm(boolean encrypt, byte[] key, byte[] nonce, byte[] aad, byte[] input, boolean reusedKey)
            throws CryptoException {
        try {
            Cipher c = (reusedKey ? GCM_REUSED_KEYS : GCM_SINGLE_USE_KEYS).get();
            c.init(encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                    new GCMParameterSpec(TAG_LENGTH * 8, nonce));
            if (aad != null && aad.length > 0) {
                c.updateAAD(aad);
            }
            return c.doFinal(input);
        } catch (AEADBadTagException e) {
            throw new CryptoException(DECRYPT_FAILED, standardName + " tag mismatch");
        } catch (InvalidAlgorithmParameterException e) {
            // The JDK refuses to encrypt twice under one key and nonce with the same instance.
            throw new CryptoException(KEY_REUSE, standardName + " refused a repeated key and nonce");
        } catch (GeneralSecurityException e) {
            // Every JDK since 8 ships AES/GCM and takes 32-byte keys; reaching this is a broken runtime.
            throw new IllegalStateException("AES-GCM failed in this JDK", e);
        }
    }
}
