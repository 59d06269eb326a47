package org.securep2p.crypto;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.IDENTITY_MISMATCH;
import static org.securep2p.crypto.CryptoException.Reason.MISSING_PREKEY;
import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_VERSION;

/**
 * What a responder offers an initiator: its identity, a signed X25519 prekey, an ML-KEM-1024 prekey (needed at
 * QUANTUM_RESISTANT) and optionally a one-time X25519 prekey. In our setting both peers are online and the
 * bundle is sent live over the TLS channel at connect time.
 *
 * <p>Wire form: {@code version=1 || identity || SignedPreKey || flags u8 (bit 0: KEM prekey follows, bit 1:
 * one-time prekey follows; other bits zero) || [KemPreKey] || [OneTimePreKey]}.
 *
 * <p>Not its job: trusting the identity. {@link HybridHandshake} checks it against an expected fingerprint.
 */
public final class PreKeyBundle {

    static final int VERSION = 1;
    private static final int FLAG_KEM = 0x01;
    private static final int FLAG_ONE_TIME = 0x02;

    private final IdentityPublicKeys identity;
    private final SignedPreKey signedPreKey;
    private final KemPreKey kemPreKey;
    private final OneTimePreKey oneTimePreKey;

    PreKeyBundle(IdentityPublicKeys identity, SignedPreKey signedPreKey, KemPreKey kemPreKey,
            OneTimePreKey oneTimePreKey) {
        this.identity = Objects.requireNonNull(identity);
        this.signedPreKey = Objects.requireNonNull(signedPreKey);
        this.kemPreKey = kemPreKey;
        this.oneTimePreKey = oneTimePreKey;
    }

    public static PreKeyBundle decode(byte[] encoded) throws CryptoException {
        StrictReader r = new StrictReader(Objects.requireNonNull(encoded, "encoded"), "prekey bundle");
        int version = r.u8("bundle version");
        if (version != VERSION) {
            throw new CryptoException(UNKNOWN_VERSION, "prekey bundle version " + version);
        }
        IdentityPublicKeys identity = IdentityPublicKeys.read(r);
        SignedPreKey spk = SignedPreKey.read(r);
        int flags = r.u8("bundle flags");
        if ((flags & ~(FLAG_KEM | FLAG_ONE_TIME)) != 0) {
            throw new CryptoException(BAD_ENCODING, "prekey bundle has unknown flags");
        }
        KemPreKey kem = (flags & FLAG_KEM) != 0 ? KemPreKey.read(r) : null;
        OneTimePreKey otp = (flags & FLAG_ONE_TIME) != 0 ? OneTimePreKey.read(r) : null;
        r.expectEnd();
        return new PreKeyBundle(identity, spk, kem, otp);
    }

    public byte[] encode() {
        StrictWriter w = new StrictWriter().u8(VERSION).bytes(identity.encodedUnsafe());
        signedPreKey.write(w);
        w.u8((kemPreKey != null ? FLAG_KEM : 0) | (oneTimePreKey != null ? FLAG_ONE_TIME : 0));
        if (kemPreKey != null) {
            kemPreKey.write(w);
        }
        if (oneTimePreKey != null) {
            oneTimePreKey.write(w);
        }
        return w.toByteArray();
    }

    /**
     * Checks the bundle for use at {@code level}: the identity is {@code expected} (when given); at
     * QUANTUM_RESISTANT a KEM prekey is present; the prekeys are within their validity windows; and the signed
     * prekey's signature, which covers the KEM prekey too, verifies (Ed25519, and Falcon-1024 at
     * QUANTUM_RESISTANT). Public for a bundle read from an organisation's directory (PROTOCOL.md §23.3), which is
     * checked before any handshake uses it.
     */
    public void verify(SecurityLevel level, Fingerprint expected, Instant now) throws CryptoException {
        if (expected != null && !identity.fingerprint().equals(expected)) {
            throw new CryptoException(IDENTITY_MISMATCH, "bundle identity " + identity.fingerprint().shortForm()
                    + " is not the expected " + expected.shortForm());
        }
        if (level.usesKemPreKey() && kemPreKey == null) {
            throw new CryptoException(MISSING_PREKEY, level + " requires an ML-KEM-1024 prekey; bundle has none");
        }
        if (kemPreKey != null) {
            kemPreKey.checkValidity(now);
        }
        signedPreKey.verify(identity, kemPreKey, level, now);
    }

    public IdentityPublicKeys identity() {
        return identity;
    }

    // The prekeys themselves stay inside core-crypto: only the handshake reads them (keymanager's tests go through
    // the test-jar's PreKeyViews). The one-time prekey is public because bench's ReusableOneTimePreKeys reads it.
    SignedPreKey signedPreKey() {
        return signedPreKey;
    }

    Optional<KemPreKey> kemPreKey() {
        return Optional.ofNullable(kemPreKey);
    }

    public Optional<OneTimePreKey> oneTimePreKey() {
        return Optional.ofNullable(oneTimePreKey);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof PreKeyBundle b)) {
            return false;
        }
        return identity.equals(b.identity) && signedPreKey.equals(b.signedPreKey)
                && Objects.equals(kemPreKey, b.kemPreKey) && Objects.equals(oneTimePreKey, b.oneTimePreKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(identity, signedPreKey, kemPreKey, oneTimePreKey);
    }

    @Override
    public String toString() {
        return "PreKeyBundle[" + identity.fingerprint().shortForm() + ", " + signedPreKey
                + (kemPreKey != null ? ", " + kemPreKey : "") + (oneTimePreKey != null ? ", " + oneTimePreKey : "")
                + "]";
    }
}
