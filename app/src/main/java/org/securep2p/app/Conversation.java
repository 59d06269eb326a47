package org.securep2p.app;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.ratchet.RatchetException;
import org.securep2p.ratchet.SessionCipher;
import org.securep2p.ratchet.SessionRecord;
import org.securep2p.ratchet.SessionStore;

/**
 * The durable state of the conversation with one peer: its ratchet session, the sequence counters, and the
 * messages sent but not yet acknowledged (as ratchet ciphertexts: no plaintext is ever stored). Everything
 * sits in one sealed file that {@link ConversationStore} replaces atomically, so the ratchet state, the
 * counters and the queue can never disagree after a crash.
 *
 * <p>Each operation changes the state in memory and commits it with one durable write <em>before</em> its
 * result (a ciphertext to send, a plaintext to show) leaves this class: no key is used twice, no accepted
 * message is lost. Calls are serialised.
 */
final class Conversation {

    /** A message encrypted and stored, waiting for the peer's acknowledgement. */
    // wire is a ciphertext passed through to the channel as is; a Pending is never compared or hashed.
    @SuppressWarnings("ArrayRecordComponent")
    record Pending(long sequence, String id, Instant created, byte[] wire) {
    }

    /**
     * The outcome of one received ratchet message; {@code fresh} is false for a TEXT whose sequence was already
     * received (it is acknowledged again, never shown twice).
     */
    record Received(ChatPayload payload, List<Pending> acknowledged, boolean fresh) {
    }

    /**
     * A received message committed with the ratchet state that decrypted it and kept (sealed) until it has been
     * shown and a later commit has happened (in practice the acknowledgement, within ~20 ms). If the process dies
     * in between, it is shown again after the restart, with the same id: shown at least once, never lost.
     */
    record Inbound(long sequence, String id, Instant time, String text) {
        @Override
        public String toString() {
            return "Inbound[" + sequence + "]";
        }
    }

    static final int FORMAT_VERSION = 1;
    static final int MAX_INBOUND = 1_000;
    static final int MAX_PENDING = 10_000;

    private final ConversationStore store;
    private final Fingerprint peer;
    private final byte[] sessionId;
    private final SecurityLevel level;
    private final SessionCipher cipher;
    private final Clock clock;
    private final SecureRandom random;
    private final List<Pending> pending;
    /** Received and committed, not yet known to be shown. */
    private final List<Inbound> inbound = new ArrayList<>();
    /** Shown; dropped from the file at the next commit. */
    private final java.util.Set<Long> shown = new java.util.HashSet<>();
    private String peerName;
    private byte[] record;
    /** After {@link #wipe()}: nothing may be committed (it would write the zeroed state over the real one). */
    private boolean wiped;
    private long nextSequence;
    private long receivedUpTo;
    /** The record the cipher stored during the current operation, committed with it. */
    private byte[] uncommitted;
    /** The record the cipher loaded for the current operation; wiped when the operation ends. */
    private SessionRecord loaded;

    Conversation(ConversationStore store, Fingerprint peer, String peerName, byte[] sessionId, SecurityLevel level,
            byte[] record, long nextSequence, long receivedUpTo, List<Pending> pending, SecureRandom random,
            Clock clock) {
        this.store = store;
        this.peer = peer;
        this.peerName = peerName;
        this.sessionId = sessionId.clone();
        this.level = level;
        this.record = record;
        this.nextSequence = nextSequence;
        this.receivedUpTo = receivedUpTo;
        this.pending = new ArrayList<>(pending);
        this.random = random;
        this.clock = clock;
        this.cipher = new SessionCipher(new DeferredStore(), sessionIdHex(), random, clock);
    }

    Fingerprint peer() {
        return peer;
    }

    synchronized String peerName() {
        return peerName;
    }

    byte[] sessionId() {
        return sessionId.clone();
    }

    String sessionIdHex() {
        return HexFormat.of().formatHex(sessionId);
    }

    SecurityLevel level() {
        return level;
    }

    synchronized long receivedUpTo() {
        return receivedUpTo;
    }

    synchronized List<Pending> pending() {
        return List.copyOf(pending);
    }

    synchronized void rename(String name) throws AppException {
        if (!name.equals(peerName)) {
            peerName = name;
            commit();
        }
    }

    /** Encrypts a text message, queues its ciphertext and commits both; the result may now be sent. */
    synchronized Pending encryptText(String text) throws AppException {
        byte[] id = new byte[ChatPayload.ID_LENGTH];
        random.nextBytes(id);
        return encryptText(text, id);
    }

