package org.securep2p.crypto;

import static org.securep2p.crypto.CryptoException.Reason.WRONG_KEY_TYPE;

/**
 * The type byte in front of every public key on the wire. Curve keys and KEM keys have disjoint encodings
 * (the PQXDH analysis of Bhargavan et al. asks for this), so a key can never be taken for one of another
 * type.
 */
enum KeyType {
    X25519(0x01, org.securep2p.crypto.X25519.KEY_LENGTH),
    ED25519(0x02, Ed25519.PUBLIC_KEY_LENGTH),
    FALCON_1024(0x03, Falcon1024.PUBLIC_KEY_LENGTH),
    ML_KEM_1024(0x04, MlKem1024.PUBLIC_KEY_LENGTH);

    final int code;
    final int length;

    KeyType(int code, int length) {
        this.code = code;
        this.length = length;
    }

    /** Reads a typed key that must be of this type, and checks it is well formed. */
    byte[] read(StrictReader r, String field) throws CryptoException {
        int t = r.u8(field + " type");
        if (t != code) {
            throw new CryptoException(WRONG_KEY_TYPE, field + ": expected " + name() + " key, type byte " + t);
        }
        byte[] key = r.fixed(length, field);
        if (this == FALCON_1024) {
            Falcon1024.checkPublicKey(key);
        } else if (this == ML_KEM_1024) {
            MlKem1024.checkPublicKey(key);
        }
        return key;
    }

    void write(StrictWriter w, byte[] key) {
        if (key.length != length) {
            throw new IllegalArgumentException(name() + " key must be " + length + " bytes");
        }
        w.u8(code).bytes(key);
    }

    byte[] encode(byte[] key) {
        StrictWriter w = new StrictWriter();
        write(w, key);
        return w.toByteArray();
    }
}
