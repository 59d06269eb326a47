package org.securep2p.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.server.RelayConfig;
import org.securep2p.relay.server.RelayIdentity;
import org.securep2p.relay.server.testing.PgCluster;
import org.securep2p.relay.testing.TcpBalancer;

/**
 * The relay side of {@link RelayLoadBench}: either one {@code securep2p relay} child on its SQLite store, or several
 * children on one PostgreSQL store (PROTOCOL.md §23.5) with copies of one relay key, behind one address (a
 * {@link TcpBalancer} in this JVM, round robin, as HAProxy's {@code mode tcp} would be). The PostgreSQL is a
 * throwaway {@link PgCluster} made here, or the one a {@code postgresql://} URL names. Reads the CPU time of each
 * instance and of the whole PostgreSQL server (the postmaster, the backends it has reaped, and its live children).
 *
 * <p>Not its job: the clients and what is measured on them.
 */
final class RelayFleet implements AutoCloseable {

    private static final Pattern SPACES = Pattern.compile("\\s+");
    /** Marks the end of a child's stdout in the reader's queue (a line cannot hold a newline). */
    private static final String END = "\n";

    private final List<Process> relays = new ArrayList<>();
    private final Optional<PgCluster> cluster;
    private final String store;
    private Optional<TcpBalancer> balancer = Optional.empty();
    private OptionalLong postmaster = OptionalLong.empty();
    private RelayAddress address;

    private RelayFleet(Optional<PgCluster> cluster, String store) {
        this.cluster = cluster;
        this.store = store;
    }

    /**
     * Starts {@code instances} relays in {@code dir}: with {@code store} empty, one on SQLite; with "postgresql",
     * on a throwaway cluster; with a {@code postgresql://} URL, on that database.
     */
    static RelayFleet start(Path dir, int connections, int instances, String store) throws Exception {
        Optional<PgCluster> cluster = Optional.empty();
        String uri = store;
        if (store.equals("postgresql")) {
            cluster = Optional.of(PgCluster.start());
            uri = cluster.get().storeUri();
        } else if (!store.isEmpty() && !store.startsWith("postgresql://")) {
            throw new IllegalArgumentException("bench.store is empty (SQLite), postgresql or a postgresql:// URL");
        }
        if (store.isEmpty() && instances != 1) {
            throw new IllegalArgumentException("several instances need a shared store: -Dbench.store=postgresql");
        }
        RelayFleet f = new RelayFleet(cluster, uri);
        try {
            f.startAll(dir, connections, instances);
            return f;
        } catch (Exception e) {
            f.close();
            throw e;
        }
    }

