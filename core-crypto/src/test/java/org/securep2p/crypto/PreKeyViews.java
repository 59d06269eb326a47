package org.securep2p.crypto;

import java.util.Arrays;

/**
 * TEST ONLY. What other modules' tests may read of a bundle's signed and KEM prekeys, which are package-private:
 * keymanager's tests check ids and public keys after restarts and crashes. Shipped in core-crypto's test-jar.
 */
public final class PreKeyViews {

    /** A prekey's id, public key and (for a KEM prekey) whether it is one-time; copies the key. */
    @SuppressWarnings("ArrayRecordComponent") // copied in; test views compared through their fields
    public record View(int id, byte[] publicKey, boolean oneTime) {
        public View {
            publicKey = publicKey.clone();
        }

        @Override
        public byte[] publicKey() {
            return publicKey.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof View v && v.id == id && v.oneTime == oneTime && Arrays.equals(v.publicKey, publicKey);
        }

        @Override
        public int hashCode() {
            return 31 * id + Arrays.hashCode(publicKey);
        }

        @Override
        public String toString() {
            return "prekey " + id + (oneTime ? " (one-time)" : "");
        }
    }

    private PreKeyViews() {
    }

    public static View signedPreKey(PreKeyBundle bundle) {
        SignedPreKey spk = bundle.signedPreKey();
        return new View(spk.id(), spk.publicKey(), false);
    }

    /** The bundle's KEM prekey; throws if it carries none. */
    public static View kemPreKey(PreKeyBundle bundle) {
        KemPreKey kem = bundle.kemPreKey().orElseThrow();
        return new View(kem.id(), kem.publicKey(), kem.isOneTime());
    }
}
