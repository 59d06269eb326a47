package org.securep2p.relay.server;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.securep2p.relay.MemberDirectory;
import org.securep2p.relay.RelayException;

import static org.securep2p.relay.RelayException.Reason.INTERNAL;

/**
 * The {@link DirectoryStore} on PostgreSQL, shared by every instance of one relay (PROTOCOL.md §23.3, §23.5): tables
 * {@code directory}, {@code instances} and {@code presence} of migration V2. Each call is one transaction on the
 * shared pool. Names sort by code point ({@code COLLATE "C"}), whatever the database's collation, then by
 * fingerprint byte by byte, as in SQLite. Instances whose heartbeat is older than {@link #FORGET_AFTER} (killed,
 * never stopped cleanly) are removed, with their presence, by the next heartbeat of any instance.
 */
final class PostgresDirectoryStore implements DirectoryStore {

    /** A member counts as online on an instance whose heartbeat is at most this old (§23.5). */
    static final Duration ONLINE_WITHIN = Duration.ofSeconds(15);
    /** Rows of an instance silent this long are garbage: instance ids are random at each start. */
    static final Duration FORGET_AFTER = Duration.ofHours(1);

    private final PostgresDatabase db;
    private volatile boolean closed;

    PostgresDirectoryStore(PostgresDatabase db) {
        this.db = db;
    }

    @Override
    public void publish(AuthenticatedMember member, byte[] bundle, Instant now) throws RelayException {
        run("publish", c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO directory (fingerprint, name, serial, "
                    + "certificate, bundle, published) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE "
                    + "SET name = EXCLUDED.name, serial = EXCLUDED.serial, certificate = EXCLUDED.certificate, "
                    + "bundle = EXCLUDED.bundle, published = EXCLUDED.published")) {
                p.setBytes(1, member.fingerprint());
                p.setString(2, member.name());
                p.setBigDecimal(3, new BigDecimal(member.serial()));
                p.setBytes(4, member.certificate());
                p.setBytes(5, bundle);
                p.setLong(6, now.toEpochMilli());
                return p.executeUpdate();
            }
        });
    }

    @Override
    public void unpublish(byte[] fingerprint) throws RelayException {
        run("unpublish", c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM directory WHERE fingerprint = ?")) {
                p.setBytes(1, fingerprint);
                return p.executeUpdate();
            }
        });
    }

    @Override
    public List<Stored> entries() throws RelayException {
        List<Stored> out = new ArrayList<>();
        run("list the directory", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT name, fingerprint, serial, certificate, bundle, "
                    + "published FROM directory ORDER BY name COLLATE \"C\", fingerprint");
                    ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(stored(r));
                }
            }
            return out.size();
        });
        return out;
    }

    @Override
    public Optional<Stored> entry(byte[] fingerprint) throws RelayException {
        List<Stored> out = new ArrayList<>(1);
        run("look up the directory", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT name, fingerprint, serial, certificate, bundle, "
                    + "published FROM directory WHERE fingerprint = ?")) {
                p.setBytes(1, fingerprint);
                try (ResultSet r = p.executeQuery()) {
                    if (r.next()) {
                        out.add(stored(r));
                    }
                }
            }
            return out.size();
        });
        return out.stream().findFirst();
    }

    private static Stored stored(ResultSet r) throws SQLException {
        BigInteger serial = r.getBigDecimal(3).toBigIntegerExact();
        return new Stored(r.getString(1), r.getBytes(2), serial,
                new MemberDirectory.Entry(r.getBytes(4), r.getBytes(5), Instant.ofEpochMilli(r.getLong(6))));
    }

    @Override
    public void presence(String instance, byte[] fingerprint, int connections) throws RelayException {
        if (connections < 0) {
            throw new IllegalArgumentException("connections >= 0");
        }
        run("record presence", c -> {
            if (connections == 0) {
                try (PreparedStatement p = c.prepareStatement(
                        "DELETE FROM presence WHERE instance = ? AND fingerprint = ?")) {
                    p.setString(1, instance);
                    p.setBytes(2, fingerprint);
                    return p.executeUpdate();
                }
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO presence (instance, fingerprint, connections) "
                    + "VALUES (?, ?, ?) ON CONFLICT (instance, fingerprint) DO UPDATE "
                    + "SET connections = EXCLUDED.connections")) {
                p.setString(1, instance);
                p.setBytes(2, fingerprint);
                p.setInt(3, connections);
                return p.executeUpdate();
            }
        });
    }

    @Override
    public void heartbeat(String instance, Instant now) throws RelayException {
        run("beat", c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO instances (id, heartbeat) VALUES (?, ?) "
                    + "ON CONFLICT (id) DO UPDATE SET heartbeat = EXCLUDED.heartbeat")) {
                p.setString(1, instance);
                p.setLong(2, now.toEpochMilli());
                p.executeUpdate();
            }
            try (PreparedStatement p = c.prepareStatement("DELETE FROM instances WHERE heartbeat < ?")) {
                p.setLong(1, now.minus(FORGET_AFTER).toEpochMilli());
                return p.executeUpdate();
            }
        });
    }

    @Override
    public void forget(String instance) throws RelayException {
        run("forget an instance", c -> {
            // Presence rows go with their instance (ON DELETE CASCADE).
            try (PreparedStatement p = c.prepareStatement("DELETE FROM instances WHERE id = ?")) {
                p.setString(1, instance);
                return p.executeUpdate();
            }
        });
    }

    @Override
    public Set<String> online(Instant now) throws RelayException {
        Set<String> out = new HashSet<>();
        run("read presence", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT DISTINCT p.fingerprint FROM presence p "
                    + "JOIN instances i ON i.id = p.instance WHERE i.heartbeat >= ? AND p.connections > 0")) {
                p.setLong(1, now.minus(ONLINE_WITHIN).toEpochMilli());
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(HexFormat.of().formatHex(r.getBytes(1)));
                    }
                }
            }
            return out.size();
        });
        return out;
    }

    private long run(String what, PostgresMailboxStore.Work work) throws RelayException {
        if (closed) {
            throw new RelayException(INTERNAL, "The relay store is closed.");
        }
        return PostgresMailboxStore.transaction(db, what, work);
    }

    /** Leaves the shared database open: the relay closes it after its stores. */
    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "PostgresDirectoryStore[" + db.location() + "]";
    }
}
