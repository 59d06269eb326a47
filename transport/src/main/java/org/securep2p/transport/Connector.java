package org.securep2p.transport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.ice.IceLink;
import org.securep2p.transport.ice.IceSession;
import org.securep2p.transport.ice.IceSupport;
import org.securep2p.transport.reliable.DatagramLink;
import org.securep2p.transport.reliable.ReliableChannel;
import org.securep2p.transport.reliable.ReliableConfig;
import org.securep2p.transport.reliable.ReliableWire;
import org.securep2p.transport.reliable.UdpDatagramLink;
import org.securep2p.transport.tls.TlsChannel;

import static org.securep2p.transport.TransportException.Reason.BAD_CODE;
import static org.securep2p.transport.TransportException.Reason.DOWNGRADE;
import static org.securep2p.transport.TransportException.Reason.IDENTITY_MISMATCH;
import static org.securep2p.transport.TransportException.Reason.IO_FAILED;
import static org.securep2p.transport.TransportException.Reason.NO_ROUTE;
import static org.securep2p.transport.TransportException.Reason.PEER_TIMEOUT;

/**
 * Connects two peers that share nothing but a connection code. The waiter {@link #waitForPeer gathers} its
 * candidates and shows its {@link Waiting#code() code}; the connector {@link #dial dials} that code and, for
 * NATs that drop unsolicited packets, shows an {@link Dialing#answerCode() answer code} for the waiter to
 * paste, after which both sides punch at once. Either way the result is a {@link PeerConnection} whose TLS
 * peer is pinned to the identity in the code.
 *
 * <p>Not its job: trust decisions (a waiter accepts whoever holds the code, and reports the peer's identity),
 * or carrying the code between the two people.
 */
public final class Connector {

    /**
     * Connection id of the reliable channel when there is no code to derive one from: nothing secret is
     * shared, so the id filters nothing; the connected UDP socket admits the one peer address.
     */
    static final int BARE_CONNECTION_ID = 0;
    /** How often a listener looks whether it should stop. */
    static final Duration LISTEN_POLL = Duration.ofMillis(250);
    /**
     * Connections a {@link Listener} serves at once, handshakes included: the messenger's limit of open
     * conversations (issue 16).
     */
    public static final int LISTENER_MAX_CONNECTIONS = 32;
    /**
     * TLS handshakes a {@link Listener} runs at once. Each holds three threads and its buffers for up to
     * {@link TlsChannel#HANDSHAKE_TIMEOUT}, and anyone can start one with a single datagram: first packets
     * beyond this are dropped and counted, so a flood costs at most this many handshakes' memory and never an
     * established connection.
     */
    public static final int LISTENER_MAX_HALF_OPEN = 8;

    private final TransportConfig config;
    private final PrivateKeyOperations keys;
    private final TransportCertificate certificate;
    private final SecureRandom random;

    public Connector(TransportConfig config, PrivateKeyOperations keys, TransportCertificate certificate,
            SecureRandom random) {
        this.config = Objects.requireNonNull(config, "config");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.certificate = Objects.requireNonNull(certificate, "certificate");
        this.random = Objects.requireNonNull(random, "random");
        if (!certificate.identity().equals(keys.identity())) {
            throw new IllegalArgumentException("the certificate is not for this key holder's identity");
        }
    }

    /**
     * Gathers candidates (bounded by the STUN/TURN timeouts) and starts listening for the connector's checks.
     * The returned code is ready to show. Whether it asks for an answer code follows from our NAT's filtering,
     * measured by an {@link EndpointDiscovery} run at the same time as the gathering (it adds at most its
     * filtering wait behind a filtering NAT); see {@link #waitForPeer(SecurityLevel, NatBehaviour)}.
     */
    public Waiting waitForPeer(SecurityLevel minimumLevel) throws TransportException {
        CompletableFuture<NatBehaviour> measuring =
                measureInBackground(() -> new EndpointDiscovery(config).discover().natBehaviour());
        return waitForPeer(minimumLevel, () -> {
            try {
                return measuring.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return NatBehaviour.unreachable();
            } catch (ExecutionException e) {
                return NatBehaviour.unreachable();
            }
        });
    }

