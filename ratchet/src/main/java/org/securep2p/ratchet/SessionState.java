package org.securep2p.ratchet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.MlKem1024KeyPair;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.crypto.X25519KeyPair;

/**
 * The whole mutable state of one session, in the names of Signal's specification (RK, DHs, DHr, CKs, CKr, Ns,
 * Nr, PN, HKs, HKr, NHKs, NHKr, MKSKIPPED) plus the KEM step's state. Package-private: only
 * {@link SessionCipher} changes it, always on a {@link #copy()}, and a key held here is never changed in
 * place, only replaced, so a copy may share keys with its original until one of them moves on.
 */
final class SessionState {

    static final int RECORD_VERSION = 1;

    final SecurityLevel level;
    final boolean initiator;
    /** The handshake's transcript hash: associated data of every header and message. */
    final byte[] associatedData;
    /** Associated data of every header: {@code associatedData || version || level}. */
    final byte[] headerAssociatedData;

    RootKey rootKey;
    X25519KeyPair dhSelf;
    byte[] dhRemote;
    ChainKey sendChainKey;
    int sendN;
    ChainKey recvChainKey;
    int recvN;
    int previousSendN;
    HeaderKey sendHeaderKey;
    HeaderKey recvHeaderKey;
    HeaderKey nextSendHeaderKey;
    HeaderKey nextRecvHeaderKey;
    SkippedKeys skipped = SkippedKeys.EMPTY;
    /** Header keys of earlier receiving chains, newest last, to recognise their duplicates. */
    List<HeaderKey> oldRecvHeaderKeys = List.of();

    MlKem1024KeyPair kemSelf;
    byte[] kemRemotePublicKey;
    /** The current sending chain advertises {@code kemSelf}'s public key in every header. */
    boolean sendKemPublicKey;
    /** The current sending chain began with this encapsulation; every header carries it. */
    byte[] sendKemCiphertext;
    int messagesSinceKemStep;
    /** Unix seconds of this side's last KEM step; -1 before the first. */
    long lastKemStepAt = -1;

    SessionState(SecurityLevel level, boolean initiator, byte[] associatedData) {
        this.level = level;
        this.initiator = initiator;
        this.associatedData = associatedData;
        this.headerAssociatedData = new StrictWriter().bytes(associatedData).u8(WireMessage.VERSION)
                .u8(level.code()).toByteArray();
    }

    boolean headerEncrypted() {
        return level.ratchetMode() != SecurityLevel.RatchetMode.SYMMETRIC_KEY;
    }

    boolean kemSteps() {
        return level.ratchetMode() == SecurityLevel.RatchetMode.DOUBLE_RATCHET_WITH_KEM;
    }

    SessionState copy() {
        SessionState c = new SessionState(level, initiator, associatedData);
        c.rootKey = rootKey;
        c.dhSelf = dhSelf;
        c.dhRemote = dhRemote;
        c.sendChainKey = sendChainKey;
        c.sendN = sendN;
        c.recvChainKey = recvChainKey;
        c.recvN = recvN;
        c.previousSendN = previousSendN;
        c.sendHeaderKey = sendHeaderKey;
        c.recvHeaderKey = recvHeaderKey;
        c.nextSendHeaderKey = nextSendHeaderKey;
        c.nextRecvHeaderKey = nextRecvHeaderKey;
        c.skipped = skipped;
        c.oldRecvHeaderKeys = oldRecvHeaderKeys;
        c.kemSelf = kemSelf;
        c.kemRemotePublicKey = kemRemotePublicKey;
        c.sendKemPublicKey = sendKemPublicKey;
        c.sendKemCiphertext = sendKemCiphertext;
        c.messagesSinceKemStep = messagesSinceKemStep;
        c.lastKemStepAt = lastKemStepAt;
        return c;
    }

