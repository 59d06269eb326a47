package org.securep2p.relay;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/**
 * The way to one relay (PROTOCOL.md §22.2): one Jetty WebSocket client whose TLS trusts only the key of the
 * relay's address ({@link PinnedTrust}), and one small event thread. {@link #open()} opens one more independent
 * {@link RelayClient} connection over it (a messenger opens one; a load test opens a thousand). Not its job: which
 * relay to use, or what is posted. Thread-safe; {@link #close()} closes every client it opened.
 */
public final class RelayConnector implements AutoCloseable {

    private final RelayAddress address;
    private final SecureRandom random;
    private final Timeouts timeouts;
    /** The relay's creation password (§22.3 CREATE), empty for a relay without one; zeroed at close. */
    private final byte[] createPassword;
    private final HttpClient http;
    private final WebSocketClient webSockets;
    /** Every client's frames, timers and callbacks run here, one at a time: no locks inside a client. */
    private final ScheduledExecutorService events;
    private final Set<WebSocketRelayClient> clients = ConcurrentHashMap.newKeySet();

    /**
     * The client's timing. {@code request}: how long a request waits for its answer (and for a connection to
     * send it on); {@code ping}: how often an idle connection is checked; {@code firstBackoff} doubling up to
     * {@code maxBackoff}: the wait before each new attempt after a failure, less a random part of up to half.
     */
    public record Timeouts(Duration request, Duration ping, Duration firstBackoff, Duration maxBackoff) {
        public Timeouts {
            for (Duration d : new Duration[] {request, ping, firstBackoff, maxBackoff}) {
                if (d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("every relay client timeout is positive");
                }
            }
            if (maxBackoff.compareTo(firstBackoff) < 0) {
                throw new IllegalArgumentException("the longest backoff is at least the first");
            }
        }

