package org.securep2p.relay.server.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;

/**
 * A throwaway PostgreSQL 15 cluster for tests: {@code initdb} and {@code pg_ctl} in a fresh temporary folder,
 * listening on 127.0.0.1 only, on a free port, trust authentication (on the loopback address and the unix socket,
 * which lives in the 0700 temporary folder), {@code fsync} and {@code synchronous_commit} on as in production.
 * Run as root (as here and in CI), the binaries run as the {@code postgres} user of the Debian package through
 * {@code runuser}, with the folder handed to it; otherwise as the current user. {@link #close()} stops the cluster
 * and deletes the folder; a shutdown hook does the same for a test JVM that ends without closing it.
 *
 * <p>Not its job: the system's own cluster, which it never uses, starts or stops. Without PostgreSQL 15 a test
 * that asks for a cluster fails with a sentence naming the Debian package, unless
 * {@code -Dsecurep2p.postgresql.skip=true}, which skips it.
 */
public final class PgCluster implements AutoCloseable {

    /** Where the Debian package {@code postgresql-15} puts the server's binaries. */
    public static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");
    /** The system property that skips every test needing PostgreSQL on a machine without it. */
    public static final String SKIP_PROPERTY = "securep2p.postgresql.skip";
    /** The database {@link #start()} creates, and the superuser every URL names. */
    public static final String DATABASE = "relay";
    public static final String USER = "postgres";
    /** initdb and a start take a second or two; a loaded CI machine gets far more. */
    private static final long TOOL_TIMEOUT_SECONDS = 120;
    /** A free port can be taken between our probe and the server's bind: try a few. */
    private static final int START_ATTEMPTS = 3;

    /** The cluster's lifecycle. */
    private enum State { RUNNING, STOPPED, CLOSED }

    private final Path dir;
    private final Path data;
    private final int port;
    private final boolean asPostgresUser;
    private final AtomicReference<State> state = new AtomicReference<>(State.RUNNING);
    private final Thread shutdownHook;

    private PgCluster(Path dir, int port, boolean asPostgresUser) {
        this.dir = dir;
        this.data = dir.resolve("data");
        this.port = port;
        this.asPostgresUser = asPostgresUser;
        this.shutdownHook = new Thread(this::stopAndDelete, "pg-cluster-cleanup");
    }

    /**
     * Makes and starts a cluster with database {@value #DATABASE}. Aborts the calling test when
     * {@value #SKIP_PROPERTY} is true and PostgreSQL 15 is missing; fails it, naming the package, when only the
     * latter.
     */
    public static PgCluster start() throws IOException {
        requireInstalled();
        boolean root = isRoot();
        Path dir = Files.createTempDirectory("securep2p-pg", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        try {
            if (root) {
                run(dir, List.of("chown", USER + ":", dir.toString()), false);
            }
            Path data = dir.resolve("data");
            run(dir, List.of(BIN.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "-A", "trust",
                    "-E", "UTF8", "--locale=C", "--no-sync"), root);
            // Only the loopback address and the socket in our 0700 folder: nobody else on the machine gets in.
            writeAs(root, dir, data.resolve("pg_hba.conf"),
                    "local all all trust\nhost all all 127.0.0.1/32 trust\n");
            IOException last = null;
            for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
                int port = freePort();
                writeAs(root, dir, data.resolve("postgresql.auto.conf"), "listen_addresses = '127.0.0.1'\n"
                        + "port = " + port + "\n"
                        + "unix_socket_directories = '" + dir + "'\n"
                        + "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n"
                        + "max_connections = 200\n");
                PgCluster c = new PgCluster(dir, port, root);
                try {
                    c.pgCtlStart();
                } catch (IOException e) {
                    last = e;
                    continue;
                }
                Runtime.getRuntime().addShutdownHook(c.shutdownHook);
                try {
                    c.createDatabase(DATABASE);
                } catch (IOException | RuntimeException e) {
                    c.close(); // stops the server before its folder goes
                    throw e;
                }
                return c;
            }
            throw last;
        } catch (IOException | RuntimeException e) {
            deleteTree(dir);
            throw e;
        }
    }

