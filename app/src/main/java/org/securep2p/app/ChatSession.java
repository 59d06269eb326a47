package org.securep2p.app;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.HandshakeResult;
import org.securep2p.crypto.HybridHandshake;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.InitialMessage;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.crypto.SafetyNumber;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.ratchet.RatchetException;
import org.securep2p.ratchet.SessionRecord;
import org.securep2p.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One live connection's chat protocol ({@code docs/PROTOCOL.md} §20): HELLO exchange, the trust decision, the
 * hybrid handshake or the resumption of the stored session, the mutual CONFIRM that binds the session to this
 * TLS connection and both HELLOs, then messages and acknowledgements until the connection ends.
 *
 * <p>Not its job: finding the peer (the transport), storing state (the {@link Conversation}) or asking the user
 * (the {@link TrustGate}).
 */
final class ChatSession implements AutoCloseable, FileLink {

    private static final Logger LOG = LoggerFactory.getLogger(ChatSession.class);
    private static final Logger SECURITY = LoggerFactory.getLogger("securep2p.security");
    private static final Duration ACK_DELAY = Duration.ofMillis(20);
    /**
     * How long HELLO, handshake and CONFIRM together may take, the user's trust decision not counted
     * ({@code setup.timeout.ms} in securep2p.conf): a peer that completes TLS and then stays silent must not hold
     * the one conversation slot. 20 s covers a Falcon/ML-KEM handshake through a slow key manager many times over.
     */
    static final Duration DEFAULT_SETUP_DEADLINE = Duration.ofSeconds(20);
    /** One daemon thread for every session's set-up deadline: it only closes channels, never blocks. */
    private static final ScheduledExecutorService DEADLINES = deadlineScheduler();

