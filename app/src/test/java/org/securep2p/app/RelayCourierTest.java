package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.history.HistoryMessage;
import org.securep2p.app.trust.TrustStore;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.Await;
import org.securep2p.relay.MailboxItem;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.RelayClient;
import org.securep2p.transport.Connector;
import org.securep2p.transport.TransportConfig;
import org.securep2p.transport.cert.TransportCertificate;

/**
 * Store and forward (PROTOCOL.md §22.5, §22.6) between two real messengers that met by code on loopback, with
 * the relay in memory ({@link MemoryRelay}): what is sent while the contact is away goes through the relay, once,
 * in order, and comes back delivered; a relay that is down holds nothing up; junk in an inbox is dropped.
 */
class RelayCourierTest {

    private static final SecurityLevel LEVEL = SecurityLevel.STANDARD;
    private final SecureRandom random = new SecureRandom();
    private final Clock clock = Clock.systemUTC();
    @TempDir
    Path dir;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final Map<String, InMemoryPrivateKeys> keys = new ConcurrentHashMap<>();
    private final Map<String, byte[]> storageKeys = new ConcurrentHashMap<>();
    private final Map<String, MemoryHistory> histories = new ConcurrentHashMap<>();
    private final Map<String, ConversationStore> stores = new ConcurrentHashMap<>();
    private final MemoryRelay relay = new MemoryRelay();
    private RelayAddress address;
    /** Bob's inbox for alice, read before bob closes. */
    private org.securep2p.relay.Inbox bobsInbox;

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
    private DefaultMessenger open(String name, List<ChatEvent> into, Function<RelayAddress, RelayClient> relays)
            throws Exception {
        return open(name, into, relays, null);
    }

    /** As above, with {@code own} as the messenger's relays (null: the test's one relay). */
    private DefaultMessenger open(String name, List<ChatEvent> into, Function<RelayAddress, RelayClient> relays,
            List<RelayAddress> own) throws Exception {
        if (address == null) {
            address = RelayAddress.parse("wss://127.0.0.1:4443/#" + "3c".repeat(32));
        }
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
        m.startRelays(own == null ? List.of(address) : own, relays);
        toClose.add(0, m);
        return m;
    }

    private DefaultMessenger open(String name, List<ChatEvent> into) throws Exception {
        return open(name, into, relay::client);
    }

    private static <T extends ChatEvent> T awaitIn(List<ChatEvent> list, Class<T> type, Predicate<T> which) {
        return Await.value(() -> "a " + type.getSimpleName() + "; events: " + list, Duration.ofSeconds(30),
                () -> list.stream().filter(type::isInstance).map(type::cast).filter(which).findFirst());
    }

    private static List<String> receivedTexts(List<ChatEvent> list, String peer) {
        return list.stream().filter(e -> e instanceof ChatEvent.MessageReceived m && m.peer().equals(peer))
                .map(e -> ((ChatEvent.MessageReceived) e).text()).toList();
    }

    private static ChatEvent.Connected[] pair(DefaultMessenger waiter, List<ChatEvent> waiterEvents,
            DefaultMessenger dialler, List<ChatEvent> diallerEvents) throws Exception {
        ChatEvent.Endpoint code = waiter.waitForPeer(LEVEL);
        String attempt = dialler.connect(code.code(), LEVEL);
        ChatEvent.Connected d = awaitIn(diallerEvents, ChatEvent.Connected.class, c -> c.attempt().equals(attempt));
        ChatEvent.Connected w = awaitIn(waiterEvents, ChatEvent.Connected.class,
                c -> c.attempt().equals(code.attempt()));
        return new ChatEvent.Connected[] {w, d};
    }

