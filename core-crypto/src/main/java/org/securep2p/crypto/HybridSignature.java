package org.securep2p.crypto;

import java.security.SecureRandom;
import java.util.Arrays;

import static org.securep2p.crypto.CryptoException.Reason.BAD_SIGNATURE;

/**
 * An Ed25519 signature and, where the level asks for it, a Falcon-1024 signature over the same message. Where
 * both are present both must verify: an attacker has to break both schemes, not either.
 *
 * <p>Wire form: {@code ed25519[64] || u16 falconLength || falcon[falconLength]} ({@code falconLength} 0 when
 * absent).
 */
public final class HybridSignature {

    private static final byte[] NONE = new byte[0];

    private final byte[] ed25519;
    private final byte[] falcon1024;

    private HybridSignature(byte[] ed25519, byte[] falcon1024) {
        this.ed25519 = ed25519;
        this.falcon1024 = falcon1024;
    }

    static HybridSignature sign(byte[] ed25519PrivateKey, byte[] falconPrivateKey, byte[] falconPublicKey,
            byte[] message, SecureRandom random) throws CryptoException {
        byte[] ed = Ed25519.sign(ed25519PrivateKey, message);
        byte[] falcon = falconPrivateKey == null ? NONE
                : Falcon1024.sign(falconPrivateKey, falconPublicKey, message, random);
        return new HybridSignature(ed, falcon);
    }

    /**
     * Reads the wire form {@code ed25519[64] || u16 falconLength || falcon} strictly (used by the key
     * manager's IPC to carry a signature exactly as the handshake encodes it).
     */
    public static HybridSignature read(StrictReader r, String field) throws CryptoException {
        byte[] ed = r.fixed(Ed25519.SIGNATURE_LENGTH, field + " Ed25519 signature");
        byte[] falcon = r.var16(0, Falcon1024.MAX_SIGNATURE_LENGTH, field + " Falcon-1024 signature");
        return new HybridSignature(ed, falcon);
    }

    /** Writes the wire form that {@link #read} parses. */
    public void write(StrictWriter w) {
        w.bytes(ed25519).var16(falcon1024);
    }

    public boolean hasFalcon() {
        return falcon1024.length > 0;
    }

    /**
     * Verifies against {@code signer}'s keys. The Ed25519 signature must always verify; the Falcon-1024 one
     * must be present when {@code requireFalcon}, and must verify whenever present.
     */
    void verify(IdentityPublicKeys signer, byte[] message, boolean requireFalcon, String what)
            throws CryptoException {
        if (!Ed25519.verify(signer.ed25519(), message, ed25519)) {
            throw new CryptoException(BAD_SIGNATURE, what + ": Ed25519 signature does not verify");
        }
        if (!hasFalcon()) {
            if (requireFalcon) {
                throw new CryptoException(BAD_SIGNATURE, what + ": Falcon-1024 signature required but absent");
            }
            return;
        }
        if (!Falcon1024.verify(signer.falcon1024(), message, falcon1024)) {
            throw new CryptoException(BAD_SIGNATURE, what + ": Falcon-1024 signature does not verify");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HybridSignature s && Arrays.equals(ed25519, s.ed25519)
                && Arrays.equals(falcon1024, s.falcon1024);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ed25519);
    }

    @Override
    public String toString() {
        return "HybridSignature[Ed25519" + (hasFalcon() ? "+Falcon-1024" : "") + "]";
    }
}
