package org.securep2p.relay.server;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

import org.securep2p.relay.RelayFrame;

/**
 * Everything a relay is told (PROTOCOL.md §22.6, §23.5): where it listens, where it keeps its key and its store
 * (SQLite in the data folder, or {@code store}: a PostgreSQL database shared by several instances), and its
 * limits. Command-line options override {@code relay.conf} in the data folder, which overrides
 * {@link #defaults}. The creation and store passwords, when set, are read from files and never printed.
 */
public record RelayConfig(String host, int port, Path dataDir, Duration maxTtl, int mailboxMaxItems,
        long mailboxMaxBytes, int maxMailboxes, int requestsPerSecond, int requestBurst, int maxConnections,
        Optional<byte[]> createPassword, Optional<PostgresLocation> store) {

    public RelayConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dataDir, "dataDir");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port 0..65535 (0: any free port)");
        }
        if (maxTtl.isNegative() || maxTtl.isZero() || mailboxMaxItems < 1 || mailboxMaxBytes < 1
                || maxMailboxes < 1 || requestsPerSecond < 1 || requestBurst < 1 || maxConnections < 1) {
            throw new IllegalArgumentException("every relay limit must be positive");
        }
        createPassword = createPassword.map(byte[]::clone);
        Objects.requireNonNull(store, "store");
    }

    /** A relay on SQLite in {@code dataDir} (no {@code store}). */
    public RelayConfig(String host, int port, Path dataDir, Duration maxTtl, int mailboxMaxItems,
            long mailboxMaxBytes, int maxMailboxes, int requestsPerSecond, int requestBurst, int maxConnections,
            Optional<byte[]> createPassword) {
        this(host, port, dataDir, maxTtl, mailboxMaxItems, mailboxMaxBytes, maxMailboxes, requestsPerSecond,
                requestBurst, maxConnections, createPassword, Optional.empty());
    }

    /** This configuration with its store in PostgreSQL at {@code location}. */
    public RelayConfig withStore(PostgresLocation location) {
        return new RelayConfig(host, port, dataDir, maxTtl, mailboxMaxItems, mailboxMaxBytes, maxMailboxes,
                requestsPerSecond, requestBurst, maxConnections, createPassword, Optional.of(location));
    }

    /** 21 days, 10,000 items and 64 MiB per mailbox, 1,000,000 mailboxes, 100 requests/s (burst 400) per
     * connection, 10,000 connections, anyone may create mailboxes. */
    public static RelayConfig defaults(String host, int port, Path dataDir) {
        return new RelayConfig(host, port, dataDir, Duration.ofDays(21), 10_000, 64L << 20, 1_000_000, 100, 400,
                10_000, Optional.empty());
    }

    /** A copy of the creation password, if the relay has one. */
    @Override
    public Optional<byte[]> createPassword() {
        return createPassword.map(byte[]::clone);
    }

    /** The optional settings file in the data folder. */
    public static final String CONF_FILE = "relay.conf";
    /** Longest TTL a relay.conf may set: ten years, far beyond any use, and no overflow in milliseconds. */
    static final long MAX_TTL_DAYS = 3650;
    private static final Set<String> KEYS = Set.of("ttl.days", "mailbox.max_items", "mailbox.max_bytes",
            "max_mailboxes", "rate.requests_per_second", "rate.burst", "max_connections", "store",
            "store.password_file");

    /**
     * The configuration of a relay listening on {@code host:port} with its data in {@code dataDir}: the
     * {@link #defaults}, overridden by {@code <dataDir>/relay.conf} if there is one (Java properties: ttl.days,
     * mailbox.max_items, mailbox.max_bytes, max_mailboxes, rate.requests_per_second, rate.burst, max_connections;
     * an unknown key or a value that is not a positive whole number in range is refused with a sentence naming
     * the key). {@code createPasswordFile}, if given, holds the creation password: its content without one
     * trailing newline, 1..256 bytes.
     */
    public static RelayConfig load(String host, int port, Path dataDir, Optional<Path> createPasswordFile)
            throws IOException {
        return load(host, port, dataDir, createPasswordFile, Optional.empty(), Optional.empty());
    }

    /**
     * As {@link #load(String, int, Path, Optional)}, with the store: {@code store} ({@code --store
     * postgresql://HOST:PORT/DB?user=U}) or else relay.conf's {@code store}, the password from
     * {@code storePasswordFile} ({@code --store-password-file}) or else relay.conf's {@code store.password_file}
     * (a file only its owner may read). Neither: SQLite in the data folder.
     */
    public static RelayConfig load(String host, int port, Path dataDir, Optional<Path> createPasswordFile,
            Optional<String> store, Optional<Path> storePasswordFile) throws IOException {
        RelayConfig d = defaults(host, port, dataDir);
        Properties p = new Properties();
        Path conf = dataDir.resolve(CONF_FILE);
        try (Reader r = Files.newBufferedReader(conf, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            // No relay.conf: the defaults.
        } catch (CharacterCodingException | IllegalArgumentException e) {
            throw new IOException(conf + " is not a properties file in UTF-8.", e);
        }
        for (String key : p.stringPropertyNames()) {
            if (!KEYS.contains(key)) {
                throw new IOException(conf + ": unknown setting \"" + key + "\" (known: ttl.days, mailbox.max_items, "
                        + "mailbox.max_bytes, max_mailboxes, rate.requests_per_second, rate.burst, max_connections, "
                        + "store, store.password_file).");
            }
        }
        Duration ttl = p.containsKey("ttl.days") ? Duration.ofDays(number(p, "ttl.days", MAX_TTL_DAYS, conf))
                : d.maxTtl();
        int maxItems = (int) number(p, "mailbox.max_items", Integer.MAX_VALUE, d.mailboxMaxItems(), conf);
        long maxBytes = number(p, "mailbox.max_bytes", Long.MAX_VALUE / 2, d.mailboxMaxBytes(), conf);
        int maxMailboxes = (int) number(p, "max_mailboxes", Integer.MAX_VALUE, d.maxMailboxes(), conf);
        int perSecond = (int) number(p, "rate.requests_per_second", 1_000_000, d.requestsPerSecond(), conf);
        int burst = (int) number(p, "rate.burst", 1_000_000, d.requestBurst(), conf);
        int maxConnections = (int) number(p, "max_connections", 1_000_000, d.maxConnections(), conf);
        Optional<String> storeUri = store.or(() -> Optional.ofNullable(p.getProperty("store")).map(String::strip));
        Optional<Path> storePassword = storePasswordFile.or(() -> Optional.ofNullable(
                p.getProperty("store.password_file")).map(String::strip).map(dataDir::resolve));
        if (storeUri.isEmpty() && storePassword.isPresent()) {
            throw new IOException("A store password file was given without a PostgreSQL store (--store).");
        }
        Optional<PostgresLocation> location = Optional.empty();
        if (storeUri.isPresent()) {
            location = Optional.of(PostgresLocation.parse(storeUri.get(), storePassword));
        }
        Optional<byte[]> password = Optional.empty();
        if (createPasswordFile.isPresent()) {
            password = Optional.of(readPassword(createPasswordFile.get()));
        }
        RelayConfig c = new RelayConfig(host, port, dataDir, ttl, maxItems, maxBytes, maxMailboxes, perSecond,
                burst, maxConnections, password, location);
        password.ifPresent(b -> Arrays.fill(b, (byte) 0));
        return c;
    }

    private static long number(Properties p, String key, long max, long fallback, Path conf) throws IOException {
        return p.containsKey(key) ? number(p, key, max, conf) : fallback;
    }

    private static long number(Properties p, String key, long max, Path conf) throws IOException {
        String v = p.getProperty(key).trim();
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > max || !v.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            throw new IOException(conf + ": " + key + " must be a whole number from 1 to " + max + ".");
        }
        return n;
    }

    private static byte[] readPassword(Path file) throws IOException {
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException("The creation password file " + file + " cannot be read: " + e.getMessage(), e);
        }
        int n = b.length;
        if (n > 0 && b[n - 1] == '\n') {
            n--;
            if (n > 0 && b[n - 1] == '\r') {
                n--;
            }
        }
        try {
            if (n < 1 || n > RelayFrame.MAX_PASSWORD) {
                throw new IOException("The creation password in " + file + " must be 1 to "
                        + RelayFrame.MAX_PASSWORD + " bytes.");
            }
            return Arrays.copyOf(b, n);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return "RelayConfig[" + host + ":" + port + ", data " + dataDir + ", ttl " + maxTtl + ", "
                + mailboxMaxItems + " items / " + mailboxMaxBytes + " bytes per mailbox, " + maxConnections
                + " connections, creation " + (createPassword.isPresent() ? "by password" : "open") + ", store "
                + store.map(PostgresLocation::toString).orElse("SQLite") + "]";
    }
}
