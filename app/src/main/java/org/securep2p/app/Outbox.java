package org.securep2p.app;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

import static org.securep2p.app.StoreException.Reason.CORRUPT;
import static org.securep2p.app.StoreException.Reason.DUPLICATE;
import static org.securep2p.app.StoreException.Reason.LIMIT_REACHED;

/**
 * The messages encrypted but not yet acknowledged, kept so they are sent again after a reconnect or a restart.
 * One sealed file ({@link SealedFormat}, role {@code outbox}, empty context) holding the whole queue, rewritten
 * through {@link AtomicFile} by {@link #add} and {@link #remove} before they return; a failed write changes
 * nothing. Bounded by {@link #MAX_MESSAGES} and {@link #MAX_TOTAL_BYTES}: past either, {@link #add} fails with
 * {@code LIMIT_REACHED} and nothing is dropped; the app should stop sending on that session until the peer
 * acknowledges. Thread-safe: one lock per outbox.
 *
 * <p>Each change rewrites the whole file, which is cheap for the few messages a live conversation has in
 * flight and bounded (by the caps) for a long outage. Not its job: when to retry, or matching
 * acknowledgements to ids (the app).
 */
final class Outbox implements AutoCloseable {

    static final String ROLE = "outbox";
    static final int FORMAT_VERSION = 1;
    /** Messages kept: far more than any conversation has unacknowledged; bounds the file and its rewrites. */
    static final int MAX_MESSAGES = 10_000;
    /** Sum of the wire bytes kept: 64 MiB, a long outage of ordinary messages, or 32 of the largest. */
    static final long MAX_TOTAL_BYTES = 64L << 20;
    /** Per message besides its wire bytes: id, session id with its length, time, wire length. */
    static final int PER_MESSAGE_OVERHEAD = PendingMessage.ID_BYTES + 2 + 64 + 8 + 4 + 4;
    /** The largest well-formed file: version and count, every message at its largest, the seal. */
    static final long MAX_FILE_BYTES = 1 + 4 + MAX_TOTAL_BYTES + (long) MAX_MESSAGES * PER_MESSAGE_OVERHEAD
            + SealedFormat.OVERHEAD;

    private final Path file;
    private final SecretBytes key;
    private final SecureRandom random;
    private Map<String, PendingMessage> messages;
    private long totalBytes;

    private Outbox(Path file, SecretBytes key, SecureRandom random, Map<String, PendingMessage> messages) {
        this.file = file;
        this.key = key;
        this.random = random;
        this.messages = messages;
        this.totalBytes = total(messages.values());
    }