    /**
     * As {@link #encryptText(String)} under the message id {@code id} ({@link ChatPayload#ID_LENGTH} random bytes
     * the caller chose, so it could record the message under that id first).
     */
    synchronized Pending encryptText(String text, byte[] id) throws AppException {
        if (id.length != ChatPayload.ID_LENGTH) {
            throw new IllegalArgumentException("a message id has " + ChatPayload.ID_LENGTH + " bytes");
        }
        if (text.getBytes(StandardCharsets.UTF_8).length > ChatPayload.MAX_TEXT_BYTES) {
            throw new AppException(AppException.Reason.TOO_LONG,
                    "At most " + ChatPayload.MAX_TEXT_BYTES + " bytes of UTF-8.");
        }
        if (pending.size() >= MAX_PENDING) {
            throw new AppException(AppException.Reason.STORAGE_FAILED,
                    MAX_PENDING + " messages are already waiting for this peer; wait until they are delivered.");
        }
        Instant now = clock.instant();
        long sequence = nextSequence;
        byte[] wire = encrypt(ChatPayload.text(sequence, id, now, text));
        Pending p = new Pending(sequence, HexFormat.of().formatHex(id), now, wire);
        // Write-ahead: the ciphertext is durable in its own file before the commit that lists it; a crash in
        // between leaves an unlisted file, removed at the next load.
        try {
            store.writeQueued(this, sequence, wire);
        } catch (StoreException e) {
            dropUncommitted();
            throw new AppException(AppException.Reason.STORAGE_FAILED, "could not queue the message: "
                    + e.getMessage(), e);
        }
        pending.add(p);
        nextSequence = sequence + 1;
        try {
            commit();
        } catch (AppException e) {
            pending.remove(pending.size() - 1);
            nextSequence = sequence;
            store.deleteQueued(this, List.of(sequence));
            throw e;
        }
        return p;
    }

    /** Encrypts a control payload (confirm, ack) and commits the advanced ratchet before returning it. */
    synchronized byte[] encryptControl(ChatPayload payload) throws AppException, RatchetException {
        byte[] wire;
        // A MAILBOX's plaintext holds a send key's seed: zeroed once encrypted.
        byte[] plain = payload.encode();
        try {
            wire = cipher.encrypt(plain);
        } catch (RatchetException e) {
            dropUncommitted();
            throw e;
        } finally {
            java.util.Arrays.fill(plain, (byte) 0);
            closeLoaded();
        }
        commit();
        return wire;
    }

    private byte[] encrypt(ChatPayload payload) throws AppException {
        try {
            return cipher.encrypt(payload.encode());
        } catch (RatchetException e) {
            dropUncommitted();
            throw new AppException(AppException.Reason.STORAGE_FAILED, "cannot encrypt: " + e.reason(), e);
        } finally {
            closeLoaded();
        }
    }

    /**
     * Decrypts one ratchet message and commits the result: a text advances {@code receivedUpTo}, an ack
     * removes the acknowledged messages. A refused message changes nothing.
     */
    synchronized Received decrypt(byte[] wire) throws RatchetException, AppException, CryptoException {
        return decrypt(wire, acknowledged -> { });
    }

    /**
     * As {@link #decrypt(byte[])}; {@code announce} is told the acknowledged messages <em>before</em> their
     * removal is committed. Announcing "delivered" twice (after a crash, the peer's next CONFIRM acknowledges
     * them again) is harmless; never announcing it would not be.
     */
    synchronized Received decrypt(byte[] wire, java.util.function.Consumer<List<Pending>> announce)
            throws RatchetException, AppException, CryptoException {
        byte[] plaintext;
        try {
            plaintext = cipher.decrypt(wire);
        } catch (RatchetException e) {
            dropUncommitted();
            throw e;
        } finally {
            closeLoaded();
        }
        ChatPayload payload;
        try {
            payload = ChatPayload.decode(plaintext);
        } catch (CryptoException e) {
            // The message authenticated but its content is malformed: keep the advanced ratchet (its key is
            // spent either way) and report the content.
            commit();
            throw e;
        } finally {
            java.util.Arrays.fill(plaintext, (byte) 0);
        }
        List<Pending> acknowledged = List.of();
        boolean fresh = false;
        long oldReceived = receivedUpTo;
        List<Pending> oldPending = List.copyOf(pending);
        if (payload.kind() == ChatPayload.Kind.TEXT && payload.sequence() > receivedUpTo) {
            receivedUpTo = payload.sequence();
            fresh = true;
            inbound.add(new Inbound(payload.sequence(), payload.id(), payload.time(), payload.text()));
        } else if (payload.kind() == ChatPayload.Kind.ACK || payload.kind() == ChatPayload.Kind.CONFIRM) {
            acknowledged = removeUpTo(payload.sequence());
            if (!acknowledged.isEmpty()) {
                announce.accept(acknowledged);
            }
        }
        try {
            commit();
        } catch (AppException e) {
            receivedUpTo = oldReceived;
            pending.clear();
            pending.addAll(oldPending);
            if (fresh) {
                inbound.remove(inbound.size() - 1);
            }
            throw e;
        }
        if (!acknowledged.isEmpty()) {
            store.deleteQueued(this, acknowledged.stream().map(Pending::sequence).toList());
        }
        return new Received(payload, acknowledged, fresh);
    }

