package org.securep2p.crypto;

import java.time.Instant;
import java.util.Arrays;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;

/**
 * An ML-KEM-1024 prekey, signed by its owner's identity like a {@link SignedPreKey}. Either one-time
 * (consumed on first use) or last-resort (reused when no one-time prekey is left).
 *
 * <p>Wire form: {@code kind (0x02 last-resort, 0x03 one-time) || id u32 || createdAt u64 || typed ML-KEM-1024
 * key || HybridSignature}, the signature made as for a signed prekey.
 */
public final class KemPreKey {

    static final int KIND_LAST_RESORT = 0x02;
    static final int KIND_ONE_TIME = 0x03;

    private final int id;
    private final boolean oneTime;
    private final long createdAt;
    private final byte[] publicKey;
    private final HybridSignature signature;

    KemPreKey(int id, boolean oneTime, long createdAt, byte[] publicKey, HybridSignature signature) {
        this.id = id;
        this.oneTime = oneTime;
        this.createdAt = createdAt;
        this.publicKey = publicKey;
        this.signature = signature;
    }

    static byte[] body(int id, boolean oneTime, long createdAt, byte[] publicKey) {
        StrictWriter w = new StrictWriter().u8(oneTime ? KIND_ONE_TIME : KIND_LAST_RESORT).u32(id).u64(createdAt);
        KeyType.ML_KEM_1024.write(w, publicKey);
        return w.toByteArray();
    }

    static KemPreKey read(StrictReader r) throws CryptoException {
        int kind = r.u8("KEM prekey kind");
        if (kind != KIND_LAST_RESORT && kind != KIND_ONE_TIME) {
            throw new CryptoException(BAD_ENCODING, "KEM prekey kind " + kind);
        }
        int id = r.u32("KEM prekey id");
        long createdAt = PreKeys.readTimestamp(r, "KEM prekey creation time");
        byte[] key = KeyType.ML_KEM_1024.read(r, "KEM prekey");
        HybridSignature sig = HybridSignature.read(r, "KEM prekey");
        return new KemPreKey(id, kind == KIND_ONE_TIME, createdAt, key, sig);
    }

    void write(StrictWriter w) {
        w.bytes(body(id, oneTime, createdAt, publicKey));
        signature.write(w);
    }

    void verify(IdentityPublicKeys owner, SecurityLevel level, Instant now) throws CryptoException {
        PreKeys.checkValidity(createdAt, now, "KEM prekey " + id);
        signature.verify(owner, PreKeys.signedMessage(owner, body(id, oneTime, createdAt, publicKey)),
                level.requiresFalconSignatures(), "KEM prekey " + id);
    }

    /** The signed body, which the transcript binds (kind, id, time and typed key). */
    byte[] body() {
        return body(id, oneTime, createdAt, publicKey);
    }

    public int id() {
        return id;
    }

    public boolean isOneTime() {
        return oneTime;
    }

    public Instant createdAt() {
        return Instant.ofEpochSecond(createdAt);
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    byte[] publicKeyUnsafe() {
        return publicKey;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof KemPreKey)) {
            return false;
        }
        KemPreKey k = (KemPreKey) o;
        return id == k.id && oneTime == k.oneTime && createdAt == k.createdAt
                && Arrays.equals(publicKey, k.publicKey) && signature.equals(k.signature);
    }

    @Override
    public int hashCode() {
        return Integer.hashCode(id) * 31 + Arrays.hashCode(publicKey);
    }

    @Override
    public String toString() {
        return "KemPreKey[id=" + id + (oneTime ? ", one-time" : ", last-resort") + ", " + signature + "]";
    }
}
