package org.securep2p.crypto;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.BAD_SIGNATURE;
import static org.securep2p.crypto.CryptoException.Reason.DECRYPT_FAILED;
import static org.securep2p.crypto.CryptoException.Reason.DOWNGRADE;
import static org.securep2p.crypto.CryptoException.Reason.IDENTITY_MISMATCH;
import static org.securep2p.crypto.CryptoException.Reason.LOW_ORDER_POINT;
import static org.securep2p.crypto.CryptoException.Reason.MISSING_PREKEY;
import static org.securep2p.crypto.CryptoException.Reason.PREKEY_ALREADY_USED;
import static org.securep2p.crypto.CryptoException.Reason.STALE_PREKEY;
import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_PREKEY;
import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_VERSION;
import static org.securep2p.crypto.CryptoException.Reason.WRONG_KEY_TYPE;
import static org.securep2p.crypto.SecurityLevel.ENHANCED;
import static org.securep2p.crypto.SecurityLevel.QUANTUM_RESISTANT;
import static org.securep2p.crypto.SecurityLevel.STANDARD;

/** The handshake end to end: agreement at every level, and one test per way it must refuse. */
class HybridHandshakeTest {

    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.UTF_8);

    private final Parties p;

    HybridHandshakeTest() throws CryptoException {
        p = new Parties("HybridHandshakeTest", 4);
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void bothSidesDeriveTheSameSecret(SecurityLevel level) throws Exception {
        PreKeyBundle bundle = p.bob.preKeyBundle();
        try (HandshakeResult a = p.handshake.initiate(p.alice, bundle, level, p.bob.identity().fingerprint(), HELLO);
                HandshakeResult b = p.handshake.respond(p.bob, bundle, wire(a.initialMessage().orElseThrow()),
                        STANDARD)) {
            assertThat(a.sessionSecret().equalsConstantTime(b.sessionSecret())).isTrue();
            assertThat(a.transcriptHash()).isEqualTo(b.transcriptHash());
            assertThat(b.payload()).hasValueSatisfying(pl -> assertThat(pl).isEqualTo(HELLO));
            assertThat(a.peerIdentity()).isEqualTo(p.bob.identity());
            assertThat(b.peerIdentity()).isEqualTo(p.alice.identity());
            assertThat(a.level()).isEqualTo(level);
            assertThat(b.level()).isEqualTo(level);
        }
    }

    @Test
    void worksWithoutOneTimePreKey() throws Exception {
        Parties noOpk = new Parties("no one-time prekeys", 0);
        PreKeyBundle bundle = noOpk.bob.preKeyBundle();
        assertThat(bundle.oneTimePreKey()).isEmpty();
        try (HandshakeResult a = noOpk.handshake.initiate(noOpk.alice, bundle, QUANTUM_RESISTANT, null, HELLO);
                HandshakeResult b = noOpk.handshake.respond(noOpk.bob, bundle, a.initialMessage().orElseThrow(),
                        QUANTUM_RESISTANT)) {
            assertThat(a.sessionSecret().equalsConstantTime(b.sessionSecret())).isTrue();
        }
    }

    @Test
    void sessionSecretsDifferPerLevelAndPerHandshake() throws Exception {
        PreKeyBundle bundle = p.bob.preKeyBundle();
        try (HandshakeResult one = p.handshake.initiate(p.alice, bundle, ENHANCED, null, HELLO);
                HandshakeResult two = p.handshake.initiate(p.alice, bundle, ENHANCED, null, HELLO);
                HandshakeResult three = p.handshake.initiate(p.alice, bundle, STANDARD, null, HELLO)) {
            assertThat(one.sessionSecret().equalsConstantTime(two.sessionSecret())).isFalse();
            assertThat(one.sessionSecret().equalsConstantTime(three.sessionSecret())).isFalse();
        }
    }

    @Test
    void rejectsBundleOfUnexpectedIdentity() throws Exception {
        Fingerprint someoneElse = p.alice.identity().fingerprint();
        assertReason(() -> p.handshake.initiate(p.alice, p.bob.preKeyBundle(), QUANTUM_RESISTANT, someoneElse, HELLO),
                IDENTITY_MISMATCH);
    }

    @Test
    void rejectsMessageAddressedToAnotherIdentity() throws Exception {
        Parties other = new Parties("someone else", 0);
        PreKeyBundle bundle = p.bob.preKeyBundle();
        InitialMessage m = initiate(bundle, QUANTUM_RESISTANT);
        assertReason(() -> p.handshake.respond(other.bob, other.bob.preKeyBundle(), m, STANDARD), IDENTITY_MISMATCH);
    }

    @Test
    void rejectsMissingKemPreKeyAtQuantumResistant() throws Exception {
        PreKeyBundle decoded = PreKeyBundle.decode(p.bob.preKeyBundleWithoutKemPreKey().encode());
        assertReason(() -> p.handshake.initiate(p.alice, decoded, QUANTUM_RESISTANT, null, HELLO), MISSING_PREKEY);
        // The same bundle serves the classical levels.
        try (HandshakeResult r = p.handshake.initiate(p.alice, decoded, ENHANCED, null, HELLO)) {
            assertThat(r.level()).isEqualTo(ENHANCED);
        }
    }

    @Test
    void rejectsKemPreKeyTakenFromAnotherBundle() throws Exception {
        // The signed prekey's signature covers the KEM prekey it was offered with: pairing it with another one
        // of the same owner (an older or a consumed one, say) does not verify.
        Parties twoKem = new Parties("two KEM prekeys", 0, 2);
        PreKeyBundle first = twoKem.bob.preKeyBundle();
        PreKeyBundle mixed = new PreKeyBundle(first.identity(), twoKem.bob.preKeyBundleWithoutKemPreKey().signedPreKey(),
                first.kemPreKey().orElseThrow(), null);
        assertReason(() -> twoKem.handshake.initiate(twoKem.alice, PreKeyBundle.decode(mixed.encode()),
                QUANTUM_RESISTANT, null, HELLO), BAD_SIGNATURE);
        assertReason(() -> twoKem.handshake.initiate(twoKem.alice, PreKeyBundle.decode(mixed.encode()), ENHANCED,
                null, HELLO), BAD_SIGNATURE);
    }

    @Test
    void responderRefusesQuantumResistantWhenItOfferedNoKemPreKey() throws Exception {
        PreKeyBundle full = p.bob.preKeyBundle();
        InitialMessage m = initiate(full, QUANTUM_RESISTANT);
        PreKeyBundle offeredWithoutKem = new PreKeyBundle(full.identity(), full.signedPreKey(), null,
                full.oneTimePreKey().orElse(null));
        assertReason(() -> p.handshake.respond(p.bob, offeredWithoutKem, m, STANDARD), MISSING_PREKEY);
    }

    @ParameterizedTest
    @EnumSource(value = SecurityLevel.class, names = {"STANDARD", "ENHANCED"})
    void rejectsLevelBelowTheFloor(SecurityLevel offered) throws Exception {
        InitialMessage m = initiate(p.bob.preKeyBundle(), offered);
        assertReason(() -> p.handshake.respond(p.bob, p.bob.preKeyBundle(), m, QUANTUM_RESISTANT), DOWNGRADE);
    }

    @Test
    void rejectsRelabelledLevel() throws Exception {
        // ENHANCED and STANDARD messages have the same layout; relabelling one as the other must not pass,
        // because the level and its algorithms are bound into the transcript.
        PreKeyBundle bundle = p.bob.preKeyBundle();
        byte[] enhanced = initiate(bundle, ENHANCED).encode();
        enhanced[1] = (byte) STANDARD.code();
        InitialMessage relabelled = InitialMessage.decode(enhanced);
        assertReason(() -> p.handshake.respond(p.bob, bundle, relabelled, STANDARD), DECRYPT_FAILED);
    }

    @Test
    void rejectsReusedOneTimePreKey() throws Exception {
        PreKeyBundle bundle = p.bob.preKeyBundle();
        InitialMessage m = initiate(bundle, QUANTUM_RESISTANT);
        p.handshake.respond(p.bob, bundle, m, STANDARD).close();
        assertReason(() -> p.handshake.respond(p.bob, bundle, m, STANDARD), PREKEY_ALREADY_USED);
    }

    @Test
    void replayedMessageWithoutOneTimePreKeyYieldsOnlyTheSameSecret() throws Exception {
        // Without a one-time prekey a replay is accepted by the handshake (as in X3DH); it yields the session
        // the original initiator already owns, never a new one under the attacker's control. The transport
        // binds each handshake to its live TLS channel, which refuses replays.
        Parties noOpk = new Parties("replay", 0, 0);
        PreKeyBundle bundle = noOpk.bob.preKeyBundle();
        try (HandshakeResult a = noOpk.handshake.initiate(noOpk.alice, bundle, QUANTUM_RESISTANT, null, HELLO);
                HandshakeResult b1 = noOpk.handshake.respond(noOpk.bob, bundle, a.initialMessage().orElseThrow(),
                        STANDARD);
                HandshakeResult b2 = noOpk.handshake.respond(noOpk.bob, bundle, a.initialMessage().orElseThrow(),
                        STANDARD)) {
            assertThat(b1.sessionSecret().equalsConstantTime(b2.sessionSecret())).isTrue();
            assertThat(a.sessionSecret().equalsConstantTime(b2.sessionSecret())).isTrue();
        }
    }

    @Test
    void rejectsReusedOneTimeKemPreKey() throws Exception {
        Parties kemOnly = new Parties("one-time KEM prekey", 0, 1);
        PreKeyBundle bundle = kemOnly.bob.preKeyBundle();
        assertThat(bundle.kemPreKey().orElseThrow().isOneTime()).isTrue();
        InitialMessage m;
        try (HandshakeResult a = kemOnly.handshake.initiate(kemOnly.alice, bundle, QUANTUM_RESISTANT, null, HELLO)) {
            m = a.initialMessage().orElseThrow();
        }
        kemOnly.handshake.respond(kemOnly.bob, bundle, m, STANDARD).close();
        assertReason(() -> kemOnly.handshake.respond(kemOnly.bob, bundle, m, STANDARD), PREKEY_ALREADY_USED);
        assertThat(kemOnly.bob.preKeyBundle().kemPreKey().orElseThrow().isOneTime()).as("falls back to last resort")
                .isFalse();
    }

    @Test
    void rejectsOneTimePreKeyThatWasNotOffered() throws Exception {
        PreKeyBundle first = p.bob.preKeyBundle();
        InitialMessage m = initiate(first, ENHANCED);
        PreKeyBundle other = new PreKeyBundle(first.identity(), first.signedPreKey(), first.kemPreKey().orElse(null),
                new OneTimePreKey(first.oneTimePreKey().orElseThrow().id() + 1,
                        first.oneTimePreKey().orElseThrow().publicKey()));
        assertReason(() -> p.handshake.respond(p.bob, other, m, STANDARD), UNKNOWN_PREKEY);
    }

    @Test
    void forgedMessageDoesNotConsumeTheOneTimePreKey() throws Exception {
        PreKeyBundle bundle = p.bob.preKeyBundle();
        byte[] good = initiate(bundle, QUANTUM_RESISTANT).encode();
        byte[] forged = good.clone();
        int ephemeralKeyByte = 1 + 1 + 32 + IdentityPublicKeys.ENCODED_LENGTH + 1;
        forged[ephemeralKeyByte] ^= 1;
        assertReason(() -> p.handshake.respond(p.bob, bundle, InitialMessage.decode(forged), STANDARD), BAD_SIGNATURE);
        p.handshake.respond(p.bob, bundle, InitialMessage.decode(good), STANDARD).close();
    }

    @Test
    void rejectsLowOrderEphemeralKey() throws Exception {
        PreKeyBundle bundle = p.bob.preKeyBundle();
        byte[] m = initiate(bundle, ENHANCED).encode();
        int ephemeralKey = 1 + 1 + 32 + IdentityPublicKeys.ENCODED_LENGTH + 1;
        for (int i = 0; i < 32; i++) {
            m[ephemeralKey + i] = 0; // u = 0 has order 1 (RFC 7748 section 6.1 asks to refuse its all-zero output)
        }
        InitialMessage lowOrder = InitialMessage.decode(m);
        assertReason(() -> p.handshake.respond(p.bob, bundle, lowOrder, STANDARD), LOW_ORDER_POINT);
    }

    @Test
    void rejectsCurveKeyWhereKemKeyBelongsAndViceVersa() throws Exception {
        byte[] bundle = p.bob.preKeyBundle().encode();
        int spkKeyType = 1 + IdentityPublicKeys.ENCODED_LENGTH + 1 + 4 + 8;
        assertThat(bundle[spkKeyType]).isEqualTo((byte) KeyType.X25519.code);
        byte[] swapped = bundle.clone();
        swapped[spkKeyType] = (byte) KeyType.ML_KEM_1024.code;
        assertReason(() -> PreKeyBundle.decode(swapped), WRONG_KEY_TYPE);

        // A whole ML-KEM key in the signed prekey's place, with its own type byte: still refused by type.
        byte[] kemKey = KeyType.ML_KEM_1024.encode(p.bob.preKeyBundle().kemPreKey().orElseThrow().publicKey());
        byte[] spliced = Bytes.concat(java.util.Arrays.copyOfRange(bundle, 0, spkKeyType), kemKey,
                java.util.Arrays.copyOfRange(bundle, spkKeyType + 33, bundle.length));
        assertReason(() -> PreKeyBundle.decode(spliced), WRONG_KEY_TYPE);

        // And an X25519 key where the KEM prekey belongs.
        PreKeyBundle parsed = PreKeyBundle.decode(bundle);
        int kemKeyType = bundle.length - (parsed.oneTimePreKey().isPresent() ? 37 : 0)
                - (1 + MlKem1024.PUBLIC_KEY_LENGTH);
        assertThat(bundle[kemKeyType]).isEqualTo((byte) KeyType.ML_KEM_1024.code);
        byte[] curveForKem = bundle.clone();
        curveForKem[kemKeyType] = (byte) KeyType.X25519.code;
        assertReason(() -> PreKeyBundle.decode(curveForKem), WRONG_KEY_TYPE);
    }

    @Test
    void rejectsStaleAndFutureSignedPreKeys() throws Exception {
        PreKeyBundle bundle = p.bob.preKeyBundle();
        Clock late = Clock.offset(Parties.CLOCK, Duration.ofDays(36));
        Clock early = Clock.offset(Parties.CLOCK, Duration.ofDays(-2));
        assertReason(() -> new HybridHandshake(p.random, late).initiate(p.alice, bundle, ENHANCED, null, HELLO),
                STALE_PREKEY);
        assertReason(() -> new HybridHandshake(p.random, early).initiate(p.alice, bundle, ENHANCED, null, HELLO),
                STALE_PREKEY);
        // Within the window it is fine.
        Clock weekLater = Clock.offset(Parties.CLOCK, Duration.ofDays(7));
        new HybridHandshake(p.random, weekLater).initiate(p.alice, bundle, ENHANCED, null, HELLO).close();
    }

    @Test
    void rejectsBundleWithoutFalconSignaturesAtQuantumResistant() throws Exception {
        // A bundle whose prekey signature is Ed25519 only serves the classical levels and is refused at QR.
        PreKeyBundle full = p.bob.preKeyBundle();
        byte[] enc = full.encode();
        PreKeyBundle edOnly = PreKeyBundle.decode(stripFalconFromSignedPreKey(enc));
        assertReason(() -> p.handshake.initiate(p.alice, edOnly, QUANTUM_RESISTANT, null, HELLO), BAD_SIGNATURE);
        p.handshake.initiate(p.alice, edOnly, ENHANCED, null, HELLO).close();
    }

    @Test
    void rejectsUnknownVersions() throws Exception {
        byte[] bundle = p.bob.preKeyBundle().encode();
        bundle[0] = 2;
        assertReason(() -> PreKeyBundle.decode(bundle), UNKNOWN_VERSION);
        byte[] message = initiate(p.bob.preKeyBundle(), ENHANCED).encode();
        message[0] = 0;
        assertReason(() -> InitialMessage.decode(message), UNKNOWN_VERSION);
        byte[] identity = p.alice.identity().encoded();
        identity[0] = 9;
        assertReason(() -> IdentityPublicKeys.decode(identity), UNKNOWN_VERSION);
    }

    @Test
    void rejectsTruncatedAndExtendedEncodings() throws Exception {
        byte[] bundle = p.bob.preKeyBundle().encode();
        byte[] message = initiate(p.bob.preKeyBundle(), QUANTUM_RESISTANT).encode();
        for (int len : new int[] {0, 1, 100, bundle.length - 1}) {
            assertReason(() -> PreKeyBundle.decode(java.util.Arrays.copyOf(bundle, len)), BAD_ENCODING);
        }
        assertReason(() -> PreKeyBundle.decode(java.util.Arrays.copyOf(bundle, bundle.length + 1)), BAD_ENCODING);
        for (int len : new int[] {0, 2, 500, message.length - 1}) {
            assertReason(() -> InitialMessage.decode(java.util.Arrays.copyOf(message, len)), BAD_ENCODING);
        }
        assertReason(() -> InitialMessage.decode(java.util.Arrays.copyOf(message, message.length + 1)), BAD_ENCODING);
    }

    @Test
    void rejectsOversizedFirstPayload() {
        assertReason(() -> p.handshake.initiate(p.alice, p.bob.preKeyBundle(), ENHANCED, null,
                new byte[InitialMessage.MAX_PAYLOAD + 1]), BAD_ENCODING);
    }

    @Test
    void safetyNumbersAgreeOnBothSides() {
        Fingerprint a = p.alice.identity().fingerprint();
        Fingerprint b = p.bob.identity().fingerprint();
        SafetyNumber ab = SafetyNumber.of(a, b);
        assertThat(ab).isEqualTo(SafetyNumber.of(b, a));
        assertThat(ab.digits()).hasSize(SafetyNumber.DIGITS).containsOnlyDigits();
        assertThat(ab.matches(ab.displayString())).isTrue();
        assertThat(SafetyNumber.of(a, a)).isNotEqualTo(ab);
    }

    @Test
    void secretsNeverPrintThemselves() throws Exception {
        try (HandshakeResult r = p.handshake.initiate(p.alice, p.bob.preKeyBundle(), ENHANCED, null, HELLO)) {
            String hex = org.bouncycastle.util.encoders.Hex.toHexString(r.sessionSecret().copyBytes());
            assertThat(r.toString()).doesNotContain(hex);
            assertThat(r.sessionSecret().toString()).isEqualTo("SecretBytes[32 bytes]");
            SecretBytes s = r.sessionSecret();
            r.close();
            assertThat(s.isDestroyed()).isTrue();
            assertThatThrownBy(s::copyBytes).isInstanceOf(IllegalStateException.class);
        }
        assertThat(p.alice.toString()).startsWith("InMemoryPrivateKeys[");
    }

    // ---------------------------------------------------------------------------------------------------

    private InitialMessage initiate(PreKeyBundle bundle, SecurityLevel level) throws CryptoException {
        try (HandshakeResult r = p.handshake.initiate(p.alice, bundle, level, null, HELLO)) {
            return r.initialMessage().orElseThrow();
        }
    }

    /** Through the wire encoding, as a real peer would receive it. */
    private static InitialMessage wire(InitialMessage m) throws CryptoException {
        return InitialMessage.decode(m.encode());
    }

    private static byte[] stripFalconFromSignedPreKey(byte[] bundle) {
        int falconLength = 1 + IdentityPublicKeys.ENCODED_LENGTH + 1 + 4 + 8 + 33 + 64;
        int len = ((bundle[falconLength] & 0xFF) << 8) | (bundle[falconLength + 1] & 0xFF);
        byte[] head = java.util.Arrays.copyOfRange(bundle, 0, falconLength);
        byte[] tail = java.util.Arrays.copyOfRange(bundle, falconLength + 2 + len, bundle.length);
        return Bytes.concat(head, new byte[] {0, 0}, tail);
    }

    static void assertReason(ThrowingCall call, CryptoException.Reason reason) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason));
    }

    @FunctionalInterface
    interface ThrowingCall {
        void run() throws Exception;
    }
}
