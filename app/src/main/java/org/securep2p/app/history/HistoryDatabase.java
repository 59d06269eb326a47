package org.securep2p.app.history;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import org.securep2p.app.history.HistoryException.Reason;
import org.securep2p.app.history.HistoryMessage.Delivery;
import org.securep2p.app.history.HistoryMessage.Direction;
import org.securep2p.app.store.AtomicFile;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

import static org.securep2p.app.history.HistoryException.Reason.CORRUPT;
import static org.securep2p.app.history.HistoryException.Reason.INVALID_ARGUMENT;
import static org.securep2p.app.history.HistoryException.Reason.STORAGE_FAILED;
import static org.securep2p.app.history.HistoryException.Reason.UNKNOWN_VERSION;

/**
 * One open {@code history.db}: the SQLite connection, the schema of PROTOCOL.md §19.6 and the row codec. Every
 * method is one transaction; a failure rolls it back, so the file holds the old state or the new one.
 *
 * <p>The only class of the package that names SQLite or {@code java.sql}: it is loaded at the first history
 * call, never at start-up. Not thread-safe: {@link SqliteHistoryStore} serialises the calls.
 */
final class HistoryDatabase implements AutoCloseable {

    /** "SP2H": tells our file from any other SQLite database. */
    static final int APPLICATION_ID = 0x53503248;
    static final int SCHEMA_VERSION = 1;

    /** The whole schema; an existing file must have exactly this one (§19.6, opening). */
    static final List<String> SCHEMA = List.of(
            "CREATE TABLE keycheck (one INTEGER PRIMARY KEY CHECK (one = 1), sealed BLOB NOT NULL)",
            "CREATE TABLE conversations (id INTEGER PRIMARY KEY, conv BLOB NOT NULL UNIQUE, peer BLOB NOT NULL,"
                    + " name BLOB, name_key BLOB UNIQUE)",
            "CREATE TABLE messages (conv_id INTEGER NOT NULL, position INTEGER NOT NULL, mid BLOB NOT NULL,"
                    + " stored INTEGER NOT NULL, direction INTEGER NOT NULL, delivery INTEGER NOT NULL,"
                    + " read INTEGER NOT NULL, body BLOB NOT NULL, failure BLOB,"
                    + " PRIMARY KEY (conv_id, position)) WITHOUT ROWID",
            "CREATE UNIQUE INDEX messages_mid ON messages (conv_id, mid)",
            "CREATE INDEX messages_stored ON messages (stored)",
            "CREATE INDEX messages_unread ON messages (conv_id) WHERE read = 0");

    /** Expiry's delete: a range of the messages_stored index, not a scan of every row (§19.6). */
    static final String EXPIRE = "DELETE FROM messages WHERE stored < ?";

    /** The chat protocol's text limit (§20.1): a longer text cannot have been sent or received. */
    static final int MAX_TEXT_BYTES = 64 * 1024;
    static final int MAX_REASON_BYTES = 1024;
    /** A page is what a screen or a JSON reply can use; the whole history is read page by page. */
    static final int MAX_PAGE = 1000;
    private static final Pattern ID = Pattern.compile("[0-9a-f]{1,64}");
    /** Times are kept as unsigned milliseconds (§19.6); a message's own time is clamped to 1970..9999. */
    static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

    /**
     * Sealed plaintexts are padded so that a sealed column's length shows only a size class (§19.6): a body
     * to the next power of two from 64 bytes up to 64 KiB, else to the largest body; a failure reason
     * likewise up to 1 KiB; a name always to the same size.
     */
    static final int MIN_BUCKET = 64;
    /** u8 id length, the id (at most 64), u64 time, u32 text length, the text. */
    static final int MAX_BODY_PLAIN = 1 + 64 + 8 + 4 + MAX_TEXT_BYTES;
    /** u16 length, the reason. */
    static final int MAX_FAILURE_PLAIN = 2 + MAX_REASON_BYTES;
    /** u8 length, the name, zeros: every sealed name is this long. */
    static final int NAME_PLAIN = 1 + ContactNames.MAX_NAME_BYTES;

    private static final int SQLITE_BUSY = 5;
    private static final int SQLITE_LOCKED = 6;
    private static final int SQLITE_CORRUPT = 11;
    private static final int SQLITE_NOTADB = 26;
    private static final int SQLITE_CONSTRAINT = 19;

    private static final int SENT = 0;
    private static final int RECEIVED = 1;

    private final Path file;
    private final Connection db;
    private final HistoryKeys keys;
    private final Retention retention;
    private final Clock clock;

    private HistoryDatabase(Path file, Connection db, HistoryKeys keys, Retention retention, Clock clock) {
        this.file = file;
        this.db = db;
        this.keys = keys;
        this.retention = retention;
        this.clock = clock;
    }

