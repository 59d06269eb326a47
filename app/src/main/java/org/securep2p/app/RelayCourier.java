package org.securep2p.app;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.securep2p.crypto.Fingerprint;
import org.securep2p.ratchet.RatchetException;
import org.securep2p.relay.Inbox;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.MailboxItem;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.RelayClient;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.SendCapability;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Store and forward through relays (PROTOCOL.md §22.5, §22.6): keeps an inbox on this side's first relay for every
 * contact and introduces it over each confirmed session; posts the queue of a contact who is not connected into
 * the contact's inbox, in order, one at a time, and reports each message {@link ChatEvent.Relayed}; takes what
 * arrives in its own inboxes, hands each ratchet message to {@link RatchetReceiver} exactly as a live session
 * does, deletes it at the relay only after it was committed, then posts a cumulative acknowledgement back.
 *
 * <p>Every step runs on one thread of its own, in the order it was asked for, so a message is never posted twice
 * at once and {@code posted_up_to} only grows. A relay that cannot be reached leaves the queue as it was: the
 * problem is reported once, the messages are posted when the relay is back, and sent directly at the next
 * session either way.
 *
 * <p>Not its job: the WebSocket connection (a {@link RelayClient} per relay, from the seam given), the ratchet
 * (the {@link Conversation}), the rendezvous (§22.7).
 */
