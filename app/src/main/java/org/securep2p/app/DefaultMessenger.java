package org.securep2p.app;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.securep2p.app.history.HistoryException;
import org.securep2p.app.history.HistoryMessage;
import org.securep2p.app.history.HistoryStore;
import org.securep2p.app.store.StoreException;
import org.securep2p.app.trust.TrustOrigin;
import org.securep2p.app.trust.TrustStore;
import org.securep2p.app.trust.TrustedPeer;
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
 * The {@link Messenger}: wires the key holder, the transport, the trust store, the stored conversations and the
 * history. Every wait or connect is a {@link Link} whose one {@link ConversationState} says where it stands; up to
 * {@link Messenger#MAX_CONNECTIONS} links run at once, each on a worker thread of its own with its own
 * {@link ChatSession}, all under one identity and one key manager. A bare {@code host:port} conversation that
 * drops is redialled with exponential backoff (1 s doubling to 60 s).
 *
 * <p>Guarantees: a message accepted by {@link #send} is in the history (SENDING) and in the conversation's
 * outbox before the call returns; a received message is committed to the history before it is shown, and
 * shown only by the call that stored it first (PROTOCOL.md §20.8).
 */
final class DefaultMessenger implements Messenger {

    private static final Logger LOG = LoggerFactory.getLogger(DefaultMessenger.class);
    private static final Logger SECURITY = LoggerFactory.getLogger("securep2p.security");
    private static final Duration WAIT_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration DECISION_TIMEOUT = Duration.ofMinutes(10);
    /** Why {@code send} and {@code sendFile} refuse an identity the trust store does not hold. */
    private static final String NOT_A_CONTACT = "This identity is not a trusted contact (untrusted, accepted once, or"
            + " replaced by a new identity).";
    /** What an identity change or a name conflict may be answered with. */
    private static final Set<TrustDecision> CHANGE_ANSWERS = Set.of(TrustDecision.ACCEPT, TrustDecision.VERIFY,
            TrustDecision.REJECT, TrustDecision.UNTRUST);
    /** What a stranger on the fixed port may be answered with (§20.8). */
    private static final Set<TrustDecision> STRANGER_ANSWERS = Set.of(TrustDecision.ACCEPT_ONCE,
            TrustDecision.ACCEPT, TrustDecision.REFUSE, TrustDecision.REJECT);
    /** How many times a dropped {@code host:port} conversation is dialled again. */
    private static final int MAX_REDIALS = 30;

    private final PrivateKeyOperations keys;
    private final Connector connector;
    private final TransportConfig transportConfig;
    private final TrustStore trust;
    private final ConversationStore conversations;
    private final HistoryStore history;
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
    private final ScheduledExecutorService expiry = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "history-expiry");
        t.setDaemon(true);
        return t;
    });
    private final Optional<Integer> fixedPort;
    /** Every link not yet finished, by attempt id. Opening one and counting the active ones is one step. */
    private final Map<String, Link> links = new ConcurrentHashMap<>();
    private final AtomicLong attempts = new AtomicLong();
    /**
     * One gate per peer, held by send while it decides between the live session and the outbox (and queues), and
     * by the publication of a new session with that peer: a message queued through the conversation is then in
     * the outbox before the session it must go out on is published. Never held across a network send, so a peer
     * that stops reading stalls neither another conversation nor a set-up.
     */
    private final Map<Fingerprint, Object> sendGates = new ConcurrentHashMap<>();
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
    private volatile boolean closed;
    /** Store and forward through relays (PROTOCOL.md §22.6); null until {@link #startRelays}. */
    private volatile RelayCourier courier;
    /** Reconnecting known contacts without a code (PROTOCOL.md §22.7); null until {@link #startRelays}. */
    private volatile Rendezvous rendezvous;
    /** File transfer (PROTOCOL.md §24); null until {@link #startFiles}. */
    private volatile FileTransfers files;
    /** The organisation relay's directory and chat requests (PROTOCOL.md §23); null until {@link #startOrganisation}. */
    private volatile OrganisationDirectory organisation;
    /**
     * The fixed-port listener ({@code --port}): null until {@link #openFixedPort} at start (or the first wait)
     * opens it, then open for the messenger's life (PROTOCOL.md 20.8); its accept loop sets it back to null if its
     * socket fails. Written under this; read without it (the menu shows the port).
     */
    private volatile Connector.Listener portListener;
    /** When the fixed-port listener last handed out a peer (System.nanoTime): the open wait's timeout counts from it. */
    private volatile long lastArrival;

    /** How a link began: it decides how its connection is made and whether it is dialled again. */
    enum Origin {
        WAIT,
        /** The fixed-port wait: no connection of its own; each peer the port accepts becomes an ACCEPTED link. */
        LISTEN,
        /** A peer the fixed-port listener accepted. */
        ACCEPTED,
        CODE,
        ADDRESS
    }

    /**
     * One wait or connect and the connection it becomes. Its state changes only through {@link #move}, which
     * follows {@link ConversationState#allows}; whoever moves it to {@link ConversationState.Closed} ends what the
     * state it replaced held.
     */
    final class Link {
        final String attempt;
        final Origin origin;
        final SecurityLevel floor;
        final long start;
        /** Completed when the link's worker has let go of everything (the port of a listener included). */
        final CompletableFuture<Void> done = new CompletableFuture<>();
        /** Completed when the current session ends (its Disconnected event) or the link closes. */
        volatile CompletableFuture<Void> sessionOver = new CompletableFuture<>();
        /**
         * The relay the code this link dials named (PROTOCOL.md §22.5), set before its worker starts: a side
         * without relays of its own keeps its inbox for the contact there.
         */
        volatile Optional<org.securep2p.relay.RelayAddress> offeredRelay = Optional.empty();
        /**
         * The only peer this wait lets in (PROTOCOL.md §23.4: a chat request's code travels through the relay, so
         * any member the relay shows it to could otherwise arrive), set before its code exists; empty: anybody
         * holding the code.
         */
        volatile Optional<Fingerprint> onlyPeer = Optional.empty();
        /**
         * Taken on the fixed port with no wait open and no contact (§20.8): the trust gate asks the user before
         * anything is recorded. Set before its worker starts.
         */
        volatile boolean stranger;
        /** The user accepted this stranger once: it talks as a guest, never recorded in the trust store. */
        volatile boolean guest;
        /** Where a connection taken on the fixed port came from ({@code host:port}), to show; "" otherwise. */
        volatile String from = "";
        private ConversationState state = new ConversationState.Idle();

        Link(String attempt, Origin origin, SecurityLevel floor, long start) {
            this.attempt = attempt;
            this.origin = origin;
            this.floor = floor;
            this.start = start;
        }

        synchronized ConversationState state() {
            return state;
        }

        /** Moves to {@code to} if the table allows it from here; false (nothing changed) otherwise. */
        boolean move(ConversationState to) {
            synchronized (this) {
                if (!ConversationState.allows(state, to)) {
                    return false;
                }
                state = to;
            }
            emit(new ChatEvent.ConversationsChanged());
            return true;
        }

        /** Closes the link; returns the state it replaced (already closed: that closed state). */
        ConversationState close() {
            ConversationState before;
            synchronized (this) {
                before = state;
                if (before instanceof ConversationState.Closed) {
                    return before;
                }
                state = new ConversationState.Closed(before.about());
            }
            sessionOver.complete(null);
            emit(new ChatEvent.ConversationsChanged());
            return before;
        }

        /**
         * Its session ended: out of Connected at once, to dialling again for a {@code host:port} link (its worker
         * redials), to closed otherwise, so no list shows a dead session as connected.
         */
        void sessionEnded() {
            ConversationState s = state();
            if (s instanceof ConversationState.Connected c) {
                boolean moved = c.redial().isPresent() && move(new ConversationState.Dialling(Optional.empty(),
                        c.redial(), Optional.of(c.peer())));
                if (!moved && state() instanceof ConversationState.Connected) {
                    close();
                }
            }
            sessionOver.complete(null);
        }

        /**
         * Closes the link unless it is connected (or closed already), in one step: a set-up that connects at the
         * same instant is either ended before it connects or left connected, never ended after. Returns the state
         * it replaced, empty if it changed nothing.
         */
        Optional<ConversationState> closeUnlessConnected() {
            ConversationState before;
            synchronized (this) {
                before = state;
                if (before instanceof ConversationState.Connected || before instanceof ConversationState.Closed) {
                    return Optional.empty();
                }
                state = new ConversationState.Closed(before.about());
            }
            emit(new ChatEvent.ConversationsChanged());
            return Optional.of(before);
        }

        @Override
        public String toString() {
            return "Link[" + attempt + ", " + origin + ", " + state().label() + "]";
        }
    }

    DefaultMessenger(PrivateKeyOperations keys, Connector connector, TransportConfig transportConfig, TrustStore trust,
            ConversationStore conversations, HistoryStore history, String username, ChatEvent.Ready ready,
            Optional<Integer> fixedPort, SecureRandom random, Clock clock) {
        this.keys = Objects.requireNonNull(keys);
        this.connector = Objects.requireNonNull(connector);
        this.transportConfig = Objects.requireNonNull(transportConfig);
        this.trust = Objects.requireNonNull(trust);
        this.conversations = Objects.requireNonNull(conversations);
        this.history = Objects.requireNonNull(history);
        this.username = Objects.requireNonNull(username);
        this.ready = Objects.requireNonNull(ready);
        this.fixedPort = fixedPort;
        this.random = Objects.requireNonNull(random);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * Starts store and forward (PROTOCOL.md §22.5, §22.6): an inbox on the first of {@code relays} for every
     * contact, introduced over each confirmed session; the queue of a contact who is not connected is posted into
     * the contact's inbox. {@code connect} opens a client for one relay. Call once, before any connection.
     */
    void startRelays(List<org.securep2p.relay.RelayAddress> relays,
            java.util.function.Function<org.securep2p.relay.RelayAddress, org.securep2p.relay.RelayClient> connect) {
        RelayCourier c = new RelayCourier(relays, connect, conversations.mailboxes(), new CourierHost(), random);
        courier = c;
        Rendezvous r = new Rendezvous(new RendezvousHost(), keys.identity().fingerprint(), random, clock);
        rendezvous = r;
        listeners.add(r::event);
        c.start();
        FileTransfers f = files;
        if (f != null) {
            // A file kept before any relay was connected (completed at load) could not tell its sender (§24.5).
            c.whenConnected(f::relayConnected);
        }
        c.whenConnected(r::openRecentSoon);
    }

    /**
     * Starts file transfer (PROTOCOL.md §24): stored transfers are loaded and resume at their peer's next session.
     * Call once, before {@link #startRelays} (a chunk or offer may be among the first items the courier takes) and
     * before any connection.
     */
    void startFiles(org.securep2p.app.files.TransferStore store, java.nio.file.Path downloads,
            FileTransfers.Limits limits) {
        FileTransfers f = new FileTransfers(new FilesHost(), store, downloads, limits, random, clock);
        f.start();
        files = f;
    }

    /** The file engine's view of this messenger. */
    private final class FilesHost implements FileTransfers.Host {
        @Override
        public Optional<FileLink> live(Fingerprint peer) {
            return liveSession(peer).map(s -> s);
        }

        @Override
        public Optional<CompletableFuture<Void>> postControl(Fingerprint peer, ChatPayload payload) {
            RelayCourier c = courier;
            if (c == null || !c.hasInbox(peer)) {
                return Optional.empty();
            }
            return Optional.of(c.postControl(peer, payload));
        }

        @Override
        public Optional<CompletableFuture<Void>> postChunk(Fingerprint peer, byte[] chunk) {
            RelayCourier c = courier;
            return c == null ? Optional.empty() : c.postChunk(peer, chunk);
        }

        @Override
        public String name(Fingerprint peer) {
            return nameForSentences(peer);
        }

        @Override
        public void emit(ChatEvent event) {
            DefaultMessenger.this.emit(event);
        }
    }

    /** The contact's local name for a sentence to the user, its short form when the history cannot say. */
    private String nameForSentences(Fingerprint peer) {
        try {
            return localName(peer, peer.shortForm());
        } catch (RuntimeException e) {
            return peer.shortForm();
        }
    }

    /** A FILE payload, from a live session or an inbox: the file engine's, if started. */
    private void toFiles(Fingerprint peer, org.securep2p.app.files.FileMessage message, boolean overSession) {
        FileTransfers f = files;
        if (f == null) {
            LOG.info("file message from {} ignored: file transfer not started", peer.shortForm());
            return;
        }
        f.message(peer, message, overSession);
    }

    private void toFiles(Fingerprint peer, org.securep2p.app.files.Chunk chunk, Optional<FileLink> via) {
        FileTransfers f = files;
        if (f == null) {
            LOG.info("chunk from {} ignored: file transfer not started", peer.shortForm());
            return;
        }
        f.chunk(peer, chunk, via);
    }

    private FileTransfers filesOrRefuse() throws AppException {
        FileTransfers f = files;
        if (f == null) {
            throw new AppException(AppException.Reason.UNKNOWN_FILE, "File transfer is not available.");
        }
        return f;
    }

    private static org.securep2p.app.files.FileId fileId(String id) throws AppException {
        try {
            return org.securep2p.app.files.FileId.parse(id == null ? "" : id);
        } catch (CryptoException e) {
            throw new AppException(AppException.Reason.UNKNOWN_FILE, "A file transfer id is 32 hex digits.");
        }
    }

    @Override
    public String sendFile(String peer, java.nio.file.Path path) throws AppException {
        Objects.requireNonNull(path, "path");
        Fingerprint to = peer == null ? onlyConnectedOrStored() : resolve(peer);
        if (trust.isRejected(to)) {
            throw new AppException(AppException.Reason.REJECTED, "You rejected this identity.");
        }
        if (trust.find(to).isEmpty() && !guestTalking(to)) {
            throw new AppException(AppException.Reason.UNKNOWN_PEER, NOT_A_CONTACT);
        }
        if (liveSession(to).isEmpty() && conversations.load(to).isEmpty()) {
            throw new AppException(AppException.Reason.NOT_CONNECTED,
                    "There is no session with this peer yet: connect first.");
        }
        return filesOrRefuse().send(to, path);
    }

    @Override
    public void acceptFile(String id) throws AppException {
        filesOrRefuse().accept(fileId(id));
    }

    @Override
    public void declineFile(String id) throws AppException {
        filesOrRefuse().decline(fileId(id));
    }

    @Override
    public void cancelFile(String id) throws AppException {
        filesOrRefuse().cancel(fileId(id));
    }

    @Override
    public List<TransferInfo> transfers() {
        FileTransfers f = files;
        return f == null ? List.of() : f.list();
    }

    /**
     * Starts the organisation side of the first relay (PROTOCOL.md §23.2-23.4): this member published after each
     * connection when {@code publish}, incoming chat requests checked against {@code trust} and {@code blocked}.
     * Call once, after {@link #startRelays}; without relays it does nothing.
     */
    void startOrganisation(org.securep2p.transport.cert.OrganisationTrust trust,
            org.securep2p.app.org.BlockList blocked, SecurityLevel floor, boolean publish) {
        RelayCourier c = courier;
        Optional<org.securep2p.relay.RelayClient> first = c == null ? Optional.empty() : c.firstClient();
        if (first.isEmpty()) {
            return;
        }
        OrganisationDirectory d = new OrganisationDirectory(new DirectoryHost(first.get()), trust, blocked, floor,
                publish, random, clock);
        organisation = d;
        listeners.add(d::event);
        first.get().directory().onRequest(d::received);
        first.get().addStateListener(s -> {
            if (s == org.securep2p.relay.RelayClient.State.CONNECTED) {
                d.connected();
            }
        });
        if (first.get().state() == org.securep2p.relay.RelayClient.State.CONNECTED) {
            d.connected();
        }
    }

    private OrganisationDirectory organisation() throws AppException {
        OrganisationDirectory d = organisation;
        if (d == null) {
            throw new AppException(AppException.Reason.NO_DIRECTORY, "Start with --trust ca:PATH and a relay.");
        }
        return d;
    }

    @Override
    public List<MemberInfo> members() throws AppException {
        return organisation().members();
    }

    @Override
    public Opened openMember(String name) throws AppException {
        return organisation().open(name);
    }

    @Override
    public void acceptRequest(String id) throws AppException {
        organisation().accept(id);
    }

    @Override
    public void declineRequest(String id) throws AppException {
        organisation().decline(id);
    }

    @Override
    public void block(String name) throws AppException {
        organisation().block(name);
    }

    @Override
    public boolean unblock(String name) throws AppException {
        return organisation().unblock(name);
    }

    /** The directory's view of this messenger. */
    private final class DirectoryHost implements OrganisationDirectory.Host {
        private final org.securep2p.relay.RelayClient first;

        DirectoryHost(org.securep2p.relay.RelayClient first) {
            this.first = first;
        }

        @Override
        public Optional<org.securep2p.relay.MemberDirectory> directory() {
            return Optional.of(first.directory());
        }

        @Override
        public byte[] bundle() throws CryptoException {
            return keys.preKeyBundle().encode();
        }

        @Override
        public boolean isLive(Fingerprint peer) {
            return liveSession(peer).isPresent();
        }

        @Override
        public boolean hasConversation(Fingerprint peer) {
            try {
                return conversations.load(peer).isPresent();
            } catch (AppException e) {
                return false;
            }
        }

        @Override
        public ChatEvent.Endpoint waitForMember(SecurityLevel level, Fingerprint member) throws AppException {
            return DefaultMessenger.this.waitForPeer(level, Optional.of(member));
        }

        @Override
        public void acceptAnswer(String attempt, String answerCode) throws AppException {
            DefaultMessenger.this.acceptAnswer(attempt, answerCode);
        }

        @Override
        public String connect(String code, SecurityLevel level) throws AppException {
            return DefaultMessenger.this.connect(code, level);
        }

        @Override
        public void cancelIfWaiting(String attempt) {
            Link link = links.get(attempt);
            if (link != null && link.state() instanceof ConversationState.Waiting) {
                cancel(attempt);
            }
        }

        @Override
        public void emit(ChatEvent event) {
            DefaultMessenger.this.emit(event);
        }
    }

    @Override
    public Opened open(String peer) throws AppException {
        Fingerprint fp = resolveKnown(peer);
        Rendezvous r = rendezvous;
        if (r == null) {
            if (liveSession(fp).isPresent()) {
                return new Opened("", true);
            }
            throw new AppException(AppException.Reason.UNREACHABLE, Rendezvous.NO_RELAY);
        }
        return r.open(fp);
    }

    /** The rendezvous's view of this messenger. */
    private final class RendezvousHost implements Rendezvous.Host {
        @Override
        public Optional<SecurityLevel> storedLevel(Fingerprint peer) throws AppException {
            return conversations.load(peer).map(Conversation::level);
        }

        @Override
        public boolean trusted(Fingerprint peer) {
            return trust.find(peer).isPresent() && !trust.isRejected(peer);
        }

        @Override
        public boolean isLive(Fingerprint peer) {
            return liveSession(peer).isPresent();
        }

        @Override
        public Optional<String> settingUp(Fingerprint peer) {
            return linksOf(peer).stream().filter(l -> l.state().active()
                    && !(l.state() instanceof ConversationState.Connected)).map(l -> l.attempt).findFirst();
        }

        @Override
        public boolean hasInbox(Fingerprint peer) {
            try {
                return conversations.mailboxes().load(peer).peer().isPresent();
            } catch (AppException e) {
                LOG.warn("cannot read the inboxes of {}: {}", peer.shortForm(), e.getMessage());
                return false;
            }
        }

        @Override
        public List<Fingerprint> recentContacts() {
            List<Fingerprint> out = new ArrayList<>();
            for (ConversationInfo c : conversations()) {
                try {
                    out.add(Fingerprint.parse(c.peer()));
                } catch (CryptoException e) {
                    LOG.warn("a conversation without a fingerprint");
                }
            }
            return out;
        }

        @Override
        public ChatEvent.Endpoint waitForPeer(SecurityLevel level) throws AppException {
            return DefaultMessenger.this.waitForPeer(level);
        }

        @Override
        public void acceptAnswer(String attempt, String answerCode) throws AppException {
            DefaultMessenger.this.acceptAnswer(attempt, answerCode);
        }

        @Override
        public String connect(String code, SecurityLevel level) throws AppException {
            return DefaultMessenger.this.connect(code, level);
        }

        @Override
        public void cancelIfWaiting(String attempt) {
            Link link = links.get(attempt);
            if (link != null && link.state() instanceof ConversationState.Waiting) {
                cancel(attempt);
            }
        }

        @Override
        public CompletableFuture<Void> post(Fingerprint peer, ChatPayload payload) {
            RelayCourier c = courier;
            return c.postControl(peer, payload);
        }

        @Override
        public void overRelay(Fingerprint peer) {
            courier.flush(peer);
        }

        @Override
        public String name(Fingerprint peer) {
            return nameForSentences(peer);
        }

        @Override
        public void notice(String text) {
            DefaultMessenger.this.notice(text);
        }
    }

    /** The courier's view of this messenger. */
    private final class CourierHost implements RelayCourier.Host {
        @Override
        public Optional<Conversation> conversation(Fingerprint peer) throws AppException {
            return conversations.load(peer);
        }

        @Override
        public boolean isLive(Fingerprint peer) {
            return liveSession(peer).isPresent();
        }

        @Override
        public List<Fingerprint> contacts() throws AppException {
            try {
                return conversations.stored();
            } catch (StoreException e) {
                throw new AppException(AppException.Reason.STORAGE_FAILED, e.getMessage(), e);
            }
        }

        @Override
        public ChatSession.Conversations receiver() {
            return new ChatSession.Conversations() {
                @Override
                public Optional<Conversation> find(Fingerprint peer) throws AppException {
                    return conversations.load(peer);
                }

                @Override
                public Conversation create(Fingerprint peer, String name, byte[] sessionId, SessionRecord record)
                        throws AppException {
                    throw new AppException(AppException.Reason.PROTOCOL, "no handshake outside a session");
                }

                @Override
                public boolean remembersReceived() {
                    return history.keepsMessages();
                }

                @Override
                public boolean received(Fingerprint peer, Conversation.Inbound m) throws AppException {
                    return keepReceived(peer, m);
                }

                @Override
                public void rendezvous(Fingerprint peer, ChatPayload payload) {
                    toRendezvous(peer, payload);
                }

                @Override
                public void file(Fingerprint peer, org.securep2p.app.files.FileMessage message) {
                    toFiles(peer, message, false);
                }

                @Override
                public void chunk(Fingerprint peer, org.securep2p.app.files.Chunk chunk, Optional<FileLink> via) {
                    toFiles(peer, chunk, via);
                }
            };
        }

        @Override
        public void event(ChatEvent event) {
            onConversationEvent(event);
        }
    }

    /** The rendezvous, if relays were started (tests). */
    Optional<Rendezvous> rendezvous() {
        return Optional.ofNullable(rendezvous);
    }

    /** The live session with {@code peer}, if any (tests that play a misbehaving peer). */
    Optional<ChatSession> session(Fingerprint peer) {
        return liveSession(peer);
    }

    /** The file engine, if started (tests). */
    Optional<FileTransfers> files() {
        return Optional.ofNullable(files);
    }

    /** The courier, if relays were started (tests). */
    Optional<RelayCourier> courier() {
        return Optional.ofNullable(courier);
    }

    /**
     * Deletes the messages the history's retention no longer allows, now (in the background) and then once a
     * day. A failure is logged and tried again the next day: it never stops the messenger. The first run also
     * fails the sends a previous run left behind ({@link #failOrphanedSends}).
     */
    void startHistoryExpiry() {
        Instant started = clock.instant();
        expiry.execute(() -> failOrphanedSends(started));
        // Runs until the executor is shut down; the task catches and logs its own failures, so the future
        // would never carry one.
        var unused = expiry.scheduleAtFixedRate(() -> {
            try {
                int n = history.expire(clock.instant());
                LOG.info("history retention: {} expired messages deleted", n);
            } catch (HistoryException e) {
                LOG.warn("history retention: expiry failed: {} ({})", e.reason(), e.getMessage());
                if (e.reason() == HistoryException.Reason.CORRUPT
                        || e.reason() == HistoryException.Reason.UNKNOWN_VERSION) {
                    // The first call is where the store opens the file (lazily, for a fast start): the user must
                    // hear at once, not at the first message, that it was refused.
                    notice("The message history was refused and left untouched: " + e.getMessage()
                            + " Until it is moved aside, received messages wait in the conversation files and are"
                            + " not shown.");
                }
            } catch (RuntimeException e) {
                LOG.warn("history retention: expiry failed: {}", e.getClass().getSimpleName());
            }
        }, 0, 1, TimeUnit.DAYS);
    }

    /**
     * A row still SENDING, written before {@code before} (this run's start), whose id is in no conversation's
     * outbox, is a send a previous run stored in the history and never queued (it stopped between the two steps,
     * PROTOCOL.md 20.8): it becomes FAILED, so it is not shown as "sending" forever. Sends of this run are
     * younger than {@code before} and left alone. Returns how many it failed; a failure is logged.
     */
    int failOrphanedSends(Instant before) {
        int failed = 0;
        try {
            for (HistoryStore.ConversationSummary c : history.conversations()) {
                java.util.Set<String> queued = new java.util.HashSet<>();
                conversations.load(c.peer()).ifPresent(conv -> conv.pending().forEach(p -> queued.add(p.id())));
                Optional<Long> page = Optional.empty();
                while (true) {
                    List<HistoryMessage> rows = history.page(c.peer(), page, 1000);
                    for (HistoryMessage m : rows) {
                        if (m.direction() == HistoryMessage.Direction.SENT
                                && m.delivery() == HistoryMessage.Delivery.SENDING && m.time().isBefore(before)
                                && !queued.contains(m.id())) {
                            history.updateDelivery(c.peer(), m.id(), HistoryMessage.Delivery.FAILED,
                                    Optional.of("not sent: the program stopped before it was stored"));
                            failed++;
                        }
                    }
                    if (rows.size() < 1000) {
                        break;
                    }
                    page = Optional.of(rows.get(0).position());
                }
            }
        } catch (HistoryException e) {
            LOG.warn("history: cannot check for sends left behind: {}", e.reason());
        } catch (AppException e) {
            LOG.warn("cannot check for sends left behind: {}", e.reason());
        }
        if (failed > 0) {
            LOG.info("{} sends left behind by the previous run marked failed", failed);
            emit(new ChatEvent.ConversationsChanged());
        }
        return failed;
    }

    /**
     * Starts {@link ConnectWarmup} on a thread of its own: the user's first connection then runs warm code
     * (PROTOCOL.md §14.1). Nothing waits for it, a failure is only logged, and a connection started meanwhile
     * simply shares the CPU with it.
     */
    @SuppressWarnings("ThreadPriorityCheck") // a hint only: the warm-up must yield to the user's own work
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
        FileTransfers f = files;
        if (f != null) {
            // A front end listens (the messenger's own parts add theirs directly): files found whole at start can
            // complete now, their file_done has somebody to reach (§24.5).
            f.completeHeldFiles();
        }
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

    // ---------------------------------------------------------------- links

    /**
     * Opens a link if fewer than {@link Messenger#MAX_CONNECTIONS} are active; counting and adding are one step,
     * so concurrent calls cannot exceed the limit.
     */
    private Link open(Origin origin, SecurityLevel floor) throws AppException {
        synchronized (links) {
            // Under the lock close() sets it with: no link is added after close() has ended the others.
            if (closed) {
                throw new AppException(AppException.Reason.BUSY, "The messenger is closing.");
            }
            // A link still gathering (idle until its wait is up) holds a slot too: count all but the closed ones.
            long active = links.values().stream().filter(l -> !(l.state() instanceof ConversationState.Closed))
                    .count();
            if (active >= MAX_CONNECTIONS) {
                throw new AppException(AppException.Reason.BUSY, "At most " + MAX_CONNECTIONS
                        + " connections and waits at once; end one first.");
            }
            // "a" and a counter: never 64 hex digits, so an attempt id is never taken for a fingerprint.
            Link link = new Link("a" + attempts.incrementAndGet(), origin, floor, System.nanoTime());
            links.put(link.attempt, link);
            return link;
        }
    }

    /** The worker is done with {@code link}: closed, forgotten, and whoever waits for its port is told. */
    private void finish(Link link) {
        link.close();
        links.remove(link.attempt);
        link.done.complete(null);
    }

    /**
     * Closes {@code link} and ends what its state held: the transport's wait, the set-up (its blocked receive
     * fails), the pending decision, or the session (BYE). The worker sees the closed state and stops.
     */
    private void end(Link link) {
        ConversationState before = link.close();
        if (link.origin == Origin.LISTEN) {
            // The fixed-port wait has no worker of its own to let go of it; the listener stays (20.8).
            finish(link);
        }
        release(before);
    }

    /** Ends what a state a link just left for closed held (see {@link #end}). */
    private void release(ConversationState before) {
        if (before instanceof ConversationState.Waiting w) {
            w.handle().ifPresent(Connector.Waiting::close);
        } else if (before instanceof ConversationState.Dialling d) {
            d.setup().ifPresent(s -> s.abortSetup("You ended the set-up."));
        } else if (before instanceof ConversationState.Deciding d) {
            d.decision().complete(TrustDecision.UNTRUST);
            d.setup().abortSetup("You ended the set-up.");
        } else if (before instanceof ConversationState.Connected c) {
            c.session().disconnect();
        }
    }

    /** The links whose state is about {@code peer}. */
    private List<Link> linksOf(Fingerprint peer) {
        return links.values().stream().filter(l -> l.state().about().filter(peer::equals).isPresent()).toList();
    }

    /**
     * True while a stranger the user accepted once on the fixed port (§20.8) has a link that is not closed: it is
     * in no trust store, yet sendable to until then. Read from the links themselves, so the instant the list shows
     * the conversation idle, nothing more can be sent or queued to the guest.
     */
    private boolean guestTalking(Fingerprint peer) {
        return linksOf(peer).stream().anyMatch(l -> l.guest && l.state().active());
    }

    /** The live session with {@code peer}, if one is connected. */
    private Optional<ChatSession> liveSession(Fingerprint peer) {
        for (Link l : linksOf(peer)) {
            if (l.state() instanceof ConversationState.Connected c && c.session().isLive()) {
                return Optional.of(c.session());
            }
        }
        return Optional.empty();
    }

    /** The peers with a live session. */
    private List<Fingerprint> connectedPeers() {
        List<Fingerprint> out = new ArrayList<>();
        for (Link l : links.values()) {
            if (l.state() instanceof ConversationState.Connected c && c.session().isLive()
                    && !out.contains(c.peer())) {
                out.add(c.peer());
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- waiting

    @Override
    public ChatEvent.Endpoint waitForPeer(SecurityLevel floor) throws AppException {
        return waitForPeer(floor, Optional.empty());
    }

    /**
     * A wait that lets in only {@code only} when given: anybody else who arrives with its code is refused
     * ({@code IDENTITY_MISMATCH}) before the chat set-up, and the wait ends.
     */
    ChatEvent.Endpoint waitForPeer(SecurityLevel floor, Optional<Fingerprint> only) throws AppException {
        if (fixedPort.isPresent()) {
            if (only.isPresent()) {
                throw new AppException(AppException.Reason.NO_WAIT, "With a fixed port there is no code to send: the"
                        + " member connects to your port.");
            }
            return listen(floor);
        }
        Link link = open(Origin.WAIT, floor);
        link.onlyPeer = only;
        try {
            emit(new ChatEvent.Progress(link.attempt, ChatEvent.Stage.STUN, Duration.ZERO, "gathering candidates"));
            NatBehaviour known = recentNat().orElse(null);
            Connector.Waiting w = known != null ? connector.waitForPeer(floor, known) : connector.waitForPeer(floor);
            if (!link.move(new ConversationState.Waiting(Optional.of(w)))) {
                w.close();
                throw new AppException(AppException.Reason.NO_WAIT, "The wait was ended.");
            }
            ConnectionCode code = shownOffer(w.code());
            // The plain endpoint: the public (server-reflexive) address if there is one, else the first candidate.
            String plain = code.candidates().stream()
                    .sorted(Comparator.comparing(c -> c.type() != org.securep2p.transport.Candidate.Type.SERVER_REFLEXIVE))
                    .findFirst().map(c -> hostPort(c.address())).orElse("");
            ChatEvent.Endpoint endpoint = new ChatEvent.Endpoint(link.attempt, code.text(), plain,
                    code.answerNeeded() ? "ANSWER_NEEDED" : "ONE_CODE", waitAdvice(w.natBehaviour(),
                            code.answerNeeded()), code.answerNeeded());
            emit(endpoint);
            worker.execute(() -> runWait(link, w));
            return endpoint;
        } catch (TransportException e) {
            finish(link);
            throw transportFailure(e);
        } catch (AppException | RuntimeException e) {
            finish(link);
            throw e;
        }
    }

    /**
     * The fixed-port wait ({@code --port}, PROTOCOL.md 20.8): the first wait opens the process's one
     * {@link Connector.Listener} and its accept loop; each peer it accepts gets a link of its own, and the wait
     * goes on for the next one. Waiting again at the same level is what is already happening; another level
     * replaces the wait and changes the listener's level for handshakes that start from now on.
     */
    private synchronized ChatEvent.Endpoint listen(SecurityLevel floor) throws AppException {
        for (Link l : links.values()) {
            if (l.origin == Origin.LISTEN && l.state() instanceof ConversationState.Waiting) {
                if (l.floor == floor) {
                    ChatEvent.Endpoint endpoint = fixedPortEndpoint(l.attempt);
                    emit(endpoint);
                    return endpoint;
                }
                end(l);
            }
        }
        Link link = open(Origin.LISTEN, floor);
        lastArrival = System.nanoTime();
        // Waiting before the listener hands out anybody: a peer it accepts at once finds the wait open.
        link.move(new ConversationState.Waiting(Optional.empty()));
        try {
            if (!ensureListener(floor)) {
                portListener.changeLevel(floor);
            }
        } catch (TransportException e) {
            end(link);
            throw transportFailure(e);
        } catch (RuntimeException e) {
            end(link);
            throw e;
        }
        ChatEvent.Endpoint endpoint = fixedPortEndpoint(link.attempt);
        emit(endpoint);
        emit(new ChatEvent.Progress(link.attempt, ChatEvent.Stage.ICE, elapsed(link.start),
                "listening on UDP port " + fixedPort.get()));
        return endpoint;
    }

    /**
     * Opens the fixed port ({@code --port}) at start (PROTOCOL.md §20.8): from now on a known contact may connect
     * at any time and a stranger is asked about, with no wait open. Handshakes run at {@code floor} until a wait
     * at another level changes it. Does nothing without {@code --port} or when the listener is open already.
     *
     * @throws AppException if the port cannot be opened (in use, not allowed)
     */
    synchronized void openFixedPort(SecurityLevel floor) throws AppException {
        if (fixedPort.isEmpty()) {
            return;
        }
        try {
            ensureListener(floor);
        } catch (TransportException e) {
            throw transportFailure(e);
        }
        LOG.info("listening on UDP port {} for contacts", fixedPort.get());
    }

    /** Opens the listener and its accept loop if none runs; true if it opened one (at {@code floor}). */
    private synchronized boolean ensureListener(SecurityLevel floor) throws TransportException {
        if (portListener != null) {
            return false;
        }
        Connector.Listener listener = connector.listen(fixedPort.orElseThrow(), floor, this::refusedOnPort);
        try {
            worker.execute(() -> runAccept(listener));
        } catch (RuntimeException e) {
            listener.close();
            throw e;
        }
        portListener = listener;
        return true;
    }

    @Override
    public Optional<Integer> listeningPort() {
        return portListener == null ? Optional.empty() : fixedPort;
    }

    /** The open fixed-port wait, if there is one. */
    private Optional<Link> portWait() {
        return links.values().stream().filter(l -> l.origin == Origin.LISTEN
                && l.state() instanceof ConversationState.Waiting).findFirst();
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

    private void runWait(Link link, Connector.Waiting w) {
        try {
            emit(new ChatEvent.Progress(link.attempt, ChatEvent.Stage.ICE, elapsed(link.start),
                    "waiting for the peer"));
            PeerConnection connection = w.awaitPeer(WAIT_TIMEOUT, path -> tlsBegins(link, path));
            Optional<Fingerprint> only = link.onlyPeer;
            Fingerprint arrived = connection.peerIdentity().fingerprint();
            if (only.isPresent() && !only.get().equals(arrived)) { // Fingerprint.equals is constant-time
                SECURITY.warn("wait {} for {} refused {}: another peer than the one asked", link.attempt,
                        only.get().shortForm(), arrived.shortForm());
                connection.close();
                fail(link.attempt, new AppException(AppException.Reason.IDENTITY_MISMATCH, "Another member ("
                        + arrived.shortForm() + ") arrived at the wait for " + only.get().shortForm()
                        + ": refused."));
                return;
            }
            if (!link.move(new ConversationState.Dialling(Optional.empty(), Optional.empty(), Optional.empty()))) {
                connection.close();
                return;
            }
            helloBegins(link, connection);
            runSession(link, ChatChannel.of(connection, ""), false, false);
        } catch (TransportException e) {
            if (link.state().active()) {
                fail(link.attempt, transportFailure(e));
            }
        } catch (RuntimeException e) {
            crashed(link.attempt, e);
        } finally {
            w.close();
            finish(link);
        }
    }

    /**
     * The fixed-port listener's accept loop, for the messenger's life: each connection it hands out gets a link
     * of its own (within {@link Messenger#MAX_CONNECTIONS}) and runs the chat set-up on a worker of its own, so
     * one peer's set-up, trust decision or session never holds up the next peer. A peer is taken while a wait is
     * open, and without one only if it is a contact we know (its {@code host:port} link redials after a drop);
     * anybody else is refused. The open wait ends when nobody arrived for {@link #WAIT_TIMEOUT}.
     */
    private void runAccept(Connector.Listener listener) {
        try {
            while (!closed) {
                PeerConnection connection;
                try {
                    connection = listener.accept(Duration.ofSeconds(1));
                } catch (TransportException e) {
                    if (e.reason() == TransportException.Reason.PEER_TIMEOUT) {
                        expirePortWait();
                        continue;
                    }
                    if (!closed && e.reason() != TransportException.Reason.CLOSED) {
                        Optional<Link> wait = portWait();
                        fail(wait.map(l -> l.attempt).orElse(""), transportFailure(e));
                        wait.ifPresent(this::end);
                    }
                    return;
                }
                lastArrival = System.nanoTime();
                try {
                    take(connection);
                } catch (RuntimeException e) {
                    // One peer's connection that slipped past the checks costs that connection, not the port.
                    closeAside(connection);
                    crashed("", e);
                }
            }
        } catch (RuntimeException e) {
            crashed("", e);
        } finally {
            synchronized (this) {
                if (portListener == listener) {
                    portListener = null;
                }
            }
            listener.close();
        }
    }

    /** Hands one accepted connection to a link of its own, or refuses it (closed, logged, reported). */
    private void take(PeerConnection connection) {
        Optional<Link> wait = portWait();
        String about = wait.map(l -> l.attempt).orElse("");
        Fingerprint fp = connection.peerIdentity().fingerprint();
        boolean stranger = wait.isEmpty() && trust.find(fp).isEmpty();
        if (wait.isEmpty() && trust.isRejected(fp)) {
            SECURITY.warn("refused {} on UDP port {}: a rejected identity", fp.shortForm(), fixedPort.orElse(0));
            closeAside(connection);
            return;
        }
        if (stranger && strangerAsking()) {
            // One question at a time: a stream of fresh identities must not bury the user in prompts or hold
            // every slot for the decision's ten minutes.
            SECURITY.warn("refused {} on UDP port {}: another stranger's question is open", fp.shortForm(),
                    fixedPort.orElse(0));
            closeAside(connection);
            return;
        }
        Link link;
        try {
            // The level the handshake ran at: a wait opened at another level meanwhile applies to later ones.
            link = open(Origin.ACCEPTED, connection.level());
        } catch (AppException e) {
            SECURITY.warn("refused {} on UDP port {}: {}", fp.shortForm(), fixedPort.orElse(0), e.getMessage());
            closeAside(connection);
            emit(new ChatEvent.Failure(about, e.getMessage()));
            return;
        }
        link.stranger = stranger;
        link.from = connection.fixedPeerAddress().map(a -> (a.getAddress() instanceof java.net.Inet6Address
                ? "[" + a.getAddress().getHostAddress() + "]" : a.getAddress().getHostAddress()) + ":" + a.getPort())
                .orElse("");
        link.move(new ConversationState.Dialling(Optional.empty(), Optional.empty(), Optional.empty()));
        worker.execute(() -> {
            try {
                if (!link.state().active() || closed) {
                    connection.close();
                    return;
                }
                helloBegins(link, connection);
                runSession(link, ChatChannel.of(connection, ""), false, false);
            } catch (RuntimeException e) {
                crashed(link.attempt, e);
            } finally {
                finish(link);
            }
        });
    }

    /** True while a stranger taken on the fixed port is still setting up or waiting for the user's answer. */
    private boolean strangerAsking() {
        return links.values().stream().anyMatch(l -> l.stranger && (l.state() instanceof ConversationState.Dialling
                || l.state() instanceof ConversationState.Deciding));
    }

    /**
     * Closes a refused connection on a worker: a graceful close waits for the peer's acknowledgement (up to the
     * close timeout, 13.6), and a peer that never sends one must not hold up the accept loop.
     */
    private void closeAside(PeerConnection connection) {
        try {
            worker.execute(connection::close);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            connection.close(); // closing: nothing else waits on this thread any more
        }
    }

    /** A handshake on the port failed (another level, a scanner): reported; the listener and the wait go on. */
    private void refusedOnPort(TransportException e) {
        Optional<Link> wait = portWait();
        fail(wait.map(l -> l.attempt).orElse(""), transportFailure(e));
        if (wait.isPresent()) {
            emit(new ChatEvent.Notice("Still waiting on UDP port " + fixedPort.orElse(0) + "."));
        }
    }

    /** Ends the open fixed-port wait once nobody arrived for {@link #WAIT_TIMEOUT}; the listener stays. */
    private void expirePortWait() {
        Optional<Link> wait = portWait();
        if (wait.isPresent() && System.nanoTime() - Math.max(wait.get().start, lastArrival)
                > WAIT_TIMEOUT.toNanos()) {
            fail(wait.get().attempt, new AppException(AppException.Reason.UNREACHABLE, "Nobody connected to UDP port "
                    + fixedPort.orElse(0) + " within " + WAIT_TIMEOUT.toMinutes() + " minutes."));
            end(wait.get());
        }
    }

    @Override
    public void acceptAnswer(String attempt, String answerCode) throws AppException {
        Link link = attempt == null ? null : links.get(attempt);
        if (link == null || !(link.state() instanceof ConversationState.Waiting w) || w.handle().isEmpty()) {
            throw new AppException(AppException.Reason.NO_WAIT, "There is no such wait running.");
        }
        try {
            ConnectionCode code = ConnectionCode.parse(answerCode);
            w.handle().get().acceptAnswer(code);
        } catch (TransportException e) {
            throw transportFailure(e);
        }
    }

    // ---------------------------------------------------------------- dialling

    @Override
    public String connect(String codeOrAddress, SecurityLevel floor) throws AppException {
        ConnectionTarget target;
        try {
            target = ConnectionTarget.parse(codeOrAddress);
        } catch (TransportException e) {
            throw new AppException(AppException.Reason.BAD_CODE, e.getMessage(), e);
        }
        if (target.code().isPresent()) {
            // Checked before anything connects: a code naming something that is not a relay is refused whole.
            Optional<org.securep2p.relay.RelayAddress> offeredRelay = offeredRelay(target.code().get());
            Link link = open(Origin.CODE, floor);
            link.offeredRelay = offeredRelay;
            // A code names the waiter's identity (TLS is pinned to it): the set-up is about that peer from the
            // start, so a disconnect of the peer ends it and the list shows it dialling.
            link.move(new ConversationState.Dialling(Optional.empty(), Optional.empty(),
                    Optional.of(target.code().get().identity())));
            start(link, () -> runDial(link, target.code().get()));
            return link.attempt;
        }
        InetSocketAddress address = target.bareAddress().orElseThrow();
        Link link = open(Origin.ADDRESS, floor);
        link.move(new ConversationState.Dialling(Optional.empty(), Optional.of(address), Optional.empty()));
        start(link, () -> runDialAddress(link, address));
        return link.attempt;
    }

    /** The relay an offer code names (version 2, PROTOCOL.md §11.4), read as §22.2 says; BAD_CODE if it is not one. */
    private static Optional<org.securep2p.relay.RelayAddress> offeredRelay(ConnectionCode code) throws AppException {
        if (code.relay().isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(org.securep2p.relay.RelayAddress.parse(code.relay().get()));
        } catch (org.securep2p.relay.RelayException e) {
            // The address is no secret (it is in the code the user pasted); the relay's sentence says what is wrong.
            throw new AppException(AppException.Reason.BAD_CODE, "The code names a relay that is not a relay address ("
                    + code.relay().get() + "): " + e.getMessage(), e);
        }
    }

    /**
     * The offer code as shown: with this side's first relay in it (PROTOCOL.md §22.5) when it has one and the
     * address fits beside the candidates; else as the transport made it (version 1).
     */
    private ConnectionCode shownOffer(ConnectionCode code) {
        RelayCourier c = courier;
        Optional<org.securep2p.relay.RelayAddress> first = c == null ? Optional.empty() : c.firstRelay();
        if (first.isEmpty()) {
            return code;
        }
        String text = first.get().toString();
        if (text.length() > code.relayRoom()) {
            LOG.info("the relay address does not fit beside {} candidates: the code leaves it out",
                    code.candidates().size());
            return code;
        }
        return code.withRelay(text);
    }

    /** Runs a link's worker; if the pool was shut down meanwhile (close), the link is finished, not left behind. */
    private void start(Link link, Runnable work) throws AppException {
        try {
            worker.execute(work);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            finish(link);
            throw new AppException(AppException.Reason.BUSY, "The messenger is closing.");
        }
    }

    private void runDial(Link link, ConnectionCode code) {
        emit(new ChatEvent.Progress(link.attempt, ChatEvent.Stage.STUN, elapsed(link.start),
                "gathering candidates"));
        try (Connector.Dialing dialing = connector.dial(code, link.floor)) {
            emit(new ChatEvent.Progress(link.attempt, ChatEvent.Stage.ICE, elapsed(link.start),
                    "connectivity checks"));
            emit(new ChatEvent.AnswerCode(link.attempt, dialing.answerCode().text()));
            PeerConnection connection = dialing.awaitPeer(transportConfig.connectTimeout(),
                    path -> tlsBegins(link, path));
            if (!link.state().active()) {
                connection.close();
                return;
            }
            helloBegins(link, connection);
            runSession(link, ChatChannel.of(connection, ""), true, true);
        } catch (TransportException e) {
            if (link.state().active()) {
                fail(link.attempt, transportFailure(e));
            }
        } catch (RuntimeException e) {
            crashed(link.attempt, e);
        } finally {
            finish(link);
        }
    }

    /**
     * Dials a bare address; after a conversation drops, or while the address does not answer, dials it again
     * with backoff until the link is ended or {@link #MAX_REDIALS} attempts have failed.
     */
    private void runDialAddress(Link link, InetSocketAddress address) {
        try {
            long start = link.start;
            for (int attempt = 0; attempt <= MAX_REDIALS; attempt++) {
                boolean retry;
                try {
                    // No ICE on a bare address: the first packet sent is the ClientHello.
                    emit(new ChatEvent.Progress(link.attempt, ChatEvent.Stage.TLS, elapsed(start),
                            "TLS 1.3 handshake with " + hostPort(address)
                                    + (attempt > 0 ? " (attempt " + (attempt + 1) + ")" : "")));
                    PeerConnection connection = connector.dialAddress(address, link.floor,
                            transportConfig.connectTimeout());
                    if (!link.state().active()) {
                        connection.close();
                        return;
                    }
                    helloBegins(link, connection, start);
                    retry = runSession(link, ChatChannel.of(connection, hostPort(address)), true, false, start);
                } catch (TransportException e) {
                    AppException failure = transportFailure(e);
                    retry = e.reason() == TransportException.Reason.NO_ROUTE
                            || e.reason() == TransportException.Reason.PEER_TIMEOUT;
                    if (!link.state().active()) {
                        return;
                    }
                    if (!retry) {
                        fail(link.attempt, failure);
                    } else {
                        Optional<Fingerprint> peer = link.state().about();
                        emit(new ChatEvent.Disconnected(peer.map(Fingerprint::displayString).orElse(""),
                                ChatEvent.DisconnectKind.PEER_UNREACHABLE, failure.getMessage(),
                                peer.map(this::queued).orElse(0)));
                    }
                }
                ConversationState now = link.state();
                if (!retry || closed || !now.active()) {
                    return;
                }
                if (now instanceof ConversationState.Connected
                        && !link.move(new ConversationState.Dialling(Optional.empty(), Optional.of(address),
                                now.about()))) {
                    return;
                }
                long delay = Math.min(60_000L, 1000L << Math.min(attempt, 6));
                LOG.info("redialling {} in {} ms", hostPort(address), delay);
                if (!sleepWhileActive(link, delay)) {
                    return;
                }
                start = System.nanoTime();
            }
        } catch (RuntimeException e) {
            crashed(link.attempt, e);
        } finally {
            finish(link);
        }
    }

    /** Sleeps {@code millis} in short steps; false as soon as the link is ended. */
    private boolean sleepWhileActive(Link link, long millis) {
        long until = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < until) {
            if (!link.state().active() || closed) {
                return false;
            }
            try {
                Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000L)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return link.state().active() && !closed;
    }

    /** The checks selected a path: the TLS handshake on it begins now. */
    private void tlsBegins(Link link, String path) {
        emit(new ChatEvent.Progress(link.attempt, ChatEvent.Stage.TLS, elapsed(link.start),
                "TLS 1.3 handshake on the " + path + " path"));
    }

    private void helloBegins(Link link, PeerConnection connection) {
        helloBegins(link, connection, link.start);
    }

    /** TLS is up: the chat set-up (HELLOs, trust decision) begins; says what TLS negotiated. */
    private void helloBegins(Link link, PeerConnection connection, long start) {
        emit(new ChatEvent.Progress(link.attempt, ChatEvent.Stage.HELLO, elapsed(start), connection.tlsVersion()
                + " " + connection.cipherSuite() + "; exchanging HELLOs"));
    }

    private boolean runSession(Link link, ChatChannel channel, boolean dialer, boolean codeAuthenticated) {
        return runSession(link, channel, dialer, codeAuthenticated, link.start);
    }

    /**
     * Runs the chat protocol on a fresh connection; returns after the conversation has ended: true if it was
     * connected (a {@code host:port} link then dials again), false if the set-up failed or the link was ended.
     */
    private boolean runSession(Link link, ChatChannel channel, boolean dialer, boolean codeAuthenticated,
            long start) {
        link.sessionOver = new CompletableFuture<>();
        ChatSession s = new ChatSession(channel, dialer, codeAuthenticated, link.floor, username, keys,
                new StoreAdapter(link), new Gate(link), e -> onSessionEvent(link, e), random, clock, start,
                transportConfig.setupTimeout(), link.attempt);
        ConversationState before = link.state();
        Optional<InetSocketAddress> redial = before instanceof ConversationState.Dialling d ? d.redial()
                : Optional.empty();
        if (closed || !link.move(new ConversationState.Dialling(Optional.of(s), redial, before.about()))) {
            s.abortSetup("You ended the set-up.");
        }
        ChatEvent.Connected connected;
        Fingerprint peer;
        try {
            connected = s.establish();
            peer = channel.peerIdentity().fingerprint();
            boolean published;
            synchronized (gateOf(peer)) {
                published = link.move(new ConversationState.Connected(peer, s, redial));
            }
            if (!published) {
                s.disconnect();
                return false;
            }
            // A send that queued through the conversation while s was being set up goes out now (a direct send
            // that comes first sends it before itself, see ChatSession.send); outside the gate, as it may block.
            s.sendQueued();
        } catch (AppException e) {
            if (link.state().active()) {
                fail(link.attempt, e);
            } else {
                emit(new ChatEvent.Failure(link.attempt, e.getMessage()));
            }
            return false;
        } catch (RuntimeException e) {
            // Peer input that slipped past the parsers must cost this connection, not the worker slot.
            s.close();
            crashed(link.attempt, e);
            return false;
        }
        SECURITY.info("connected to {} at {} over a {} path, trust {}, TLS key exchange {}", peer.shortForm(),
                connected.level(), connected.path(), connected.trust().label(), connected.keyExchange());
        nameContact(peer, connected.name());
        // The name the user knows the contact by, not the one the peer chose (the HELLO's).
        emit(new ChatEvent.Connected(connected.peer(), connected.attempt(), localName(peer, connected.name()),
                connected.safetyNumber(), connected.level(), connected.path(), connected.trust(),
                connected.resumed(), connected.verified(), connected.certifiedName(), connected.keyExchange(),
                connected.elapsed()));
        RelayCourier relay = courier;
        if (relay != null && !link.guest) {
            // A guest (accepted once) gets no inbox: it is no contact once this conversation ends.
            relay.introduce(peer, s, link.offeredRelay);
        }
        FileTransfers f = files;
        if (f != null) {
            // Receivers say what they hold, unanswered offers go again (§24.5).
            f.sessionUp(peer, s);
        }
        // The session's Disconnected event (or the link's end) moves the link at once (Link.sessionEnded); the
        // timed wait is only a fallback for a session closed without one.
        while (s.isLive() && !closed && link.state() instanceof ConversationState.Connected) {
            try {
                link.sessionOver.get(1, TimeUnit.SECONDS);
                break;
            } catch (TimeoutException e) {
                // Still live: wait on.
            } catch (ExecutionException e) {
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** The contact's local name; {@code fallback} (the announced one) if it has none or the history fails. */
    private String localName(Fingerprint peer, String fallback) {
        try {
            return history.contactName(peer).orElse(fallback);
        } catch (HistoryException e) {
            LOG.warn("history: cannot read a contact name: {}", e.reason());
            return fallback;
        }
    }

    /**
     * The user accepted {@code now} in place of {@code old}: the name the user knows the contact by goes with it
     * (so {@code send alice} reaches the new identity), and the old conversation stays listed as "name (old
     * identity)" (or the old short form). A failure is logged: the new identity then gets its announced name.
     */
    private void moveLocalName(Fingerprint old, Fingerprint now) {
        try {
            Optional<String> name = history.contactName(old);
            if (name.isEmpty() || history.contactName(now).isPresent()) {
                return;
            }
            String retired = name.get() + " (old identity)";
            try {
                if (localNameProblem(retired).isPresent()) {
                    throw new HistoryException(HistoryException.Reason.NAME_TAKEN, "too long");
                }
                history.setContactName(old, retired);
            } catch (HistoryException e) {
                if (e.reason() != HistoryException.Reason.NAME_TAKEN) {
                    throw e;
                }
                history.setContactName(old, old.shortForm());
            }
            history.setContactName(now, name.get());
            emit(new ChatEvent.ConversationsChanged());
        } catch (HistoryException e) {
            LOG.warn("cannot move the contact's name to its new identity: {}", e.reason());
        }
    }

    /**
     * A contact without a local name gets the one its peer announced; if another contact has it, the announced
     * name and a number ("bob (2)"), so names stay unique in the user's list.
     */
    private void nameContact(Fingerprint peer, String announced) {
        try {
            if (history.contactName(peer).isPresent()) {
                return;
            }
            String base = announced.strip();
            if (localNameProblem(base).isPresent()) {
                // The peer chose it: a name that could pass for a fingerprint (or is no valid name) is not kept.
                base = peer.shortForm();
            }
            for (int i = 1; i <= 100; i++) {
                String candidate = i == 1 ? base : base + " (" + i + ")";
                if (localNameProblem(candidate).isPresent()) {
                    // "name (2)" grew past the limit: the fingerprint's short form, which no other contact has.
                    candidate = peer.shortForm();
                    i = 100;
                }
                try {
                    history.setContactName(peer, candidate);
                    emit(new ChatEvent.ConversationsChanged());
                    return;
                } catch (HistoryException e) {
                    if (e.reason() != HistoryException.Reason.NAME_TAKEN) {
                        throw e;
                    }
                }
            }
        } catch (HistoryException e) {
            LOG.warn("cannot store the contact's name: {}", e.reason());
        }
    }

    /**
     * What a session reports, after the history has been told: a delivery or a failure is recorded before the
     * front ends see it (and before the conversation commits the acknowledgement, see Conversation.decrypt), so
     * a crash in between leaves at most a "delivered" announced twice. A history that refuses the update is
     * only logged: the acknowledgement is still committed and the event still sent, and that row stays
     * SENDING (the message was delivered; aborting the commit would not make the history work).
     */
    private void onSessionEvent(Link link, ChatEvent e) {
        if (e instanceof ChatEvent.Disconnected) {
            // Before the front ends hear of it: a list they re-read then no longer shows the session connected.
            link.sessionEnded();
        }
        onConversationEvent(e);
        RelayCourier c = courier;
        if (e instanceof ChatEvent.Disconnected d && c != null && !d.peer().isEmpty()) {
            // What is still queued goes to the contact's inbox now (§22.6).
            try {
                c.flush(Fingerprint.parse(d.peer()));
            } catch (CryptoException x) {
                LOG.warn("disconnected event without a peer");
            }
        }
    }

    /** A conversation's event from a session or the relay courier: the history is told before the front ends. */
    private void onConversationEvent(ChatEvent e) {
        if (e instanceof ChatEvent.MessageReceived m) {
            // "from" is the contact's local name: the session only knows the name the peer announced.
            try {
                e = new ChatEvent.MessageReceived(m.peer(), localName(Fingerprint.parse(m.peer()), m.from()),
                        m.text(), m.id(), m.time());
            } catch (CryptoException x) {
                LOG.warn("history: event without a peer");
            }
        }
        if (e instanceof ChatEvent.Delivered d) {
            recordDelivery(d.peer(), d.id(), HistoryMessage.Delivery.DELIVERED, Optional.empty());
        } else if (e instanceof ChatEvent.SendFailed f) {
            recordDelivery(f.peer(), f.id(), HistoryMessage.Delivery.FAILED, Optional.of(f.reason()));
        }
        emit(e);
        if (e instanceof ChatEvent.MessageReceived || e instanceof ChatEvent.Disconnected) {
            emit(new ChatEvent.ConversationsChanged());
        }
    }

    private void recordDelivery(String peer, String id, HistoryMessage.Delivery delivery, Optional<String> reason) {
        try {
            history.updateDelivery(Fingerprint.parse(peer), id, delivery, reason);
        } catch (HistoryException e) {
            LOG.warn("history: cannot record {} of message {}: {}", delivery, id, e.reason());
        } catch (CryptoException e) {
            LOG.warn("history: event without a peer");
        }
    }

    private final class Gate implements ChatSession.TrustGate {
        private final Link link;

        Gate(Link link) {
            this.link = link;
        }

        @Override
        public ChatEvent.TrustMode admit(IdentityPublicKeys peer, String name, String address,
                boolean codeAuthenticated, Optional<String> certifiedName) throws AppException {
            return DefaultMessenger.this.admit(link, peer, name, address, codeAuthenticated, certifiedName);
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

    /**
     * The session's view of the stored conversations. Finding one is where a link learns its peer: under that
     * peer's gate the link records the peer in its state and closes every other active link about the same peer
     * (the newer connection replaces it, whether the older is connected or still setting up), and a link that was
     * itself replaced meanwhile may neither find nor create; so two sessions never drive one conversation.
     */
    private final class StoreAdapter implements ChatSession.Conversations {
        private final Link link;

        StoreAdapter(Link link) {
            this.link = link;
        }

        @Override
        public Optional<Conversation> find(Fingerprint peer) throws AppException {
            List<ConversationState> replaced = new ArrayList<>();
            try {
                synchronized (gateOf(peer)) {
                    claim(peer, replaced);
                    return conversations.load(peer);
                }
            } finally {
                // Outside the gate: ending a session sends its BYE.
                replaced.forEach(DefaultMessenger.this::release);
            }
        }

        @Override
        public Conversation create(Fingerprint peer, String name, byte[] sessionId, SessionRecord record)
                throws AppException {
            List<ConversationState> replaced = new ArrayList<>();
            try {
                synchronized (gateOf(peer)) {
                    claim(peer, replaced);
                    return conversations.create(peer, name, sessionId, record);
                }
            } finally {
                replaced.forEach(DefaultMessenger.this::release);
            }
        }

        /**
         * Under the peer's gate: this link is about {@code peer} from now on, and every other active link about it
         * is closed (what it held is ended by the caller, outside the gate). Refused if this link was closed.
         */
        private void claim(Fingerprint peer, List<ConversationState> replaced) throws AppException {
            ConversationState s = link.state();
            boolean mine = s instanceof ConversationState.Dialling d
                    && (d.peer().filter(peer::equals).isPresent()
                            || link.move(new ConversationState.Dialling(d.setup(), d.redial(), Optional.of(peer))));
            if (!mine) {
                throw new AppException(AppException.Reason.UNREACHABLE, "The set-up was ended.");
            }
            for (Link other : links.values()) {
                ConversationState o = other.state();
                if (other != link && o.active() && o.about().filter(peer::equals).isPresent()) {
                    LOG.info("a new connection with {} replaces link {}", peer.shortForm(), other.attempt);
                    ConversationState before = other.close();
                    if (!(before instanceof ConversationState.Closed)) {
                        replaced.add(before);
                    }
                }
            }
        }

        /**
         * The step that replaces "kept until shown": the message goes into the history (append is idempotent by
         * id), and only the call that stored it first shows it. Then the conversation drops its copy.
         */
        @Override
        public boolean remembersReceived() {
            return history.keepsMessages();
        }

        @Override
        public boolean received(Fingerprint peer, Conversation.Inbound m) throws AppException {
            return keepReceived(peer, m);
        }

        @Override
        public void introduced(Fingerprint peer, org.securep2p.relay.SendCapability inbox) throws AppException {
            RelayCourier c = courier;
            if (c == null) {
                inbox.sendKey().destroy();
                return;
            }
            c.introduced(peer, inbox);
        }

        @Override
        public void rendezvous(Fingerprint peer, ChatPayload payload) {
            toRendezvous(peer, payload);
        }

        @Override
        public void file(Fingerprint peer, org.securep2p.app.files.FileMessage message) {
            toFiles(peer, message, true);
        }

        @Override
        public void chunk(Fingerprint peer, org.securep2p.app.files.Chunk chunk, Optional<FileLink> via) {
            toFiles(peer, chunk, via);
        }

        @Override
        public void chunkAck(Fingerprint peer, org.securep2p.app.files.FileId file, int index) {
            FileTransfers f = files;
            if (f != null) {
                f.chunkAck(peer, file, index);
            }
        }
    }

    /** An OFFER or ANSWER, from a live session or an inbox: the rendezvous's, if relays were started. */
    private void toRendezvous(Fingerprint peer, ChatPayload payload) {
        Rendezvous r = rendezvous;
        if (r == null) {
            LOG.info("rendezvous {} from {} ignored: no relay", payload.kind(), peer.shortForm());
            return;
        }
        r.received(peer, payload);
    }

    /** Appends a received message to the history; true when this call stored it first (then it is shown). */
    private boolean keepReceived(Fingerprint peer, Conversation.Inbound m) throws AppException {
        try {
            return history.append(peer, HistoryMessage.received(m.id(), m.time(), m.text()));
        } catch (HistoryException e) {
            throw historyFailure(e);
        }
    }

    /** The trust gate: known, new, rejected, or changed (then wait for the user's decision). */
    private ChatEvent.TrustMode admit(Link link, IdentityPublicKeys peer, String name, String address,
            boolean codeAuthenticated, Optional<String> certifiedName) throws AppException {
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
                return admitKnownUnderAnotherName(link, known.get(), owner.get(), name, address);
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
            TrustDecision d = awaitDecision(link, fp, new ChatEvent.PeerChanged(fp.displayString(), name, old.displayString(),
                    fp.displayString(),
                    "'" + name + "' now has a different identity. Likely causes: the peer reinstalled securep2p or"
                            + " uses a new device; or someone is in between. Compare the safety number over another"
                            + " channel before you accept."), CHANGE_ANSWERS);
            switch (d) {
                case REJECT -> {
                    store(() -> {
                        trust.reject(fp);
                        return null;
                    });
                    throw new AppException(AppException.Reason.REJECTED, "You rejected the new identity.");
                }
                case UNTRUST -> throw new AppException(AppException.Reason.REJECTED, "Not accepted.");
                case ACCEPT, VERIFY -> {
                    store(() -> trust.replaceIdentity(old, fp, name, address,
                            codeAuthenticated ? TrustOrigin.CODE : TrustOrigin.TRUST_ON_FIRST_USE));
                    moveLocalName(old, fp);
                    if (d == TrustDecision.VERIFY) {
                        store(() -> trust.setVerified(fp, true));
                        return ChatEvent.TrustMode.VERIFIED;
                    }
                    return codeAuthenticated ? ChatEvent.TrustMode.CODE_VERIFIED : ChatEvent.TrustMode.TRUST_ON_FIRST_USE;
                }
                default -> throw new AssertionError(d);
            }
        }
        if (link.stranger) {
            return admitStranger(link, fp, name);
        }
        TrustOrigin origin = codeAuthenticated ? TrustOrigin.CODE : TrustOrigin.TRUST_ON_FIRST_USE;
        store(() -> trust.recordSeen(fp, name, address, origin));
        SECURITY.info("new peer {} ('{}') trusted by {}", fp.shortForm(), ChatSession.sanitize(name),
                codeAuthenticated ? "the connection code" : "first use");
        return codeAuthenticated ? ChatEvent.TrustMode.CODE_VERIFIED : ChatEvent.TrustMode.TRUST_ON_FIRST_USE;
    }

    /**
     * Somebody who is no contact, under a name no contact holds, connected to the fixed port with no wait open:
     * nothing is recorded and nothing is sent until the user answers (PROTOCOL.md §20.8).
     */
    private ChatEvent.TrustMode admitStranger(Link link, Fingerprint fp, String name) throws AppException {
        SECURITY.warn("stranger {} ('{}') from {} on UDP port {}: asking the user", fp.shortForm(),
                ChatSession.sanitize(name), link.from, fixedPort.orElse(0));
        TrustDecision d = awaitDecision(link, fp, new ChatEvent.StrangerAsks(fp.displayString(), name, link.from,
                link.floor), STRANGER_ANSWERS);
        switch (d) {
            case ACCEPT_ONCE -> {
                link.guest = true;
                return ChatEvent.TrustMode.ACCEPTED_ONCE;
            }
            case ACCEPT -> {
                // As a waiter records a peer (its address is "": a NATed peer's source port says nothing).
                store(() -> trust.recordSeen(fp, name, "", TrustOrigin.TRUST_ON_FIRST_USE));
                return ChatEvent.TrustMode.TRUST_ON_FIRST_USE;
            }
            case REFUSE -> throw new AppException(AppException.Reason.REJECTED, "You refused the connection.");
            case REJECT -> {
                store(() -> {
                    trust.reject(fp);
                    return null;
                });
                throw new AppException(AppException.Reason.REJECTED, "You refused this identity, now and later.");
            }
            default -> throw new AssertionError(d);
        }
    }

    /**
     * A known identity presents a name that belongs to another contact: as dangerous as an identity change
     * (the user would see "alice" and talk to someone else), so the user is asked the same way. Whatever the
     * answer, the name is not added to this identity (the store refuses it), so findByName keeps answering with
     * the contact who holds it; accepting admits this identity as itself.
     */
    private ChatEvent.TrustMode admitKnownUnderAnotherName(Link link, TrustedPeer known, TrustedPeer owner,
            String name, String address) throws AppException {
        Fingerprint fp = known.fingerprint();
        SECURITY.warn("name conflict: known peer {} ('{}') presents '{}', the name of contact {}", fp.shortForm(),
                ChatSession.sanitize(known.names().get(known.names().size() - 1)), ChatSession.sanitize(name),
                owner.fingerprint().shortForm());
        TrustDecision d = awaitDecision(link, fp, new ChatEvent.PeerChanged(fp.displayString(), name,
                owner.fingerprint().displayString(),
                fp.displayString(), "A peer you know as '" + known.names().get(known.names().size() - 1)
                        + "' now calls itself '" + name + "', the name of another contact with a different identity."
                        + " Likely causes: someone is impersonating that contact, or two of your contacts chose the"
                        + " same name. It will not be shown or stored under that name; compare the safety number"
                        + " over another channel before you accept."), CHANGE_ANSWERS);
        switch (d) {
            case REJECT -> {
                store(() -> {
                    trust.reject(fp);
                    return null;
                });
                throw new AppException(AppException.Reason.REJECTED, "You rejected this identity.");
            }
            case UNTRUST -> throw new AppException(AppException.Reason.REJECTED, "Not accepted.");
            case ACCEPT, VERIFY -> {
                store(() -> trust.recordSeen(fp, name, address, known.origin()));
                if (d == TrustDecision.VERIFY) {
                    store(() -> trust.setVerified(fp, true));
                }
                return d == TrustDecision.VERIFY || known.verified() ? ChatEvent.TrustMode.VERIFIED
                        : ChatEvent.TrustMode.KNOWN;
            }
            default -> throw new AssertionError(d);
        }
    }

    /**
     * Shows {@code question} and holds this link's set-up in {@link ConversationState.Deciding} (sending to the
     * peer is refused meanwhile) until the user decides, the link is cancelled, or the decision times out.
     */
    private TrustDecision awaitDecision(Link link, Fingerprint fp, ChatEvent question, Set<TrustDecision> answers)
            throws AppException {
        CompletableFuture<TrustDecision> decision = new CompletableFuture<>();
        ConversationState before = link.state();
        if (!(before instanceof ConversationState.Dialling d) || d.setup().isEmpty()
                || !link.move(new ConversationState.Deciding(fp, d.setup().get(), decision, d.redial(), answers))) {
            throw new AppException(AppException.Reason.PEER_CHANGED, "The set-up was ended.");
        }
        emit(question);
        TrustDecision answer;
        try {
            answer = decision.get(DECISION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AppException(AppException.Reason.PEER_CHANGED, "No decision was made.");
        } catch (ExecutionException | TimeoutException e) {
            throw new AppException(AppException.Reason.PEER_CHANGED, "No decision was made in time.");
        }
        ConversationState.Dialling was = (ConversationState.Dialling) before;
        if (!link.move(new ConversationState.Dialling(was.setup(), was.redial(), Optional.of(fp)))) {
            throw new AppException(AppException.Reason.PEER_CHANGED, "The set-up was ended.");
        }
        SECURITY.info("trust decision on {}: {}", fp.shortForm(), answer);
        return answer;
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


    // ---------------------------------------------------------------- sending

    @Override
    public String send(String peer, String text) throws AppException {
        Objects.requireNonNull(text, "text");
        if (peer == null && connectedPeers().isEmpty()
                && links.values().stream().anyMatch(l -> l.state() instanceof ConversationState.Deciding)) {
            // The one conversation a script means is the one waiting for the user's decision.
            throw new AppException(AppException.Reason.PEER_CHANGED, "Sending is blocked until you decide.");
        }
        Fingerprint to = peer == null ? onlyConnectedOrStored() : resolve(peer);
        if (trust.isRejected(to)) {
            throw new AppException(AppException.Reason.REJECTED, "You rejected this identity.");
        }
        if (trust.find(to).isEmpty() && !guestTalking(to)) {
            // Untrusted by the user, replaced by the identity the user accepted, or a stranger accepted once whose
            // conversation ended: its outbox would wait forever.
            throw new AppException(AppException.Reason.UNKNOWN_PEER, NOT_A_CONTACT);
        }
        if (text.getBytes(StandardCharsets.UTF_8).length > ChatPayload.MAX_TEXT_BYTES) {
            throw new AppException(AppException.Reason.TOO_LONG,
                    "At most " + ChatPayload.MAX_TEXT_BYTES + " bytes of UTF-8.");
        }
        for (Link l : linksOf(to)) {
            if (l.state() instanceof ConversationState.Deciding) {
                throw new AppException(AppException.Reason.PEER_CHANGED, "Sending is blocked until you decide.");
            }
        }
        Optional<ChatSession> live;
        synchronized (gateOf(to)) {
            live = liveSession(to);
            if (live.isEmpty() && conversations.load(to).isEmpty()) {
                throw new AppException(AppException.Reason.NOT_CONNECTED,
                        "There is no session with this peer yet: connect first.");
            }
        }
        byte[] id = new byte[ChatPayload.ID_LENGTH];
        random.nextBytes(id);
        String hex = HexFormat.of().formatHex(id);
        // History first: an acknowledgement may come back before send() returns, and must find the row.
        try {
            history.append(to, HistoryMessage.sent(hex, clock.instant(), text));
        } catch (HistoryException e) {
            throw historyFailure(e);
        }
        try {
            for (int tries = 0; ; tries++) {
                ChatSession direct;
                synchronized (gateOf(to)) {
                    live = liveSession(to);
                    if (live.isEmpty()) {
                        // Not connected: encrypted and stored now, sent after the next connection confirms the
                        // session (its publication waits for this gate, so it finds the message queued).
                        String queued = queue(to, text, id);
                        RelayCourier relay = courier;
                        if (relay != null) {
                            relay.flush(to);
                        }
                        return queued;
                    }
                    direct = live.get();
                }
                // The network send may block on a peer that stopped reading: outside the gate.
                try {
                    return direct.send(text, id);
                } catch (AppException e) {
                    // The session ended between the check and the send (it refuses before encrypting): look again.
                    if (e.reason() != AppException.Reason.NOT_CONNECTED || tries >= 3) {
                        throw e;
                    }
                }
            }
        } catch (AppException e) {
            recordDelivery(to.displayString(), hex, HistoryMessage.Delivery.FAILED,
                    Optional.of("not stored: " + e.getMessage()));
            throw e;
        }
    }

    /**
     * Encrypts into the stored conversation's outbox. A new session's handshake may retire the instance loaded
     * here (ConversationStore.create): its commit then refuses, and the message goes into the new one instead.
     */
    private String queue(Fingerprint to, String text, byte[] id) throws AppException {
        for (int tries = 0; ; tries++) {
            Conversation stored = conversations.load(to).orElseThrow(() -> new AppException(
                    AppException.Reason.NOT_CONNECTED, "There is no session with this peer."));
            try {
                return stored.encryptText(text, id).id();
            } catch (AppException e) {
                if (!stored.retired() || tries >= 3) {
                    throw e;
                }
            }
        }
    }

    private Object gateOf(Fingerprint peer) {
        return sendGates.computeIfAbsent(peer, p -> new Object());
    }

    /**
     * The peer a send without one means: the only connected one; with none connected, the only peer with a
     * stored conversation (a one-contact script queues while its peer is away, as before issue 16). For send
     * only: verifying the peer of a stored conversation nobody compared with would mark it verified blind.
     */
    private Fingerprint onlyConnectedOrStored() throws AppException {
        return onlyConnected(true);
    }

    /** The peer a call without one means: the only connected one. */
    private Fingerprint onlyConnected() throws AppException {
        return onlyConnected(false);
    }

    private Fingerprint onlyConnected(boolean orStored) throws AppException {
        List<Fingerprint> peers = connectedPeers();
        if (peers.isEmpty() && orStored) {
            try {
                List<Fingerprint> stored = conversations.stored();
                if (stored.size() == 1) {
                    return stored.get(0);
                }
            } catch (StoreException e) {
                LOG.warn("cannot list the stored conversations: {}", e.reason());
            }
        }
        if (peers.size() != 1) {
            throw new AppException(AppException.Reason.NOT_CONNECTED, peers.isEmpty()
                    ? "No conversation is connected: say which peer."
                    : peers.size() + " conversations are connected: say which peer.");
        }
        return peers.get(0);
    }

    private int queued(Fingerprint peer) {
        try {
            return conversations.load(peer).map(c -> c.pending().size()).orElse(0);
        } catch (AppException e) {
            return 0;
        }
    }

    /**
     * A fingerprint (spaces, colons and case ignored) or a contact's name: the local name first, then a name the
     * trust store knows, but only for a contact without a local name (names in the trust store are what peers
     * announced: the user who renamed the one that called itself "alice" no longer reaches it by "alice").
     */
    Fingerprint resolve(String peer) throws AppException {
        if (peer == null || peer.isBlank()) {
            throw new AppException(AppException.Reason.UNKNOWN_PEER, "Say which peer.");
        }
        try {
            return Fingerprint.parse(peer);
        } catch (CryptoException e) {
            // Not a fingerprint: a name.
        }
        String name = peer.strip();
        Optional<Fingerprint> announced = trust.findByName(name).map(TrustedPeer::fingerprint);
        try {
            Optional<Fingerprint> local = history.contactNamed(name);
            if (local.isPresent()) {
                return local.get();
            }
            if (announced.isPresent() && history.contactName(announced.get()).isPresent()) {
                announced = Optional.empty();
            }
        } catch (HistoryException e) {
            // Without the history the trust store's names still answer.
            LOG.warn("history: cannot look up a contact name: {}", e.reason());
        }
        return announced.orElseThrow(() -> new AppException(AppException.Reason.UNKNOWN_PEER,
                "No contact is called that."));
    }

    /**
     * As {@link #resolve}, but a fingerprint must name someone this messenger knows: a trusted contact, a link
     * about it (a set-up or connection), a stored conversation, or a history (messages or a local name).
     */
    Fingerprint resolveKnown(String peer) throws AppException {
        Fingerprint fp = resolve(peer);
        if (trust.find(fp).isPresent() || !linksOf(fp).isEmpty()) {
            return fp;
        }
        try {
            if (conversations.stored().contains(fp)) {
                return fp;
            }
        } catch (StoreException e) {
            LOG.warn("cannot list the stored conversations: {}", e.reason());
        }
        try {
            if (history.contactName(fp).isPresent() || !history.page(fp, Optional.empty(), 1).isEmpty()) {
                return fp;
            }
        } catch (HistoryException e) {
            LOG.warn("history: cannot look up a contact: {}", e.reason());
        }
        throw new AppException(AppException.Reason.UNKNOWN_PEER, "No contact has this fingerprint.");
    }

    // ---------------------------------------------------------------- conversations and history

    @Override
    public List<ConversationInfo> conversations() {
        Map<Fingerprint, ConversationInfo> out = new LinkedHashMap<>();
        Map<Fingerprint, ConversationState> states = new LinkedHashMap<>();
        for (Link l : links.values()) {
            ConversationState s = l.state();
            Optional<Fingerprint> peer = s.about();
            if (peer.isPresent() && s.active()) {
                states.merge(peer.get(), s, (a, b) -> rank(a) >= rank(b) ? a : b);
            }
        }
        List<HistoryStore.ConversationSummary> summaries;
        try {
            summaries = history.conversations();
        } catch (HistoryException e) {
            LOG.warn("history: cannot list conversations: {}", e.reason());
            summaries = List.of();
        }
        for (HistoryStore.ConversationSummary c : summaries) {
            out.put(c.peer(), info(c.peer(), c.name(), c.unread(), c.lastTime(), states.get(c.peer())));
        }
        for (TrustedPeer p : trust.all()) {
            out.putIfAbsent(p.fingerprint(), info(p.fingerprint(), Optional.empty(), 0, Optional.empty(),
                    states.get(p.fingerprint())));
        }
        for (Map.Entry<Fingerprint, ConversationState> e : states.entrySet()) {
            out.putIfAbsent(e.getKey(), info(e.getKey(), Optional.empty(), 0, Optional.empty(), e.getValue()));
        }
        List<ConversationInfo> list = new ArrayList<>(out.values());
        list.sort(Comparator.comparing((ConversationInfo c) -> c.lastTime().orElse(Instant.MIN)).reversed()
                .thenComparing(ConversationInfo::name));
        return list;
    }

    /** Which state a conversation shows when several links are about one peer: the most advanced. */
    private static int rank(ConversationState s) {
        if (s instanceof ConversationState.Connected) {
            return 3;
        }
        return s instanceof ConversationState.Deciding ? 2 : 1;
    }

    private ConversationInfo info(Fingerprint peer, Optional<String> localName, int unread,
            Optional<Instant> lastTime, ConversationState state) {
        String name = localName.or(() -> trust.find(peer).map(p -> p.names().get(p.names().size() - 1)))
                .orElse(peer.shortForm());
        ConversationState s = state == null ? new ConversationState.Idle() : state;
        boolean connected = s instanceof ConversationState.Connected c && c.session().isLive();
        Optional<String> relay = Optional.empty();
        if (courier != null) {
            try {
                relay = conversations.mailboxes().load(peer).peer()
                        .map(p -> DefaultMessenger.hostPort(p.relay().host(), p.relay().port()));
            } catch (AppException e) {
                LOG.warn("cannot read the mailboxes of {}: {}", peer.shortForm(), e.reason());
            }
        }
        return new ConversationInfo(peer.displayString(), name, connected, unread, lastTime,
                s instanceof ConversationState.Connected && !connected ? "closed" : s.label(), relay,
                relay.isPresent() && !connected ? Optional.of("relay") : Optional.empty());
    }

    @Override
    public List<HistoryMessage> history(String peer, Optional<Long> before, int limit) throws AppException {
        Fingerprint fp = resolveKnown(peer);
        try {
            return history.page(fp, before, limit);
        } catch (HistoryException e) {
            throw historyFailure(e);
        }
    }

    @Override
    public void rename(String peer, String name) throws AppException {
        Fingerprint fp = resolveKnown(peer);
        String clean = name == null ? "" : name.strip();
        Optional<String> problem = localNameProblem(clean);
        if (problem.isPresent()) {
            throw new AppException(AppException.Reason.BAD_NAME, problem.get());
        }
        try {
            history.setContactName(fp, clean);
        } catch (HistoryException e) {
            throw historyFailure(e);
        }
        emit(new ChatEvent.ConversationsChanged());
    }

    /**
     * Why {@code name} cannot be a contact's local name: not a valid name, or one that resolve() would read as a
     * fingerprint. The user's rename and the name a peer announces go through the same check.
     */
    static Optional<String> localNameProblem(String name) {
        Optional<String> problem = PeerText.nameProblem(name);
        if (problem.isPresent()) {
            return Optional.of("Not a valid name: " + problem.get() + ".");
        }
        try {
            Fingerprint.parse(name);
            return Optional.of("A name cannot look like a fingerprint.");
        } catch (CryptoException e) {
            // Good: a name is never read as a fingerprint by resolve().
            return Optional.empty();
        }
    }

    @Override
    public void markRead(String peer) throws AppException {
        Fingerprint fp = resolveKnown(peer);
        try {
            history.markRead(fp);
        } catch (HistoryException e) {
            throw historyFailure(e);
        }
        emit(new ChatEvent.ConversationsChanged());
    }

    @Override
    public int clearHistory(String peer) throws AppException {
        Fingerprint fp = resolveKnown(peer);
        int n;
        try {
            n = history.clear(fp);
        } catch (HistoryException e) {
            throw historyFailure(e);
        }
        emit(new ChatEvent.ConversationsChanged());
        return n;
    }

    private static AppException historyFailure(HistoryException e) {
        AppException.Reason reason = switch (e.reason()) {
            case NAME_TAKEN -> AppException.Reason.NAME_TAKEN;
            case INVALID_ARGUMENT -> AppException.Reason.BAD_NAME;
            default -> AppException.Reason.STORAGE_FAILED;
        };
        return new AppException(reason, "The history: " + e.getMessage(), e);
    }

    // ---------------------------------------------------------------- trust

    @Override
    public Optional<String> safetyNumber(String name) {
        Fingerprint peer;
        try {
            peer = name == null ? onlyConnected() : resolveKnown(name);
        } catch (AppException e) {
            return Optional.empty();
        }
        return Optional.of(SafetyNumber.of(keys.identity().fingerprint(), peer).digits());
    }

    @Override
    public void markVerified(String name) throws AppException {
        Fingerprint peer = name == null ? onlyConnected() : resolve(name);
        if (trust.find(peer).isEmpty()) {
            throw new AppException(AppException.Reason.UNKNOWN_PEER, "No such peer.");
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
        for (Link l : linksOf(fp)) {
            if (l.state() instanceof ConversationState.Deciding d) {
                if (!d.answers().contains(decision)) {
                    throw new AppException(AppException.Reason.PEER_CHANGED, "That does not answer the question: "
                            + d.answers().stream().map(a -> a.name().toLowerCase(java.util.Locale.ROOT)).sorted()
                                    .collect(java.util.stream.Collectors.joining(", ")) + ".");
                }
                d.decision().complete(decision);
                return;
            }
        }
        switch (decision) {
            case UNTRUST -> {
                if (!store(() -> trust.untrust(fp))) {
                    throw new AppException(AppException.Reason.UNKNOWN_PEER, "No such peer.");
                }
                SECURITY.info("peer {} untrusted by the user", fp.shortForm());
            }
            case REJECT -> {
                store(() -> {
                    trust.reject(fp);
                    return null;
                });
                SECURITY.info("peer {} rejected by the user", fp.shortForm());
            }
            case VERIFY -> {
                if (trust.find(fp).isEmpty()) {
                    throw new AppException(AppException.Reason.UNKNOWN_PEER, "No such peer.");
                }
                store(() -> trust.setVerified(fp, true));
                SECURITY.info("peer {} marked verified by the user", fp.shortForm());
            }
            case ACCEPT -> {
                if (trust.find(fp).isEmpty()) {
                    throw new AppException(AppException.Reason.UNKNOWN_PEER, "No decision is pending for it.");
                }
            }
            case ACCEPT_ONCE, REFUSE -> throw new AppException(AppException.Reason.UNKNOWN_PEER,
                    "No decision is pending for it.");
            default -> throw new AssertionError(decision);
        }
    }

    // ---------------------------------------------------------------- ending

    @Override
    public void cancel(String attempt) {
        Link link = attempt == null ? null : links.get(attempt);
        if (link != null) {
            link.closeUnlessConnected().ifPresent(before -> {
                if (link.origin == Origin.LISTEN) {
                    // As in end(): the fixed-port wait has no worker to let go of it.
                    finish(link);
                }
                release(before);
            });
        }
    }

    @Override
    public void disconnect(String peer) throws AppException {
        if (peer == null) {
            links.values().forEach(this::end);
            return;
        }
        linksOf(resolveKnown(peer)).forEach(this::end);
    }

    /** How long close() waits for the workers to let go before it closes the stores under them. */
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    @Override
    public void close() {
        synchronized (links) {
            closed = true;
        }
        Connector.Listener listener;
        synchronized (this) {
            listener = portListener;
            portListener = null;
        }
        if (listener != null) {
            listener.close();
        }
        List<Link> open = List.copyOf(links.values());
        open.forEach(this::end);
        worker.shutdown();
        expiry.shutdownNow();
        // A worker may be committing a conversation or appending to the history: bounded wait for each link's
        // worker to finish before the stores (and their keys) are closed under it.
        long deadline = System.nanoTime() + CLOSE_GRACE.toNanos();
        for (Link l : open) {
            try {
                l.done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (ExecutionException | TimeoutException e) {
                LOG.warn("closing: link {} did not finish in time", l.attempt);
            }
        }
        worker.shutdownNow();
        FileTransfers f = files;
        if (f != null) {
            f.close();
        }
        Rendezvous r = rendezvous;
        if (r != null) {
            r.close();
        }
        OrganisationDirectory d = organisation;
        if (d != null) {
            d.close();
        }
        RelayCourier relay = courier;
        if (relay != null) {
            relay.close();
        }
        conversations.close();
        history.close();
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

    /**
     * A worker's last resort: an unexpected exception (a bug, or peer input no parser caught) ends this
     * connection with an event and a security-log line; the caller's finally releases the slot.
     */
    private void crashed(String attempt, RuntimeException e) {
        LOG.error("connection worker failed: {}", PeerText.forLog(String.valueOf(e)));
        LOG.debug("connection worker failure", e);
        SECURITY.warn("connection ended by an internal error ({}); the messenger goes on",
                e.getClass().getSimpleName());
        Link link = links.get(attempt);
        if (link != null && link.state() instanceof ConversationState.Dialling d) {
            d.setup().ifPresent(ChatSession::close);
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

    static String hostPort(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    static String hostPort(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
