package org.securep2p.crypto;

import java.time.Instant;
import java.util.Arrays;

/**
 * A medium-term X25519 prekey, signed by its owner's identity (Ed25519, and Falcon-1024 too when made for
 * QUANTUM_RESISTANT). Rotated by its owner; a verifier refuses one outside its validity window.
 *
 * <p>Wire form: {@code kind=0x01 || id u32 || createdAt u64 (Unix seconds) || typed X25519 key ||
 * HybridSignature}. The signature covers {@code "securep2p/v1/prekey-signature\0" || owner fingerprint ||}
 * this prekey's fields before the signature {@code ||} the encoding of the ML-KEM prekey it is offered with,
 * when the bundle carries one: one signature authenticates the pair, and binds the two together.
 */
final class SignedPreKey {

    static final int KIND = 0x01;

    private final int id;
    private final long createdAt;
    private final byte[] publicKey;
    private final HybridSignature signature;

    SignedPreKey(int id, long createdAt, byte[] publicKey, HybridSignature signature) {
        this.id = id;
        this.createdAt = createdAt;
        this.publicKey = publicKey;
        this.signature = signature;
    }

    static byte[] body(int id, long createdAt, byte[] publicKey) {
        StrictWriter w = new StrictWriter().u8(KIND).u32(id).u64(createdAt);
        KeyType.X25519.write(w, publicKey);
        return w.toByteArray();
    }

    static SignedPreKey read(StrictReader r) throws CryptoException {
        int kind = r.u8("signed prekey kind");
        if (kind != KIND) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "signed prekey kind " + kind);
        }
        int id = r.u32("signed prekey id");
        long createdAt = PreKeys.readTimestamp(r, "signed prekey creation time");
        byte[] key = KeyType.X25519.read(r, "signed prekey");
        HybridSignature sig = HybridSignature.read(r, "signed prekey");
        return new SignedPreKey(id, createdAt, key, sig);
    }

    void write(StrictWriter w) {
        w.bytes(body(id, createdAt, publicKey));
        signature.write(w);
    }

    /** Checks the validity window and the signature over this prekey and {@code kem}'s encoding (if any). */
    void verify(IdentityPublicKeys owner, KemPreKey kem, SecurityLevel level, Instant now) throws CryptoException {
        PreKeys.checkValidity(createdAt, now, "signed prekey " + id);
        signature.verify(owner, signedMessage(owner, body(id, createdAt, publicKey), kem),
                level.requiresFalconSignatures(), "signed prekey " + id);
    }

    /** The message a signed prekey's signature covers, offered with {@code kem} (or with none). */
    static byte[] signedMessage(IdentityPublicKeys owner, byte[] body, KemPreKey kem) {
        return PreKeys.signedMessage(owner, kem == null ? body : Bytes.concat(body, kem.body()));
    }

    public int id() {
        return id;
    }

    public Instant createdAt() {
        return Instant.ofEpochSecond(createdAt);
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    HybridSignature signature() {
        return signature;
    }

    byte[] publicKeyUnsafe() {
        return publicKey;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SignedPreKey s)) {
            return false;
        }
        return id == s.id && createdAt == s.createdAt && Arrays.equals(publicKey, s.publicKey)
                && signature.equals(s.signature);
    }

    @Override
    public int hashCode() {
        return Integer.hashCode(id) * 31 + Arrays.hashCode(publicKey);
    }

    @Override
    public String toString() {
        return "SignedPreKey[id=" + id + ", created " + createdAt() + ", " + signature + "]";
    }
}
