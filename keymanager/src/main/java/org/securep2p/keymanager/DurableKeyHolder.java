package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.ByteBuffer;
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

    /**
     * What the vault holds, in front of the encoded state: {@code "SPKG" || version u8 (=1) || generation u64}.
     * A stored value without it is a state written before generations (its first byte is the state's version,
     * 1), read as generation 0.
     */
    static final byte[] FRAME_MAGIC = {'S', 'P', 'K', 'G'};
    static final int FRAME_VERSION = 1;
    static final int FRAME_HEADER_LENGTH = FRAME_MAGIC.length + 1 + Long.BYTES;

    private final InMemoryPrivateKeys keys;
    private final int oneTimeTarget;
    private final int oneTimeKemTarget;
    /** The sentence for the security log if this open found a rolled-back state; null otherwise. */
    private final String rollbackReport;

    private DurableKeyHolder(InMemoryPrivateKeys keys, int oneTimeTarget, int oneTimeKemTarget,
            String rollbackReport) {
        this.keys = keys;
        this.oneTimeTarget = oneTimeTarget;
        this.oneTimeKemTarget = oneTimeKemTarget;
        this.rollbackReport = rollbackReport;
    }

    /** As {@link #open(StateVault, HighWaterStore, boolean, SecureRandom, Clock, int, int)} with no high water. */
    static DurableKeyHolder open(StateVault vault, boolean newKeyDirectory, SecureRandom random, Clock clock,
            int oneTimeTarget, int oneTimeKemTarget) throws IOException, CryptoException, KeyManagerException {
        return open(vault, HighWaterStore.NONE, newKeyDirectory, random, clock, oneTimeTarget, oneTimeKemTarget);
    }

    /**
     * Restores the identity from {@code vault}, or, if the vault is empty and {@code newKeyDirectory}, generates
     * and stores one; keeps {@code oneTimeTarget} one-time X25519 and {@code oneTimeKemTarget} one-time ML-KEM
     * prekeys on offer.
     *
     * <p>Every write stores the state under the next generation, then records that generation and the id
     * counters in {@code highWater}, both before the write's effect is visible. A stored state older than the
     * high water (a restored backup) is recovered from at open: its one-time prekeys are discarded and replaced
     * and its id counters moved past the high water's ({@link #rollbackReport()} then says so).
     *
     * @param newKeyDirectory whether the master key the vault seals under was created by this start
     *                        ({@link MasterKeyStore#isNew()}); only then may an empty vault get a new identity
     * @throws CryptoException     {@code BAD_ENCODING} / {@code UNKNOWN_VERSION} if the stored state does not
     *                             restore; {@code STATE_NOT_PERSISTED} if a needed store fails
     * @throws KeyManagerException {@code KEY_FILE_MISSING} if the vault is empty in an existing key directory;
     *                             the high water's failures (keyring locked, a malformed entry)
     * @throws IOException         if the vault cannot be read
     */
    static DurableKeyHolder open(StateVault vault, HighWaterStore highWater, boolean newKeyDirectory,
            SecureRandom random, Clock clock, int oneTimeTarget, int oneTimeKemTarget)
            throws IOException, CryptoException, KeyManagerException {
        Optional<byte[]> stored = vault.load();
        if (stored.isEmpty() && !newKeyDirectory) {
            // Minting an identity here would silently replace the user's: peers would see a stranger.
            throw new KeyManagerException(KeyManagerException.Reason.KEY_FILE_MISSING, "the key state "
                    + vault.location() + " is missing although the master key exists; no new identity was made");
        }
        Optional<StateHighWater> seen = highWater.read();
        long seenGeneration = seen.map(StateHighWater::generation).orElse(0L);
        Writer writer = new Writer(vault, highWater);
        InMemoryPrivateKeys keys;
        String rollback = null;
        if (stored.isPresent()) {
            byte[] framed = stored.get();
            long generation;
            try {
                generation = generationOf(framed);
                byte[] state = Arrays.copyOfRange(framed, isFramed(framed) ? FRAME_HEADER_LENGTH : 0,
                        framed.length);
                try {
                    keys = PrivateKeyState.restoreFromSealedStorage(state, random, clock);
                } finally {
                    Arrays.fill(state, (byte) 0);
                }
            } finally {
                Arrays.fill(framed, (byte) 0);
            }
            // Never write a generation at or below one already recorded, even when recovering an older state.
            writer.generation = Math.max(generation, seenGeneration);
            attach(keys, writer);
            try {
                if (seen.isPresent() && generation < seenGeneration) {
                    int[] left = keys.oneTimePreKeysLeft();
                    keys.recoverFromRollback(seen.get().counters());
                    keys.replenishOneTimePreKeys(oneTimeTarget, oneTimeKemTarget);
                    rollback = vault.location() + " is generation " + generation
                            + ", older than generation " + seenGeneration + " recorded in " + highWater
                            + " (a backup restored over it?); its " + left[0] + " unused one-time prekeys and "
                            + left[1] + " one-time KEM prekeys were discarded and replaced, and prekey ids now "
                            + "continue past every id issued";
                } else if (generation > seenGeneration || seen.isEmpty()) {
                    // The high water catches up: the first start that keeps one, or a crash between the state's
                    // write and the high water's.
                    writer.recordHighWater(StateHighWater.of(generation, keys.idCounters()));
                }
            } catch (CryptoException | KeyManagerException | RuntimeException e) {
                keys.close();
                throw e;
            }
        } else {
            keys = InMemoryPrivateKeys.generate(random, clock, oneTimeTarget, oneTimeKemTarget);
            writer.generation = seenGeneration;
            byte[] state = PrivateKeyState.encodeForSealedStorage(keys);
            try {
                writer.store(keys, state);
            } catch (CryptoException | RuntimeException e) {
                keys.close();
                throw e;
            } finally {
                Arrays.fill(state, (byte) 0);
            }
            attach(keys, writer);
        }
        // No maintain() here: rotation and replenishment happen before each bundle is handed out, which is the
        // only time they matter; doing them at open only delayed serving (after a week offline a rotation is a
        // new signed prekey, a new last-resort KEM prekey, a Falcon signature per KEM prekey on offer and a
        // state write) without changing what any request sees.
        return new DurableKeyHolder(keys, oneTimeTarget, oneTimeKemTarget, rollback);
    }

    private static void attach(InMemoryPrivateKeys keys, Writer writer) {
        PrivateKeyState.attachSealedStorageSink(keys, state -> writer.store(keys, state));
    }

    /**
     * Writes for one holder, always under the holder's lock (the sink is called holding it): the state under the
     * next generation first, then the high water. A crash between the two leaves a state newer than the high
     * water, which the next open accepts; never an older one.
     */
    private static final class Writer {
        private final StateVault vault;
        private final HighWaterStore highWater;
        /** The generation of the state last stored (or recorded, whichever is higher). */
        long generation;

        Writer(StateVault vault, HighWaterStore highWater) {
            this.vault = vault;
            this.highWater = highWater;
        }

        void store(InMemoryPrivateKeys keys, byte[] state) throws CryptoException {
            long next = generation + 1;
            byte[] framed = frame(next, state);
            try {
                vault.store(framed);
            } catch (IOException e) {
                // The message names the failure, never the state.
                throw new CryptoException(STATE_NOT_PERSISTED, "key state not stored: "
                        + e.getClass().getSimpleName(), e);
            } finally {
                Arrays.fill(framed, (byte) 0);
            }
            generation = next;
            try {
                recordHighWater(StateHighWater.of(next, keys.idCounters()));
            } catch (KeyManagerException e) {
                // The state is stored, but its effect must not be visible before the high water is: fail the call.
                throw new CryptoException(STATE_NOT_PERSISTED, "key state generation not recorded: "
                        + e.reason(), e);
            }
        }

        void recordHighWater(StateHighWater value) throws KeyManagerException {
            highWater.write(value);
        }
    }

    static byte[] frame(long generation, byte[] state) {
        byte[] framed = new byte[FRAME_HEADER_LENGTH + state.length];
        System.arraycopy(FRAME_MAGIC, 0, framed, 0, FRAME_MAGIC.length);
        framed[FRAME_MAGIC.length] = FRAME_VERSION;
        ByteBuffer.wrap(framed, FRAME_MAGIC.length + 1, Long.BYTES).putLong(generation);
        System.arraycopy(state, 0, framed, FRAME_HEADER_LENGTH, state.length);
        return framed;
    }

    private static boolean isFramed(byte[] stored) {
        return stored.length >= FRAME_MAGIC.length
                && Arrays.equals(stored, 0, FRAME_MAGIC.length, FRAME_MAGIC, 0, FRAME_MAGIC.length);
    }

    /** The generation in front of a stored state; 0 for a state stored before generations. */
    static long generationOf(byte[] stored) throws CryptoException {
        if (!isFramed(stored)) {
            return 0;
        }
        if (stored.length < FRAME_MAGIC.length + 1) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "key state frame truncated");
        }
        int version = stored[FRAME_MAGIC.length] & 0xFF;
        if (version != FRAME_VERSION) {
            throw new CryptoException(CryptoException.Reason.UNKNOWN_VERSION, "key state frame version " + version);
        }
        if (stored.length < FRAME_HEADER_LENGTH) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "key state frame truncated");
        }
        long generation = ByteBuffer.wrap(stored, FRAME_MAGIC.length + 1, Long.BYTES).getLong();
        if (generation < 1) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "key state generation " + generation);
        }
        return generation;
    }

    /** The security-log sentence if this open recovered from a rolled-back state. */
    Optional<String> rollbackReport() {
        return Optional.ofNullable(rollbackReport);
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
