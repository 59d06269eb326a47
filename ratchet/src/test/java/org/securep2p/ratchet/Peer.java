package org.securep2p.ratchet;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.fail;

/**
 * One party of a test conversation: its session store (which can be told to fail its next write) and its
 * cipher. Records are compared as {@link SessionRecord#encode()} bytes: a loaded record is wiped by the cipher's
 * next operation, so tests never keep one.
 */
final class Peer {

    static final String SESSION = "peer";

    final String name;
    final FlakyStore store = new FlakyStore();
    final SessionCipher cipher;

    Peer(String name, byte[] record, SecureRandom random, Clock clock) throws RatchetException {
        this.name = name;
        store.put(SESSION, SessionRecord.decode(record, clock));
        this.cipher = new SessionCipher(store, SESSION, random, clock);
    }

    byte[] encrypt(byte[] plaintext) throws RatchetException {
        FreshGcm.clear();
        return cipher.encrypt(plaintext);
    }

    byte[] decrypt(byte[] wire) throws RatchetException {
        return cipher.decrypt(wire);
    }

    /** The stored record's encoding. */
    byte[] record() {
        return store.load(SESSION).orElseThrow().encode();
    }

    /** The live stored state, to read at once and never keep across an operation. */
    SessionState state() {
        return store.load(SESSION).orElseThrow().state;
    }

    void replaceRecord(SessionRecord record) {
        store.put(SESSION, record);
    }

    /** {@code wire} is refused, and the stored record is byte-for-byte what it was. Returns the refusal. */
    RatchetException refusesUnchanged(byte[] wire) {
        return refusesUnchanged(wire, cipher);
    }

    /**
     * As {@link #refusesUnchanged(byte[])}, decrypting through {@code via} (a cipher over this peer's store with
     * randomness of its own: a refused message may have drawn a ratchet key before it failed, which would shift
     * this peer's seeded stream).
     */
    RatchetException refusesUnchanged(byte[] wire, SessionCipher via) {
        byte[] before = record();
        try {
            byte[] plaintext = via.decrypt(wire);
            return fail(name + " accepted a message it must refuse (" + plaintext.length + " bytes of plaintext)");
        } catch (RatchetException e) {
            assertUnchanged(before, name + "'s record after refusing a message (" + e.reason() + ")");
            return e;
        }
    }

    /** The stored record is {@code before}; if not, the failure names what changed. */
    void assertUnchanged(byte[] before, String what) {
        byte[] after = record();
        if (!Arrays.equals(before, after)) {
            fail(what + " changed: " + differences(before, after));
        }
    }

    private static byte[] bytes(RatchetKey key) {
        return key == null ? null : key.unsafeBytes();
    }

    /** The fields in which two record encodings differ, in words. */
    static String differences(byte[] before, byte[] after) {
        SessionState a;
        SessionState b;
        try {
            a = SessionState.decode(before, java.time.Clock.systemUTC());
            b = SessionState.decode(after, java.time.Clock.systemUTC());
        } catch (RatchetException e) {
            return "(undecodable: " + e.getMessage() + ")";
        }
        List<String> out = new ArrayList<>();
        String[] names = {"rootKey", "dhRemote", "sendChainKey", "recvChainKey", "sendHeaderKey", "recvHeaderKey",
            "nextSendHeaderKey", "nextRecvHeaderKey", "kemRemotePublicKey", "sendKemCiphertext"};
        byte[][] x = {bytes(a.rootKey), a.dhRemote, bytes(a.sendChainKey), bytes(a.recvChainKey),
            bytes(a.sendHeaderKey), bytes(a.recvHeaderKey), bytes(a.nextSendHeaderKey), bytes(a.nextRecvHeaderKey),
            a.kemRemotePublicKey, a.sendKemCiphertext};
        byte[][] y = {bytes(b.rootKey), b.dhRemote, bytes(b.sendChainKey), bytes(b.recvChainKey),
            bytes(b.sendHeaderKey), bytes(b.recvHeaderKey), bytes(b.nextSendHeaderKey), bytes(b.nextRecvHeaderKey),
            b.kemRemotePublicKey, b.sendKemCiphertext};
        for (int i = 0; i < names.length; i++) {
            if (!Arrays.equals(x[i], y[i])) {
                out.add(names[i]);
            }
        }
        if (a.sendN != b.sendN || a.recvN != b.recvN || a.previousSendN != b.previousSendN) {
            out.add("Ns/Nr/PN " + a.sendN + "/" + a.recvN + "/" + a.previousSendN + " -> " + b.sendN + "/" + b.recvN
                    + "/" + b.previousSendN);
        }
        if (a.oldRecvHeaderKeys.size() != b.oldRecvHeaderKeys.size()) {
            out.add("old header keys " + a.oldRecvHeaderKeys.size() + " -> " + b.oldRecvHeaderKeys.size());
        }
        if (a.messagesSinceKemStep != b.messagesSinceKemStep || a.lastKemStepAt != b.lastKemStepAt) {
            out.add("KEM counters");
        }
        if (a.skipped.size() != b.skipped.size()) {
            out.add("skipped keys " + a.skipped.size() + " -> " + b.skipped.size());
        } else {
            int changed = 0;
            int zeroed = 0;
            int first = -1;
            Iterator<Map.Entry<SkippedKeys.Slot, MessageKey>> ib = b.skipped.entries().entrySet().iterator();
            int i = 0;
            for (Map.Entry<SkippedKeys.Slot, MessageKey> ea : a.skipped.entries().entrySet()) {
                Map.Entry<SkippedKeys.Slot, MessageKey> eb = ib.next();
                if (!ea.getKey().equals(eb.getKey()) || !Arrays.equals(bytes(ea.getValue()), bytes(eb.getValue()))) {
                    changed++;
                    if (first < 0) {
                        first = i;
                    }
                    if (Arrays.equals(bytes(eb.getValue()), new byte[Kdf.KEY_LENGTH])) {
                        zeroed++;
                    }
                }
                i++;
            }
            if (changed > 0) {
                out.add(changed + " of " + a.skipped.size() + " skipped keys (" + zeroed + " now all zero bytes,"
                        + " the oldest changed is #" + first + ", oldest first)");
            }
        }
        return out.isEmpty() ? "(encoding only)" : String.join("; ", out);
    }

    /** An in-memory store that fails the next write when told to, as a full disk would. */
    static final class FlakyStore implements SessionStore {
        private final InMemorySessionStore records = new InMemorySessionStore();
        boolean failNextStore;

        @Override
        public Optional<SessionRecord> load(String sessionId) {
            return records.load(sessionId);
        }

        /** The cipher's write: fails once, leaving the old record, when {@link #failNextStore} is set. */
        @Override
        public void store(String sessionId, SessionRecord record) throws RatchetException {
            if (failNextStore) {
                failNextStore = false;
                throw new RatchetException(RatchetException.Reason.STORAGE_FAILED, "disk full (test)");
            }
            records.store(sessionId, record);
        }

        /** The test's own write, which never fails. */
        void put(String sessionId, SessionRecord record) {
            records.store(sessionId, record);
        }
    }
}
