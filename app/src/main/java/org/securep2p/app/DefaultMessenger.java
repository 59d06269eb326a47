package org.securep2p.app;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.crypto.SafetyNumber;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.ratchet.SessionRecord;
import org.securep2p.transport.ConnectionCode;
import org.securep2p.transport.ConnectionTarget;
import org.securep2p.transport.Connector;
import org.securep2p.transport.EndpointDiscovery;
import org.securep2p.transport.NatBehaviour;
import org.securep2p.transport.PeerConnection;
import org.securep2p.transport.TransportConfig;
import org.securep2p.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Messenger}: wires the key holder, the transport, the trust store and the stored conversations, one
 * conversation at a time. Set-up runs on a background thread and reports through events; a bare
 * {@code host:port} conversation that drops is redialled with exponential backoff (1 s doubling to 60 s).
 */
final class DefaultMessenger implements Messenger {

    private static final Logger LOG = LoggerFactory.getLogger(DefaultMessenger.class);
    private static final Logger SECURITY = LoggerFactory.getLogger("securep2p.security");
    private static final Duration WAIT_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration DECISION_TIMEOUT = Duration.ofMinutes(10);
    /** How long a new wait or connect waits for the worker of a conversation that has just ended. */
    private static final Duration CLAIM_GRACE = Duration.ofSeconds(1);