    private static ScheduledExecutorService deadlineScheduler() {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "chat-setup-deadline");
            t.setDaemon(true);
            return t;
        });
        // A set-up that finishes in time cancels its task; it should not sit in the queue for 20 s.
        s.setRemoveOnCancelPolicy(true);
        return s;
    }

    /** Decides whether the peer may talk to us; may wait for the user. */
    interface TrustGate {
        ChatEvent.TrustMode admit(IdentityPublicKeys peer, String peerName, String address, boolean codeAuthenticated,
                Optional<String> certifiedName)
                throws AppException;

        /**
         * The name to show and store for an admitted peer whose HELLO said {@code helloName}: that name, unless
         * it belongs to another contact (then the name this identity is known by).
         */
        default String shownName(IdentityPublicKeys peer, String helloName) {
            return helloName;
        }
    }

    /** Creates and finds conversations. */
    interface Conversations {
        Optional<Conversation> find(Fingerprint peer) throws AppException;

        Conversation create(Fingerprint peer, String name, byte[] sessionId, SessionRecord record) throws AppException;

        /**
         * A received message is committed where it is kept from now on (the history); true when this call stored
         * it first, and only then is it shown. A failure leaves it in the conversation, offered again at the next
         * connection. Without a history the message is shown once, as before issue 16.
         */
        default boolean received(Fingerprint peer, Conversation.Inbound message) throws AppException {
            return true;
        }

        /**
         * False when {@link #received} keeps nothing (history retention off): a message is then dropped from the
         * conversation file, committed, before it is shown, so a crash in between never shows it twice (it may
         * not be shown at all: nothing keeps it).
         */
        default boolean remembersReceived() {
            return true;
        }

        /**
         * The peer introduced an inbox of its own on a relay (MAILBOX, PROTOCOL.md §22.5): this side may post
         * there. The capability is the callee's to keep or destroy. Without a relay it is ignored.
         */
        default void introduced(Fingerprint peer, org.securep2p.relay.SendCapability inbox) throws AppException {
            inbox.sendKey().destroy();
        }

        /** The peer's rendezvous OFFER or ANSWER (PROTOCOL.md §22.7). Without a relay it is ignored. */
        default void rendezvous(Fingerprint peer, ChatPayload payload) {
        }

        /** A FILE payload (PROTOCOL.md §24.2), committed with the ratchet. Without the file engine it is ignored. */
        default void file(Fingerprint peer, org.securep2p.app.files.FileMessage message) {
        }

        /** A chunk (§24.3) that arrived over {@code via} (empty: out of an inbox). */
        default void chunk(Fingerprint peer, org.securep2p.app.files.Chunk chunk, Optional<FileLink> via) {
        }

        /** The peer stored chunk {@code index} of {@code file} (§24.3): flow control of the direct path. */
        default void chunkAck(Fingerprint peer, org.securep2p.app.files.FileId file, int index) {
        }
    }

    private final ChatChannel channel;
    private final boolean dialer;
    private final boolean codeAuthenticated;
    private final SecurityLevel floor;
    private final String username;
    private final PrivateKeyOperations keys;
    private final Conversations conversations;
    private final TrustGate gate;
    private final Consumer<ChatEvent> events;
    private final SecureRandom random;
    private final Clock clock;
    private final Object sendLock = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final long startNanos;
    private final String attempt;
    private final Duration setupDeadline;
    /** Why the set-up was cut short from outside (deadline or the user), or null; set before the channel closes. */
    private volatile String abortedBecause;
    private ScheduledFuture<?> deadlineTask;
    private long setupLeftNanos;
    private long armedAtNanos;
    private long armings;

    private volatile Conversation conversation;
    private volatile boolean live;
    private byte[] binding;
    private Thread reader;
    private Thread acker;
    private volatile boolean ackDue;
    private volatile ChatEvent.Disconnected ending;

    ChatSession(ChatChannel channel, boolean dialer, boolean codeAuthenticated, SecurityLevel floor, String username,
            PrivateKeyOperations keys, Conversations conversations, TrustGate gate, Consumer<ChatEvent> events,
            SecureRandom random, Clock clock, long startNanos) {
        this(channel, dialer, codeAuthenticated, floor, username, keys, conversations, gate, events, random, clock,
                startNanos, DEFAULT_SETUP_DEADLINE, "");
    }

    /** @param attempt the wait or connect this session came from: its {@link ChatEvent.Progress} events carry it */
    ChatSession(ChatChannel channel, boolean dialer, boolean codeAuthenticated, SecurityLevel floor, String username,
            PrivateKeyOperations keys, Conversations conversations, TrustGate gate, Consumer<ChatEvent> events,
            SecureRandom random, Clock clock, long startNanos, Duration setupDeadline, String attempt) {
        this.attempt = Objects.requireNonNull(attempt);
        if (setupDeadline.isNegative() || setupDeadline.isZero()) {
            throw new IllegalArgumentException("the set-up deadline must be positive");
        }
        this.setupDeadline = setupDeadline;
        this.channel = Objects.requireNonNull(channel);
        this.dialer = dialer;
        this.codeAuthenticated = codeAuthenticated;
        this.floor = Objects.requireNonNull(floor);
        this.username = Objects.requireNonNull(username);
        this.keys = Objects.requireNonNull(keys);
        this.conversations = Objects.requireNonNull(conversations);
        this.gate = Objects.requireNonNull(gate);
        this.events = Objects.requireNonNull(events);
        this.random = Objects.requireNonNull(random);
        this.clock = Objects.requireNonNull(clock);
        this.startNanos = startNanos;
    }

    /**
     * Runs the set-up to a confirmed session, then starts the receiving thread. Emits {@link ChatEvent.Connected}
     * on success; on failure closes the channel and throws.
     */
    ChatEvent.Connected establish() throws AppException {
        setupLeftNanos = setupDeadline.toNanos();
        armDeadline();
        try {
            return doEstablish();
        } catch (AppException e) {
            close();
            String why = abortedBecause;
            if (why != null) {
                // The channel was closed under a blocked receive: say why, not "the connection ended".
                throw new AppException(AppException.Reason.UNREACHABLE, why, e);
            }
            throw e;
        } catch (RuntimeException e) {
            close();
            throw e;
        } finally {
            disarmDeadline();
        }
    }

    /** Ends a set-up in progress at once (the user's disconnect); the blocked {@link #establish} then throws. */
    void abortSetup(String why) {
        if (abortedBecause == null) {
            abortedBecause = why;
        }
        closeChannel();
    }

    private synchronized void armDeadline() {
        armedAtNanos = System.nanoTime();
        long generation = ++armings;
        deadlineTask = DEADLINES.schedule(() -> {
            synchronized (this) {
                // Disarmed (set-up done, or the user is deciding) while this task was already running: not due.
                if (deadlineTask == null || generation != armings) {
                    return;
                }
            }
            SECURITY.warn("set-up with peer {} abandoned: not complete within {} ms", peerShort(),
                    setupDeadline.toMillis());
            abortSetup("The peer did not complete the set-up within " + setupDeadline.toMillis() + " ms.");
        }, Math.max(0, setupLeftNanos), TimeUnit.NANOSECONDS);
    }

    /** Stops the clock (while the user decides); what is left of the deadline is kept for {@link #armDeadline}. */
    private synchronized void disarmDeadline() {
        if (deadlineTask != null) {
            deadlineTask.cancel(false);
            deadlineTask = null;
            setupLeftNanos -= System.nanoTime() - armedAtNanos;
        }
    }

    private String peerShort() {
        try {
            return channel.peerIdentity().fingerprint().shortForm();
        } catch (RuntimeException e) {
            return "?";
        }
    }

    private ChatEvent.Connected doEstablish() throws AppException {
        IdentityPublicKeys peer = channel.peerIdentity();
        Fingerprint peerFp = peer.fingerprint();
        SecurityLevel level = channel.level();
        if (!level.isAtLeast(floor)) {
            throw refuse(ChatFrame.CloseReason.DOWNGRADE, AppException.Reason.DOWNGRADE,
                    "the connection runs at " + level + ", below your minimum " + floor + ".");
        }
        Optional<Conversation> stored = conversations.find(peerFp);
        Optional<byte[]> storedId = stored.filter(c -> c.level() == level).map(Conversation::sessionId);
        ChatFrame myHello = ChatFrame.hello(floor, username, storedId);
        send(myHello);
        ChatFrame theirHello = expect(ChatFrame.Type.HELLO);
        if (!level.isAtLeast(theirHello.floor())) {
            throw refuse(ChatFrame.CloseReason.DOWNGRADE, AppException.Reason.DOWNGRADE,
                    "the peer requires at least " + theirHello.floor() + " but the connection runs at " + level + ".");
        }
        SECURITY.info("connection: peer {} ('{}'), level {}, path {}, peer floor {}, local floor {}",
                peerFp.shortForm(), PeerText.forLog(theirHello.username()), level, channel.path(), theirHello.floor(),
                floor);
        ChatEvent.TrustMode trust;
        // The user's decision on a changed identity may take minutes: that wait is not the peer's to answer for.
        disarmDeadline();
        try {
            trust = gate.admit(peer, theirHello.username(), channel.remoteAddress(), codeAuthenticated,
                    channel.certifiedName());
        } catch (AppException e) {
            throw refuse(ChatFrame.CloseReason.IDENTITY_REFUSED, e.reason(), e.getMessage());
        }
        if (abortedBecause != null) {
            throw new AppException(AppException.Reason.UNREACHABLE, abortedBecause);
        }
        String peerName = gate.shownName(peer, theirHello.username());
        armDeadline();
        byte[] helloDialer = dialer ? myHello.encode() : theirHello.encode();
        byte[] helloWaiter = dialer ? theirHello.encode() : myHello.encode();
        binding = bindingHash(channel.channelBinding(), helloDialer, helloWaiter, level);

        boolean resume = storedId.isPresent() && theirHello.sessionId().isPresent()
                && MessageDigest.isEqual(storedId.get(), theirHello.sessionId().get());
        if (resume) {
            conversation = stored.get();
            conversation.rename(peerName);
            showUnshown(conversation);
            progress(ChatEvent.Stage.RESUME, "resuming session " + conversation.sessionIdHex().substring(0, 8));
            SECURITY.info("session resumed with {} at {}", peerFp.shortForm(), level);
        } else {
            progress(ChatEvent.Stage.HANDSHAKE, "hybrid handshake at " + level);
            conversation = handshake(peer, peerName, level, stored);
        }
        progress(ChatEvent.Stage.CONFIRM, "confirming the session");
        confirm();
        // The reader runs before the resend (both sides may resend at once; neither may stop reading), and
        // new messages are accepted only after it, so every message leaves in sequence order.
        startThreads();
        resendPending(peerReceivedUpTo);
        live = true;
        SafetyNumber number = SafetyNumber.of(keys.identity().fingerprint(), peerFp);
        return new ChatEvent.Connected(peerFp.displayString(), attempt, peerName, number.digits(), level,
                channel.path(), trust, resume, trust == ChatEvent.TrustMode.VERIFIED, channel.certifiedName(),
                channel.keyExchange(), elapsed());
    }

    private Conversation handshake(IdentityPublicKeys peer, String peerName, SecurityLevel level,
            Optional<Conversation> replaced) throws AppException {
        HybridHandshake handshake = new HybridHandshake(random, clock);
        Fingerprint peerFp = peer.fingerprint();
        try {
            Conversation created;
            if (dialer) {
                PreKeyBundle bundle = PreKeyBundle.decode(expect(ChatFrame.Type.BUNDLE).blob());
                if (!bundle.identity().equals(peer)) {
                    throw refuse(ChatFrame.CloseReason.IDENTITY_REFUSED, AppException.Reason.IDENTITY_MISMATCH,
                            "the prekey bundle is not from the identity that authenticated the connection.");
                }
                try (HandshakeResult result = handshake.initiate(keys, bundle, level, peerFp, binding)) {
                    send(ChatFrame.init(result.initialMessage().orElseThrow().encode()));
                    try (SessionRecord record = SessionRecord.initiator(result, random)) {
                        created = conversations.create(peerFp, peerName, sessionId(result.transcriptHash()), record);
                    }
                }
            } else {
                PreKeyBundle offered = keys.preKeyBundle();
                send(ChatFrame.bundle(offered.encode()));
                InitialMessage message = InitialMessage.decode(expect(ChatFrame.Type.INIT).blob());
                if (!message.initiator().equals(peer)) {
                    throw refuse(ChatFrame.CloseReason.IDENTITY_REFUSED, AppException.Reason.IDENTITY_MISMATCH,
                            "the handshake is not from the identity that authenticated the connection.");
                }
                if (message.level() != level) {
                    throw refuse(ChatFrame.CloseReason.DOWNGRADE, AppException.Reason.DOWNGRADE,
                            "the handshake names " + message.level() + " but the connection runs at " + level + ".");
                }
                try (HandshakeResult result = handshake.respond(keys, offered, message, floor)) {
                    byte[] payload = result.payload().orElse(new byte[0]);
                    if (!MessageDigest.isEqual(payload, binding)) {
                        throw refuse(ChatFrame.CloseReason.BINDING_MISMATCH, AppException.Reason.PROTOCOL,
                                "the handshake is bound to other HELLOs or another connection: someone altered them.");
                    }
                    try (SessionRecord record = SessionRecord.responder(result, random)) {
                        created = conversations.create(peerFp, peerName, sessionId(result.transcriptHash()), record);
                    }
                }
            }
            if (replaced.isPresent()) {
                showUnshown(replaced.get());
                failReplaced(replaced.get());
            }
            SECURITY.info("handshake complete with {} at {} ({})", peerFp.shortForm(), level,
                    dialer ? "initiator" : "responder");
            return created;
        } catch (CryptoException e) {
            SECURITY.warn("handshake with {} refused: {}", peerFp.shortForm(), e.reason());
            AppException.Reason reason = switch (e.reason()) {
                case DOWNGRADE -> AppException.Reason.DOWNGRADE;
                case IDENTITY_MISMATCH -> AppException.Reason.IDENTITY_MISMATCH;
                default -> AppException.Reason.PROTOCOL;
            };
            throw refuse(ChatFrame.CloseReason.HANDSHAKE_FAILED, reason, "handshake failed: " + e.reason() + ".");
        } catch (RatchetException e) {
            throw refuse(ChatFrame.CloseReason.HANDSHAKE_FAILED, AppException.Reason.PROTOCOL,
                    "cannot start the session: " + e.reason() + ".");
        }
    }

    /**
     * Messages committed as received by a process that died before it could show them: shown now, with their
     * original ids (a front end that did see one before the crash recognises the id). If one cannot be kept, the
     * set-up fails (as a failure on the receive path ends the session): going on would show later messages
     * before the waiting ones.
     */
    private void showUnshown(Conversation c) throws AppException {
        for (Conversation.Inbound m : c.unshown()) {
            try {
                if (conversations.received(c.peer(), m)) {
                    forgetBeforeShowing(c, m.sequence());
                    events.accept(new ChatEvent.MessageReceived(c.peer().displayString(), c.peerName(), m.text(),
                            m.id(), m.time()));
                }
                c.shown(m.sequence());
            } catch (AppException e) {
                // Kept in the conversation file: offered again at the next connection.
                LOG.error("storage failed while keeping a received message: {}", e.reason());
                try {
                    synchronized (sendLock) {
                        channel.send(ChatFrame.close(ChatFrame.CloseReason.BYE, "").encode());
                    }
                } catch (TransportException ignored) {
                    // Closing anyway.
                }
                closeChannel();
                throw e;
            }
        }
    }

    /** Where nothing else remembers a shown message (see {@link Conversations#remembersReceived}). */
    private void forgetBeforeShowing(Conversation c, long sequence) throws AppException {
        if (!conversations.remembersReceived()) {
            c.commitShown(sequence);
        }
    }

    private void failReplaced(Conversation old) {
        for (Conversation.Pending p : old.pending()) {
            events.accept(new ChatEvent.SendFailed(old.peer().displayString(), p.id(),
                    "a new session replaced the one this message was encrypted for; it was not delivered"));
        }
    }

    private long peerReceivedUpTo;

    /**
     * Each side's first ratchet message on a connection is CONFIRM(binding): it proves the peer holds the session
     * and saw the same HELLOs on the same TLS connection. A side that cannot send yet (the responder of a fresh
     * session) confirms right after the peer's CONFIRM.
     */
    private void confirm() throws AppException {
        boolean sent = trySendConfirm();
        ChatFrame frame = expect(ChatFrame.Type.RATCHET);
        Conversation.Received received;
        try {
            received = conversation.decrypt(frame.blob(), this::announceDelivered);
        } catch (RatchetException | CryptoException e) {
            SECURITY.warn("confirmation from {} refused: {}", conversation.peer().shortForm(),
                    PeerText.forLog(e.getMessage()));
            throw refuse(ChatFrame.CloseReason.PROTOCOL, AppException.Reason.PROTOCOL,
                    "the peer's confirmation did not decrypt: the session does not match.");
        }
        ChatPayload payload = received.payload();
        if (payload.kind() != ChatPayload.Kind.CONFIRM || !MessageDigest.isEqual(payload.binding(), binding)) {
            SECURITY.warn("binding mismatch with {}: HELLOs or connection altered", conversation.peer().shortForm());
            throw refuse(ChatFrame.CloseReason.BINDING_MISMATCH, AppException.Reason.PROTOCOL,
                    "the peer confirmed other HELLOs or another connection: someone altered them.");
        }
        peerReceivedUpTo = payload.sequence();
        if (!sent && !trySendConfirm()) {
            throw refuse(ChatFrame.CloseReason.PROTOCOL, AppException.Reason.PROTOCOL, "cannot confirm the session.");
        }
    }

    private boolean trySendConfirm() throws AppException {
        try {
            byte[] wire = conversation.encryptControl(ChatPayload.confirm(binding, conversation.receivedUpTo()));
            send(ChatFrame.ratchet(wire));
            return true;
        } catch (RatchetException e) {
            if (e.reason() == RatchetException.Reason.NOT_YET_SENDABLE) {
                return false;
            }
            throw new AppException(AppException.Reason.STORAGE_FAILED, "cannot encrypt: " + e.reason(), e);
        }
    }

    /** The highest sequence sent on this connection (or acknowledged by the peer's CONFIRM); under sendLock. */
    private long sentUpTo;

    private void resendPending(long upTo) {
        synchronized (sendLock) {
            sentUpTo = Math.max(sentUpTo, upTo);
            sendQueued();
        }
    }

    /**
     * Sends, in order, every queued message this connection has not carried yet: those stored while the session
     * was being set up (queued through the {@link Conversation} because this session was not yet the live one)
     * must go out before any later message, or the peer's cumulative acknowledgement of a later one would drop
     * them unsent from the queue.
     */
    void sendQueued() {
        synchronized (sendLock) {
            for (Conversation.Pending p : conversation.pending()) {
                if (p.sequence() > sentUpTo) {
                    try {
                        channel.send(ChatFrame.ratchet(p.wire()).encode());
                        sentUpTo = p.sequence();
                    } catch (TransportException e) {
                        LOG.info("resend interrupted: {}", e.reason());
                        return;
                    }
                }
            }
        }
    }

    /** Encrypts, commits and sends; when the connection is gone the message stays queued. */
    String send(String text) throws AppException {
        byte[] id = new byte[ChatPayload.ID_LENGTH];
        random.nextBytes(id);
        return send(text, id);
    }

    /** As {@link #send(String)} under the message id the caller chose ({@link ChatPayload#ID_LENGTH} bytes). */
    String send(String text, byte[] id) throws AppException {
        Conversation c = conversation;
        if (c == null || !live) {
            throw new AppException(AppException.Reason.NOT_CONNECTED, "The session is not set up yet.");
        }
        synchronized (sendLock) {
            Conversation.Pending p = c.encryptText(text, id);
            // Every queued message this connection has not carried yet, then this one, in sequence order: one
            // queued through the conversation while this session was being published goes out first, or the
            // peer's cumulative acknowledgement of this one would drop it unsent. A failure leaves them queued.
            sendQueued();
            return p.id();
        }
    }

    /**
     * Encrypts one control payload (a MAILBOX introduction), commits the ratchet and sends it, under the send
     * lock so it never interleaves with a message. Returns false when the session is not live or the connection
     * failed under the send (nothing to retry: the next session introduces again).
     */
    @Override
    public boolean sendControl(ChatPayload payload) throws AppException {
        Conversation c = conversation;
        if (c == null || !isLive()) {
            return false;
        }
        synchronized (sendLock) {
            try {
                byte[] wire = c.encryptControl(payload);
                channel.send(ChatFrame.ratchet(wire).encode());
                return true;
            } catch (RatchetException e) {
                throw new AppException(AppException.Reason.STORAGE_FAILED, "cannot encrypt: " + e.reason(), e);
            } catch (TransportException e) {
                LOG.info("control payload not sent: {}", e.reason());
                return false;
            }
        }
    }

    /**
     * Sends one frame outside the ratchet (a file chunk or its acknowledgement, §24.3) under the send lock, so it
     * never splits a message and a message waits behind at most this one frame. False when the session is not
     * live or the connection failed (the file engine resumes at the next session).
     */
    @Override
    public boolean sendFrame(ChatFrame frame) {
        if (!isLive()) {
            return false;
        }
        byte[] encoded = frame.wireBytes();
        synchronized (sendLock) {
            try {
                channel.send(encoded);
                return true;
            } catch (TransportException e) {
                LOG.info("{} frame not sent: {}", frame.type(), e.reason());
                return false;
            }
        }
    }

    Conversation conversation() {
        return conversation;
    }

    @Override
    public boolean isLive() {
        return live && !closed.get();
    }

    private void startThreads() {
        reader = new Thread(this::readLoop, "chat-reader");
        reader.setDaemon(true);
        reader.start();
        acker = new Thread(this::ackLoop, "chat-acker");
        acker.setDaemon(true);
        acker.start();
    }

    private void readLoop() {
        try {
            while (!closed.get()) {
                byte[] raw = channel.receive();
                ChatFrame frame;
                try {
                    frame = ChatFrame.decode(raw);
                } catch (CryptoException e) {
                    SECURITY.warn("malformed frame from {} rejected: {}", conversation.peer().shortForm(), e.reason());
                    continue;
                }
                if (frame.type() == ChatFrame.Type.CLOSE) {
                    end(ChatEvent.DisconnectKind.PEER_OFFLINE, "The peer ended the conversation"
                            + (frame.closeReason() == ChatFrame.CloseReason.BYE ? "." : ": " + frame.closeReason() + "."));
                    return;
                }
                if (frame.type() == ChatFrame.Type.CHUNK && live) {
                    // Outside the ratchet (§24.3): sealed under the file's key, verified by the file engine.
                    conversations.chunk(conversation.peer(), frame.chunk(), Optional.of(this));
                    continue;
                }
                if (frame.type() == ChatFrame.Type.CHUNK_ACK && live) {
                    conversations.chunkAck(conversation.peer(), frame.fileId(), frame.chunkIndex());
                    continue;
                }
                if (frame.type() != ChatFrame.Type.RATCHET) {
                    SECURITY.warn("unexpected {} frame from {} rejected", frame.type(), conversation.peer().shortForm());
                    continue;
                }
                receive(frame.blob());
            }
        } catch (TransportException e) {
            if (e.reason() == TransportException.Reason.PROTOCOL_VIOLATION) {
                // A record that did not authenticate: tampering or corruption on the path. Nothing of it was
                // shown; the user and the security log are told.
                SECURITY.warn("connection with {} ended: PROTOCOL_VIOLATION ({}); nothing of it was shown",
                        conversation.peer().shortForm(), PeerText.forLog(e.getMessage()));
            }
            ChatEvent.DisconnectKind kind = e.reason() == TransportException.Reason.PEER_TIMEOUT
                    || e.reason() == TransportException.Reason.CLOSED
                    || e.reason() == TransportException.Reason.PEER_CLOSED
                            ? ChatEvent.DisconnectKind.PEER_OFFLINE
                            : ChatEvent.DisconnectKind.PEER_UNREACHABLE;
            end(kind, e.reason() == TransportException.Reason.CLOSED ? "The peer closed the connection."
                    : e.reason().sentence());
        } catch (RuntimeException e) {
            LOG.error("reader failed", e);
            end(ChatEvent.DisconnectKind.PEER_UNREACHABLE, "Internal error: " + e.getClass().getSimpleName());
        }
    }

    private void receive(byte[] wire) {
        try {
            if (RatchetReceiver.receive(conversation, wire, conversations, events)) {
                ackDue = true;
            }
        } catch (AppException e) {
            // Committed with the ratchet as "kept until shown" (or not at all): offered again at the next connection.
            LOG.error("storage failed while receiving: {}", e.reason());
            end(ChatEvent.DisconnectKind.LOCAL, e.getMessage());
        }
    }

    private void announceDelivered(List<Conversation.Pending> acknowledged) {
        for (Conversation.Pending p : acknowledged) {
            events.accept(new ChatEvent.Delivered(conversation.peer().displayString(), p.id()));
        }
    }

    /** Coalesces acknowledgements: at most one every {@link #ACK_DELAY}, always cumulative. */
    private void ackLoop() {
        while (!closed.get()) {
            try {
                Thread.sleep(ACK_DELAY.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            if (!ackDue) {
                continue;
            }
            ackDue = false;
            Conversation c = conversation;
            long upTo = c.receivedUpTo();
            if (upTo < 1) {
                continue;
            }
            synchronized (sendLock) {
                try {
                    byte[] wire = c.encryptControl(ChatPayload.ack(upTo));
                    channel.send(ChatFrame.ratchet(wire).encode());
                } catch (RatchetException | AppException e) {
                    LOG.warn("cannot acknowledge: {}", e.getMessage());
                } catch (TransportException e) {
                    LOG.info("acknowledgement not sent: {}", e.reason());
                } catch (RuntimeException e) {
                    // Never a dead acknowledger with the session still shown as live: end it visibly.
                    LOG.error("acknowledger failed: {}", PeerText.forLog(String.valueOf(e)));
                    end(ChatEvent.DisconnectKind.LOCAL, "Internal error: " + e.getClass().getSimpleName());
                    return;
                }
            }
        }
    }

    private void end(ChatEvent.DisconnectKind kind, String reason) {
        if (ending == null) {
            Conversation c = conversation;
            ending = new ChatEvent.Disconnected(c == null ? "" : c.peer().displayString(), kind, reason,
                    c == null ? 0 : c.pending().size());
            live = false;
            events.accept(ending);
        }
        closeChannel();
    }

    private ChatFrame expect(ChatFrame.Type type) throws AppException {
        byte[] raw;
        try {
            raw = channel.receive();
        } catch (TransportException e) {
            throw new AppException(AppException.Reason.UNREACHABLE, "the connection ended during set-up: "
                    + e.reason().sentence(), e);
        }
        ChatFrame frame;
        try {
            frame = ChatFrame.decode(raw);
        } catch (CryptoException e) {
            // The decoder's text is ours (it names a refused code point as U+XXXX, never the peer's bytes), and
            // tells the user why, e.g. that the peer's name holds a bidi override.
            throw refuse(ChatFrame.CloseReason.PROTOCOL, AppException.Reason.PROTOCOL, "malformed " + type + ": "
                    + e.getMessage() + ".");
        }
        if (frame.type() == ChatFrame.Type.CLOSE) {
            AppException.Reason reason = switch (frame.closeReason()) {
                case DOWNGRADE -> AppException.Reason.DOWNGRADE;
                case IDENTITY_REFUSED -> AppException.Reason.REJECTED;
                default -> AppException.Reason.PROTOCOL;
            };
            closeChannel();
            throw new AppException(reason, "The peer refused: " + frame.closeReason() + " "
                    + PeerText.forLog(frame.closeDetail()));
        }
        if (frame.type() != type) {
            throw refuse(ChatFrame.CloseReason.PROTOCOL, AppException.Reason.PROTOCOL, "expected " + type + ", got "
                    + frame.type() + ".");
        }
        return frame;
    }

    private void send(ChatFrame frame) throws AppException {
        try {
            synchronized (sendLock) {
                channel.send(frame.encode());
            }
        } catch (TransportException e) {
            throw new AppException(AppException.Reason.UNREACHABLE, "the connection ended during set-up: "
                    + e.reason().sentence(), e);
        }
    }

    /** Tells the peer why and closes; returns the exception for the caller to throw ({@code throw refuse(...)}). */
    private AppException refuse(ChatFrame.CloseReason why, AppException.Reason reason, String detail) {
        SECURITY.warn("refused peer: {} ({})", why, PeerText.forLog(detail));
        try {
            synchronized (sendLock) {
                channel.send(ChatFrame.close(why, detail).encode());
            }
        } catch (TransportException ignored) {
            // Closing anyway.
        }
        closeChannel();
        return new AppException(reason, detail);
    }

    private void progress(ChatEvent.Stage stage, String detail) {
        events.accept(new ChatEvent.Progress(attempt, stage, elapsed(), detail));
    }

    /** Since the user asked for this connection: the clock of every {@link ChatEvent.Progress} of the attempt. */
    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /** Sends BYE and closes. */
    void disconnect() {
        if (closed.get()) {
            return;
        }
        try {
            synchronized (sendLock) {
                channel.send(ChatFrame.close(ChatFrame.CloseReason.BYE, "").encode());
            }
        } catch (TransportException ignored) {
            // Closing anyway.
        }
        end(ChatEvent.DisconnectKind.LOCAL, "You ended the conversation.");
    }

    private void closeChannel() {
        if (closed.compareAndSet(false, true)) {
            live = false;
            // The acknowledger is not interrupted: it may be in the middle of a durable write, and it ends by
            // itself within one tick once it sees the session closed.
            channel.close();
        }
    }

    @Override
    public void close() {
        closeChannel();
    }

    static byte[] bindingHash(byte[] channelBinding, byte[] helloDialer, byte[] helloWaiter, SecurityLevel level) {
        byte[] input = new StrictWriter().bytes("securep2p/v1/chat/binding\0".getBytes(StandardCharsets.US_ASCII))
                .var16(channelBinding).var16(helloDialer).var16(helloWaiter).u8(level.code()).toByteArray();
        return sha256(input);
    }

    static byte[] sessionId(byte[] transcriptHash) {
        byte[] input = new StrictWriter().bytes("securep2p/v1/chat/session-id\0".getBytes(StandardCharsets.US_ASCII))
                .bytes(transcriptHash).toByteArray();
        return Arrays.copyOf(sha256(input), ChatFrame.SESSION_ID_LENGTH);
    }

    private static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    /** Peer-chosen text in a log line: one line, left to right, bounded ({@link PeerText#forLog}). */
    static String sanitize(String s) {
        return PeerText.forLog(s);
    }
}