    /** Until {@code name}'s file for {@code peer} holds the contact's inbox: the introduction arrived. */
    private void awaitIntroduced(String name, String peer) {
        Await.until(() -> name + " holds " + peer + "'s inbox", Duration.ofSeconds(30), () -> {
            try {
                return stores.get(name).mailboxes().load(Fingerprint.parse(peer)).peer().isPresent();
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** Meets by code, waits for both introductions, then closes bob: alice's messages must go via the relay. */
    private String meetAndCloseBob(DefaultMessenger alice, List<ChatEvent> aliceEvents, DefaultMessenger bob,
            List<ChatEvent> bobEvents) throws Exception {
        pair(alice, aliceEvents, bob, bobEvents);
        String bobFp = bob.identity().fingerprint();
        String aliceFp = alice.identity().fingerprint();
        awaitIntroduced("alice", bobFp);
        awaitIntroduced("bob", aliceFp);
        bobsInbox = stores.get("bob").mailboxes().load(Fingerprint.parse(aliceFp)).own().orElseThrow();
        bob.close();
        toClose.remove(bob);
        awaitIn(aliceEvents, ChatEvent.Disconnected.class, d -> d.peer().equals(bobFp));
        return bobFp;
    }

    @Test
    void messagesSentWhileTheContactIsAwayArriveOnceInOrderThroughTheRelayAndComeBackDelivered() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = open("alice", aliceEvents);
        DefaultMessenger bob = open("bob", bobEvents);
        String bobFp = meetAndCloseBob(alice, aliceEvents, bob, bobEvents);
        String aliceFp = alice.identity().fingerprint();

        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(alice.send("bob", "via the relay " + i));
        }
        for (String id : ids) {
            awaitIn(aliceEvents, ChatEvent.Relayed.class, r -> r.id().equals(id) && r.peer().equals(bobFp));
        }
        assertThat(aliceEvents.stream().filter(e -> e instanceof ChatEvent.Relayed).count()).isEqualTo(5);
        Messenger.ConversationInfo info = alice.conversations().stream().filter(c -> c.peer().equals(bobFp))
                .findFirst().orElseThrow();
        assertThat(info.relay()).contains("127.0.0.1:4443");
        assertThat(info.path()).contains("relay");

        // Bob comes back on the same home, with no code: the five arrive from his inbox.
        List<ChatEvent> bobAgain = new CopyOnWriteArrayList<>();
        DefaultMessenger bob2 = open("bob", bobAgain);
        awaitIn(bobAgain, ChatEvent.MessageReceived.class, m -> m.text().equals("via the relay 4"));
        for (String id : ids) {
            awaitIn(aliceEvents, ChatEvent.Delivered.class, d -> d.id().equals(id) && d.peer().equals(bobFp));
        }
        assertThat(receivedTexts(bobAgain, aliceFp)).containsExactly("via the relay 0", "via the relay 1",
                "via the relay 2", "via the relay 3", "via the relay 4");
        assertThat(histories.get("alice").all(Fingerprint.parse(bobFp)))
                .filteredOn(m -> m.direction() == HistoryMessage.Direction.SENT)
                .extracting(HistoryMessage::delivery).containsOnly(HistoryMessage.Delivery.DELIVERED).hasSize(5);
        assertThat(stores.get("alice").load(Fingerprint.parse(bobFp)).orElseThrow().pending()).isEmpty();

        // A later direct session resumes and shows nothing twice, on either side. Bob's client opens alice by
        // itself once its relay is connected (§22.7): no code.
        ChatEvent.Connected again = awaitIn(aliceEvents, ChatEvent.Connected.class,
                c -> c.peer().equals(bobFp) && c.resumed());
        assertThat(again.resumed()).isTrue();
        assertThat(alice.conversations().stream().filter(c -> c.peer().equals(bobFp)).findFirst().orElseThrow()
                .path()).isEmpty();
        String direct = bob2.send(aliceFp, "direct again");
        awaitIn(aliceEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("direct again"));
        awaitIn(bobAgain, ChatEvent.Delivered.class, d -> d.id().equals(direct));
        assertThat(receivedTexts(bobAgain, aliceFp)).hasSize(5);
        assertThat(aliceEvents.stream().filter(e -> e instanceof ChatEvent.Delivered).count()).isEqualTo(5);
    }

    @Test
    void aRelayThatIsDownLeavesTheMessagesQueuedSaysSoOnceAndTheyArePostedWhenItIsBack() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = open("alice", aliceEvents);
        DefaultMessenger bob = open("bob", bobEvents);
        String bobFp = meetAndCloseBob(alice, aliceEvents, bob, bobEvents);

        relay.down();
        String first = alice.send("bob", "held back 0");
        String second = alice.send("bob", "held back 1");
        awaitIn(aliceEvents, ChatEvent.Notice.class, n -> n.text().contains("stays queued"));
        alice.courier().orElseThrow().drain(Duration.ofSeconds(10));
        assertThat(aliceEvents.stream().filter(e -> e instanceof ChatEvent.Notice).count()).isEqualTo(1);
        assertThat(aliceEvents.stream().filter(e -> e instanceof ChatEvent.Relayed)).isEmpty();
        assertThat(stores.get("alice").load(Fingerprint.parse(bobFp)).orElseThrow().pending()).hasSize(2);

        relay.up();
        awaitIn(aliceEvents, ChatEvent.Relayed.class, r -> r.id().equals(first));
        awaitIn(aliceEvents, ChatEvent.Relayed.class, r -> r.id().equals(second));
        assertThat(relay.posted).hasSize(2);
    }

    /** A real relay on loopback (its key and database under the test's folder). */
    private org.securep2p.relay.server.RelayServer startRelayServer(int port) throws Exception {
        org.securep2p.relay.server.RelayServer server = org.securep2p.relay.server.RelayServer.start(
                org.securep2p.relay.server.RelayConfig.defaults("127.0.0.1", port, dir.resolve("relay")), random);
        toClose.add(server);
        address = server.address();
        return server;
    }

    @Test
    void throughARealRelayFiveMessagesArriveOnceInOrderAfterARestartAndComeBackDelivered() throws Exception {
        startRelayServer(0);
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = open("alice", aliceEvents, new RelayConnections(random));
        DefaultMessenger bob = open("bob", bobEvents, new RelayConnections(random));
        String bobFp = meetAndCloseBob(alice, aliceEvents, bob, bobEvents);
        String aliceFp = alice.identity().fingerprint();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(alice.send("bob", "real relay " + i));
        }
        for (String id : ids) {
            awaitIn(aliceEvents, ChatEvent.Relayed.class, r -> r.id().equals(id));
        }
        List<ChatEvent> bobAgain = new CopyOnWriteArrayList<>();
        // Bob again, with the same keys; closed with the others after the test.
        open("bob", bobAgain, new RelayConnections(random));
        for (String id : ids) {
            awaitIn(aliceEvents, ChatEvent.Delivered.class, d -> d.id().equals(id) && d.peer().equals(bobFp));
        }
        assertThat(receivedTexts(bobAgain, aliceFp)).containsExactly("real relay 0", "real relay 1", "real relay 2",
                "real relay 3", "real relay 4");
        // Bob's client opens alice by itself at start (§22.7): the direct session resumes without a code.
        ChatEvent.Connected again = awaitIn(aliceEvents, ChatEvent.Connected.class,
                c -> c.peer().equals(bobFp) && c.resumed());
        assertThat(again.resumed()).isTrue();
        String direct = alice.send("bob", "direct now");
        awaitIn(bobAgain, ChatEvent.MessageReceived.class, m -> m.text().equals("direct now"));
        awaitIn(aliceEvents, ChatEvent.Delivered.class, d -> d.id().equals(direct));
        assertThat(receivedTexts(bobAgain, aliceFp)).hasSize(6);
        assertThat(aliceEvents.stream().filter(e -> e instanceof ChatEvent.Relayed).count()).isEqualTo(5);
    }

