package org.securep2p.relay.server;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

import static org.securep2p.relay.RelayException.Reason.INTERNAL;
import static org.securep2p.relay.RelayException.Reason.MAILBOX_EXISTS;
import static org.securep2p.relay.RelayException.Reason.QUOTA_EXCEEDED;
import static org.securep2p.relay.RelayException.Reason.UNKNOWN_MAILBOX;

/**
 * The {@link MailboxStore} in one SQLite file, {@value #FILE_NAME} in the relay's data folder: WAL journal,
 * {@code synchronous=FULL} (a commit is on disk before the call returns), exclusive locking (one relay per data
 * folder). One connection, under this object's lock. POSTs and DELETEs that arrive together are <em>group
 * committed</em>: each caller queues its write, and whichever caller next holds the lock runs every queued write in
 * one transaction (each in a savepoint of its own, so a refused write changes nothing) with one commit and one
 * fsync; each caller returns only after that commit, and a failed commit fails them all and stores nothing.
 * Mailbox keys never change after CREATE, so they are cached once read or committed and read without the lock.
 * The mailbox count is read from the file at open and kept beside the connection: only this object writes the
 * file, under the same lock.
 * sqlite-jdbc extracts its native library into {@code native/} of the data folder (0700), never {@code /tmp}.
 */
public final class SqliteMailboxStore implements MailboxStore {

    public static final String FILE_NAME = "relay.db";
    static final String NATIVE_FOLDER = "native";
    static final String TMPDIR_PROPERTY = "org.sqlite.tmpdir";
    static final int SCHEMA_VERSION = 1;
    /** "sp2r": tells our file from any other SQLite file. */
    static final int APPLICATION_ID = 0x73703272;

    private static final Logger LOG = LoggerFactory.getLogger(SqliteMailboxStore.class);

    private final Connection db;
    private final int maxItems;
    private final long maxBytes;
    private final int maxMailboxes;
    private long mailboxes;
    /** Volatile: keys() reads it without the lock (a closed store refuses every call, cached keys too). */
    private volatile boolean closed;
    /** Keys of mailboxes known to exist: a mailbox is never removed and its keys never change (§22.3). */
    private final Map<MailboxId, Keys> keyCache = new ConcurrentHashMap<>();
    /** POSTs and DELETEs waiting for the next group commit. */
    private final Queue<Write> queued = new ConcurrentLinkedQueue<>();
    /** Runs just before each group commit; tests make it block or fail. */
    private volatile BeforeCommit beforeCommit = () -> { };
    private long groupCommits;

    private SqliteMailboxStore(Connection db, int maxItems, long maxBytes, int maxMailboxes, long mailboxes) {
        this.db = db;
        this.maxItems = maxItems;
        this.maxBytes = maxBytes;
        this.maxMailboxes = maxMailboxes;
        this.mailboxes = mailboxes;
    }

