package org.securep2p.crypto;

import java.security.SecureRandom;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.LOW_ORDER_POINT;

/**
 * X25519 (RFC 7748) through Bouncy Castle's lightweight implementation, which measured faster here than the
 * JDK's XDH (see {@code bench/}). Refuses the all-zero shared secret that low-order public keys produce.
 */
final class X25519 {

    static final int KEY_LENGTH = 32;

    private X25519() {
    }

    static byte[] generatePrivateKey(SecureRandom random) {
        byte[] k = new byte[KEY_LENGTH];
        org.bouncycastle.math.ec.rfc7748.X25519.generatePrivateKey(random, k);
        return k;
    }

    static byte[] publicKey(byte[] privateKey) throws CryptoException {
        checkLength(privateKey, "private key");
        byte[] pub = new byte[KEY_LENGTH];
        org.bouncycastle.math.ec.rfc7748.X25519.generatePublicKey(privateKey, 0, pub, 0);
        return pub;
    }

    /** The shared secret; {@code LOW_ORDER_POINT} where it would be all zeros (RFC 7748, section 6.1). */
    static SecretBytes agree(byte[] privateKey, byte[] peerPublicKey) throws CryptoException {
        checkLength(privateKey, "private key");
        checkLength(peerPublicKey, "public key");
        byte[] shared = new byte[KEY_LENGTH];
        boolean contributory = org.bouncycastle.math.ec.rfc7748.X25519.calculateAgreement(
                privateKey, 0, peerPublicKey, 0, shared, 0);
        if (!contributory || Bytes.isAllZero(shared)) {
            Bytes.wipe(shared);
            throw new CryptoException(LOW_ORDER_POINT, "X25519 public key has low order");
        }
        return SecretBytes.takeOwnership(shared);
    }

    private static void checkLength(byte[] key, String what) throws CryptoException {
        if (key == null || key.length != KEY_LENGTH) {
            throw new CryptoException(BAD_ENCODING, "X25519 " + what + " must be " + KEY_LENGTH + " bytes");
        }
    }
}
