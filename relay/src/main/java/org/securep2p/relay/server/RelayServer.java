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

import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
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
    /** An organisation relay looks at its revocation list's file at least this often (§23.1). */
    static final Duration CRL_CHECK_EVERY = Duration.ofSeconds(5);

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

    /** The organisation part of this relay (§23), if it is an organisation relay. */
    Optional<Organisation> organisation() {
        return context.organisation();
    }

    /**
     * What one instance stores through and hears from: its mailboxes, its bus, its directory (an organisation
     * relay's; on SQLite the relay opens {@code directory.db} when it is one), and what else to close after them (the PostgreSQL
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

        /** The same with {@code directory} (SQLite's, beside the mailboxes, for an organisation relay). */
        Stores withDirectory(DirectoryStore directory) {
            return new Stores(mailboxes, bus, Optional.of(directory), shared);
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
        return start(config, identity, stores, random, clock, Optional.empty());
    }

    /**
     * As above; an organisation relay (§23) with {@code organisation} (tests that assign members without mutual
     * TLS) or with {@code config.trust()} (the relay makes its Organisation from the CA: members from the TLS
     * session, current members by the list in force). Its directory is the stores' (PostgreSQL), else
     * {@link SqliteDirectoryStore} beside the mailboxes, which the relay then closes too.
     */
    static RelayServer start(RelayConfig config, RelayIdentity identity, Stores stores, SecureRandom random,
            Clock clock, Optional<Organisation> organisation) throws IOException {
        Optional<MemberTrust> trust = Optional.empty();
        if (config.trust().isPresent()) {
            trust = Optional.of(MemberTrust.load(config.trust().get(), config.dataDir(), clock));
        }
        Optional<Organisation> org = organisation;
        if (org.isEmpty() && trust.isPresent()) {
            MemberTrust t = trust.get();
            org = Optional.of(new Organisation(request -> member(request, t),
                    (serial, certificate, now) -> accepted(t, certificate)));
        }
        Stores all = stores;
        boolean ownDirectory = org.isPresent() && stores.directory().isEmpty();
        if (ownDirectory) {
            all = stores.withDirectory(SqliteDirectoryStore.open(config.dataDir()));
        }
        try {
            return startOrFail(config, identity, all, random, clock, trust, org);
        } catch (IOException | RuntimeException e) {
            if (ownDirectory) {
                all.directory().ifPresent(DirectoryStore::close); // the caller closes what it gave
            }
            throw e;
        }
    }

    /** Whether {@code certificate} still passes the CA's checks against the list in force (§23.3's listing). */
    private static boolean accepted(MemberTrust trust, byte[] certificate) {
        try {
            trust.verify(certificate);
            return true;
        } catch (org.securep2p.transport.TransportException e) {
            return false;
        }
    }

    private static RelayServer startOrFail(RelayConfig config, RelayIdentity identity, Stores stores,
            SecureRandom random, Clock clock, Optional<MemberTrust> trust, Optional<Organisation> organisation)
            throws IOException {
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
                instance, random, clock, threads, trust, organisation);
        organisation.ifPresent(o -> o.start(context));
        stores.bus().listen(context);

        SslContextFactory.Server tls = new SslContextFactory.Server();
        if (trust.isPresent()) {
            // Members only (§23.1): TLS itself refuses a client without a certificate the CA's checks accept.
            tls.setSslContext(identity.serverContext(random, new MemberTrustManager(trust.get())));
            tls.setNeedClientAuth(true);
        } else {
            tls.setSslContext(identity.serverContext(random));
        }
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        // Clients pin the key, not a name: the certificate names no host, so Jetty's SNI check must not apply.
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        secure.setSniRequired(false);
        http.addCustomizer(secure);
        ServerConnector connector = new ServerConnector(jetty, new SslConnectionFactory(tls, "http/1.1"),
                new HttpConnectionFactory(http));
        if (trust.isPresent()) {
            connector.addBean(new RefusalLog());
        }
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
        jetty.addConnector(connector);
        jetty.setHandler(WebSocketUpgradeHandler.from(jetty, container -> {
            container.setIdleTimeout(IDLE_TIMEOUT);
            container.setMaxBinaryMessageSize(RelayFrame.MAX_FRAME);
            container.setMaxFrameSize(RelayFrame.MAX_FRAME);
            container.setMaxTextMessageSize(MAX_TEXT);
            container.addMapping("/v1", (request, response, callback) -> {
                if (organisation.isEmpty()) {
                    return new RelayConnection(context, Optional.empty());
                }
                Optional<AuthenticatedMember> member = organisation.get().authenticate(request);
                if (member.isEmpty()) {
                    // The handshake checked the certificate; a list loaded since may revoke it.
                    response.setStatus(403);
                    callback.succeeded();
                    return null;
                }
                return new RelayConnection(context, member);
            });
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
        if (trust.isPresent()) {
            // At once after a reload, whoever noticed the new file (a handshake or the timer), on the sweeper.
            trust.get().whenReloaded(() -> {
                try {
                    sweeper.execute(() -> {
                        try {
                            server.closeRevoked();
                        } catch (RuntimeException e) {
                            LOG.warn("Closing revoked connections failed", e);
                        }
                    });
                } catch (java.util.concurrent.RejectedExecutionException stopping) {
                    // The relay is closing: every connection closes anyway.
                }
            });
            var unusedCrlCheck = sweeper.scheduleWithFixedDelay(server::checkRevocations, CRL_CHECK_EVERY.toMillis(),
                    CRL_CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        }
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

    /** The open authenticated connections by member (an organisation relay's; tests look). */
    Members members() {
        return context.members();
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

    /**
     * Reloads the revocation list if its file changed (§23.1); a new list closes the connections it revokes (see
     * {@link #closeRevoked}). Run every {@link #CRL_CHECK_EVERY}, and by every handshake.
     */
    void checkRevocations() {
        try {
            context.trust().ifPresent(MemberTrust::reloadIfChanged);
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: keep checking.
            LOG.warn("The relay's revocation check failed", e);
        }
    }

    /**
     * Closes, with 1008, every open connection whose certificate the list in force no longer accepts; returns how
     * many. Run after each reload of the list. Each such serial is also announced on the bus (§23.5, {@code k}), so
     * the member's connections to other instances close too, even before those reload their own copy of the list.
     */
    int closeRevoked() {
        int closed = 0;
        java.util.Set<java.math.BigInteger> serials = new java.util.HashSet<>();
        for (RelayConnection c : context.members().all()) {
            AuthenticatedMember m = c.member().orElseThrow();
            if (!context.stillAccepted(m)) {
                LOG.info("closing a connection of {}: its certificate is no longer accepted", m);
                c.closeRevoked();
                serials.add(m.serial());
                closed++;
            }
        }
        for (java.math.BigInteger serial : serials) {
            try {
                context.bus().revoked(serial);
            } catch (RuntimeException e) {
                // The other instances still reload their own list within CRL_CHECK_EVERY.
                LOG.warn("The revocation of serial {} was not announced to the other instances: {}",
                        serial.toString(16), e.toString());
            }
        }
        return closed;
    }

    /** The member of an upgrade request's TLS session, checked against the list in force; empty if refused. */
    private static Optional<AuthenticatedMember> member(org.eclipse.jetty.server.Request request, MemberTrust trust) {
        Object data = request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
        if (!(data instanceof EndPoint.SslSessionData ssl) || ssl.peerCertificates() == null
                || ssl.peerCertificates().length != 1) {
            return Optional.empty();
        }
        try {
            return Optional.of(trust.verify(ssl.peerCertificates()[0].getEncoded()));
        } catch (java.security.cert.CertificateEncodingException | org.securep2p.transport.TransportException e) {
            LOG.info("refused {}: {}", request.getConnectionMetaData().getRemoteSocketAddress(), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Logs a refused handshake that the trust manager did not (§23.1: one line with the remote address and the
     * reason), e.g. a client that sent no certificate. Jetty finds it among the connector's beans by its interface.
     */
    private static final class RefusalLog implements SslHandshakeListener {
        @Override
        public void handshakeFailed(Event event, Throwable failure) {
            for (Throwable t = failure; t != null; t = t.getCause()) {
                if (t instanceof MemberTrustManager.MemberRefusedException) {
                    return; // logged where it was decided
                }
            }
            javax.net.ssl.SSLEngine e = event.getSSLEngine();
            LOG.info("refused {}:{}: {}", e.getPeerHost(), e.getPeerPort(), reason(failure));
        }

        private static String reason(Throwable failure) {
            String m = String.valueOf(failure.getMessage()).toLowerCase(java.util.Locale.ROOT);
            if (m.contains("certificate_required") || m.contains("no client certificate")
                    || m.contains("certificate required") || m.contains("empty")) {
                return "no member certificate";
            }
            return "the TLS handshake failed (" + failure.getClass().getSimpleName() + ")";
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
