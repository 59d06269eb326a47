package org.securep2p.crypto;

import java.time.Instant;
import java.util.Arrays;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;

/**
 * An ML-KEM-1024 prekey. Either one-time (consumed on first use) or last-resort (reused when no one-time
 * prekey is left). It is signed together with the signed prekey it is offered with: the signed prekey's
 * signature covers both (see {@link SignedPreKey}), so the pair cannot be taken apart and mixed.
 *
 * <p>Wire form: {@code kind (0x02 last-resort, 0x03 one-time) || id u32 || createdAt u64 || typed ML-KEM-1024
 * key}.
 */
final class KemPreKey {

    static final int KIND_LAST_RESORT = 0x02;
    static final int KIND_ONE_TIME = 0x03;

    private final int id;
    private final boolean oneTime;
    private final long createdAt;
    private final byte[] publicKey;

    KemPreKey(int id, boolean oneTime, long createdAt, byte[] publicKey) {
        this.id = id;
        this.oneTime = oneTime;
        this.createdAt = createdAt;
        this.publicKey = publicKey;
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
        return new KemPreKey(id, kind == KIND_ONE_TIME, createdAt, key);
    }

    void write(StrictWriter w) {
        w.bytes(body());
    }

    void checkValidity(Instant now) throws CryptoException {
        PreKeys.checkValidity(createdAt, now, "KEM prekey " + id);
    }

    /** The encoding, which the signed prekey's signature and the transcript bind (kind, id, time, typed key). */
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
        if (!(o instanceof KemPreKey k)) {
            return false;
        }
        return id == k.id && oneTime == k.oneTime && createdAt == k.createdAt
                && Arrays.equals(publicKey, k.publicKey);
    }

    @Override
    public int hashCode() {
        return Integer.hashCode(id) * 31 + Arrays.hashCode(publicKey);
    }

    @Override
    public String toString() {
        return "KemPreKey[id=" + id + (oneTime ? ", one-time" : ", last-resort") + "]";
    }
}
