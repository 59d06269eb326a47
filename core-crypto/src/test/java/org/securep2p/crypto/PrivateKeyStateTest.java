package org.securep2p.crypto;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.testing.MutableClock;
import org.securep2p.crypto.testing.SeededRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.PREKEY_ALREADY_USED;
import static org.securep2p.crypto.CryptoException.Reason.STALE_PREKEY;
import static org.securep2p.crypto.CryptoException.Reason.STATE_NOT_PERSISTED;
import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_PREKEY;
import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_VERSION;
import static org.securep2p.crypto.SecurityLevel.QUANTUM_RESISTANT;

/** The sealed-storage encoding of a key holder, and the order in which the holder persists and answers. */
class PrivateKeyStateTest {

    /** The X25519 base point (u = 9): a valid peer public key. */
    private static final byte[] PEER = new byte[32];

    static {
        PEER[0] = 9;
    }

    private final SeededRandom random = new SeededRandom("PrivateKeyStateTest");
    private final MutableClock clock = new MutableClock(Parties.CLOCK.instant());

    PrivateKeyStateTest() throws CryptoException {
    }

    private InMemoryPrivateKeys holder(int oneTime, int oneTimeKem) throws CryptoException {
        return InMemoryPrivateKeys.generate(random, clock, oneTime, oneTimeKem);
    }

    private InMemoryPrivateKeys restore(byte[] encoded) throws CryptoException {
        return PrivateKeyState.restoreFromSealedStorage(encoded, random, clock);
    }

    private static byte[] secret(SecretBytes s) {
        try (s) {
            return s.copyBytes();
        }
    }

    private byte[] kemCiphertext(PreKeyBundle bundle, byte[] expectedSecretOut) throws CryptoException {
        MlKem1024.Encapsulation e = MlKem1024.encapsulate(bundle.kemPreKey().orElseThrow().publicKey(), random);
        byte[] ss = secret(e.sharedSecret);
        System.arraycopy(ss, 0, expectedSecretOut, 0, ss.length);
        return e.ciphertext;
    }

    @Test
    void roundTripGivesTheSameBundleAgreementsAndEncoding() throws Exception {
        try (InMemoryPrivateKeys original = holder(3, 2)) {
            secret(original.consumeOneTimePreKey(1, PEER));
            byte[] ignored = new byte[32];
            secret(original.decapsulate(original.preKeyBundle().kemPreKey().orElseThrow().id(),
                    kemCiphertext(original.preKeyBundle(), ignored)));
            byte[] encoded = PrivateKeyState.encodeForSealedStorage(original);
            try (InMemoryPrivateKeys restored = restore(encoded)) {
                assertThat(restored.identity()).isEqualTo(original.identity());
                assertThat(restored.preKeyBundle().encode()).isEqualTo(original.preKeyBundle().encode());
                assertThat(PrivateKeyState.encodeForSealedStorage(restored)).isEqualTo(encoded);
                assertThat(secret(restored.agreeWithIdentityKey(PEER)))
                        .isEqualTo(secret(original.agreeWithIdentityKey(PEER)));
                assertThat(secret(restored.agreeWithSignedPreKey(1, PEER)))
                        .isEqualTo(secret(original.agreeWithSignedPreKey(1, PEER)));
                assertThat(secret(restored.consumeOneTimePreKey(2, PEER)))
                        .isEqualTo(secret(original.consumeOneTimePreKey(2, PEER)));
                byte[] expected = new byte[32];
                PreKeyBundle bundle = original.preKeyBundle();
                byte[] ct = kemCiphertext(bundle, expected);
                int kemId = bundle.kemPreKey().orElseThrow().id();
                assertThat(secret(restored.decapsulate(kemId, ct))).isEqualTo(expected);
                assertThat(secret(original.decapsulate(kemId, ct))).isEqualTo(expected);
            }
        }
    }