    private List<Pending> removeUpTo(long sequence) {
        List<Pending> removed = new ArrayList<>();
        pending.removeIf(p -> {
            if (p.sequence() <= sequence) {
                removed.add(p);
                return true;
            }
            return false;
        });
        return removed;
    }

    /** The front end has shown this message: it leaves the file with the next commit. */
    synchronized void shown(long sequence) {
        shown.add(sequence);
    }

    /**
     * Marks it shown and commits now, so the file no longer offers it; on a failure it stays offered (the caller
     * does not show it).
     */
    synchronized void commitShown(long sequence) throws AppException {
        boolean added = shown.add(sequence);
        try {
            commit();
        } catch (AppException e) {
            if (added) {
                shown.remove(sequence);
            }
            throw e;
        }
    }

    /** Messages received and committed but maybe never shown (after a restart: the ones to show again). */
    synchronized List<Inbound> unshown() {
        return inbound.stream().filter(m -> !shown.contains(m.sequence())).toList();
    }

    private void commit() throws AppException {
        if (wiped) {
            dropUncommitted();
            throw new AppException(AppException.Reason.STORAGE_FAILED, "the conversation was closed");
        }
        byte[] newRecord = uncommitted != null ? uncommitted : record;
        try {
            store.write(this, newRecord);
            if (newRecord != record) {
                // The previous state's keys are retired now that the new one is durable.
                java.util.Arrays.fill(record, (byte) 0);
            }
            record = newRecord;
            uncommitted = null;
            java.util.Set<Long> written = java.util.Set.copyOf(shown);
            inbound.removeIf(m -> written.contains(m.sequence()));
            shown.removeAll(written);
        } catch (StoreException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, "could not save the conversation: "
                    + e.getMessage(), e);
        } finally {
            dropUncommitted();
        }
    }

    /** Forgets (and wipes) a state the cipher produced that will not be committed. */
    private void dropUncommitted() {
        if (uncommitted != null && uncommitted != record) {
            java.util.Arrays.fill(uncommitted, (byte) 0);
        }
        uncommitted = null;
    }

    /**
     * Wipes the record the cipher loaded for the operation just finished: it is a decoded copy of bytes this
     * class keeps, and the cipher wipes only what the new state no longer holds (or, on a refusal, nothing).
     */
    private void closeLoaded() {
        if (loaded != null) {
            loaded.close();
            loaded = null;
        }
    }

    /** The fields as {@link ConversationStore} seals them. */
    synchronized byte[] encodeWith(byte[] recordBytes) {
        StrictWriter w = new StrictWriter().u8(FORMAT_VERSION).bytes(peer.toBytes())
                .var16(peerName.getBytes(StandardCharsets.UTF_8)).bytes(sessionId).u8(level.code())
                .u64(nextSequence).u64(receivedUpTo).var32(recordBytes).u32(pending.size());
        for (Pending p : pending) {
            w.u64(p.sequence()).bytes(HexFormat.of().parseHex(p.id())).u64(p.created().toEpochMilli());
        }
        List<Inbound> keep = inbound.stream().filter(m -> !shown.contains(m.sequence())).toList();
        w.u32(keep.size());
        for (Inbound m : keep) {
            w.u64(m.sequence()).bytes(HexFormat.of().parseHex(m.id())).u64(m.time().toEpochMilli())
                    .var32(m.text().getBytes(StandardCharsets.UTF_8));
        }
        // The writer held the whole ratchet record; the caller wipes the copy returned.
        return w.toByteArrayThenWipe();
    }

    /** Reads the ciphertext queued under a sequence (its write-ahead file). */
    interface QueuedReader {
        byte[] read(byte[] sessionId, long sequence) throws StoreException;
    }

    static Conversation decode(ConversationStore store, byte[] plain, QueuedReader queued, SecureRandom random,
            Clock clock) throws CryptoException, StoreException {
        StrictReader r = new StrictReader(plain, "conversation");
        int version = r.u8("version");
        if (version != FORMAT_VERSION) {
            throw new CryptoException(CryptoException.Reason.UNKNOWN_VERSION, "conversation format " + version);
        }
        Fingerprint peer = Fingerprint.fromBytes(r.fixed(Fingerprint.LENGTH, "peer"));
        String name = new String(r.var16(0, ChatFrame.MAX_USERNAME_BYTES, "name"), StandardCharsets.UTF_8);
        byte[] sid = r.fixed(ChatFrame.SESSION_ID_LENGTH, "session id");
        SecurityLevel level = SecurityLevel.fromCode(r.u8("level"));
        long next = r.u64("next sequence");
        long received = r.u64("received up to");
        byte[] record = r.var32(1, 16 << 20, "record");
        long count = r.u32("pending count");
        if (count > MAX_PENDING) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "conversation: too many pending");
        }
        List<Pending> pending = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            long seq = r.u64("sequence");
            String id = HexFormat.of().formatHex(r.fixed(ChatPayload.ID_LENGTH, "id"));
            Instant created = Instant.ofEpochMilli(r.u64("created"));
            if (seq < 1 || (!pending.isEmpty() && seq <= pending.get(pending.size() - 1).sequence())) {
                throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "conversation: queue out of order");
            }
            pending.add(new Pending(seq, id, created, null));
        }
        long inboundCount = r.u32("inbound count");
        if (inboundCount > MAX_INBOUND) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "conversation: too many inbound");
        }
        List<Inbound> inbound = new ArrayList<>();
        for (long i = 0; i < inboundCount; i++) {
            long seq = r.u64("inbound sequence");
            String id = HexFormat.of().formatHex(r.fixed(ChatPayload.ID_LENGTH, "inbound id"));
            Instant time = Instant.ofEpochMilli(r.u64("inbound time"));
            String text = new String(r.var32(0, ChatPayload.MAX_TEXT_BYTES, "inbound text"), StandardCharsets.UTF_8);
            if (seq < 1 || seq > received) {
                throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "conversation: inbound beyond received");
            }
            inbound.add(new Inbound(seq, id, time, text));
        }
        r.expectEnd();
        if (next < 1 || (!pending.isEmpty() && pending.get(pending.size() - 1).sequence() >= next)) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "conversation: bad next sequence");
        }
        for (int i = 0; i < pending.size(); i++) {
            Pending p = pending.get(i);
            pending.set(i, new Pending(p.sequence(), p.id(), p.created(), queued.read(sid, p.sequence())));
        }
        Conversation c = new Conversation(store, peer, name, sid, level, record, next, received, pending, random,
                clock);
        c.inbound.addAll(inbound);
        return c;
    }

    /**
     * The cipher's store: loads the current record and holds what it stores until {@link #commit} writes it
     * together with the queue and counters. The cipher's own rule (store before the output leaves) holds,
     * because nothing leaves this class before the commit.
     */
    private final class DeferredStore implements SessionStore {
        @Override
        public Optional<SessionRecord> load(String id) throws RatchetException {
            byte[] current = uncommitted != null ? uncommitted : record;
            closeLoaded();
            loaded = SessionRecord.decode(current, clock);
            return Optional.of(loaded);
        }

        /**
         * Keeps the encoding and wipes the record: it is never used again (the next operation decodes the
         * bytes afresh), and the keys it shares with the loaded one are wiped with it.
         */
        @Override
        public void store(String id, SessionRecord newRecord) {
            byte[] encoded = newRecord.encode();
            newRecord.close();
            dropUncommitted();
            uncommitted = encoded;
        }
    }

    /**
     * True once a newer session of the same peer replaced this instance in its store (or the store closed or
     * deleted it): its commits are refused, and a caller that meant to queue loads the current one instead.
     */
    boolean retired() {
        return !store.isCurrent(this);
    }

    /** Wipes the ratchet state held in memory; the conversation cannot be used afterwards. */
    synchronized void wipe() {
        wiped = true;
        java.util.Arrays.fill(record, (byte) 0);
        if (uncommitted != null) {
            java.util.Arrays.fill(uncommitted, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return "Conversation[" + peer.shortForm() + ", " + level + ", " + pending.size() + " pending]";
    }
}
