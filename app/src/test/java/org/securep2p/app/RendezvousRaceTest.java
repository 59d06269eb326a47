package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.Await;
import org.securep2p.transport.Candidate;
import org.securep2p.transport.ConnectionCode;
import org.securep2p.transport.IceCredentials;

/**
 * The rendezvous's rule for two sides opening each other at once (PROTOCOL.md §22.7), when the contact's offer
 * arrives while this side's own wait is still gathering candidates, its offer not yet posted. The host is a
 * double whose wait blocks until the test lets it go, so each interleaving is reached on purpose, not by luck:
 * exactly one set-up must run, and no offer may be left open behind it.
 */
class RendezvousRaceTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Fingerprint LOW = fingerprint(0x11);
    private static final Fingerprint HIGH = fingerprint(0xee);
    private final ExecutorService opener = Executors.newSingleThreadExecutor();
    private final FakeHost host = new FakeHost();
    private Rendezvous rendezvous;

    @AfterEach
    void tearDown() {
        host.gathered.countDown();
        opener.shutdownNow();
        if (rendezvous != null) {
            rendezvous.close();
        }
    }

    @Test
    void higherSideTakesAnOfferArrivingWhileItsWaitGathersAndPostsNoOfferOfItsOwn() throws Exception {
        rendezvous = new Rendezvous(host, HIGH, RANDOM, Clock.systemUTC());
        Future<Messenger.Opened> opened = openWhileGathering(LOW);

        rendezvous.received(LOW, offerFrom(LOW));
        host.gathered.countDown();

        assertThat(opened.get(10, TimeUnit.SECONDS).attempt()).isEqualTo(FakeHost.CONNECT_ATTEMPT);
        assertThat(host.connects).hasSize(1);
        assertThat(host.posted).noneMatch(p -> p.kind() == ChatPayload.Kind.OFFER);
        assertThat(host.cancelled).containsExactly(FakeHost.WAIT_ATTEMPT);
        assertThat(rendezvous.openOffers()).isEmpty();
    }

    @Test
    void lowerSideIgnoresAnOfferArrivingWhileItsWaitGathersAndPostsItsOwn() throws Exception {
        rendezvous = new Rendezvous(host, LOW, RANDOM, Clock.systemUTC());
        Future<Messenger.Opened> opened = openWhileGathering(HIGH);

        rendezvous.received(HIGH, offerFrom(HIGH));
        host.gathered.countDown();

        assertThat(opened.get(10, TimeUnit.SECONDS).attempt()).isEqualTo(FakeHost.WAIT_ATTEMPT);
        assertThat(host.connects).isEmpty();
        assertThat(host.posted).singleElement().satisfies(p -> assertThat(p.kind()).isEqualTo(ChatPayload.Kind.OFFER));
        assertThat(host.cancelled).isEmpty();
        assertThat(rendezvous.openOffers()).containsExactly(FakeHost.WAIT_ATTEMPT);
    }

    @Test
    void lowerSideTakesTheIgnoredOfferAfterAllWhenItsOwnWaitFails() throws Exception {
        rendezvous = new Rendezvous(host, LOW, RANDOM, Clock.systemUTC());
        host.waitFails = true;
        Future<Messenger.Opened> opened = openWhileGathering(HIGH);

        rendezvous.received(HIGH, offerFrom(HIGH));
        assertThat(host.connects).isEmpty();
        host.gathered.countDown();

        assertThatThrownBy(() -> opened.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(AppException.class);
        assertThat(host.connects).hasSize(1);
        assertThat(host.posted).isEmpty();
        assertThat(rendezvous.openOffers()).isEmpty();
    }

    @Test
    void anOfferKeptByTheLowerSideIsDroppedWhenASessionComesUpMeanwhile() throws Exception {
        rendezvous = new Rendezvous(host, LOW, RANDOM, Clock.systemUTC());
        Future<Messenger.Opened> opened = openWhileGathering(HIGH);
        rendezvous.received(HIGH, offerFrom(HIGH));
        host.live = true;
        host.gathered.countDown();
        assertThat(opened.get(10, TimeUnit.SECONDS).alreadyConnected()).isTrue();

        // The session ends; the next open fails: the offer kept from before must not be taken now.
        host.live = false;
        host.waitFails = true;
        assertThatThrownBy(() -> rendezvous.open(HIGH)).isInstanceOf(AppException.class);
        assertThat(host.connects).isEmpty();
    }

    @Test
    void aSecondOpenOfTheSameContactWhileTheFirstGathersReturnsTheFirstOffer() throws Exception {
        rendezvous = new Rendezvous(host, LOW, RANDOM, Clock.systemUTC());
        Future<Messenger.Opened> first = openWhileGathering(HIGH);
        CompletableFuture<Messenger.Opened> again = new CompletableFuture<>();
        Thread second = new Thread(() -> {
            try {
                again.complete(rendezvous.open(HIGH));
            } catch (AppException | RuntimeException e) {
                again.completeExceptionally(e);
            }
        }, "second-open");
        second.start();
        // Parked either way: on the rendezvous (the first open's offer is awaited) or in a wait of its own.
        Await.until("the second open parked", Duration.ofSeconds(10),
                () -> second.getState() == Thread.State.WAITING || second.getState() == Thread.State.TIMED_WAITING);
        host.gathered.countDown();

        assertThat(first.get(10, TimeUnit.SECONDS).attempt()).isEqualTo(FakeHost.WAIT_ATTEMPT);
        assertThat(again.get(10, TimeUnit.SECONDS).attempt()).isEqualTo(FakeHost.WAIT_ATTEMPT);
        assertThat(host.waitCount.get()).as("waits opened").isEqualTo(1);
        assertThat(host.posted).hasSize(1);
    }

    /** Starts {@code open(peer)} on another thread and returns once its wait is gathering. */
    private Future<Messenger.Opened> openWhileGathering(Fingerprint peer) throws InterruptedException {
        Future<Messenger.Opened> opened = opener.submit(() -> rendezvous.open(peer));
        assertThat(host.gathering.await(10, TimeUnit.SECONDS)).as("the wait started").isTrue();
        return opened;
    }

    private static ChatPayload offerFrom(Fingerprint peer) {
        String code = ConnectionCode.offer(peer, SecurityLevel.STANDARD, IceCredentials.generate(RANDOM),
                List.of(Candidate.of(Candidate.Type.HOST, new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000))),
                false).text();
        byte[] id = new byte[ChatPayload.OFFER_ID_LENGTH];
        RANDOM.nextBytes(id);
        return ChatPayload.offer(id, Instant.now(), code);
    }

    private static Fingerprint fingerprint(int fill) {
        byte[] b = new byte[Fingerprint.LENGTH];
        Arrays.fill(b, (byte) fill);
        try {
            return Fingerprint.fromBytes(b);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A messenger whose one wait gathers until {@link #gathered} opens; it records what the rendezvous does. */
    private static final class FakeHost implements Rendezvous.Host {
        static final String WAIT_ATTEMPT = "wait-1";
        static final String CONNECT_ATTEMPT = "connect-1";
        final CountDownLatch gathering = new CountDownLatch(1);
        final CountDownLatch gathered = new CountDownLatch(1);
        final List<String> connects = new CopyOnWriteArrayList<>();
        final List<ChatPayload> posted = new CopyOnWriteArrayList<>();
        final List<String> cancelled = new CopyOnWriteArrayList<>();
        volatile boolean waitFails;
        volatile boolean live;
        final AtomicInteger waitCount = new AtomicInteger();

        @Override
        public Optional<SecurityLevel> storedLevel(Fingerprint peer) {
            return Optional.of(SecurityLevel.STANDARD);
        }

        @Override
        public boolean trusted(Fingerprint peer) {
            return true;
        }

        @Override
        public boolean isLive(Fingerprint peer) {
            return live;
        }

        @Override
        public Optional<String> settingUp(Fingerprint peer) {
            return Optional.empty();
        }

        @Override
        public boolean hasInbox(Fingerprint peer) {
            return true;
        }

        @Override
        public List<Fingerprint> recentContacts() {
            return List.of();
        }

        @Override
        public ChatEvent.Endpoint waitForPeer(SecurityLevel level) throws AppException {
            waitCount.incrementAndGet();
            gathering.countDown();
            try {
                if (!gathered.await(10, TimeUnit.SECONDS)) {
                    throw new AppException(AppException.Reason.NO_WAIT, "never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AppException(AppException.Reason.NO_WAIT, "interrupted");
            }
            if (waitFails) {
                throw new AppException(AppException.Reason.NO_WAIT, "no candidates");
            }
            return new ChatEvent.Endpoint(WAIT_ATTEMPT, "code", "", "", "", false);
        }

        @Override
        public void acceptAnswer(String attempt, String answerCode) {
        }

        @Override
        public String connect(String code, SecurityLevel level) {
            connects.add(code);
            return CONNECT_ATTEMPT;
        }

        @Override
        public void cancelIfWaiting(String attempt) {
            cancelled.add(attempt);
        }

        @Override
        public CompletableFuture<Void> post(Fingerprint peer, ChatPayload payload) {
            posted.add(payload);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void overRelay(Fingerprint peer) {
        }

        @Override
        public String name(Fingerprint peer) {
            return peer.shortForm();
        }

        @Override
        public void notice(String text) {
        }
    }
}
