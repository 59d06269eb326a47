package org.securep2p.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;
import org.signal.libsignal.protocol.kem.KEMPublicKey;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;
import org.signal.libsignal.protocol.state.KyberPreKeyRecord;
import org.signal.libsignal.protocol.state.PreKeyBundle;
import org.signal.libsignal.protocol.state.PreKeyRecord;
import org.signal.libsignal.protocol.state.SignedPreKeyRecord;
import org.signal.libsignal.protocol.state.impl.InMemorySignalProtocolStore;
import org.signal.libsignal.protocol.util.KeyHelper;

/**
 * libsignal's PQXDH session establishment (org.signal:libsignal-client 0.86.5, comparison only: AGPL, never
 * shipped), both sides in one thread, with libsignal's own {@link InMemorySignalProtocolStore}.
 *
 * <p>Bob has an identity key, a signed EC prekey, a signed Kyber-1024 prekey ({@link KEMKeyType#KYBER_1024},
 * the only KEM type of this version; used as a last-resort key, i.e. never deleted) and, if
 * {@code oneTimePreKey}, a one-time EC prekey. His bundle travels as bytes (public keys and signatures, as
 * the server would hand them out):
 * <ul>
 *   <li>{@link #aliceSide}: decodes the bundle's keys, builds the {@link PreKeyBundle},
 *   {@link SessionBuilder#process} (verifies both prekey signatures, X25519 key generation, DH1..DH3 [DH4],
 *   Kyber-1024 encapsulation, HKDF, the first sending ratchet step with a second key pair and DH, the SPQR
 *   ratchet's initial state, session stored), then {@link SessionCipher#encrypt} of a 100-byte message
 *   (session loaded, SPQR's first send, which samples an ML-KEM-768 key pair, AES-256-CBC, HMAC-SHA-256,
 *   session stored) and serializes the {@link PreKeySignalMessage};</li>
 *   <li>{@link #bobSide}: parses it and {@link SessionCipher#decrypt(PreKeySignalMessage)} (prekeys loaded
 *   from the store, DH1..DH3 [DH4], Kyber-1024 decapsulation, HKDF, the receiving ratchet step: DH, a new key
 *   pair and a second DH, SPQR receive, HMAC check, AES-256-CBC, the one-time prekey removed, the Kyber
 *   prekey's use recorded, session stored).</li>
 * </ul>
 * Each run needs fresh stores, or the handshake would not run again: Alice's store must have no session with
 * Bob, and Bob's must still hold the one-time prekey (removed on use) and must not have seen the base key
 * (libsignal refuses a reused base key for a last-resort Kyber prekey). {@link #newAliceStore} and
 * {@link #newBobStore} make them (a few maps, the key records stored as bytes); callers make them outside the
 * timed region. With a fresh Bob store, the same {@link #preKeyMessage} can be decrypted again and again.
 */
final class LibsignalPqxdh {

    static final int MESSAGE_LENGTH = 100;
    /** Session version of PQXDH ("Kyber") sessions; 3 was X3DH, which 0.86 no longer accepts. */
    static final int PQXDH_MESSAGE_VERSION = 4;

    private static final int SIGNED_PRE_KEY_ID = 7;
    private static final int KYBER_PRE_KEY_ID = 9;
    private static final int ONE_TIME_PRE_KEY_ID = 11;
    private static final int DEVICE_ID = 1;

    final boolean oneTimePreKey;

    private final SignalProtocolAddress aliceAddress = new SignalProtocolAddress("alice", DEVICE_ID);
    private final SignalProtocolAddress bobAddress = new SignalProtocolAddress("bob", DEVICE_ID);
    private final IdentityKeyPair aliceIdentity = IdentityKeyPair.generate();
    private final IdentityKeyPair bobIdentity = IdentityKeyPair.generate();
    private final int aliceRegistrationId = KeyHelper.generateRegistrationId(false);
    private final int bobRegistrationId = KeyHelper.generateRegistrationId(false);

    private final SignedPreKeyRecord signedPreKey;
    private final KyberPreKeyRecord kyberPreKey;
    private final PreKeyRecord oneTimePreKeyRecord;

