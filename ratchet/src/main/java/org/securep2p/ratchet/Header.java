package org.securep2p.ratchet;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.MlKem1024KeyPair;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.crypto.X25519KeyPair;

/**
 * A message header of the double ratchet (ENHANCED and above): the sender's ratchet key, PN, N and, at
 * QUANTUM_RESISTANT, the KEM step's fields. Wire form (encrypted under the header key):
 * {@code dh[32] || pn u32 || n u32 || flags u8 (bit 0: KEM public key follows, bit 1: KEM ciphertext follows)
 * || [kemPublicKey 1568] || [kemCiphertext 1568]}.
 */
record Header(byte[] dh, int pn, int n, byte[] kemPublicKey, byte[] kemCiphertext) {

    static final int MAX_ENCODED = 32 + 4 + 4 + 1 + MlKem1024KeyPair.PUBLIC_KEY_LENGTH
            + MlKem1024KeyPair.CIPHERTEXT_LENGTH;

    byte[] encode() {
        StrictWriter w = new StrictWriter().bytes(dh).u32(pn).u32(n)
                .u8((kemPublicKey != null ? 1 : 0) | (kemCiphertext != null ? 2 : 0));
        if (kemPublicKey != null) {
            w.bytes(kemPublicKey);
        }
        if (kemCiphertext != null) {
            w.bytes(kemCiphertext);
        }
        return w.toByteArray();
    }

    static Header decode(byte[] bytes, boolean kemAllowed) throws RatchetException {
        try {
            StrictReader r = new StrictReader(bytes, "header");
            byte[] dh = r.fixed(X25519KeyPair.KEY_LENGTH, "ratchet key");
            int pn = r.u32("PN");
            int n = r.u32("N");
            int flags = r.u8("KEM flags");
            if ((flags & ~3) != 0 || (!kemAllowed && flags != 0)) {
                throw new RatchetException(RatchetException.Reason.MALFORMED, "header has unexpected KEM flags");
            }
            byte[] pub = null;
            if ((flags & 1) != 0) {
                // Checked (FIPS 203 modulus check) when adopted, not on every header that repeats it.
                pub = r.fixed(MlKem1024KeyPair.PUBLIC_KEY_LENGTH, "KEM public key");
            }
            byte[] ct = (flags & 2) != 0 ? r.fixed(MlKem1024KeyPair.CIPHERTEXT_LENGTH, "KEM ciphertext") : null;
            r.expectEnd();
            return new Header(dh, pn, n, pub, ct);
        } catch (CryptoException e) {
            throw new RatchetException(RatchetException.Reason.MALFORMED, e.getMessage(), e);
        }
    }
}
