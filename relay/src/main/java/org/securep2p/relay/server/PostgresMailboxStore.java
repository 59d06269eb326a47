package org.securep2p.relay.server;

import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.securep2p.relay.RelayException.Reason.INTERNAL;
import static org.securep2p.relay.RelayException.Reason.MAILBOX_EXISTS;
import static org.securep2p.relay.RelayException.Reason.QUOTA_EXCEEDED;
import static org.securep2p.relay.RelayException.Reason.UNKNOWN_MAILBOX;

/**
 * The {@link MailboxStore} on PostgreSQL, shared by every instance of one relay (PROTOCOL.md §23.5). Each call is
 * one transaction on a pooled connection committing synchronously. A POST takes its sequence from the mailbox's
 * counter row ({@code UPDATE … RETURNING}), which locks that row until the commit: the POSTs of one mailbox are
 * serialised across instances, so the quota check that follows sees every committed item, and a sequence is never
 * reused (a refused or failed POST rolls the counter back with everything else). The same transaction sends
 * {@code NOTIFY securep2p_relay 'm <mailbox hex> <sequence>'} ({@link PostgresRelayBus}), delivered only if it
 * commits. The mailbox cap is a counter row too. Mailbox keys never change after CREATE, so they are cached.
 */
final class PostgresMailboxStore implements MailboxStore {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresMailboxStore.class);

    private final PostgresDatabase db;
    private final boolean ownsDatabase;
    private final int maxItems;
    private final long maxBytes;
    private final int maxMailboxes;
    private final Map<MailboxId, Keys> keyCache = new ConcurrentHashMap<>();
    private volatile boolean closed;

    PostgresMailboxStore(PostgresDatabase db, boolean ownsDatabase, int maxItems, long maxBytes, int maxMailboxes) {
        this.db = db;
        this.ownsDatabase = ownsDatabase;
        this.maxItems = maxItems;
        this.maxBytes = maxBytes;
        this.maxMailboxes = maxMailboxes;
    }

    /** A store with the quotas of {@code config}; closing it leaves {@code db} open unless it owns it. */
    static PostgresMailboxStore of(PostgresDatabase db, boolean ownsDatabase, RelayConfig config) {
        return new PostgresMailboxStore(db, ownsDatabase, config.mailboxMaxItems(), config.mailboxMaxBytes(),
                config.maxMailboxes());
    }

    @Override
    public void create(MailboxId mailbox, byte[] receiveKey, byte[] sendKey, Instant now) throws RelayException {
        Objects.requireNonNull(mailbox, "mailbox");
        inTransaction("create a mailbox", c -> {
            int inserted;
            try (PreparedStatement p = c.prepareStatement("INSERT INTO mailbox (id, receive_key, send_key, "
                    + "next_seq, created) VALUES (?, ?, ?, 1, ?) ON CONFLICT (id) DO NOTHING")) {
                p.setBytes(1, mailbox.bytes());
                p.setBytes(2, receiveKey);
                p.setBytes(3, sendKey);
                p.setLong(4, now.toEpochMilli());
                inserted = p.executeUpdate();
            }
            if (inserted == 0) {
                Keys k = keysOf(c, mailbox).orElseThrow(() -> new SQLException("a conflicting mailbox vanished"));
                if (MessageDigest.isEqual(k.receiveKey(), receiveKey) && MessageDigest.isEqual(k.sendKey(), sendKey)) {
                    return 0L;
                }
                throw new RelayException(MAILBOX_EXISTS, "That mailbox exists with other keys.");
            }
            try (PreparedStatement p = c.prepareStatement("UPDATE mailbox_count SET n = n + 1 WHERE n < ?")) {
                p.setLong(1, maxMailboxes);
                if (p.executeUpdate() == 0) {
                    throw new RelayException(QUOTA_EXCEEDED, "The relay holds its maximum of mailboxes.");
                }
            }
            return 0L;
        });
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
        try (Connection c = db.pool().getConnection()) {
            read = keysOf(c, mailbox);
        } catch (SQLException e) {
            throw internal("read a mailbox", e);
        }
        read.ifPresent(k -> keyCache.putIfAbsent(mailbox, k));
        return read;
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
        return inTransaction("post", c -> {
            long seq;
            // Takes the sequence and locks the mailbox's row until the commit (see the class comment).
            try (PreparedStatement p = c.prepareStatement(
                    "UPDATE mailbox SET next_seq = next_seq + 1 WHERE id = ? RETURNING next_seq - 1")) {
                p.setBytes(1, mailbox.bytes());
                try (ResultSet r = p.executeQuery()) {
                    if (!r.next()) {
                        throw new RelayException(UNKNOWN_MAILBOX, "No such mailbox.");
                    }
                    seq = r.getLong(1);
                }
            }
            try (PreparedStatement p = c.prepareStatement(
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
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT INTO item (mailbox, seq, posted, expires, size, blob) VALUES (?, ?, ?, ?, ?, ?)")) {
                p.setBytes(1, mailbox.bytes());
                p.setLong(2, seq);
                p.setLong(3, now.toEpochMilli());
                p.setLong(4, expires.toEpochMilli());
                p.setInt(5, blob.length);
                p.setBytes(6, blob);
                p.executeUpdate();
            }
            // Delivered to every instance's listener only if this transaction commits (§23.5).
            PostgresRelayBus.notify(c, "m " + HexFormat.of().formatHex(mailbox.bytes()) + " " + seq);
            return seq;
        });
    }

    @Override
    public List<Item> itemsAfter(MailboxId mailbox, long after, Instant now, int limit) throws RelayException {
        if (closed) {
            throw new RelayException(INTERNAL, "The relay store is closed.");
        }
        try (Connection c = db.pool().getConnection(); PreparedStatement p = c.prepareStatement(
                "SELECT seq, posted, blob FROM item WHERE mailbox = ? AND seq > ? AND expires > ? ORDER BY seq "
                        + "LIMIT ?")) {
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
        return (int) inTransaction("delete", c -> {
            if (keysOf(c, mailbox).isEmpty()) {
                throw new RelayException(UNKNOWN_MAILBOX, "No such mailbox.");
            }
            try (PreparedStatement p = c.prepareStatement("DELETE FROM item WHERE mailbox = ? AND seq <= ?")) {
                p.setBytes(1, mailbox.bytes());
                p.setLong(2, upTo);
                return p.executeUpdate();
            }
        });
    }

    @Override
    public int sweep(Instant now) throws RelayException {
        return (int) inTransaction("sweep", c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM item WHERE expires <= ?")) {
                p.setLong(1, now.toEpochMilli());
                return p.executeUpdate();
            }
        });
    }

    @Override
    public void close() {
        closed = true;
        if (ownsDatabase) {
            db.close();
        }
    }

    /** One transaction's body. */
    interface Work {
        long run(Connection c) throws SQLException, RelayException;
    }

    /** Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. */
    private long inTransaction(String what, Work work) throws RelayException {
        if (closed) {
            throw new RelayException(INTERNAL, "The relay store is closed.");
        }
        return transaction(db, what, work);
    }

    /** Runs {@code work} in one transaction on a pooled connection of {@code db} (shared with the directory). */
    static long transaction(PostgresDatabase db, String what, Work work) throws RelayException {
        try (Connection c = db.pool().getConnection()) {
            c.setAutoCommit(false);
            boolean committed = false;
            try {
                long result = work.run(c);
                c.commit();
                committed = true;
                return result;
            } finally {
                if (!committed) {
                    rollbackQuietly(c);
                }
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw internal(what, e);
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            LOG.warn("The relay store could not roll back (SQL state {})", e.getSQLState());
        }
    }

    static RelayException internal(String what, SQLException e) {
        // The SQL state only: PostgreSQL's messages may quote a key's value (a mailbox id) in their detail.
        LOG.warn("The relay store could not {} (SQL state {})", what, e.getSQLState());
        return new RelayException(INTERNAL, "The relay could not store or read; nothing was changed.", e);
    }

    @Override
    public String toString() {
        return "PostgresMailboxStore[" + db.location() + "]";
    }
}
