package org.securep2p.crypto;

import java.security.SecureRandom;

import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.crypto.kems.MLKEMExtractor;
import org.bouncycastle.crypto.kems.MLKEMGenerator;
import org.bouncycastle.crypto.params.MLKEMParameters;
import org.bouncycastle.crypto.params.MLKEMPrivateKeyParameters;
import org.bouncycastle.crypto.params.MLKEMPublicKeyParameters;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;

/**
 * ML-KEM-1024 (FIPS 203) through Bouncy Castle's lightweight implementation. Private keys are kept as the
 * 64-byte seed {@code d || z} (FIPS 203, section 7.1); the expanded 3,168-byte decapsulation key is accepted
 * too, after the hash check of FIPS 203, section 7.3. Encapsulation keys pass the modulus check of section
 * 7.2, ciphertexts the length check.
 */
final class MlKem1024 {

    static final int PUBLIC_KEY_LENGTH = 1568;
    static final int CIPHERTEXT_LENGTH = 1568;
    static final int SEED_LENGTH = 64;
    static final int EXPANDED_PRIVATE_KEY_LENGTH = 3168;
    static final int SHARED_SECRET_LENGTH = 32;

    private static final MLKEMParameters PARAMS = MLKEMParameters.ml_kem_1024;

    private MlKem1024() {
    }

    /** A fresh seed {@code d || z}: the private key. */
    static byte[] generateSeed(SecureRandom random) {
        byte[] seed = new byte[SEED_LENGTH];
        random.nextBytes(seed);
        return seed;
    }

    /** The encapsulation key of a private key given as a seed or as an expanded decapsulation key. */
    static byte[] publicKey(byte[] privateKey) throws CryptoException {
        return privateKeyParameters(privateKey).getPublicKey();
    }

    /** The expanded decapsulation key {@code dk} of FIPS 203 for a seed (for known-answer tests). */
    static byte[] expandedPrivateKey(byte[] seed) throws CryptoException {
        if (seed == null || seed.length != SEED_LENGTH) {
            throw new CryptoException(BAD_ENCODING, "ML-KEM-1024 seed must be 64 bytes");
        }
        return privateKeyParameters(seed).getEncoded();
    }

    static void checkPublicKey(byte[] publicKey) throws CryptoException {
        publicKeyParameters(publicKey);
    }

    /** Encapsulates to {@code publicKey}: {@code [ciphertext, sharedSecret]}. */
    static Encapsulation encapsulate(byte[] publicKey, SecureRandom random) throws CryptoException {
        byte[] m = new byte[32];
        random.nextBytes(m);
        try {
            return encapsulateDeterministically(publicKey, m);
        } finally {
            Bytes.wipe(m);
        }
    }

    /** ML-KEM.Encaps_internal with the message {@code m} given (for known-answer tests). */
    static Encapsulation encapsulateDeterministically(byte[] publicKey, byte[] m) throws CryptoException {
        MLKEMPublicKeyParameters pk = publicKeyParameters(publicKey);
        if (m == null || m.length != 32) {
            throw new CryptoException(BAD_ENCODING, "ML-KEM-1024 message must be 32 bytes");
        }
        SecretWithEncapsulation swe = MLKEMGenerator.internalGenerateEncapsulated(pk, m);
        byte[] secret = swe.getSecret();
        return new Encapsulation(swe.getEncapsulation(), SecretBytes.takeOwnership(secret));
    }

    static SecretBytes decapsulate(byte[] privateKey, byte[] ciphertext) throws CryptoException {
        if (ciphertext == null || ciphertext.length != CIPHERTEXT_LENGTH) {
            throw new CryptoException(BAD_ENCODING, "ML-KEM-1024 ciphertext must be 1568 bytes");
        }
        MLKEMPrivateKeyParameters sk = privateKeyParameters(privateKey);
        return SecretBytes.takeOwnership(new MLKEMExtractor(sk).extractSecret(ciphertext));
    }

    private static MLKEMPublicKeyParameters publicKeyParameters(byte[] publicKey) throws CryptoException {
        if (publicKey == null || publicKey.length != PUBLIC_KEY_LENGTH) {
            throw new CryptoException(BAD_ENCODING, "ML-KEM-1024 public key must be 1568 bytes");
        }
        try {
            return new MLKEMPublicKeyParameters(PARAMS, publicKey);
        } catch (IllegalArgumentException e) {
            throw new CryptoException(BAD_ENCODING, "ML-KEM-1024 public key fails the modulus check");
        }
    }

    private static MLKEMPrivateKeyParameters privateKeyParameters(byte[] privateKey) throws CryptoException {
        if (privateKey == null
                || (privateKey.length != SEED_LENGTH && privateKey.length != EXPANDED_PRIVATE_KEY_LENGTH)) {
            throw new CryptoException(BAD_ENCODING, "ML-KEM-1024 private key must be a 64-byte seed or 3168 bytes");
        }
        try {
            return new MLKEMPrivateKeyParameters(PARAMS, privateKey);
        } catch (IllegalArgumentException e) {
            throw new CryptoException(BAD_ENCODING, "ML-KEM-1024 private key fails its consistency check");
        }
    }

    /** The result of an encapsulation: the ciphertext to send and the shared secret to keep. */
    static final class Encapsulation {
        final byte[] ciphertext;
        final SecretBytes sharedSecret;

        Encapsulation(byte[] ciphertext, SecretBytes sharedSecret) {
            this.ciphertext = ciphertext;
            this.sharedSecret = sharedSecret;
        }
    }
}