    /**
     * Wipes every secret this state holds that {@code successor} does not share. Keys move between fields
     * (NHKs becomes HKs, HKr joins the old header keys), so a key is kept if the successor holds the same
     * key object anywhere.
     */
    void wipeSecretsNotIn(SessionState successor) {
        List<RatchetKey> kept = successor.secretKeys();
        for (RatchetKey k : secretKeys()) {
            if (kept.stream().noneMatch(x -> x == k)) {
                k.wipe();
            }
        }
        if (dhSelf != null && dhSelf != successor.dhSelf) {
            dhSelf.close();
        }
        if (kemSelf != null && kemSelf != successor.kemSelf) {
            kemSelf.close();
        }
        skipped.wipeKeysNotIn(successor.skipped);
    }

    private List<RatchetKey> secretKeys() {
        List<RatchetKey> all = new ArrayList<>(oldRecvHeaderKeys);
        for (RatchetKey k : new RatchetKey[] {rootKey, sendChainKey, recvChainKey, sendHeaderKey, recvHeaderKey,
                nextSendHeaderKey, nextRecvHeaderKey}) {
            if (k != null) {
                all.add(k);
            }
        }
        return all;
    }

    /** Wipes every secret (the session is being deleted). */
    void wipeAll() {
        for (RatchetKey k : new RatchetKey[] {rootKey, sendChainKey, recvChainKey, sendHeaderKey, recvHeaderKey,
                nextSendHeaderKey, nextRecvHeaderKey}) {
            RatchetKey.wipe(k);
        }
        oldRecvHeaderKeys.forEach(k -> k.wipe());
        if (dhSelf != null) {
            dhSelf.close();
        }
        if (kemSelf != null) {
            kemSelf.close();
        }
        skipped.wipeAll();
    }