    /** Opens (or creates) {@code <dataDir>/relay.db} with the quotas of {@code config}. */
    public static SqliteMailboxStore open(RelayConfig config) throws IOException {
        Path dataDir = config.dataDir();
        RelayIdentity.ensurePrivateDirectory(dataDir);
        useNativeFolderIn(dataDir);
        Path file = dataDir.resolve(FILE_NAME);
        SQLiteConfig sc = new SQLiteConfig();
        Connection db = null;
        try {
            db = sc.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA locking_mode = EXCLUSIVE");
                s.execute("PRAGMA trusted_schema = OFF");
                s.execute("PRAGMA cell_size_check = ON");
                s.execute("PRAGMA synchronous = FULL");
                s.execute("PRAGMA temp_store = MEMORY");
                try (ResultSet r = s.executeQuery("PRAGMA journal_mode = WAL")) {
                    if (!r.next() || !"wal".equalsIgnoreCase(r.getString(1))) {
                        throw new IOException("The relay store " + file + ": the file system refused the WAL journal.");
                    }
                }
                int appId;
                int version;
                try (ResultSet r = s.executeQuery("PRAGMA application_id")) {
                    appId = r.next() ? r.getInt(1) : 0;
                }
                try (ResultSet r = s.executeQuery("PRAGMA user_version")) {
                    version = r.next() ? r.getInt(1) : 0;
                }
                if (appId == 0 && version == 0) {
                    createSchema(db);
                } else if (appId != APPLICATION_ID) {
                    throw new IOException("The relay store " + file + " is another program's SQLite file.");
                } else if (version != SCHEMA_VERSION) {
                    throw new IOException("The relay store " + file + " has schema version " + version
                            + "; this relay reads version " + SCHEMA_VERSION + ".");
                }
                long count;
                try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM mailbox")) {
                    count = r.next() ? r.getLong(1) : 0;
                }
                Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
                return new SqliteMailboxStore(db, config.mailboxMaxItems(), config.mailboxMaxBytes(),
                        config.maxMailboxes(), count);
            }
        } catch (SQLException e) {
            closeQuietly(db);
            throw new IOException("The relay store " + file + " cannot be opened (" + e.getMessage()
                    + "): another relay may be using this data folder, or the file is damaged.", e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(db);
            throw e;
        }
    }

    private static void createSchema(Connection db) throws SQLException {
        db.setAutoCommit(false);
        try (Statement s = db.createStatement()) {
            s.execute("CREATE TABLE mailbox (id BLOB PRIMARY KEY NOT NULL, receive_key BLOB NOT NULL, "
                    + "send_key BLOB NOT NULL, next_seq INTEGER NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID");
            s.execute("CREATE TABLE item (mailbox BLOB NOT NULL, seq INTEGER NOT NULL, posted INTEGER NOT NULL, "
                    + "expires INTEGER NOT NULL, size INTEGER NOT NULL, blob BLOB NOT NULL, "
                    + "PRIMARY KEY (mailbox, seq))");
            s.execute("CREATE INDEX item_expires ON item (expires)");
            // Covers the quota check of every POST (count and bytes of unexpired items) without reading a row.
            s.execute("CREATE INDEX item_quota ON item (mailbox, expires, size)");
            s.execute("PRAGMA application_id = " + APPLICATION_ID);
            s.execute("PRAGMA user_version = " + SCHEMA_VERSION);
            db.commit();
        } catch (SQLException e) {
            db.rollback();
            throw e;
        } finally {
            db.setAutoCommit(true);
        }
    }

    /**
     * Points sqlite-jdbc's extraction at {@code native/} in the data folder (0700), unless whoever started the JVM
     * chose a folder already; sqlite-jdbc reads the property once, at its first load.
     */
    static void useNativeFolderIn(Path dataDir) throws IOException {
        if (System.getProperty(TMPDIR_PROPERTY) != null) {
            return;
        }
        Path folder = dataDir.toAbsolutePath().resolve(NATIVE_FOLDER);
        RelayIdentity.ensurePrivateDirectory(folder);
        // Copies left by killed processes (sqlite-jdbc removes its own at a normal exit only); one relay uses a
        // data folder at a time, and a library already mapped stays valid anyway.
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, "sqlite-*")) {
            for (Path p : entries) {
                Files.deleteIfExists(p);
            }
        }
        System.setProperty(TMPDIR_PROPERTY, folder.toString());
    }

    @Override
    public synchronized void create(MailboxId mailbox, byte[] receiveKey, byte[] sendKey, Instant now)
            throws RelayException {
        Objects.requireNonNull(mailbox, "mailbox");
        boolean[] inserted = new boolean[1];
        inTransaction(() -> {
            Optional<Keys> existing = keysOf(mailbox);
            if (existing.isPresent()) {
                Keys k = existing.get();
                if (java.security.MessageDigest.isEqual(k.receiveKey(), receiveKey)
                        && java.security.MessageDigest.isEqual(k.sendKey(), sendKey)) {
                    return;
                }
                throw new RelayException(MAILBOX_EXISTS, "That mailbox exists with other keys.");
            }
            if (mailboxes >= maxMailboxes) {
                throw new RelayException(QUOTA_EXCEEDED, "The relay holds its maximum of mailboxes.");
            }
            try (PreparedStatement p = db.prepareStatement(
                    "INSERT INTO mailbox (id, receive_key, send_key, next_seq, created) VALUES (?, ?, ?, 1, ?)")) {
                p.setBytes(1, mailbox.bytes());
                p.setBytes(2, receiveKey.clone());
                p.setBytes(3, sendKey.clone());
                p.setLong(4, now.toEpochMilli());
                p.executeUpdate();
            }
            inserted[0] = true;
        });
        // Counted only once the transaction committed: a failed commit leaves the count as the file has it.
        if (inserted[0]) {
            mailboxes++;
        }
        keyCache.putIfAbsent(mailbox, new Keys(receiveKey, sendKey));
    }

    @Override
    public Optional<Keys> keys(MailboxId mailbox) throws RelayException {
        if (closed) {
            throw new RelayException(INTERNAL, "The relay store is closed.");
        }
        Keys cached = keyCache.get(mailbox);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<Keys> read;
        synchronized (this) {
            if (closed) {
                throw new RelayException(INTERNAL, "The relay store is closed.");
            }
            try {
                read = keysOf(mailbox);
            } catch (SQLException e) {
                throw internal("read a mailbox", e);
            }
        }
        // Only committed rows are read here (no transaction is open outside a call holding the lock).
        read.ifPresent(k -> keyCache.putIfAbsent(mailbox, k));
        return read;
    }

    private Optional<Keys> keysOf(MailboxId mailbox) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT receive_key, send_key FROM mailbox WHERE id = ?")) {
            p.setBytes(1, mailbox.bytes());
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(new Keys(r.getBytes(1), r.getBytes(2))) : Optional.empty();
            }
        }
    }

    @Override
    public long post(MailboxId mailbox, byte[] blob, Instant now, Instant expires) throws RelayException {
        Objects.requireNonNull(mailbox, "mailbox");
        return groupCommitted(new Write(() -> postIn(mailbox, blob, now, expires)));
    }

    /** The body of a POST, in the group's open transaction; returns the new item's sequence. */
    private long postIn(MailboxId mailbox, byte[] blob, Instant now, Instant expires)
            throws SQLException, RelayException {
        long next;
        try (PreparedStatement p = db.prepareStatement("SELECT next_seq FROM mailbox WHERE id = ?")) {
            p.setBytes(1, mailbox.bytes());
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    throw new RelayException(UNKNOWN_MAILBOX, "No such mailbox.");
                }
                next = r.getLong(1);
            }
        }
        try (PreparedStatement p = db.prepareStatement(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM item WHERE mailbox = ? AND expires > ?")) {
            p.setBytes(1, mailbox.bytes());
            p.setLong(2, now.toEpochMilli());
            try (ResultSet r = p.executeQuery()) {
                r.next();
                if (r.getLong(1) + 1 > maxItems || r.getLong(2) + blob.length > maxBytes) {
                    throw new RelayException(QUOTA_EXCEEDED, "The mailbox is full.");
                }
            }
        }
        try (PreparedStatement p = db.prepareStatement(
                "INSERT INTO item (mailbox, seq, posted, expires, size, blob) VALUES (?, ?, ?, ?, ?, ?)")) {
            p.setBytes(1, mailbox.bytes());
            p.setLong(2, next);
            p.setLong(3, now.toEpochMilli());
            p.setLong(4, expires.toEpochMilli());
            p.setLong(5, blob.length);
            p.setBytes(6, blob);
            p.executeUpdate();
        }
        try (PreparedStatement p = db.prepareStatement("UPDATE mailbox SET next_seq = ? WHERE id = ?")) {
            p.setLong(1, next + 1);
            p.setBytes(2, mailbox.bytes());
            p.executeUpdate();
        }
        return next;
    }

    @Override
    public synchronized List<Item> itemsAfter(MailboxId mailbox, long after, Instant now, int limit)
            throws RelayException {
        try (PreparedStatement p = db.prepareStatement("SELECT seq, posted, blob FROM item WHERE mailbox = ? "
                + "AND seq > ? AND expires > ? ORDER BY seq LIMIT ?")) {
            p.setBytes(1, mailbox.bytes());
            p.setLong(2, after);
            p.setLong(3, now.toEpochMilli());
            p.setInt(4, limit);
            List<Item> items = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    items.add(new Item(r.getLong(1), r.getLong(2), r.getBytes(3)));
                }
            }
            return items;
        } catch (SQLException e) {
            throw internal("read items", e);
        }
    }

    @Override
    public int delete(MailboxId mailbox, long upTo) throws RelayException {
        Objects.requireNonNull(mailbox, "mailbox");
        return (int) groupCommitted(new Write(() -> {
            if (keysOf(mailbox).isEmpty()) {
                throw new RelayException(UNKNOWN_MAILBOX, "No such mailbox.");
            }
            try (PreparedStatement p = db.prepareStatement("DELETE FROM item WHERE mailbox = ? AND seq <= ?")) {
                p.setBytes(1, mailbox.bytes());
                p.setLong(2, upTo);
                return p.executeUpdate();
            }
        }));
    }

    /**
     * Queues {@code w}, then waits for this object's lock: whoever holds it next runs every queued write, ours
     * included unless an earlier holder already did. Returns once the group that held {@code w} has committed.
     */
    private long groupCommitted(Write w) throws RelayException {
        queued.add(w);
        synchronized (this) {
            if (!w.finished()) {
                List<Write> group = new ArrayList<>();
                for (Write next = queued.poll(); next != null; next = queued.poll()) {
                    group.add(next);
                }
                runGroup(group);
            }
        }
        return w.outcome();
    }

    /**
     * One transaction for {@code group}: each write in a savepoint (a refusal rolls back that write only), one
     * commit, then each write's outcome. A store failure (SQLException) or a failed commit rolls the whole
     * transaction back and fails every write of the group with INTERNAL: nothing of it is stored.
     */
    private void runGroup(List<Write> group) {
        if (closed) {
            RelayException e = new RelayException(INTERNAL, "The relay store is closed.");
            group.forEach(w -> w.fail(e));
            return;
        }
        long[] results = new long[group.size()];
        RelayException[] refusals = new RelayException[group.size()];
        boolean committed = false;
        try {
            db.setAutoCommit(false);
            for (int i = 0; i < group.size(); i++) {
                Savepoint sp = db.setSavepoint();
                try {
                    results[i] = group.get(i).body().run();
                    db.releaseSavepoint(sp);
                } catch (RelayException e) {
                    db.rollback(sp);
                    db.releaseSavepoint(sp);
                    refusals[i] = e;
                }
            }
            beforeCommit.run();
            db.commit();
            committed = true;
            groupCommits++;
        } catch (SQLException e) {
            RelayException failure = internal("write", e);
            group.forEach(w -> w.fail(failure));
        } finally {
            if (!committed) {
                rollbackQuietly();
            }
            try {
                db.setAutoCommit(true);
            } catch (SQLException e) {
                LOG.warn("The relay store could not leave a transaction: {}", e.getMessage());
            }
        }
        if (committed) {
            for (int i = 0; i < group.size(); i++) {
                if (refusals[i] != null) {
                    group.get(i).fail(refusals[i]);
                } else {
                    group.get(i).succeed(results[i]);
                }
            }
        }
    }

    private void rollbackQuietly() {
        try {
            db.rollback();
        } catch (SQLException e) {
            LOG.warn("The relay store could not roll back: {}", e.getMessage());
        }
    }

    @Override
    public synchronized int sweep(Instant now) throws RelayException {
        int[] n = new int[1];
        inTransaction(() -> {
            try (PreparedStatement p = db.prepareStatement("DELETE FROM item WHERE expires <= ?")) {
                p.setLong(1, now.toEpochMilli());
                n[0] = p.executeUpdate();
            }
        });
        return n[0];
    }

    /** The connection's value of a pragma (tests check the durability settings). */
    synchronized String setting(String pragma) throws SQLException {
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("PRAGMA " + pragma)) {
            return r.next() ? r.getString(1) : "";
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            closeQuietly(db);
        }
    }

    private interface Work {
        void run() throws SQLException, RelayException;
    }

    /** The body of a queued write, run inside its group's transaction. */
    private interface WriteBody {
        long run() throws SQLException, RelayException;
    }

    /** Test hook run before each group commit. */
    interface BeforeCommit {
        void run() throws SQLException;
    }

    void beforeCommit(BeforeCommit hook) {
        beforeCommit = hook;
    }

    /** How many group commits succeeded (tests count fsyncs with it). */
    synchronized long groupCommits() {
        return groupCommits;
    }

    /** How many writes wait for the next group commit. */
    int queuedWrites() {
        return queued.size();
    }

    /**
     * One POST or DELETE and its outcome: set once, under the store's lock, by the group that ran it; read by its
     * caller after it has held the same lock (so no further publication is needed).
     */
    private static final class Write {
        private final WriteBody body;
        private boolean finished;
        private long result;
        private RelayException failure;

        Write(WriteBody body) {
            this.body = body;
        }

        WriteBody body() {
            return body;
        }

        boolean finished() {
            return finished;
        }

        void succeed(long r) {
            result = r;
            finished = true;
        }

        void fail(RelayException e) {
            failure = e;
            finished = true;
        }

        long outcome() throws RelayException {
            if (!finished) {
                throw new IllegalStateException("a write's outcome read before its group ran");
            }
            if (failure != null) {
                // A fresh exception per caller: one thrown object must not be shared between threads' stacks.
                throw new RelayException(failure.reason(), failure.getMessage(), failure);
            }
            return result;
        }
    }

    /** Runs {@code work} in one immediate transaction: committed if it returns, rolled back if it throws. */
    private void inTransaction(Work work) throws RelayException {
        if (closed) {
            throw new RelayException(INTERNAL, "The relay store is closed.");
        }
        boolean committed = false;
        try {
            db.setAutoCommit(false);
            work.run();
            db.commit();
            committed = true;
        } catch (SQLException e) {
            throw internal("write", e);
        } finally {
            if (!committed) {
                try {
                    db.rollback();
                } catch (SQLException e) {
                    LOG.warn("The relay store could not roll back: {}", e.getMessage());
                }
            }
            try {
                db.setAutoCommit(true);
            } catch (SQLException e) {
                LOG.warn("The relay store could not leave a transaction: {}", e.getMessage());
            }
        }
    }

    private static RelayException internal(String what, SQLException e) {
        // The message names the operation only: SQLite's text could quote a statement, never an id (all bound).
        LOG.warn("The relay store could not {}: {}", what, e.getMessage());
        return new RelayException(INTERNAL, "The relay could not store or read; nothing was changed.", e);
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                LOG.debug("closing the relay store: {}", e.getMessage());
            }
        }
    }
}
