package org.securep2p.crypto;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.securep2p.crypto.CryptoException.Reason.PREKEY_ALREADY_USED;
import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_PREKEY;

/**
 * An identity and its prekeys held in this process's memory. For tests, benchmarks and the launcher's
 * self-test: nothing is persisted, so "consumed" lasts as long as the object. The key-manager process is
 * the implementation that keeps keys across restarts and out of the networked process.
 *
 * <p>Prekeys are signed with Ed25519 and Falcon-1024 when made, so a bundle serves every level.
 */
public final class InMemoryPrivateKeys implements PrivateKeyOperations, AutoCloseable {

    private final SecureRandom random;
    private final byte[] identityX25519;
    private final byte[] identityEd25519;
    private final byte[] identityFalcon;
    private final IdentityPublicKeys identity;

    private final SignedPreKey signedPreKey;
    /** The signed prekey as offered with each KEM prekey: its signature covers that KEM prekey too. */
    private final Map<Integer, SignedPreKey> signedPreKeyWithKem = new LinkedHashMap<>();
    private final byte[] signedPreKeyPrivate;
    private final KemPreKey lastResortKemPreKey;
    /** ML-KEM private keys are generated as 64-byte seeds and kept expanded: expanding costs ~130 us a call. */
    private final byte[] lastResortKemPrivate;
    private final byte[] lastResortKemExpanded;
    private final Map<Integer, KemPreKey> oneTimeKemPreKeys = new LinkedHashMap<>();
    private final Map<Integer, byte[]> oneTimeKemPrivate = new LinkedHashMap<>();
    private final Map<Integer, byte[]> oneTimeKemExpanded = new LinkedHashMap<>();
    private final Map<Integer, OneTimePreKey> oneTimePreKeys = new LinkedHashMap<>();
    private final Map<Integer, byte[]> oneTimePrivate = new LinkedHashMap<>();
    private final List<Integer> consumedOneTime = new ArrayList<>();
    private final List<Integer> consumedKem = new ArrayList<>();

    private InMemoryPrivateKeys(SecureRandom random, Clock clock, int oneTimePreKeyCount, int oneTimeKemCount)
            throws CryptoException {
        this.random = random;
        identityX25519 = X25519.generatePrivateKey(random);
        identityEd25519 = Ed25519.generatePrivateKey(random);
        byte[][] falcon = Falcon1024.generateKeyPair(random);
        identityFalcon = falcon[1];
        identity = IdentityPublicKeys.of(X25519.publicKey(identityX25519), Ed25519.publicKey(identityEd25519),
                falcon[0]);
        long now = clock.instant().getEpochSecond();

        signedPreKeyPrivate = X25519.generatePrivateKey(random);
        byte[] spkPublic = X25519.publicKey(signedPreKeyPrivate);
        byte[] spkBody = SignedPreKey.body(1, now, spkPublic);
        signedPreKey = new SignedPreKey(1, now, spkPublic, signPreKey(spkBody, null));

        lastResortKemPrivate = MlKem1024.generateSeed(random);
        lastResortKemExpanded = MlKem1024.expandedPrivateKey(lastResortKemPrivate);
        lastResortKemPreKey = kemPreKey(1, false, now, lastResortKemPrivate, spkBody);
        for (int i = 0; i < oneTimeKemCount; i++) {
            int id = 2 + i;
            byte[] seed = MlKem1024.generateSeed(random);
            oneTimeKemPrivate.put(id, seed);
            oneTimeKemExpanded.put(id, MlKem1024.expandedPrivateKey(seed));
            oneTimeKemPreKeys.put(id, kemPreKey(id, true, now, seed, spkBody));
        }
        for (int i = 0; i < oneTimePreKeyCount; i++) {
            int id = 1 + i;
            byte[] sk = X25519.generatePrivateKey(random);
            oneTimePrivate.put(id, sk);
            oneTimePreKeys.put(id, new OneTimePreKey(id, X25519.publicKey(sk)));
        }
    }

    /**
     * A fresh identity with a signed prekey, a last-resort KEM prekey, and the given numbers of one-time
     * X25519 and one-time ML-KEM prekeys. Takes ~30 ms (Falcon-1024 key generation).
     */
    public static InMemoryPrivateKeys generate(SecureRandom random, Clock clock, int oneTimePreKeys,
            int oneTimeKemPreKeys) throws CryptoException {
        if (oneTimePreKeys < 0 || oneTimeKemPreKeys < 0) {
            throw new IllegalArgumentException("prekey counts must not be negative");
        }
        return new InMemoryPrivateKeys(Objects.requireNonNull(random), Objects.requireNonNull(clock),
                oneTimePreKeys, oneTimeKemPreKeys);
    }

    /** A KEM prekey, and the signed prekey signed together with it (Ed25519 and Falcon-1024). */
    private KemPreKey kemPreKey(int id, boolean oneTime, long now, byte[] seed, byte[] spkBody)
            throws CryptoException {
        KemPreKey kem = new KemPreKey(id, oneTime, now, MlKem1024.publicKey(seed));
        signedPreKeyWithKem.put(id, new SignedPreKey(signedPreKey.id(), signedPreKey.createdAt().getEpochSecond(),
                signedPreKey.publicKeyUnsafe(), signPreKey(spkBody, kem)));
        return kem;
    }

    private HybridSignature signPreKey(byte[] spkBody, KemPreKey kem) throws CryptoException {
        return HybridSignature.sign(identityEd25519, identityFalcon, identity.falcon1024(),
                SignedPreKey.signedMessage(identity, spkBody, kem), random);
    }

    @Override
    public IdentityPublicKeys identity() {
        return identity;
    }

