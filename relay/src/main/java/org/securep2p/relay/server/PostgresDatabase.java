package org.securep2p.relay.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Properties;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * One relay instance's way into the shared PostgreSQL database (PROTOCOL.md §23.5): a HikariCP pool whose every
 * connection commits synchronously ({@code synchronous_commit = on}, whatever the server's default), after Flyway
 * has migrated the schema to this relay's version ({@code db/migration/relay}). Also opens the bus's dedicated
 * listening connection, outside the pool. Not its job: what is stored (the stores) or when to listen (the bus).
 */
final class PostgresDatabase implements AutoCloseable {

    /** Where the relay's migrations live on the class path. */
    static final String MIGRATIONS = "classpath:db/migration/relay";
    /** Connections per instance: Jetty's threads wait briefly for one rather than swamping the server. */
    static final int POOL_SIZE = 16;
    /** How long a start or a request waits for a connection before it fails. */
    static final long CONNECT_TIMEOUT_MILLIS = 10_000;
    static final String APPLICATION_NAME = "securep2p-relay";

    private final PostgresLocation location;
    private final HikariDataSource pool;

    private PostgresDatabase(PostgresLocation location, HikariDataSource pool) {
        this.location = location;
        this.pool = pool;
    }

    /**
     * Connects and migrates; a database that cannot be reached, refuses the login or cannot be migrated is one
     * IOException with a sentence naming the address (never the password).
     */
    static PostgresDatabase open(PostgresLocation location) throws IOException {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("relay-store");
        hc.setJdbcUrl(location.jdbcUrl());
        hc.setUsername(location.user());
        byte[] pw = location.password();
        try {
            if (pw.length > 0) {
                // JDBC takes a String; the bytes are zeroed, the String lives as long as the pool.
                hc.setPassword(new String(pw, StandardCharsets.UTF_8));
            }
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
        hc.setMaximumPoolSize(POOL_SIZE);
        hc.setConnectionTimeout(CONNECT_TIMEOUT_MILLIS);
        hc.setInitializationFailTimeout(CONNECT_TIMEOUT_MILLIS);
        hc.setAutoCommit(true);
        hc.setConnectionInitSql("SET synchronous_commit = on");
        hc.addDataSourceProperty("ApplicationName", APPLICATION_NAME);
        // The server's DETAIL can quote a key's value (a mailbox id): kept out of exception messages.
        hc.addDataSourceProperty("logServerErrorDetail", "false");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new IOException("The relay's database at " + location.where() + " cannot be reached as "
                    + location.user() + ": " + rootMessage(e), e);
        }
        try {
            migrate(pool);
        } catch (IOException | RuntimeException e) {
            pool.close();
            throw new IOException("The relay's database at " + location.where() + " cannot be migrated: "
                    + rootMessage(e), e);
        }
        return new PostgresDatabase(location, pool);
    }

    /**
     * {@code Flyway.configure().dataSource(pool).locations(MIGRATIONS).load().migrate()}, called reflectively:
     * Flyway's jar declares no module name, and requiring a module named after a file name is fragile (and a build
     * warning). The relay runs on the class path, where Flyway and its PostgreSQL plugin are found as usual.
     */
    static void migrate(DataSource pool) throws IOException {
        try {
            Class<?> flyway = Class.forName("org.flywaydb.core.Flyway");
            Object conf = flyway.getMethod("configure").invoke(null);
            conf = conf.getClass().getMethod("dataSource", DataSource.class).invoke(conf, pool);
            conf = conf.getClass().getMethod("locations", String[].class).invoke(conf,
                    (Object) new String[] {MIGRATIONS});
            Object loaded = conf.getClass().getMethod("load").invoke(conf);
            loaded.getClass().getMethod("migrate").invoke(loaded);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw new IOException(rootMessage(e.getCause()), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IOException("Flyway (org.flywaydb:flyway-core) is missing from the class path", e);
        }
    }

    DataSource pool() {
        return pool;
    }

    PostgresLocation location() {
        return location;
    }

    /** A connection of its own, outside the pool (the bus's LISTEN), committing synchronously too. */
    Connection dedicatedConnection() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", location.user());
        p.setProperty("ApplicationName", APPLICATION_NAME + "-bus");
        p.setProperty("logServerErrorDetail", "false");
        p.setProperty("connectTimeout", Long.toString(CONNECT_TIMEOUT_MILLIS / 1000));
        byte[] pw = location.password();
        try {
            if (pw.length > 0) {
                p.setProperty("password", new String(pw, StandardCharsets.UTF_8));
            }
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
        return DriverManager.getConnection(location.jdbcUrl(), p);
    }

    /** The innermost cause's message: the driver's own sentence ("Connection to … refused"), no password. */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return "PostgresDatabase[" + location + "]";
    }
}
