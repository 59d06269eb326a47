package org.securep2p.relay.server;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import org.securep2p.relay.MemberDirectory;
import org.securep2p.relay.RelayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

import static org.securep2p.relay.RelayException.Reason.INTERNAL;

/**
 * The {@link DirectoryStore} of a single-instance organisation relay: {@value #FILE_NAME} beside the mailboxes'
 * {@code relay.db} in the data folder (a file of its own, because the mailbox store holds its file under an exclusive
 * lock). Same durability as {@link SqliteMailboxStore}: WAL journal, {@code synchronous=FULL}, exclusive locking,
 * each write one transaction committed before the call returns, a failed one rolled back (INTERNAL, nothing
 * changed). One connection, under this object's lock. Tables are created at the first open.
 */
final class SqliteDirectoryStore implements DirectoryStore {

    static final String FILE_NAME = "directory.db";
    static final int SCHEMA_VERSION = 1;
    /** "sp2d": tells our file from any other SQLite file, the mailbox store's included. */
    static final int APPLICATION_ID = 0x73703264;
    /** How old an instance's heartbeat may be for its presence rows to count (§23.5). */
    static final long PRESENCE_LAPSE_MILLIS = 15_000;

    private static final Logger LOG = LoggerFactory.getLogger(SqliteDirectoryStore.class);

    private final Connection db;
    private boolean closed;

    private SqliteDirectoryStore(Connection db) {
        this.db = db;
    }