    /** Fails (or, with {@value #SKIP_PROPERTY}, aborts) the calling test unless PostgreSQL 15 is installed. */
    public static void requireInstalled() {
        if (Files.isExecutable(BIN.resolve("initdb")) && Files.isExecutable(BIN.resolve("pg_ctl"))) {
            return;
        }
        String message = "PostgreSQL 15 is not installed (no " + BIN.resolve("initdb") + "): install the Debian "
                + "package postgresql-15 (apt-get install postgresql-15; ./test does), or skip with -D"
                + SKIP_PROPERTY + "=true";
        Assumptions.assumeFalse(Boolean.getBoolean(SKIP_PROPERTY), message);
        throw new AssertionError(message);
    }

    /** The port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** A JDBC URL of {@code database} as the superuser (no password: trust). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=" + USER;
    }

    /** {@link #jdbcUrl} of {@value #DATABASE}. */
    public String jdbcUrl() {
        return jdbcUrl(DATABASE);
    }

    /** What {@code securep2p relay --store} takes for {@code database}. */
    public String storeUri(String database) {
        return "postgresql://127.0.0.1:" + port + "/" + database + "?user=" + USER;
    }

    /** {@link #storeUri} of {@value #DATABASE}. */
    public String storeUri() {
        return storeUri(DATABASE);
    }

    /** Creates another database (a test that wants two independent stores on one cluster). */
    public void createDatabase(String name) throws IOException {
        if (!name.matches("[a-z][a-z0-9_]{0,40}")) {
            throw new IllegalArgumentException("a database name of lower-case letters, digits and _");
        }
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres")); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IOException("The test cluster could not create database " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Crashes the cluster: an immediate shutdown (every backend quits at once, no checkpoint; the next start runs
     * crash recovery). Open connections break. {@link #restart()} brings it back on the same port.
     */
    public void kill() throws IOException {
        if (state.compareAndSet(State.RUNNING, State.STOPPED)) {
            pgCtl("stop", "-m", "immediate");
        }
    }

    /** Starts a killed cluster again, on the same port and folder. */
    public void restart() throws IOException {
        if (state.compareAndSet(State.STOPPED, State.RUNNING)) {
            pgCtlStart();
        }
    }

    /** Stops the cluster (immediately: a test's data need no checkpoint) and deletes its folder. */
    @Override
    public void close() {
        stopAndDelete();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // Already shutting down: the hook runs, or ran, stopAndDelete, which is idempotent.
        }
    }

    private void stopAndDelete() {
        State was = state.getAndSet(State.CLOSED);
        if (was == State.CLOSED) {
            return;
        }
        try {
            if (was == State.RUNNING) {
                pgCtl("stop", "-m", "immediate");
            }
        } catch (IOException e) {
            System.err.println("PgCluster: stopping the test cluster in " + dir + " failed: " + e.getMessage());
        } finally {
            deleteTree(dir);
        }
    }

    private void pgCtlStart() throws IOException {
        pgCtl("start", "-l", dir.resolve("server.log").toString());
    }

    private void pgCtl(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-w",
                "-t", Long.toString(TOOL_TIMEOUT_SECONDS)));
        cmd.addAll(List.of(args));
        try {
            run(dir, cmd, asPostgresUser);
        } catch (IOException e) {
            throw new IOException(e.getMessage() + serverLogTail(), e);
        }
    }

    private String serverLogTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("server.log"), StandardCharsets.UTF_8);
            return "; server log: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    /** Runs {@code cmd} (as postgres through runuser when {@code asPostgres}); fails with its output. */
    private static void run(Path dir, List<String> cmd, boolean asPostgres) throws IOException {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", USER, "--"));
        }
        full.addAll(cmd);
        Path out = Files.createTempFile("securep2p-pg-tool", ".log");
        try {
            Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null")
                            .toFile())).start();
            boolean done;
            try {
                done = p.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException(String.join(" ", cmd) + " was interrupted", e);
            }
            if (!done) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish in " + TOOL_TIMEOUT_SECONDS + " s");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): "
                        + Files.readString(out, StandardCharsets.UTF_8).strip());
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Writes a file of the cluster: through the postgres user when running as root, so it owns it. */
    private static void writeAs(boolean root, Path dir, Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING);
        if (root) {
            run(dir, List.of("chown", USER + ":", file.toString()), false);
        }
    }

    private static boolean isRoot() throws IOException {
        // /proc/self belongs to the process's effective user: no JVM-internal API needed.
        Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        return uid instanceof Integer i && i == 0;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("PgCluster: could not delete " + dir + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "PgCluster[127.0.0.1:" + port + ", " + state.get() + "]";
    }
}