    static void wipe(byte[] b) {
        if (b != null) {
            Arrays.fill(b, (byte) 0);
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // The session record encoding (docs/PROTOCOL.md, section 10.6).

    byte[] encode() {
        StrictWriter w = new StrictWriter().u8(RECORD_VERSION).u8(level.code()).u8(initiator ? 1 : 0)
                .var16(associatedData);
        optional(w, rootKey);
        byte[] dhPrivate = dhSelf == null ? null : dhSelf.exportPrivateKeyForSessionRecord();
        optionalKey(w, dhPrivate);
        wipe(dhPrivate);
        optionalKey(w, dhRemote);
        optional(w, sendChainKey);
        w.u32(sendN);
        optional(w, recvChainKey);
        w.u32(recvN).u32(previousSendN);
        optional(w, sendHeaderKey);
        optional(w, recvHeaderKey);
        optional(w, nextSendHeaderKey);
        optional(w, nextRecvHeaderKey);
        w.u16(oldRecvHeaderKeys.size());
        oldRecvHeaderKeys.forEach(k -> w.bytes(k.unsafeBytes()));
        w.u32(skipped.size());
        for (Map.Entry<SkippedKeys.Slot, MessageKey> e : skipped.entries().entrySet()) {
            w.bytes(e.getKey().chain().bytes()).u32(e.getKey().n()).bytes(e.getValue().unsafeBytes());
        }
        byte[] kemSeed = kemSelf == null ? null : kemSelf.exportSeedForSessionRecord();
        optionalVar(w, kemSeed);
        wipe(kemSeed);
        optionalVar(w, kemRemotePublicKey);
        w.u8(sendKemPublicKey ? 1 : 0);
        optionalVar(w, sendKemCiphertext);
        w.u32(messagesSinceKemStep).u64(lastKemStepAt + 1);
        // The writer's buffers held every key of the session; the caller owns (and wipes) the copy returned.
        return w.toByteArrayThenWipe();
    }

    /**
     * The state a record encodes, or {@code CORRUPT_STATE} if it contradicts its level or itself (10.7);
     * {@code clock} bounds the time of the last KEM step.
     */
    static SessionState decode(byte[] bytes, java.time.Clock clock) throws RatchetException {
        try {
            StrictReader r = new StrictReader(bytes, "session record");
            int version = r.u8("record version");
            if (version != RECORD_VERSION) {
                throw new RatchetException(RatchetException.Reason.UNKNOWN_VERSION, "session record version " + version);
            }
            SecurityLevel level = SecurityLevel.fromCode(r.u8("level"));
            int role = r.u8("role");
            if (role > 1) {
                throw corrupt("role byte " + role);
            }
            SessionState s = new SessionState(level, role == 1, r.var16(32, 64, "associated data"));
            s.rootKey = optional(r, "root key", RootKey::new);
            byte[] dhPrivate = optional(r, "DHs");
            s.dhSelf = dhPrivate == null ? null : X25519KeyPair.fromPrivateKey(dhPrivate);
            wipe(dhPrivate);
            s.dhRemote = optional(r, "DHr");
            s.sendChainKey = optional(r, "CKs", ChainKey::new);
            s.sendN = r.u32("Ns");
            s.recvChainKey = optional(r, "CKr", ChainKey::new);
            s.recvN = r.u32("Nr");
            s.previousSendN = r.u32("PN");
            s.sendHeaderKey = optional(r, "HKs", HeaderKey::new);
            s.recvHeaderKey = optional(r, "HKr", HeaderKey::new);
            s.nextSendHeaderKey = optional(r, "NHKs", HeaderKey::new);
            s.nextRecvHeaderKey = optional(r, "NHKr", HeaderKey::new);
            int old = r.u16("old header keys");
            if (old > RatchetLimits.MAX_OLD_RECEIVING_CHAINS) {
                throw corrupt(old + " old header keys");
            }
            List<HeaderKey> oldKeys = new ArrayList<>(old);
            for (int i = 0; i < old; i++) {
                oldKeys.add(new HeaderKey(r.fixed(Kdf.KEY_LENGTH, "old header key")));
            }
            s.oldRecvHeaderKeys = List.copyOf(oldKeys);
            int skipped = r.u32("skipped keys");
            if (skipped > RatchetLimits.MAX_SKIPPED_KEYS) {
                throw corrupt(skipped + " skipped keys");
            }
            LinkedHashMap<SkippedKeys.Slot, MessageKey> keys = new LinkedHashMap<>();
            for (int i = 0; i < skipped; i++) {
                byte[] chain = r.fixed(Kdf.KEY_LENGTH, "skipped chain");
                int n = r.u32("skipped n");
                keys.put(new SkippedKeys.Slot(new SkippedKeys.Key(chain), n),
                        new MessageKey(r.fixed(Kdf.KEY_LENGTH, "skipped key")));
            }
            s.skipped = SkippedKeys.of(keys);
            byte[] kemSeed = optionalVar(r, MlKem1024KeyPair.SEED_LENGTH, "KEM seed");
            s.kemSelf = kemSeed == null ? null : MlKem1024KeyPair.fromSeed(kemSeed);
            wipe(kemSeed);
            s.kemRemotePublicKey = optionalVar(r, MlKem1024KeyPair.PUBLIC_KEY_LENGTH, "KEM remote key");
            if (s.kemRemotePublicKey != null) {
                MlKem1024KeyPair.checkPublicKey(s.kemRemotePublicKey);
            }
            int advertise = r.u8("KEM advertise flag");
            if (advertise > 1) {
                throw corrupt("KEM advertise flag " + advertise);
            }
            s.sendKemPublicKey = advertise == 1;
            s.sendKemCiphertext = optionalVar(r, MlKem1024KeyPair.CIPHERTEXT_LENGTH, "KEM ciphertext");
            s.messagesSinceKemStep = r.u32("messages since KEM step");
            s.lastKemStepAt = r.u64("last KEM step") - 1;
            r.expectEnd();
            s.checkConsistent();
            if (s.lastKemStepAt > SessionRecord.now(clock) + RatchetLimits.MAX_CLOCK_STEP_BACK.toSeconds()) {
                // A step "in the future" would postpone the time-driven KEM step (10.6) by as much.
                throw corrupt("last KEM step in the future");
            }
            return s;
        } catch (CryptoException e) {
            throw new RatchetException(RatchetException.Reason.CORRUPT_STATE, "session record: " + e.getMessage(), e);
        }
    }

    /**
     * The invariants every state between messages satisfies (10.7); a record that breaks them is corrupt: each
     * level's fields and no others, the transcript hash of the level's hash length, skipped keys only of chains
     * whose header key the session still knows.
     */
    void checkConsistent() throws RatchetException {
        if (associatedData.length != level.kdfHash().outputLength()) {
            throw corrupt("transcript hash of " + associatedData.length + " bytes at " + level);
        }
        boolean kemFields = kemSelf != null || kemRemotePublicKey != null || sendKemCiphertext != null
                || sendKemPublicKey || messagesSinceKemStep != 0 || lastKemStepAt != -1;
        if (!headerEncrypted()) {
            if (rootKey != null || dhSelf != null || dhRemote != null || sendChainKey == null || recvChainKey == null
                    || previousSendN != 0) {
                throw corrupt("STANDARD session with double-ratchet fields");
            }
            if (sendHeaderKey != null || recvHeaderKey != null || nextSendHeaderKey != null
                    || nextRecvHeaderKey != null || !oldRecvHeaderKeys.isEmpty()) {
                throw corrupt("STANDARD session with header keys");
            }
            if (kemFields) {
                throw corrupt("KEM fields at STANDARD");
            }
            for (byte[] chain : skipped.chains()) {
                if (!java.security.MessageDigest.isEqual(chain, new byte[Kdf.KEY_LENGTH])) {
                    throw corrupt("skipped key of a chain STANDARD does not have");
                }
            }
            return;
        }
        if (rootKey == null || nextSendHeaderKey == null || nextRecvHeaderKey == null) {
            throw corrupt("double-ratchet session without root or next header keys");
        }
        if ((sendChainKey == null) != (sendHeaderKey == null) || (sendChainKey != null && dhSelf == null)) {
            throw corrupt("sending chain without its header key or ratchet key");
        }
        if ((recvChainKey == null) != (recvHeaderKey == null)) {
            throw corrupt("receiving chain without its header key");
        }
        if (kemSteps() != (kemSelf != null)) {
            throw corrupt("KEM state does not match the level");
        }
        if (!kemSteps() && kemFields) {
            throw corrupt("KEM fields below QUANTUM_RESISTANT");
        }
        for (byte[] chain : skipped.chains()) {
            boolean known = recvHeaderKey != null && recvHeaderKey.equalsConstantTime(chain);
            for (HeaderKey old : oldRecvHeaderKeys) {
                known |= old.equalsConstantTime(chain);
            }
            if (!known) {
                throw corrupt("skipped keys of a chain whose header key the session does not hold");
            }
        }
    }

    private static RatchetException corrupt(String what) {
        return new RatchetException(RatchetException.Reason.CORRUPT_STATE, "session record: " + what);
    }

    private static void optional(StrictWriter w, RatchetKey key) {
        optionalKey(w, key == null ? null : key.unsafeBytes());
    }

    private static void optionalKey(StrictWriter w, byte[] key32) {
        if (key32 == null) {
            w.u8(0);
        } else {
            w.u8(1).bytes(key32);
        }
    }

    private static <K extends RatchetKey> K optional(StrictReader r, String field, Function<byte[], K> key)
            throws CryptoException, RatchetException {
        byte[] bytes = optional(r, field);
        return bytes == null ? null : key.apply(bytes);
    }

    private static byte[] optional(StrictReader r, String field) throws CryptoException, RatchetException {
        int present = r.u8(field + " flag");
        if (present > 1) {
            throw corrupt(field + " flag " + present);
        }
        return present == 1 ? r.fixed(Kdf.KEY_LENGTH, field) : null;
    }

    private static void optionalVar(StrictWriter w, byte[] value) {
        w.var16(value == null ? new byte[0] : value);
    }

    private static byte[] optionalVar(StrictReader r, int length, String field)
            throws CryptoException, RatchetException {
        byte[] v = r.var16(0, length, field);
        if (v.length != 0 && v.length != length) {
            throw corrupt(field + " length " + v.length);
        }
        return v.length == 0 ? null : v;
    }
}
