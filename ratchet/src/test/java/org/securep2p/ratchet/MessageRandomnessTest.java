package org.securep2p.ratchet;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.ratchet.Conversation.text;

/**
 * A session restored from an old copy (a backup, a sync tool) repeats chain positions, and so message keys;
 * the per-message random value (docs/PROTOCOL.md 10.4) keeps every body key and nonce unique all the same.
 */
class MessageRandomnessTest {

    private static final String LABEL = "securep2p/v1/ratchet/randomised-message-key";

    /**
     * Encrypt m1 from record R0, put R0 back, encrypt m2 of the same length: both come from the same chain
     * position. Under one key and nonce both AEADs are stream ciphers, so the bodies would satisfy
     * c1 ^ c2 = m1 ^ m2 exactly; they must not, and re-deriving the key and nonce of each confirms they differ.
     */
    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void aRolledBackStateNeverRepeatsAKeyAndNonce(SecurityLevel level) throws Exception {
        Conversation c = new Conversation(level, 61);
        c.bob.decrypt(c.alice.encrypt(text("start")));
        c.alice.decrypt(c.bob.encrypt(text("reply"))); // a DH step on both sides, where there is one
        byte[] r0 = c.aliceRecord();
        byte[] m1 = text("first secret message");
        byte[] m2 = text("other secret payload");
        byte[] w1 = c.alice.encrypt(m1);
        c.aliceStore.store("bob", SessionRecord.decode(r0)); // the home restored from a backup
        FreshGcm.clear(); // a restarted process: the JDK's same-instance repeat guard would not be there
        byte[] w2 = c.alice.encrypt(m2);

        byte[] b1 = WireMessage.decode(w1).body();
        byte[] b2 = WireMessage.decode(w2).body();
        boolean keystreamRepeated = true;
        for (int i = 0; i < m1.length; i++) {
            keystreamRepeated &= (byte) (b1[i] ^ b2[i]) == (byte) (m1[i] ^ m2[i]);
        }
        assertThat(keystreamRepeated).as("same key and nonce for two plaintexts").isFalse();

        // The same chain position (so the same message key), different key || nonce.
        byte[] mk = Kdf.chainStep(level, SessionRecord.decode(r0).state.sendChainKey).message().unsafeBytes();
        WireMessage first = WireMessage.decode(w1);
        WireMessage second = WireMessage.decode(w2);
        if (level == SecurityLevel.STANDARD) {
            assertThat(first.headerField()).as("the plain chain position repeats").isEqualTo(second.headerField());
        }
        assertThat(keyAndNonce(level, mk, first.random())).isNotEqualTo(keyAndNonce(level, mk, second.random()));
        // Bob can read the first; the second repeats its position and is refused, never misread.
        assertThat(c.bob.decrypt(w1)).isEqualTo(m1);
        assertThatThrownBy(() -> c.bob.decrypt(w2)).isInstanceOf(RatchetException.class);
    }

    /** 10.2's message derivation, computed with Bouncy Castle's HKDF rather than ours. */
    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void bodyKeyAndNonceAreHkdfOfTheMessageKeyWithTheRandomInInfo(SecurityLevel level) throws Exception {
        Conversation c = new Conversation(level, 62);
        c.bob.decrypt(c.alice.encrypt(text("start")));
        byte[] mk = Kdf.chainStep(level, SessionRecord.decode(c.aliceRecord()).state.sendChainKey).message()
                .unsafeBytes();
        byte[] plaintext = text("known answer");
        WireMessage m = WireMessage.decode(c.alice.encrypt(plaintext));
        byte[] kn = keyAndNonce(level, mk, m.random());
        byte[] ad = org.bouncycastle.util.Arrays.concatenate(SessionRecord.decode(c.aliceRecord()).state.associatedData,
                m.prefix());
        byte[] expected = bcSeal(level, Arrays.copyOf(kn, 32), Arrays.copyOfRange(kn, 32, 44), ad, plaintext);
        assertThat(m.body()).isEqualTo(expected);
    }

    @Test
    void rejectsOldMessageVersion() throws Exception {
        Conversation c = new Conversation(SecurityLevel.ENHANCED, 63);
        byte[] w = c.alice.encrypt(text("v2"));
        byte[] before = c.bobRecord();
        byte[] old = w.clone();
        old[0] = 1;
        assertThatThrownBy(() -> c.bob.decrypt(old)).isInstanceOfSatisfying(RatchetException.class,
                e -> assertThat(e.reason()).isEqualTo(RatchetException.Reason.OLD_VERSION));
        assertThat(c.bobRecord()).isEqualTo(before);
        assertThat(c.bob.decrypt(w)).isEqualTo(text("v2"));
    }

    static byte[] keyAndNonce(SecurityLevel level, byte[] mk, byte[] random) {
        Digest d = level.kdfHash().outputLength() == 32 ? new SHA256Digest() : new SHA512Digest();
        HKDFBytesGenerator g = new HKDFBytesGenerator(d);
        byte[] ascii = LABEL.getBytes(StandardCharsets.US_ASCII);
        g.init(new HKDFParameters(mk, null, org.bouncycastle.util.Arrays.concatenate(
                Arrays.copyOf(ascii, ascii.length + 1), random)));
        byte[] out = new byte[44];
        g.generateBytes(out, 0, out.length);
        return out;
    }

    private static byte[] bcSeal(SecurityLevel level, byte[] key, byte[] nonce, byte[] ad, byte[] plaintext)
            throws Exception {
        org.bouncycastle.crypto.modes.AEADCipher cipher = level.messageAead().name().startsWith("CHACHA")
                ? new org.bouncycastle.crypto.modes.ChaCha20Poly1305()
                : org.bouncycastle.crypto.modes.GCMBlockCipher.newInstance(
                        org.bouncycastle.crypto.engines.AESEngine.newInstance());
        cipher.init(true, new org.bouncycastle.crypto.params.AEADParameters(
                new org.bouncycastle.crypto.params.KeyParameter(key), 128, nonce, ad));
        byte[] out = new byte[cipher.getOutputSize(plaintext.length)];
        int n = cipher.processBytes(plaintext, 0, plaintext.length, out, 0);
        cipher.doFinal(out, n);
        return out;
    }
}
