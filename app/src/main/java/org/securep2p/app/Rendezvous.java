package org.securep2p.app;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.securep2p.app.Messenger.Opened;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.ConnectionCode;
import org.securep2p.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconnecting a known contact without a code (PROTOCOL.md §22.7): {@link #open} opens a wait and posts its code as
 * an OFFER into the contact's inbox; an OFFER that arrives (already decrypted by the contact's ratchet) is checked
 * and answered by a connect with its code, whose answer code goes back as an ANSWER; an ANSWER for an open offer is
 * added to its wait. An offer is taken only if it is fresh (within {@link #OFFER_LIFETIME} either way), from a
 * known, trusted, not rejected contact with no live session, and its code names that same contact: a compromised
 * contact cannot send this side to anybody else. When both sides open each other at once, the side with the
 * lower fingerprint keeps its own offer and ignores the other's; the higher one drops its wait and takes the
 * offer, so exactly one set-up runs. "At once" includes an offer that arrives while this side's own wait is still
 * gathering candidates (its offer not yet posted): the same rule decides, and a wait whose contact's offer was
 * taken meanwhile is ended unposted.
 *
 * <p>Not its job: the set-up itself (the messenger's wait and connect, §20.8), nor carrying the payloads (the
 * relay courier, encrypted with the conversation's ratchet).
 */
final class Rendezvous implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Rendezvous.class);
    private static final Logger SECURITY = LoggerFactory.getLogger("securep2p.security");
    /** How old (or how far ahead) an OFFER may be, and how long an opened wait stays open: one ICE set-up's span. */
    static final Duration OFFER_LIFETIME = Duration.ofMinutes(2);
    /** How many contacts are opened at start: the most recently used, so a long contact list costs 8 waits. */
    static final int AUTO_OPEN_LIMIT = 8;
    /** The sentence of §22.7 when there is no inbox to post an offer into. */
    static final String NO_RELAY = "No relay is known for this contact: connect with a code";

    /** What the rendezvous needs of the messenger. */
    interface Host {
        /** The security level of the stored conversation with {@code peer}, if there is one. */
        Optional<SecurityLevel> storedLevel(Fingerprint peer) throws AppException;

        /** In the trust store and not rejected. */
        boolean trusted(Fingerprint peer);

        /** Whether a live session with {@code peer} is up. */
        boolean isLive(Fingerprint peer);

        /** The attempt of a set-up with {@code peer} that is running (dialling or deciding), if any. */
        Optional<String> settingUp(Fingerprint peer);

        /** Whether the contact introduced an inbox this side can post into. */
        boolean hasInbox(Fingerprint peer);

        /** The contacts with a stored conversation, most recently used first. */
        List<Fingerprint> recentContacts();

        ChatEvent.Endpoint waitForPeer(SecurityLevel level) throws AppException;

        void acceptAnswer(String attempt, String answerCode) throws AppException;

        String connect(String code, SecurityLevel level) throws AppException;

        /** Ends the wait {@code attempt} if nobody has arrived at it yet. */
        void cancelIfWaiting(String attempt);

        /** Posts a control payload into the contact's inbox; completes when the relay has committed it. */
        CompletableFuture<Void> post(Fingerprint peer, ChatPayload payload);

        /** A conversation's queue goes to the relay (the connect from an offer failed, §22.8). */
        void overRelay(Fingerprint peer);

        /** The name the list shows for {@code peer}. */
        String name(Fingerprint peer);

        void notice(String text);
    }

    /** An offer this side posted and whose wait is open. */
    @SuppressWarnings("ArrayRecordComponent") // internal carrier, kept by attempt id; never compared or hashed
    private record Offer(Fingerprint peer, byte[] id, String attempt, ScheduledFuture<?> expiry) {
    }

    /** A connect this side started from a contact's offer. */
    @SuppressWarnings("ArrayRecordComponent") // internal carrier, kept by attempt id; never compared or hashed
    private record Answering(Fingerprint peer, byte[] offerId, boolean answerNeeded) {
    }

    private final Host host;
    private final Fingerprint self;
    private final SecureRandom random;
    private final Clock clock;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "rendezvous");
        t.setDaemon(true);
        return t;
    });
    /** Open offers by the wait's attempt id. Guarded by this. */
    private final Map<String, Offer> offers = new HashMap<>();
    /** Connects started from an offer, by attempt id. Guarded by this. */
    private final Map<String, Answering> answering = new HashMap<>();
    /** Contacts whose wait {@link #open} is opening (gathering candidates, offer not yet posted). Guarded by this. */
    private final Set<Fingerprint> opening = new HashSet<>();
    /**
     * A contact's offer ignored because this side (the lower fingerprint) is opening it: taken after all if the
     * opening fails, so the two sides never both end up ignoring each other. Guarded by this.
     */
    private final Map<Fingerprint, ChatPayload> deferred = new HashMap<>();

    Rendezvous(Host host, Fingerprint self, SecureRandom random, Clock clock) {
        this.host = Objects.requireNonNull(host);
        this.self = Objects.requireNonNull(self);
        this.random = Objects.requireNonNull(random);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * Opens {@code peer}: a wait at the stored conversation's level whose code goes into the contact's inbox as an
     * OFFER. Already connected: nothing is done. An offer still open for the contact is returned as it is.
     */
    Opened open(Fingerprint peer) throws AppException {
        if (host.isLive(peer)) {
            return new Opened("", true);
        }
        if (!host.trusted(peer)) {
            throw new AppException(AppException.Reason.UNKNOWN_PEER,
                    "This contact is not trusted (or was rejected): connect with a code.");
        }
        SecurityLevel level = host.storedLevel(peer).orElseThrow(() -> new AppException(
                AppException.Reason.NOT_CONNECTED,
                "There is no stored conversation with this contact: connect with a code."));
        if (!host.hasInbox(peer)) {
            throw new AppException(AppException.Reason.UNREACHABLE, NO_RELAY);
        }
        synchronized (this) {
            while (opening.contains(peer)) {
                // Another thread (the user, or the opening at start) is opening this contact: its offer is ours.
                try {
                    this.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AppException(AppException.Reason.NOT_CONNECTED, "Interrupted while opening.");
                }
            }
            Optional<Opened> already = alreadyOpen(peer);
            if (already.isPresent()) {
                return already.get();
            }
            opening.add(peer);
        }
        ChatEvent.Endpoint wait;
        byte[] id = new byte[ChatPayload.OFFER_ID_LENGTH];
        try {
            wait = host.waitForPeer(level);
            if (wait.code().isEmpty()) {
                // The fixed-port wait (--port) has no code to offer; the contact dials the port itself.
                throw new AppException(AppException.Reason.NO_WAIT,
                        "With a fixed port there is no code to offer: the contact connects to your port.");
            }
        } catch (AppException | RuntimeException e) {
            Optional<ChatPayload> takeAfterAll;
            synchronized (this) {
                opening.remove(peer);
                notifyAll();
                takeAfterAll = Optional.ofNullable(deferred.remove(peer));
            }
            // The contact's offer was ignored for ours, which will not come: take it after all.
            takeAfterAll.ifPresent(p -> offered(peer, p));
            throw e;
        }
        random.nextBytes(id);
        synchronized (this) {
            opening.remove(peer);
            notifyAll();
            // The contact's offer may have been taken (or a session come up) while the wait gathered.
            Optional<Opened> meanwhile = alreadyOpen(peer);
            if (meanwhile.isPresent()) {
                // A set-up with the contact runs: an offer of its kept for after a failed open has no use now.
                deferred.remove(peer);
                LOG.info("wait {} for {} ended unposted: a set-up with it started meanwhile", wait.attempt(),
                        peer.shortForm());
                host.cancelIfWaiting(wait.attempt());
                return meanwhile.get();
            }
            // Our offer stands; the contact (the higher fingerprint) takes it.
            deferred.remove(peer);
            String attempt = wait.attempt();
            ScheduledFuture<?> expiry = timer.schedule(() -> expire(attempt), OFFER_LIFETIME.toMillis(),
                    TimeUnit.MILLISECONDS);
            offers.put(attempt, new Offer(peer, id, attempt, expiry));
        }
        // The failure is handled in whenComplete; the future it returns carries nothing more.
        var unused = host.post(peer, ChatPayload.offer(id, clock.instant(), wait.code())).whenComplete((ok, e) -> {
            if (e != null) {
                LOG.info("offer to {} not posted: {}", peer.shortForm(), e.getMessage());
                drop(wait.attempt());
                host.cancelIfWaiting(wait.attempt());
                host.notice("Could not offer a connection to " + host.name(peer) + " through the relay.");
            }
        });
        LOG.info("offer posted to {} (wait {})", peer.shortForm(), wait.attempt());
        return new Opened(wait.attempt(), false);
    }

    /**
     * At start, once a relay is connected: opens, on this class's own thread (a wait gathers candidates), the most
     * recently used contacts (at most {@link #AUTO_OPEN_LIMIT}) that have an inbox and are not connected.
     */
    void openRecentSoon() {
        try {
            timer.execute(this::openRecent);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.info("closing: contacts not opened");
        }
    }

    void openRecent() {
        int opened = 0;
        for (Fingerprint peer : host.recentContacts()) {
            if (opened >= AUTO_OPEN_LIMIT) {
                return;
            }
            if (host.isLive(peer) || !host.hasInbox(peer) || !host.trusted(peer)) {
                continue;
            }
            try {
                open(peer);
                opened++;
            } catch (AppException e) {
                LOG.info("could not open {} at start: {}", peer.shortForm(), e.getMessage());
            }
        }
    }

    /** An OFFER or ANSWER from {@code peer}, decrypted by its conversation (live or through the relay). */
    void received(Fingerprint peer, ChatPayload p) {
        if (p.kind() == ChatPayload.Kind.OFFER) {
            offered(peer, p);
        } else if (p.kind() == ChatPayload.Kind.ANSWER) {
            answered(peer, p);
        }
    }

    /**
     * What {@link #open} returns without a new wait: connected, an offer of ours still open, or a set-up running
     * (a second one would only race it). Empty when a new offer is needed. Called holding this.
     */
    private Optional<Opened> alreadyOpen(Fingerprint peer) {
        if (host.isLive(peer)) {
            return Optional.of(new Opened("", true));
        }
        Optional<Offer> open = offers.values().stream().filter(o -> o.peer().equals(peer)).findFirst();
        if (open.isPresent()) {
            return Optional.of(new Opened(open.get().attempt(), false));
        }
        Optional<String> connecting = answering.entrySet().stream().filter(a -> a.getValue().peer().equals(peer))
                .map(Map.Entry::getKey).findFirst();
        if (connecting.isPresent()) {
            return Optional.of(new Opened(connecting.get(), false));
        }
        return host.settingUp(peer).map(running -> new Opened(running, false));
    }

    private void offered(Fingerprint peer, ChatPayload p) {
        Instant now = clock.instant();
        Duration age = Duration.between(p.time(), now);
        if (age.compareTo(OFFER_LIFETIME) > 0) {
            SECURITY.warn("offer from {} refused: {} s old", peer.shortForm(), age.toSeconds());
            return;
        }
        if (age.negated().compareTo(OFFER_LIFETIME) > 0) {
            SECURITY.warn("offer from {} refused: dated {} s ahead", peer.shortForm(), age.negated().toSeconds());
            return;
        }
        if (!host.trusted(peer)) {
            SECURITY.warn("offer from {} refused: not a trusted contact", peer.shortForm());
            return;
        }
        if (host.isLive(peer)) {
            SECURITY.warn("offer from {} refused: a session with it is live", peer.shortForm());
            return;
        }
        ConnectionCode code;
        try {
            code = ConnectionCode.parse(p.code());
        } catch (TransportException e) {
            SECURITY.warn("offer from {} refused: its code does not parse ({})", peer.shortForm(), e.reason());
            return;
        }
        if (code.kind() != ConnectionCode.Kind.OFFER
                || !MessageDigest.isEqual(code.identity().toBytes(), peer.toBytes())) {
            // A contact may offer only itself: never a way to send this side to somebody else.
            SECURITY.warn("offer from {} refused: its code names another identity", peer.shortForm());
            return;
        }
        Optional<SecurityLevel> level;
        try {
            level = host.storedLevel(peer);
        } catch (AppException e) {
            LOG.warn("offer from {} not taken: {}", peer.shortForm(), e.getMessage());
            return;
        }
        if (level.isEmpty()) {
            SECURITY.warn("offer from {} refused: no stored conversation", peer.shortForm());
            return;
        }
        synchronized (this) {
            if (answering.values().stream().anyMatch(a -> a.peer().equals(peer))) {
                LOG.info("offer from {} ignored: a connect from its earlier offer is running", peer.shortForm());
                return;
            }
            Optional<Offer> mine = offers.values().stream().filter(o -> o.peer().equals(peer)).findFirst();
            if (mine.isPresent() || opening.contains(peer)) {
                if (Arrays.compareUnsigned(self.toBytes(), peer.toBytes()) < 0) {
                    // Both opened at once: the lower fingerprint's offer stands, the other side takes it.
                    if (mine.isEmpty()) {
                        deferred.put(peer, p);
                    }
                    LOG.info("offer from {} ignored: ours to it stands", peer.shortForm());
                    return;
                }
                // The higher side takes the contact's offer; its own wait, if still opening, ends unposted.
                mine.ifPresent(m -> {
                    drop(m.attempt());
                    host.cancelIfWaiting(m.attempt());
                });
            }
            try {
                // Under the lock: the connect's AnswerCode event (another thread) waits until it is recorded.
                String attempt = host.connect(p.code(), level.get());
                answering.put(attempt, new Answering(peer, p.offerId(), code.answerNeeded()));
                LOG.info("offer from {} taken (connect {})", peer.shortForm(), attempt);
            } catch (AppException e) {
                LOG.info("offer from {} could not be taken: {}", peer.shortForm(), e.getMessage());
            }
        }
    }

    private void answered(Fingerprint peer, ChatPayload p) {
        Offer offer;
        synchronized (this) {
            offer = offers.values().stream().filter(o -> o.peer().equals(peer)
                    && MessageDigest.isEqual(o.id(), p.offerId())).findFirst().orElse(null);
        }
        if (offer == null) {
            LOG.info("answer from {} for no open offer ignored", peer.shortForm());
            return;
        }
        try {
            host.acceptAnswer(offer.attempt(), p.code());
        } catch (AppException e) {
            LOG.info("answer from {} not taken: {}", peer.shortForm(), e.getMessage());
        }
    }

    /** The messenger's events: a connect's answer code, and the end (either way) of offers and connects. */
    synchronized void event(ChatEvent e) {
        if (e instanceof ChatEvent.AnswerCode a) {
            Answering x = answering.get(a.attempt());
            if (x != null && x.answerNeeded()) {
                // The failure is handled in whenComplete; the future it returns carries nothing more.
                var unused = host.post(x.peer(), ChatPayload.answer(x.offerId(), a.code())).whenComplete((ok, err) -> {
                    if (err != null) {
                        LOG.info("answer to {} not posted: {}", x.peer().shortForm(), err.getMessage());
                    }
                });
            }
        } else if (e instanceof ChatEvent.Connected c) {
            answering.remove(c.attempt());
            drop(c.attempt());
        } else if (e instanceof ChatEvent.Failure f) {
            drop(f.attempt());
            Answering x = answering.remove(f.attempt());
            if (x != null && !host.isLive(x.peer())) {
                // ICE found no path (§22.8): the conversation goes on through the mailboxes.
                host.notice("No direct path to " + host.name(x.peer()) + ": messages go through the relay");
                host.overRelay(x.peer());
            }
        }
    }

    /** Nobody came within the offer's lifetime: its wait ends. */
    private void expire(String attempt) {
        if (drop(attempt)) {
            LOG.info("offer wait {} ended: nobody came within {} s", attempt, OFFER_LIFETIME.toSeconds());
            host.cancelIfWaiting(attempt);
        }
    }

    /** Forgets the offer of the wait {@code attempt}; true if there was one. */
    private synchronized boolean drop(String attempt) {
        Offer o = offers.remove(attempt);
        if (o == null) {
            return false;
        }
        o.expiry().cancel(false);
        return true;
    }

    /** The attempts of the offers still open (tests). */
    synchronized List<String> openOffers() {
        return List.copyOf(offers.keySet());
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
