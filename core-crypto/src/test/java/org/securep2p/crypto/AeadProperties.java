package org.securep2p.crypto;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.securep2p.crypto.testing.SeededRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Both AEAD constructions round-trip, and refuse every single-bit change of ciphertext or associated data. */
class AeadProperties {

    /**
     * jqwik may draw the same key in two tries; a single-use key must never encrypt twice (the JDK itself then
     * refuses, KEY_REUSE), so every try's key is made unique by a counter in its first eight bytes.
     */
    private static final java.util.concurrent.atomic.AtomicLong TRIES = new java.util.concurrent.atomic.AtomicLong();

    private static byte[] fresh(byte[] key) {
        byte[] k = key.clone();
        long n = TRIES.incrementAndGet();
        for (int i = 0; i < 8; i++) {
            k[i] = (byte) (n >>> (8 * i));
        }
        return k;
    }

    @Property(tries = 200)
    void roundTripsAndRefusesEveryBitFlip(@ForAll AeadAlgorithm algorithm, @ForAll boolean randomNonces,
            @ForAll @Size(32) byte[] key, @ForAll @Size(max = 64) byte[] plaintext, @ForAll @Size(max = 16) byte[] ad,
            @ForAll long seed) throws Exception {
        try (SecretBytes k = SecretBytes.copyOf(fresh(key));
                Aead aead = randomNonces ? Aead.withRandomNonces(algorithm, k, new SeededRandom(seed))
                        : Aead.singleUse(algorithm, k)) {
            byte[] ct = aead.encrypt(plaintext, ad);
            assertThat(aead.decrypt(ct, ad)).isEqualTo(plaintext);
            for (int bit = 0; bit < 8 * ct.length; bit++) {
                byte[] flipped = ct.clone();
                flipped[bit / 8] ^= (byte) (1 << (bit % 8));
                assertReason(() -> aead.decrypt(flipped, ad), CryptoException.Reason.DECRYPT_FAILED);
            }
            for (int bit = 0; bit < 8 * ad.length; bit++) {
                byte[] flipped = ad.clone();
                flipped[bit / 8] ^= (byte) (1 << (bit % 8));
                assertReason(() -> aead.decrypt(ct, flipped), CryptoException.Reason.DECRYPT_FAILED);
            }
        }
    }

    @Property(tries = 20)
    void singleUseKeyRefusesASecondEncryption(@ForAll AeadAlgorithm algorithm, @ForAll @Size(32) byte[] key)
            throws Exception {
        try (SecretBytes k = SecretBytes.copyOf(fresh(key)); Aead aead = Aead.singleUse(algorithm, k)) {
            aead.encrypt(new byte[1], new byte[0]);
            assertReason(() -> aead.encrypt(new byte[1], new byte[0]), CryptoException.Reason.KEY_REUSE);
        }
    }

    @Property(tries = 50)
    void secretBytesNeverPrintTheirContent(@ForAll @Size(min = 1, max = 64) byte[] secret) {
        SecretBytes s = SecretBytes.copyOf(secret);
        assertThat(s.toString()).isEqualTo("SecretBytes[" + secret.length + " bytes]");
        s.close();
        assertThat(s.isDestroyed()).isTrue();
    }

    private static void assertReason(HybridHandshakeTest.ThrowingCall call, CryptoException.Reason reason) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
