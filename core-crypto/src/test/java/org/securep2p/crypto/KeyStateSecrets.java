package org.securep2p.crypto;

import java.util.ArrayList;
import java.util.List;

/**
 * TEST ONLY. The private keys inside a {@link PrivateKeyState} encoding, each as its own array, so that
 * keymanager's KeyIsolationIT can look for them in a heap dump. It lives in core-crypto's test sources (shipped in
 * its test-jar, so no other module declares a class in this package) to walk the layout of docs/PROTOCOL.md
 * section 17 with the real package-private readers rather than a copy of them. It checks nothing the real reader checks; the checksum is skipped, not verified.
 */
public final class KeyStateSecrets {

    /** One private key and what it is, e.g. "one-time prekey 7". */
    @SuppressWarnings("ArrayRecordComponent") // the very array read from the state, to search a heap dump for
    public record Secret(String name, byte[] bytes) {
        @Override
        public String toString() {
            return name + " (" + bytes.length + " bytes)";
        }
    }

    private KeyStateSecrets() {
    }

    public static List<Secret> privateKeys(byte[] encoded) throws CryptoException {
        StrictReader r = new StrictReader(encoded, "key state");
        if (r.u8("version") != PrivateKeyState.VERSION) {
            throw new CryptoException(CryptoException.Reason.UNKNOWN_VERSION, "key state version");
        }
        List<Secret> out = new ArrayList<>();
        IdentityPublicKeys.read(r);
        out.add(new Secret("identity X25519", r.fixed(X25519.KEY_LENGTH, "x")));
        out.add(new Secret("identity Ed25519", r.fixed(Ed25519.PRIVATE_KEY_LENGTH, "ed")));
        out.add(new Secret("identity Falcon-1024", r.fixed(Falcon1024.PRIVATE_KEY_LENGTH, "falcon")));
        r.u32("next spk");
        r.u32("next kem");
        r.u32("next opk");
        int retired = r.u8("retired spk");
        for (int i = 0; i <= retired; i++) {
            SignedPreKey spk = SignedPreKey.read(r);
            out.add(new Secret("signed prekey " + spk.id(), r.fixed(X25519.KEY_LENGTH, "spk")));
        }
        retired = r.u8("retired kem");
        for (int i = 0; i <= retired; i++) {
            KemPreKey kem = KemPreKey.read(r);
            out.add(new Secret("last-resort KEM prekey seed " + kem.id(), r.fixed(MlKem1024.SEED_LENGTH, "seed")));
        }
        HybridSignature.read(r, "joint signature");
        int n = r.u16("one-time kem");
        for (int i = 0; i < n; i++) {
            KemPreKey kem = KemPreKey.read(r);
            out.add(new Secret("one-time KEM prekey seed " + kem.id(), r.fixed(MlKem1024.SEED_LENGTH, "seed")));
            HybridSignature.read(r, "joint signature");
        }
        n = r.u16("one-time");
        for (int i = 0; i < n; i++) {
            OneTimePreKey opk = OneTimePreKey.read(r);
            out.add(new Secret("one-time prekey " + opk.id(), r.fixed(X25519.KEY_LENGTH, "opk")));
        }
        r.fixed(PrivateKeyState.CHECKSUM_LENGTH, "checksum");
        r.expectEnd();
        return out;
    }
}
