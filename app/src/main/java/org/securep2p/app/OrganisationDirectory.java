package org.securep2p.app;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.securep2p.app.org.BlockList;
import org.securep2p.app.org.ChatRequestPayload;
import org.securep2p.app.org.MemberEntryCheck;
import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.relay.MemberDirectory;
import org.securep2p.relay.RelayException;
import org.securep2p.transport.ConnectionCode;
import org.securep2p.transport.TransportException;
import org.securep2p.transport.cert.OrganisationTrust;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The messenger's side of an organisation relay (PROTOCOL.md §23.2–23.4): publishing this member, listing the
 * members, opening one by certified name with a chat request, and answering the requests of others. Every entry
 * is checked by {@link MemberEntryCheck} before it is used; every incoming request is dropped with a security-log
 * line, and nothing shown, unless its sender's certificate passes the CA's checks, its payload parses, it is fresh,
 * its sender is not blocked and (a REQUEST) its code names the sender's own identity.
 *
 * <p>Not its job: the set-up itself (the messenger's wait and connect, as for a code, pinned by the code's
 * fingerprint), nor carrying the frames (the first relay's {@link MemberDirectory}).
 */
final class OrganisationDirectory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OrganisationDirectory.class);
    private static final Logger SECURITY = LoggerFactory.getLogger("securep2p.security");
    /** How old or how far ahead a request may be, and how long an unanswered one waits: one ICE set-up (§23.4). */
    static final Duration REQUEST_LIFETIME = Duration.ofMinutes(2);
    /** How long a call waits for the relay's answer: the relay client's own request timeout and a little more. */
    static final Duration RELAY_WAIT = Duration.ofSeconds(15);
    /** Incoming requests shown and not yet answered, at most: a flood of them cannot fill the memory. */
    static final int MAX_PENDING = 64;

    /** What the directory needs of the messenger. */
    interface Host {
        /** The first relay's directory, if a relay is configured. */
        Optional<MemberDirectory> directory();

        /** A fresh prekey bundle of this identity, encoded (§4.5). */
        byte[] bundle() throws CryptoException;

        boolean isLive(Fingerprint peer);

        boolean hasConversation(Fingerprint peer);

        /** A wait that lets in only {@code member} (§23.4): the code goes through the relay, which others use. */
        ChatEvent.Endpoint waitForMember(SecurityLevel level, Fingerprint member) throws AppException;

        void acceptAnswer(String attempt, String answerCode) throws AppException;

        String connect(String code, SecurityLevel level) throws AppException;

        /** Ends the wait {@code attempt} if nobody has arrived at it yet. */
        void cancelIfWaiting(String attempt);

        void emit(ChatEvent event);
    }

    /** A request this side sent, whose wait is open. */
    @SuppressWarnings("ArrayRecordComponent") // internal, kept by attempt; the id is compared in constant time
    private record Outgoing(Fingerprint peer, String name, byte[] id, String attempt, ScheduledFuture<?> expiry) {
    }

    /** A request shown to the user and not yet answered. */
    @SuppressWarnings("ArrayRecordComponent") // internal, kept by id hex
    private record Incoming(Fingerprint peer, String name, byte[] id, String code, boolean answerNeeded,
            SecurityLevel level, ScheduledFuture<?> expiry) {
    }

    /** A connect this side started by accepting a request: its answer code goes back in an ACCEPT. */
    @SuppressWarnings("ArrayRecordComponent") // internal, kept by attempt
    private record Accepting(Fingerprint peer, byte[] id) {
    }

    private final Host host;
    private final OrganisationTrust trust;
    private final BlockList blocked;
    private final SecurityLevel floor;
    private final boolean publish;
    private final SecureRandom random;
    private final Clock clock;
    /** How long a request waits for an answer before it is TERMINATEd, and a shown one is kept. */
    private final Duration answerWait;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "organisation-directory");
        t.setDaemon(true);
        return t;
    });
    /** Guarded by this. */
    private final Map<String, Outgoing> outgoing = new HashMap<>();
    /** By request id hex. Guarded by this. */
    private final Map<String, Incoming> incoming = new HashMap<>();
    /** By attempt. Guarded by this. */
    private final Map<String, Accepting> accepting = new HashMap<>();

    OrganisationDirectory(Host host, OrganisationTrust trust, BlockList blocked, SecurityLevel floor, boolean publish,
            SecureRandom random, Clock clock) {
        this(host, trust, blocked, floor, publish, random, clock, REQUEST_LIFETIME);
    }

    /** As above, with another wait for an answer than {@link #REQUEST_LIFETIME} (tests). */
    OrganisationDirectory(Host host, OrganisationTrust trust, BlockList blocked, SecurityLevel floor, boolean publish,
            SecureRandom random, Clock clock, Duration answerWait) {
        this.answerWait = Objects.requireNonNull(answerWait);
        this.host = Objects.requireNonNull(host);
        this.trust = Objects.requireNonNull(trust);
        this.blocked = Objects.requireNonNull(blocked);
        this.floor = Objects.requireNonNull(floor);
        this.publish = publish;
        this.random = Objects.requireNonNull(random);
        this.clock = Objects.requireNonNull(clock);
    }

    /** The first relay is connected (again): publish this member if the user wants to be listed (§23.3). */
    void connected() {
        if (!publish) {
            return;
        }
        Optional<MemberDirectory> d = host.directory();
        if (d.isEmpty()) {
            return;
        }
        byte[] bundle;
        try {
            bundle = host.bundle();
        } catch (CryptoException e) {
            LOG.warn("not published in the directory: no prekey bundle ({})", e.reason());
            return;
        }
        // The failure is logged in whenComplete; the future it returns carries nothing more.
        var unused = d.get().publish(bundle).whenComplete((ok, e) -> {
            if (e != null) {
                LOG.info("not published in the directory: {}", cause(e).getMessage());
            } else {
                LOG.info("published in the organisation's directory");
            }
        });
    }

    /** Every listed member with presence, whether a conversation with it is stored, and whether it is blocked. */
    List<Messenger.MemberInfo> members() throws AppException {
        List<Messenger.MemberInfo> out = new ArrayList<>();
        for (MemberDirectory.Listing l : await(directory().members())) {
            Optional<Fingerprint> fp = fingerprint(l.fingerprint());
            if (fp.isEmpty()) {
                continue;
            }
            out.add(new Messenger.MemberInfo(l.name(), fp.get().displayString(), l.online(), host.hasConversation(fp.get()),
                    blocked.isBlocked(fp.get())));
        }
        return out;
    }

    /**
     * Opens the member certified as {@code name} (§23.4): its entry checked, a live session left as it is, else a
     * wait whose code goes to it in a REQUEST. Offline: {@code NOT_ONLINE}.
     */
    Messenger.Opened open(String name) throws AppException {
        MemberDirectory d = directory();
        MemberEntryCheck.CheckedMember member = check(d, name);
        Fingerprint peer = member.fingerprint();
        if (host.isLive(peer)) {
            return new Messenger.Opened("", true);
        }
        synchronized (this) {
            Optional<Outgoing> open = outgoing.values().stream().filter(o -> o.peer().equals(peer)).findFirst();
            if (open.isPresent()) {
                return new Messenger.Opened(open.get().attempt(), false);
            }
        }
        if (!listedOnline(d, peer)) {
            throw notOnline(name);
        }
        ChatEvent.Endpoint wait = host.waitForMember(floor, peer);
        if (wait.code().isEmpty()) {
            host.cancelIfWaiting(wait.attempt());
            throw new AppException(AppException.Reason.NO_WAIT,
                    "With a fixed port there is no code to send: the member connects to your port.");
        }
        byte[] id = new byte[ChatRequestPayload.REQUEST_ID_LENGTH];
        random.nextBytes(id);
        synchronized (this) {
            ScheduledFuture<?> expiry = worker.schedule(() -> expire(wait.attempt()), answerWait.toMillis(),
                    TimeUnit.MILLISECONDS);
            outgoing.put(wait.attempt(), new Outgoing(peer, name, id, wait.attempt(), expiry));
        }
        try {
            await(d.request(peer.toBytes(), new ChatRequestPayload(ChatRequestPayload.Kind.REQUEST, id, clock.instant(),
                    wait.code()).encode()));
        } catch (AppException e) {
            drop(wait.attempt());
            host.cancelIfWaiting(wait.attempt());
            throw e.reason() == AppException.Reason.NOT_ONLINE ? notOnline(name) : e;
        }
        LOG.info("chat request sent to {} (wait {})", peer.shortForm(), wait.attempt());
        return new Messenger.Opened(wait.attempt(), false);
    }

    /** Accepts the incoming request {@code id}: a connect with its code, and ACCEPT (with the answer code) back. */
    void accept(String id) throws AppException {
        Incoming in = takeIncoming(id);
        MemberDirectory d = directory();
        synchronized (this) {
            // Under the lock: the connect's AnswerCode event (another thread) waits until the connect is recorded.
            String attempt = host.connect(in.code(), floor);
            if (in.answerNeeded()) {
                accepting.put(attempt, new Accepting(in.peer(), in.id()));
            }
        }
        if (!in.answerNeeded()) {
            send(d, in.peer(), ChatRequestPayload.Kind.ACCEPT, in.id(), "");
        }
        LOG.info("chat request from {} accepted", in.peer().shortForm());
    }

    /** Declines the incoming request {@code id}: DECLINE back, nothing else. */
    void decline(String id) throws AppException {
        Incoming in = takeIncoming(id);
        send(directory(), in.peer(), ChatRequestPayload.Kind.DECLINE, in.id(), "");
        LOG.info("chat request from {} declined", in.peer().shortForm());
    }

    /** Blocks the member listed as {@code name} (its entry checked first, so the relay cannot make us block another). */
    void block(String name) throws AppException {
        MemberEntryCheck.CheckedMember m = check(directory(), name);
        try {
            blocked.block(m.fingerprint(), m.name());
        } catch (StoreException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, e.getMessage(), e);
        }
        SECURITY.info("blocked {} ({})", m.name(), m.fingerprint().shortForm());
    }

    /** Unblocks the member blocked as {@code name}; false if none was. */
    boolean unblock(String name) throws AppException {
        try {
            Optional<String> fp = blocked.unblockNamed(name);
            fp.ifPresent(f -> SECURITY.info("unblocked {}", name));
            return fp.isPresent();
        } catch (StoreException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, e.getMessage(), e);
        }
    }

    /** A request the relay pushed: checked and handled on this class's own thread, never the relay client's. */
    void received(MemberDirectory.IncomingRequest request) {
        try {
            worker.execute(() -> handle(request));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.info("closing: a chat request was not read");
        }
    }

    void handle(MemberDirectory.IncomingRequest request) {
        OrganisationTrust.CertifiedMember from;
        try {
            from = trust.verifyMember(request.fromCertificate(), Optional.empty());
        } catch (TransportException e) {
            SECURITY.warn("chat request dropped: its sender's certificate is refused ({})", e.getMessage());
            return;
        }
        Fingerprint peer = from.identity().fingerprint();
        String name = from.name();
        ChatRequestPayload p;
        try {
            p = ChatRequestPayload.decode(request.payload());
        } catch (CryptoException e) {
            SECURITY.warn("chat request from {} dropped: {}", name, e.getMessage());
            return;
        }
        Duration age = Duration.between(p.time(), clock.instant());
        if (age.abs().compareTo(REQUEST_LIFETIME) > 0) {
            SECURITY.warn("chat request from {} dropped: dated {} s from now", name, age.toSeconds());
            return;
        }
        if (blocked.isBlocked(peer)) {
            SECURITY.warn("chat request from {} ({}) dropped: blocked", name, peer.shortForm());
            return;
        }
        switch (p.kind()) {
            case REQUEST -> requested(peer, name, p);
            case ACCEPT -> answered(peer, name, p, true);
            case DECLINE -> answered(peer, name, p, false);
            case TERMINATE -> terminated(peer, name, p);
            default -> throw new IllegalStateException("unknown kind " + p.kind());
        }
    }

    private void requested(Fingerprint peer, String name, ChatRequestPayload p) {
        ConnectionCode code;
        try {
            code = ConnectionCode.parse(p.code());
        } catch (TransportException e) {
            SECURITY.warn("chat request from {} dropped: its code does not parse ({})", name, e.reason());
            return;
        }
        if (code.kind() != ConnectionCode.Kind.OFFER
                || !MessageDigest.isEqual(code.identity().toBytes(), peer.toBytes())) {
            // A member may offer only itself: never a way to send this side to somebody else.
            SECURITY.warn("chat request from {} dropped: its code names another identity", name);
            return;
        }
        String id = p.idHex();
        synchronized (this) {
            if (incoming.containsKey(id)) {
                LOG.info("chat request from {} shown already", name);
                return;
            }
            if (incoming.size() >= MAX_PENDING) {
                SECURITY.warn("chat request from {} dropped: {} requests wait already", name, MAX_PENDING);
                return;
            }
            ScheduledFuture<?> expiry = worker.schedule(() -> forget(id), answerWait.toMillis(),
                    TimeUnit.MILLISECONDS);
            incoming.put(id, new Incoming(peer, name, p.requestId(), p.code(), code.answerNeeded(),
                    code.minimumLevel(), expiry));
        }
        LOG.info("chat request from {} ({})", name, peer.shortForm());
        host.emit(new ChatEvent.ChatRequest(id, name, peer.displayString(), code.minimumLevel()));
    }

    private void answered(Fingerprint peer, String name, ChatRequestPayload p, boolean accepted) {
        Outgoing o;
        synchronized (this) {
            o = outgoing.values().stream().filter(x -> x.peer().equals(peer)
                    && MessageDigest.isEqual(x.id(), p.requestId())).findFirst().orElse(null);
        }
        if (o == null) {
            LOG.info("{} from {} for no open request ignored", p.kind(), name);
            return;
        }
        if (!accepted) {
            drop(o.attempt());
            host.cancelIfWaiting(o.attempt());
            host.emit(new ChatEvent.Failure(o.attempt(), name + " declined"));
            return;
        }
        if (!p.code().isEmpty()) {
            try {
                host.acceptAnswer(o.attempt(), p.code());
            } catch (AppException e) {
                LOG.info("answer from {} not taken: {}", name, e.getMessage());
            }
        }
    }

    private void terminated(Fingerprint peer, String name, ChatRequestPayload p) {
        Incoming gone;
        synchronized (this) {
            gone = incoming.get(p.idHex());
            if (gone == null || !gone.peer().equals(peer)) {
                LOG.info("TERMINATE from {} for no shown request ignored", name);
                return;
            }
            incoming.remove(p.idHex());
            gone.expiry().cancel(false);
        }
        host.emit(new ChatEvent.Notice(name + " no longer wants to talk"));
    }

    /** The messenger's events: an accepted request's answer code goes back; a wait that ended is forgotten. */
    void event(ChatEvent e) {
        if (e instanceof ChatEvent.AnswerCode a) {
            Accepting x;
            synchronized (this) {
                x = accepting.remove(a.attempt());
            }
            if (x != null) {
                worker.execute(() -> {
                    try {
                        send(directory(), x.peer(), ChatRequestPayload.Kind.ACCEPT, x.id(), a.code());
                    } catch (AppException err) {
                        LOG.info("accept to {} not sent: {}", x.peer().shortForm(), err.getMessage());
                    }
                });
            }
        } else if (e instanceof ChatEvent.Connected c) {
            drop(c.attempt());
            synchronized (this) {
                accepting.remove(c.attempt());
            }
        } else if (e instanceof ChatEvent.Failure f) {
            drop(f.attempt());
            synchronized (this) {
                accepting.remove(f.attempt());
            }
        }
    }

    private MemberEntryCheck.CheckedMember check(MemberDirectory d, String name) throws AppException {
        MemberDirectory.Listing listing = MemberEntryCheck.pick(await(d.members()), name);
        MemberDirectory.Entry entry = await(d.lookup(listing.fingerprint()));
        try {
            return MemberEntryCheck.check(trust, name, listing.fingerprint(), entry, floor, clock.instant());
        } catch (AppException e) {
            // A refused entry is the relay lying about a member (§23.6): the user's record of it, not only a reply.
            SECURITY.warn("directory entry for {} refused: {}", MemberEntryCheck.printable(name), e.detail());
            throw e;
        }
    }

    private boolean listedOnline(MemberDirectory d, Fingerprint peer) throws AppException {
        return await(d.members()).stream().anyMatch(l -> l.online()
                && MessageDigest.isEqual(l.fingerprint(), peer.toBytes()));
    }

    private void send(MemberDirectory d, Fingerprint to, ChatRequestPayload.Kind kind, byte[] id, String code)
            throws AppException {
        await(d.request(to.toBytes(), new ChatRequestPayload(kind, id, clock.instant(), code).encode()));
    }

    private Incoming takeIncoming(String id) throws AppException {
        synchronized (this) {
            Incoming in = incoming.remove(id);
            if (in == null) {
                throw new AppException(AppException.Reason.UNKNOWN_PEER,
                        "No chat request with that id is waiting (answered, withdrawn or older than two minutes).");
            }
            in.expiry().cancel(false);
            return in;
        }
    }

    private synchronized void forget(String id) {
        incoming.remove(id);
    }

    /** Nobody answered within the lifetime: TERMINATE, and the wait ends. */
    private void expire(String attempt) {
        Outgoing o;
        synchronized (this) {
            o = outgoing.remove(attempt);
        }
        if (o == null) {
            return;
        }
        LOG.info("chat request to {} ended: no answer within {} s", o.peer().shortForm(),
                answerWait.toSeconds());
        host.cancelIfWaiting(attempt);
        try {
            send(directory(), o.peer(), ChatRequestPayload.Kind.TERMINATE, o.id(), "");
        } catch (AppException e) {
            LOG.info("TERMINATE to {} not sent: {}", o.peer().shortForm(), e.getMessage());
        }
    }

    private synchronized boolean drop(String attempt) {
        Outgoing o = outgoing.remove(attempt);
        if (o == null) {
            return false;
        }
        o.expiry().cancel(false);
        return true;
    }

    /** The attempts of the requests still open (tests). */
    synchronized List<String> openRequests() {
        return List.copyOf(outgoing.keySet());
    }

    private MemberDirectory directory() throws AppException {
        return host.directory().orElseThrow(() -> new AppException(AppException.Reason.NO_DIRECTORY,
                "Configure your organisation's relay (--relay or relay.servers)."));
    }

    private static AppException notOnline(String name) {
        return new AppException(AppException.Reason.NOT_ONLINE, MemberEntryCheck.printable(name)
                + " is not online.");
    }

    private static Optional<Fingerprint> fingerprint(byte[] bytes) {
        try {
            return Optional.of(Fingerprint.fromBytes(bytes));
        } catch (CryptoException e) {
            return Optional.empty();
        }
    }

    /** The relay's answer, at most {@link #RELAY_WAIT}; its refusal as an AppException with its sentence. */
    private static <T> T await(CompletableFuture<T> f) throws AppException {
        try {
            return f.get(RELAY_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AppException(AppException.Reason.UNREACHABLE, "Interrupted while waiting for the relay.");
        } catch (TimeoutException e) {
            throw new AppException(AppException.Reason.UNREACHABLE, "The organisation relay did not answer.");
        } catch (ExecutionException e) {
            Throwable c = cause(e);
            if (c instanceof RelayException r && r.reason() == RelayException.Reason.NOT_ONLINE) {
                throw new AppException(AppException.Reason.NOT_ONLINE, "The member is not online.");
            }
            if (c instanceof RelayException r && r.reason() == RelayException.Reason.UNKNOWN_MEMBER) {
                throw new AppException(AppException.Reason.UNKNOWN_PEER, "The directory has no such member.");
            }
            throw new AppException(AppException.Reason.UNREACHABLE, c.getMessage() == null
                    ? "The organisation relay failed." : c.getMessage());
        }
    }

    private static Throwable cause(Throwable e) {
        Throwable c = e;
        while ((c instanceof ExecutionException || c instanceof java.util.concurrent.CompletionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
