package org.securep2p.crypto;

import java.util.Arrays;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Properties of the handshake and its codecs over random keys, levels and inputs. */
class HybridHandshakeProperties {

    private static final Parties FIXED = fixed();

    private static Parties fixed() {
        try {
            return new Parties("properties", 0, 0);
        } catch (CryptoException e) {
            throw new AssertionError(e);
        }
    }

    @Property(tries = 25)
    void bothSidesAgreeForAnyKeysAndLevel(@ForAll long seed, @ForAll SecurityLevel level,
            @ForAll boolean oneTimePreKey, @ForAll @Size(max = 300) byte[] payload) throws Exception {
        Parties p = new Parties("seed " + seed, oneTimePreKey ? 1 : 0, 0);
        PreKeyBundle bundle = PreKeyBundle.decode(p.bob.preKeyBundle().encode());
        assertThat(bundle).isEqualTo(p.bob.preKeyBundle());
        try (HandshakeResult a = p.handshake.initiate(p.alice, bundle, level, p.bob.identity().fingerprint(), payload)) {
            byte[] wire = a.initialMessage().orElseThrow().encode();
            assertThat(InitialMessage.decode(wire).encode()).isEqualTo(wire);
            try (HandshakeResult b = p.handshake.respond(p.bob, bundle, InitialMessage.decode(wire), level)) {
                assertThat(a.sessionSecret().equalsConstantTime(b.sessionSecret())).isTrue();
                assertThat(b.payload()).hasValueSatisfying(x -> assertThat(x).isEqualTo(payload));
                assertThat(SafetyNumber.of(a.peerIdentity().fingerprint(), p.alice.identity().fingerprint()))
                        .isEqualTo(SafetyNumber.of(b.peerIdentity().fingerprint(), p.bob.identity().fingerprint()));
            }
        }
    }

    @Property(tries = 500)
    void decodersRefuseArbitraryBytesWithATypedError(@ForAll @Size(max = 8000) byte[] bytes) {
        for (HybridHandshakeTest.ThrowingCall decode : new HybridHandshakeTest.ThrowingCall[] {
                () -> PreKeyBundle.decode(bytes), () -> InitialMessage.decode(bytes),
                () -> IdentityPublicKeys.decode(bytes)}) {
            assertThatThrownBy(decode::run).isInstanceOf(CryptoException.class);
        }
    }

    @Property(tries = 300)
    void everyTruncationOfABundleIsRefused(@ForAll @IntRange(min = 0, max = 100_000) int cut) throws Exception {
        byte[] bundle = FIXED.bob.preKeyBundle().encode();
        int len = cut % bundle.length;
        assertThatThrownBy(() -> PreKeyBundle.decode(Arrays.copyOf(bundle, len)))
                .isInstanceOfSatisfying(CryptoException.class,
                        e -> assertThat(e.reason()).isEqualTo(CryptoException.Reason.BAD_ENCODING));
    }

    @Property(tries = 200)
    void safetyNumberIsSymmetricAndSixtyDigits(@ForAll @Size(32) byte[] a, @ForAll @Size(32) byte[] b)
            throws Exception {
        Fingerprint fa = Fingerprint.fromBytes(a);
        Fingerprint fb = Fingerprint.fromBytes(b);
        SafetyNumber n = SafetyNumber.of(fa, fb);
        assertThat(n).isEqualTo(SafetyNumber.of(fb, fa));
        assertThat(n.digits()).hasSize(60).containsOnlyDigits();
    }

    @Property(tries = 200)
    void fingerprintDisplayFormParsesBack(@ForAll @Size(32) byte[] a) throws Exception {
        Fingerprint f = Fingerprint.fromBytes(a);
        assertThat(Fingerprint.parse(f.displayString())).isEqualTo(f);
        assertThat(Fingerprint.parse(f.displayString().toLowerCase(java.util.Locale.ROOT))).isEqualTo(f);
        assertThat(f.displayString()).matches("([0-9A-F]{4} ){15}[0-9A-F]{4}");
    }
}
