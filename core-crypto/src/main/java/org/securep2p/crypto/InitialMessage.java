package org.securep2p.crypto;

import java.util.Objects;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_VERSION;

/**
 * The initiator's one handshake message: who it is, its ephemeral key, which prekeys it used, the ML-KEM
 * ciphertext, (at QUANTUM_RESISTANT) its signature over the transcript, and a first AEAD ciphertext that proves
 * it holds the derived key.
 *
 * <p>Wire form (version 1): {@code version u8 || level u8 || recipient fingerprint [32] || initiator identity ||
 * typed X25519 ephemeral key || signedPreKeyId u32 || flags u8 (bit 0: one-time prekey used; other bits zero)
 * || [oneTimePreKeyId u32] || (QUANTUM_RESISTANT only) kemPreKeyId u32 || ML-KEM ciphertext [1568] ||
 * HybridSignature || u32 length || AEAD ciphertext}. What the level requires is present exactly then.
 */
public final class InitialMessage {

    static final int VERSION = 1;
    /** The first payload is a handshake confirmation, not bulk data; 64 KiB is ample and bounds memory. */
    public static final int MAX_PAYLOAD = 64 * 1024;
    private static final int FLAG_ONE_TIME = 0x01;

    private final SecurityLevel level;
    private final Fingerprint recipient;
    private final IdentityPublicKeys initiator;
    private final byte[] ephemeralKey;
    private final int signedPreKeyId;
    private final Integer oneTimePreKeyId;
    private final Integer kemPreKeyId;
    private final byte[] kemCiphertext;
    private final HybridSignature signature;
    private final byte[] ciphertext;

    InitialMessage(SecurityLevel level, Fingerprint recipient, IdentityPublicKeys initiator, byte[] ephemeralKey,
            int signedPreKeyId, Integer oneTimePreKeyId, Integer kemPreKeyId, byte[] kemCiphertext,
            HybridSignature signature, byte[] ciphertext) {
        this.level = level;
        this.recipient = recipient;
        this.initiator = initiator;
        this.ephemeralKey = ephemeralKey;
        this.signedPreKeyId = signedPreKeyId;
        this.oneTimePreKeyId = oneTimePreKeyId;
        this.kemPreKeyId = kemPreKeyId;
        this.kemCiphertext = kemCiphertext;
        this.signature = signature;
        this.ciphertext = ciphertext;
    }

    public static InitialMessage decode(byte[] encoded) throws CryptoException {
        StrictReader r = new StrictReader(Objects.requireNonNull(encoded, "encoded"), "initial message");
        int version = r.u8("message version");
        if (version != VERSION) {
            throw new CryptoException(UNKNOWN_VERSION, "initial message version " + version);
        }
        SecurityLevel level = SecurityLevel.fromCode(r.u8("security level"));
        Fingerprint recipient = Fingerprint.fromBytes(r.fixed(Fingerprint.LENGTH, "recipient fingerprint"));
        IdentityPublicKeys initiator = IdentityPublicKeys.read(r);
        byte[] ephemeral = KeyType.X25519.read(r, "ephemeral key");
        int spkId = r.u32("signed prekey id");
        int flags = r.u8("message flags");
        if ((flags & ~FLAG_ONE_TIME) != 0) {
            throw new CryptoException(BAD_ENCODING, "initial message has unknown flags");
        }
        Integer opkId = (flags & FLAG_ONE_TIME) != 0 ? r.u32("one-time prekey id") : null;
        Integer kemId = null;
        byte[] kemCt = null;
        HybridSignature sig = null;
        if (level.usesKemPreKey()) {
            kemId = r.u32("KEM prekey id");
            kemCt = r.fixed(MlKem1024.CIPHERTEXT_LENGTH, "ML-KEM ciphertext");
        }
        if (level.requiresFalconSignatures()) {
            sig = HybridSignature.read(r, "initiator transcript");
        }
        byte[] ct = r.var32(AeadAlgorithm.TAG_LENGTH, MAX_PAYLOAD + AeadAlgorithm.TAG_LENGTH, "payload");
        r.expectEnd();
        return new InitialMessage(level, recipient, initiator, ephemeral, spkId, opkId, kemId, kemCt, sig, ct);
    }

    public byte[] encode() {
        StrictWriter w = new StrictWriter().u8(VERSION).u8(level.code()).bytes(recipient.bytesUnsafe())
                .bytes(initiator.encodedUnsafe());
        KeyType.X25519.write(w, ephemeralKey);
        w.u32(signedPreKeyId).u8(oneTimePreKeyId != null ? FLAG_ONE_TIME : 0);
        if (oneTimePreKeyId != null) {
            w.u32(oneTimePreKeyId);
        }
        if (level.usesKemPreKey()) {
            w.u32(kemPreKeyId).bytes(kemCiphertext);
        }
        if (level.requiresFalconSignatures()) {
            signature.write(w);
        }
        return w.var32(ciphertext).toByteArray();
    }

    public SecurityLevel level() {
        return level;
    }

    public Fingerprint recipient() {
        return recipient;
    }

    public IdentityPublicKeys initiator() {
        return initiator;
    }

    byte[] ephemeralKey() {
        return ephemeralKey;
    }

    int signedPreKeyId() {
        return signedPreKeyId;
    }

    Integer oneTimePreKeyId() {
        return oneTimePreKeyId;
    }

    Integer kemPreKeyId() {
        return kemPreKeyId;
    }

    byte[] kemCiphertext() {
        return kemCiphertext;
    }

    HybridSignature signature() {
        return signature;
    }

    byte[] ciphertext() {
        return ciphertext;
    }

    @Override
    public String toString() {
        return "InitialMessage[" + level + ", from " + initiator.fingerprint().shortForm() + " to "
                + recipient.shortForm() + "]";
    }
}