    // Bob's bundle, as bytes.
    private final byte[] bobIdentityKey;
    private final byte[] signedPreKeyPublic;
    private final byte[] signedPreKeySignature;
    private final byte[] kyberPreKeyPublic;
    private final byte[] kyberPreKeySignature;
    private final byte[] oneTimePreKeyPublic;

    private final byte[] plaintext = new byte[MESSAGE_LENGTH];
    /** A valid PreKeySignalMessage from Alice, for {@link #bobSide} alone. */
    private final byte[] preKeyMessage;

    LibsignalPqxdh(boolean oneTimePreKey) throws Exception {
        this.oneTimePreKey = oneTimePreKey;
        long now = System.currentTimeMillis();
        ECKeyPair signed = ECKeyPair.generate();
        signedPreKeySignature = bobIdentity.getPrivateKey().calculateSignature(signed.getPublicKey().serialize());
        signedPreKey = new SignedPreKeyRecord(SIGNED_PRE_KEY_ID, now, signed, signedPreKeySignature);
        KEMKeyPair kyber = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
        kyberPreKeySignature = bobIdentity.getPrivateKey().calculateSignature(kyber.getPublicKey().serialize());
        kyberPreKey = new KyberPreKeyRecord(KYBER_PRE_KEY_ID, now, kyber, kyberPreKeySignature);
        if (oneTimePreKey) {
            ECKeyPair oneTime = ECKeyPair.generate();
            oneTimePreKeyRecord = new PreKeyRecord(ONE_TIME_PRE_KEY_ID, oneTime);
            oneTimePreKeyPublic = oneTime.getPublicKey().serialize();
        } else {
            oneTimePreKeyRecord = null;
            oneTimePreKeyPublic = null;
        }
        bobIdentityKey = bobIdentity.getPublicKey().serialize();
        signedPreKeyPublic = signed.getPublicKey().serialize();
        kyberPreKeyPublic = kyber.getPublicKey().serialize();
        byte[] text = ("libsignal PQXDH comparison, first message of a new session. " + "x".repeat(MESSAGE_LENGTH))
                .getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, plaintext, 0, MESSAGE_LENGTH);