        /** 10 s per request, a PING every 20 s, backoff from 0.5 s doubling to 30 s. */
        public static Timeouts defaults() {
            return new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofMillis(500),
                    Duration.ofSeconds(30));
        }
    }

    private RelayConnector(RelayAddress address, SecureRandom random, Timeouts timeouts, byte[] createPassword,
            Optional<MemberCredential> member) throws RelayException {
        this.address = address;
        this.random = random;
        this.timeouts = timeouts;
        this.createPassword = createPassword;
        SslContextFactory.Client tls = new SslContextFactory.Client();
        tls.setSslContext(PinnedTrust.clientContext(address, random, member));
        // The pin is the whole check (§22.2): the certificate names no host.
        tls.setEndpointIdentificationAlgorithm(null);
        tls.setIncludeProtocols(RelayTlsProfile.PROTOCOLS.toArray(String[]::new));
        tls.setIncludeCipherSuites(RelayTlsProfile.CIPHER_SUITES.toArray(String[]::new));
        ClientConnector connector = new ClientConnector();
        connector.setSslContextFactory(tls);
        connector.setConnectTimeout(timeouts.request());
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setName("relay-client");
        pool.setDaemon(true);
        connector.setExecutor(pool);
        this.http = new HttpClient(new HttpClientTransportDynamic(connector));
        http.setExecutor(pool);
        http.setConnectTimeout(timeouts.request().toMillis());
        this.webSockets = new WebSocketClient(http);
        webSockets.setMaxBinaryMessageSize(RelayFrame.MAX_FRAME);
        webSockets.setMaxTextMessageSize(RelayFrame.MAX_DETAIL);
        webSockets.setConnectTimeout(timeouts.request().toMillis());
        // Longer than the ping interval, so only a dead connection idles out.
        webSockets.setIdleTimeout(timeouts.ping().multipliedBy(3));
        webSockets.setStopAtShutdown(false);
        this.events = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "relay-client-events");
            t.setDaemon(true);
            return t;
        });
        try {
            webSockets.start();
        } catch (Exception e) {
            events.shutdownNow();
            throw new RelayException(RelayException.Reason.UNREACHABLE,
                    "The relay client could not start: " + e.getMessage() + ".", e);
        }
    }

    /** A connector to {@code address} with the default {@link Timeouts}; it connects nothing until {@link #open()}. */
    public static RelayConnector start(RelayAddress address, SecureRandom random) throws RelayException {
        return start(address, random, Timeouts.defaults());
    }

    /**
     * As {@link #start(RelayAddress, SecureRandom)}, for a relay that creates mailboxes only with its password
     * (relay option --create-password-file): every CREATE sent through this connector carries it. The connector
     * keeps its own copy (zeroed at {@link #close()}); the caller may zero {@code createPassword}'s array.
     */
    public static RelayConnector start(RelayAddress address, SecureRandom random, Optional<byte[]> createPassword)
            throws RelayException {
        return start(address, random, Timeouts.defaults(), createPassword);
    }

    /** As {@link #start(RelayAddress, SecureRandom)} with other timing (tests). */
    public static RelayConnector start(RelayAddress address, SecureRandom random, Timeouts timeouts)
            throws RelayException {
        return start(address, random, timeouts, Optional.empty());
    }

    /** As {@link #start(RelayAddress, SecureRandom, Optional)} with other timing (tests). */
    public static RelayConnector start(RelayAddress address, SecureRandom random, Timeouts timeouts,
            Optional<byte[]> createPassword) throws RelayException {
        return start(address, random, timeouts, createPassword, Optional.empty());
    }

    /**
     * As {@link #start(RelayAddress, SecureRandom, Optional)}, for a member in organisation mode (§23.2): every
     * connection presents {@code member}'s certificate when the relay asks (an organisation relay); an open relay
     * does not ask.
     */
    public static RelayConnector start(RelayAddress address, SecureRandom random, Optional<byte[]> createPassword,
            Optional<MemberCredential> member) throws RelayException {
        return start(address, random, Timeouts.defaults(), createPassword, member);
    }

    /** As {@link #start(RelayAddress, SecureRandom, Optional, Optional)} with other timing (tests). */
    public static RelayConnector start(RelayAddress address, SecureRandom random, Timeouts timeouts,
            Optional<byte[]> createPassword, Optional<MemberCredential> member) throws RelayException {
        Objects.requireNonNull(member, "member");
        byte[] password = createPassword.map(byte[]::clone).orElseGet(() -> new byte[0]);
        if (password.length > RelayFrame.MAX_PASSWORD) {
            Arrays.fill(password, (byte) 0);
            throw new IllegalArgumentException("A relay's creation password is at most " + RelayFrame.MAX_PASSWORD
                    + " bytes.");
        }
        return new RelayConnector(Objects.requireNonNull(address, "address"), Objects.requireNonNull(random,
                "random"), Objects.requireNonNull(timeouts, "timeouts"), password, member);
    }

    public RelayAddress address() {
        return address;
    }

    /**
     * Opens one more connection to the relay, independent of the others (its own challenge, request ids and
     * subscriptions). It connects in the background: requests made meanwhile wait for it up to the request timeout.
     */
    public RelayClient open() {
        if (events.isShutdown()) {
            throw new IllegalStateException("the relay connector is closed");
        }
        WebSocketRelayClient c = new WebSocketRelayClient(address, webSockets, events, random, timeouts,
                createPassword, clients::remove);
        clients.add(c);
        c.start();
        return c;
    }

    /** Closes every client opened here, then the WebSocket client and the event thread. */
    @Override
    public void close() {
        for (WebSocketRelayClient c : clients) {
            c.close();
        }
        try {
            webSockets.stop();
        } catch (Exception e) {
            // Stopping releases sockets and threads; a failure leaves nothing of ours to undo.
            WebSocketRelayClient.LOG.debug("stopping the WebSocket client failed", e);
        }
        events.shutdown();
        try {
            events.awaitTermination(timeouts.request().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        events.shutdownNow();
        Arrays.fill(createPassword, (byte) 0);
    }
}
