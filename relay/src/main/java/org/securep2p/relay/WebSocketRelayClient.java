package org.securep2p.relay;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link RelayClient} connection over Jetty's WebSocket client (PROTOCOL.md §22.3). Everything it does (frames
 * read, requests sent, timers, listeners, sinks) runs on the connector's one event thread, so its state needs no
 * lock: Jetty's callbacks and the public methods only hand work to that thread. The connection's lifecycle is
 * {@link Conn}; requests wait in {@link #queued} until a challenge arrives, then in {@link #pending} until answered.
 * It is also its own {@link MemberDirectory} ({@link #directory()} returns it): directory requests are sent, timed
 * and renewed like the mailbox requests, and INCOMING chat requests go to the {@link #onRequest} sink on the event
 * thread. Public only because Jetty calls {@link Endpoint} through a public method lookup; made by
 * {@link RelayConnector}.
 */
public final class WebSocketRelayClient implements RelayClient, MemberDirectory {

    static final Logger LOG = LoggerFactory.getLogger(WebSocketRelayClient.class);

    private final RelayAddress address;
    private final WebSocketClient webSockets;
    private final ScheduledExecutorService events;
    private final SecureRandom random;
    private final RelayConnector.Timeouts timeouts;
    /** The connector's creation password (shared, zeroed when the connector closes); empty for none. */
    private final byte[] createPassword;
    private final Consumer<WebSocketRelayClient> onClosed;
    private final List<Consumer<State>> listeners = new CopyOnWriteArrayList<>();
    /** Where INCOMING chat requests go; null drops them. */
    private volatile Consumer<IncomingRequest> requestSink;

    // Event thread only, below.
    private Conn conn = new Conn.Idle();
    /** Bumped for every connection attempt, so that callbacks of an older one are ignored. */
    private int generation;
    private int failures;
    private int lastRequestId;
    private final ArrayDeque<Op> queued = new ArrayDeque<>();
    private final Map<Integer, Op> pending = new HashMap<>();
    private final Map<MailboxId, Subscription> subscriptions = new LinkedHashMap<>();
    private final Map<Integer, Subscription> subscriptionsByRequest = new HashMap<>();
    private ScheduledFuture<?> pingTimer;
    private long framesSent;

    // Read from any thread.
    private volatile State publicState = State.CONNECTING;
    private volatile String lastProblem = "";
    /** Why the last attempt failed (its reason is what requests refused meanwhile carry). */
    private volatile RelayException lastFailure;

    /** Where the connection stands; one value at a time, changed only on the event thread. */
    private sealed interface Conn {
        /** Not started yet. */
        record Idle() implements Conn {
        }

        /** A WebSocket upgrade under way. */
        record Dialling(int generation) implements Conn {
        }

        /** The WebSocket is open; the relay's CHALLENGE has not come yet. */
        record AwaitingChallenge(int generation, Session session) implements Conn {
        }

        /** Challenge received: requests are signed over {@code nonce} and sent. */
        @SuppressWarnings("ArrayRecordComponent") // never compared: a connection is itself, held by identity
        record Connected(int generation, Session session, byte[] nonce, int maxBlob) implements Conn {
        }

        /** Waiting to try again; {@code afterFailure} when the last attempt failed (UNREACHABLE to callers). */
        record Waiting(boolean afterFailure, ScheduledFuture<?> retry) implements Conn {
        }

        /** Closed for good. */
        record Closed() implements Conn {
        }
    }

    /** A request waiting to be sent or answered; {@code build} signs it for a connection's id and nonce. */
    private static final class Op {
        final BiFunction<Integer, byte[], RelayFrame> build;
        final CompletableFuture<RelayFrame> answer = new CompletableFuture<>();
        /** Set for subscriptions: what the OK makes active. */
        final Subscription subscription;
        /** The frame type that answers this request (OK, or MEMBER_LIST / ENTRY for the directory). */
        final Class<? extends RelayFrame> answerType;
        ScheduledFuture<?> timer;
        int requestId;

        Op(BiFunction<Integer, byte[], RelayFrame> build, Subscription subscription,
                Class<? extends RelayFrame> answerType) {
            this.build = build;
            this.subscription = subscription;
            this.answerType = answerType;
        }
    }

    /** One inbox this client reads, and the last sequence it delivered from it. */
    private static final class Subscription {
        final Inbox inbox;
        final Consumer<Delivery> sink;
        long lastDelivered;

        Subscription(Inbox inbox, Consumer<Delivery> sink) {
            this.inbox = inbox;
            this.sink = sink;
        }
    }

    WebSocketRelayClient(RelayAddress address, WebSocketClient webSockets, ScheduledExecutorService events,
            SecureRandom random, RelayConnector.Timeouts timeouts, byte[] createPassword,
            Consumer<WebSocketRelayClient> onClosed) {
        this.createPassword = createPassword;
        this.address = address;
        this.webSockets = webSockets;
        this.events = events;
        this.random = random;
        this.timeouts = timeouts;
        this.onClosed = onClosed;
    }

    void start() {
        run(this::dial);
    }

    @Override
    public RelayAddress address() {
        return address;
    }

    @Override
    public CompletableFuture<Void> create(Inbox inbox) {
        Objects.requireNonNull(inbox, "inbox");
        SigningKey receive = inbox.receiveKey();
        byte[] sendKey = inbox.sendKey().publicKey();
        return ask((id, nonce) -> RelayFrame.Create.sign(id, inbox.id(), receive, sendKey, createPassword,
                nonce), RelayFrame.Ok.class).thenApply(v -> null);
    }

    @Override
    public CompletableFuture<Long> post(SendCapability to, byte[] blob, int ttlSeconds) {
        Objects.requireNonNull(to, "to");
        byte[] copy = blob.clone();
        if (copy.length < 1 || copy.length > RelayFrame.MAX_BLOB || ttlSeconds < 1) {
            return CompletableFuture.failedFuture(new RelayException(RelayException.Reason.TOO_LARGE,
                    "An item is 1 byte to 1 MiB, kept at least a second."));
        }
        return ask((id, nonce) -> RelayFrame.Post.sign(id, to.id(), ttlSeconds, copy, to.sendKey(), nonce),
                RelayFrame.Ok.class).thenApply(f -> ((RelayFrame.Ok) f).value());
    }

    @Override
    public CompletableFuture<Void> subscribe(Inbox inbox, Consumer<Delivery> sink) {
        Objects.requireNonNull(inbox, "inbox");
        Objects.requireNonNull(sink, "sink");
        CompletableFuture<Void> done = new CompletableFuture<>();
        runOrFail(done, () -> {
            Subscription old = subscriptions.get(inbox.id());
            Subscription s = new Subscription(inbox, sink);
            if (old != null) {
                // A new sink for the same inbox continues where the old one stopped.
                s.lastDelivered = old.lastDelivered;
                subscriptionsByRequest.values().remove(old);
            }
            subscriptions.put(inbox.id(), s);
            forward(submit(subscribeOp(s)).thenApply(v -> (Void) null), done);
        });
        return done;
    }

    @Override
    public CompletableFuture<Void> delete(Inbox inbox, long upTo) {
        Objects.requireNonNull(inbox, "inbox");
        if (upTo < 1) {
            throw new IllegalArgumentException("upTo must be positive");
        }
        SigningKey receive = inbox.receiveKey();
        return ask((id, nonce) -> RelayFrame.Delete.sign(id, inbox.id(), upTo, receive, nonce),
                RelayFrame.Ok.class).thenApply(v -> null);
    }

    @Override
    public State state() {
        return publicState;
    }

    @Override
    public void addStateListener(Consumer<State> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public String lastProblem() {
        return lastProblem;
    }

    @Override
    public void close() {
        boolean handed = run(() -> {
            if (conn instanceof Conn.Closed) {
                return;
            }
            Session session = session();
            if (conn instanceof Conn.Waiting w) {
                w.retry().cancel(false);
            }
            stopPing();
            conn = new Conn.Closed();
            generation++;
            if (session != null) {
                session.close(StatusCode.NORMAL, "closed", Callback.NOOP);
            }
            RelayException closed = new RelayException(RelayException.Reason.UNREACHABLE,
                    "The relay client was closed.");
            failAll(closed);
            subscriptions.clear();
            subscriptionsByRequest.clear();
            announce(State.CLOSED);
            onClosed.accept(this);
        });
        if (!handed) {
            // The connector is closed, and closed this client before its event thread stopped.
            publicState = State.CLOSED;
        }
    }

    // ---- member directory (§23.3–23.4) --------------------------------------------------------------------------

    @Override
    public MemberDirectory directory() {
        return this;
    }

    @Override
    public CompletableFuture<Void> publish(byte[] bundle) {
        RelayFrame.Publish check = new RelayFrame.Publish(1, bundle); // refuses a bad size here, not at send
        return ask((id, nonce) -> new RelayFrame.Publish(id, check.bundle()), RelayFrame.Ok.class)
                .thenApply(f -> null);
    }

    @Override
    public CompletableFuture<Void> unpublish() {
        return ask((id, nonce) -> new RelayFrame.Unpublish(id), RelayFrame.Ok.class).thenApply(f -> null);
    }

    @Override
    public CompletableFuture<List<Listing>> members() {
        return ask((id, nonce) -> new RelayFrame.Members(id), RelayFrame.MemberList.class)
                .thenApply(f -> ((RelayFrame.MemberList) f).members());
    }

    @Override
    public CompletableFuture<Entry> lookup(byte[] fingerprint) {
        byte[] copy = new RelayFrame.Lookup(1, fingerprint).fingerprint();
        return ask((id, nonce) -> new RelayFrame.Lookup(id, copy), RelayFrame.Entry.class).thenApply(f -> {
            RelayFrame.Entry e = (RelayFrame.Entry) f;
            return new Entry(e.certificate(), e.bundle(), Instant.ofEpochMilli(e.publishedMillis()));
        });
    }

    @Override
    public CompletableFuture<Void> request(byte[] toFingerprint, byte[] payload) {
        RelayFrame.Request check = new RelayFrame.Request(1, toFingerprint, payload);
        return ask((id, nonce) -> new RelayFrame.Request(id, check.to(), check.payload()), RelayFrame.Ok.class)
                .thenApply(f -> null);
    }

    @Override
    public void onRequest(Consumer<IncomingRequest> sink) {
        requestSink = Objects.requireNonNull(sink, "sink");
    }

    /** Frames this client has sent on any connection (tests: a refused relay key sends nothing). */
    long framesSent() {
        CompletableFuture<Long> n = new CompletableFuture<>();
        run(() -> n.complete(framesSent));
        return n.join();
    }

    // ---- requests -----------------------------------------------------------------------------------------------

    /** Sends the frame {@code build} makes; completes with the relay's answer, an {@code answer} frame. */
    private CompletableFuture<RelayFrame> ask(BiFunction<Integer, byte[], RelayFrame> build,
            Class<? extends RelayFrame> answer) {
        CompletableFuture<RelayFrame> out = new CompletableFuture<>();
        runOrFail(out, () -> forward(submit(new Op(build, null, answer)), out));
        return out;
    }

    /** Completes {@code to} as {@code from} completes. */
    @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's own future only mirrors from, which to reports
    private static <T> void forward(CompletableFuture<T> from, CompletableFuture<T> to) {
        from.whenComplete((v, e) -> {
            if (e != null) {
                to.completeExceptionally(e);
            } else {
                to.complete(v);
            }
        });
    }

    private Op subscribeOp(Subscription s) {
        Op op = new Op((id, nonce) -> RelayFrame.Subscribe.sign(id, s.inbox.id(), s.lastDelivered,
                s.inbox.receiveKey(), nonce), s, RelayFrame.Ok.class);
        CompletableFuture<RelayFrame> unused = op.answer.whenComplete((v, e) -> {
            if (e instanceof RelayException re && re.reason().code() != 0) {
                // The relay refuses this inbox (unknown, expired): stop renewing it. One that failed for want
                // of a connection stays, and is renewed at the next one.
                subscriptions.remove(s.inbox.id(), s);
            }
        });
        return op;
    }

    /** Sends {@code op} now, queues it until connected, or refuses it at once when the relay is unreachable. */
    private CompletableFuture<RelayFrame> submit(Op op) {
        if (conn instanceof Conn.Connected c) {
            send(c, op);
        } else if (conn instanceof Conn.Closed) {
            op.answer.completeExceptionally(new RelayException(RelayException.Reason.UNREACHABLE,
                    "The relay client is closed."));
        } else if (conn instanceof Conn.Waiting w && w.afterFailure()) {
            op.answer.completeExceptionally(unreachable());
        } else {
            queued.add(op);
            op.timer = schedule(() -> {
                if (queued.remove(op)) {
                    op.answer.completeExceptionally(new RelayException(RelayException.Reason.TIMEOUT,
                            "No connection to the relay at " + where() + " within "
                                    + timeouts.request().toMillis() + " ms."));
                }
            }, timeouts.request());
        }
        return op.answer;
    }

    private void send(Conn.Connected c, Op op) {
        if (op.timer != null) {
            op.timer.cancel(false);
        }
        RelayFrame frame;
        try {
            frame = op.build.apply(lastRequestId + 1, c.nonce());
        } catch (RuntimeException e) {
            op.answer.completeExceptionally(new RelayException(RelayException.Reason.BAD_FRAME,
                    "The request could not be made: " + e.getMessage() + "."));
            return;
        }
        if (frame instanceof RelayFrame.Post p && p.blob().length > c.maxBlob()) {
            // The relay would refuse it and close the connection (TOO_LARGE): refuse it here instead.
            op.answer.completeExceptionally(new RelayException(RelayException.Reason.TOO_LARGE,
                    "The item is larger than the relay at " + where() + " keeps (" + c.maxBlob() + " bytes)."));
            return;
        }
        op.requestId = ++lastRequestId;
        pending.put(op.requestId, op);
        if (op.subscription != null) {
            subscriptionsByRequest.put(op.requestId, op.subscription);
        }
        op.timer = schedule(() -> {
            if (pending.remove(op.requestId) == op) {
                op.answer.completeExceptionally(new RelayException(RelayException.Reason.TIMEOUT,
                        "The relay at " + where() + " did not answer within " + timeouts.request().toMillis()
                                + " ms."));
                // No answer in time: the connection is as good as dead (§22.3 has no slow answers).
                if (conn instanceof Conn.Connected now && now.generation() == c.generation()) {
                    dropped(c.generation(), "it stopped answering");
                }
            }
        }, timeouts.request());
        write(c, frame.encode());
    }

    private void write(Conn.Connected c, byte[] bytes) {
        framesSent++;
        int gen = c.generation();
        c.session().sendBinary(ByteBuffer.wrap(bytes), Callback.from(() -> { }, e -> run(() -> dropped(gen,
                describe(e)))));
    }

    // ---- connection lifecycle -----------------------------------------------------------------------------------

    private void dial() {
        if (conn instanceof Conn.Closed) {
            return;
        }
        int gen = ++generation;
        conn = new Conn.Dialling(gen);
        announce(State.CONNECTING);
        try {
            CompletableFuture<Session> unused = webSockets.connect(new Endpoint(gen),
                    URI.create(address.webSocketUri())).whenComplete((s, e) -> {
                if (e != null) {
                    run(() -> attemptFailed(gen, e));
                }
            });
        } catch (IOException | RuntimeException e) {
            attemptFailed(gen, e);
        }
    }

    /** A connection attempt that never reached CHALLENGE failed: say why, fail what waits, try again later. */
    private void attemptFailed(int gen, Throwable cause) {
        if (gen != generation || conn instanceof Conn.Closed || conn instanceof Conn.Connected) {
            return;
        }
        RelayException problem;
        if (PinnedTrust.isWrongRelayKey(cause)) {
            problem = new RelayException(RelayException.Reason.WRONG_RELAY_KEY, "the relay at " + where()
                    + " presented another key than the one in its address");
        } else {
            problem = new RelayException(RelayException.Reason.UNREACHABLE, "cannot reach the relay at " + where()
                    + ": " + describe(cause));
        }
        LOG.info("relay {} unreachable: {}", where(), problem.getMessage());
        lastProblem = problem.getMessage();
        lastFailure = problem;
        Session s = session();
        if (s != null) {
            s.disconnect();
        }
        failAll(problem);
        failures++;
        waitThenDial(true);
    }

    /** An established connection ended: fail what was in flight, reconnect after the first backoff. */
    private void dropped(int gen, String why) {
        if (gen != generation || !(conn instanceof Conn.Connected c)) {
            if (gen == generation && (conn instanceof Conn.AwaitingChallenge || conn instanceof Conn.Dialling)) {
                attemptFailed(gen, new IOException(why));
            }
            return;
        }
        LOG.info("relay connection to {} dropped: {}", where(), why);
        c.session().disconnect();
        stopPing();
        failAll(new RelayException(RelayException.Reason.UNREACHABLE, "The connection to the relay at " + where()
                + " dropped before it answered (" + why + ")."));
        failures = 0;
        waitThenDial(false);
    }

    private void waitThenDial(boolean afterFailure) {
        generation++;
        ScheduledFuture<?> retry = schedule(this::dial, backoff(failures, timeouts, random.nextDouble()));
        conn = new Conn.Waiting(afterFailure, retry);
        announce(afterFailure ? State.UNREACHABLE : State.CONNECTING);
    }

    /**
     * The wait before the next attempt after {@code failures} failed ones in a row (0 after a drop): the first
     * backoff doubled per failure up to the longest, less {@code unit} (in [0, 1)) times half of it, so that
     * clients dropped together do not all come back at the same moment.
     */
    static Duration backoff(int failures, RelayConnector.Timeouts timeouts, double unit) {
        long first = timeouts.firstBackoff().toMillis();
        long max = timeouts.maxBackoff().toMillis();
        long delay = first;
        for (int i = 1; i < failures && delay < max; i++) {
            delay *= 2;
        }
        delay = Math.min(delay, max);
        long jittered = delay - (long) (unit * (delay / 2.0));
        return Duration.ofMillis(Math.max(jittered, 1));
    }

    private void challenged(Conn.AwaitingChallenge a, RelayFrame.Challenge ch) {
        Conn.Connected c = new Conn.Connected(a.generation(), a.session(), ch.nonce(), ch.maxBlob());
        conn = c;
        failures = 0;
        lastRequestId = 0;
        lastProblem = "";
        // Renew every subscription from where it stopped, then what waited for the connection, in order.
        subscriptionsByRequest.clear();
        for (Subscription s : new ArrayList<>(subscriptions.values())) {
            send(c, subscribeOp(s));
        }
        List<Op> waiting = new ArrayList<>(queued);
        queued.clear();
        for (Op op : waiting) {
            send(c, op);
        }
        startPing(c);
        announce(State.CONNECTED);
    }

    private void received(int gen, byte[] bytes) {
        if (gen != generation) {
            return;
        }
        RelayFrame frame;
        try {
            frame = RelayFrame.decode(bytes);
        } catch (RelayException e) {
            protocolError(gen, "it sent a frame that does not parse");
            return;
        }
        if (conn instanceof Conn.AwaitingChallenge a && frame instanceof RelayFrame.Challenge ch) {
            challenged(a, ch);
        } else if (conn instanceof Conn.AwaitingChallenge && frame instanceof RelayFrame.Error err
                && err.requestId() == 0) {
            // BUSY before the challenge: the relay is there but takes no one more now.
            attemptFailed(gen, new IOException(err.detail()));
        } else if (conn instanceof Conn.Connected c) {
            answered(c, frame);
        } else {
            protocolError(gen, "it sent " + frame.getClass().getSimpleName() + " out of turn");
        }
    }

    private void answered(Conn.Connected c, RelayFrame frame) {
        if (frame instanceof RelayFrame.Ok || frame instanceof RelayFrame.MemberList
                || frame instanceof RelayFrame.Entry) {
            Op op = pending.get(frame.requestId());
            if (op == null || !op.answerType.isInstance(frame)) {
                protocolError(c.generation(), op == null ? "it answered a request that was not made"
                        : "it answered a request with " + frame.getClass().getSimpleName());
                return;
            }
            pending.remove(frame.requestId());
            op.timer.cancel(false);
            op.answer.complete(frame);
        } else if (frame instanceof RelayFrame.Incoming in) {
            Consumer<IncomingRequest> sink = requestSink;
            if (sink == null) {
                return; // §MemberDirectory: dropped until the app says where requests go
            }
            try {
                sink.accept(new IncomingRequest(in.fromCertificate(), in.payload()));
            } catch (RuntimeException e) {
                LOG.warn("a chat request sink failed", e);
            }
        } else if (frame instanceof RelayFrame.Error err) {
            Op op = pending.remove(err.requestId());
            if (op != null) {
                op.timer.cancel(false);
                if (op.subscription != null) {
                    subscriptionsByRequest.remove(err.requestId());
                }
                op.answer.completeExceptionally(new RelayException(err.reason(), err.detail()));
            } else if (err.requestId() != 0) {
                protocolError(c.generation(), "it refused a request that was not made");
            }
            // A reason that closes the connection (§22.3): the relay closes it; the close reconnects.
        } else if (frame instanceof RelayFrame.Deliver d) {
            Subscription s = subscriptionsByRequest.get(d.requestId());
            if (s == null || !s.inbox.id().equals(d.mailbox())) {
                // A delivery for a replaced subscription still in flight, or for another inbox: not ours.
                return;
            }
            if (d.sequence() <= s.lastDelivered) {
                // Already delivered by this client: a relay that repeats itself (§22.9) causes no duplicate.
                return;
            }
            s.lastDelivered = d.sequence();
            try {
                s.sink.accept(new Delivery(d.mailbox(), d.sequence(), Instant.ofEpochMilli(d.postedMillis()),
                        d.blob()));
            } catch (RuntimeException e) {
                LOG.warn("a relay delivery sink failed", e);
            }
        } else {
            protocolError(c.generation(), "it sent a client's request");
        }
    }

    private void protocolError(int gen, String why) {
        if (conn instanceof Conn.Connected c && c.generation() == gen) {
            c.session().close(StatusCode.PROTOCOL, "protocol error", Callback.NOOP);
            dropped(gen, why);
        } else {
            attemptFailed(gen, new IOException("the relay broke the protocol: " + why));
        }
    }

    private void startPing(Conn.Connected c) {
        long every = timeouts.ping().toMillis();
        pingTimer = events.scheduleWithFixedDelay(() -> {
            if (conn == c) {
                send(c, new Op((id, nonce) -> new RelayFrame.Ping(id), null, RelayFrame.Ok.class));
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    private void stopPing() {
        if (pingTimer != null) {
            pingTimer.cancel(false);
            pingTimer = null;
        }
    }

    private void failAll(RelayException why) {
        List<Op> all = new ArrayList<>(queued);
        all.addAll(pending.values());
        queued.clear();
        pending.clear();
        subscriptionsByRequest.clear();
        for (Op op : all) {
            if (op.timer != null) {
                op.timer.cancel(false);
            }
            op.answer.completeExceptionally(why);
        }
    }

    private RelayException unreachable() {
        RelayException last = lastFailure;
        return last == null ? new RelayException(RelayException.Reason.UNREACHABLE, "cannot reach the relay at "
                + where()) : new RelayException(last.reason(), last.getMessage());
    }

    private Session session() {
        if (conn instanceof Conn.AwaitingChallenge a) {
            return a.session();
        }
        return conn instanceof Conn.Connected c ? c.session() : null;
    }

    private void announce(State s) {
        if (publicState == s) {
            return;
        }
        publicState = s;
        for (Consumer<State> l : listeners) {
            try {
                l.accept(s);
            } catch (RuntimeException e) {
                LOG.warn("a relay state listener failed", e);
            }
        }
    }

    private String where() {
        return address.host() + ":" + address.port();
    }

    private static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    private ScheduledFuture<?> schedule(Runnable task, Duration after) {
        return events.schedule(task, after.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Hands {@code task} to the event thread, or fails {@code answer} when the connector has shut it down. */
    private void runOrFail(CompletableFuture<?> answer, Runnable task) {
        if (!run(task)) {
            answer.completeExceptionally(new RelayException(RelayException.Reason.UNREACHABLE,
                    "The relay client is closed."));
        }
    }

    /** Hands {@code task} to the event thread; false (and nothing runs) once the connector has shut it down. */
    private boolean run(Runnable task) {
        Executor e = events;
        try {
            e.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException ex) {
                    LOG.error("relay client event failed", ex);
                }
            });
            return true;
        } catch (RejectedExecutionException ex) {
            LOG.debug("relay client event after the connector closed");
            return false;
        }
    }

    /**
     * Jetty's callbacks for one connection attempt; each hands its event to the event thread. Public because Jetty
     * reaches listener methods through {@code MethodHandles.publicLookup()}; only this client makes one.
     */
    public final class Endpoint implements Session.Listener.AutoDemanding {
        private final int gen;

        private Endpoint(int gen) {
            this.gen = gen;
        }

        @Override
        public void onWebSocketOpen(Session session) {
            run(() -> {
                if (gen == generation && conn instanceof Conn.Dialling) {
                    conn = new Conn.AwaitingChallenge(gen, session);
                    // A relay that never challenges is as unreachable as one that never answers.
                    ScheduledFuture<?> unused = schedule(() -> {
                        if (gen == generation && conn instanceof Conn.AwaitingChallenge) {
                            attemptFailed(gen, new IOException("it sent no challenge"));
                        }
                    }, timeouts.request());
                } else {
                    session.disconnect();
                }
            });
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            byte[] bytes = new byte[payload.remaining()];
            payload.get(bytes);
            callback.succeed();
            run(() -> received(gen, bytes));
        }

        @Override
        public void onWebSocketText(String message) {
            run(() -> protocolError(gen, "it sent text"));
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason, Callback callback) {
            callback.succeed();
            run(() -> dropped(gen, "closed with status " + statusCode));
        }

        @Override
        public void onWebSocketError(Throwable cause) {
            run(() -> {
                if (conn instanceof Conn.Connected) {
                    dropped(gen, describe(cause));
                } else {
                    attemptFailed(gen, cause);
                }
            });
        }
    }
}
