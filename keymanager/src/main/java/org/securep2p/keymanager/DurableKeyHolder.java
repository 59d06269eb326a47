package org.securep2p.keymanager;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeTranscript;
import org.securep2p.crypto.HybridSignature;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.crypto.PrivateKeyState;
import org.securep2p.crypto.SecretBytes;

import static org.securep2p.crypto.CryptoException.Reason.STATE_NOT_PERSISTED;

/**
 * The key manager's identity, kept across restarts: an {@link InMemoryPrivateKeys} whose every durable change
 * (a one-time prekey consumed, a rotation, a replenishment) is stored through a {@link StateVault} before its
 * effect is visible, so that a crash at any instant neither loses a key nor lets a one-time prekey be used twice.
 *
 * <p>Opening: if the vault holds a state it is restored, and a state that does not restore is an error, never a
 * reason to make a new identity (that would silently replace the user's identity). If the vault is empty, a new
 * identity is generated and stored before anything is served, but only in a new key directory (its master key
 * was created by this start); an empty vault under an existing master key means the state file was lost or
 * removed, and is refused ({@code KEY_FILE_MISSING}). Before each bundle (not at open, which would only
 * delay serving) it rotates the signed prekey when due and tops up one-time prekeys that run low.
 *
 * <p>Not its job: encryption at rest (the vault's) or serving the socket ({@link KeyManagerServer}).
 */
final class DurableKeyHolder implements PrivateKeyOperations, AutoCloseable {

    private final InMemoryPrivateKeys keys;
    private final int oneTimeTarget;
    private final int oneTimeKemTarget;

    private DurableKeyHolder(InMemoryPrivateKeys keys, int oneTimeTarget, int oneTimeKemTarget) {
        this.keys = keys;
        this.oneTimeTarget = oneTimeTarget;
        this.oneTimeKemTarget = oneTimeKemTarget;
    }

    /**
     * Restores the identity from {@code vault}, or, if the vault is empty and {@code newKeyDirectory}, generates
     * and stores one; keeps {@code oneTimeTarget} one-time X25519 and {@code oneTimeKemTarget} one-time ML-KEM
     * prekeys on offer.
     *
     * @param newKeyDirectory whether the master key the vault seals under was created by this start
     *                        ({@link MasterKeyStore#isNew()}); only then may an empty vault get a new identity
     * @throws CryptoException     {@code BAD_ENCODING} / {@code UNKNOWN_VERSION} if the stored state does not
     *                             restore; {@code STATE_NOT_PERSISTED} if a needed store fails
     * @throws KeyManagerException {@code KEY_FILE_MISSING} if the vault is empty in an existing key directory
     * @throws IOException         if the vault cannot be read
     */
    static DurableKeyHolder open(StateVault vault, boolean newKeyDirectory, SecureRandom random, Clock clock,
            int oneTimeTarget, int oneTimeKemTarget) throws IOException, CryptoException, KeyManagerException {
        Optional<byte[]> stored = vault.load();
        InMemoryPrivateKeys keys;
        if (stored.isEmpty() && !newKeyDirectory) {
            // Minting an identity here would silently replace the user's: peers would see a stranger.
            throw new KeyManagerException(KeyManagerException.Reason.KEY_FILE_MISSING, "the key state "
                    + vault.location() + " is missing although the master key exists; no new identity was made");
        }
        if (stored.isPresent()) {
            byte[] state = stored.get();
            try {
                keys = PrivateKeyState.restoreFromSealedStorage(state, random, clock);
            } finally {
                Arrays.fill(state, (byte) 0);
            }
        } else {
            keys = InMemoryPrivateKeys.generate(random, clock, oneTimeTarget, oneTimeKemTarget);
            byte[] state = PrivateKeyState.encodeForSealedStorage(keys);
            try {
                vault.store(state);
            } catch (IOException e) {
                keys.close();
                throw e;
            } finally {
                Arrays.fill(state, (byte) 0);
            }
        }
        PrivateKeyState.attachSealedStorageSink(keys, state -> {
            try {
                vault.store(state);
            } catch (IOException e) {
                // The message names the failure, never the state.
                throw new CryptoException(STATE_NOT_PERSISTED, "key state not stored: "
                        + e.getClass().getSimpleName(), e);
            }
        });
        // No maintain() here: rotation and replenishment happen before each bundle is handed out, which is the
        // only time they matter; doing them at open only delayed serving (after a week offline a rotation is a
        // new signed prekey, a new last-resort KEM prekey, a Falcon signature per KEM prekey on offer and a
        // state write) without changing what any request sees.
        return new DurableKeyHolder(keys, oneTimeTarget, oneTimeKemTarget);
    }

    /**
     * Rotates the signed prekey if due; tops the one-time prekeys not yet offered up to their targets once half
     * are offered (each is offered in one bundle only, PROTOCOL.md 17).
     */
    void maintain() throws CryptoException {
        keys.rotateSignedPreKeyIfDue();
        int[] left = keys.oneTimePreKeysNotOffered();
        if (left[0] <= oneTimeTarget / 2 || left[1] <= oneTimeKemTarget / 2) {
            keys.replenishOneTimePreKeys(oneTimeTarget, oneTimeKemTarget);
        }
    }

    @Override
    public IdentityPublicKeys identity() {
        return keys.identity();
    }

    @Override
    public PreKeyBundle preKeyBundle() throws CryptoException {
        maintain();
        return keys.offerPreKeyBundle();
    }

    @Override
    public SecretBytes agreeWithIdentityKey(byte[] peerPublicKey) throws CryptoException {
        return keys.agreeWithIdentityKey(peerPublicKey);
    }

    @Override
    public SecretBytes agreeWithSignedPreKey(int signedPreKeyId, byte[] peerPublicKey) throws CryptoException {
        return keys.agreeWithSignedPreKey(signedPreKeyId, peerPublicKey);
    }

    @Override
    public SecretBytes consumeOneTimePreKey(int oneTimePreKeyId, byte[] peerPublicKey) throws CryptoException {
        return keys.consumeOneTimePreKey(oneTimePreKeyId, peerPublicKey);
    }

    @Override
    public SecretBytes decapsulate(int kemPreKeyId, byte[] ciphertext) throws CryptoException {
        return keys.decapsulate(kemPreKeyId, ciphertext);
    }

    @Override
    public HybridSignature signHandshakeTranscript(HandshakeTranscript transcript) throws CryptoException {
        return keys.signHandshakeTranscript(transcript);
    }

    @Override
    public byte[] signTlsCertificateVerify(byte[] content) throws CryptoException {
        return keys.signTlsCertificateVerify(content);
    }

    @Override
    public byte[] signTransportCertificate(byte[] tbsCertificateDer) throws CryptoException {
        return keys.signTransportCertificate(tbsCertificateDer);
    }

    /** Detaches the vault and wipes every private key held in memory. */
    @Override
    public void close() {
        PrivateKeyState.attachSealedStorageSink(keys, null);
        keys.close();
    }

    @Override
    public String toString() {
        return "DurableKeyHolder[" + keys + "]";
    }
}