final class RelayCourier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RelayCourier.class);
    private static final Logger SECURITY = LoggerFactory.getLogger("securep2p.security");
    /** How long an item waits at the relay (§22.6): three weeks, the relay's own default ceiling. */
    static final int TTL_SECONDS = (int) Duration.ofDays(21).toSeconds();
    /** How long one request may take before the courier treats the relay as unreachable and moves on. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /** What the courier needs of the messenger. */
    interface Host {
        /** The stored conversation with {@code peer}, if any. */
        Optional<Conversation> conversation(Fingerprint peer) throws AppException;

        /** Whether a live session with {@code peer} carries its messages now (then nothing is posted). */
        boolean isLive(Fingerprint peer);

        /** Every contact with a stored conversation. */
        List<Fingerprint> contacts() throws AppException;

        /** Where received messages are kept (the history); its {@code introduced} is not used. */
        ChatSession.Conversations receiver();

        /** A conversation event, through the same path as a live session's (history first, then the front ends). */
        void event(ChatEvent event);
    }

    private final List<RelayAddress> relays;
    private final Function<RelayAddress, RelayClient> connect;
    private final MailboxStore store;
    private final Host host;
    private final SecureRandom random;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "relay-courier");
        t.setDaemon(true);
        return t;
    });
    /** One client per relay, opened on first use. Courier thread only. */
    private final Map<RelayAddress, RelayClient> clients = new java.util.concurrent.ConcurrentHashMap<>();
    /** Inboxes subscribed to, and whose they are. Courier thread only. */
    private final Map<MailboxId, Fingerprint> subscribed = new HashMap<>();
    /** The last problem reported per contact, so each is reported once. Courier thread only. */
    private final Map<Fingerprint, String> reported = new HashMap<>();
    /** Contacts owed an acknowledgement through the relay. Courier thread only. */
    private final Set<Fingerprint> ackDue = new LinkedHashSet<>();
    private volatile boolean closed;

    /**
     * @param relays this side's relays, first one first (an inbox is kept on the first); may be empty (then only
     *        the contacts' inboxes are posted into)
     * @param connect opens a client for one relay (the real wiring: {@code RelayConnector}; tests: a double)
     */
    RelayCourier(List<RelayAddress> relays, Function<RelayAddress, RelayClient> connect, MailboxStore store,
            Host host, SecureRandom random) {
        this.relays = List.copyOf(relays);
        this.connect = Objects.requireNonNull(connect);
        this.store = Objects.requireNonNull(store);
        this.host = Objects.requireNonNull(host);
        this.random = Objects.requireNonNull(random);
    }

    /** Start-up: subscribes to every inbox this side owns, then posts what waits for contacts not connected. */
    void start() {
        enqueue(() -> {
            for (RelayAddress r : relays) {
                client(r);
            }
            for (Fingerprint peer : host.contacts()) {
                Optional<Inbox> own = store.load(peer).own();
                if (own.isPresent()) {
                    subscribe(peer, own.get());
                }
            }
            flushAll();
        });
    }

    /** This side's first relay, the one its offer codes name (§22.5), if it has one. */
    Optional<RelayAddress> firstRelay() {
        return relays.isEmpty() ? Optional.empty() : Optional.of(relays.get(0));
    }

    /**
     * After a confirmed session: makes sure this side has an inbox for the contact on its inbox relay (generated
     * and stored first, then created at the relay), then introduces it over {@code session} (MAILBOX). The inbox
     * relay is this side's first relay; a side without relays of its own uses the relay the inviter's code named
     * ({@code offered}, §22.5), else the one its stored inbox for the contact is on (adopted before), else none.
     */
    void introduce(Fingerprint peer, ChatSession session, Optional<RelayAddress> offered) {
        Objects.requireNonNull(offered, "offered");
        enqueue(() -> {
            MailboxStore.Mailboxes m = store.load(peer);
            Optional<RelayAddress> target = inboxRelay(m, offered);
            if (target.isEmpty()) {
                return;
            }
            RelayAddress first = target.get();
            boolean adopted = relays.isEmpty();
            Inbox own = m.own().filter(o -> o.relay().equals(first)).orElse(null);
            if (own == null) {
                own = Inbox.generate(first, random);
                // Stored before the relay hears of it: a crash in between leaves an inbox we can still use.
                store.save(peer, m.withOwn(own));
            }
            try {
                await(client(first).create(own));
            } catch (RelayException e) {
                problem(peer, (adopted ? "The contact's relay " : "Your relay ") + first.host() + ":" + first.port()
                        + " could not keep an inbox for this contact: " + e.getMessage());
                return;
            }
            subscribe(peer, own);
            ChatPayload introduction = ChatPayload.mailbox(own.capability());
            try {
                if (session.sendControl(introduction)) {
                    LOG.info("inbox on {}:{} introduced to {}{}", first.host(), first.port(), peer.shortForm(),
                            adopted ? " (the relay its code named)" : "");
                }
            } finally {
                introduction.wipe();
            }
        });
    }

    /**
     * Where this side keeps its inbox for a contact (§22.5): its own first relay whenever it has one; without
     * relays of its own, the relay the inviter's code named, else the relay of the inbox adopted before.
     */
    private Optional<RelayAddress> inboxRelay(MailboxStore.Mailboxes m, Optional<RelayAddress> offered) {
        if (!relays.isEmpty()) {
            return Optional.of(relays.get(0));
        }
        return offered.or(() -> m.own().map(Inbox::relay));
    }

    /** The contact introduced its inbox (MAILBOX, live or through a relay): stored as where to post from now on. */
    void introduced(Fingerprint peer, SendCapability inbox) throws AppException {
        synchronized (store) {
            MailboxStore.Mailboxes m = store.load(peer);
            if (m.peer().filter(p -> p.id().equals(inbox.id()) && p.relay().equals(inbox.relay())).isPresent()) {
                // The same inbox again (every session introduces it): keep what was posted there.
                inbox.sendKey().destroy();
                return;
            }
            store.save(peer, m.withPeer(inbox));
        }
        LOG.info("{} introduced an inbox on {}:{}", peer.shortForm(), inbox.relay().host(), inbox.relay().port());
    }

    /**
     * Posts a control payload (§22.7's OFFER or ANSWER) into the contact's inbox, encrypted with the conversation's
     * ratchet and not queued: it means something only now. Completes when the relay has committed it.
     */
    java.util.concurrent.CompletableFuture<Void> postControl(Fingerprint peer, ChatPayload payload) {
        return post(peer, () -> {
            Optional<Conversation> c = host.conversation(peer);
            if (c.isEmpty()) {
                throw new AppException(AppException.Reason.UNREACHABLE, "no conversation with this contact is stored");
            }
            return new MailboxItem(MailboxItem.Kind.RATCHET, c.get().encryptControl(payload));
        });
    }

    /**
     * Posts one file chunk (a CHUNK item, PROTOCOL.md §24.3) into the contact's inbox, on the courier's thread like
     * every relay step; completes when the relay has committed it, exceptionally with the relay's reason
     * (QUOTA_EXCEEDED when the mailbox is full). Empty when the contact has introduced no inbox.
     */
    Optional<java.util.concurrent.CompletableFuture<Void>> postChunk(Fingerprint peer, byte[] chunk) {
        if (!hasInbox(peer)) {
            return Optional.empty();
        }
        return Optional.of(post(peer, () -> new MailboxItem(MailboxItem.Kind.CHUNK, chunk)));
    }

    /** Makes an item on the courier's thread (an encryption commits the ratchet there, in order). */
    private interface ItemMaker {
        MailboxItem make() throws Exception;
    }

    /** Posts the item {@code item} makes into the contact's inbox, on the courier's thread, awaited there. */
    private java.util.concurrent.CompletableFuture<Void> post(Fingerprint peer, ItemMaker item) {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        enqueue(() -> {
            try {
                Optional<SendCapability> to = store.load(peer).peer();
                if (to.isEmpty()) {
                    throw new AppException(AppException.Reason.UNREACHABLE, "no inbox of this contact is known");
                }
                await(client(to.get().relay()).post(to.get(), item.make().encode(), TTL_SECONDS));
                done.complete(null);
            } catch (Exception e) {
                done.completeExceptionally(e);
            }
        });
        if (closed) {
            done.completeExceptionally(new AppException(AppException.Reason.UNREACHABLE, "closing"));
        }
        return done;
    }

    /** Whether the contact has introduced an inbox this side can post into. */
    boolean hasInbox(Fingerprint peer) {
        try {
            return store.load(peer).peer().isPresent();
        } catch (AppException e) {
            return false;
        }
    }

    /** The client of this side's first relay, where the directory and chat requests go (§23.2); none without relays. */
    Optional<RelayClient> firstClient() {
        return relays.isEmpty() ? Optional.empty() : Optional.of(client(relays.get(0)));
    }

    /** Runs {@code action} once, on the courier's thread, as soon as one of this side's relays is connected. */
    void whenConnected(Runnable action) {
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        Step run = () -> {
            if (once.compareAndSet(false, true)) {
                action.run();
            }
        };
        enqueue(() -> {
            for (RelayAddress r : ownAndAdoptedRelays()) {
                RelayClient c = client(r);
                c.addStateListener(s -> {
                    if (s == RelayClient.State.CONNECTED) {
                        enqueue(run);
                    }
                });
                if (c.state() == RelayClient.State.CONNECTED) {
                    run.run();
                }
            }
        });
    }

    /**
     * This side's relays, then those its inboxes for contacts are on although they are not among them (relays
     * adopted from the inviter's code, §22.5): a side without relays of its own reconnects through those.
     */
    private List<RelayAddress> ownAndAdoptedRelays() throws AppException {
        Set<RelayAddress> out = new LinkedHashSet<>(relays);
        for (Fingerprint peer : host.contacts()) {
            store.load(peer).own().ifPresent(o -> out.add(o.relay()));
        }
        return List.copyOf(out);
    }

    /** Posts the contact's queue if it is not connected (after a send that queued, after a session ended). */
    void flush(Fingerprint peer) {
        enqueue(() -> flushPeer(peer));
    }

    private void flushAll() throws AppException {
        for (Fingerprint peer : host.contacts()) {
            flushPeer(peer);
        }
    }

    private void flushPeer(Fingerprint peer) throws AppException {
        if (host.isLive(peer)) {
            return;
        }
        MailboxStore.Mailboxes m = store.load(peer);
        if (m.peer().isEmpty()) {
            return;
        }
        Optional<Conversation> c = host.conversation(peer);
        if (c.isEmpty()) {
            return;
        }
        SendCapability to = m.peer().get();
        for (Conversation.Pending p : c.get().pending()) {
            if (p.sequence() <= m.postedUpTo()) {
                continue;
            }
            if (host.isLive(peer) || closed) {
                // A session took over: it resends the queue itself (§20.3).
                return;
            }
            try {
                await(client(to.relay()).post(to, new MailboxItem(MailboxItem.Kind.RATCHET, p.wire()).encode(),
                        TTL_SECONDS));
            } catch (RelayException e) {
                problem(peer, "A message to this contact stays queued: the relay " + to.relay().host() + ":"
                        + to.relay().port() + " did not take it (" + e.getMessage() + ")");
                return;
            }
            synchronized (store) {
                m = store.load(peer).withPostedUpTo(p.sequence());
                store.save(peer, m);
            }
            reported.remove(peer);
            host.event(new ChatEvent.Relayed(peer.displayString(), p.id()));
        }
    }

    private void subscribe(Fingerprint peer, Inbox inbox) {
        if (subscribed.containsKey(inbox.id())) {
            return;
        }
        subscribed.put(inbox.id(), peer);
        RelayClient client = client(inbox.relay());
        // The sink runs on the client's thread: hand each item over to the courier's.
        // The failure is handled in whenComplete; the future it returns carries nothing more.
        var unused = client.subscribe(inbox, d -> enqueue(() -> take(peer, inbox, d))).whenComplete((ok, e) -> {
            if (e != null) {
                enqueue(() -> subscribed.remove(inbox.id()));
                LOG.info("subscription to the inbox of {} refused: {}", peer.shortForm(), e.getMessage());
            }
        });
    }

    /** One item from one of this side's inboxes. */
    private void take(Fingerprint peer, Inbox inbox, RelayClient.Delivery d) throws AppException {
        MailboxItem item;
        try {
            item = MailboxItem.decode(d.blob());
        } catch (RelayException e) {
            // Not something the contact's client makes: dropped (deleted), the conversation untouched.
            SECURITY.warn("undecodable item in the inbox of {} dropped: {}", peer.shortForm(), e.reason());
            delete(inbox, d.sequence());
            return;
        }
        Optional<Conversation> c = host.conversation(peer);
        if (c.isEmpty()) {
            LOG.info("item for {} without a conversation left at the relay", peer.shortForm());
            return;
        }
        if (item.kind() == MailboxItem.Kind.CHUNK) {
            // A file chunk (§24.3): outside the ratchet, verified and kept by the file engine; deleted either way
            // (a refused one is asked for again by the receiver's HAVE).
            try {
                receiver().chunk(peer, org.securep2p.app.files.Chunk.decode(item.body()), Optional.empty());
            } catch (org.securep2p.crypto.CryptoException e) {
                SECURITY.warn("malformed chunk in the inbox of {} dropped: {}", peer.shortForm(), e.reason());
            }
            delete(inbox, d.sequence());
            return;
        }
        boolean ack = RatchetReceiver.receive(c.get(), item.body(), receiver(), host::event);
        // Only now, with the conversation (and the history) committed, may the relay forget it.
        delete(inbox, d.sequence());
        if (ack && ackDue.add(peer) && ackDue.size() == 1) {
            // Queued behind the items already waiting: one cumulative acknowledgement for all of them.
            enqueue(this::sendAcks);
        }
    }

    private void delete(Inbox inbox, long sequence) {
        // The failure is handled in whenComplete; the future it returns carries nothing more.
        var unused = client(inbox.relay()).delete(inbox, sequence).whenComplete((ok, e) -> {
            if (e != null) {
                // Delivered again later and refused by the ratchet as a duplicate: nothing is lost or shown twice.
                LOG.info("delete at the relay failed: {}", e.getMessage());
            }
        });
    }

    private void sendAcks() throws AppException {
        List<Fingerprint> due = List.copyOf(ackDue);
        ackDue.clear();
        for (Fingerprint peer : due) {
            Optional<SendCapability> to = store.load(peer).peer();
            Optional<Conversation> c = host.conversation(peer);
            if (to.isEmpty() || c.isEmpty() || c.get().receivedUpTo() < 1) {
                continue;
            }
            try {
                byte[] wire = c.get().encryptControl(ChatPayload.ack(c.get().receivedUpTo()));
                await(client(to.get().relay()).post(to.get(), new MailboxItem(MailboxItem.Kind.RATCHET, wire)
                        .encode(), TTL_SECONDS));
            } catch (RatchetException e) {
                LOG.warn("cannot acknowledge through the relay: {}", e.reason());
            } catch (RelayException e) {
                // The next acknowledgement (or the next session's CONFIRM) covers these messages.
                LOG.info("acknowledgement through the relay not posted: {}", e.reason());
            }
        }
    }

    /** The session's view for received items: the host's, with introductions stored here. */
    private ChatSession.Conversations receiver() {
        ChatSession.Conversations base = host.receiver();
        return new ChatSession.Conversations() {
            @Override
            public Optional<Conversation> find(Fingerprint peer) throws AppException {
                return host.conversation(peer);
            }

            @Override
            public Conversation create(Fingerprint peer, String name, byte[] sessionId,
                    org.securep2p.ratchet.SessionRecord record) throws AppException {
                throw new AppException(AppException.Reason.PROTOCOL, "no handshake through a relay");
            }

            @Override
            public boolean received(Fingerprint peer, Conversation.Inbound message) throws AppException {
                return base.received(peer, message);
            }

            @Override
            public boolean remembersReceived() {
                return base.remembersReceived();
            }

            @Override
            public void introduced(Fingerprint peer, SendCapability inbox) throws AppException {
                RelayCourier.this.introduced(peer, inbox);
            }

            @Override
            public void rendezvous(Fingerprint peer, ChatPayload payload) {
                base.rendezvous(peer, payload);
            }

            @Override
            public void file(Fingerprint peer, org.securep2p.app.files.FileMessage message) {
                base.file(peer, message);
            }

            @Override
            public void chunk(Fingerprint peer, org.securep2p.app.files.Chunk chunk, Optional<FileLink> via) {
                base.chunk(peer, chunk, via);
            }
        };
    }

    private RelayClient client(RelayAddress address) {
        return clients.computeIfAbsent(address, a -> {
            RelayClient c = connect.apply(a);
            // Back after a drop: post what waited meanwhile.
            c.addStateListener(s -> {
                LOG.info("relay {}:{} {}{}", a.host(), a.port(), s, s == RelayClient.State.UNREACHABLE
                        ? ": " + c.lastProblem() : "");
                if (s == RelayClient.State.CONNECTED) {
                    enqueue(this::flushAll);
                }
            });
            return c;
        });
    }

    /** Says once per contact and problem what keeps its messages from the relay. */
    private void problem(Fingerprint peer, String sentence) {
        LOG.info("relay problem for {}: {}", peer.shortForm(), sentence);
        if (!sentence.equals(reported.put(peer, sentence))) {
            host.event(new ChatEvent.Notice(sentence));
        }
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws RelayException {
        try {
            return f.get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RelayException r) {
                throw r;
            }
            throw new RelayException(RelayException.Reason.UNREACHABLE, "The relay could not be reached.", e);
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new RelayException(RelayException.Reason.TIMEOUT, "The relay did not answer in time.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RelayException(RelayException.Reason.UNREACHABLE, "Interrupted.", e);
        }
    }

    /** A step of the courier's: run in order on its thread; a failure is logged and never stops the next one. */
    private interface Step {
        void run() throws Exception;
    }

    /**
     * Queues a step without waiting for it. Nothing is lost by dropping the future: submit's wrapper catches and
     * logs every failure of the step itself, so the future can only ever complete normally.
     */
    private void enqueue(Step step) {
        var unused = submit(step);
    }

    private Future<?> submit(Step step) {
        if (closed) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        try {
            return thread.submit(() -> {
                try {
                    step.run();
                } catch (AppException e) {
                    LOG.warn("relay courier: {}", e.getMessage());
                } catch (Exception e) {
                    LOG.warn("relay courier step failed: {}", e.getClass().getSimpleName());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
    }

    /** Waits until every step asked for so far has run (tests, and close). */
    void drain(Duration timeout) throws InterruptedException {
        try {
            submit(() -> { }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.info("relay courier busy past {} ms", timeout.toMillis());
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.shutdown();
        // Closing the clients fails their pending requests, so a step waiting on one ends at once.
        Set<RelayClient> all = new HashSet<>(clients.values());
        all.forEach(RelayClient::close);
        if (connect instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.info("closing the relay connections: {}", e.getClass().getSimpleName());
            }
        }
        try {
            // Not interrupted: a step may be in the middle of a durable write.
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("relay courier did not stop in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