    @Test
    void restoredHolderAnswersAHandshakeMadeAgainstTheOriginalsBundle() throws Exception {
        try (InMemoryPrivateKeys bob = holder(2, 1); InMemoryPrivateKeys alice = holder(0, 0)) {
            PreKeyBundle bundle = bob.preKeyBundle();
            HybridHandshake handshake = new HybridHandshake(random, clock);
            try (InMemoryPrivateKeys restored = restore(PrivateKeyState.encodeForSealedStorage(bob));
                    HandshakeResult a = handshake.initiate(alice, bundle, QUANTUM_RESISTANT, null, new byte[0]);
                    HandshakeResult b = handshake.respond(restored, bundle, a.initialMessage().orElseThrow(),
                            QUANTUM_RESISTANT)) {
                assertThat(a.sessionSecret().equalsConstantTime(b.sessionSecret())).isTrue();
            }
        }
    }

    @Test
    void consumedPreKeysStayConsumedAfterARoundTrip() throws Exception {
        try (InMemoryPrivateKeys original = holder(2, 2)) {
            secret(original.consumeOneTimePreKey(1, PEER));
            byte[] ss = new byte[32];
            secret(original.decapsulate(2, kemCiphertext(original.preKeyBundle(), ss)));
            try (InMemoryPrivateKeys restored = restore(PrivateKeyState.encodeForSealedStorage(original))) {
                assertThatThrownBy(() -> restored.consumeOneTimePreKey(1, PEER))
                        .hasFieldOrPropertyWithValue("reason", PREKEY_ALREADY_USED);
                assertThatThrownBy(() -> restored.decapsulate(2, new byte[MlKem1024.CIPHERTEXT_LENGTH]))
                        .hasFieldOrPropertyWithValue("reason", PREKEY_ALREADY_USED);
                assertThatThrownBy(() -> restored.consumeOneTimePreKey(3, PEER))
                        .hasFieldOrPropertyWithValue("reason", UNKNOWN_PREKEY);
                assertThat(restored.preKeyBundle().oneTimePreKey().orElseThrow().id()).isEqualTo(2);
                assertThat(restored.preKeyBundle().kemPreKey().orElseThrow().id()).isEqualTo(3);
            }
        }
    }

    @Test
    void aMalformedPeerKeyOrCiphertextConsumesNoPreKeyAndWritesNothing() throws Exception {
        try (InMemoryPrivateKeys keys = holder(1, 1)) {
            List<byte[]> written = new ArrayList<>();
            keys.stateSink(written::add);
            int opk = keys.preKeyBundle().oneTimePreKey().orElseThrow().id();
            int kem = keys.preKeyBundle().kemPreKey().orElseThrow().id();
            assertThatThrownBy(() -> keys.consumeOneTimePreKey(opk, new byte[31]))
                    .hasFieldOrPropertyWithValue("reason", BAD_ENCODING);
            assertThatThrownBy(() -> keys.consumeOneTimePreKey(opk, new byte[32]))
                    .hasFieldOrPropertyWithValue("reason", CryptoException.Reason.LOW_ORDER_POINT);
            assertThatThrownBy(() -> keys.decapsulate(kem, new byte[MlKem1024.CIPHERTEXT_LENGTH - 1]))
                    .hasFieldOrPropertyWithValue("reason", BAD_ENCODING);
            assertThat(written).as("a refusal writes no state").isEmpty();
            assertThat(keys.oneTimePreKeysLeft()).containsExactly(1, 1);
            // Both prekeys are still there for the real handshake.
            assertThat(secret(keys.consumeOneTimePreKey(opk, PEER))).hasSize(32);
            byte[] expected = new byte[32];
            assertThat(secret(keys.decapsulate(kem, kemCiphertext(keys.preKeyBundle(), expected))))
                    .isEqualTo(expected);
            assertThat(written).hasSize(2);
        }
    }

