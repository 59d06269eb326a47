package org.securep2p.ratchet;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * KDF_RK, KDF_CK and the initial derivation, checked two ways: against fixed expected values (so any change
 * to labels, order or lengths is caught), and against an independent computation with Bouncy Castle's HKDF
 * and HMAC (the production code uses the JDK's), straight from docs/PROTOCOL.md section 10.2.
 */
class KdfKnownAnswerTest {

    private static final byte[] RK = filled(0x11);
    private static final byte[] CK = filled(0x22);
    private static final byte[] DH = filled(0x33);
    private static final byte[] KEM = filled(0x44);
    private static final byte[] SK = filled(0x55);
    private static final byte[] TH = Arrays.copyOf(filled(0x66), 64);

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void chainStepIsHmacWithConstantsOneAndTwo(SecurityLevel level) {
        ChainStep out = Kdf.chainStep(level, new ChainKey(CK.clone()));
        assertThat(out.message().unsafeBytes()).isEqualTo(Arrays.copyOf(bcHmac(level, CK, new byte[] {1}), 32));
        assertThat(out.next().unsafeBytes()).isEqualTo(Arrays.copyOf(bcHmac(level, CK, new byte[] {2}), 32));
    }

    @ParameterizedTest
    @EnumSource(value = SecurityLevel.class, names = {"ENHANCED", "QUANTUM_RESISTANT"})
    void rootStepIsHkdfSaltedWithTheRootKey(SecurityLevel level) throws Exception {
        try (SecretBytes dh = SecretBytes.copyOf(DH); SecretBytes kem = SecretBytes.copyOf(KEM)) {
            RootStep withoutKem = Kdf.rootStep(level, new RootKey(RK.clone()), dh, null);
            assertThat(concat(withoutKem)).isEqualTo(bcHkdf(level, DH, RK, Kdf.ROOT, 96));
            RootStep withKem = Kdf.rootStep(level, new RootKey(RK.clone()), dh, kem);
            byte[] ikm = Arrays.copyOf(DH, 64);
            System.arraycopy(KEM, 0, ikm, 32, 32);
            assertThat(concat(withKem)).isEqualTo(bcHkdf(level, ikm, RK, Kdf.ROOT, 96));
        }
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void initialKeysComeFromTheSessionSecretSaltedWithTheTranscript(SecurityLevel level) throws Exception {
        boolean symmetric = level == SecurityLevel.STANDARD;
        try (SecretBytes sk = SecretBytes.copyOf(SK)) {
            byte[] out;
            if (symmetric) {
                Kdf.SymmetricStart k = Kdf.initialSymmetric(level, sk, TH);
                out = concat(k.initiatorChain(), k.responderChain());
            } else {
                Kdf.DoubleStart k = Kdf.initialDouble(level, sk, TH);
                out = concat(k.root(), k.initiatorChain(), k.initiatorHeader(), k.initiatorNextHeader(),
                        k.responderNextHeader());
            }
            assertThat(out).isEqualTo(bcHkdf(level, SK, TH,
                    symmetric ? Kdf.INIT_SYMMETRIC : Kdf.INIT_DOUBLE, symmetric ? 64 : 160));
        }
    }

    /** Expected values computed a third way, with Python's hmac and hashlib, from section 10.2. */
    @org.junit.jupiter.api.Test
    void matchesRecordedValues() throws Exception {
        assertThat(Hex.toHexString(Kdf.chainStep(SecurityLevel.STANDARD, new ChainKey(CK.clone())).message().unsafeBytes()))
                .isEqualTo("ea00790f3c60d49909b0fa0f8fba0b5756550b9c46647bac70f2390ec1b00b16");
        assertThat(Hex.toHexString(Kdf.chainStep(SecurityLevel.QUANTUM_RESISTANT, new ChainKey(CK.clone())).next().unsafeBytes()))
                .isEqualTo("e118cc0575d6d418af9bd144128cadee8b9c3651e78cd36a2d8f819d6f4d73dc");
        try (SecretBytes dh = SecretBytes.copyOf(DH); SecretBytes kem = SecretBytes.copyOf(KEM)) {
            assertThat(Hex.toHexString(Kdf.rootStep(SecurityLevel.QUANTUM_RESISTANT, new RootKey(RK.clone()), dh, kem).root().unsafeBytes()))
                    .isEqualTo("ff4a4197775a24b3010ff731cf498642704a45260c08a4e5df0549f6e2289a4c");
        }
    }

    private static byte[] bcHmac(SecurityLevel level, byte[] key, byte[] message) {
        HMac mac = new HMac(digest(level));
        mac.init(new KeyParameter(key));
        mac.update(message, 0, message.length);
        byte[] out = new byte[mac.getMacSize()];
        mac.doFinal(out, 0);
        return out;
    }

    private static byte[] bcHkdf(SecurityLevel level, byte[] ikm, byte[] salt, String label, int length) {
        HKDFBytesGenerator g = new HKDFBytesGenerator(digest(level));
        byte[] ascii = label.getBytes(StandardCharsets.US_ASCII);
        g.init(new HKDFParameters(ikm, salt, Arrays.copyOf(ascii, ascii.length + 1)));
        byte[] out = new byte[length];
        g.generateBytes(out, 0, length);
        return out;
    }

    private static Digest digest(SecurityLevel level) {
        return level.kdfHash().outputLength() == 32 ? new SHA256Digest() : new SHA512Digest();
    }

    private static byte[] concat(RootStep step) {
        return concat(step.root(), step.chain(), step.nextHeader());
    }

    private static byte[] concat(RatchetKey... keys) {
        byte[] out = new byte[0];
        for (RatchetKey k : keys) {
            byte[] p = k.unsafeBytes();
            byte[] n = Arrays.copyOf(out, out.length + p.length);
            System.arraycopy(p, 0, n, out.length, p.length);
            out = n;
        }
        return out;
    }

    private static byte[] filled(int b) {
        byte[] a = new byte[32];
        Arrays.fill(a, (byte) b);
        return a;
    }
}