        preKeyMessage = selfCheck();
    }

    InMemorySignalProtocolStore newAliceStore() {
        return new InMemorySignalProtocolStore(aliceIdentity, aliceRegistrationId);
    }

    InMemorySignalProtocolStore newBobStore() {
        InMemorySignalProtocolStore bob = new InMemorySignalProtocolStore(bobIdentity, bobRegistrationId);
        bob.storeSignedPreKey(SIGNED_PRE_KEY_ID, signedPreKey);
        bob.storeKyberPreKey(KYBER_PRE_KEY_ID, kyberPreKey);
        if (oneTimePreKey) {
            bob.storePreKey(ONE_TIME_PRE_KEY_ID, oneTimePreKeyRecord);
        }
        return bob;
    }

    /** Alice, with a store that has no session with Bob: bundle, session, first message (serialized). */
    byte[] aliceSide(InMemorySignalProtocolStore alice) throws Exception {
        PreKeyBundle bundle = new PreKeyBundle(bobRegistrationId, DEVICE_ID,
                oneTimePreKey ? ONE_TIME_PRE_KEY_ID : PreKeyBundle.NULL_PRE_KEY_ID,
                oneTimePreKey ? new ECPublicKey(oneTimePreKeyPublic) : null,
                SIGNED_PRE_KEY_ID, new ECPublicKey(signedPreKeyPublic), signedPreKeySignature,
                new IdentityKey(bobIdentityKey),
                KYBER_PRE_KEY_ID, new KEMPublicKey(kyberPreKeyPublic), kyberPreKeySignature);
        new SessionBuilder(alice, bobAddress).process(bundle);
        CiphertextMessage message = new SessionCipher(alice, bobAddress).encrypt(plaintext);
        return message.serialize();
    }

    /**
     * An established session, for ratchet comparisons: Alice's first message decrypted by Bob, and Bob's reply
     * by Alice, so that later messages are ordinary SignalMessages. Returns {Alice's cipher, Bob's cipher}.
     */
    SessionCipher[] establishedSession() throws Exception {
        InMemorySignalProtocolStore alice = newAliceStore();
        InMemorySignalProtocolStore bob = newBobStore();
        bobSide(bob, aliceSide(alice));
        SessionCipher aliceCipher = new SessionCipher(alice, bobAddress);
        SessionCipher bobCipher = new SessionCipher(bob, aliceAddress);
        aliceCipher.decrypt(new org.signal.libsignal.protocol.message.SignalMessage(
                bobCipher.encrypt(plaintext).serialize()));
        return new SessionCipher[] {aliceCipher, bobCipher};
    }

    byte[] plaintext() {
        return plaintext.clone();
    }

    /** Bob, with a fresh store: parses Alice's first message and decrypts it; returns the plaintext. */
    byte[] bobSide(InMemorySignalProtocolStore bob, byte[] wire) throws Exception {
        PreKeySignalMessage message = new PreKeySignalMessage(wire);
        return new SessionCipher(bob, aliceAddress).decrypt(message);
    }

    byte[] preKeyMessage() {
        return preKeyMessage;
    }

    /**
     * Runs the establishment three times with fresh stores and checks everything a benchmark could get
     * silently wrong; returns one valid PreKeySignalMessage.
     */
    private byte[] selfCheck() throws Exception {
        byte[] wire = null;
        byte[] previousBaseKey = null;
        for (int i = 0; i < 3; i++) {
            InMemorySignalProtocolStore alice = newAliceStore();
            InMemorySignalProtocolStore bob = newBobStore();
            byte[] sent = aliceSide(alice);
            PreKeySignalMessage parsed = new PreKeySignalMessage(sent);
            check(parsed.getMessageVersion() == PQXDH_MESSAGE_VERSION,
                    "message version " + parsed.getMessageVersion() + ", not PQXDH");
            check(new SessionCipher(alice, bobAddress).getSessionVersion() == PQXDH_MESSAGE_VERSION,
                    "Alice's session is not a PQXDH session");
            check(parsed.getPreKeyId().isPresent() == oneTimePreKey,
                    "one-time prekey presence in the message does not match the parameter");
            check(parsed.getSignedPreKeyId() == SIGNED_PRE_KEY_ID, "wrong signed prekey id");
            byte[] baseKey = parsed.getBaseKey().serialize();
            check(previousBaseKey == null || !Arrays.equals(baseKey, previousBaseKey),
                    "base key reused: the handshake did not run again");
            previousBaseKey = baseKey;
            check(Arrays.equals(bobSide(bob, sent), plaintext), "Bob did not decrypt Alice's plaintext");
            check(bob.containsSession(aliceAddress), "Bob has no session after decrypting");
            check(!oneTimePreKey || !bob.containsPreKey(ONE_TIME_PRE_KEY_ID),
                    "the one-time prekey was not consumed");
            check(bob.containsKyberPreKey(KYBER_PRE_KEY_ID), "the last-resort Kyber prekey was deleted");
            try {
                bobSide(bob, sent);
                throw new IllegalStateException("Bob accepted the same PreKeySignalMessage twice in one store");
            } catch (IllegalStateException e) {
                throw e;
            } catch (Exception expected) {
                // a duplicate: as it should be, which is why every run gets fresh stores
            }
            wire = sent;
        }
        // The message kept for bobSide alone decrypts in yet another fresh store.
        check(Arrays.equals(bobSide(newBobStore(), wire), plaintext), "replay into a fresh Bob store failed");
        return wire;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("libsignal sanity check failed: " + what);
        }
    }

    /** Which libsignal native library this process mapped (Linux only), e.g. the production or test build. */
    static String loadedNativeLibrary() {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .filter(l -> l.contains("signal_jni"))
                    .map(l -> l.substring(l.lastIndexOf('/') + 1))
                    .distinct()
                    .collect(Collectors.joining(", "));
        } catch (IOException | RuntimeException e) {
            return "unknown (" + e + ")";
        }
    }
}
