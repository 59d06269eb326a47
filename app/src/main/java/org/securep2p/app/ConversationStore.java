package org.securep2p.app;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import org.securep2p.app.store.AtomicFile;
import org.securep2p.app.store.SealedFormat;
import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.ratchet.SessionRecord;

/**
 * One sealed file per peer under {@code conversations/}, in {@link SealedFormat} with role
 * {@code "conversation"} and the peer's fingerprint (hex) as context, so a file copied to another peer's name
 * does not open ({@code docs/PROTOCOL.md} §20.6). Replaced atomically ({@link AtomicFile}) on every commit.
 */
final class ConversationStore implements AutoCloseable {

    private static final String ROLE = "conversation";
    private static final String QUEUED_ROLE = "queued-message";
    private static final int MAX_FILE = 96 << 20;

    private final Path dir;
    private final SecretBytes key;
    private final SecureRandom random;
    private final Clock clock;
    /**
     * One live instance per peer: two instances of one file would each advance their own copy of the ratchet
     * and the later write would roll the other back, reusing its keys.
     */
    private final java.util.Map<Fingerprint, Conversation> open = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * One lock per peer: a load, a create and every write of that peer's files (checking that the writer is the
     * current instance) are one step each, so a retired instance can never write over its successor's files.
     * Taken after a {@link Conversation}'s own lock, never before it.
     */
    private final java.util.Map<Fingerprint, Object> locks = new java.util.concurrent.ConcurrentHashMap<>();
    /** Writes a conversation file atomically; {@link AtomicFile#write(Path, byte[])} but for fault-injecting tests. */
    private final FileWriter files;
    private final MailboxStore mailboxes;

    /** How a conversation file is replaced: atomically and durably, or a {@link StoreException}. */
    interface FileWriter {
        void write(Path file, byte[] content) throws StoreException;
    }

    ConversationStore(Path dir, SecretBytes storageKey, SecureRandom random, Clock clock) throws StoreException {
        this(dir, storageKey, random, clock, AtomicFile::write);
    }

    ConversationStore(Path dir, SecretBytes storageKey, SecureRandom random, Clock clock, FileWriter files)
            throws StoreException {
        this.files = files;
        this.dir = dir;
        this.random = random;
        this.clock = clock;
        this.key = SealedFormat.copyKey(storageKey);
        AtomicFile.ensureDirectory(dir);
        this.mailboxes = new MailboxStore(dir, storageKey, random);
    }

    /** The contacts' relay mailboxes, beside their conversation files, under the same key (PROTOCOL.md §22.5). */
    MailboxStore mailboxes() {
        return mailboxes;
    }

    /** The stored conversation with {@code peer}, if any. A file that does not open is an error, not "none". */
    Optional<Conversation> load(Fingerprint peer) throws AppException {
        synchronized (lockOf(peer)) {
            return loadLocked(peer);
        }
    }

    private Optional<Conversation> loadLocked(Fingerprint peer) throws AppException {
        Conversation cached = open.get(peer);
        if (cached != null) {
            return Optional.of(cached);
        }
        Path file = fileFor(peer);
        try {
            Optional<byte[]> sealed = AtomicFile.read(file, MAX_FILE);
            if (sealed.isEmpty()) {
                return Optional.empty();
            }
            byte[] plain = SealedFormat.open(ROLE, context(peer), sealed.get(), key, random,
                    file.getFileName().toString());
            try {
                Conversation c = Conversation.decode(this, plain, (sid, seq) -> readQueued(peer, sid, seq), random,
                        clock);
                if (!c.peer().equals(peer)) {
                    throw new StoreException(StoreException.Reason.CORRUPT, "conversation of another peer");
                }
                removeUnlisted(peer, c);
                open.put(peer, c);
                return Optional.of(c);
            } catch (CryptoException e) {
                throw new StoreException(StoreException.Reason.CORRUPT, file.getFileName() + ": " + e.reason());
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        } catch (StoreException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, "the conversation file "
                    + file.getFileName() + " does not open (" + e.getMessage() + "); it was left untouched", e);
        }
    }

    /**
     * Starts (or replaces) the conversation with {@code peer} from a fresh ratchet session. The instance it
     * replaces is retired in the same step: from then on its commits and queued writes are refused, so it can
     * neither roll the new session's file back nor write into its queue.
     */
    Conversation create(Fingerprint peer, String peerName, byte[] sessionId, SessionRecord record)
            throws AppException {
        SecurityLevel level = record.level();
        byte[] encoded = record.encode();
        Conversation c = new Conversation(this, peer, peerName, sessionId, level, encoded, 1, 0, List.of(),
                random, clock);
        Conversation replaced;
        synchronized (lockOf(peer)) {
            try {
                writeFile(c, encoded);
            } catch (StoreException e) {
                throw new AppException(AppException.Reason.STORAGE_FAILED, "could not save the new session", e);
            }
            replaced = open.put(peer, c);
        }
        if (replaced != null) {
            // Its keys are retired with it (outside the peer lock: a Conversation's lock comes first).
            replaced.wipe();
        }
        return c;
    }

    /** True while {@code c} is the instance this store hands out for its peer (not replaced, deleted or closed). */
    boolean isCurrent(Conversation c) {
        return open.get(c.peer()) == c;
    }

    /** Replaces {@code c}'s file, if {@code c} is still the current instance of its peer. */
    void write(Conversation c, byte[] recordBytes) throws StoreException {
        synchronized (lockOf(c.peer())) {
            requireCurrent(c);
            writeFile(c, recordBytes);
        }
    }

    private void requireCurrent(Conversation c) throws StoreException {
        if (!isCurrent(c)) {
            throw new StoreException(StoreException.Reason.STORAGE_FAILED,
                    "a newer session replaced this conversation");
        }
    }

    private Object lockOf(Fingerprint peer) {
        return locks.computeIfAbsent(peer, p -> new Object());
    }

    private void writeFile(Conversation c, byte[] recordBytes) throws StoreException {
        byte[] plain = c.encodeWith(recordBytes);
        try {
            files.write(fileFor(c.peer()), SealedFormat.seal(ROLE, context(c.peer()), plain, key, random));
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /**
     * One sealed file per queued ciphertext, {@code <hex fingerprint>.queue/<sequence>.msg} (role
     * {@code queued-message}, context {@code <first 20 hex digits of the fingerprint>-<first 20 of the session id>-<sequence>}),
     * written and fsynced before the commit that lists it, so that a commit costs the same however long the
     * queue is. Only the current instance writes (see {@link #create}); the session id in the context makes a
     * file of another session of the same peer fail to open rather than stand in for this one's.
     */
    void writeQueued(Conversation c, long sequence, byte[] wire) throws StoreException {
        Fingerprint peer = c.peer();
        synchronized (lockOf(peer)) {
            requireCurrent(c);
            Path q = queueDir(peer);
            AtomicFile.ensureDirectory(q);
            AtomicFile.write(q.resolve(sequence + ".msg"), SealedFormat.seal(QUEUED_ROLE,
                    queuedContext(peer, c.sessionId(), sequence), wire, key, random));
        }
    }

    byte[] readQueued(Fingerprint peer, byte[] sessionId, long sequence) throws StoreException {
        Path file = queueDir(peer).resolve(sequence + ".msg");
        byte[] sealed = AtomicFile.read(file, ChatFrame.MAX_BLOB + SealedFormat.OVERHEAD)
                .orElseThrow(() -> new StoreException(StoreException.Reason.CORRUPT, "queued message " + sequence
                        + " of " + context(peer).substring(0, 8) + " is missing"));
        return SealedFormat.open(QUEUED_ROLE, queuedContext(peer, sessionId, sequence), sealed, key, random,
                file.getFileName()
                .toString());
    }

    /**
     * Best effort after a commit: a file left behind is unlisted and removed at the next load. A retired
     * instance deletes nothing (the files under those names may be its successor's).
     */
    void deleteQueued(Conversation c, List<Long> sequences) {
        synchronized (lockOf(c.peer())) {
            if (!isCurrent(c)) {
                return;
            }
            for (long seq : sequences) {
                try {
                    AtomicFile.delete(queueDir(c.peer()).resolve(seq + ".msg"));
                } catch (StoreException e) {
                    // Removed at the next load.
                }
            }
        }
    }

    private void removeUnlisted(Fingerprint peer, Conversation c) throws StoreException {
        Path q = queueDir(peer);
        if (!java.nio.file.Files.isDirectory(q)) {
            return;
        }
        java.util.Set<String> listed = new java.util.HashSet<>();
        c.pending().forEach(p -> listed.add(p.sequence() + ".msg"));
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(q)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.endsWith(".msg") && !listed.contains(name)) {
                    AtomicFile.delete(f);
                }
            }
        } catch (java.io.IOException e) {
            throw new StoreException(StoreException.Reason.STORAGE_FAILED, "cannot list " + q, e);
        }
    }

    private Path queueDir(Fingerprint peer) {
        return dir.resolve(context(peer) + ".queue");
    }

    private static String queuedContext(Fingerprint peer, byte[] sessionId, long sequence) {
        // SealedFormat allows 64 characters: 80 bits of each name the file (sequence: at most 20 digits).
        return context(peer).substring(0, 20) + "-" + HexFormat.of().formatHex(sessionId).substring(0, 20) + "-"
                + sequence;
    }

    /** The peers with a stored conversation (a file here), read from the file names; unreadable names skipped. */
    synchronized List<Fingerprint> stored() throws StoreException {
        List<Fingerprint> out = new java.util.ArrayList<>();
        if (!java.nio.file.Files.isDirectory(dir)) {
            return out;
        }
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.length() == 2 * Fingerprint.LENGTH + 5 && name.endsWith(".conv")) {
                    try {
                        out.add(Fingerprint.fromBytes(HexFormat.of().parseHex(name, 0, 2 * Fingerprint.LENGTH)));
                    } catch (IllegalArgumentException | CryptoException e) {
                        // Not one of ours.
                    }
                }
            }
        } catch (java.io.IOException e) {
            throw new StoreException(StoreException.Reason.STORAGE_FAILED, "cannot list " + dir, e);
        }
        return out;
    }

    void delete(Fingerprint peer) throws StoreException {
        synchronized (lockOf(peer)) {
            open.remove(peer);
            AtomicFile.delete(fileFor(peer));
        }
    }

    private Path fileFor(Fingerprint peer) {
        return dir.resolve(context(peer) + ".conv");
    }

    private static String context(Fingerprint peer) {
        return HexFormat.of().formatHex(peer.toBytes());
    }

    /** Wipes the storage key and the ratchet state of every conversation this store handed out. */
    @Override
    public synchronized void close() {
        key.close();
        mailboxes.close();
        open.values().forEach(Conversation::wipe);
        open.clear();
    }
}
