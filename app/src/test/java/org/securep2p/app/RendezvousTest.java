package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.trust.TrustStore;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.Await;
import org.securep2p.relay.RelayAddress;
import org.securep2p.transport.Connector;
import org.securep2p.transport.TransportConfig;
import org.securep2p.transport.cert.TransportCertificate;

/**
 * Reconnecting without a code (PROTOCOL.md §22.7) between real messengers on loopback, the relay in memory
 * ({@link MemoryRelay}): an open resumes the stored session directly; an offer that is stale, dated ahead, from a
 * contact no longer trusted or rejected, arrives during a live session or names somebody else is refused and
 * nothing is set up; an answer for no open offer is ignored; two clients that open each other at once (or start
 * together) end with one session.
 */
class RendezvousTest {

    private static final SecurityLevel LEVEL = SecurityLevel.STANDARD;
    private final SecureRandom random = new SecureRandom();
    private final Clock clock = Clock.systemUTC();
    @TempDir
    Path dir;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final Map<String, InMemoryPrivateKeys> keys = new ConcurrentHashMap<>();
    private final Map<String, byte[]> storageKeys = new ConcurrentHashMap<>();
    private final Map<String, MemoryHistory> histories = new ConcurrentHashMap<>();
    private final MemoryRelay relay = new MemoryRelay();
    private final Map<String, ConversationStore> stores = new ConcurrentHashMap<>();
    private final RelayAddress address = RelayAddress.parse("wss://127.0.0.1:4443/#" + "3c".repeat(32));

    RendezvousTest() throws Exception {
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        for (InMemoryPrivateKeys k : keys.values()) {
            k.close();
        }
    }

    /** A messenger with the home {@code name} (the same keys, files and history each time it is opened again). */
    private DefaultMessenger open(String name, List<ChatEvent> into) throws Exception {
        return open(name, into, true);
    }