    @Test
    void aRealRelayThatStopsHoldsNothingUpAndTakesTheQueueWhenItIsBack() throws Exception {
        org.securep2p.relay.server.RelayServer server = startRelayServer(0);
        int port = server.address().port();
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = open("alice", aliceEvents, new RelayConnections(random));
        DefaultMessenger bob = open("bob", bobEvents, new RelayConnections(random));
        meetAndCloseBob(alice, aliceEvents, bob, bobEvents);
        server.close();
        String id = alice.send("bob", "while the relay is down");
        ChatEvent.Notice notice = awaitIn(aliceEvents, ChatEvent.Notice.class, n -> n.text().contains("stays queued"));
        assertThat(notice.text()).contains("127.0.0.1:" + port);
        startRelayServer(port);
        awaitIn(aliceEvents, ChatEvent.Relayed.class, r -> r.id().equals(id));
    }

    @Test
    void anUndecodableItemIsDroppedAndTheConversationGoesOn() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = open("alice", aliceEvents);
        DefaultMessenger bob = open("bob", bobEvents);
        String bobFp = meetAndCloseBob(alice, aliceEvents, bob, bobEvents);
        String aliceFp = alice.identity().fingerprint();

        // Junk of a bucket's size with a bad version, then a ratchet item that does not authenticate.
        byte[] junk = new byte[MailboxItem.BUCKETS[0]];
        junk[0] = 9;
        relay.inject(bobsInbox.id(), junk);
        relay.inject(bobsInbox.id(), new MailboxItem(MailboxItem.Kind.RATCHET, new byte[100]).encode());
        String id = alice.send("bob", "after the junk");
        awaitIn(aliceEvents, ChatEvent.Relayed.class, r -> r.id().equals(id));