    @Test
    void offeredBundlesNeverShareAOneTimePreKeyEvenWhenAskedConcurrently() throws Exception {
        try (InMemoryPrivateKeys keys = holder(8, 4)) {
            List<PreKeyBundle> bundles = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        bundles.add(keys.offerPreKeyBundle());
                        bundles.add(keys.offerPreKeyBundle());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                t.start();
                threads.add(t);
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertThat(bundles).hasSize(8);
            assertThat(bundles.stream().map(b -> b.oneTimePreKey().orElseThrow().id()).distinct()).hasSize(8);
            // Four one-time KEM prekeys, each offered once; the other four bundles carry the last-resort one.
            assertThat(bundles.stream().map(b -> b.kemPreKey().orElseThrow().id())
                    .filter(id -> id != 1).distinct()).hasSize(4);
            assertThat(keys.oneTimePreKeysNotOffered()).containsExactly(0, 0);
            assertThat(keys.offerPreKeyBundle().oneTimePreKey()).as("all offered: none until replenished").isEmpty();
            keys.replenishOneTimePreKeys(2, 1);
            assertThat(keys.oneTimePreKeysNotOffered()).containsExactly(2, 1);
            assertThat(keys.oneTimePreKeysLeft()).as("the offered ones stay consumable").containsExactly(10, 5);
        }
    }

    @Test
    void rejectsEveryTruncation() throws Exception {
        byte[] encoded;
        try (InMemoryPrivateKeys keys = holder(1, 1)) {
            encoded = PrivateKeyState.encodeForSealedStorage(keys);
        }
        for (int len = 0; len < encoded.length; len++) {
            byte[] cut = Arrays.copyOf(encoded, len);
            assertThatThrownBy(() -> restore(cut)).as("length %d", len)
                    .hasFieldOrPropertyWithValue("reason", BAD_ENCODING);
        }
    }

    @Test
    void rejectsABitFlipInEveryByte() throws Exception {
        byte[] encoded;
        try (InMemoryPrivateKeys keys = holder(1, 1)) {
            encoded = PrivateKeyState.encodeForSealedStorage(keys);
        }
        long seed = new java.security.SecureRandom().nextLong();
        System.out.println("PrivateKeyStateTest.rejectsABitFlipInEveryByte seed " + seed);
        Random bits = new Random(seed);
        for (int i = 0; i < encoded.length; i++) {
            byte[] flipped = encoded.clone();
            flipped[i] ^= (byte) (1 << bits.nextInt(8));
            int at = i;
            assertThatThrownBy(() -> restore(flipped)).as("byte %d (seed %d)", at, seed)
                    .isInstanceOf(CryptoException.class)
                    .satisfies(e -> assertThat(((CryptoException) e).reason())
                            .isIn(BAD_ENCODING, at == 0 ? UNKNOWN_VERSION : BAD_ENCODING));
        }
    }

    /** The content checks, with the checksum made right again so that it is not what catches the damage. */
    private static byte[] withChecksum(byte[] bodyWithVersion) throws Exception {
        byte[] out = Arrays.copyOf(bodyWithVersion, bodyWithVersion.length + PrivateKeyState.CHECKSUM_LENGTH);
        byte[] sum = MessageDigest.getInstance("SHA-256").digest(bodyWithVersion);
        System.arraycopy(sum, 0, out, bodyWithVersion.length, sum.length);
        return out;
    }

    private static byte[] body(byte[] encoded) {
        return Arrays.copyOf(encoded, encoded.length - PrivateKeyState.CHECKSUM_LENGTH);
    }

    @Test
    void rejectsTrailingData() throws Exception {
        try (InMemoryPrivateKeys keys = holder(1, 1)) {
            byte[] body = body(PrivateKeyState.encodeForSealedStorage(keys));
            byte[] longer = withChecksum(Arrays.copyOf(body, body.length + 1));
            assertThatThrownBy(() -> restore(longer)).hasFieldOrPropertyWithValue("reason", BAD_ENCODING)
                    .hasMessageContaining("trailing");
        }
    }

