package org.securep2p.crypto;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.DOWNGRADE;
import static org.securep2p.crypto.CryptoException.Reason.IDENTITY_MISMATCH;
import static org.securep2p.crypto.CryptoException.Reason.MISSING_PREKEY;
import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_PREKEY;

/**
 * The hybrid X3DH + ML-KEM-1024 handshake, modelled on Signal's PQXDH (revision 3), as specified in
 * {@code docs/PROTOCOL.md}:
 * <pre>
 *   DH1 = DH(IK_A, SPK_B)  DH2 = DH(EK_A, IK_B)  DH3 = DH(EK_A, SPK_B)  [DH4 = DH(EK_A, OPK_B)]
 *   (CT, SS) = ML-KEM-1024.Encaps(PQPK_B)                            (QUANTUM_RESISTANT only)
 *   SK || KC = HKDF(0xFF*32 || DH1 || DH2 || DH3 [|| DH4] [|| SS], salt = 0, info = label || 0 || transcript)
 * </pre>
 * The transcript binds the protocol version, the level and all its algorithms, both identities and every
 * key used, so neither a downgrade, a key confusion nor a re-encapsulation can pass unnoticed. At
 * QUANTUM_RESISTANT the initiator also signs the transcript with Ed25519 and Falcon-1024, so that both sides
 * are authenticated post-quantum (PQXDH alone authenticates the initiator only through DH1).
 *
 * <p>Every check that can fail is made before a state change: the only state the responder changes is the
 * consumption of a one-time prekey, done by the key holder after all signatures have verified.
 *
 * <p>Not its job: choosing the level (the app negotiates it and passes it in) or storing sessions.
 */
public final class HybridHandshake {

    private static final byte[] F = filled(32, (byte) 0xFF);
    private static final int SESSION_SECRET_LENGTH = 32;
    private static final int CONFIRMATION_KEY_LENGTH = 32;

    private final SecureRandom random;
    private final Clock clock;