    /**
     * Reads the outbox at {@code file}, or starts empty if there is none; creates the directory 0700 if missing
     * and removes temp files a crash left. A wrong key or a damaged file is {@code CORRUPT}, another version
     * {@code UNKNOWN_VERSION}; the file is left as it was. The storage key is copied; the caller still owns it.
     */
    static Outbox open(Path file, SecretBytes storageKey, SecureRandom random) throws StoreException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(random, "random");
        SecretBytes key = SealedFormat.copyKey(storageKey);
        try {
            Path dir = file.toAbsolutePath().getParent();
            AtomicFile.ensureDirectory(dir);
            String name = file.getFileName().toString();
            AtomicFile.removeLeftoverTemps(dir, name::equals);
            Optional<byte[]> sealed = AtomicFile.read(file, MAX_FILE_BYTES);
            Map<String, PendingMessage> messages = new LinkedHashMap<>();
            if (sealed.isPresent()) {
                byte[] plain = SealedFormat.open(ROLE, "", sealed.get(), key, random, "outbox " + file.getFileName());
                messages = decode(plain, file);
            }
            return new Outbox(file, key, random, messages);
        } catch (StoreException | RuntimeException e) {
            key.close();
            throw e;
        }
    }

    /** Adds {@code message} durably. {@code DUPLICATE} for an id already queued; {@code LIMIT_REACHED} past a cap. */
    synchronized void add(PendingMessage message) throws StoreException {
        Objects.requireNonNull(message, "message");
        if (messages.containsKey(message.id())) {
            throw new StoreException(DUPLICATE, "message " + message.id() + " is already in the outbox");
        }
        if (messages.size() >= MAX_MESSAGES) {
            throw new StoreException(LIMIT_REACHED, "the outbox already holds " + MAX_MESSAGES + " messages");
        }
        if (totalBytes + message.wireLength() > MAX_TOTAL_BYTES) {
            throw new StoreException(LIMIT_REACHED, "the outbox would exceed " + MAX_TOTAL_BYTES + " bytes");
        }
        Map<String, PendingMessage> next = new LinkedHashMap<>(messages);
        next.put(message.id(), message);
        commit(next);
    }

    /** Removes the message (acknowledged) durably; false if it was not queued. */
    synchronized boolean remove(String id) throws StoreException {
        if (!messages.containsKey(Objects.requireNonNull(id, "id"))) {
            return false;
        }
        Map<String, PendingMessage> next = new LinkedHashMap<>(messages);
        next.remove(id);
        commit(next);
        return true;
    }

    /** Removes every message of a session (the session was deleted) durably; returns how many. */
    synchronized int removeSession(String sessionId) throws StoreException {
        Objects.requireNonNull(sessionId, "sessionId");
        Map<String, PendingMessage> next = new LinkedHashMap<>(messages);
        next.values().removeIf(m -> m.sessionId().equals(sessionId));
        int removed = messages.size() - next.size();
        if (removed > 0) {
            commit(next);
        }
        return removed;
    }

    /** Every queued message, oldest added first. */
    synchronized List<PendingMessage> pending() {
        return List.copyOf(messages.values());
    }

    /** The queued messages of one session, oldest added first. */
    synchronized List<PendingMessage> pending(String sessionId) {
        Objects.requireNonNull(sessionId, "sessionId");
        return messages.values().stream().filter(m -> m.sessionId().equals(sessionId)).toList();
    }

    synchronized int size() {
        return messages.size();
    }

    /** The sum of the queued wire bytes, counted against {@link #MAX_TOTAL_BYTES}. */
    synchronized long totalBytes() {
        return totalBytes;
    }

    /** Wipes this outbox's copy of the storage key; later changes fail. */
    @Override
    public synchronized void close() {
        key.close();
    }

    @Override
    public String toString() {
        return "Outbox[" + file + "]";
    }

    private void commit(Map<String, PendingMessage> next) throws StoreException {
        AtomicFile.write(file, SealedFormat.seal(ROLE, "", encode(next.values()), key, random));
        messages = next;
        totalBytes = total(next.values());
    }

    private static long total(Collection<PendingMessage> messages) {
        return messages.stream().mapToLong(PendingMessage::wireLength).sum();
    }

    /**
     * {@code version u8 (=1) || count u32 || count × (id[16] || var16(session id) || created u64 seconds ||
     * nanos u32 || var32(wire))}.
     */
    static byte[] encode(Collection<PendingMessage> messages) {
        StrictWriter w = new StrictWriter().u8(FORMAT_VERSION).u32(messages.size());
        for (PendingMessage m : messages) {
            w.bytes(HexFormat.of().parseHex(m.id())).var16(m.sessionId().getBytes(StandardCharsets.US_ASCII))
                    .u64(m.created().getEpochSecond()).u32(m.created().getNano()).var32(m.wireUnsafe());
        }
        return w.toByteArray();
    }

    static Map<String, PendingMessage> decode(byte[] plain, Path file) throws StoreException {
        String what = "outbox " + file.getFileName();
        StrictReader r = new StrictReader(plain, what);
        try {
            int version = r.u8("version");
            if (version != FORMAT_VERSION) {
                throw new StoreException(StoreException.Reason.UNKNOWN_VERSION, what + " has queue version " + version);
            }
            int count = r.u32("count");
            if (count > MAX_MESSAGES) {
                throw new StoreException(CORRUPT, what + " claims " + count + " messages");
            }
            Map<String, PendingMessage> messages = new LinkedHashMap<>();
            long total = 0;
            for (int i = 0; i < count; i++) {
                String id = HexFormat.of().formatHex(r.fixed(PendingMessage.ID_BYTES, "id"));
                String sessionId = new String(r.var16(1, 64, "session id"), StandardCharsets.US_ASCII);
                long seconds = r.u64("created");
                long nanos = r.u32("created nanos");
                byte[] wire = r.var32(1, PendingMessage.MAX_WIRE_BYTES, "wire");
                if (seconds > PendingMessage.MAX_EPOCH_SECOND || nanos > 999_999_999) {
                    throw new StoreException(CORRUPT, what + " has a time out of range in message " + i);
                }
                PendingMessage m;
                try {
                    m = PendingMessage.of(id, sessionId, wire, Instant.ofEpochSecond(seconds, nanos));
                } catch (IllegalArgumentException e) {
                    throw new StoreException(CORRUPT, what + " breaks a rule in message " + i + ": " + e.getMessage());
                }
                if (messages.put(id, m) != null) {
                    throw new StoreException(CORRUPT, what + " lists message " + id + " twice");
                }
                total += wire.length;
            }
            r.expectEnd();
            if (total > MAX_TOTAL_BYTES) {
                throw new StoreException(CORRUPT, what + " holds more than " + MAX_TOTAL_BYTES + " bytes");
            }
            return messages;
        } catch (CryptoException e) {
            throw new StoreException(CORRUPT, e.getMessage());
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }
}