    @Override
    public synchronized PreKeyBundle preKeyBundle() {
        KemPreKey kem = oneTimeKemPreKeys.values().stream().filter(k -> !consumedKem.contains(k.id())).findFirst()
                .orElse(lastResortKemPreKey);
        OneTimePreKey opk = oneTimePreKeys.values().stream().filter(k -> !consumedOneTime.contains(k.id()))
                .findFirst().orElse(null);
        return new PreKeyBundle(identity, signedPreKeyWithKem.get(kem.id()), kem, opk);
    }

    /** A bundle without a KEM prekey (serves STANDARD and ENHANCED only), for tests of that case. */
    synchronized PreKeyBundle preKeyBundleWithoutKemPreKey() {
        OneTimePreKey opk = oneTimePreKeys.values().stream().filter(k -> !consumedOneTime.contains(k.id()))
                .findFirst().orElse(null);
        return new PreKeyBundle(identity, signedPreKey, null, opk);
    }

    @Override
    public SecretBytes agreeWithIdentityKey(byte[] peerPublicKey) throws CryptoException {
        return X25519.agree(identityX25519, peerPublicKey);
    }

    @Override
    public SecretBytes agreeWithSignedPreKey(int signedPreKeyId, byte[] peerPublicKey) throws CryptoException {
        if (signedPreKeyId != signedPreKey.id()) {
            throw new CryptoException(UNKNOWN_PREKEY, "no signed prekey " + signedPreKeyId);
        }
        return X25519.agree(signedPreKeyPrivate, peerPublicKey);
    }

    @Override
    public synchronized SecretBytes consumeOneTimePreKey(int oneTimePreKeyId, byte[] peerPublicKey)
            throws CryptoException {
        if (consumedOneTime.contains(oneTimePreKeyId)) {
            throw new CryptoException(PREKEY_ALREADY_USED, "one-time prekey " + oneTimePreKeyId + " was used");
        }
        byte[] sk = oneTimePrivate.get(oneTimePreKeyId);
        if (sk == null) {
            throw new CryptoException(UNKNOWN_PREKEY, "no one-time prekey " + oneTimePreKeyId);
        }
        consumedOneTime.add(oneTimePreKeyId);
        try {
            return X25519.agree(sk, peerPublicKey);
        } finally {
            Bytes.wipe(sk);
            oneTimePrivate.remove(oneTimePreKeyId);
        }
    }

    @Override
    public synchronized SecretBytes decapsulate(int kemPreKeyId, byte[] ciphertext) throws CryptoException {
        if (kemPreKeyId == lastResortKemPreKey.id()) {
            return MlKem1024.decapsulate(lastResortKemExpanded, ciphertext);
        }
        if (consumedKem.contains(kemPreKeyId)) {
            throw new CryptoException(PREKEY_ALREADY_USED, "one-time KEM prekey " + kemPreKeyId + " was used");
        }
        byte[] expanded = oneTimeKemExpanded.get(kemPreKeyId);
        if (expanded == null) {
            throw new CryptoException(UNKNOWN_PREKEY, "no KEM prekey " + kemPreKeyId);
        }
        consumedKem.add(kemPreKeyId);
        try {
            return MlKem1024.decapsulate(expanded, ciphertext);
        } finally {
            Bytes.wipe(expanded, oneTimeKemPrivate.remove(kemPreKeyId));
            oneTimeKemExpanded.remove(kemPreKeyId);
        }
    }

    @Override
    public HybridSignature signHandshakeTranscript(HandshakeTranscript transcript) throws CryptoException {
        boolean falcon = transcript.level().requiresFalconSignatures();
        return HybridSignature.sign(identityEd25519, falcon ? identityFalcon : null, identity.falcon1024(),
                transcript.signedMessage(), random);
    }

    @Override
    public byte[] signTlsCertificateVerify(byte[] content) throws CryptoException {
        TransportSigning.checkCertificateVerifyInput(content);
        return Ed25519.sign(identityEd25519, content);
    }

    @Override
    public byte[] signTransportCertificate(byte[] tbsCertificateDer) throws CryptoException {
        TransportSigning.checkTbsCertificate(tbsCertificateDer, identity.ed25519());
        return Ed25519.sign(identityEd25519, tbsCertificateDer);
    }

    /**
     * Copies of the private keys, by name, for publishing test vectors in {@code docs/vectors/} from a fixed
     * seed. Nothing else may call this: private keys never leave their holder.
     */
    synchronized Map<String, byte[]> privateKeysForTestVectors() {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        keys.put("identity_x25519_private", identityX25519.clone());
        keys.put("identity_ed25519_private", identityEd25519.clone());
        keys.put("signed_prekey_private", signedPreKeyPrivate.clone());
        keys.put("last_resort_kem_seed", lastResortKemPrivate.clone());
        oneTimePrivate.forEach((id, k) -> keys.put("one_time_prekey_" + id + "_private", k.clone()));
        oneTimeKemPrivate.forEach((id, k) -> keys.put("one_time_kem_prekey_" + id + "_seed", k.clone()));
        return keys;
    }

    /** Wipes every private key. */
    @Override
    public synchronized void close() {
        Bytes.wipe(identityX25519, identityEd25519, identityFalcon, signedPreKeyPrivate, lastResortKemPrivate,
                lastResortKemExpanded);
        oneTimePrivate.values().forEach(Bytes::wipe);
        oneTimeKemPrivate.values().forEach(Bytes::wipe);
        oneTimeKemExpanded.values().forEach(Bytes::wipe);
    }

    @Override
    public String toString() {
        return "InMemoryPrivateKeys[" + identity.fingerprint().shortForm() + "]";
    }
}
