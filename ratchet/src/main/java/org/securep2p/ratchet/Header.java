package org.securep2p.ratchet;

import java.security.MessageDigest;

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
 *
 * <p>Guarantees: immutable (arrays are copied in and out); equality compares every field, the byte fields in
 * constant time (a header is secret metadata: it travels encrypted); {@code toString()} shows the numbers and
 * which KEM fields are present, never key bytes.
 */
final class Header {

    static final int MAX_ENCODED = 32 + 4 + 4 + 1 + MlKem1024KeyPair.PUBLIC_KEY_LENGTH
            + MlKem1024KeyPair.CIPHERTEXT_LENGTH;

    private final byte[] dh;
    private final int pn;
    private final int n;
    private final byte[] kemPublicKey;
    private final byte[] kemCiphertext;

    Header(byte[] dh, int pn, int n, byte[] kemPublicKey, byte[] kemCiphertext) {
        this.dh = dh.clone();
        this.pn = pn;
        this.n = n;
        this.kemPublicKey = kemPublicKey == null ? null : kemPublicKey.clone();
        this.kemCiphertext = kemCiphertext == null ? null : kemCiphertext.clone();
    }

    /** The sender's ratchet public key (DHs). */
    byte[] dh() {
        return dh.clone();
    }

    /** PN: the length of the sender's previous sending chain. */
    int pn() {
        return pn;
    }

    /** N: this message's number in its chain. */
    int n() {
        return n;
    }

    /** The sender's advertised KEM public key, or null. */
    byte[] kemPublicKey() {
        return kemPublicKey == null ? null : kemPublicKey.clone();
    }

    /** The KEM ciphertext that began this chain, or null. */
    byte[] kemCiphertext() {
        return kemCiphertext == null ? null : kemCiphertext.clone();
    }

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

    @Override
    @SuppressWarnings("ShortCircuitBoolean") // deliberate: every field is compared, see below
    public boolean equals(Object o) {
        if (!(o instanceof Header h)) {
            return false;
        }
        // Every field is compared, so the time taken does not tell which one differs.
        boolean same = pn == h.pn & n == h.n;
        same &= MessageDigest.isEqual(dh, h.dh);
        same &= MessageDigest.isEqual(kemPublicKey, h.kemPublicKey);
        same &= MessageDigest.isEqual(kemCiphertext, h.kemCiphertext);
        return same;
    }

    @Override
    public int hashCode() {
        // The numbers only: equal headers have equal numbers, and no key byte enters a hash table's timing.
        return 31 * pn + n;
    }

    @Override
    public String toString() {
        return "Header[pn=" + pn + ", n=" + n + (kemPublicKey != null ? ", KEM public key" : "")
                + (kemCiphertext != null ? ", KEM ciphertext" : "") + "]";
    }
}
