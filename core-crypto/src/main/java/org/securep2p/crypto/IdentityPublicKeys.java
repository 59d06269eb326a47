package org.securep2p.crypto;

import java.util.Arrays;
import java.util.Objects;

import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_VERSION;

/**
 * The public half of a long-term identity: an X25519 key for agreement, and Ed25519 and Falcon-1024 keys for
 * signatures. Immutable; bytes are copied in and out. The {@link #encoded()} form is canonical (one identity,
 * one encoding), and the {@link Fingerprint} is computed from it.
 *
 * <p>Not its job: deciding whether an identity is trusted. That is the app's trust store.
 */
public final class IdentityPublicKeys {

    static final int VERSION = 1;
    /** 1 version byte, then three typed keys. */
    public static final int ENCODED_LENGTH = 1 + (1 + KeyType.X25519.length) + (1 + KeyType.ED25519.length)
            + (1 + KeyType.FALCON_1024.length);

    private final byte[] x25519;
    private final byte[] ed25519;
    private final byte[] falcon1024;
    private final byte[] encoded;
    private final Fingerprint fingerprint;

    private IdentityPublicKeys(byte[] x25519, byte[] ed25519, byte[] falcon1024) {
        this.x25519 = x25519;
        this.ed25519 = ed25519;
        this.falcon1024 = falcon1024;
        this.encoded = encode(x25519, ed25519, falcon1024);
        this.fingerprint = Fingerprint.of(encoded);
    }

    private static byte[] encode(byte[] x25519, byte[] ed25519, byte[] falcon1024) {
        StrictWriter w = new StrictWriter().u8(VERSION);
        KeyType.X25519.write(w, x25519);
        KeyType.ED25519.write(w, ed25519);
        KeyType.FALCON_1024.write(w, falcon1024);
        return w.toByteArray();
    }

    /** From freshly generated public keys; goes through the parser so every instance passes the same checks. */
    static IdentityPublicKeys of(byte[] x25519, byte[] ed25519, byte[] falcon1024) throws CryptoException {
        return decode(encode(x25519, ed25519, falcon1024));
    }

    /** Parses the canonical encoding; the whole array must be consumed. */
    public static IdentityPublicKeys decode(byte[] encoded) throws CryptoException {
        StrictReader r = new StrictReader(Objects.requireNonNull(encoded, "encoded"), "identity");
        IdentityPublicKeys id = read(r);
        r.expectEnd();
        return id;
    }

    static IdentityPublicKeys read(StrictReader r) throws CryptoException {
        int version = r.u8("identity version");
        if (version != VERSION) {
            throw new CryptoException(UNKNOWN_VERSION, "identity encoding version " + version);
        }
        byte[] x = KeyType.X25519.read(r, "identity X25519 key");
        byte[] ed = KeyType.ED25519.read(r, "identity Ed25519 key");
        byte[] falcon = KeyType.FALCON_1024.read(r, "identity Falcon-1024 key");
        return new IdentityPublicKeys(x, ed, falcon);
    }

    /** The canonical encoding (a copy). */
    public byte[] encoded() {
        return encoded.clone();
    }

    byte[] encodedUnsafe() {
        return encoded;
    }

    public Fingerprint fingerprint() {
        return fingerprint;
    }

    byte[] x25519() {
        return x25519;
    }

    byte[] ed25519() {
        return ed25519;
    }

    /**
     * The raw 32-byte Ed25519 public key (a copy): the transport pins its TLS certificate to it, because the
     * TLS key is this key.
     */
    public byte[] ed25519PublicKey() {
        return ed25519.clone();
    }

    byte[] falcon1024() {
        return falcon1024;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdentityPublicKeys k && Arrays.equals(encoded, k.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
        return "IdentityPublicKeys[" + fingerprint.shortForm() + "]";
    }
}