    @Test
    void rejectsUnknownVersion() throws Exception {
        try (InMemoryPrivateKeys keys = holder(0, 0)) {
            byte[] encoded = PrivateKeyState.encodeForSealedStorage(keys);
            encoded[0] = 2;
            assertThatThrownBy(() -> restore(encoded)).hasFieldOrPropertyWithValue("reason", UNKNOWN_VERSION);
            encoded[0] = 0;
            assertThatThrownBy(() -> restore(encoded)).hasFieldOrPropertyWithValue("reason", BAD_ENCODING);
        }
    }

    @Test
    void rejectsAPrivateKeyThatDoesNotMatchItsPublicKey() throws Exception {
        try (InMemoryPrivateKeys keys = holder(0, 0)) {
            byte[] body = body(PrivateKeyState.encodeForSealedStorage(keys));
            body[1 + IdentityPublicKeys.ENCODED_LENGTH] ^= 0x40;
            byte[] damaged = withChecksum(body);
            assertThatThrownBy(() -> restore(damaged)).hasFieldOrPropertyWithValue("reason", BAD_ENCODING)
                    .hasMessageContaining("does not match");
        }
    }

    @Test
    void rejectsAnIdNotBelowItsCounter() throws Exception {
        try (InMemoryPrivateKeys keys = holder(2, 0)) {
            byte[] body = body(PrivateKeyState.encodeForSealedStorage(keys));
            // next one-time prekey id (3) -> 2: prekey 2 could be given out again.
            int counters = 1 + IdentityPublicKeys.ENCODED_LENGTH + 64 + Falcon1024.PRIVATE_KEY_LENGTH;
            assertThat(body[counters + 11]).isEqualTo((byte) 3);
            body[counters + 11] = 2;
            byte[] damaged = withChecksum(body);
            assertThatThrownBy(() -> restore(damaged)).hasFieldOrPropertyWithValue("reason", BAD_ENCODING)
                    .hasMessageContaining("not below its counter");
        }
    }

    @Test
    void sinkFailureFailsTheOperationAndThePreKeyStaysConsumed() throws Exception {
        try (InMemoryPrivateKeys keys = holder(2, 2)) {
            PrivateKeyState.attachSealedStorageSink(keys, state -> {
                throw new CryptoException(STATE_NOT_PERSISTED, "disk full");
            });
            assertThatThrownBy(() -> keys.consumeOneTimePreKey(1, PEER))
                    .hasFieldOrPropertyWithValue("reason", STATE_NOT_PERSISTED);
            byte[] ss = new byte[32];
            byte[] ct = kemCiphertext(keys.preKeyBundle(), ss);
            assertThatThrownBy(() -> keys.decapsulate(2, ct))
                    .hasFieldOrPropertyWithValue("reason", STATE_NOT_PERSISTED);
            List<byte[]> stored = new ArrayList<>();
            PrivateKeyState.attachSealedStorageSink(keys, state -> stored.add(state.clone()));
            assertThatThrownBy(() -> keys.consumeOneTimePreKey(1, PEER))
                    .hasFieldOrPropertyWithValue("reason", PREKEY_ALREADY_USED);
            assertThatThrownBy(() -> keys.decapsulate(2, ct))
                    .hasFieldOrPropertyWithValue("reason", PREKEY_ALREADY_USED);
            assertThat(keys.preKeyBundle().oneTimePreKey().orElseThrow().id()).isEqualTo(2);
            // The next successful persist records the earlier consumption too.
            secret(keys.consumeOneTimePreKey(2, PEER));
            try (InMemoryPrivateKeys restored = restore(stored.get(0))) {
                assertThatThrownBy(() -> restored.consumeOneTimePreKey(1, PEER))
                        .hasFieldOrPropertyWithValue("reason", PREKEY_ALREADY_USED);
                assertThatThrownBy(() -> restored.decapsulate(2, ct))
                        .hasFieldOrPropertyWithValue("reason", PREKEY_ALREADY_USED);
            }
        }
    }