    private void startAll(Path dir, int connections, int instances) throws Exception {
        Path first = dataFolder(dir, 1, connections, store);
        // One relay key in every instance's folder: clients pin one fingerprint whichever instance answers.
        RelayIdentity identity = RelayIdentity.loadOrCreate(first, new SecureRandom(), Clock.systemUTC());
        List<InetSocketAddress> backends = new ArrayList<>();
        for (int i = 1; i <= instances; i++) {
            Path data = i == 1 ? first : dataFolder(dir, i, connections, store);
            if (i > 1) {
                for (String file : List.of(RelayIdentity.KEY_FILE, RelayIdentity.CERT_FILE)) {
                    Files.copy(first.resolve(file), data.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
            // One after the other: the first runs the schema migrations.
            Process p = startRelay(dir, data, i);
            relays.add(p);
            RelayAddress a = awaitAddress(p, dir.resolve("relay-" + i + "-stderr.txt"));
            if (!java.security.MessageDigest.isEqual(a.fingerprint(), identity.fingerprint())) {
                throw new IOException("instance " + i + " presents another key than the shared one");
            }
            backends.add(new InetSocketAddress(a.host(), a.port()));
            address = a;
        }
        if (instances > 1) {
            balancer = Optional.of(TcpBalancer.start(backends));
            address = new RelayAddress("127.0.0.1", balancer.get().address().getPort(), identity.fingerprint());
        }
        if (!store.isEmpty()) {
            postmaster = postmasterPid("jdbc:" + store);
        }
    }

    /** A 0700 data folder whose relay.conf names the store (its {@code store} key, as {@code --store} would). */
    private static Path dataFolder(Path dir, int i, int connections, String store) throws IOException {
        // The relay refuses a data folder others may read (its key is there).
        Path data = Files.createDirectory(dir.resolve("data-" + i), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        StringBuilder conf = new StringBuilder();
        int cap = RelayConfig.defaults("127.0.0.1", 0, data).maxConnections();
        if (connections + 64 > cap) {
            conf.append("max_connections=").append(connections + 64).append('\n');
        }
        if (!store.isEmpty()) {
            conf.append("store=").append(store).append('\n');
        }
        if (conf.length() > 0) {
            Files.writeString(data.resolve(RelayConfig.CONF_FILE), conf);
        }
        return data;
    }

    /** {@code securep2p relay} in a child JVM with the launcher's options (or {@code -Dbench.relayJvm}). */
    private Process startRelay(Path dir, Path data, int i) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String jvm = System.getProperty("bench.relayJvm");
        command.addAll(jvm == null ? RelayLoadBench.LAUNCHER_JVM : List.of(SPACES.split(jvm.trim())));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.securep2p.app.Main", "relay",
                "--listen", "127.0.0.1:0", "--data", data.toString()));
        return new ProcessBuilder(command).redirectError(dir.resolve("relay-" + i + "-stderr.txt").toFile())
                .start();
    }

    /** Reads the child's stdout until its address line (the reader goes on draining it, so the child never blocks). */
    private static RelayAddress awaitAddress(Process relay, Path stderr) throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(relay.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the child ended
            }
            lines.add(END);
        }, "relay-load-stdout");
        reader.setDaemon(true);
        reader.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            String line = lines.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null || line.equals(END)) {
                throw new IOException("the relay did not print its address; its stderr:\n" + Files.readString(stderr));
            }
            if (line.startsWith(RelayLoadBench.ADDRESS_LINE)) {
                return RelayAddress.parse(line.substring(RelayLoadBench.ADDRESS_LINE.length()).trim());
            }
        }
    }

    /** The PostgreSQL server's main process: the parent of the backend serving a connection, if it is local. */
    private static OptionalLong postmasterPid(String jdbcUrl) {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            long backend = rs.getLong(1);
            return OptionalLong.of(Long.parseLong(statFields(backend)[1]));
        } catch (SQLException | IOException | RuntimeException e) {
            System.err.println("RelayLoadBench: no PostgreSQL CPU figures (" + e.getMessage() + ")");
            return OptionalLong.empty();
        }
    }

    /** The address clients connect to (the balancer's with several instances). */
    RelayAddress address() {
        return address;
    }

    int instances() {
        return relays.size();
    }

    /** The first instance's process id (its memory is what the bench samples). */
    long firstPid() {
        return relays.get(0).pid();
    }

    /** utime+stime of each instance, in clock ticks (a killed one keeps its last value at 0). */
    long[] instanceTicks() throws IOException {
        long[] t = new long[relays.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = RelayLoadBench.cpuTicks(relays.get(i).pid());
        }
        return t;
    }

    /**
     * CPU of the whole PostgreSQL server in clock ticks: the postmaster's own and its reaped children's
     * (cutime+cstime), plus every live child's; -1 when the server is not local.
     */
    long postgresTicks() throws IOException {
        if (postmaster.isEmpty()) {
            return -1;
        }
        long pm = postmaster.getAsLong();
        String[] f = statFields(pm);
        long total = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                try {
                    String[] c = statFields(Long.parseLong(p.getFileName().toString()));
                    if (Long.parseLong(c[1]) == pm) {
                        total += Long.parseLong(c[11]) + Long.parseLong(c[12]);
                    }
                } catch (NoSuchFileException e) {
                    // ended meanwhile: the postmaster's cutime has it
                }
            }
        }
        return total;
    }

    /** /proc/PID/stat's fields after the command name: [0] state, [1] ppid, [11] utime ... [14] cstime. */
    private static String[] statFields(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return SPACES.split(stat.substring(stat.lastIndexOf(')') + 2));
    }

    /** Where the store is, for the table: SQLite or the PostgreSQL (never a password: the URL carries none). */
    String storeName() {
        return store.isEmpty() ? "SQLite" : cluster.isPresent() ? "PostgreSQL 15 (throwaway cluster, loopback)"
                : "PostgreSQL";
    }

    @Override
    public void close() {
        balancer.ifPresent(TcpBalancer::close);
        for (Process p : relays) {
            p.destroy();
        }
        for (Process p : relays) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        cluster.ifPresent(PgCluster::close);
    }
}