    /**
     * Opens {@code file}, or creates it when it is absent or empty, after the checks of §19.6; a refused file
     * is not written. On failure {@code keys} is left to the caller.
     */
    static HistoryDatabase open(Path file, HistoryKeys keys, Retention retention, Clock clock)
            throws HistoryException {
        boolean fresh;
        try {
            if (Files.isSymbolicLink(file)) {
                throw new HistoryException(CORRUPT, file + " is a symbolic link, not a history database");
            }
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                // Ours alone, as created: a file others can write, or that another user owns, could have
                // been replaced or be changed under us (§19.6).
                try {
                    AtomicFile.checkOwnedAndPrivate(file);
                } catch (AtomicFile.InsecureDirectoryException e) {
                    throw new HistoryException(STORAGE_FAILED, e.getMessage());
                }
            }
            fresh = !Files.exists(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) == 0;
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)
                    && Files.getFileStore(file.toAbsolutePath().getParent()).supportsFileAttributeView("posix")) {
                // 0600 from the start: SQLite would create it 0644 less the umask, and gives its WAL the
                // database file's mode.
                Files.createFile(file,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
        } catch (IOException e) {
            throw new HistoryException(STORAGE_FAILED, "cannot read " + file + ": " + e.getMessage(), e);
        }
        if (!fresh) {
            // SQLite replays a -wal or a hot -journal it finds beside a file as soon as it reads it, and a
            // read-write connection checkpoints and deletes the WAL at close: all before any check of ours
            // could refuse the file. So the header is read here first, and the checks run on a read-only
            // connection; the file is opened for writing only once it has passed them.
            checkHeader(file);
            // A hot journal beside a file that passed the header check is ours, left by a crash in the first
            // commit (later commits use the WAL): only a writer can roll it back; there is nothing in it to lose.
            // A WAL beside it (a crash, or a copy) is read through a read-only connection first: a writer would
            // checkpoint it into the file and delete it at close, even when the key check then refuses the file.
            // Read-only, SQLite needs a shared-memory index: the -shm it makes for that is deleted afterwards.
            Path shm = sibling(file, "-shm");
            if (Files.exists(sibling(file, "-wal"), LinkOption.NOFOLLOW_LINKS)
                    && !Files.exists(sibling(file, "-journal"), LinkOption.NOFOLLOW_LINKS)) {
                boolean shmBefore = Files.exists(shm, LinkOption.NOFOLLOW_LINKS);
                Connection readOnly = connect(file, true, false);
                try {
                    new HistoryDatabase(file, readOnly, keys, retention, clock).checkOrEmpty();
                } catch (SQLException e) {
                    throw failure(file, "cannot open", e);
                } finally {
                    closeQuietly(readOnly);
                    if (!shmBefore) {
                        try {
                            Files.deleteIfExists(shm);
                        } catch (IOException e) {
                            // Only an index SQLite rebuilds from the WAL; nothing of the history is in it.
                        }
                    }
                }
            }
        }
        Connection db = connect(file, false, fresh);
        try {
            HistoryDatabase h = new HistoryDatabase(file, db, keys, retention, clock);
            if (fresh || h.checkOrEmpty()) {
                h.create();
            }
            try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("PRAGMA journal_mode = WAL")) {
                if (!r.next() || !"wal".equalsIgnoreCase(r.getString(1))) {
                    throw new HistoryException(STORAGE_FAILED, file + ": the file system refused the WAL journal");
                }
            }
            db.setAutoCommit(false);
            return h;
        } catch (HistoryException e) {
            closeQuietly(db);
            throw e;
        } catch (SQLException e) {
            closeQuietly(db);
            throw failure(file, "cannot open", e);
        } catch (RuntimeException e) {
            closeQuietly(db);
            throw e;
        }
    }

    /**
     * A connection with the settings of §19.6 (none of them writes to the file). A writer sets exclusive
     * locking before the first read, so SQLite keeps the WAL index in memory and never creates a {@code -shm}
     * file; a read-only connection cannot (SQLite then fails with IOERR_LOCK) and uses a {@code -shm}.
     */
    private static Connection connect(Path file, boolean readOnly, boolean create) throws HistoryException {
        SQLiteConfig config = new SQLiteConfig();
        if (readOnly) {
            config.setReadOnly(true);
        }
        if (!create) {
            config.resetOpenMode(SQLiteOpenMode.CREATE);
        }
        Connection db;
        try {
            db = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
        } catch (SQLException e) {
            throw failure(file, "cannot open", e);
        }
        try (Statement s = db.createStatement()) {
            if (!readOnly) {
                s.execute("PRAGMA locking_mode = EXCLUSIVE");
            }
            s.execute("PRAGMA trusted_schema = OFF");
            s.execute("PRAGMA cell_size_check = ON");
            s.execute("PRAGMA secure_delete = ON");
            s.execute("PRAGMA synchronous = FULL");
            // Any temporary table or index (a sort) stays in memory, never in a file under /tmp.
            s.execute("PRAGMA temp_store = MEMORY");
            return db;
        } catch (SQLException e) {
            closeQuietly(db);
            throw failure(file, "cannot open", e);
        }
    }

    static final byte[] SQLITE_MAGIC = "SQLite format 3\u0000".getBytes(StandardCharsets.US_ASCII);
    static final int HEADER_LENGTH = 100;

    /**
     * The checks that need no SQLite, on the database header read in Java (sqlite.org/fileformat2.html: the
     * magic string, {@code user_version} at offset 60, {@code application_id} at 68). True when both numbers
     * are 0: a file that may be an empty database (what a crash during the first commit leaves) or another
     * program's; the read-only check decides. A file of another program with a log beside it is refused here,
     * since even a read-only SQLite would replay that log into what it reads (never into the file, but the
     * check is simpler this way and such a file is never ours).
     */
    private static boolean checkHeader(Path file) throws HistoryException {
        byte[] header = new byte[HEADER_LENGTH];
        int n = 0;
        try (var in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            n = in.readNBytes(header, 0, HEADER_LENGTH);
        } catch (IOException e) {
            throw new HistoryException(STORAGE_FAILED, "cannot read " + file + ": " + e.getMessage(), e);
        }
        if (n < HEADER_LENGTH || !Arrays.equals(header, 0, SQLITE_MAGIC.length, SQLITE_MAGIC, 0,
                SQLITE_MAGIC.length)) {
            throw new HistoryException(CORRUPT, file + " is not an SQLite database");
        }
        ByteBuffer b = ByteBuffer.wrap(header);
        int version = b.getInt(60);
        int applicationId = b.getInt(68);
        if (applicationId == 0 && version == 0) {
            if (hasLog(file)) {
                throw new HistoryException(CORRUPT, file + " is not a securep2p history database (application id"
                        + " 0, with another program's log beside it)");
            }
            return true;
        }
        if (applicationId != APPLICATION_ID) {
            throw new HistoryException(CORRUPT, file + " is not a securep2p history database (application id "
                    + Integer.toHexString(applicationId) + ")");
        }
        if (version != SCHEMA_VERSION) {
            throw new HistoryException(UNKNOWN_VERSION, file + " has history schema version " + version
                    + ", this build reads " + SCHEMA_VERSION);
        }
        return false;
    }

    private static boolean hasLog(Path file) {
        return Files.exists(sibling(file, "-wal"), LinkOption.NOFOLLOW_LINKS)
                || Files.exists(sibling(file, "-journal"), LinkOption.NOFOLLOW_LINKS);
    }

    private static Path sibling(Path file, String suffix) {
        return file.resolveSibling(file.getFileName() + suffix);
    }

    /** Pragmas, schema and key check in one transaction, so a crash leaves an empty file or a whole one. */
    private void create() throws SQLException {
        db.setAutoCommit(false);
        try (Statement s = db.createStatement()) {
            s.execute("PRAGMA application_id = " + APPLICATION_ID);
            s.execute("PRAGMA user_version = " + SCHEMA_VERSION);
            for (String sql : SCHEMA) {
                s.execute(sql);
            }
            try (PreparedStatement p = db.prepareStatement("INSERT INTO keycheck (one, sealed) VALUES (1, ?)")) {
                p.setBytes(1, keys.seal(HistoryKeys.KEY_CHECK, keys.keyCheckAd()));
                p.executeUpdate();
            }
            db.commit();
        } catch (SQLException | RuntimeException e) {
            db.rollback();
            throw e;
        } finally {
            db.setAutoCommit(true);
        }
    }

    /**
     * Reads only; the order of the checks is §19.6's. True when the file is an SQLite database with nothing in
     * it at all (no application id, no version, no schema): what a crash during {@link #create()}'s first
     * commit leaves once SQLite has rolled it back; it holds nothing to lose.
     */
    private boolean checkOrEmpty() throws HistoryException, SQLException {
        int applicationId;
        int version;
        try (Statement s = db.createStatement()) {
            try (ResultSet r = s.executeQuery("PRAGMA application_id")) {
                applicationId = r.next() ? r.getInt(1) : 0;
            }
            try (ResultSet r = s.executeQuery("PRAGMA user_version")) {
                version = r.next() ? r.getInt(1) : 0;
            }
        } catch (SQLException e) {
            if (primary(e) == SQLITE_NOTADB || primary(e) == SQLITE_CORRUPT) {
                throw new HistoryException(CORRUPT, file + " is not an SQLite database", e);
            }
            throw e;
        }
        if (applicationId == 0 && version == 0 && schemaOf(db).isEmpty()) {
            return true;
        }
        if (applicationId != APPLICATION_ID) {
            throw new HistoryException(CORRUPT, file + " is not a securep2p history database (application id "
                    + Integer.toHexString(applicationId) + ")");
        }
        if (version != SCHEMA_VERSION) {
            throw new HistoryException(UNKNOWN_VERSION, file + " has history schema version " + version
                    + ", this build reads " + SCHEMA_VERSION);
        }
        if (!schemaOf(db).equals(expectedSchema())) {
            throw new HistoryException(CORRUPT, file + " has tables, indexes, triggers or views that a history"
                    + " database of version " + SCHEMA_VERSION + " does not have");
        }
        List<byte[]> checks = new ArrayList<>();
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT one, sealed FROM keycheck")) {
            while (r.next()) {
                checks.add(r.getBytes(2));
            }
        }
        if (checks.size() != 1 || checks.get(0) == null) {
            throw new HistoryException(CORRUPT, file + " has no key-check row");
        }
        try {
            byte[] plain = keys.open(checks.get(0), keys.keyCheckAd());
            if (!MessageDigest.isEqual(plain, HistoryKeys.KEY_CHECK)) {
                throw new HistoryException(CORRUPT, file + " has a key-check row of another kind");
            }
        } catch (CryptoException e) {
            throw new HistoryException(CORRUPT, file + " was sealed under another key (another identity's"
                    + " history?)");
        }
        return false;
    }

    /** The schema rows of {@code c}, sorted: what an exact comparison needs. */
    private static List<String> schemaOf(Connection c) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT type, name, tbl_name, sql FROM sqlite_schema")) {
            while (r.next()) {
                rows.add(r.getString(1) + "\u0000" + r.getString(2) + "\u0000" + r.getString(3) + "\u0000"
                        + r.getString(4));
            }
        }
        Collections.sort(rows);
        return rows;
    }

    /** What SQLite itself records for {@link #SCHEMA} (auto-indexes included), built once in memory. */
    private static List<String> expectedSchema() throws SQLException {
        try {
            return ExpectedSchema.ROWS;
        } catch (LinkageError e) { // ExceptionInInitializerError, then NoClassDefFoundError
            throw new SQLException("cannot build the expected schema", e);
        }
    }

    /** Initialised once by the JVM at first use: no mutable static. */
    private static final class ExpectedSchema {
        static final List<String> ROWS = build();

        private static List<String> build() {
            try (Connection c = new SQLiteConfig().createConnection("jdbc:sqlite::memory:");
                    Statement s = c.createStatement()) {
                for (String sql : SCHEMA) {
                    s.execute(sql);
                }
                return List.copyOf(schemaOf(c));
            } catch (SQLException e) {
                throw new IllegalStateException("SQLite cannot build the history schema in memory", e);
            }
        }
    }

    // ---- operations (each one transaction) ----

    boolean append(Fingerprint peer, HistoryMessage m) throws HistoryException {
        checkId(m.id());
        byte[] text = m.text().getBytes(StandardCharsets.UTF_8);
        Optional<byte[]> reason = Optional.empty();
        try {
            if (text.length > MAX_TEXT_BYTES) {
                throw new HistoryException(INVALID_ARGUMENT, "a text is at most " + MAX_TEXT_BYTES
                        + " bytes of UTF-8");
            }
            reason = checkReason(m.delivery(), m.failureReason());
            return store(peer, m, text, reason);
        } finally {
            // Whatever happened (stored, a duplicate, refused), no copy of the text or reason outlives the call.
            Arrays.fill(text, (byte) 0);
            reason.ifPresent(b -> Arrays.fill(b, (byte) 0));
        }
    }

    private boolean store(Fingerprint peer, HistoryMessage m, byte[] text, Optional<byte[]> reason)
            throws HistoryException {
        if (retention.isOff()) {
            return true;
        }
        // The message's own time (for a received one, what the peer claims) is sealed and only shown; expiry
        // and the conversation list go by when this store stored it, from the injected clock.
        long time = clamp(m.time()).toEpochMilli();
        long stored = clamp(clock.instant()).toEpochMilli();
        return transaction(() -> {
            byte[] fp = peer.toBytes();
            byte[] conv = keys.conversation(fp);
            long convId = conversationId(conv).orElse(-1L);
            if (convId < 0) {
                convId = insertConversation(conv, fp);
            }
            byte[] mid = keys.message(conv, m.id());
            try (PreparedStatement p = db.prepareStatement("SELECT 1 FROM messages WHERE conv_id = ? AND mid = ?")) {
                p.setLong(1, convId);
                p.setBytes(2, mid);
                try (ResultSet r = p.executeQuery()) {
                    if (r.next()) {
                        return false;
                    }
                }
            }
            long position;
            try (PreparedStatement p = db.prepareStatement("SELECT max(position) FROM messages WHERE conv_id = ?")) {
                p.setLong(1, convId);
                try (ResultSet r = p.executeQuery()) {
                    position = r.next() ? r.getLong(1) + 1 : 1;
                }
            }
            byte[] id = m.id().getBytes(StandardCharsets.US_ASCII);
            int length = 1 + id.length + 8 + 4 + text.length;
            byte[] plain = ByteBuffer.allocate(bucket(length, MAX_BODY_PLAIN, MAX_TEXT_BYTES)).put((byte) id.length)
                    .put(id).putLong(time).putInt(text.length).put(text).array();
            byte[] body = keys.seal(plain, keys.bodyAd(conv, mid, position, m.direction(), stored));
            Arrays.fill(plain, (byte) 0);
            Arrays.fill(text, (byte) 0);
            try (PreparedStatement p = db.prepareStatement("INSERT INTO messages (conv_id, position, mid, stored,"
                    + " direction, delivery, read, body, failure) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                p.setLong(1, convId);
                p.setLong(2, position);
                p.setBytes(3, mid);
                p.setLong(4, stored);
                p.setInt(5, m.direction() == Direction.SENT ? SENT : RECEIVED);
                p.setInt(6, deliveryCode(m.delivery()));
                p.setInt(7, m.direction() == Direction.SENT ? 1 : 0);
                p.setBytes(8, body);
                p.setBytes(9, reason.map(r -> sealFailure(r, conv, mid)).orElse(null));
                p.executeUpdate();
            }
            return true;
        });
    }

    boolean updateDelivery(Fingerprint peer, String messageId, Delivery delivery, Optional<String> reason)
            throws HistoryException {
        checkId(messageId);
        if (delivery == Delivery.RECEIVED) {
            throw new HistoryException(INVALID_ARGUMENT, "a sent message's delivery cannot be RECEIVED");
        }
        Optional<byte[]> r = checkReason(delivery, reason);
        try {
            return storeDelivery(peer, messageId, delivery, r);
        } finally {
            r.ifPresent(b -> Arrays.fill(b, (byte) 0));
        }
    }

    private boolean storeDelivery(Fingerprint peer, String messageId, Delivery delivery, Optional<byte[]> r)
            throws HistoryException {
        if (retention.isOff()) {
            return false;
        }
        return transaction(() -> {
            byte[] conv = keys.conversation(peer.toBytes());
            Optional<Long> convId = conversationId(conv);
            if (convId.isEmpty()) {
                return false;
            }
            byte[] mid = keys.message(conv, messageId);
            try (PreparedStatement p = db.prepareStatement("UPDATE messages SET delivery = ?, failure = ?"
                    + " WHERE conv_id = ? AND mid = ? AND direction = " + SENT)) {
                p.setInt(1, deliveryCode(delivery));
                p.setBytes(2, r.map(x -> sealFailure(x, conv, mid)).orElse(null));
                p.setLong(3, convId.get());
                p.setBytes(4, mid);
                return p.executeUpdate() > 0;
            }
        });
    }

    List<HistoryMessage> page(Fingerprint peer, Optional<Long> before, int limit) throws HistoryException {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new HistoryException(INVALID_ARGUMENT, "a page is 1.." + MAX_PAGE + " messages, not " + limit);
        }
        return transaction(() -> {
            byte[] conv = keys.conversation(peer.toBytes());
            Optional<Long> convId = conversationId(conv);
            if (convId.isEmpty()) {
                return List.of();
            }
            List<HistoryMessage> out = new ArrayList<>(limit);
            try (PreparedStatement p = db.prepareStatement("SELECT position, mid, stored, direction, delivery, read,"
                    + " body, failure FROM messages WHERE conv_id = ? AND position < ? ORDER BY position DESC"
                    + " LIMIT ?")) {
                p.setLong(1, convId.get());
                p.setLong(2, before.orElse(Long.MAX_VALUE));
                p.setInt(3, limit);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(row(conv, r));
                    }
                }
            }
            Collections.reverse(out);
            return out;
        });
    }

    /** One stored message, opened; any row that does not open or does not parse is CORRUPT. */
    private HistoryMessage row(byte[] conv, ResultSet r) throws SQLException, HistoryException {
        long position = r.getLong(1);
        byte[] mid = r.getBytes(2);
        long stored = r.getLong(3);
        int dir = r.getInt(4);
        Delivery delivery = delivery(r.getInt(5));
        boolean read = r.getInt(6) != 0;
        byte[] body = r.getBytes(7);
        byte[] failure = r.getBytes(8);
        checkHash(conv);
        checkHash(mid);
        checkPadded(body, MAX_BODY_PLAIN, MAX_TEXT_BYTES);
        if (failure != null) {
            checkPadded(failure, MAX_FAILURE_PLAIN, MAX_REASON_BYTES);
        }
        if (position < 1 || stored < 0 || stored > LATEST.toEpochMilli()
                || (dir != SENT && dir != RECEIVED)
                || (dir == RECEIVED) != (delivery == Delivery.RECEIVED)) {
            throw corruptRow();
        }
        Direction direction = dir == SENT ? Direction.SENT : Direction.RECEIVED;
        byte[] plain = openOrCorrupt(body, keys.bodyAd(conv, mid, position, direction, stored));
        try {
            ByteBuffer b = ByteBuffer.wrap(plain);
            int idLength = b.get() & 0xFF;
            if (idLength < 1 || idLength > 64 || b.remaining() < idLength + 8 + 4) {
                throw corruptRow();
            }
            String id = new String(plain, 1, idLength, StandardCharsets.US_ASCII);
            b.position(1 + idLength);
            long time = b.getLong();
            int textLength = b.getInt();
            if (!ID.matcher(id).matches() || time < 0 || time > LATEST.toEpochMilli() || textLength < 0
                    || textLength > b.remaining() || !zeros(plain, b.position() + textLength)) {
                throw corruptRow();
            }
            String text = utf8(plain, b.position(), textLength);
            Optional<String> reason = failure == null ? Optional.empty()
                    : Optional.of(openFailure(failure, conv, mid));
            return new HistoryMessage(position, id, Instant.ofEpochMilli(time), direction, text, delivery, reason,
                    read);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    private byte[] sealFailure(byte[] reason, byte[] conv, byte[] mid) {
        byte[] plain = ByteBuffer.allocate(bucket(2 + reason.length, MAX_FAILURE_PLAIN, MAX_REASON_BYTES))
                .putShort((short) reason.length).put(reason).array();
        try {
            return keys.seal(plain, keys.failureAd(conv, mid));
        } finally {
            Arrays.fill(plain, (byte) 0);
            Arrays.fill(reason, (byte) 0);
        }
    }

    private String openFailure(byte[] sealed, byte[] conv, byte[] mid) throws HistoryException {
        byte[] f = openOrCorrupt(sealed, keys.failureAd(conv, mid));
        try {
            int length = ((f[0] & 0xFF) << 8) | (f[1] & 0xFF);
            if (length > MAX_REASON_BYTES || length > f.length - 2 || !zeros(f, 2 + length)) {
                throw corruptRow();
            }
            return utf8(f, 2, length);
        } finally {
            Arrays.fill(f, (byte) 0);
        }
    }

    /**
     * The padded size of a plaintext of {@code length} bytes: the next power of two from {@link #MIN_BUCKET}
     * while that is at most {@code lastPowerOfTwo}, else {@code max}.
     */
    static int bucket(int length, int max, int lastPowerOfTwo) {
        int size = MIN_BUCKET;
        while (size < length && size <= lastPowerOfTwo) {
            size <<= 1;
        }
        return size > lastPowerOfTwo ? max : size;
    }

    /** A sealed padded value must have one of the bucket sizes: checked before anything is decrypted. */
    private void checkPadded(byte[] sealed, int max, int lastPowerOfTwo) throws HistoryException {
        if (sealed == null || sealed.length < HistoryKeys.SEAL_OVERHEAD) {
            throw corruptRow();
        }
        int plain = sealed.length - HistoryKeys.SEAL_OVERHEAD;
        if (plain < MIN_BUCKET || bucket(plain, max, lastPowerOfTwo) != plain) {
            throw corruptRow();
        }
    }

    /** True when every byte of {@code b} from {@code from} on is zero: the padding, strictly. */
    private static boolean zeros(byte[] b, int from) {
        int acc = 0;
        for (int i = from; i < b.length; i++) {
            acc |= b[i];
        }
        return acc == 0;
    }

    private static Instant clamp(Instant t) {
        return t.isBefore(Instant.EPOCH) ? Instant.EPOCH : t.isAfter(LATEST) ? LATEST : t;
    }

    List<HistoryStore.ConversationSummary> conversations() throws HistoryException {
        return transaction(() -> {
            List<HistoryStore.ConversationSummary> out = new ArrayList<>();
            try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT c.conv, c.peer, c.name,"
                    + " (SELECT count(*) FROM messages m WHERE m.conv_id = c.id AND m.read = 0),"
                    + " (SELECT stored FROM messages m WHERE m.conv_id = c.id ORDER BY position DESC LIMIT 1),"
                    + " (SELECT count(*) FROM messages m WHERE m.conv_id = c.id)"
                    + " FROM conversations c")) {
                while (r.next()) {
                    byte[] conv = r.getBytes(1);
                    byte[] name = r.getBytes(3);
                    long messages = r.getLong(6);
                    if (messages == 0 && name == null) {
                        continue;
                    }
                    Fingerprint peer = peerOf(conv, r.getBytes(2));
                    Optional<String> n = Optional.empty();
                    if (name != null) {
                        n = Optional.of(openName(conv, name));
                    }
                    long last = r.getLong(5);
                    Optional<Instant> lastTime = r.wasNull() ? Optional.empty()
                            : Optional.of(Instant.ofEpochMilli(last));
                    out.add(new HistoryStore.ConversationSummary(peer, n, r.getInt(4), lastTime, messages));
                }
            }
            // Most recent first; conversations with a name but no message after them, by name.
            out.sort(Comparator.comparing((HistoryStore.ConversationSummary c) -> c.lastTime().orElse(Instant.MIN))
                    .reversed().thenComparing(c -> c.name().orElse("")));
            return out;
        });
    }

    void markRead(Fingerprint peer) throws HistoryException {
        transaction(() -> {
            Optional<Long> convId = conversationId(keys.conversation(peer.toBytes()));
            if (convId.isPresent()) {
                try (PreparedStatement p = db.prepareStatement(
                        "UPDATE messages SET read = 1 WHERE conv_id = ? AND read = 0")) {
                    p.setLong(1, convId.get());
                    p.executeUpdate();
                }
            }
            return null;
        });
    }

    int clear(Fingerprint peer) throws HistoryException {
        int n = transaction(() -> {
            Optional<Long> convId = conversationId(keys.conversation(peer.toBytes()));
            if (convId.isEmpty()) {
                return 0;
            }
            int deleted;
            try (PreparedStatement p = db.prepareStatement("DELETE FROM messages WHERE conv_id = ?")) {
                p.setLong(1, convId.get());
                deleted = p.executeUpdate();
            }
            try (PreparedStatement p = db.prepareStatement("DELETE FROM conversations WHERE id = ? AND name IS NULL")) {
                p.setLong(1, convId.get());
                p.executeUpdate();
            }
            return deleted;
        });
        truncateLog();
        return n;
    }

    int expire(Instant now) throws HistoryException {
        Optional<Instant> cutoff = retention.cutoff(now);
        if (cutoff.isEmpty()) {
            return 0;
        }
        int n = transaction(() -> {
            int deleted;
            try (PreparedStatement p = db.prepareStatement(EXPIRE)) {
                p.setLong(1, cutoff.get().toEpochMilli());
                deleted = p.executeUpdate();
            }
            try (Statement s = db.createStatement()) {
                s.executeUpdate("DELETE FROM conversations WHERE name IS NULL AND NOT EXISTS"
                        + " (SELECT 1 FROM messages m WHERE m.conv_id = conversations.id)");
            }
            return deleted;
        });
        if (n > 0) {
            truncateLog();
        }
        return n;
    }

    Optional<String> contactName(Fingerprint peer) throws HistoryException {
        return transaction(() -> {
            byte[] conv = keys.conversation(peer.toBytes());
            try (PreparedStatement p = db.prepareStatement("SELECT name FROM conversations WHERE conv = ?")) {
                p.setBytes(1, conv);
                try (ResultSet r = p.executeQuery()) {
                    if (!r.next() || r.getBytes(1) == null) {
                        return Optional.<String>empty();
                    }
                    return Optional.of(openName(conv, r.getBytes(1)));
                }
            }
        });
    }

    void setContactName(Fingerprint peer, String name) throws HistoryException {
        String stripped = name == null ? "" : name.strip();
        Optional<String> problem = ContactNames.problem(stripped);
        if (problem.isPresent()) {
            throw new HistoryException(INVALID_ARGUMENT, problem.get());
        }
        byte[] nameKey = keys.name(ContactNames.normalise(stripped));
        transaction(() -> {
            byte[] fp = peer.toBytes();
            byte[] conv = keys.conversation(fp);
            try (PreparedStatement p = db.prepareStatement("SELECT conv FROM conversations WHERE name_key = ?")) {
                p.setBytes(1, nameKey);
                try (ResultSet r = p.executeQuery()) {
                    if (r.next() && !MessageDigest.isEqual(r.getBytes(1), conv)) {
                        throw new HistoryException(Reason.NAME_TAKEN, "another contact already has this name");
                    }
                }
            }
            long convId = conversationId(conv).orElse(-1L);
            if (convId < 0) {
                convId = insertConversation(conv, fp);
            }
            byte[] utf8 = stripped.getBytes(StandardCharsets.UTF_8);
            byte[] plainName = ByteBuffer.allocate(NAME_PLAIN).put((byte) utf8.length).put(utf8).array();
            byte[] sealedName = keys.seal(plainName, keys.nameAd(conv));
            Arrays.fill(plainName, (byte) 0);
            Arrays.fill(utf8, (byte) 0);
            try (PreparedStatement p = db.prepareStatement(
                    "UPDATE conversations SET name = ?, name_key = ? WHERE id = ?")) {
                p.setBytes(1, sealedName);
                p.setBytes(2, nameKey);
                p.setLong(3, convId);
                p.executeUpdate();
            }
            return null;
        });
    }

    Optional<Fingerprint> contactNamed(String name) throws HistoryException {
        String stripped = name == null ? "" : name.strip();
        if (ContactNames.problem(stripped).isPresent()) {
            return Optional.empty();
        }
        byte[] nameKey = keys.name(ContactNames.normalise(stripped));
        return transaction(() -> {
            try (PreparedStatement p = db.prepareStatement(
                    "SELECT conv, peer, name FROM conversations WHERE name_key = ?")) {
                p.setBytes(1, nameKey);
                try (ResultSet r = p.executeQuery()) {
                    if (!r.next()) {
                        return Optional.<Fingerprint>empty();
                    }
                    // name_key is a cleartext column: the row is this name's only if its sealed name says so,
                    // else a swapped name_key would send "alice" to Bob.
                    byte[] conv = r.getBytes(1);
                    String stored = openName(conv, r.getBytes(3));
                    if (!MessageDigest.isEqual(keys.name(ContactNames.normalise(stored)), nameKey)) {
                        throw corruptRow();
                    }
                    return Optional.of(peerOf(conv, r.getBytes(2)));
                }
            }
        });
    }

    @Override
    public void close() {
        try {
            truncateLog();
        } catch (HistoryException ignored) {
            // Closing anyway: SQLite checkpoints the log itself when the last connection closes.
        }
        closeQuietly(db);
    }

    /** The connection's value of one of the pragmas set at open (§19.6), as SQLite reports it. */
    String setting(String pragma) throws HistoryException {
        if (!pragma.matches("[a-z_]{1,32}")) {
            throw new IllegalArgumentException("not a pragma name");
        }
        return transaction(() -> {
            try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("PRAGMA " + pragma)) {
                return r.next() ? r.getString(1) : "";
            }
        });
    }

    // ---- helpers ----

    private Optional<Long> conversationId(byte[] conv) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT id FROM conversations WHERE conv = ?")) {
            p.setBytes(1, conv);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(r.getLong(1)) : Optional.empty();
            }
        }
    }

    /**
     * A new conversation row under a random id, so the ids do not show in which order contacts were first
     * seen (an increasing id would).
     */
    private long insertConversation(byte[] conv, byte[] fingerprint) throws SQLException {
        long id;
        do {
            id = keys.randomRowId();
        } while (conversationExists(id));
        try (PreparedStatement p = db.prepareStatement("INSERT INTO conversations (id, conv, peer) VALUES (?, ?, ?)")) {
            p.setLong(1, id);
            p.setBytes(2, conv);
            p.setBytes(3, keys.seal(fingerprint, keys.peerAd(conv)));
            p.executeUpdate();
        }
        return id;
    }

    private boolean conversationExists(long id) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT 1 FROM conversations WHERE id = ?")) {
            p.setLong(1, id);
            try (ResultSet r = p.executeQuery()) {
                return r.next();
            }
        }
    }

    private Fingerprint peerOf(byte[] conv, byte[] sealedPeer) throws HistoryException {
        checkHash(conv);
        checkSealed(sealedPeer, HistoryKeys.HASH_LENGTH, HistoryKeys.HASH_LENGTH);
        byte[] fp = openOrCorrupt(sealedPeer, keys.peerAd(conv));
        if (fp.length != HistoryKeys.HASH_LENGTH || !keys.isConversationOf(conv, fp)) {
            throw corruptRow();
        }
        try {
            return Fingerprint.fromBytes(fp);
        } catch (CryptoException e) {
            throw corruptRow();
        }
    }

    /** A contact's sealed name, opened and checked against the name rule. */
    private String openName(byte[] conv, byte[] sealedName) throws HistoryException {
        checkHash(conv);
        checkSealed(sealedName, NAME_PLAIN, NAME_PLAIN);
        byte[] plain = openOrCorrupt(sealedName, keys.nameAd(conv));
        try {
            int length = plain[0] & 0xFF;
            if (length > ContactNames.MAX_NAME_BYTES || !zeros(plain, 1 + length)) {
                throw corruptRow();
            }
            String name = utf8(plain, 1, length);
            if (ContactNames.problem(name).isPresent()) {
                throw corruptRow();
            }
            return name;
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** A keyed-hash column (conv, mid) is 32 bytes: the associated data rely on it, having no length prefix. */
    private void checkHash(byte[] hash) throws HistoryException {
        if (hash == null || hash.length != HistoryKeys.HASH_LENGTH) {
            throw corruptRow();
        }
    }

    /** A sealed column's size is checked before anything is decrypted: a crafted file cannot make us work. */
    private void checkSealed(byte[] sealed, int minPlain, int maxPlain) throws HistoryException {
        if (sealed == null || sealed.length < HistoryKeys.SEAL_OVERHEAD + minPlain
                || sealed.length > HistoryKeys.SEAL_OVERHEAD + maxPlain) {
            throw corruptRow();
        }
    }

    private byte[] openOrCorrupt(byte[] sealed, byte[] ad) throws HistoryException {
        try {
            return keys.open(sealed, ad);
        } catch (CryptoException e) {
            throw corruptRow();
        }
    }

    private HistoryException corruptRow() {
        return new HistoryException(CORRUPT, file + ": a row of conversation history fails authentication"
                + " (altered, moved between conversations or swapped)");
    }

    private String utf8(byte[] b, int offset, int length) throws HistoryException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, offset, length))
                    .toString();
        } catch (CharacterCodingException e) {
            throw corruptRow();
        }
    }

    private static void checkId(String id) throws HistoryException {
        if (id == null || !ID.matcher(id).matches()) {
            throw new HistoryException(INVALID_ARGUMENT, "a message id is 1 to 64 lower-case hex digits");
        }
    }

    private static Optional<byte[]> checkReason(Delivery delivery, Optional<String> reason) throws HistoryException {
        if (reason.isPresent() && delivery != Delivery.FAILED) {
            throw new HistoryException(INVALID_ARGUMENT, "a failure reason goes only with delivery FAILED");
        }
        if (reason.isEmpty()) {
            return Optional.empty();
        }
        byte[] b = reason.get().getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_REASON_BYTES) {
            throw new HistoryException(INVALID_ARGUMENT, "a failure reason is at most " + MAX_REASON_BYTES
                    + " bytes of UTF-8");
        }
        return Optional.of(b);
    }

    private static int deliveryCode(Delivery d) {
        // Exhaustive: a new Delivery value fails to compile here instead of being stored as another one.
        return switch (d) {
            case SENDING -> 0;
            case DELIVERED -> 1;
            case FAILED -> 2;
            case RECEIVED -> 3;
        };
    }

    private Delivery delivery(int code) throws HistoryException {
        return switch (code) {
            case 0 -> Delivery.SENDING;
            case 1 -> Delivery.DELIVERED;
            case 2 -> Delivery.FAILED;
            case 3 -> Delivery.RECEIVED;
            default -> throw new HistoryException(CORRUPT, file + ": a message has an unknown delivery state " + code);
        };
    }

    /** Copies the log into the database and empties it, so deleted ciphertext does not stay in old frames. */
    private void truncateLog() throws HistoryException {
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
            // One row: busy (1 when the checkpoint could not finish), frames in the log, frames checkpointed.
            if (!r.next() || r.getInt(1) != 0) {
                throw new HistoryException(STORAGE_FAILED, file + ": the write-ahead log could not be emptied;"
                        + " the change is committed, but deleted rows may stay in old log frames until the next"
                        + " checkpoint");
            }
        } catch (SQLException e) {
            throw failure(file, "cannot checkpoint", e);
        }
    }

    private interface Work<T> {
        T run() throws SQLException, HistoryException;
    }

    /** Runs {@code work} and commits, or rolls everything back and throws. */
    private <T> T transaction(Work<T> work) throws HistoryException {
        try {
            T result = work.run();
            db.commit();
            return result;
        } catch (HistoryException | RuntimeException e) {
            rollbackQuietly();
            throw e;
        } catch (SQLException e) {
            rollbackQuietly();
            throw failure(file, "cannot update", e);
        }
    }

    private void rollbackQuietly() {
        try {
            db.rollback();
        } catch (SQLException ignored) {
            // The connection is gone; SQLite rolls back an unfinished transaction itself at the next open.
        }
    }

    private static int primary(SQLException e) {
        return e.getErrorCode() & 0xFF;
    }

    /** SQLite's code as one of ours; the message is SQLite's, which names no row content. */
    private static HistoryException failure(Path file, String what, SQLException e) {
        int code = primary(e);
        if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
            return new HistoryException(CORRUPT, file + " is damaged or not an SQLite database", e);
        }
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
            return new HistoryException(STORAGE_FAILED, file + " is in use by another securep2p process", e);
        }
        if (code == SQLITE_CONSTRAINT) {
            return new HistoryException(CORRUPT, file + " holds rows that break its own constraints", e);
        }
        return new HistoryException(STORAGE_FAILED, what + " " + file + ": " + e.getMessage(), e);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // Nothing left to do with a connection that cannot even close.
        }
    }
}