    private DefaultMessenger open(String name, List<ChatEvent> into, boolean withRelay) throws Exception {
        InMemoryPrivateKeys k = keys.computeIfAbsent(name, n -> {
            try {
                return InMemoryPrivateKeys.generate(random, clock, 2, 2);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        byte[] storage = storageKeys.computeIfAbsent(name, n -> {
            byte[] b = new byte[32];
            random.nextBytes(b);
            return b;
        });
        TransportConfig config = TransportConfig.builder()
                .hostCandidates(TransportConfig.HostCandidates.LOOPBACK_ONLY).stunServers(List.of())
                .connectTimeout(Duration.ofSeconds(4)).setupTimeout(Duration.ofSeconds(20)).build();
        ConversationStore store = new ConversationStore(dir.resolve("conversations-" + name),
                SecretBytes.copyOf(storage), random, clock);
        stores.put(name, store);
        DefaultMessenger m = new DefaultMessenger(k, new Connector(config, k,
                TransportCertificate.loadOrCreate(dir.resolve("cert-" + name), k, clock), random), config,
                TrustStore.open(dir.resolve("trust-" + name + ".json"), clock), store,
                histories.computeIfAbsent(name, n -> new MemoryHistory()), name,
                new ChatEvent.Ready(k.identity().fingerprint().displayString(), name, "test", "test", "codes"),
                Optional.empty(), random, clock);
        m.addListener(into::add);
        if (withRelay) {
            m.startRelays(List.of(address), relay::client);
        }
        toClose.add(0, m);
        return m;
    }

    private static <T extends ChatEvent> T awaitIn(List<ChatEvent> list, Class<T> type, Predicate<T> which) {
        return Await.value(() -> "a " + type.getSimpleName() + "; events: " + list, Duration.ofSeconds(30),
                () -> list.stream().filter(type::isInstance).map(type::cast).filter(which).findFirst());
    }

    private static long count(List<ChatEvent> list, Class<? extends ChatEvent> type, Predicate<ChatEvent> which) {
        return list.stream().filter(type::isInstance).filter(which).count();
    }

    /** Two messengers that met by code, introduced their inboxes, and then parted: both online, not connected. */
    private final class Pair {
        final List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        final List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        final DefaultMessenger alice;
        final DefaultMessenger bob;
        final String aliceFp;
        final String bobFp;

        Pair() throws Exception {
            this(false);
        }

        /** {@code met}: the two homes met before; they are only started again (and open each other by themselves). */
        Pair(boolean met) throws Exception {
            alice = open("alice", aliceEvents);
            bob = open("bob", bobEvents);
            aliceFp = alice.identity().fingerprint();
            bobFp = bob.identity().fingerprint();
            if (met) {
                return;
            }
            ChatEvent.Endpoint code = alice.waitForPeer(LEVEL);
            bob.connect(code.code(), LEVEL);
            awaitIn(aliceEvents, ChatEvent.Connected.class, c -> c.peer().equals(bobFp));
            awaitIn(bobEvents, ChatEvent.Connected.class, c -> c.peer().equals(aliceFp));
            awaitInbox("alice", bobFp);
            awaitInbox("bob", aliceFp);
        }

        void part() throws Exception {
            alice.disconnect(bobFp);
            awaitIn(bobEvents, ChatEvent.Disconnected.class, d -> d.peer().equals(aliceFp));
            Await.until(() -> "both sides idle", Duration.ofSeconds(30),
                    () -> state(alice, bobFp).equals("idle") && state(bob, aliceFp).equals("idle"));
            aliceEvents.clear();
            bobEvents.clear();
        }

        /** Alice posts {@code payload} into bob's inbox through her courier (encrypted by her ratchet). */
        void alicePosts(ChatPayload payload) throws Exception {
            alice.courier().orElseThrow().postControl(Fingerprint.parse(bobFp), payload).get();
        }

        /**
         * A message posted after the offer is taken from the inbox after it (one courier thread, in order): once
         * bob shows it, bob has handled the offer, and whatever he did about it is visible in his list.
         */
        void bobHasHandledWhatCameBefore() throws Exception {
            String id = alice.send(bobFp, "after the offer");
            awaitIn(bobEvents, ChatEvent.MessageReceived.class, m -> m.id().equals(id));
        }
    }

    private void awaitInbox(String name, String peer) {
        Await.until(() -> "an inbox of " + peer, Duration.ofSeconds(30), () -> {
            try {
                return stores.get(name).mailboxes().load(Fingerprint.parse(peer)).peer().isPresent();
            } catch (Exception e) {
                return false;
            }
        });
    }

    private static String state(Messenger m, String peer) {
        return m.conversations().stream().filter(c -> c.peer().equals(peer)).findFirst()
                .map(Messenger.ConversationInfo::state).orElse("none");
    }

    private static byte[] offerId() {
        byte[] id = new byte[ChatPayload.OFFER_ID_LENGTH];
        new SecureRandom().nextBytes(id);
        return id;
    }

    @Test
    void openingAKnownContactResumesTheStoredSessionDirectlyWithoutACode() throws Exception {
        Pair p = new Pair();
        p.part();

        Messenger.Opened opened = p.alice.open("bob");
        assertThat(opened.alreadyConnected()).isFalse();
        ChatEvent.Connected a = awaitIn(p.aliceEvents, ChatEvent.Connected.class,
                c -> c.attempt().equals(opened.attempt()));
        ChatEvent.Connected b = awaitIn(p.bobEvents, ChatEvent.Connected.class, c -> c.peer().equals(p.aliceFp));
        assertThat(a.peer()).isEqualTo(p.bobFp);
        assertThat(a.resumed()).isTrue();
        assertThat(b.resumed()).isTrue();
        assertThat(a.path()).isEqualTo("direct");
        String id = p.bob.send(p.aliceFp, "no code needed");
        awaitIn(p.aliceEvents, ChatEvent.MessageReceived.class, m -> m.id().equals(id));
        awaitIn(p.bobEvents, ChatEvent.Delivered.class, d -> d.id().equals(id));
        assertThat(p.alice.rendezvous().orElseThrow().openOffers()).isEmpty();

        // Connected already: nothing is done, and the result says so.
        Messenger.Opened again = p.alice.open("bob");
        assertThat(again.alreadyConnected()).isTrue();
        assertThat(count(p.aliceEvents, ChatEvent.Endpoint.class, e -> true)).isEqualTo(1);
    }

    @Test
    void aContactWithoutAKnownInboxCannotBeOpened() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> daveEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = open("alice", aliceEvents);
        // Dave has no relay, so he never introduces an inbox.
        DefaultMessenger dave = open("dave", daveEvents, false);
        String daveFp = dave.identity().fingerprint();
        ChatEvent.Endpoint code = alice.waitForPeer(LEVEL);
        dave.connect(code.code(), LEVEL);
        awaitIn(aliceEvents, ChatEvent.Connected.class, c -> c.peer().equals(daveFp));
        alice.disconnect(daveFp);
        Await.until(() -> "idle", Duration.ofSeconds(30), () -> state(alice, daveFp).equals("idle"));

        assertThatThrownBy(() -> alice.open(daveFp)).isInstanceOf(AppException.class)
                .hasMessageEndingWith(Rendezvous.NO_RELAY);
        assertThat(alice.rendezvous().orElseThrow().openOffers()).isEmpty();
        // And dave, with no relay at all, says the same, once he too has seen the session end (else he is
        // still connected and open has nothing to do).
        awaitIn(daveEvents, ChatEvent.Disconnected.class, d -> d.peer().equals(alice.identity().fingerprint()));
        assertThatThrownBy(() -> dave.open(alice.identity().fingerprint())).isInstanceOf(AppException.class)
                .hasMessageEndingWith(Rendezvous.NO_RELAY);
    }

    /** Each refused offer: bob sets nothing up, and alice's wait sees nobody. */
    private void assertRefused(Pair p, ChatPayload offer) throws Exception {
        p.alicePosts(offer);
        p.bobHasHandledWhatCameBefore();
        assertThat(state(p.bob, p.aliceFp)).isEqualTo("idle");
        assertThat(count(p.bobEvents, ChatEvent.AnswerCode.class, e -> true)).isZero();
        assertThat(count(p.aliceEvents, ChatEvent.Connected.class, e -> true)).isZero();
    }

    @Test
    void anOfferOlderThan120SecondsIsRefused() throws Exception {
        Pair p = new Pair();
        p.part();
        ChatEvent.Endpoint wait = p.alice.waitForPeer(LEVEL);
        assertRefused(p, ChatPayload.offer(offerId(), Instant.now().minusSeconds(125), wait.code()));
    }

    @Test
    void anOfferDatedMoreThan120SecondsAheadIsRefused() throws Exception {
        Pair p = new Pair();
        p.part();
        ChatEvent.Endpoint wait = p.alice.waitForPeer(LEVEL);
        assertRefused(p, ChatPayload.offer(offerId(), Instant.now().plusSeconds(125), wait.code()));
    }

    @Test
    void anOfferFromAContactNoLongerTrustedIsRefused() throws Exception {
        Pair p = new Pair();
        p.part();
        p.bob.decide(p.aliceFp, Messenger.TrustDecision.UNTRUST);
        ChatEvent.Endpoint wait = p.alice.waitForPeer(LEVEL);
        assertRefused(p, ChatPayload.offer(offerId(), Instant.now(), wait.code()));
    }

    @Test
    void anOfferFromARejectedContactIsRefused() throws Exception {
        Pair p = new Pair();
        p.part();
        p.bob.decide(p.aliceFp, Messenger.TrustDecision.REJECT);
        ChatEvent.Endpoint wait = p.alice.waitForPeer(LEVEL);
        assertRefused(p, ChatPayload.offer(offerId(), Instant.now(), wait.code()));
    }

    @Test
    void anOfferWhoseCodeNamesSomebodyElseIsRefused() throws Exception {
        Pair p = new Pair();
        p.part();
        List<ChatEvent> carolEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger carol = open("carol", carolEvents);
        ChatEvent.Endpoint carolsWait = carol.waitForPeer(LEVEL);
        assertRefused(p, ChatPayload.offer(offerId(), Instant.now(), carolsWait.code()));
        assertThat(count(carolEvents, ChatEvent.Progress.class,
                e -> ((ChatEvent.Progress) e).stage() != ChatEvent.Stage.STUN
                        && ((ChatEvent.Progress) e).stage() != ChatEvent.Stage.ICE)).isZero();
        assertThat(count(carolEvents, ChatEvent.Connected.class, e -> true)).isZero();
    }

    @Test
    void anOfferDuringALiveSessionIsRefused() throws Exception {
        Pair p = new Pair();
        ChatEvent.Endpoint wait = p.alice.waitForPeer(LEVEL);
        p.aliceEvents.clear();
        p.bobEvents.clear();
        p.alicePosts(ChatPayload.offer(offerId(), Instant.now(), wait.code()));
        // Through the live session, so the message comes after the item only in time: wait for the item's removal.
        org.securep2p.relay.MailboxId inbox = stores.get("bob").mailboxes().load(Fingerprint.parse(p.aliceFp)).own()
                .orElseThrow().id();
        Await.until(() -> "bob took the offer from his inbox", Duration.ofSeconds(30),
                () -> !relay.posted.isEmpty() && relay.waiting(inbox) == 0);
        p.bob.courier().orElseThrow().drain(Duration.ofSeconds(10));
        assertThat(count(p.bobEvents, ChatEvent.AnswerCode.class, e -> true)).isZero();
        assertThat(state(p.bob, p.aliceFp)).isEqualTo("connected");
        assertThat(count(p.aliceEvents, ChatEvent.Connected.class, e -> true)).isZero();
    }

    @Test
    void anAnswerForNoOpenOfferIsIgnored() throws Exception {
        Pair p = new Pair();
        p.part();
        ChatEvent.Endpoint other = p.alice.waitForPeer(LEVEL);
        p.alicePosts(ChatPayload.answer(offerId(), other.code()));
        p.bobHasHandledWhatCameBefore();
        assertThat(state(p.bob, p.aliceFp)).isEqualTo("idle");
        assertThat(count(p.bobEvents, ChatEvent.Failure.class, e -> true)).isZero();
        assertThat(count(p.aliceEvents, ChatEvent.Connected.class, e -> true)).isZero();
    }

    @Test
    void anOfferWithNoPathLeavesTheConversationOnTheRelayAndSaysSo() throws Exception {
        Pair p = new Pair();
        p.part();
        // A code whose wait is gone: nobody answers its candidates, so ICE finds no path.
        ChatEvent.Endpoint gone = p.alice.waitForPeer(LEVEL);
        p.alice.cancel(gone.attempt());
        p.alicePosts(ChatPayload.offer(offerId(), Instant.now(), gone.code()));
        awaitIn(p.bobEvents, ChatEvent.Notice.class, n -> n.text().startsWith("No direct path to alice")
                && n.text().endsWith("messages go through the relay"));
        assertThat(state(p.bob, p.aliceFp)).isEqualTo("idle");
        Optional<String> path = p.bob.conversations().stream().filter(c -> c.peer().equals(p.aliceFp)).findFirst()
                .flatMap(Messenger.ConversationInfo::path);
        assertThat(path).contains("relay");
        String id = p.bob.send(p.aliceFp, "through the relay");
        awaitIn(p.aliceEvents, ChatEvent.MessageReceived.class, m -> m.id().equals(id));
    }

    @Test
    void twoContactsOpeningEachOtherAtOnceEndWithOneSession() throws Exception {
        Pair p = new Pair();
        p.part();
        CompletableFuture<Messenger.Opened> a = CompletableFuture.supplyAsync(() -> {
            try {
                return p.alice.open(p.bobFp);
            } catch (AppException e) {
                throw new IllegalStateException(e);
            }
        });
        Messenger.Opened b = p.bob.open(p.aliceFp);
        assertThat(a.get().alreadyConnected()).isFalse();
        assertThat(b.alreadyConnected()).isFalse();
        assertOneSession(p);
    }

    @Test
    void twoContactsStartingTogetherOpenEachOtherAndEndWithOneSession() throws Exception {
        Pair p = new Pair();
        p.alice.close();
        p.bob.close();
        toClose.remove(p.alice);
        toClose.remove(p.bob);
        Pair again = new Pair(true);
        assertOneSession(again);
    }

    private void assertOneSession(Pair p) throws Exception {
        awaitIn(p.aliceEvents, ChatEvent.Connected.class, c -> c.peer().equals(p.bobFp));
        awaitIn(p.bobEvents, ChatEvent.Connected.class, c -> c.peer().equals(p.aliceFp));
        Await.until(() -> "no offer or set-up left", Duration.ofSeconds(60),
                () -> p.alice.rendezvous().orElseThrow().openOffers().isEmpty()
                        && p.bob.rendezvous().orElseThrow().openOffers().isEmpty()
                        && state(p.alice, p.bobFp).equals("connected") && state(p.bob, p.aliceFp).equals("connected"));
        String id = p.alice.send(p.bobFp, "one session");
        awaitIn(p.bobEvents, ChatEvent.MessageReceived.class, m -> m.id().equals(id));
        awaitIn(p.aliceEvents, ChatEvent.Delivered.class, d -> d.id().equals(id));
        assertThat(count(p.aliceEvents, ChatEvent.Connected.class, e -> true)).isEqualTo(1);
        assertThat(count(p.bobEvents, ChatEvent.Connected.class, e -> true)).isEqualTo(1);
        assertThat(count(p.aliceEvents, ChatEvent.Disconnected.class, e -> true)).isZero();
        assertThat(count(p.bobEvents, ChatEvent.Disconnected.class, e -> true)).isZero();
    }
}