    public HybridHandshake(SecureRandom random, Clock clock) {
        this.random = Objects.requireNonNull(random, "random");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Starts a session with the owner of {@code bundle} at {@code level}.
     *
     * @param expectedResponder the fingerprint the user expects (from a connection code or the trust store),
     *                          or {@code null} for trust on first use
     * @param payload           the first message's plaintext, at most {@link InitialMessage#MAX_PAYLOAD} bytes
     */
    public HandshakeResult initiate(PrivateKeyOperations self, PreKeyBundle bundle, SecurityLevel level,
            Fingerprint expectedResponder, byte[] payload) throws CryptoException {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(bundle, "bundle");
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(payload, "payload");
        if (payload.length > InitialMessage.MAX_PAYLOAD) {
            throw new CryptoException(BAD_ENCODING, "first payload larger than " + InitialMessage.MAX_PAYLOAD);
        }
        bundle.verify(level, expectedResponder, clock.instant());
        IdentityPublicKeys responder = bundle.identity();
        SignedPreKey spk = bundle.signedPreKey();
        OneTimePreKey opk = bundle.oneTimePreKey().orElse(null);
        KemPreKey kem = level.usesKemPreKey() ? bundle.kemPreKey().orElseThrow() : null;

        byte[] ephemeralPrivate = X25519.generatePrivateKey(random);
        byte[] kemCiphertext = null;
        SecretBytes dh1 = null;
        SecretBytes dh2 = null;
        SecretBytes dh3 = null;
        SecretBytes dh4 = null;
        SecretBytes ss = null;
        try {
            byte[] ephemeralPublic = X25519.publicKey(ephemeralPrivate);
            dh1 = self.agreeWithIdentityKey(spk.publicKeyUnsafe());
            dh2 = X25519.agree(ephemeralPrivate, responder.x25519());
            dh3 = X25519.agree(ephemeralPrivate, spk.publicKeyUnsafe());
            if (opk != null) {
                dh4 = X25519.agree(ephemeralPrivate, opk.publicKeyUnsafe());
            }
            if (kem != null) {
                MlKem1024.Encapsulation enc = MlKem1024.encapsulate(kem.publicKeyUnsafe(), random);
                kemCiphertext = enc.ciphertext;
                ss = enc.sharedSecret;
            }
            HandshakeTranscript transcript = Transcript.hash(level, self.identity(), responder, spk, opk, kem,
                    kemCiphertext, ephemeralPublic);
            HybridSignature signature = level.requiresFalconSignatures()
                    ? self.signHandshakeTranscript(transcript) : null;
            try (SecretBytes okm = deriveKeys(level, transcript, dh1, dh2, dh3, dh4, ss);
                    SecretBytes kc = SecretBytes.copyOf(okm.unsafeBytes(), SESSION_SECRET_LENGTH,
                            CONFIRMATION_KEY_LENGTH);
                    Aead aead = Aead.singleUse(AeadAlgorithm.CHACHA20_POLY1305, kc)) {
                byte[] ciphertext = aead.encrypt(payload, transcript.hashUnsafe());
                InitialMessage message = new InitialMessage(level, responder.fingerprint(), self.identity(),
                        ephemeralPublic, spk.id(), opk != null ? opk.id() : null, kem != null ? kem.id() : null,
                        kemCiphertext, signature, ciphertext);
                SecretBytes sk = SecretBytes.copyOf(okm.unsafeBytes(), 0, SESSION_SECRET_LENGTH);
                return new HandshakeResult(level, responder, sk, transcript.hash(), message, null);
            }
        } finally {
            Bytes.wipe(ephemeralPrivate);
            closeAll(dh1, dh2, dh3, dh4, ss);
        }
    }

    /**
     * Completes a session from {@code message}, which must answer the bundle this side {@code offered}.
     *
     * @param floor the lowest level this side accepts; a message at a lower level fails with {@code DOWNGRADE}
     */
    public HandshakeResult respond(PrivateKeyOperations self, PreKeyBundle offered, InitialMessage message,
            SecurityLevel floor) throws CryptoException {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(offered, "offered");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(floor, "floor");
        SecurityLevel level = message.level();
        if (!level.isAtLeast(floor)) {
            throw new CryptoException(DOWNGRADE, "peer used " + level + " below the local floor " + floor);
        }
        if (!message.recipient().equals(self.identity().fingerprint())) {
            throw new CryptoException(IDENTITY_MISMATCH, "message is addressed to " + message.recipient().shortForm()
                    + ", not to this identity");
        }
        SignedPreKey spk = offered.signedPreKey();
        if (message.signedPreKeyId() != spk.id()) {
            throw new CryptoException(UNKNOWN_PREKEY, "signed prekey " + message.signedPreKeyId() + " was not offered");
        }
        OneTimePreKey opk = null;
        if (message.oneTimePreKeyId() != null) {
            opk = offered.oneTimePreKey().filter(k -> k.id() == message.oneTimePreKeyId()).orElseThrow(
                    () -> new CryptoException(UNKNOWN_PREKEY, "one-time prekey " + message.oneTimePreKeyId()
                            + " was not offered"));
        }
        KemPreKey kem = null;
        if (level.usesKemPreKey()) {
            KemPreKey offeredKem = offered.kemPreKey().orElseThrow(
                    () -> new CryptoException(MISSING_PREKEY, "no ML-KEM prekey was offered"));
            if (offeredKem.id() != message.kemPreKeyId()) {
                throw new CryptoException(UNKNOWN_PREKEY, "KEM prekey " + message.kemPreKeyId() + " was not offered");
            }
            kem = offeredKem;
        }
        IdentityPublicKeys initiator = message.initiator();
        HandshakeTranscript transcript = Transcript.hash(level, initiator, self.identity(), spk, opk, kem,
                message.kemCiphertext(), message.ephemeralKey());
        if (level.requiresFalconSignatures()) {
            message.signature().verify(initiator, transcript.signedMessage(), true, "initiator transcript");
        }

        SecretBytes dh1 = null;
        SecretBytes dh2 = null;
        SecretBytes dh3 = null;
        SecretBytes dh4 = null;
        SecretBytes ss = null;
        try {
            dh1 = self.agreeWithSignedPreKey(spk.id(), initiator.x25519());
            dh2 = self.agreeWithIdentityKey(message.ephemeralKey());
            dh3 = self.agreeWithSignedPreKey(spk.id(), message.ephemeralKey());
            if (opk != null) {
                dh4 = self.consumeOneTimePreKey(opk.id(), message.ephemeralKey());
            }
            if (kem != null) {
                ss = self.decapsulate(kem.id(), message.kemCiphertext());
            }
            try (SecretBytes okm = deriveKeys(level, transcript, dh1, dh2, dh3, dh4, ss);
                    SecretBytes kc = SecretBytes.copyOf(okm.unsafeBytes(), SESSION_SECRET_LENGTH,
                            CONFIRMATION_KEY_LENGTH);
                    Aead aead = Aead.singleUse(AeadAlgorithm.CHACHA20_POLY1305, kc)) {
                byte[] payload = aead.decrypt(message.ciphertext(), transcript.hashUnsafe());
                SecretBytes sk = SecretBytes.copyOf(okm.unsafeBytes(), 0, SESSION_SECRET_LENGTH);
                return new HandshakeResult(level, initiator, sk, transcript.hash(), null, payload);
            }
        } finally {
            closeAll(dh1, dh2, dh3, dh4, ss);
        }
    }

    /** {@code SK || KC} from the key material, bound to the transcript through the HKDF info. */
    private static SecretBytes deriveKeys(SecurityLevel level, HandshakeTranscript transcript, SecretBytes dh1,
            SecretBytes dh2, SecretBytes dh3, SecretBytes dh4, SecretBytes ss) throws CryptoException {
        byte[] ikm = Bytes.concat(F, dh1.unsafeBytes(), dh2.unsafeBytes(), dh3.unsafeBytes(),
                dh4 != null ? dh4.unsafeBytes() : new byte[0], ss != null ? ss.unsafeBytes() : new byte[0]);
        try {
            byte[] info = Bytes.concat(Labels.terminated(level.kdfInfoLabel()), transcript.hashUnsafe());
            return Hkdf.derive(level.kdfHash(), ikm, new byte[level.kdfHash().outputLength()], info,
                    SESSION_SECRET_LENGTH + CONFIRMATION_KEY_LENGTH);
        } finally {
            Bytes.wipe(ikm);
        }
    }

    private static void closeAll(SecretBytes... secrets) {
        for (SecretBytes s : secrets) {
            if (s != null) {
                s.close();
            }
        }
    }

    private static byte[] filled(int n, byte b) {
        byte[] a = new byte[n];
        Arrays.fill(a, b);
        return a;
    }
}