    @Test
    void sinkSeesThePreKeyConsumedBeforeTheResultIsReturned() throws Exception {
        try (InMemoryPrivateKeys keys = holder(2, 2)) {
            List<String> events = new ArrayList<>();
            PrivateKeyState.attachSealedStorageSink(keys, state -> {
                try (InMemoryPrivateKeys seen = restore(state)) {
                    int[] left = seen.oneTimePreKeysLeft();
                    events.add("persisted " + left[0] + "/" + left[1]);
                }
                // The sink's array is wiped once it returns: it must not be kept.
            });
            byte[] s = secret(keys.consumeOneTimePreKey(1, PEER));
            events.add("returned");
            byte[] ss = new byte[32];
            byte[] ct = kemCiphertext(keys.preKeyBundle(), ss);
            assertThat(secret(keys.decapsulate(2, ct))).isEqualTo(ss);
            events.add("returned");
            // Neither reuse nor the last-resort KEM prekey nor the signed prekey changes durable state.
            secret(keys.decapsulate(1, ct));
            secret(keys.agreeWithSignedPreKey(1, PEER));
            keys.preKeyBundle();
            assertThat(events).containsExactly("persisted 1/2", "returned", "persisted 1/1", "returned");
            assertThat(s).hasSize(32);
        }
    }

    @Test
    void rotationIsWeeklyKeepsOldPreKeysForTheGracePeriodAndSurvivesARoundTrip() throws Exception {
        try (InMemoryPrivateKeys bob = holder(1, 1); InMemoryPrivateKeys alice = holder(0, 0)) {
            List<byte[]> stored = new ArrayList<>();
            PrivateKeyState.attachSealedStorageSink(bob, state -> stored.add(state.clone()));
            HybridHandshake handshake = new HybridHandshake(random, clock);
            PreKeyBundle old = bob.preKeyBundle();
            clock.advance(Duration.ofDays(6));
            assertThat(bob.rotateSignedPreKeyIfDue()).isFalse();
            assertThat(stored).isEmpty();
            clock.advance(Duration.ofDays(1));
            assertThat(bob.rotateSignedPreKeyIfDue()).isTrue();
            assertThat(stored).hasSize(1);
            PreKeyBundle fresh = bob.preKeyBundle();
            assertThat(fresh.signedPreKey().id()).isEqualTo(2);
            assertThat(fresh.kemPreKey().orElseThrow().id()).isEqualTo(2); // the one-time KEM prekey, re-signed
            fresh.verify(QUANTUM_RESISTANT, null, clock.instant());
            try (InMemoryPrivateKeys restored = restore(stored.get(0))) {
                assertThat(restored.preKeyBundle().encode()).isEqualTo(fresh.encode());
                // A handshake begun with the bundle from before the rotation still completes.
                try (HandshakeResult a = handshake.initiate(alice, old, QUANTUM_RESISTANT, null, new byte[0]);
                        HandshakeResult b = handshake.respond(restored, old, a.initialMessage().orElseThrow(),
                                QUANTUM_RESISTANT)) {
                    assertThat(a.sessionSecret().equalsConstantTime(b.sessionSecret())).isTrue();
                }
            }
            // Weekly rotations; the first signed prekey and last-resort KEM prekey go once 36 days old.
            for (int week = 0; week < 5; week++) {
                clock.advance(Duration.ofDays(7));
                assertThat(bob.rotateSignedPreKeyIfDue()).isTrue();
            }
            assertThatThrownBy(() -> bob.agreeWithSignedPreKey(1, PEER))
                    .hasFieldOrPropertyWithValue("reason", UNKNOWN_PREKEY);
            secret(bob.agreeWithSignedPreKey(2, PEER));
            // The first last-resort KEM prekey was dropped for age: stale, not used.
            assertThatThrownBy(() -> bob.decapsulate(1, new byte[MlKem1024.CIPHERTEXT_LENGTH]))
                    .hasFieldOrPropertyWithValue("reason", STALE_PREKEY);
            // The one-time KEM prekey, made on day 0, is no longer offered after 28 days, and is stale too.
            assertThat(bob.oneTimePreKeysLeft()[1]).isZero();
            assertThatThrownBy(() -> bob.decapsulate(2, new byte[MlKem1024.CIPHERTEXT_LENGTH]))
                    .hasFieldOrPropertyWithValue("reason", STALE_PREKEY);
            bob.preKeyBundle().verify(QUANTUM_RESISTANT, null, clock.instant());
        }
    }

