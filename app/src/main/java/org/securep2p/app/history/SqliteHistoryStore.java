package org.securep2p.app.history;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.securep2p.app.store.AtomicFile;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;

import static org.securep2p.app.history.HistoryException.Reason.STORAGE_FAILED;

/**
 * The {@link HistoryStore} in an SQLite file, {@code history.db} in the home (PROTOCOL.md §19.6).
 *
 * <p>Guarantees: those of {@link HistoryStore}; SQLite (its classes, its native library, the file) is first
 * touched by the first call after {@link #open}, on the calling thread, so start-up pays nothing for history.
 * A file that is refused at that call (corrupt, foreign, another key, a newer version) is left exactly as it
 * was, and the same refusal comes again at every later call. The native library is extracted into a private
 * folder, never into the shared {@code java.io.tmpdir}. {@link #close()} wipes every key.
 *
 * <p>The first call after {@link #open} also expires what the retention no longer allows at the clock's now;
 * the app may call {@link #expireNow()} again (daily).
 *
 * <p>Not its job: choosing the file or fetching the key (the app's wiring).
 */
public final class SqliteHistoryStore implements HistoryStore {

    /** The database's name in the home (README, files in the home). */
    public static final String FILE_NAME = "history.db";
    /** The key manager's storage-key purpose whose key {@link #open} takes (§16.4, §19.6). */
    public static final String KEY_PURPOSE = "history";

    /** The folder beside the database where sqlite-jdbc extracts its native library (§19.6). */
    static final String NATIVE_FOLDER = "native";
    static final String TMPDIR_PROPERTY = "org.sqlite.tmpdir";

    /** The store's lifecycle: one state, replaced under the store's lock. */
    private sealed interface State permits NotOpened, Open, Closed { }

    /** Nothing of SQLite touched yet; the sub-keys are already derived (the caller's key may be closed now). */
    private record NotOpened(HistoryKeys keys) implements State { }

    private record Open(HistoryDatabase db, HistoryKeys keys) implements State { }

    private record Closed() implements State { }

    private final Path file;
    private final Retention retention;
    private final Clock clock;
    private State state;

    private SqliteHistoryStore(Path file, HistoryKeys keys, Retention retention, Clock clock) {
        this.file = file;
        this.retention = retention;
        this.clock = clock;
        this.state = new NotOpened(keys);
    }

