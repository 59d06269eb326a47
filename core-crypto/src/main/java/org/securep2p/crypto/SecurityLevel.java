package org.securep2p.crypto;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;

/**
 * The three security levels and the exact suite each one means (the table in {@code docs/PROTOCOL.md}).
 * A level is a policy object: code asks it what to do ({@link #usesKemPreKey()}, {@link #kdfHash()}, ...)
 * rather than testing which level it is. Levels are ordered: {@link #isAtLeast} is how a floor is checked.
 *
 * <p>The level's {@link #code()} and {@link #algorithmSuite()} are bound into every handshake transcript, so
 * an on-path attacker cannot make two peers agree on a weaker level than the one they sent.
 */
public enum SecurityLevel {
    /** Classical X3DH (X25519, Ed25519), HKDF-SHA-256, symmetric-key ratchet: forward secrecy only. */
    STANDARD(1, HashFunction.SHA_256, false, false, RatchetMode.SYMMETRIC_KEY, AeadAlgorithm.CHACHA20_POLY1305,
            false),
    /** Classical X3DH with HKDF-SHA-512 and the Double Ratchet with header encryption. */
    ENHANCED(2, HashFunction.SHA_512, false, false, RatchetMode.DOUBLE_RATCHET, AeadAlgorithm.AES_256_GCM, false),
    /**
     * Hybrid X3DH + ML-KEM-1024 (PQXDH-style), Falcon-1024 signatures next to Ed25519 (both must verify), the
     * initiator's transcript signature, the Double Ratchet with header encryption and an ML-KEM ratchet step,
     * and a hybrid post-quantum TLS key share. The default.
     */
    QUANTUM_RESISTANT(3, HashFunction.SHA_512, true, true, RatchetMode.DOUBLE_RATCHET_WITH_KEM,
            AeadAlgorithm.AES_256_GCM, true);

    /** What the level asks of the ratchet module. */
    public enum RatchetMode {
        /** A symmetric-key (hash) ratchet: forward secrecy, no recovery after compromise. */
        SYMMETRIC_KEY,
        /** Signal's Double Ratchet with header encryption. */
        DOUBLE_RATCHET,
        /** The Double Ratchet with header encryption and a post-quantum ML-KEM-1024 ratchet step. */
        DOUBLE_RATCHET_WITH_KEM,
    }

    public static final SecurityLevel DEFAULT = QUANTUM_RESISTANT;

    private final int code;
    private final HashFunction kdfHash;
    private final boolean usesKemPreKey;
    private final boolean requiresFalcon;
    private final RatchetMode ratchetMode;
    private final AeadAlgorithm messageAead;
    private final boolean hybridTlsKeyShare;

    SecurityLevel(int code, HashFunction kdfHash, boolean usesKemPreKey, boolean requiresFalcon,
            RatchetMode ratchetMode, AeadAlgorithm messageAead, boolean hybridTlsKeyShare) {
        this.code = code;
        this.kdfHash = kdfHash;
        this.usesKemPreKey = usesKemPreKey;
        this.requiresFalcon = requiresFalcon;
        this.ratchetMode = ratchetMode;
        this.messageAead = messageAead;
        this.hybridTlsKeyShare = hybridTlsKeyShare;
    }

    /** The wire code of the level (1, 2, 3). */
    public int code() {
        return code;
    }

    /** The level with wire code {@code code}; {@code BAD_ENCODING} for any other value. */
    public static SecurityLevel fromCode(int code) throws CryptoException {
        for (SecurityLevel l : values()) {
            if (l.code == code) {
                return l;
            }
        }
        throw new CryptoException(BAD_ENCODING, "unknown security level code " + code);
    }

    public boolean isAtLeast(SecurityLevel floor) {
        return code >= floor.code;
    }

    /** The hash of the handshake KDF and transcript, and of the ratchet KDFs. */
    public HashFunction kdfHash() {
        return kdfHash;
    }

    /** Whether the handshake encapsulates to the responder's ML-KEM-1024 prekey. */
    public boolean usesKemPreKey() {
        return usesKemPreKey;
    }

    /**
     * Whether Falcon-1024 signatures are required next to Ed25519 (on prekeys and on the initiator's
     * transcript signature). Below this level the initiator does not sign the transcript at all, which keeps
     * the classical handshake deniable like X3DH.
     */
    public boolean requiresFalconSignatures() {
        return requiresFalcon;
    }

    public RatchetMode ratchetMode() {
        return ratchetMode;
    }

    /** The AEAD of ratchet messages (a different family from the transport's ChaCha20 above STANDARD). */
    public AeadAlgorithm messageAead() {
        return messageAead;
    }

    /** Whether the TLS channel must offer a hybrid post-quantum key share. */
    public boolean hybridTlsKeyShare() {
        return hybridTlsKeyShare;
    }

    /** The KDF info prefix naming protocol, curve, hash and KEM, as PQXDH's info string does. */
    public String kdfInfoLabel() {
        return Labels.HANDSHAKE_KDF_PREFIX + "CURVE25519_" + kdfHash.standardName()
                + (usesKemPreKey ? "_ML-KEM-1024" : "");
    }

    /** The full set of algorithms, bound into the transcript. */
    public String algorithmSuite() {
        return "level=" + name()
                + ";dh=X25519"
                + ";sig=" + (requiresFalcon ? "Ed25519+Falcon-1024" : "Ed25519")
                + ";kem=" + (usesKemPreKey ? "ML-KEM-1024" : "none")
                + ";kdf=HKDF-" + kdfHash.standardName()
                + ";handshake-aead=ChaCha20-Poly1305"
                + ";message-aead=" + messageAead.standardName()
                + ";ratchet=" + ratchetMode.name()
                + ";tls-hybrid=" + hybridTlsKeyShare;
    }
}
