package org.securep2p.ratchet;

import org.securep2p.crypto.SecurityLevel;

/** CKs or CKr of the specification: a sending or receiving chain at its current position. */
final class ChainKey extends RatchetKey {

    /** Takes ownership of {@code bytes}. */
    ChainKey(byte[] bytes) {
        super(bytes);
    }

    /** KDF_CK with this key: the chain key of the next position and this position's message key. */
    ChainStep step(SecurityLevel level) {
        return Kdf.chainStep(level, this);
    }
}
