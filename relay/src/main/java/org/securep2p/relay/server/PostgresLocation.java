package org.securep2p.relay.server;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where a relay's PostgreSQL store is (PROTOCOL.md §23.5): {@code postgresql://HOST:PORT/DB?user=U}, and the
 * password read from a file that only its owner may read. The password is never printed: {@link #toString()}
 * shows the address and user only, and no exception message holds it.
 */
public final class PostgresLocation {

    /** What {@code --store} takes: the scheme, a host (IPv6 in brackets), a port, a database, the user. */
    private static final Pattern DATABASE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}");
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}");
    /** Longest password read from a file: far beyond any real one, and a bound before reading. */
    static final int MAX_PASSWORD = 1024;

    private final String host;
    private final int port;
    private final String database;
    private final String user;
    private final byte[] password;

    private PostgresLocation(String host, int port, String database, String user, byte[] password) {
        this.host = host;
        this.port = port;
        this.database = database;
        this.user = user;
        this.password = password;
    }

    /**
     * Parses {@code postgresql://HOST:PORT/DB?user=U} strictly (no other parameter: TLS and the rest are the
     * server's settings, and an ignored parameter would surprise), with the password from {@code passwordFile}.
     */
    public static PostgresLocation parse(String uri, Optional<Path> passwordFile) throws IOException {
        Objects.requireNonNull(uri, "uri");
        URI u;
        try {
            u = new URI(uri.strip());
        } catch (URISyntaxException e) {
            throw new IOException("--store: not a postgresql://HOST:PORT/DB?user=USER address.", e);
        }
        String path = u.getRawPath();
        String query = u.getRawQuery();
        if (!"postgresql".equals(u.getScheme()) || u.getHost() == null || u.getPort() < 1 || u.getPort() > 65_535
                || u.getRawUserInfo() != null
                || u.getRawFragment() != null || path == null || !path.startsWith("/")) {
            throw new IOException("--store: not a postgresql://HOST:PORT/DB?user=USER address (a port is needed; "
                    + "the password goes in --store-password-file, never in the address).");
        }
        String database = path.substring(1);
        if (!DATABASE.matcher(database).matches()) {
            throw new IOException("--store: the database name must be letters, digits, _ . or -.");
        }
        if (query == null || !query.startsWith("user=") || query.contains("&")) {
            throw new IOException("--store: the address needs ?user=USER and nothing else after the database.");
        }
        String user = query.substring("user=".length());
        if (!USER.matcher(user).matches()) {
            throw new IOException("--store: the user name must be letters, digits, _ . or -.");
        }
        String host = u.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        byte[] password = passwordFile.isPresent() ? readPassword(passwordFile.get()) : new byte[0];
        return new PostgresLocation(host, u.getPort(), database, user, password);
    }

    /** The password file's content without one trailing newline; refused when group or others may read it. */
    private static byte[] readPassword(Path file) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (IOException e) {
            throw new IOException("The store password file " + file + " cannot be read: " + e.getMessage(), e);
        }
        if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
            throw new IOException("The store password file " + file + " may be read by others: chmod 600 it.");
        }
        if (Files.size(file) > MAX_PASSWORD + 2) {
            throw new IOException("The store password in " + file + " must be 1 to " + MAX_PASSWORD + " bytes.");
        }
        byte[] b = Files.readAllBytes(file);
        int n = b.length;
        if (n > 0 && b[n - 1] == '\n') {
            n--;
            if (n > 0 && b[n - 1] == '\r') {
                n--;
            }
        }
        try {
            if (n < 1 || n > MAX_PASSWORD) {
                throw new IOException("The store password in " + file + " must be 1 to " + MAX_PASSWORD + " bytes.");
            }
            return Arrays.copyOf(b, n);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    /** The JDBC URL, without user or password (they go in connection properties). */
    String jdbcUrl() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + h + ":" + port + "/" + database;
    }

    String user() {
        return user;
    }

    int port() {
        return port;
    }

    /** Whether a password was given (trust or peer authentication needs none). */
    boolean hasPassword() {
        return password.length > 0;
    }

    /** A copy of the password's bytes: the caller zeroes it. */
    byte[] password() {
        return password.clone();
    }

    /** {@code HOST:PORT/DB}, for sentences. */
    String where() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/" + database;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PostgresLocation other && host.equals(other.host) && port == other.port
                && database.equals(other.database) && user.equals(other.user)
                && java.security.MessageDigest.isEqual(password, other.password);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, port, database, user);
    }

    // Never the password: only whether there is one.
    @Override
    public String toString() {
        return "postgresql://" + where() + "?user=" + user + (hasPassword() ? " (password from file)" : "");
    }
}