    private final PrivateKeyOperations keys;
    private final Connector connector;
    private final TransportConfig transportConfig;
    private final TrustStore trust;
    private final ConversationStore conversations;
    private final String username;
    private final ChatEvent.Ready ready;
    private final SecureRandom random;
    private final Clock clock;
    private final List<Consumer<ChatEvent>> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService worker = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "messenger");
        t.setDaemon(true);
        return t;
    });
    private final Optional<Integer> fixedPort;

    private volatile ChatSession session;
    /** The session between a connection and its CONFIRM (or its failure): what disconnect() ends at once. */
    private volatile ChatSession settingUp;
    /** A --port listener is running; disconnect() clears it so a failed attempt does not start another. */
    private volatile boolean listening;
    private volatile SecurityLevel listeningFloor;
    /** Held by send and by the publication of a new session, so no send falls between the two (see runSession). */
    private final Object sendGate = new Object();
    private volatile Connector.Waiting waiting;
    /**
     * How long a measured NAT behaviour stands in for a new measurement: after a network change (another Wi-Fi,
     * a VPN) the old one may claim "one code is enough" and the connection fail, so an older one is measured
     * again beside the gathering, as when there is none.
     */
    static final Duration MEASURED_NAT_MAX_AGE = Duration.ofMinutes(2);

    /** A measured behaviour and when, by {@link #clock}, it was measured. */
    private record MeasuredNat(NatBehaviour behaviour, Instant at) { }

    /**
     * The last discovery whose filtering was measured (RFC 5780): a wait within {@link #MEASURED_NAT_MAX_AGE}
     * decides the answer code from it instead of measuring again. Retry STUN replaces it.
     */
    private volatile MeasuredNat measuredNat;
    private volatile boolean busy;
    private volatile boolean closed;
    private volatile CompletableFuture<TrustDecision> pendingDecision;
    private volatile Fingerprint pendingFingerprint;
    private volatile Fingerprint currentPeer;
    private volatile InetSocketAddress redialAddress;
    private volatile SecurityLevel redialFloor;
    /** The wait or connect now running (this engine still runs one at a time), or null. */
    private volatile String currentAttempt;
    private final java.util.concurrent.atomic.AtomicLong attempts = new java.util.concurrent.atomic.AtomicLong();

    DefaultMessenger(PrivateKeyOperations keys, Connector connector, TransportConfig transportConfig, TrustStore trust,
            ConversationStore conversations, String username, ChatEvent.Ready ready, Optional<Integer> fixedPort,
            SecureRandom random, Clock clock) {
        this.keys = Objects.requireNonNull(keys);
        this.connector = Objects.requireNonNull(connector);
        this.transportConfig = Objects.requireNonNull(transportConfig);
        this.trust = Objects.requireNonNull(trust);
        this.conversations = Objects.requireNonNull(conversations);
        this.username = Objects.requireNonNull(username);
        this.ready = Objects.requireNonNull(ready);
        this.fixedPort = fixedPort;
        this.random = Objects.requireNonNull(random);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * Starts {@link ConnectWarmup} on a thread of its own: the user's first connection then runs warm code
     * (PROTOCOL.md §14.1). Nothing waits for it, a failure is only logged, and a connection started meanwhile
     * simply shares the CPU with it.
     */
    void warmUpInBackground(SecurityLevel level) {
        Thread t = new Thread(() -> {
            long start = System.nanoTime();
            try {
                new ConnectWarmup(random, clock).run(level);
                LOG.info("connection warm-up done in {} ms", elapsed(start).toMillis());
            } catch (Exception e) {
                LOG.warn("connection warm-up failed after {} ms: {}", elapsed(start).toMillis(), e.toString());
            }
        }, "connect-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    @Override
    public void addListener(Consumer<ChatEvent> listener) {
        listeners.add(Objects.requireNonNull(listener));
    }

    private void emit(ChatEvent event) {
        for (Consumer<ChatEvent> l : listeners) {
            try {
                l.accept(event);
            } catch (RuntimeException e) {
                LOG.warn("listener failed on {}", event.getClass().getSimpleName(), e);
            }
        }
    }

    /** Tells the front ends something outside the conversation. */
    void notice(String text) {
        emit(new ChatEvent.Notice(text));
    }

    @Override
    public ChatEvent.Ready identity() {
        return ready;
    }

    @Override
    public ChatEvent.Endpoint discoverEndpoint() throws AppException {
        long start = System.nanoTime();
        emit(new ChatEvent.Progress("", ChatEvent.Stage.STUN, Duration.ZERO, "asking the STUN servers"));
        EndpointDiscovery.Report report = new EndpointDiscovery(transportConfig).discover();
        emit(new ChatEvent.Progress("", ChatEvent.Stage.STUN, Duration.ofNanos(System.nanoTime() - start), "done"));
        NatBehaviour nat = report.natBehaviour();
        if (nat.answerNeeded().isPresent()) {
            rememberNat(nat);
        } else {
            measuredNat = null;
        }
        // "nat" stays machine-readable (mapping/filtering, RFC 5780 terms) for the JSON mode; the UI shows advice.
        ChatEvent.Endpoint endpoint = new ChatEvent.Endpoint("", "",
                report.publicAddress().map(DefaultMessenger::hostPort).orElse("unknown"),
                nat.summary(), nat.advice(), nat.answerNeeded().orElse(false));
        emit(endpoint);
        return endpoint;
    }

    @Override
    public synchronized ChatEvent.Endpoint waitForPeer(SecurityLevel floor) throws AppException {
        if (fixedPort.isPresent() && listening && settingUp == null) {
            if (floor == listeningFloor) {
                // The listener goes on after a failed attempt (it reported the failure): waiting again at the
                // same level is what is already happening, not BUSY.
                ChatEvent.Endpoint endpoint = fixedPortEndpoint(currentAttempt);
                emit(endpoint);
                return endpoint;
            }
            // Another level: the running listener lets go within a poll; claim() waits for it.
            listening = false;
        }
        claim();
        String attempt = newAttempt();
        long start = System.nanoTime();
        try {
            if (fixedPort.isPresent()) {
                ChatEvent.Endpoint endpoint = fixedPortEndpoint(attempt);
                emit(endpoint);
                listeningFloor = floor;
                listening = true;
                worker.execute(() -> runListen(attempt, fixedPort.get(), floor, start));
                return endpoint;
            }
            emit(new ChatEvent.Progress(attempt, ChatEvent.Stage.STUN, Duration.ZERO, "gathering candidates"));
            NatBehaviour known = recentNat().orElse(null);
            Connector.Waiting w = known != null ? connector.waitForPeer(floor, known) : connector.waitForPeer(floor);
            waiting = w;
            ConnectionCode code = w.code();
            // The plain endpoint: the public (server-reflexive) address if there is one, else the first candidate.
            String plain = code.candidates().stream()
                    .sorted(java.util.Comparator.comparing(c -> c.type() != org.securep2p.transport.Candidate.Type.SERVER_REFLEXIVE))
                    .findFirst().map(c -> hostPort(c.address())).orElse("");
            ChatEvent.Endpoint endpoint = new ChatEvent.Endpoint(attempt, code.text(), plain, code.answerNeeded()
                    ? "ANSWER_NEEDED" : "ONE_CODE", waitAdvice(w.natBehaviour(), code.answerNeeded()),
                    code.answerNeeded());
            emit(endpoint);
            worker.execute(() -> runWait(attempt, w, floor, start));
            return endpoint;
        } catch (TransportException e) {
            busy = false;
            throw transportFailure(e);
        } catch (RuntimeException e) {
            busy = false;
            throw e;
        }
    }

    /** Keeps {@code nat} as measured now, for the waits of the next {@link #MEASURED_NAT_MAX_AGE}. */
    void rememberNat(NatBehaviour nat) {
        measuredNat = new MeasuredNat(nat, clock.instant());
    }

    /**
     * The last measured behaviour if it is younger than {@link #MEASURED_NAT_MAX_AGE}; empty if there is none,
     * it is older, or the clock went back past it (then its age is unknown).
     */
    Optional<NatBehaviour> recentNat() {
        MeasuredNat m = measuredNat;
        if (m == null) {
            return Optional.empty();
        }
        Duration age = Duration.between(m.at(), clock.instant());
        return age.isNegative() || age.compareTo(MEASURED_NAT_MAX_AGE) >= 0 ? Optional.empty()
                : Optional.of(m.behaviour());
    }

    /**
     * The sentence the wait screen shows: the measured behaviour's advice, or, where the filtering could not be
     * measured, what the transport's guess decided.
     */
    static String waitAdvice(NatBehaviour nat, boolean answerNeeded) {
        if (nat.answerNeeded().isPresent()) {
            return nat.advice();
        }
        return answerNeeded
                ? "The other person must send an answer code back: your NAT may drop their first packets (its "
                        + "filtering could not be measured)."
                : "One code is enough: the other person can reach this address directly.";
    }

    private ChatEvent.Endpoint fixedPortEndpoint(String attempt) {
        return new ChatEvent.Endpoint(attempt, "", "port " + fixedPort.orElseThrow() + " (UDP)", "FIXED_PORT",
                "Give the peer your public address and this port (host:port).", false);
    }

    private void runWait(String attempt, Connector.Waiting w, SecurityLevel floor, long start) {
        try {
            emit(new ChatEvent.Progress(attempt, ChatEvent.Stage.ICE, elapsed(start), "waiting for the peer"));
            PeerConnection connection = w.awaitPeer(WAIT_TIMEOUT, path -> tlsBegins(attempt, path, start));
            helloBegins(attempt, connection, start);
            runSession(attempt, ChatChannel.of(connection, ""), false, false, floor, start);
        } catch (TransportException e) {
            fail(attempt, transportFailure(e));
        } catch (RuntimeException e) {
            crashed(attempt, e);
        } finally {
            waiting = null;
            w.close();
            busy = false;
        }
    }

    private void runListen(String attempt, int port, SecurityLevel floor, long start) {
        try {
            long deadline = System.nanoTime() + WAIT_TIMEOUT.toNanos();
            emit(new ChatEvent.Progress(attempt, ChatEvent.Stage.ICE, elapsed(start), "listening on UDP port " + port));
            while (true) {
                PeerConnection connection;
                try {
                    // disconnect() clears listening: the listener lets go of the port within a poll.
                    connection = connector.listen(port, floor, Duration.ofNanos(Math.max(1_000_000L,
                            deadline - System.nanoTime())), () -> listening && !closed);
                } catch (TransportException e) {
                    if (!listening || closed) {
                        return;
                    }
                    if (e.reason() == TransportException.Reason.PEER_TIMEOUT
                            || e.reason() == TransportException.Reason.IO_FAILED) {
                        throw e;
                    }
                    // Whoever sent the packet that opened this attempt did not complete TLS with us (a wrong
                    // level, a replayed packet, a scanner): the port is still ours to wait on, for the real peer.
                    // The attempt's failure is reported as any other (error event, security log for a refused
                    // handshake); the wait itself goes on, and says so.
                    fail(attempt, transportFailure(e));
                    emit(new ChatEvent.Notice("Still waiting on UDP port " + port + "."));
                    continue;
                }
                if (!listening || closed) {
                    connection.close();
                    return;
                }
                // Listening is over: a wait from now on is a new one (after this set-up ends), not this one.
                listening = false;
                helloBegins(attempt, connection, start);
                runSession(attempt, ChatChannel.of(connection, ""), false, false, floor, start);
                return;
            }
        } catch (TransportException e) {
            fail(attempt, transportFailure(e));
        } catch (RuntimeException e) {
            crashed(attempt, e);
        } finally {
            listening = false;
            busy = false;
        }
    }

    @Override
    public void acceptAnswer(String attempt, String answerCode) throws AppException {
        Connector.Waiting w = waiting;
        if (w == null || !Objects.equals(attempt, currentAttempt)) {
            throw new AppException(AppException.Reason.NO_WAIT, "There is no wait running.");
        }
        try {
            ConnectionCode code = ConnectionCode.parse(answerCode);
            w.acceptAnswer(code);
        } catch (TransportException e) {
            throw transportFailure(e);
        }
    }

    @Override
    public synchronized String connect(String codeOrAddress, SecurityLevel floor) throws AppException {
        ConnectionTarget target;
        try {
            target = ConnectionTarget.parse(codeOrAddress);
        } catch (TransportException e) {
            throw new AppException(AppException.Reason.BAD_CODE, e.getMessage(), e);
        }
        claim();
        String attempt = newAttempt();
        long start = System.nanoTime();
        if (target.code().isPresent()) {
            worker.execute(() -> runDial(attempt, target.code().get(), floor, start));
        } else {
            InetSocketAddress address = target.bareAddress().orElseThrow();
            redialAddress = address;
            redialFloor = floor;
            worker.execute(() -> runDialAddress(attempt, address, floor, start, 0));
        }
        return attempt;
    }

    private void runDial(String attempt, ConnectionCode code, SecurityLevel floor, long start) {
        emit(new ChatEvent.Progress(attempt, ChatEvent.Stage.STUN, elapsed(start), "gathering candidates"));
        try (Connector.Dialing dialing = connector.dial(code, floor)) {
            emit(new ChatEvent.Progress(attempt, ChatEvent.Stage.ICE, elapsed(start), "connectivity checks"));
            emit(new ChatEvent.AnswerCode(attempt, dialing.answerCode().text()));
            PeerConnection connection = dialing.awaitPeer(transportConfig.connectTimeout(),
                    path -> tlsBegins(attempt, path, start));
            helloBegins(attempt, connection, start);
            runSession(attempt, ChatChannel.of(connection, ""), true, true, floor, start);
        } catch (TransportException e) {
            fail(attempt, transportFailure(e));
        } catch (RuntimeException e) {
            crashed(attempt, e);
        } finally {
            busy = false;
        }
    }

    private void runDialAddress(String id, InetSocketAddress address, SecurityLevel floor, long start,
            int attempt) {
        boolean retry = false;
        try {
            // No ICE on a bare address: the first packet sent is the ClientHello.
            emit(new ChatEvent.Progress(id, ChatEvent.Stage.TLS, elapsed(start), "TLS 1.3 handshake with "
                    + hostPort(address) + (attempt > 0 ? " (attempt " + (attempt + 1) + ")" : "")));
            PeerConnection connection = connector.dialAddress(address, floor, transportConfig.connectTimeout());
            helloBegins(id, connection, start);
            runSession(id, ChatChannel.of(connection, hostPort(address)), true, false, floor, start);
            retry = session != null && !closed && redialAddress != null;
        } catch (TransportException e) {
            AppException failure = transportFailure(e);
            retry = !closed && redialAddress != null && (e.reason() == TransportException.Reason.NO_ROUTE
                    || e.reason() == TransportException.Reason.PEER_TIMEOUT);
            if (!retry) {
                fail(id, failure);
            } else {
                Fingerprint peer = currentPeer;
                emit(new ChatEvent.Disconnected(peer == null ? "" : peer.displayString(),
                        ChatEvent.DisconnectKind.PEER_UNREACHABLE, failure.getMessage(), queued()));
            }
        } catch (RuntimeException e) {
            crashed(id, e);
        } finally {
            busy = false;
        }
        if (retry && attempt < 30) {
            long delay = Math.min(60_000L, 1000L << Math.min(attempt, 6));
            LOG.info("redialling {} in {} ms", hostPort(address), delay);
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                return;
            }
            if (!closed && redialAddress != null && !busy) {
                busy = true;
                runDialAddress(id, address, floor, System.nanoTime(), attempt + 1);
            }
        }
    }

    /** The checks selected a path: the TLS handshake on it begins now. */
    private void tlsBegins(String attempt, String path, long start) {
        emit(new ChatEvent.Progress(attempt, ChatEvent.Stage.TLS, elapsed(start), "TLS 1.3 handshake on the " + path
                + " path"));
    }

    /** TLS is up: the chat set-up (HELLOs, trust decision) begins; says what TLS negotiated. */
    private void helloBegins(String attempt, PeerConnection connection, long start) {
        emit(new ChatEvent.Progress(attempt, ChatEvent.Stage.HELLO, elapsed(start), connection.tlsVersion() + " "
                + connection.cipherSuite() + "; exchanging HELLOs"));
    }

    /** Runs the chat protocol on a fresh connection; returns after the conversation has ended. */
    private void runSession(String attempt, ChatChannel channel, boolean dialer, boolean codeAuthenticated,
            SecurityLevel floor, long start) {
        ChatSession s = new ChatSession(channel, dialer, codeAuthenticated, floor, username, keys,
                new StoreAdapter(), new Gate(), this::emit, random, clock, start, transportConfig.setupTimeout(),
                attempt);
        settingUp = s;
        if (closed) {
            s.abortSetup("The messenger is closing.");
        }
        try {
            ChatEvent.Connected connected;
            try {
                connected = s.establish();
            } finally {
                settingUp = null;
            }
            synchronized (sendGate) {
                // A send that queued through the conversation while s was being set up is sent now, before any
                // send can reach s directly.
                session = s;
                s.sendQueued();
            }
            currentPeer = channel.peerIdentity().fingerprint();
            SECURITY.info("connected to {} at {} over a {} path, trust {}, TLS key exchange {}",
                    currentPeer.shortForm(), connected.level(), connected.path(), connected.trust().label(),
                    connected.keyExchange());
            emit(connected);
        } catch (AppException e) {
            fail(attempt, e);
            return;
        } catch (RuntimeException e) {
            // Peer input that slipped past the parsers must cost this connection, not the worker slot.
            s.close();
            crashed(attempt, e);
            return;
        }
        while (s.isLive() && !closed) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private final class Gate implements ChatSession.TrustGate {
        @Override
        public ChatEvent.TrustMode admit(IdentityPublicKeys peer, String name, String address,
                boolean codeAuthenticated, Optional<String> certifiedName) throws AppException {
            return DefaultMessenger.this.admit(peer, name, address, codeAuthenticated, certifiedName);
        }

        @Override
        public String shownName(IdentityPublicKeys peer, String helloName) {
            Fingerprint fp = peer.fingerprint();
            if (trust.findByName(helloName).filter(p -> !p.fingerprint().equals(fp)).isEmpty()) {
                return helloName;
            }
            // Another contact's name (the user admitted this identity anyway): show it as what it is known by.
            return trust.find(fp).map(p -> p.names().get(p.names().size() - 1)).orElse(fp.shortForm());
        }
    }

    private final class StoreAdapter implements ChatSession.Conversations {
        @Override
        public Optional<Conversation> find(Fingerprint peer) throws AppException {
            return conversations.load(peer);
        }

        @Override
        public Conversation create(Fingerprint peer, String name, byte[] sessionId, SessionRecord record)
                throws AppException {
            return conversations.create(peer, name, sessionId, record);
        }
    }

    /** The trust gate: known, new, rejected, or changed (then wait for the user's decision). */
    private ChatEvent.TrustMode admit(IdentityPublicKeys peer, String name, String address, boolean codeAuthenticated,
            Optional<String> certifiedName) throws AppException {
        Fingerprint fp = peer.fingerprint();
        if (trust.isRejected(fp)) {
            SECURITY.warn("refused {}: identity previously rejected", fp.shortForm());
            throw new AppException(AppException.Reason.REJECTED, "This identity was rejected before.");
        }
        if (certifiedName.isPresent()) {
            return admitCertified(fp, certifiedName.get(), address);
        }
        Optional<TrustedPeer> known = trust.find(fp);
        if (known.isPresent()) {
            Optional<TrustedPeer> owner = known.get().names().contains(name) ? Optional.empty()
                    : trust.findByName(name).filter(p -> !p.fingerprint().equals(fp));
            if (owner.isPresent()) {
                return admitKnownUnderAnotherName(known.get(), owner.get(), name, address);
            }
            store(() -> trust.recordSeen(fp, name, address, known.get().origin()));
            return known.get().verified() ? ChatEvent.TrustMode.VERIFIED : ChatEvent.TrustMode.KNOWN;
        }
        Optional<TrustedPeer> previous = trust.findByName(name)
                .or(() -> address.isEmpty() ? Optional.empty() : trust.findByAddress(address));
        if (previous.isPresent()) {
            Fingerprint old = previous.get().fingerprint();
            SECURITY.warn("identity change: '{}' was {} and now presents {}", ChatSession.sanitize(name),
                    old.shortForm(), fp.shortForm());
            TrustDecision d = awaitDecision(fp, new ChatEvent.PeerChanged(fp.displayString(), name, old.displayString(),
                    fp.displayString(),
                    "'" + name + "' now has a different identity. Likely causes: the peer reinstalled securep2p or"
                            + " uses a new device; or someone is in between. Compare the safety number over another"
                            + " channel before you accept."));
            switch (d) {
                case REJECT:
                    store(() -> {
                        trust.reject(fp);
                        return null;
                    });
                    throw new AppException(AppException.Reason.REJECTED, "You rejected the new identity.");
                case UNTRUST:
                    throw new AppException(AppException.Reason.REJECTED, "Not accepted.");
                case ACCEPT:
                case VERIFY:
                    store(() -> trust.replaceIdentity(old, fp, name, address,
                            codeAuthenticated ? TrustOrigin.CODE : TrustOrigin.TRUST_ON_FIRST_USE));
                    if (d == TrustDecision.VERIFY) {
                        store(() -> trust.setVerified(fp, true));
                        return ChatEvent.TrustMode.VERIFIED;
                    }
                    return codeAuthenticated ? ChatEvent.TrustMode.CODE_VERIFIED : ChatEvent.TrustMode.TRUST_ON_FIRST_USE;
                default:
                    throw new AssertionError(d);
            }
        }
        TrustOrigin origin = codeAuthenticated ? TrustOrigin.CODE : TrustOrigin.TRUST_ON_FIRST_USE;
        store(() -> trust.recordSeen(fp, name, address, origin));
        SECURITY.info("new peer {} ('{}') trusted by {}", fp.shortForm(), ChatSession.sanitize(name),
                codeAuthenticated ? "the connection code" : "first use");
        return codeAuthenticated ? ChatEvent.TrustMode.CODE_VERIFIED : ChatEvent.TrustMode.TRUST_ON_FIRST_USE;
    }

    /**
     * A known identity presents a name that belongs to another contact: as dangerous as an identity change
     * (the user would see "alice" and talk to someone else), so the user is asked the same way. Whatever the
     * answer, the name is not added to this identity (the store refuses it), so findByName keeps answering with
     * the contact who holds it; accepting admits this identity as itself.
     */
    private ChatEvent.TrustMode admitKnownUnderAnotherName(TrustedPeer known, TrustedPeer owner, String name,
            String address) throws AppException {
        Fingerprint fp = known.fingerprint();
        SECURITY.warn("name conflict: known peer {} ('{}') presents '{}', the name of contact {}", fp.shortForm(),
                ChatSession.sanitize(known.names().get(known.names().size() - 1)), ChatSession.sanitize(name),
                owner.fingerprint().shortForm());
        TrustDecision d = awaitDecision(fp, new ChatEvent.PeerChanged(fp.displayString(), name,
                owner.fingerprint().displayString(),
                fp.displayString(), "A peer you know as '" + known.names().get(known.names().size() - 1)
                        + "' now calls itself '" + name + "', the name of another contact with a different identity."
                        + " Likely causes: someone is impersonating that contact, or two of your contacts chose the"
                        + " same name. It will not be shown or stored under that name; compare the safety number"
                        + " over another channel before you accept."));
        switch (d) {
            case REJECT:
                store(() -> {
                    trust.reject(fp);
                    return null;
                });
                throw new AppException(AppException.Reason.REJECTED, "You rejected this identity.");
            case UNTRUST:
                throw new AppException(AppException.Reason.REJECTED, "Not accepted.");
            case ACCEPT:
            case VERIFY:
                store(() -> trust.recordSeen(fp, name, address, known.origin()));
                if (d == TrustDecision.VERIFY) {
                    store(() -> trust.setVerified(fp, true));
                }
                return d == TrustDecision.VERIFY || known.verified() ? ChatEvent.TrustMode.VERIFIED
                        : ChatEvent.TrustMode.KNOWN;
            default:
                throw new AssertionError(d);
        }
    }

    /** Shows {@code question} and blocks this set-up (sending is refused meanwhile) until the user decides. */
    private TrustDecision awaitDecision(Fingerprint fp, ChatEvent.PeerChanged question) throws AppException {
        CompletableFuture<TrustDecision> decision = new CompletableFuture<>();
        pendingDecision = decision;
        pendingFingerprint = fp;
        emit(question);
        TrustDecision d;
        try {
            d = decision.get(DECISION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AppException(AppException.Reason.PEER_CHANGED, "No decision was made.");
        } catch (ExecutionException | TimeoutException e) {
            throw new AppException(AppException.Reason.PEER_CHANGED, "No decision was made in time.");
        } finally {
            pendingDecision = null;
            pendingFingerprint = null;
        }
        SECURITY.info("trust decision on {}: {}", fp.shortForm(), d);
        return d;
    }

    /**
     * Organisation mode: our CA vouched for this identity under {@code name} (TLS checked the certificate), so
     * the CA, not the user, decides; the certified name is what the trust store keeps. A new identity under a
     * known certified name is the CA re-issuing (a reinstall): recorded, logged and shown, not asked about.
     */
    private ChatEvent.TrustMode admitCertified(Fingerprint fp, String name, String address) throws AppException {
        Optional<TrustedPeer> known = trust.find(fp);
        if (known.isPresent()) {
            store(() -> trust.recordSeen(fp, name, address, known.get().origin()));
            return known.get().verified() ? ChatEvent.TrustMode.VERIFIED : ChatEvent.TrustMode.CA_VERIFIED;
        }
        // Only a record the CA vouched for can be re-issued: a contact of the same name met by code or on first
        // use (perhaps verified by safety number) is another person to this CA, and stays as it is.
        Optional<TrustedPeer> previous = trust.findByName(name).filter(p -> p.origin() == TrustOrigin.CA);
        if (previous.isPresent()) {
            Fingerprint old = previous.get().fingerprint();
            SECURITY.warn("identity change vouched for by the CA: '{}' was {} and now presents {}",
                    ChatSession.sanitize(name), old.shortForm(), fp.shortForm());
            store(() -> trust.replaceIdentity(old, fp, name, address, TrustOrigin.CA));
            emit(new ChatEvent.Notice(name + " has a new identity, vouched for by your organisation's CA."));
            return ChatEvent.TrustMode.CA_VERIFIED;
        }
        store(() -> trust.recordSeen(fp, name, address, TrustOrigin.CA));
        SECURITY.info("new peer {} ('{}') vouched for by the organisation CA", fp.shortForm(),
                ChatSession.sanitize(name));
        return ChatEvent.TrustMode.CA_VERIFIED;
    }

    @Override
    public String send(String peer, String text) throws AppException {
        synchronized (sendGate) {
            return sendGated(peer, text);
        }
    }

    private String sendGated(String peer, String text) throws AppException {
        Objects.requireNonNull(text, "text");
        if (peer != null) {
            Fingerprint to = resolve(peer);
            if (!to.equals(currentPeer)) {
                Conversation c = conversations.load(to).orElseThrow(() -> new AppException(
                        AppException.Reason.NOT_CONNECTED, "There is no session with this peer."));
                return c.encryptText(text).id();
            }
        }
        if (pendingDecision != null) {
            throw new AppException(AppException.Reason.PEER_CHANGED, "Sending is blocked until you decide.");
        }
        ChatSession s = session;
        if (s != null && s.isLive()) {
            return s.send(text);
        }
        Fingerprint current = currentPeer;
        if (current == null) {
            throw new AppException(AppException.Reason.NOT_CONNECTED, "Connect to a peer first.");
        }
        Conversation c = conversations.load(current).orElseThrow(() -> new AppException(
                AppException.Reason.NOT_CONNECTED, "There is no session with this peer."));
        // Not connected: encrypted and stored now, sent after the next connection confirms the session.
        return c.encryptText(text).id();
    }

    private int queued() {
        ChatSession s = session;
        return s == null || s.conversation() == null ? 0 : s.conversation().pending().size();
    }

    @Override
    public Optional<String> safetyNumber(String name) {
        Fingerprint peer;
        try {
            peer = name == null ? currentPeer : resolve(name);
        } catch (AppException e) {
            return Optional.empty();
        }
        return peer == null ? Optional.empty()
                : Optional.of(SafetyNumber.of(keys.identity().fingerprint(), peer).digits());
    }

    @Override
    public void markVerified(String name) throws AppException {
        Fingerprint peer = name == null ? currentPeer : resolve(name);
        if (peer == null) {
            throw new AppException(AppException.Reason.NOT_CONNECTED, "No peer to verify.");
        }
        store(() -> trust.setVerified(peer, true));
        SECURITY.info("peer {} marked verified by the user", peer.shortForm());
    }

    @Override
    public List<PeerInfo> peers() {
        List<PeerInfo> out = new ArrayList<>();
        for (TrustedPeer p : trust.all()) {
            out.add(new PeerInfo(p.fingerprint().displayString(), p.names(), p.firstSeen().toString(),
                    p.lastSeen().toString(), p.lastAddress(), p.verified(), p.origin().name()));
        }
        return out;
    }

    @Override
    public void decide(String fingerprint, TrustDecision decision) throws AppException {
        Fingerprint fp;
        try {
            fp = Fingerprint.parse(fingerprint);
        } catch (CryptoException e) {
            throw new AppException(AppException.Reason.UNKNOWN_PEER, "Not a fingerprint.", e);
        }
        CompletableFuture<TrustDecision> pending = pendingDecision;
        if (pending != null && fp.equals(pendingFingerprint)) {
            pending.complete(decision);
            return;
        }
        switch (decision) {
            case UNTRUST:
                if (!store(() -> trust.untrust(fp))) {
                    throw new AppException(AppException.Reason.UNKNOWN_PEER, "No such peer.");
                }
                SECURITY.info("peer {} untrusted by the user", fp.shortForm());
                break;
            case REJECT:
                store(() -> {
                        trust.reject(fp);
                        return null;
                    });
                SECURITY.info("peer {} rejected by the user", fp.shortForm());
                break;
            case VERIFY:
                if (trust.find(fp).isEmpty()) {
                    throw new AppException(AppException.Reason.UNKNOWN_PEER, "No such peer.");
                }
                store(() -> trust.setVerified(fp, true));
                SECURITY.info("peer {} marked verified by the user", fp.shortForm());
                break;
            case ACCEPT:
                if (trust.find(fp).isEmpty()) {
                    throw new AppException(AppException.Reason.UNKNOWN_PEER, "No decision is pending for it.");
                }
                break;
            default:
                throw new AssertionError(decision);
        }
    }

    @Override
    public void cancel(String attempt) {
        if (attempt != null && attempt.equals(currentAttempt) && session == null) {
            disconnect(null);
        }
    }

    @Override
    public List<ConversationInfo> conversations() {
        Fingerprint peer = currentPeer;
        ChatSession s = session;
        if (peer == null) {
            return List.of();
        }
        boolean live = s != null && s.isLive();
        String name = trust.find(peer).map(p -> p.names().get(p.names().size() - 1)).orElse(peer.shortForm());
        return List.of(new ConversationInfo(peer.displayString(), name, live, 0, Optional.empty(),
                live ? "connected" : "idle"));
    }

    @Override
    public List<org.securep2p.app.history.HistoryMessage> history(String peer, Optional<Long> before, int limit)
            throws AppException {
        resolve(peer);
        throw new AppException(AppException.Reason.STORAGE_FAILED, "The history is not wired in yet.");
    }

    @Override
    public void rename(String peer, String name) throws AppException {
        resolve(peer);
        throw new AppException(AppException.Reason.STORAGE_FAILED, "Contact names are not wired in yet.");
    }

    @Override
    public void markRead(String peer) throws AppException {
        resolve(peer);
    }

    @Override
    public int clearHistory(String peer) throws AppException {
        resolve(peer);
        throw new AppException(AppException.Reason.STORAGE_FAILED, "The history is not wired in yet.");
    }

    /** A fingerprint (spaces, colons, case ignored) or the name of a contact in the trust store. */
    private Fingerprint resolve(String peer) throws AppException {
        if (peer == null || peer.isBlank()) {
            throw new AppException(AppException.Reason.UNKNOWN_PEER, "Say which peer.");
        }
        try {
            return Fingerprint.parse(peer);
        } catch (CryptoException e) {
            return trust.findByName(peer.strip()).map(TrustedPeer::fingerprint).orElseThrow(() ->
                    new AppException(AppException.Reason.UNKNOWN_PEER, "No contact has that name."));
        }
    }

    @Override
    public void disconnect(String peer) {
        if (peer != null) {
            Fingerprint current = currentPeer;
            try {
                if (current == null || !resolve(peer).equals(current)) {
                    return;
                }
            } catch (AppException e) {
                return;
            }
        }
        redialAddress = null;
        listening = false;
        ChatSession setup = settingUp;
        if (setup != null) {
            // Ends the set-up at once: its blocked receive fails, and a pending trust decision is answered.
            setup.abortSetup("You ended the set-up.");
            CompletableFuture<TrustDecision> pending = pendingDecision;
            if (pending != null) {
                pending.complete(TrustDecision.UNTRUST);
            }
        }
        ChatSession s = session;
        if (s != null) {
            s.disconnect();
        }
        Connector.Waiting w = waiting;
        if (w != null) {
            w.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        disconnect(null);
        CompletableFuture<TrustDecision> pending = pendingDecision;
        if (pending != null) {
            pending.complete(TrustDecision.UNTRUST);
        }
        worker.shutdownNow();
        conversations.close();
    }

    private interface StoreCall<T> {
        T call() throws StoreException;
    }

    /** Trust-store calls: a store failure is the user's to see, never a silent skip. */
    private static <T> T store(StoreCall<T> call) throws AppException {
        try {
            return call.call();
        } catch (StoreException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, "The trust store: " + e.getMessage(), e);
        }
    }

    /** A new attempt id: "a" and a counter, never a fingerprint (which has 64 hex digits). */
    private String newAttempt() {
        String id = "a" + attempts.incrementAndGet();
        currentAttempt = id;
        return id;
    }

    private void claim() throws AppException {
        // A conversation that just ended (or a set-up that just failed) has told the user so a moment before its
        // worker lets go (it looks every 100 ms, or is in its finally): a wait or connect made at once must not
        // be refused as BUSY for that.
        long deadline = System.nanoTime() + CLAIM_GRACE.toNanos();
        ChatSession s = session;
        while (busy && (s == null || !s.isLive()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            s = session;
        }
        if (busy || (s != null && s.isLive())) {
            throw new AppException(AppException.Reason.BUSY, "Finish the current connection first.");
        }
        busy = true;
    }

    /**
     * A worker's last resort: an unexpected exception (a bug, or peer input no parser caught) ends this
     * connection with an event and a security-log line; the caller's finally releases the slot.
     */
    private void crashed(String attempt, RuntimeException e) {
        LOG.error("connection worker failed: {}", PeerText.forLog(String.valueOf(e)));
        LOG.debug("connection worker failure", e);
        SECURITY.warn("connection ended by an internal error ({}); the messenger goes on",
                e.getClass().getSimpleName());
        ChatSession setup = settingUp;
        if (setup != null) {
            setup.close();
        }
        emit(new ChatEvent.Failure(attempt, "Internal error: " + e.getClass().getSimpleName()
                + "; the connection was ended and you can connect again."));
    }

    private void fail(String attempt, AppException e) {
        LOG.info("connection failed: {}", e.reason());
        if (e.getCause() instanceof TransportException t) {
            logRefusedByTransport(t);
        }
        emit(new ChatEvent.Failure(attempt, e.getMessage()));
    }

    private static void logRefusedByTransport(TransportException t) {
        if (switch (t.reason()) {
            case TLS_FAILED, IDENTITY_MISMATCH, CERTIFICATE_REFUSED, DOWNGRADE, PROTOCOL_VIOLATION -> true;
            default -> false;
        }) {
            // A handshake the transport refused (wrong identity, another level, a broken TLS exchange) is a
            // security event: ChatSession never ran, so nothing else writes it to the security log.
            SECURITY.warn("connection refused by the transport: {} ({})", t.reason(),
                    ChatSession.sanitize(t.reason().sentence() + " (" + t.getMessage() + ")"));
        }
    }

    private static AppException transportFailure(TransportException e) {
        AppException.Reason reason = switch (e.reason()) {
            case DOWNGRADE -> AppException.Reason.DOWNGRADE;
            case IDENTITY_MISMATCH -> AppException.Reason.IDENTITY_MISMATCH;
            case CERTIFICATE_REFUSED -> AppException.Reason.CERTIFICATE_REFUSED;
            case BAD_CODE, UNSUPPORTED_CODE_VERSION -> AppException.Reason.BAD_CODE;
            case TLS_FAILED, PROTOCOL_VIOLATION -> AppException.Reason.SECURE_CHANNEL_FAILED;
            default -> AppException.Reason.UNREACHABLE;
        };
        return new AppException(reason, e.reason().sentence() + " (" + e.getMessage() + ")", e);
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    static String hostPort(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