        List<ChatEvent> bobAgain = new CopyOnWriteArrayList<>();
        open("bob", bobAgain);
        awaitIn(bobAgain, ChatEvent.MessageReceived.class, m -> m.text().equals("after the junk"));
        awaitIn(aliceEvents, ChatEvent.Delivered.class, d -> d.id().equals(id) && d.peer().equals(bobFp));
        assertThat(receivedTexts(bobAgain, aliceFp)).containsExactly("after the junk");
        // Everything was taken, junk included: the inbox is empty.
        Await.until(() -> "bob's inbox emptied", Duration.ofSeconds(10), () -> relay.waiting(bobsInbox.id()) == 0);
    }

    // ---- The inviter's relay in its code (PROTOCOL.md §11.4, §22.5).

    /** Bob's inbox for alice, as his file holds it. */
    private org.securep2p.relay.Inbox ownInbox(String name, String peer) throws Exception {
        return stores.get(name).mailboxes().load(Fingerprint.parse(peer)).own().orElseThrow();
    }

    private org.securep2p.relay.SendCapability peerInbox(String name, String peer) throws Exception {
        return stores.get(name).mailboxes().load(Fingerprint.parse(peer)).peer().orElseThrow();
    }

    @Test
    void aJoinerWithoutARelayKeepsItsInboxOnTheRelayTheInvitersCodeNamedAndReceivesThroughIt() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = open("alice", aliceEvents);
        DefaultMessenger bob = open("bob", bobEvents, relay::client, List.of());
        ChatEvent.Endpoint code = alice.waitForPeer(LEVEL);
        assertThat(org.securep2p.transport.ConnectionCode.parse(code.code()).relay()).contains(address.toString());
        String attempt = bob.connect(code.code(), LEVEL);
        awaitIn(bobEvents, ChatEvent.Connected.class, c -> c.attempt().equals(attempt));
        String bobFp = bob.identity().fingerprint();
        String aliceFp = alice.identity().fingerprint();
        // Bob has no relay of his own: he made his inbox for alice on hers and introduced it there.
        awaitIntroduced("alice", bobFp);
        awaitIntroduced("bob", aliceFp);
        assertThat(ownInbox("bob", aliceFp).relay()).isEqualTo(address);
        assertThat(peerInbox("alice", bobFp).relay()).isEqualTo(address);
        assertThat(peerInbox("alice", bobFp).id()).isEqualTo(ownInbox("bob", aliceFp).id());
        bob.close();
        toClose.remove(bob);
        awaitIn(aliceEvents, ChatEvent.Disconnected.class, d -> d.peer().equals(bobFp));

        // Alice writes while bob is away: it waits in bob's inbox on her relay.
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(alice.send("bob", "to the adopted relay " + i));
        }
        for (String id : ids) {
            awaitIn(aliceEvents, ChatEvent.Relayed.class, r -> r.id().equals(id) && r.peer().equals(bobFp));
        }
        // Bob comes back, still without a relay of his own, and takes them from the relay his file names.
        List<ChatEvent> bobAgain = new CopyOnWriteArrayList<>();
        open("bob", bobAgain, relay::client, List.of());
        awaitIn(bobAgain, ChatEvent.MessageReceived.class, m -> m.text().equals("to the adopted relay 2"));
        for (String id : ids) {
            awaitIn(aliceEvents, ChatEvent.Delivered.class, d -> d.id().equals(id) && d.peer().equals(bobFp));
        }
        assertThat(receivedTexts(bobAgain, aliceFp)).containsExactly("to the adopted relay 0",
                "to the adopted relay 1", "to the adopted relay 2");
    }

    @Test
    void aJoinerWithItsOwnRelayKeepsItsInboxThere() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = open("alice", aliceEvents);
        RelayAddress bobsRelay = RelayAddress.parse("wss://127.0.0.1:5443/#" + "5d".repeat(32));
        DefaultMessenger bob = open("bob", bobEvents, relay::client, List.of(bobsRelay));
        pair(alice, aliceEvents, bob, bobEvents);
        String bobFp = bob.identity().fingerprint();
        String aliceFp = alice.identity().fingerprint();
        awaitIntroduced("alice", bobFp);
        awaitIntroduced("bob", aliceFp);
        assertThat(ownInbox("bob", aliceFp).relay()).isEqualTo(bobsRelay);
        assertThat(peerInbox("alice", bobFp).relay()).isEqualTo(bobsRelay);
        assertThat(peerInbox("bob", aliceFp).relay()).isEqualTo(address);
    }

    @Test
    void anInviterWithoutARelayWritesAVersionOneCode() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = open("alice", aliceEvents, relay::client, List.of());
        ChatEvent.Endpoint code = alice.waitForPeer(LEVEL);
        assertThat(code.code()).startsWith("sp2p1o-");
        assertThat(org.securep2p.transport.ConnectionCode.parse(code.code()).relay()).isEmpty();
    }

    @Test
    void aCodeNamingSomethingThatIsNotARelayIsRefusedBeforeAnythingConnects() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = open("alice", aliceEvents);
        DefaultMessenger bob = open("bob", bobEvents, relay::client, List.of());
        ChatEvent.Endpoint code = alice.waitForPeer(LEVEL);
        String forged = org.securep2p.transport.ConnectionCode.parse(code.code())
                .withRelay("wss://relay.example.org:443/#nothex").text();
        assertThatThrownBy(() -> bob.connect(forged, LEVEL)).isInstanceOf(AppException.class)
                .hasMessageContaining("wss://relay.example.org:443/#nothex")
                .extracting(e -> ((AppException) e).reason()).isEqualTo(AppException.Reason.BAD_CODE);
        assertThat(bobEvents).noneMatch(e -> e instanceof ChatEvent.Progress);
        assertThat(bob.conversations()).isEmpty();
    }
}