    @Test
    void aConsumedKemPreKeyStaysUsedWhileTheOnesDroppedForAgeAreStale() throws Exception {
        try (InMemoryPrivateKeys keys = holder(0, 2)) {
            byte[] expected = new byte[32];
            byte[] ciphertext = kemCiphertext(keys.preKeyBundle(), expected);
            int consumed = keys.preKeyBundle().kemPreKey().orElseThrow().id();
            assertThat(secret(keys.decapsulate(consumed, ciphertext))).isEqualTo(expected);
            int expiring = keys.preKeyBundle().kemPreKey().orElseThrow().id();
            // A failed rotation drops nothing, so nothing is stale yet.
            PrivateKeyState.attachSealedStorageSink(keys, state -> {
                throw new CryptoException(STATE_NOT_PERSISTED, "disk full");
            });
            clock.advance(Duration.ofDays(29));
            assertThatThrownBy(keys::rotateSignedPreKeyIfDue)
                    .hasFieldOrPropertyWithValue("reason", STATE_NOT_PERSISTED);
            assertThat(keys.oneTimePreKeysLeft()[1]).isEqualTo(1);
            PrivateKeyState.attachSealedStorageSink(keys, state -> { });
            assertThat(keys.rotateSignedPreKeyIfDue()).isTrue();
            assertThat(keys.oneTimePreKeysLeft()[1]).isZero();
            assertThatThrownBy(() -> keys.decapsulate(expiring, ciphertext))
                    .hasFieldOrPropertyWithValue("reason", STALE_PREKEY);
            assertThatThrownBy(() -> keys.decapsulate(consumed, ciphertext))
                    .hasFieldOrPropertyWithValue("reason", PREKEY_ALREADY_USED);
            assertThatThrownBy(() -> keys.decapsulate(1_000, ciphertext))
                    .hasFieldOrPropertyWithValue("reason", UNKNOWN_PREKEY);
        }
    }

    @Test
    void failedRotationLeavesTheHolderAsItWas() throws Exception {
        try (InMemoryPrivateKeys keys = holder(1, 1)) {
            byte[] before = PrivateKeyState.encodeForSealedStorage(keys);
            PrivateKeyState.attachSealedStorageSink(keys, state -> {
                throw new CryptoException(STATE_NOT_PERSISTED, "disk full");
            });
            clock.advance(Duration.ofDays(8));
            PreKeyBundle bundle = keys.preKeyBundle();
            assertThatThrownBy(keys::rotateSignedPreKeyIfDue)
                    .hasFieldOrPropertyWithValue("reason", STATE_NOT_PERSISTED);
            assertThatThrownBy(() -> keys.replenishOneTimePreKeys(5, 2))
                    .hasFieldOrPropertyWithValue("reason", STATE_NOT_PERSISTED);
            assertThat(keys.preKeyBundle().encode()).isEqualTo(bundle.encode());
            assertThat(keys.oneTimePreKeysLeft()).containsExactly(1, 1);
            byte[] after = PrivateKeyState.encodeForSealedStorage(keys);
            // Only the id counters moved on, so that no id is ever reused even if the failed write landed.
            int counters = 1 + IdentityPublicKeys.ENCODED_LENGTH + 64 + Falcon1024.PRIVATE_KEY_LENGTH;
            assertThat(Arrays.copyOf(after, counters)).isEqualTo(Arrays.copyOf(before, counters));
            assertThat(Arrays.copyOfRange(after, counters + 12, after.length - 32))
                    .isEqualTo(Arrays.copyOfRange(before, counters + 12, before.length - 32));
            secret(keys.agreeWithSignedPreKey(1, PEER));
        }
    }

