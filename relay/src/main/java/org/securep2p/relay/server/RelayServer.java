package org.securep2p.relay.server;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.RelayFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running relay (PROTOCOL.md §22.2–22.3): WebSocket at {@code /v1} over TLS 1.3 with the relay's own key, one
 * {@link RelayConnection} per client, mailboxes in a {@link MailboxStore}, expired items swept every minute. What it
 * guarantees is §22.3's: an OK means committed, a failed request stores nothing, DELIVERs reach each subscriber in
 * sequence order. Not its job: printing the address or parsing options (the app's {@code relay} command).
 */
public final class RelayServer implements AutoCloseable {

    /** Clients PING every 20 s; a connection silent for six of those is gone. */
    static final Duration IDLE_TIMEOUT = Duration.ofMinutes(2);
    static final Duration SWEEP_EVERY = Duration.ofMinutes(1);
    /**
     * Every subscription re-reads the store this often, and each instance beats this often (PROTOCOL.md §23.5): a
     * lost bus message costs at most this much latency.
     */
    static final Duration RESYNC_EVERY = Duration.ofSeconds(5);
    /** Bytes of an instance's random id (presence rows, §23.5). */
    static final int INSTANCE_ID_BYTES = 16;
    /** Longest accepted text message: none is accepted, but Jetty needs a bound before it hands us one. */
    static final int MAX_TEXT = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(RelayServer.class);
    /**
     * Bouncy Castle's JSSE logs every handshake at INFO with the client's address through java.util.logging. A
     * relay keeps no record of who connected (§22.9 lists what it sees, not what it should keep), so that logger
     * is held here at WARNING; a static field, because java.util.logging forgets the level of a logger nobody
     * references.
     */
    private static final java.util.logging.Logger BC_JSSE_LOG = java.util.logging.Logger.getLogger(
            "org.bouncycastle.jsse");

    /** The server's lifecycle. */
    private enum State { RUNNING, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.RUNNING);
    private final Server jetty;
    private final ServerConnector connector;
    private final RelayContext context;
    private final MailboxStore store;
    private final Stores stores;
    private final ScheduledExecutorService sweeper;
    private final RelayAddress address;

    private RelayServer(Server jetty, ServerConnector connector, RelayContext context, Stores stores,
            ScheduledExecutorService sweeper, RelayAddress address) {
        this.jetty = jetty;
        this.connector = connector;
        this.context = context;
        this.store = stores.mailboxes();
        this.stores = stores;
        this.sweeper = sweeper;
        this.address = address;
    }

    /**
     * What one instance stores through and hears from: its mailboxes, its bus, its directory (an organisation
     * relay; empty until the directory is wired for SQLite), and what else to close after them (the PostgreSQL
     * pool they share).
     */
    record Stores(MailboxStore mailboxes, RelayBus bus, Optional<DirectoryStore> directory,
            Optional<AutoCloseable> shared) {

        /** SQLite: the store alone, an in-process bus. */
        static Stores local(MailboxStore mailboxes) {
            return new Stores(mailboxes, new LocalRelayBus(), Optional.empty(), Optional.empty());
        }

        /** PostgreSQL at {@code location}: connects, migrates, listens; one IOException sentence if it cannot. */
        static Stores postgres(PostgresLocation location, RelayConfig config) throws IOException {
            PostgresDatabase db = PostgresDatabase.open(location);
            try {
                PostgresRelayBus bus = PostgresRelayBus.start(db);
                return new Stores(PostgresMailboxStore.of(db, false, config), bus,
                        Optional.of(new PostgresDirectoryStore(db)), Optional.of(db));
            } catch (IOException | RuntimeException e) {
                db.close();
                throw e;
            }
        }

        /** Closes the bus first (no more wakes), then the stores, then what they share. */
        void close() {
            bus.close();
            mailboxes.close();
            directory.ifPresent(DirectoryStore::close);
            shared.ifPresent(s -> {
                try {
                    s.close();
                } catch (Exception e) {
                    LOG.warn("The relay's store did not close cleanly: {}", e.toString());
                }
            });
        }
    }

    /** Starts a relay on the system clock. */
    public static RelayServer start(RelayConfig config, SecureRandom random) throws IOException {
        return start(config, random, Clock.systemUTC());
    }

    /**
     * Loads or makes the relay's identity in {@code config.dataDir()} and opens its store (PostgreSQL when
     * {@code config.store()} names one, else SQLite in the data folder), then listens on
     * {@code config.host():config.port()} (port 0: any free port, see {@link #address()}).
     */
    public static RelayServer start(RelayConfig config, SecureRandom random, Clock clock) throws IOException {
        Objects.requireNonNull(config, "config");
        RelayIdentity identity = RelayIdentity.loadOrCreate(config.dataDir(), random, clock);
        Stores stores = config.store().isPresent() ? Stores.postgres(config.store().get(), config)
                : Stores.local(SqliteMailboxStore.open(config));
        try {
            return start(config, identity, stores, random, clock);
        } catch (IOException | RuntimeException e) {
            stores.close();
            throw e;
        }
    }

    /** Starts a relay over a given identity and store (another store than SQLite); the relay closes the store. */
    public static RelayServer start(RelayConfig config, RelayIdentity identity, MailboxStore store,
            SecureRandom random, Clock clock) throws IOException {
        Objects.requireNonNull(store, "store");
        return start(config, identity, Stores.local(store), random, clock);
    }

    /** Starts a relay over a given identity and stores; the relay closes them. */
    static RelayServer start(RelayConfig config, RelayIdentity identity, Stores stores, SecureRandom random,
            Clock clock) throws IOException {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(stores, "stores");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(clock, "clock");
        BC_JSSE_LOG.setLevel(java.util.logging.Level.WARNING);
        QueuedThreadPool threads = new QueuedThreadPool(200, 4);
        threads.setName("relay");
        threads.setDaemon(true);
        Server jetty = new Server(threads);
        byte[] id = new byte[INSTANCE_ID_BYTES];
        random.nextBytes(id);
        String instance = java.util.HexFormat.of().formatHex(id);
        // Alive before the first connection can count presence against this instance.
        if (stores.directory().isPresent()) {
            try {
                stores.directory().get().heartbeat(instance, clock.instant());
            } catch (RelayException e) {
                throw new IOException("The relay's database refused its first heartbeat: " + e.getMessage(), e);
            }
        }
        RelayContext context = new RelayContext(config, stores.mailboxes(), stores.bus(), stores.directory(),
                instance, random, clock, threads);
        stores.bus().listen(context);

        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setSslContext(identity.serverContext(random));
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        // Clients pin the key, not a name: the certificate names no host, so Jetty's SNI check must not apply.
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        secure.setSniRequired(false);
        http.addCustomizer(secure);
        ServerConnector connector = new ServerConnector(jetty, new SslConnectionFactory(tls, "http/1.1"),
                new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
        jetty.addConnector(connector);
        jetty.setHandler(WebSocketUpgradeHandler.from(jetty, container -> {
            container.setIdleTimeout(IDLE_TIMEOUT);
            container.setMaxBinaryMessageSize(RelayFrame.MAX_FRAME);
            container.setMaxFrameSize(RelayFrame.MAX_FRAME);
            container.setMaxTextMessageSize(MAX_TEXT);
            container.addMapping("/v1", (request, response, callback) -> new RelayConnection(context));
        }));
        jetty.setStopTimeout(2_000);
        try {
            jetty.start();
        } catch (Exception e) {
            stopQuietly(jetty);
            throw new IOException("The relay cannot listen on " + config.host() + ":" + config.port() + ": "
                    + e.getMessage(), e);
        }
        ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "relay-sweep");
            t.setDaemon(true);
            return t;
        });
        RelayAddress address = new RelayAddress(config.host(), connector.getLocalPort(), identity.fingerprint());
        RelayServer server = new RelayServer(jetty, connector, context, stores, sweeper, address);
        // Fire-and-forget: each task catches and logs its own failures, and close() stops the sweeper itself.
        var unused = sweeper.scheduleWithFixedDelay(server::sweep, SWEEP_EVERY.toMillis(), SWEEP_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
        var unused2 = sweeper.scheduleWithFixedDelay(server::resync, RESYNC_EVERY.toMillis(),
                RESYNC_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("relay listening at {}", address);
        return server;
    }

    /** {@code wss://HOST:PORT/#FINGERPRINT}: the configured host, the port actually bound, the relay's key. */
    public RelayAddress address() {
        return address;
    }

    /** Connections admitted and not yet closed. */
    public int connections() {
        return context.connections();
    }

    /** TCP connections the relay holds open, admitted or not (tests check that refused ones are let go). */
    int endpoints() {
        return connector.getConnectedEndPoints().size();
    }

    /** The store (tests read what was committed). */
    MailboxStore store() {
        return store;
    }

    /** The bus (tests cut its listening connection). */
    RelayBus busForTests() {
        return stores.bus();
    }

    /** This instance's random id (presence rows). */
    String instance() {
        return context.instance();
    }

    /** Every subscription re-reads the store where the bus may lose messages, and the instance beats (every 5 s). */
    void resync() {
        try {
            if (stores.bus().mayLoseMessages()) {
                context.wakeAll();
            }
            if (stores.directory().isPresent()) {
                stores.directory().get().heartbeat(context.instance(), context.clock().instant());
            }
        } catch (RelayException e) {
            LOG.warn("The relay could not beat: {}", e.getMessage());
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: keep going.
            LOG.warn("The relay's resynchronisation failed", e);
        }
    }

    /** Removes expired items now (also done every minute); returns how many. */
    int sweep() {
        try {
            int n = store.sweep(context.clock().instant());
            if (n > 0) {
                LOG.debug("swept {} expired items", n);
            }
            return n;
        } catch (RelayException e) {
            LOG.warn("The relay could not sweep expired items: {}", e.getMessage());
            return 0;
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: keep sweeping.
            LOG.warn("The relay's sweep failed", e);
            return 0;
        }
    }

    /** Stops listening, closes every connection and the store. */
    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        sweeper.shutdownNow();
        stopQuietly(jetty);
        if (stores.directory().isPresent()) {
            try {
                stores.directory().get().forget(context.instance());
            } catch (RelayException e) {
                LOG.warn("The relay could not remove its presence rows: {}", e.getMessage());
            }
        }
        stores.close();
        LOG.info("relay stopped");
    }

    private static void stopQuietly(Server jetty) {
        try {
            jetty.stop();
        } catch (Exception e) {
            LOG.warn("The relay did not stop cleanly: {}", e.toString());
        }
    }

    @Override
    public String toString() {
        return "RelayServer[" + address + ", " + state.get() + "]";
    }
}
