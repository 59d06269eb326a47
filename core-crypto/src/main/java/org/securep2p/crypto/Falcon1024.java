package org.securep2p.crypto;

import java.security.SecureRandom;
import java.util.Arrays;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.pqc.crypto.falcon.FalconKeyGenerationParameters;
import org.bouncycastle.pqc.crypto.falcon.FalconKeyPairGenerator;
import org.bouncycastle.pqc.crypto.falcon.FalconParameters;
import org.bouncycastle.pqc.crypto.falcon.FalconPrivateKeyParameters;
import org.bouncycastle.pqc.crypto.falcon.FalconPublicKeyParameters;
import org.bouncycastle.pqc.crypto.falcon.FalconSigner;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;

/**
 * Falcon-1024 (NIST round 3) through Bouncy Castle's lightweight implementation.
 *
 * <p>Encodings follow the Falcon specification: a public key is the header byte {@code 0x0A} followed by the
 * 1,792-byte {@code h}; a private key is the header byte {@code 0x5A} followed by {@code f || g || F}; a
 * signature is the header byte {@code 0x3A}, the 40-byte nonce and the compressed {@code s2}.
 */
final class Falcon1024 {

    static final int PUBLIC_KEY_LENGTH = 1793;
    static final int PRIVATE_KEY_LENGTH = 2305;
    /** NIST CRYPTO_BYTES for Falcon-1024: no valid signature is longer. */
    static final int MAX_SIGNATURE_LENGTH = 1330;
    /** Header byte plus nonce: no valid signature is shorter. */
    static final int MIN_SIGNATURE_LENGTH = 42;

    private static final FalconParameters PARAMS = FalconParameters.falcon_1024;
    private static final byte PUBLIC_HEADER = 0x0A;
    private static final byte PRIVATE_HEADER = 0x5A;
    private static final byte SIGNATURE_HEADER = 0x3A;
    private static final int F_G_LENGTH = 640;

    private Falcon1024() {
    }

    /** A key pair as {@code [publicKey, privateKey]} in the encodings above. */
    static byte[][] generateKeyPair(SecureRandom random) {
        FalconKeyPairGenerator gen = new FalconKeyPairGenerator();
        gen.init(new FalconKeyGenerationParameters(random, PARAMS));
        AsymmetricCipherKeyPair kp = gen.generateKeyPair();
        byte[] h = ((FalconPublicKeyParameters) kp.getPublic()).getH();
        byte[] fgF = ((FalconPrivateKeyParameters) kp.getPrivate()).getEncoded();
        byte[] pk = Bytes.concat(new byte[] {PUBLIC_HEADER}, h);
        byte[] sk = Bytes.concat(new byte[] {PRIVATE_HEADER}, fgF);
        Bytes.wipe(fgF);
        return new byte[][] {pk, sk};
    }

    static void checkPublicKey(byte[] publicKey) throws CryptoException {
        if (publicKey == null || publicKey.length != PUBLIC_KEY_LENGTH || publicKey[0] != PUBLIC_HEADER) {
            throw new CryptoException(BAD_ENCODING, "Falcon-1024 public key must be 0x0A followed by 1792 bytes");
        }
    }

    static byte[] sign(byte[] privateKey, byte[] publicKey, byte[] message, SecureRandom random)
            throws CryptoException {
        if (privateKey == null || privateKey.length != PRIVATE_KEY_LENGTH || privateKey[0] != PRIVATE_HEADER) {
            throw new CryptoException(BAD_ENCODING, "Falcon-1024 private key has the wrong encoding");
        }
        checkPublicKey(publicKey);
        byte[] f = Arrays.copyOfRange(privateKey, 1, 1 + F_G_LENGTH);
        byte[] g = Arrays.copyOfRange(privateKey, 1 + F_G_LENGTH, 1 + 2 * F_G_LENGTH);
        byte[] bigF = Arrays.copyOfRange(privateKey, 1 + 2 * F_G_LENGTH, PRIVATE_KEY_LENGTH);
        try {
            FalconPrivateKeyParameters sk = new FalconPrivateKeyParameters(PARAMS, f, g, bigF,
                    Arrays.copyOfRange(publicKey, 1, PUBLIC_KEY_LENGTH));
            FalconSigner signer = new FalconSigner();
            signer.init(true, new ParametersWithRandom(sk, random));
            return signer.generateSignature(message);
        } finally {
            Bytes.wipe(f, g, bigF);
        }
    }

    /** True only for a valid signature; anything malformed is simply invalid. */
    static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        if (publicKey == null || publicKey.length != PUBLIC_KEY_LENGTH || publicKey[0] != PUBLIC_HEADER
                || signature == null || signature.length < MIN_SIGNATURE_LENGTH
                || signature.length > MAX_SIGNATURE_LENGTH || signature[0] != SIGNATURE_HEADER) {
            return false;
        }
        FalconSigner verifier = new FalconSigner();
        verifier.init(false, new FalconPublicKeyParameters(PARAMS, Arrays.copyOfRange(publicKey, 1,
                PUBLIC_KEY_LENGTH)));
        try {
            return verifier.verifySignature(message, signature);
        } catch (RuntimeException malformed) {
            // BC's decoder throws on some malformed compressed signatures; to a verifier that is just "no".
            return false;
        }
    }
}
