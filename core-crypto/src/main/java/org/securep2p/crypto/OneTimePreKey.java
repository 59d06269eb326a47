package org.securep2p.crypto;

import java.util.Arrays;

/**
 * A one-time X25519 prekey. Unsigned, as in X3DH: a substituted one only makes the handshake fail (the
 * responder's DH4 differs, so key confirmation fails), it cannot make it succeed with another key.
 *
 * <p>Wire form: {@code id u32 || typed X25519 key}.
 */
public final class OneTimePreKey {

    private final int id;
    private final byte[] publicKey;

    OneTimePreKey(int id, byte[] publicKey) {
        this.id = id;
        this.publicKey = publicKey;
    }

    static OneTimePreKey read(StrictReader r) throws CryptoException {
        int id = r.u32("one-time prekey id");
        byte[] key = KeyType.X25519.read(r, "one-time prekey");
        return new OneTimePreKey(id, key);
    }

    void write(StrictWriter w) {
        w.u32(id);
        KeyType.X25519.write(w, publicKey);
    }

    public int id() {
        return id;
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    byte[] publicKeyUnsafe() {
        return publicKey;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OneTimePreKey k && id == k.id && Arrays.equals(publicKey, k.publicKey);
    }

    @Override
    public int hashCode() {
        return Integer.hashCode(id) * 31 + Arrays.hashCode(publicKey);
    }

    @Override
    public String toString() {
        return "OneTimePreKey[id=" + id + "]";
    }
}