    @Test
    void replenishmentUsesFreshIdsAndPersistsBeforeOffering() throws Exception {
        try (InMemoryPrivateKeys keys = holder(1, 1)) {
            List<byte[]> stored = new ArrayList<>();
            PrivateKeyState.attachSealedStorageSink(keys, state -> stored.add(state.clone()));
            secret(keys.consumeOneTimePreKey(1, PEER));
            keys.replenishOneTimePreKeys(2, 2);
            assertThat(stored).hasSize(2);
            assertThat(keys.oneTimePreKeysLeft()).containsExactly(2, 2);
            PreKeyBundle bundle = keys.preKeyBundle();
            assertThat(bundle.oneTimePreKey().orElseThrow().id()).isEqualTo(2);
            assertThat(bundle.kemPreKey().orElseThrow().id()).isEqualTo(2);
            bundle.verify(QUANTUM_RESISTANT, null, clock.instant());
            keys.replenishOneTimePreKeys(2, 2);
            assertThat(stored).hasSize(2);
            try (InMemoryPrivateKeys restored = restore(stored.get(1))) {
                assertThat(restored.preKeyBundle().encode()).isEqualTo(bundle.encode());
                assertThat(restored.oneTimePreKeysLeft()).containsExactly(2, 2);
                secret(restored.consumeOneTimePreKey(3, PEER));
                assertThatThrownBy(() -> restored.consumeOneTimePreKey(1, PEER))
                        .hasFieldOrPropertyWithValue("reason", PREKEY_ALREADY_USED);
            }
        }
    }

    private static final int PINNED_LENGTH = 24_011;
    private static final String PINNED_SHA256 = "ed77ad9401236ddc87988d51303c73dde1271cd792b429f1cf17e89b9702e32d";

    /**
     * Today's encoding, pinned byte for byte (by its SHA-256): a holder made from a fixed seed and clock, with a
     * consumed one-time X25519 and ML-KEM prekey, a rotation (so retired prekeys and re-signed joint signatures)
     * and a replenishment. Sealed states already on disk must keep reading, and a refactoring of the holder must
     * not change a byte; a deliberate format change bumps the version and this pin.
     */
    @Test
    void encodingOfAFixedHolderIsPinned() throws Exception {
        SeededRandom seeded = new SeededRandom("PrivateKeyStateTest pinned encoding");
        MutableClock fixed = new MutableClock(Parties.CLOCK.instant());
        try (InMemoryPrivateKeys keys = InMemoryPrivateKeys.generate(seeded, fixed, 4, 3)) {
            secret(keys.consumeOneTimePreKey(1, PEER));
            PreKeyBundle bundle = keys.preKeyBundle();
            MlKem1024.Encapsulation e = MlKem1024.encapsulate(bundle.kemPreKey().orElseThrow().publicKey(), seeded);
            secret(e.sharedSecret);
            secret(keys.decapsulate(bundle.kemPreKey().orElseThrow().id(), e.ciphertext));
            fixed.advance(Duration.ofDays(8));
            assertThat(keys.rotateSignedPreKeyIfDue()).isTrue();
            keys.replenishOneTimePreKeys(5, 4);
            keys.offerPreKeyBundle();
            byte[] encoded = PrivateKeyState.encodeForSealedStorage(keys);
            assertThat(encoded).hasSize(PINNED_LENGTH);
            assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(encoded)))
                    .isEqualTo(PINNED_SHA256);
        }
    }
}
