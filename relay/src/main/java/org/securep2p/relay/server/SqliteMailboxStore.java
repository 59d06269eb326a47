package org.securep2p.relay.server;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import java.util.concurrent.atomic.AtomicBoolean;

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
 * {@code synchronous=FULL} (a commit is on disk before the call returns), one relay per data folder (an exclusive
 * lock on {@value #LOCK_FILE_NAME}, held while the store is open). Two connections: the writer, under a private
 * write lock, and a reader under a lock of its own, so reads ({@link #itemsAfter}, key lookups) see only committed
 * rows and never wait for a commit (WAL lets a reader run beside the writer). POSTs and DELETEs that arrive
 * together are <em>group committed</em>: each caller queues its write; one caller at a time is the committer,
 * which runs every queued write in one transaction (each in a savepoint of its own, so a refused write changes
 * nothing) with one commit and one fsync, then hands each write its outcome, which wakes that write's caller. A
 * caller returns only after the commit of its write's group, and a failed commit fails them all and stores
 * nothing; a caller whose write another committed never takes the write lock.
 * Mailbox keys never change after CREATE, so they are cached once read or committed and read without the lock.
 * The mailbox count is read from the file at open and kept beside the connection: only this object writes the
 * file, under the same lock.
 * sqlite-jdbc extracts its native library into {@code native/} of the data folder (0700), never {@code /tmp}.
 */
public final class SqliteMailboxStore implements MailboxStore {

    public static final String FILE_NAME = "relay.db";
    /** Locked exclusively while a store is open: a second relay on the same data folder is refused. */
    static final String LOCK_FILE_NAME = "relay.db.lock";
    static final String NATIVE_FOLDER = "native";
    static final String TMPDIR_PROPERTY = "org.sqlite.tmpdir";
    static final int SCHEMA_VERSION = 1;
    /** "sp2r": tells our file from any other SQLite file. */
    static final int APPLICATION_ID = 0x73703272;

    private static final Logger LOG = LoggerFactory.getLogger(SqliteMailboxStore.class);

    /** The writer: every change, under {@link #writeLock}. */
    private final Connection db;
    /** Guards the writer (and the counters beside it); private, so no caller can hold it by accident. */
    private final Object writeLock = new Object();
    /** The reader (query_only): committed rows only, under {@link #readLock}, never behind a commit. */
    private final Connection reader;
    private final Object readLock = new Object();
    private final FileChannel lockFile;
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
    /** Set while one caller drains {@link #queued} and commits that group: there is one committer at a time. */
    private final AtomicBoolean committing = new AtomicBoolean();
    /** Runs just before each group commit; tests make it block or fail. */
    private volatile BeforeCommit beforeCommit = () -> { };
    private long groupCommits;

    private SqliteMailboxStore(Connection db, Connection reader, FileChannel lockFile, int maxItems, long maxBytes,
            int maxMailboxes, long mailboxes) {
        this.db = db;
        this.reader = reader;
        this.lockFile = lockFile;
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
        FileChannel lockFile = lockDataFolder(dataDir.resolve(LOCK_FILE_NAME), file);
        SQLiteConfig sc = new SQLiteConfig();
        Connection db = null;
        Connection reader = null;
        try {
            db = sc.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = db.createStatement()) {
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
                reader = openReader(sc, file);
                return new SqliteMailboxStore(db, reader, lockFile, config.mailboxMaxItems(),
                        config.mailboxMaxBytes(), config.maxMailboxes(), count);
            }
        } catch (SQLException e) {
            closeQuietly(reader);
            closeQuietly(db);
            closeQuietly(lockFile);
            throw new IOException("The relay store " + file + " cannot be opened (" + e.getMessage()
                    + "): the file is damaged or the file system refused it.", e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(reader);
            closeQuietly(db);
            closeQuietly(lockFile);
            throw e;
        }
    }

    /**
     * Takes the data folder's store lock (0600), held until {@link #close}; refused while another relay, in this
     * JVM or another, holds it. It replaces SQLite's exclusive locking mode, which would keep out the reader.
     */
    private static FileChannel lockDataFolder(Path lock, Path file) throws IOException {
        FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            Files.setPosixFilePermissions(lock, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            FileLock l = ch.tryLock();
            if (l == null) {
                throw new IOException("The relay store " + file + " cannot be opened: another relay may be using "
                        + "this data folder.");
            }
            return ch;
        } catch (OverlappingFileLockException e) {
            closeQuietly(ch);
            throw new IOException("The relay store " + file + " cannot be opened: another relay may be using this "
                    + "data folder.", e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** The read-only second connection: it reads the last commit's rows while the writer commits the next. */
    private static Connection openReader(SQLiteConfig sc, Path file) throws SQLException {
        Connection r = sc.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
        try (Statement s = r.createStatement()) {
            s.execute("PRAGMA trusted_schema = OFF");
            s.execute("PRAGMA cell_size_check = ON");
            s.execute("PRAGMA temp_store = MEMORY");
            s.execute("PRAGMA query_only = ON");
            return r;
        } catch (SQLException | RuntimeException e) {
            closeQuietly(r);
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
    public void create(MailboxId mailbox, byte[] receiveKey, byte[] sendKey, Instant now)
            throws RelayException {
        Objects.requireNonNull(mailbox, "mailbox");
        synchronized (writeLock) {
            createIn(mailbox, receiveKey, sendKey, now);
        }
    }

    private void createIn(MailboxId mailbox, byte[] receiveKey, byte[] sendKey, Instant now) throws RelayException {
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
        synchronized (readLock) {
            if (closed) {
                throw new RelayException(INTERNAL, "The relay store is closed.");
            }
            try {
                read = keysOf(reader, mailbox);
            } catch (SQLException e) {
                throw internal("read a mailbox", e);
            }
        }
        // The reader sees only committed rows: a mailbox in a CREATE not yet committed is not cached.
        read.ifPresent(k -> keyCache.putIfAbsent(mailbox, k));
        return read;
    }

    private Optional<Keys> keysOf(MailboxId mailbox) throws SQLException {
        return keysOf(db, mailbox);
    }

    private static Optional<Keys> keysOf(Connection c, MailboxId mailbox) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT receive_key, send_key FROM mailbox WHERE id = ?")) {
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
    public List<Item> itemsAfter(MailboxId mailbox, long after, Instant now, int limit) throws RelayException {
        synchronized (readLock) {
            if (closed) {
                throw new RelayException(INTERNAL, "The relay store is closed.");
            }
            return itemsAfterIn(mailbox, after, now, limit);
        }
    }

    /** The read of {@link #itemsAfter} on the reader, which sees the last commit and never waits for the next. */
    private List<Item> itemsAfterIn(MailboxId mailbox, long after, Instant now, int limit) throws RelayException {
        try (PreparedStatement p = reader.prepareStatement("SELECT seq, posted, blob FROM item WHERE mailbox = ? "
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
     * Queues {@code w} and returns once the group that held it has committed (or failed). If no group is being
     * committed, this caller becomes the committer: it drains the queue and commits that group under the write
     * lock. Otherwise it waits on {@code w} itself, woken by the outcome the committer of its group hands it, or
     * nudged to commit the next group. Waiters never queue for the write lock only to learn that their write is
     * done (with a few hundred posters, each doing so in turn was a convoy: every answer waited for the commits of
     * later groups, and the posters held the server's threads meanwhile).
     */
    private long groupCommitted(Write w) throws RelayException {
        queued.add(w);
        while (!w.finished()) {
            if (committing.compareAndSet(false, true)) {
                try {
                    List<Write> group = new ArrayList<>();
                    for (Write next = queued.poll(); next != null; next = queued.poll()) {
                        group.add(next);
                    }
                    if (!group.isEmpty()) {
                        synchronized (writeLock) {
                            try {
                                runGroup(group);
                            } finally {
                                failUnanswered(group);
                            }
                        }
                    }
                } finally {
                    committing.set(false);
                    // Writes queued during this commit wait for a committer: the first of them becomes the next
                    // one, even if this commit ended in an exception. (One queued after this peek finds the flag
                    // free itself, as it looks after queueing.)
                    Write next = queued.peek();
                    if (next != null) {
                        next.nudge();
                    }
                }
            } else {
                w.awaitOutcomeOrNudge();
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

    /**
     * After a group that ended with an unexpected exception (a bug, not a store failure): every write left without
     * an outcome fails with INTERNAL, so no caller waits forever (runGroup rolled the transaction back).
     */
    private static void failUnanswered(List<Write> group) {
        for (Write w : group) {
            if (!w.finished()) {
                w.fail(new RelayException(INTERNAL, "The relay could not store or read; nothing was changed."));
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
    public int sweep(Instant now) throws RelayException {
        int[] n = new int[1];
        synchronized (writeLock) {
            inTransaction(() -> {
                try (PreparedStatement p = db.prepareStatement("DELETE FROM item WHERE expires <= ?")) {
                    p.setLong(1, now.toEpochMilli());
                    n[0] = p.executeUpdate();
                }
            });
        }
        return n[0];
    }

    /** The connection's value of a pragma (tests check the durability settings). */
    String setting(String pragma) throws SQLException {
        synchronized (writeLock) {
            try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("PRAGMA " + pragma)) {
                return r.next() ? r.getString(1) : "";
            }
        }
    }

    @Override
    public void close() {
        synchronized (writeLock) {
            if (!closed) {
                closed = true;
                synchronized (readLock) {
                    closeQuietly(reader);
                }
                closeQuietly(db);
                closeQuietly(lockFile);
            }
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
    long groupCommits() {
        synchronized (writeLock) {
            return groupCommits;
        }
    }

    /** How many writes wait for the next group commit. */
    int queuedWrites() {
        return queued.size();
    }

    /**
     * One POST or DELETE and its outcome: set once by the committer of the group that ran it, which wakes the
     * caller; all of it under this object's own monitor (one per write, so no waiter contends with another).
     */
    private static final class Write {
        private final WriteBody body;
        private boolean finished;
        /** Set when a committer hands the next group to this write's caller; cleared when the caller wakes. */
        private boolean nudged;
        private long result;
        private RelayException failure;

        Write(WriteBody body) {
            this.body = body;
        }

        WriteBody body() {
            return body;
        }

        synchronized boolean finished() {
            return finished;
        }

        synchronized void succeed(long r) {
            result = r;
            finished = true;
            notifyAll();
        }

        synchronized void fail(RelayException e) {
            failure = e;
            finished = true;
            notifyAll();
        }

        /** Asks this write's caller to look again whether it should commit (its write still queued). */
        synchronized void nudge() {
            nudged = true;
            notifyAll();
        }

        /**
         * Waits until the write has its outcome or is nudged. Not interruptible: the write is queued and will be
         * committed whatever happens to its caller, which must hear how (the interrupt is kept for later).
         */
        synchronized void awaitOutcomeOrNudge() {
            boolean interrupted = false;
            while (!finished && !nudged) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            nudged = false;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        synchronized long outcome() throws RelayException {
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

    private static void closeQuietly(FileChannel c) {
        try {
            c.close(); // releases the data folder's lock
        } catch (IOException e) {
            LOG.debug("closing the relay store's lock: {}", e.getMessage());
        }
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
