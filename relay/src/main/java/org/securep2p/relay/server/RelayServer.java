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
    private final ScheduledExecutorService sweeper;
    private final RelayAddress address;

    private RelayServer(Server jetty, ServerConnector connector, RelayContext context, MailboxStore store,
            ScheduledExecutorService sweeper, RelayAddress address) {
        this.jetty = jetty;
        this.connector = connector;
        this.context = context;
        this.store = store;
        this.sweeper = sweeper;
        this.address = address;
    }

    /** The organisation part of this relay (§23), if it is an organisation relay. */
    Optional<Organisation> organisation() {
        return context.organisation();
    }

    /** Starts a relay on the system clock. */
    public static RelayServer start(RelayConfig config, SecureRandom random) throws IOException {
        return start(config, random, Clock.systemUTC());
    }

    /**
     * Loads or makes the relay's identity and opens its SQLite store in {@code config.dataDir()}, then listens on
     * {@code config.host():config.port()} (port 0: any free port, see {@link #address()}).
     */
    public static RelayServer start(RelayConfig config, SecureRandom random, Clock clock) throws IOException {
        Objects.requireNonNull(config, "config");
        RelayIdentity identity = RelayIdentity.loadOrCreate(config.dataDir(), random, clock);
        MailboxStore store = SqliteMailboxStore.open(config);
        try {
            return start(config, identity, store, random, clock);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Starts a relay over a given identity and store (another store than SQLite); the relay closes the store. */
    public static RelayServer start(RelayConfig config, RelayIdentity identity, MailboxStore store,
            SecureRandom random, Clock clock) throws IOException {
        return start(config, identity, store, random, clock, Optional.empty());
    }

    /**
     * As above; with {@code organisation}, an organisation relay (§23): every upgrade must come from an
     * authenticated member (else HTTP 403), and the directory and chat requests are served. The relay closes the
     * organisation (its directory store and bus) with itself, also when it fails to start.
     */
    static RelayServer start(RelayConfig config, RelayIdentity identity, MailboxStore store, SecureRandom random,
            Clock clock, Optional<Organisation> organisation) throws IOException {
        Optional<Organisation> org = organisation;
        try {
            Optional<MemberTrust> trust = Optional.empty();
            if (config.trust().isPresent()) {
                trust = Optional.of(MemberTrust.load(config.trust().get(), config.dataDir(), clock));
            }
            if (org.isEmpty() && trust.isPresent()) {
                // One instance on SQLite (§23.5): the directory beside the mailboxes, members from mutual TLS.
                MemberTrust t = trust.get();
                org = Optional.of(Organisation.sqlite(config.dataDir(), request -> member(request, t),
                        (serial, certificate, now) -> accepted(t, certificate), random));
            }
            return startOrFail(config, identity, store, random, clock, trust, org);
        } catch (IOException | RuntimeException e) {
            org.ifPresent(Organisation::close);
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

    private static RelayServer startOrFail(RelayConfig config, RelayIdentity identity, MailboxStore store,
            SecureRandom random, Clock clock, Optional<MemberTrust> trust, Optional<Organisation> organisation)
            throws IOException {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(clock, "clock");
        BC_JSSE_LOG.setLevel(java.util.logging.Level.WARNING);
        QueuedThreadPool threads = new QueuedThreadPool(200, 4);
        threads.setName("relay");
        threads.setDaemon(true);
        Server jetty = new Server(threads);
        RelayContext context = new RelayContext(config, store, random, clock, threads, trust, organisation);
        if (organisation.isPresent()) {
            try {
                organisation.get().start(context, clock.instant());
            } catch (RelayException e) {
                throw new IOException("The relay cannot open its member directory: " + e.getMessage(), e);
            }
        }

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
        RelayServer server = new RelayServer(jetty, connector, context, store, sweeper, address);
        // Fire-and-forget: sweep catches and logs its own failures, and close() stops the sweeper itself.
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
            var alsoUnused = sweeper.scheduleWithFixedDelay(server::checkRevocations, CRL_CHECK_EVERY.toMillis(),
                    CRL_CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        }
        // Presence (§23.5): beat every 5 s on the same thread; beat catches its own failures, close() stops it.
        if (organisation.isPresent()) {
            Organisation org = organisation.get();
            long every = Organisation.HEARTBEAT.toMillis();
            unused = sweeper.scheduleWithFixedDelay(() -> org.beat(clock.instant()), every, every,
                    TimeUnit.MILLISECONDS);
        }
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
     * many. Run after each reload of the list.
     */
    int closeRevoked() {
        int closed = 0;
        for (RelayConnection c : context.members().all()) {
            AuthenticatedMember m = c.member().orElseThrow();
            if (!context.stillAccepted(m)) {
                LOG.info("closing a connection of {}: its certificate is no longer accepted", m);
                c.closeRevoked();
                closed++;
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
     * reason), e.g. a client that sent no certificate. Public for Jetty's bean lookup only.
     */
    public static final class RefusalLog implements SslHandshakeListener {
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
        store.close();
        context.organisation().ifPresent(Organisation::close);
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
