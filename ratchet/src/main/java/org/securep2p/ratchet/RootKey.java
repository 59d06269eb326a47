package org.securep2p.ratchet;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;

/** RK of the specification: the salt of every DH (and KEM) ratchet step. */
final class RootKey extends RatchetKey {

    /** Takes ownership of {@code bytes}. */
    RootKey(byte[] bytes) {
        super(bytes);
    }

    /** KDF_RK with this key: the next root key, a new chain and the header key of the chain after it. */
    RootStep step(SecurityLevel level, SecretBytes dh, SecretBytes kemSecret) throws CryptoException {
        return Kdf.rootStep(level, this, dh, kemSecret);
    }
}
