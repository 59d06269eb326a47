package org.securep2p.crypto;

import java.security.SecureRandom;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;

/** Ed25519 (RFC 8032, pure) through Bouncy Castle's lightweight implementation. */
final class Ed25519 {

    static final int PUBLIC_KEY_LENGTH = 32;
    static final int PRIVATE_KEY_LENGTH = 32;
    static final int SIGNATURE_LENGTH = 64;

    private Ed25519() {
    }

    static byte[] generatePrivateKey(SecureRandom random) {
        byte[] sk = new byte[PRIVATE_KEY_LENGTH];
        org.bouncycastle.math.ec.rfc8032.Ed25519.generatePrivateKey(random, sk);
        return sk;
    }

    static byte[] publicKey(byte[] privateKey) throws CryptoException {
        if (privateKey == null || privateKey.length != PRIVATE_KEY_LENGTH) {
            throw new CryptoException(BAD_ENCODING, "Ed25519 private key must be 32 bytes");
        }
        byte[] pk = new byte[PUBLIC_KEY_LENGTH];
        org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(privateKey, 0, pk, 0);
        return pk;
    }

    static byte[] sign(byte[] privateKey, byte[] message) throws CryptoException {
        if (privateKey == null || privateKey.length != PRIVATE_KEY_LENGTH) {
            throw new CryptoException(BAD_ENCODING, "Ed25519 private key must be 32 bytes");
        }
        byte[] sig = new byte[SIGNATURE_LENGTH];
        org.bouncycastle.math.ec.rfc8032.Ed25519.sign(privateKey, 0, message, 0, message.length, sig, 0);
        return sig;
    }

    /**
     * True only for a valid signature under a well-formed key; wrong sizes are simply invalid, because a
     * verifier must answer "no" for every byte string that is not a valid signature.
     */
    static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        if (publicKey == null || publicKey.length != PUBLIC_KEY_LENGTH
                || signature == null || signature.length != SIGNATURE_LENGTH) {
            return false;
        }
        return org.bouncycastle.math.ec.rfc8032.Ed25519.verify(signature, 0, publicKey, 0, message, 0,
                message.length);
    }
}