    /**
     * A store for {@code file} (the home's {@link #FILE_NAME}) under {@code historyKey} (the 32-byte storage key
     * of purpose {@link #KEY_PURPOSE}, {@code KeyManagerClient.storageKey(KEY_PURPOSE)};
     * copied, the caller still owns and closes it). Nothing is read or written here: the file is opened,
     * checked or created at the first call. {@code random} makes the AEAD nonces and the conversation row ids;
     * {@code clock} stamps when each message is stored (what expiry and the conversation list go by) and is
     * the "now" of {@link #expireNow()}.
     */
    public static SqliteHistoryStore open(Path file, SecretBytes historyKey, Retention retention,
            SecureRandom random, Clock clock) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(retention, "retention");
        Objects.requireNonNull(clock, "clock");
        return new SqliteHistoryStore(file, HistoryKeys.derive(historyKey, random, HistoryDatabase.SCHEMA_VERSION),
                retention, clock);
    }

    /** The retention this store applies. */
    public Retention retention() {
        return retention;
    }

    @Override
    public boolean keepsMessages() {
        return !retention.isOff();
    }

    /** Deletes what the retention no longer allows at the store's clock's now; returns how many. */
    public int expireNow() throws HistoryException {
        return expire(clock.instant());
    }

    /** True once a call has opened the file (it passed every check of §19.6). */
    synchronized boolean isOpen() {
        return state instanceof Open;
    }

    /** A pragma's value on the open connection (tests check the durability and deletion settings). */
    synchronized String setting(String pragma) throws HistoryException {
        return db().setting(pragma);
    }

    /** The open database, opening it at the first call. */
    private HistoryDatabase db() throws HistoryException {
        State s = state;
        if (s instanceof Open open) {
            return open.db();
        }
        if (s instanceof Closed) {
            // A typed refusal, like every other failure of a history call: the caller handles one exception.
            throw new HistoryException(STORAGE_FAILED, "the history store is closed");
        }
        HistoryKeys keys = ((NotOpened) s).keys();
        useNativeFolderBeside(file);
        HistoryDatabase db = HistoryDatabase.open(file, keys, retention, clock);
        state = new Open(db, keys);
        // What the retention no longer allows goes at once, not only when the app remembers to expire: a
        // history kept N days must not show older messages because the app was not running at midnight.
        db.expire(clock.instant());
        return db;
    }

    /**
     * Points sqlite-jdbc's extraction at {@code native/} beside the database (0700, ours), unless whoever
     * started the JVM chose a folder already. Must run before SQLite's loader: it reads the property once.
     */
    static void useNativeFolderBeside(Path file) throws HistoryException {
        if (System.getProperty(TMPDIR_PROPERTY) != null) {
            return;
        }
        Path folder = file.toAbsolutePath().getParent().resolve(NATIVE_FOLDER);
        try {
            // The home's own rule (0700, ours, no group or other write), shared rather than copied.
            AtomicFile.ensurePrivateDirectory(folder);
            removeLeftovers(folder);
        } catch (AtomicFile.InsecureDirectoryException e) {
            throw new HistoryException(STORAGE_FAILED, e.getMessage() + "; the SQLite native library is not"
                    + " loaded from there");
        } catch (IOException e) {
            throw new HistoryException(STORAGE_FAILED, "cannot prepare " + folder + ": " + e.getMessage(), e);
        }
        System.setProperty(TMPDIR_PROPERTY, folder.toString());
    }

    /**
     * Deletes the copies of the native library that killed processes left (sqlite-jdbc deletes its own copy at a
     * normal exit only, and keeps any copy whose lock file is there, which a SIGKILL leaves too). One process
     * uses a home at a time, so none of them is in use; a library already mapped stays valid anyway.
     */
    private static void removeLeftovers(Path folder) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, "sqlite-*")) {
            for (Path p : entries) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public synchronized boolean append(Fingerprint peer, HistoryMessage message) throws HistoryException {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(message, "message");
        return db().append(peer, message);
    }

    @Override
    public synchronized boolean updateDelivery(Fingerprint peer, String messageId, HistoryMessage.Delivery delivery,
            Optional<String> reason) throws HistoryException {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(delivery, "delivery");
        Objects.requireNonNull(reason, "reason");
        return db().updateDelivery(peer, messageId, delivery, reason);
    }

    @Override
    public synchronized List<HistoryMessage> page(Fingerprint peer, Optional<Long> before, int limit)
            throws HistoryException {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(before, "before");
        return db().page(peer, before, limit);
    }

    @Override
    public synchronized List<ConversationSummary> conversations() throws HistoryException {
        return db().conversations();
    }

    @Override
    public synchronized void markRead(Fingerprint peer) throws HistoryException {
        Objects.requireNonNull(peer, "peer");
        db().markRead(peer);
    }

    @Override
    public synchronized int clear(Fingerprint peer) throws HistoryException {
        Objects.requireNonNull(peer, "peer");
        return db().clear(peer);
    }

    @Override
    public synchronized int expire(Instant now) throws HistoryException {
        Objects.requireNonNull(now, "now");
        return db().expire(now);
    }

    @Override
    public synchronized Optional<String> contactName(Fingerprint peer) throws HistoryException {
        Objects.requireNonNull(peer, "peer");
        return db().contactName(peer);
    }

    @Override
    public synchronized void setContactName(Fingerprint peer, String name) throws HistoryException {
        Objects.requireNonNull(peer, "peer");
        db().setContactName(peer, name);
    }

    @Override
    public synchronized Optional<Fingerprint> contactNamed(String name) throws HistoryException {
        return db().contactNamed(name);
    }

    @Override
    public synchronized void close() {
        State s = state;
        state = new Closed();
        if (s instanceof Open open) {
            open.db().close();
            open.keys().close();
        } else if (s instanceof NotOpened notOpened) {
            notOpened.keys().close();
        }
    }

    @Override
    public String toString() {
        return "SqliteHistoryStore[" + file.getFileName() + ", " + retention + "]";
    }
}