    /** Opens (or creates) {@code <dataDir>/directory.db}. */
    static SqliteDirectoryStore open(Path dataDir) throws IOException {
        RelayIdentity.ensurePrivateDirectory(dataDir);
        SqliteMailboxStore.useNativeFolderIn(dataDir);
        Path file = dataDir.resolve(FILE_NAME);
        Connection db = null;
        try {
            db = new SQLiteConfig().createConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA locking_mode = EXCLUSIVE");
                s.execute("PRAGMA trusted_schema = OFF");
                s.execute("PRAGMA cell_size_check = ON");
                s.execute("PRAGMA synchronous = FULL");
                try (ResultSet r = s.executeQuery("PRAGMA journal_mode = WAL")) {
                    if (!r.next() || !"wal".equalsIgnoreCase(r.getString(1))) {
                        throw new IOException("The directory store " + file
                                + ": the file system refused the WAL journal.");
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
                    throw new IOException("The directory store " + file + " is another program's SQLite file.");
                } else if (version != SCHEMA_VERSION) {
                    throw new IOException("The directory store " + file + " has schema version " + version
                            + "; this relay reads version " + SCHEMA_VERSION + ".");
                }
            }
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            return new SqliteDirectoryStore(db);
        } catch (SQLException e) {
            closeQuietly(db);
            throw new IOException("The directory store " + file + " cannot be opened (" + e.getMessage()
                    + "): another relay may be using this data folder, or the file is damaged.", e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(db);
            throw e;
        }
    }

    private static void createSchema(Connection db) throws SQLException {
        db.setAutoCommit(false);
        try (Statement s = db.createStatement()) {
            s.execute("CREATE TABLE entry (fingerprint BLOB PRIMARY KEY NOT NULL, name TEXT NOT NULL, "
                    + "serial BLOB NOT NULL, certificate BLOB NOT NULL, bundle BLOB NOT NULL, "
                    + "published INTEGER NOT NULL) WITHOUT ROWID");
            s.execute("CREATE TABLE instances (id TEXT PRIMARY KEY NOT NULL, heartbeat INTEGER NOT NULL) "
                    + "WITHOUT ROWID");
            s.execute("CREATE TABLE presence (instance TEXT NOT NULL, fingerprint BLOB NOT NULL, "
                    + "connections INTEGER NOT NULL CHECK (connections > 0), PRIMARY KEY (instance, fingerprint)) "
                    + "WITHOUT ROWID");
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

    @Override
    public synchronized void publish(AuthenticatedMember member, byte[] bundle, Instant now) throws RelayException {
        Objects.requireNonNull(member, "member");
        byte[] copy = bundle.clone();
        inTransaction(() -> {
            try (PreparedStatement p = db.prepareStatement("INSERT INTO entry (fingerprint, name, serial, "
                    + "certificate, bundle, published) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE "
                    + "SET name = excluded.name, serial = excluded.serial, certificate = excluded.certificate, "
                    + "bundle = excluded.bundle, published = excluded.published")) {
                p.setBytes(1, member.fingerprint());
                p.setString(2, member.name());
                p.setBytes(3, member.serial().toByteArray());
                p.setBytes(4, member.certificate());
                p.setBytes(5, copy);
                p.setLong(6, now.toEpochMilli());
                p.executeUpdate();
            }
        });
    }

    @Override
    public synchronized void unpublish(byte[] fingerprint) throws RelayException {
        byte[] fp = fingerprint.clone();
        inTransaction(() -> {
            try (PreparedStatement p = db.prepareStatement("DELETE FROM entry WHERE fingerprint = ?")) {
                p.setBytes(1, fp);
                p.executeUpdate();
            }
        });
    }

    @Override
    public synchronized List<Stored> entries() throws RelayException {
        // SQLite orders TEXT by its bytes (BINARY collation), which for UTF-8 is code point order.
        return read("list the directory", "SELECT name, fingerprint, serial, certificate, bundle, published "
                + "FROM entry ORDER BY name, fingerprint", null);
    }

    @Override
    public synchronized Optional<Stored> entry(byte[] fingerprint) throws RelayException {
        List<Stored> one = read("read an entry", "SELECT name, fingerprint, serial, certificate, bundle, published "
                + "FROM entry WHERE fingerprint = ?", fingerprint.clone());
        return one.stream().findFirst();
    }

    private List<Stored> read(String what, String sql, byte[] fingerprint) throws RelayException {
        checkOpen();
        try (PreparedStatement p = db.prepareStatement(sql)) {
            if (fingerprint != null) {
                p.setBytes(1, fingerprint);
            }
            List<Stored> out = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(new Stored(r.getString(1), r.getBytes(2), new BigInteger(r.getBytes(3)),
                            new MemberDirectory.Entry(r.getBytes(4), r.getBytes(5),
                                    Instant.ofEpochMilli(r.getLong(6)))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw internal(what, e);
        }
    }

    @Override
    public synchronized void presence(String instance, byte[] fingerprint, int connections) throws RelayException {
        if (connections < 0) {
            throw new IllegalArgumentException("a connection count is not negative");
        }
        byte[] fp = fingerprint.clone();
        inTransaction(() -> {
            if (connections == 0) {
                try (PreparedStatement p = db.prepareStatement(
                        "DELETE FROM presence WHERE instance = ? AND fingerprint = ?")) {
                    p.setString(1, instance);
                    p.setBytes(2, fp);
                    p.executeUpdate();
                }
                return;
            }
            try (PreparedStatement p = db.prepareStatement("INSERT INTO presence (instance, fingerprint, "
                    + "connections) VALUES (?, ?, ?) ON CONFLICT (instance, fingerprint) DO UPDATE SET "
                    + "connections = excluded.connections")) {
                p.setString(1, instance);
                p.setBytes(2, fp);
                p.setInt(3, connections);
                p.executeUpdate();
            }
        });
    }

    @Override
    public synchronized void heartbeat(String instance, Instant now) throws RelayException {
        inTransaction(() -> {
            try (PreparedStatement p = db.prepareStatement("INSERT INTO instances (id, heartbeat) VALUES (?, ?) "
                    + "ON CONFLICT (id) DO UPDATE SET heartbeat = excluded.heartbeat")) {
                p.setString(1, instance);
                p.setLong(2, now.toEpochMilli());
                p.executeUpdate();
            }
        });
    }

    @Override
    public synchronized void forget(String instance) throws RelayException {
        inTransaction(() -> {
            try (PreparedStatement p = db.prepareStatement("DELETE FROM presence WHERE instance = ?")) {
                p.setString(1, instance);
                p.executeUpdate();
            }
            try (PreparedStatement p = db.prepareStatement("DELETE FROM instances WHERE id = ?")) {
                p.setString(1, instance);
                p.executeUpdate();
            }
        });
    }

    @Override
    public synchronized Set<String> online(Instant now) throws RelayException {
        checkOpen();
        try (PreparedStatement p = db.prepareStatement("SELECT DISTINCT p.fingerprint FROM presence p JOIN "
                + "instances i ON i.id = p.instance WHERE i.heartbeat >= ? AND p.connections > 0")) {
            p.setLong(1, now.toEpochMilli() - PRESENCE_LAPSE_MILLIS);
            Set<String> out = new HashSet<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(HexFormat.of().formatHex(r.getBytes(1)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw internal("read presence", e);
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
        void run() throws SQLException;
    }

    private void checkOpen() throws RelayException {
        if (closed) {
            throw new RelayException(INTERNAL, "The directory store is closed.");
        }
    }

    /** Runs {@code work} in one transaction, committed (and on disk) before it returns, rolled back if it fails. */
    private void inTransaction(Work work) throws RelayException {
        checkOpen();
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
                    LOG.warn("The directory store could not roll back: {}", e.getMessage());
                }
            }
            try {
                db.setAutoCommit(true);
            } catch (SQLException e) {
                LOG.warn("The directory store could not leave a transaction: {}", e.getMessage());
            }
        }
    }

    /** The connection's value of a pragma (tests check the durability settings). */
    synchronized String setting(String pragma) throws SQLException {
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("PRAGMA " + pragma)) {
            return r.next() ? r.getString(1) : "";
        }
    }

    private static RelayException internal(String what, SQLException e) {
        // Every value is bound, so SQLite's text never quotes a fingerprint or a bundle.
        LOG.warn("The directory store could not {}: {}", what, e.getMessage());
        return new RelayException(INTERNAL, "The relay could not store or read; nothing was changed.", e);
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                LOG.debug("closing the directory store: {}", e.getMessage());
            }
        }
    }

    @Override
    public String toString() {
        return "SqliteDirectoryStore[" + (closed ? "closed" : "open") + "]";
    }
}