    /**
     * Runs {@code measurement} on its own daemon thread; the future always completes, with
     * {@link NatBehaviour#unreachable()} when the measurement fails in any way (an {@link Error} too), because
     * the wait on it must never block forever (DefaultMessenger waits on it inside a synchronized method).
     */
    static CompletableFuture<NatBehaviour> measureInBackground(Supplier<NatBehaviour> measurement) {
        CompletableFuture<NatBehaviour> measuring = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                measuring.complete(measurement.get());
            } catch (RuntimeException e) {
                measuring.complete(NatBehaviour.unreachable());
            } finally {
                // Whatever ended the measurement; a no-op after a completion above. An Error still propagates.
                measuring.complete(NatBehaviour.unreachable());
            }
        }, "nat-discovery");
        t.setDaemon(true);
        t.start();
        return measuring;
    }

    /**
     * As {@link #waitForPeer(SecurityLevel)} with our NAT's behaviour already measured (the UI's last
     * discovery). The code asks the connector for an answer code exactly when the measured filtering is
     * address-dependent or address-and-port-dependent ({@link NatBehaviour#answerNeeded()}); where filtering
     * could not be measured, when none of our host candidates is a public address.
     */
    public Waiting waitForPeer(SecurityLevel minimumLevel, NatBehaviour measured) throws TransportException {
        Objects.requireNonNull(measured, "measured");
        return waitForPeer(minimumLevel, () -> measured);
    }

    private Waiting waitForPeer(SecurityLevel minimumLevel, Supplier<NatBehaviour> nat) throws TransportException {
        long start = System.nanoTime();
        IceCredentials local = IceCredentials.generate(random);
        IceSession ice = IceSession.gather(config, false, local);
        try {
            List<Candidate> candidates = ice.advertisedCandidates();
            if (candidates.isEmpty()) {
                throw new TransportException(NO_ROUTE, ice.relayMissing()
                        ? "no STUN server answered and the TURN relay gave us no address"
                        : "no STUN server answered and no relay is configured: nothing to offer");
            }
            NatBehaviour behaviour = nat.get();
            boolean answerNeeded = behaviour.answerNeeded().orElseGet(ice::answerLikelyNeeded);
            ConnectionCode code = ConnectionCode.offer(keys.identity().fingerprint(), minimumLevel, local,
                    candidates, answerNeeded);
            // Without an answer code the connector's credentials are derived from ours, so its first checks
            // can be answered (and its address learnt from them) before we know anything else about it.
            ice.start(IceCredentials.derivedForConnector(local), List.of());
            return new Waiting(ice, code, minimumLevel, start, behaviour);
        } catch (TransportException | RuntimeException e) {
            ice.close();
            throw e;
        }
    }

    /**
     * Starts connecting to the waiter of {@code offer}. The transport runs at the code's level; DOWNGRADE if
     * that is below {@code floor}, this side's minimum. The checks start at once; show
     * {@link Dialing#answerCode()} in case the waiter's NAT drops them.
     */
    public Dialing dial(ConnectionCode offer, SecurityLevel floor) throws TransportException {
        long start = System.nanoTime();
        if (offer.kind() != ConnectionCode.Kind.OFFER) {
            throw new TransportException(BAD_CODE, "this is an answer code; paste it on the waiting side");
        }
        if (!offer.minimumLevel().isAtLeast(floor)) {
            throw new TransportException(DOWNGRADE, "the code offers " + offer.minimumLevel()
                    + " but this side requires at least " + floor);
        }
        SecurityLevel level = offer.minimumLevel();
        // Checked before gathering: a code refused here has made us open no socket and contact no server.
        List<Candidate> targets = IceSession.probeable(config, offer.candidates());
        IceCredentials local = IceCredentials.derivedForConnector(offer.credentials());
        IceSession ice = IceSession.gather(config, true, local);
        try {
            ice.start(offer.credentials(), targets);
            ConnectionCode answer = ConnectionCode.answer(offer, keys.identity().fingerprint(), level, local,
                    ice.advertisedCandidates());
            return new Dialing(ice, offer, answer, level, start);
        } catch (RuntimeException e) {
            ice.close();
            throw e;
        }
    }

    /**
     * Connects to a bare {@code host:port} (no code: the waiter {@link #listen listens} on a fixed, reachable
     * port). Nothing pins the peer, so its identity is trusted on first use by the caller; PeerConnection
     * reports it. Both sides must be set to the same level (DOWNGRADE otherwise).
     */
    public PeerConnection dialAddress(InetSocketAddress address, SecurityLevel level, Duration timeout)
            throws TransportException {
        long start = System.nanoTime();
        InetSocketAddress target = address;
        if (address.isUnresolved()) {
            InetAddress resolved = IceSupport.resolve(address.getHostString(),
                    start + config.stunTimeout().toNanos());
            target = new InetSocketAddress(resolved, address.getPort());
        }
        UdpDatagramLink link;
        try {
            link = UdpDatagramLink.connect(null, target);
        } catch (IOException e) {
            throw new TransportException(NO_ROUTE, "cannot send to " + target + ": " + e.getMessage(), e);
        }
        return overLink(link, null, TlsChannel.Role.CLIENT, Optional::empty, level, BARE_CONNECTION_ID, start);
    }

    /**
     * Listens on UDP {@code port} (0: any free port, see {@link Listener#port()}) for any number of peers that
     * dial our {@code host:port}, up to {@link #LISTENER_MAX_CONNECTIONS} at once; {@link Listener#accept}
     * hands out each one's connection once its TLS handshake is done. Trust on first use, as
     * {@link #dialAddress}. A handshake that fails (a scanner, a peer set to another level) is passed to
     * {@code onRefused}, on the handshake's own thread, and disturbs nobody else; the listener goes on.
     */
    public Listener listen(int port, SecurityLevel level, Consumer<TransportException> onRefused)
            throws TransportException {
        return listen(port, level, onRefused, LISTENER_MAX_CONNECTIONS, LISTENER_MAX_HALF_OPEN);
    }

    /** As {@link #listen(int, SecurityLevel, Consumer)} with other bounds (tests reach them quickly). */
    Listener listen(int port, SecurityLevel level, Consumer<TransportException> onRefused, int maxConnections,
            int maxHalfOpen) throws TransportException {
        return new Listener(port, Objects.requireNonNull(level, "level"), Objects.requireNonNull(onRefused,
                "onRefused"), maxConnections, maxHalfOpen);
    }

    /**
     * Waits on UDP {@code port} for one peer that dials our {@code host:port}; the sender of the first datagram
     * that {@link #opensBareConnection opens a bare connection} becomes the only address accepted (junk and
     * scanner probes are ignored, and the wait goes on). Trust on first use, as {@link #dialAddress}.
     */
    public PeerConnection listen(int port, SecurityLevel level, Duration timeout) throws TransportException {
        return listen(port, level, timeout, () -> true);
    }

    /**
     * As {@link #listen(int, SecurityLevel, Duration)}, and gives up with {@code CLOSED} within
     * {@link #LISTEN_POLL} once {@code keepListening} says false (the user stopped waiting; a blocked UDP
     * receive cannot be woken otherwise, and closing the port between polls could refuse a dialer).
     */
    public PeerConnection listen(int port, SecurityLevel level, Duration timeout,
            java.util.function.BooleanSupplier keepListening) throws TransportException {
        DatagramChannel channel = null;
        try {
            channel = DatagramChannel.open();
            channel.bind(new InetSocketAddress(port));
            long deadline = System.nanoTime() + timeout.toNanos();
            // One byte more than a peer of ours ever sends, so an oversized datagram is seen as such.
            byte[] buffer = new byte[DatagramLink.MAX_DATAGRAM + 1];
            java.net.DatagramPacket first = new java.net.DatagramPacket(buffer, buffer.length);
            ReliableWire.Packet decoded = new ReliableWire.Packet();
            while (true) {
                long leftMillis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (leftMillis < 1) {
                    throw new java.net.SocketTimeoutException();
                }
                if (!keepListening.getAsBoolean()) {
                    close(channel);
                    throw new TransportException(TransportException.Reason.CLOSED,
                            "stopped listening on port " + port);
                }
                channel.socket().setSoTimeout((int) Math.min(LISTEN_POLL.toMillis(), leftMillis));
                first.setLength(buffer.length);
                try {
                    channel.socket().receive(first);
                } catch (java.net.SocketTimeoutException poll) {
                    continue;
                }
                if (opensBareConnection(buffer, first.getLength(), decoded)) {
                    break;
                }
            }
            long start = System.nanoTime();
            // The first datagram itself is dropped: the peer's reliable channel sends it again.
            channel.connect(first.getSocketAddress());
            return overLink(UdpDatagramLink.of(channel), null, TlsChannel.Role.SERVER, Optional::empty, level,
                    BARE_CONNECTION_ID, start);
        } catch (java.net.SocketTimeoutException e) {
            close(channel);
            throw new TransportException(PEER_TIMEOUT, "nobody connected to port " + port + " within "
                    + timeout.toSeconds() + " s");
        } catch (IOException e) {
            close(channel);
            throw new TransportException(IO_FAILED, "cannot listen on UDP port " + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * True when a datagram is what a dialer's reliable channel sends first: it decodes (by the reliable
     * channel's own decoder, whatever versions it accepts), carries the bare connection id, and is DATA at
     * stream offset 0 (the start of the ClientHello). A CLOSE, ACK or PING, or a later piece of some stream (a
     * replayed packet of an old connection), opens nothing: locking onto it would hold the port for a TLS
     * handshake that can never start.
     */
    static boolean opensBareConnection(byte[] datagram, int length, ReliableWire.Packet into) {
        return ReliableWire.decode(datagram, length, into) == ReliableWire.Verdict.OK
                && into.connectionId == BARE_CONNECTION_ID && into.type == ReliableWire.TYPE_DATA
                && into.offset == 0;
    }

    private static void close(DatagramChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing was sent on it
            }
        }
    }

    private PeerConnection establish(IceSession ice, TlsChannel.Role role, Supplier<Optional<Fingerprint>> pin,
            SecurityLevel level, int connectionId, Duration timeout, long startNanos, Consumer<String> onPath)
            throws TransportException {
        IceLink link = ice.awaitLink(timeout);
        try {
            onPath.accept(link.pathKind());
        } catch (RuntimeException e) {
            link.close();
            ice.close();
            throw e;
        }
        return overLink(link, ice, role, pin, level, connectionId, startNanos);
    }

    /** {@code pin} is read when TLS checks the peer's certificate (an answer code may arrive until then). */
    private PeerConnection overLink(DatagramLink link, IceSession ice, TlsChannel.Role role,
            Supplier<Optional<Fingerprint>> pin, SecurityLevel level, int connectionId, long startNanos)
            throws TransportException {
        ReliableChannel reliable = null;
        try {
            reliable = ReliableChannel.open(link, ReliableConfig.builder()
                    .connectionId(connectionId)
                    .keepalive(config.keepaliveInterval())
                    .deadPeer(config.deadPeerTimeout())
                    .build());
            TlsChannel tls = TlsChannel.open(role, reliable, keys, certificate, pin, level, random,
                    TlsChannel.HANDSHAKE_TIMEOUT);
            if (link instanceof IceLink iceLink && ice != null) {
                // The peer is authenticated and both ICE agents are done: a direct pair goes on without ice4j.
                leaveIce(iceLink, ice);
            }
            return new PeerConnection(ice, link, reliable, tls, "relayed".equals(link.pathKind()),
                    Duration.ofNanos(System.nanoTime() - startNanos));
        } catch (TransportException | RuntimeException e) {
            if (reliable != null) {
                reliable.abort("setup failed");
            }
            link.close();
            if (ice != null) {
                ice.close();
            }
            throw e;
        }
    }

    private static void leaveIce(IceLink link, IceSession ice) throws TransportException {
        try {
            link.leaveIce(ice::releaseInBackground);
        } catch (IOException e) {
            throw new TransportException(IO_FAILED, "cannot keep the direct path after ICE: " + e.getMessage(), e);
        }
    }

    /**
     * A fixed UDP port serving several peers at once (PROTOCOL.md 14, "Fixed-port listener"): one socket,
     * datagrams told apart by (source address, connection id), one reliable channel and TLS session per peer.
     *
     * <p>Guarantees: at most {@link #LISTENER_MAX_CONNECTIONS} connections, of which at most
     * {@link #LISTENER_MAX_HALF_OPEN} in their handshake; a first datagram beyond either bound is dropped and
     * counted ({@link Counts#droppedOverLimit()}); a connection's slot is freed when it closes (either side, or
     * its dead-peer timer); one peer's failed handshake or junk never disturbs another. {@link #close()} ends
     * pending and later {@link #accept}s with CLOSED and aborts handshakes in progress, but connections already
     * accepted keep running: the socket is released when the last of them closes. Not its job: trust (each
     * peer's identity is reported, not checked), or following a peer whose address changes mid-connection.
     */
    public final class Listener implements AutoCloseable {
        // Read by each handshake as it starts; see changeLevel.
        private volatile SecurityLevel level;
        private final Consumer<TransportException> onRefused;
        private final UdpDemux demux;
        private final int port;
        private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        private final java.util.concurrent.locks.Condition changed = lock.newCondition();
        // Guarded by lock. ended is the lifecycle: null while listening, then why accept no longer waits.
        private final java.util.ArrayDeque<PeerConnection> ready = new java.util.ArrayDeque<>();
        private TransportException ended;
        private long accepted;
        private long refused;

        private Listener(int port, SecurityLevel level, Consumer<TransportException> onRefused, int maxConnections,
                int maxHalfOpen) throws TransportException {
            this.level = level;
            this.onRefused = onRefused;
            try {
                this.demux = UdpDemux.bind(port, maxConnections, maxHalfOpen, this::startHandshake, this::stopped);
            } catch (IOException e) {
                throw new TransportException(IO_FAILED, "cannot listen on UDP port " + port + ": " + e.getMessage(),
                        e);
            }
            this.port = demux.port();
        }

        /** The level handshakes starting now run at. */
        public SecurityLevel level() {
            return level;
        }

        /**
         * Handshakes that start from now on run at {@code newLevel} (a dialer at another one is refused
         * DOWNGRADE); handshakes in progress and open connections keep theirs. Instead of closing and opening
         * a listener, which could not bind the port while connections of the old one still hold it.
         */
        public void changeLevel(SecurityLevel newLevel) {
            level = Objects.requireNonNull(newLevel, "newLevel");
        }

        /** The bound UDP port (the one asked for, or the one chosen for port 0). */
        public int port() {
            return port;
        }

        /**
         * Waits up to {@code timeout} for the next peer whose handshake completed. PEER_TIMEOUT if none did in
         * time (the listener goes on); CLOSED once the listener was closed; IO_FAILED if its socket failed.
         */
        public PeerConnection accept(Duration timeout) throws TransportException {
            long deadline = System.nanoTime() + timeout.toNanos();
            lock.lock();
            try {
                while (true) {
                    if (ended != null) {
                        throw new TransportException(ended.reason(), ended.getMessage());
                    }
                    PeerConnection next = ready.poll();
                    if (next != null) {
                        return next;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new TransportException(PEER_TIMEOUT, "nobody connected to port " + port + " within "
                                + timeout.toMillis() + " ms");
                    }
                    changed.awaitNanos(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TransportException(TransportException.Reason.CLOSED, "interrupted while listening on port "
                        + port);
            } finally {
                lock.unlock();
            }
        }

        /** What the listener has done and dropped so far; a snapshot. */
        public Counts counts() {
            UdpDemux.Counts d = demux.counts();
            lock.lock();
            try {
                return new Counts(d.links(), d.halfOpen(), accepted, refused, d.overLimit(), d.strays(),
                        d.backlogDrops());
            } finally {
                lock.unlock();
            }
        }

        /**
         * Stops taking peers: pending and later accepts fail with CLOSED, handshakes in progress are aborted and
         * connections accepted but not yet taken are closed. Connections already taken keep running.
         */
        @Override
        public void close() {
            List<PeerConnection> untaken;
            lock.lock();
            try {
                if (ended == null) {
                    ended = new TransportException(TransportException.Reason.CLOSED, "stopped listening on port "
                            + port);
                }
                untaken = List.copyOf(ready);
                ready.clear();
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            demux.close();
            if (!untaken.isEmpty()) {
                // A graceful close waits for the peer's acknowledgement (13.6): not on the caller's thread.
                Thread closer = new Thread(() -> untaken.forEach(PeerConnection::close), "securep2p-listener-close");
                closer.setDaemon(true);
                closer.start();
            }
        }

        /** Called by the demultiplexer's thread: the handshake blocks, so it runs on its own. */
        private void startHandshake(UdpDemux.Link link) {
            Thread t = new Thread(() -> handshake(link), "securep2p-listener-handshake");
            t.setDaemon(true);
            t.start();
        }

        private void handshake(UdpDemux.Link link) {
            long start = System.nanoTime();
            SecurityLevel atStart = level;
            PeerConnection connection;
            try {
                connection = overLink(link, null, TlsChannel.Role.SERVER, Optional::empty, atStart,
                        link.key().connectionId(), start);
            } catch (TransportException e) {
                refused(e);
                return;
            } catch (RuntimeException e) {
                refused(new TransportException(TransportException.Reason.TLS_FAILED, "the handshake failed: "
                        + e.getClass().getSimpleName(), e));
                return;
            }
            lock.lock();
            try {
                if (ended == null && link.markEstablished()) {
                    ready.add(connection);
                    accepted++;
                    changed.signalAll();
                    return;
                }
            } finally {
                lock.unlock();
            }
            // The listener was closed during the handshake, or the peer went at its very end.
            connection.close();
        }

        private void refused(TransportException e) {
            lock.lock();
            try {
                refused++;
                if (ended != null) {
                    return; // aborted by our own close: nothing to report
                }
            } finally {
                lock.unlock();
            }
            try {
                onRefused.accept(e);
            } catch (RuntimeException ignored) {
                // The caller's report failed; the listener must go on regardless.
            }
        }

        private void stopped() {
            lock.lock();
            try {
                if (ended == null) {
                    ended = new TransportException(IO_FAILED, "the socket of port " + port + " failed");
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public String toString() {
            return "Connector.Listener[port " + port + ", " + level + "]";
        }

        /**
         * A snapshot: connections open (handshakes included) and in their handshake; handshakes completed and
         * refused; first datagrams dropped because a bound was reached; datagrams that matched no connection
         * and could open none (junk, scanners, a stray or late packet); datagrams dropped because a
         * connection's queue was full.
         */
        public record Counts(int open, int halfOpen, long accepted, long refused, long droppedOverLimit,
                long droppedStray, long droppedBacklog) { }
    }

    /** The waiting side: its code, and the wait for the connector. */
    public final class Waiting implements AutoCloseable {
        private final IceSession ice;
        private final ConnectionCode code;
        private final SecurityLevel minimumLevel;
        private final long startNanos;
        private final NatBehaviour nat;
        private volatile ConnectionCode answer;

        private Waiting(IceSession ice, ConnectionCode code, SecurityLevel minimumLevel, long startNanos,
                NatBehaviour nat) {
            this.ice = ice;
            this.code = code;
            this.minimumLevel = minimumLevel;
            this.startNanos = startNanos;
            this.nat = nat;
        }

        /** The code to show the other person. */
        public ConnectionCode code() {
            return code;
        }

        /** Our NAT's behaviour the code's answer-needed flag was decided by (unknown filtering: guessed). */
        public NatBehaviour natBehaviour() {
            return nat;
        }

        /**
         * Adds the connector's answer: its candidates, so that we punch towards it too (needed when our NAT
         * drops its first packets), and its identity, which TLS then pins.
         */
        public void acceptAnswer(ConnectionCode answerCode) throws TransportException {
            if (answerCode.kind() != ConnectionCode.Kind.ANSWER) {
                throw new TransportException(BAD_CODE, "this is a connection code, not an answer code");
            }
            if (!answerCode.answers(code)) {
                throw new TransportException(BAD_CODE, "this answer code belongs to another connection code");
            }
            if (answerCode.minimumLevel() != minimumLevel) {
                throw new TransportException(DOWNGRADE, "the answer is for " + answerCode.minimumLevel()
                        + " but this code is for " + minimumLevel);
            }
            if (!answerCode.credentials().equals(IceCredentials.derivedForConnector(code.credentials()))) {
                throw new TransportException(BAD_CODE, "this answer code was not made for this connection code");
            }
            this.answer = answerCode;
            ice.addRemoteCandidates(IceSession.probeable(config, answerCode.candidates()));
        }

        /**
         * Waits for the connector and the TLS handshake. Without an answer code the connection's peer is
         * whoever held the code; once an answer was {@link #acceptAnswer accepted} (before or during this
         * wait), only its identity: anyone else is refused IDENTITY_MISMATCH.
         */
        public PeerConnection awaitPeer(Duration timeout) throws TransportException {
            return awaitPeer(timeout, path -> { });
        }

        /**
         * As {@link #awaitPeer(Duration)}, and tells {@code onPath} the kind of path ("direct" or "relayed") the
         * moment the connectivity checks selected it, before the TLS handshake on it begins.
         */
        public PeerConnection awaitPeer(Duration timeout, Consumer<String> onPath) throws TransportException {
            // Read at certificate-check time: the user may paste the answer while we already wait here.
            PeerConnection connection = establish(ice, TlsChannel.Role.SERVER, this::answerPin, minimumLevel,
                    code.credentials().reliableConnectionId(), timeout, startNanos, Objects.requireNonNull(onPath));
            // An answer accepted after TLS checked the certificate (trust on first use) must still hold.
            Optional<Fingerprint> pin = answerPin();
            if (pin.isPresent() && !pin.get().equals(connection.peerIdentity().fingerprint())) {
                connection.close();
                throw new TransportException(IDENTITY_MISMATCH, "the peer is not the identity of the answer code");
            }
            return connection;
        }

        private Optional<Fingerprint> answerPin() {
            ConnectionCode a = answer;
            return a == null ? Optional.empty() : Optional.of(a.identity());
        }

        /** Stops waiting and frees the candidates. */
        @Override
        public void close() {
            ice.close();
        }
    }

    /** The connecting side: the answer code, and the wait for the path and TLS. */
    public final class Dialing implements AutoCloseable {
        private final IceSession ice;
        private final ConnectionCode offer;
        private final ConnectionCode answer;
        private final SecurityLevel level;
        private final long startNanos;

        private Dialing(IceSession ice, ConnectionCode offer, ConnectionCode answer, SecurityLevel level,
                long startNanos) {
            this.ice = ice;
            this.offer = offer;
            this.answer = answer;
            this.level = level;
            this.startNanos = startNanos;
        }

        /** For the waiter to paste when its NAT drops our first packets. */
        public ConnectionCode answerCode() {
            return answer;
        }

        /** Waits for a path and the TLS handshake; IDENTITY_MISMATCH if the peer is not the code's identity. */
        public PeerConnection awaitPeer(Duration timeout) throws TransportException {
            return awaitPeer(timeout, path -> { });
        }

        /**
         * As {@link #awaitPeer(Duration)}, and tells {@code onPath} the kind of path ("direct" or "relayed") the
         * moment the connectivity checks selected it, before the TLS handshake on it begins.
         */
        public PeerConnection awaitPeer(Duration timeout, Consumer<String> onPath) throws TransportException {
            Optional<Fingerprint> pin = Optional.of(offer.identity());
            return establish(ice, TlsChannel.Role.CLIENT, () -> pin, level,
                    offer.credentials().reliableConnectionId(), timeout, startNanos, Objects.requireNonNull(onPath));
        }

        @Override
        public void close() {
            ice.close();
        }
    }
}
