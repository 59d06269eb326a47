package org.securep2p.ratchet;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Hkdf;
import org.securep2p.crypto.Hmac;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;

/**
 * The ratchet's key derivations (docs/PROTOCOL.md, section 10), each under its own label:
 * <ul>
 *   <li>{@link #initialSymmetric}, {@link #initialDouble}: the first keys from the handshake's SK, salted with
 *   its transcript hash;</li>
 *   <li>{@link #rootStep} (KDF_RK): {@code RK', CK, NHK = HKDF(salt = RK, ikm = DH [|| KEM secret], 96)};</li>
 *   <li>{@link #chainStep} (KDF_CK): {@code MK = HMAC(CK, 0x01)}, {@code CK' = HMAC(CK, 0x02)}, truncated to
 *   32 bytes, as in Signal's specification.</li>
 * </ul>
 */
final class Kdf {

    static final int KEY_LENGTH = 32;
    static final String INIT_SYMMETRIC = "securep2p/v1/ratchet/init-symmetric";
    static final String INIT_DOUBLE = "securep2p/v1/ratchet/init";
    static final String ROOT = "securep2p/v1/ratchet/root";
    private static final byte[] MESSAGE_KEY_CONSTANT = {0x01};
    private static final byte[] CHAIN_KEY_CONSTANT = {0x02};

    private Kdf() {
    }

    /** The first keys at STANDARD: each side's sending chain. */
    record SymmetricStart(ChainKey initiatorChain, ChainKey responderChain) {
    }

    /**
     * The first keys above STANDARD: the root key, the initiator's first chain and its header key, and the next
     * header keys of both sides.
     */
    record DoubleStart(RootKey root, ChainKey initiatorChain, HeaderKey initiatorHeader,
            HeaderKey initiatorNextHeader, HeaderKey responderNextHeader) {
    }

    /** STANDARD's first keys: {@code CK_i || CK_r = HKDF(salt = transcript hash, ikm = SK, 64)}. */
    static SymmetricStart initialSymmetric(SecurityLevel level, SecretBytes sessionSecret, byte[] transcriptHash)
            throws CryptoException {
        byte[][] k = initial(level, sessionSecret, transcriptHash, INIT_SYMMETRIC, 2);
        return new SymmetricStart(new ChainKey(k[0]), new ChainKey(k[1]));
    }

    /** The first keys above STANDARD: {@code RK || CK_i || HK_i || NHK_i || NHK_r}, 160 bytes of HKDF. */
    static DoubleStart initialDouble(SecurityLevel level, SecretBytes sessionSecret, byte[] transcriptHash)
            throws CryptoException {
        byte[][] k = initial(level, sessionSecret, transcriptHash, INIT_DOUBLE, 5);
        return new DoubleStart(new RootKey(k[0]), new ChainKey(k[1]), new HeaderKey(k[2]), new HeaderKey(k[3]),
                new HeaderKey(k[4]));
    }

    private static byte[][] initial(SecurityLevel level, SecretBytes sessionSecret, byte[] transcriptHash,
            String label, int parts) throws CryptoException {
        byte[] sk = sessionSecret.copyBytes();
        try (SecretBytes okm = Hkdf.derive(level.kdfHash(), sk, transcriptHash, label(label), parts * KEY_LENGTH)) {
            return split(okm, parts);
        } finally {
            Arrays.fill(sk, (byte) 0); // HKDF does not wipe its input; this copy of SK is ours
        }
    }

    /** KDF_RK: {@code RK' || CK || NHK} from the root key and the step's DH output (and KEM secret). */
    static RootStep rootStep(SecurityLevel level, RootKey rootKey, SecretBytes dh, SecretBytes kemSecret)
            throws CryptoException {
        byte[] ikm = kemSecret == null ? dh.copyBytes() : concat(dh.copyBytes(), kemSecret.copyBytes());
        try (SecretBytes okm = Hkdf.derive(level.kdfHash(), ikm, rootKey.unsafeBytes(), label(ROOT),
                3 * KEY_LENGTH)) {
            byte[][] k = split(okm, 3);
            return new RootStep(new RootKey(k[0]), new ChainKey(k[1]), new HeaderKey(k[2]));
        } finally {
            Arrays.fill(ikm, (byte) 0);
        }
    }

    /** KDF_CK: {@code CK' = HMAC(CK, 0x02)} and {@code MK = HMAC(CK, 0x01)}, each truncated to 32 bytes. */
    static ChainStep chainStep(SecurityLevel level, ChainKey chainKey) {
        byte[][] tags = Hmac.macs(level.kdfHash(), chainKey.unsafeBytes(), MESSAGE_KEY_CONSTANT, CHAIN_KEY_CONSTANT);
        byte[] mk = tags[0];
        byte[] next = tags[1];
        ChainStep out = new ChainStep(new ChainKey(Arrays.copyOf(next, KEY_LENGTH)),
                new MessageKey(Arrays.copyOf(mk, KEY_LENGTH)));
        Arrays.fill(mk, (byte) 0);
        Arrays.fill(next, (byte) 0);
        return out;
    }

    private static byte[][] split(SecretBytes okm, int parts) {
        byte[] all = okm.copyBytes();
        byte[][] out = new byte[parts][];
        for (int i = 0; i < parts; i++) {
            out[i] = Arrays.copyOfRange(all, i * KEY_LENGTH, (i + 1) * KEY_LENGTH);
        }
        Arrays.fill(all, (byte) 0);
        return out;
    }

    static byte[] label(String label) {
        byte[] ascii = label.getBytes(StandardCharsets.US_ASCII);
        return Arrays.copyOf(ascii, ascii.length + 1);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        Arrays.fill(a, (byte) 0);
        Arrays.fill(b, (byte) 0);
        return out;
    }
}
