package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.store.AtomicFile;
import org.securep2p.app.trust.TrustOrigin;
import org.securep2p.app.trust.TrustStore;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.Await;
import org.securep2p.crypto.testing.MutableClock;
import org.securep2p.transport.Connector;
import org.securep2p.transport.EndpointDiscovery;
import org.securep2p.transport.NatBehaviour;
import org.securep2p.transport.PeerConnection;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.TransportConfig;
import org.securep2p.transport.TransportException;

/**
 * A {@link DefaultMessenger} waiting on a fixed loopback UDP port ({@code --port}) against peers that misbehave
 * after (or instead of) the TLS handshake: each test checks the set-up ends with an event, never a dead worker
 * or a hang, and that the messenger can wait again at once.
 */
class DefaultMessengerTest {

    private static final SecurityLevel LEVEL = SecurityLevel.STANDARD;
    private final SecureRandom random = new SecureRandom();
    private final Clock clock = Clock.systemUTC();
    @TempDir
    Path dir;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<ChatEvent> events = new CopyOnWriteArrayList<>();
    private DefaultMessenger messenger;
    /** Each code messenger's history, by its name. */
    private final java.util.Map<String, MemoryHistory> histories = new java.util.concurrent.ConcurrentHashMap<>();
    private TrustStore trust;
    private int port;

    private TransportConfig config(Duration setupTimeout) throws TransportException {
        return TransportConfig.builder().hostCandidates(TransportConfig.HostCandidates.LOOPBACK_ONLY)
                .stunServers(List.of()).connectTimeout(Duration.ofSeconds(4)).setupTimeout(setupTimeout).build();
    }

    private InMemoryPrivateKeys keys() throws Exception {
        InMemoryPrivateKeys k = InMemoryPrivateKeys.generate(random, clock, 2, 2);
        toClose.add(k);
        return k;
    }

    /** The messenger under test, listening on a free loopback port. */
    private void start(Duration setupTimeout) throws Exception {
        InMemoryPrivateKeys keys = keys();
        TransportConfig config = config(setupTimeout);
        try (DatagramSocket probe = new DatagramSocket(0)) {
            port = probe.getLocalPort();
        }
        trust = TrustStore.open(dir.resolve("trusted_peers.json"), clock);
        byte[] k = new byte[32];
        random.nextBytes(k);
        ConversationStore conversations = new ConversationStore(dir.resolve("conversations"), SecretBytes.copyOf(k),
                random, clock);
        messenger = new DefaultMessenger(new OfferingKeys(keys), new Connector(config, keys,
                TransportCertificate.loadOrCreate(dir.resolve("cert-alice"), keys, clock), random), config, trust,
                conversations, new MemoryHistory(), "alice", new ChatEvent.Ready(keys.identity().fingerprint().displayString(), "alice",
                        "test", "test", "codes"), Optional.of(port), random, clock);
        messenger.addListener(events::add);
        toClose.add(0, messenger);
    }

    /**
     * Hands out each one-time prekey in one bundle only, as the key manager does (DurableKeyHolder): peers that
     * dial the port at the same instant then never race for one prekey, which InMemoryPrivateKeys.preKeyBundle
     * offers until it is consumed.
     */
    private record OfferingKeys(InMemoryPrivateKeys keys) implements org.securep2p.crypto.PrivateKeyOperations {
        @Override
        public org.securep2p.crypto.IdentityPublicKeys identity() {
            return keys.identity();
        }

        @Override
        public org.securep2p.crypto.PreKeyBundle preKeyBundle() {
            return keys.offerPreKeyBundle();
        }

        @Override
        public SecretBytes agreeWithIdentityKey(byte[] peerPublicKey) throws org.securep2p.crypto.CryptoException {
            return keys.agreeWithIdentityKey(peerPublicKey);
        }

        @Override
        public SecretBytes agreeWithSignedPreKey(int id, byte[] peerPublicKey)
                throws org.securep2p.crypto.CryptoException {
            return keys.agreeWithSignedPreKey(id, peerPublicKey);
        }

        @Override
        public SecretBytes consumeOneTimePreKey(int id, byte[] peerPublicKey)
                throws org.securep2p.crypto.CryptoException {
            return keys.consumeOneTimePreKey(id, peerPublicKey);
        }

        @Override
        public SecretBytes decapsulate(int id, byte[] ciphertext) throws org.securep2p.crypto.CryptoException {
            return keys.decapsulate(id, ciphertext);
        }

        @Override
        public org.securep2p.crypto.HybridSignature signHandshakeTranscript(
                org.securep2p.crypto.HandshakeTranscript transcript) throws org.securep2p.crypto.CryptoException {
            return keys.signHandshakeTranscript(transcript);
        }

        @Override
        public byte[] signTlsCertificateVerify(byte[] content) throws org.securep2p.crypto.CryptoException {
            return keys.signTlsCertificateVerify(content);
        }

        @Override
        public byte[] signTransportCertificate(byte[] tbs) throws org.securep2p.crypto.CryptoException {
            return keys.signTransportCertificate(tbs);
        }
    }

    /** A messenger without a fixed port (connection codes, loopback candidates only) reporting into {@code into}. */
    private DefaultMessenger codeMessenger(String name, List<ChatEvent> into) throws Exception {
        return codeMessenger(name, into, clock);
    }

    private DefaultMessenger codeMessenger(String name, List<ChatEvent> into, Clock messengerClock)
            throws Exception {
        return codeMessenger(name, into, messengerClock, AtomicFile::write);
    }

    private DefaultMessenger codeMessenger(String name, List<ChatEvent> into, Clock messengerClock,
            ConversationStore.FileWriter files) throws Exception {
        return codeMessenger(name, name, into, messengerClock, files);
    }

    /** {@code name} names its files and history; {@code username} is what it announces. */
    private DefaultMessenger codeMessenger(String name, String username, List<ChatEvent> into, Clock messengerClock,
            ConversationStore.FileWriter files) throws Exception {
        InMemoryPrivateKeys keys = keys();
        TransportConfig config = config(Duration.ofSeconds(20));
        byte[] k = new byte[32];
        random.nextBytes(k);
        DefaultMessenger m = new DefaultMessenger(keys, new Connector(config, keys,
                TransportCertificate.loadOrCreate(dir.resolve("cert-" + name), keys, clock), random), config,
                TrustStore.open(dir.resolve("trust-" + name + ".json"), clock),
                new ConversationStore(dir.resolve("conversations-" + name), SecretBytes.copyOf(k), random, clock,
                        files),
                histories.computeIfAbsent(name, n -> new MemoryHistory()), username, new ChatEvent.Ready(keys.identity().fingerprint().displayString(), username, "test", "test",
                        "codes"), Optional.empty(), random, messengerClock);
        m.addListener(into::add);
        toClose.add(0, m);
        return m;
    }

    /** Another program that dials the messenger's port: TLS completes, then it does what the test says. */
    private final class Peer implements AutoCloseable {
        final InMemoryPrivateKeys keys;
        final Connector connector;

        Peer(String name) throws Exception {
            keys = keys();
            connector = new Connector(config(Duration.ofSeconds(20)), keys,
                    TransportCertificate.loadOrCreate(dir.resolve("cert-" + name), keys, clock), random);
        }

        PeerConnection dial(SecurityLevel level) throws TransportException {
            PeerConnection c = connector.dialAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                    level, Duration.ofSeconds(4));
            toClose.add(0, c);
            return c;
        }

        @Override
        public void close() {
            keys.close();
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private <T extends ChatEvent> T awaitEvent(Class<T> type, Predicate<T> which, Duration within) {
        return awaitIn(events, type, which, within);
    }

    /** The messenger's own HELLO: proof that the set-up is running on its side. */
    private static void readHello(PeerConnection c) throws Exception {
        assertThat(ChatFrame.decode(c.receiveMessage()).type()).isEqualTo(ChatFrame.Type.HELLO);
    }

    @Test
    void aHelloNameWithABidiOverrideEndsTheSetUpWithAnEventNotADeadWorker() throws Exception {
        start(Duration.ofSeconds(20));
        for (String name : List.of("a\u202Eb", "bob\u200B")) {
            messenger.waitForPeer(LEVEL);
            PeerConnection c = new Peer("p" + name.length()).dial(LEVEL);
            readHello(c);
            c.sendMessage(ChatFrameTest.rawHello(name));
            ChatEvent.Failure f = awaitEvent(ChatEvent.Failure.class, x -> true, Duration.ofSeconds(10));
            assertThat(f.reason()).doesNotContain("\u202E", "\u200B").contains("malformed HELLO")
                    .containsAnyOf("U+202E", "U+200B");
            events.clear();
            c.close();
        }
        // The worker slot was released both times: waiting again is not BUSY.
        messenger.waitForPeer(LEVEL);
    }

    @Test
    void aPeerSilentAfterTlsIsDroppedWithinTheDeadlineAndWaitingAgainIsNotBusy() throws Exception {
        start(Duration.ofMillis(600));
        messenger.waitForPeer(LEVEL);
        PeerConnection c = new Peer("silent").dial(LEVEL);
        readHello(c);
        long start = System.nanoTime();
        ChatEvent.Failure f = awaitEvent(ChatEvent.Failure.class, x -> true, Duration.ofSeconds(10));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(f.reason()).contains("did not complete the set-up within 600 ms");
        messenger.waitForPeer(LEVEL);
    }

    @Test
    void disconnectDuringSetUpEndsItAtOnce() throws Exception {
        start(Duration.ofSeconds(20));
        messenger.waitForPeer(LEVEL);
        PeerConnection c = new Peer("silent").dial(LEVEL);
        readHello(c);
        long start = System.nanoTime();
        messenger.disconnect(null);
        ChatEvent.Failure f = awaitEvent(ChatEvent.Failure.class, x -> true, Duration.ofSeconds(10));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(f.reason()).contains("You ended the set-up");
        messenger.waitForPeer(LEVEL);
    }

    @Test
    void disconnectEndsTheWaitAndWaitingAgainLetsAStrangerIn() throws Exception {
        start(Duration.ofSeconds(20));
        messenger.waitForPeer(LEVEL);
        Thread.sleep(300); // time is the test: the wait has been open a while (listener up) when it is ended
        messenger.disconnect(null);
        // Not BUSY (the wait no longer holds its slot), and the listener, which stays for known contacts, takes
        // a stranger again once a wait is open: a dialer gets through.
        messenger.waitForPeer(LEVEL);
        PeerConnection c = new Peer("dialer").dial(LEVEL);
        readHello(c);
        assertThat(events).noneMatch(e -> e instanceof ChatEvent.Failure);
    }

    @Test
    void junkDatagramsDoNotCaptureTheListener() throws Exception {
        start(Duration.ofSeconds(20));
        messenger.waitForPeer(LEVEL);
        try (DatagramSocket scanner = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            for (byte[] junk : List.of("SSH-2.0-scanner\r\n".getBytes(StandardCharsets.US_ASCII), new byte[1],
                    new byte[1500], "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                    new byte[] {1, 4, 0, 0, 0, 0})) {
                scanner.send(new DatagramPacket(junk, junk.length, target));
            }
            Thread.sleep(200); // time is the test: the junk reaches the listener first; dropping it has no event
            // The real dialer, from another source port, still gets through.
            PeerConnection c = new Peer("dialer").dial(LEVEL);
            readHello(c);
        }
    }

    @Test
    void theListenerListensAgainAfterAFailedAttempt() throws Exception {
        start(Duration.ofSeconds(20));
        messenger.waitForPeer(SecurityLevel.ENHANCED);
        Peer wrongLevel = new Peer("wrong");
        try {
            wrongLevel.dial(SecurityLevel.STANDARD);
        } catch (TransportException expected) {
            // The levels differ: TLS refuses on both sides.
        }
        // The failed attempt is reported; the wait goes on, and waiting again at that level is not BUSY.
        awaitEvent(ChatEvent.Failure.class, x -> true, Duration.ofSeconds(10));
        messenger.waitForPeer(SecurityLevel.ENHANCED);
        PeerConnection c = new Peer("second").dial(SecurityLevel.ENHANCED);
        readHello(c);
    }

    @Test
    void aKnownPeerPresentingAnotherContactsNameIsAskedAboutAndNeverFoundUnderIt() throws Exception {
        start(Duration.ofSeconds(20));
        InMemoryPrivateKeys carol = keys();
        Peer mallory = new Peer("mallory");
        trust.recordSeen(carol.identity().fingerprint(), "carol", "", TrustOrigin.CODE);
        trust.recordSeen(mallory.keys.identity().fingerprint(), "mallory", "", TrustOrigin.TRUST_ON_FIRST_USE);
        messenger.waitForPeer(LEVEL);
        PeerConnection c = mallory.dial(LEVEL);
        readHello(c);
        c.sendMessage(ChatFrame.hello(LEVEL, "carol", Optional.empty()).encode());
        ChatEvent.PeerChanged warned = awaitEvent(ChatEvent.PeerChanged.class, x -> true, Duration.ofSeconds(10));
        assertThat(warned.oldFingerprint()).isEqualTo(carol.identity().fingerprint().displayString());
        assertThat(warned.newFingerprint()).isEqualTo(mallory.keys.identity().fingerprint().displayString());
        assertThat(warned.explanation()).contains("'mallory'", "'carol'");
        assertThat(trust.findByName("carol").orElseThrow().fingerprint()).isEqualTo(carol.identity().fingerprint());
        messenger.decide(warned.newFingerprint(), Messenger.TrustDecision.REJECT);
        awaitEvent(ChatEvent.Failure.class, x -> true, Duration.ofSeconds(10));
        assertThat(trust.isRejected(mallory.keys.identity().fingerprint())).isTrue();
        assertThat(trust.findByName("carol").orElseThrow().fingerprint()).isEqualTo(carol.identity().fingerprint());
        messenger.waitForPeer(LEVEL);
    }

    @Test
    void progressEventsAreAStageClockFromConnectToConnected() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        CompletableFuture<ChatEvent.Connected> aliceDone = connectedOf(alice);
        CompletableFuture<ChatEvent.Connected> bobDone = connectedOf(bob);
        ChatEvent.Endpoint code = alice.waitForPeer(LEVEL);
        bob.connect(code.code(), LEVEL);
        ChatEvent.Connected bobConnected = bobDone.get(30, TimeUnit.SECONDS);
        ChatEvent.Connected aliceConnected = aliceDone.get(30, TimeUnit.SECONDS);

        List<ChatEvent.Progress> dialer = bobEvents.stream().filter(ChatEvent.Progress.class::isInstance)
                .map(ChatEvent.Progress.class::cast).toList();
        assertThat(dialer).extracting(ChatEvent.Progress::stage).containsExactly(ChatEvent.Stage.STUN,
                ChatEvent.Stage.ICE, ChatEvent.Stage.TLS, ChatEvent.Stage.HELLO, ChatEvent.Stage.HANDSHAKE,
                ChatEvent.Stage.CONFIRM);
        assertStageClock(dialer, bobConnected);
        List<ChatEvent.Progress> waiter = aliceEvents.stream().filter(ChatEvent.Progress.class::isInstance)
                .map(ChatEvent.Progress.class::cast).toList();
        assertThat(waiter).extracting(ChatEvent.Progress::stage).containsExactly(ChatEvent.Stage.STUN,
                ChatEvent.Stage.ICE, ChatEvent.Stage.TLS, ChatEvent.Stage.HELLO, ChatEvent.Stage.HANDSHAKE,
                ChatEvent.Stage.CONFIRM);
        assertStageClock(waiter, aliceConnected);
    }

    /**
     * Elapsed times never decrease from the request on, the set-up ends at Connected. Order only: wall-clock
     * bounds belong to ConnectBench, not to a unit test on a loaded machine.
     */
    private static void assertStageClock(List<ChatEvent.Progress> stages, ChatEvent.Connected connected) {
        assertThat(stages.get(0).elapsed()).isGreaterThanOrEqualTo(Duration.ZERO);
        for (int i = 1; i < stages.size(); i++) {
            assertThat(stages.get(i).elapsed()).as("%s after %s", stages.get(i), stages.get(i - 1))
                    .isGreaterThanOrEqualTo(stages.get(i - 1).elapsed());
        }
        assertThat(connected.elapsed()).isGreaterThanOrEqualTo(stages.get(stages.size() - 1).elapsed())
                .isPositive();
    }

    /** Completed by {@code m}'s listener at its first Connected, or exceptionally at a Failure before it. */
    private static CompletableFuture<ChatEvent.Connected> connectedOf(DefaultMessenger m) {
        CompletableFuture<ChatEvent.Connected> done = new CompletableFuture<>();
        m.addListener(e -> {
            if (e instanceof ChatEvent.Connected c) {
                done.complete(c);
            } else if (e instanceof ChatEvent.Failure f) {
                done.completeExceptionally(new AssertionError("failed: " + f.reason()));
            }
        });
        return done;
    }

    @Test
    void aMeasuredNatBehaviourStandsInForANewMeasurementOnlyWhileItIsRecent() throws Exception {
        MutableClock moved = new MutableClock(Instant.parse("2026-01-01T12:00:00Z"));
        DefaultMessenger m = codeMessenger("nat", new CopyOnWriteArrayList<>(), moved);
        assertThat(m.recentNat()).isEmpty();
        TransportConfig loopback = config(Duration.ofSeconds(20));
        NatBehaviour nat = new EndpointDiscovery(loopback).discover().natBehaviour();
        m.rememberNat(nat);
        moved.advance(DefaultMessenger.MEASURED_NAT_MAX_AGE.minusSeconds(1));
        assertThat(m.recentNat()).containsSame(nat);
        // Two minutes on (the network may have changed): a wait measures again, as without a measurement.
        moved.advance(Duration.ofSeconds(1));
        assertThat(m.recentNat()).isEmpty();
        // A clock set back before the measurement leaves its age unknown: measured again too.
        m.rememberNat(nat);
        moved.advance(Duration.ofSeconds(-1));
        assertThat(m.recentNat()).isEmpty();
    }

    /** Polls {@code list} (filled by a messenger's listener) for an event; the events so far in the failure. */
    private static <T extends ChatEvent> T awaitIn(List<ChatEvent> list, Class<T> type, Predicate<T> which) {
        return awaitIn(list, type, which, Duration.ofSeconds(30));
    }

    private static <T extends ChatEvent> T awaitIn(List<ChatEvent> list, Class<T> type, Predicate<T> which,
            Duration within) {
        return Await.value(() -> "a " + type.getSimpleName() + "; events: " + list, within,
                () -> list.stream().filter(type::isInstance).map(type::cast).filter(which).findFirst());
    }

    private static List<String> receivedTexts(List<ChatEvent> list, String peer) {
        return list.stream().filter(e -> e instanceof ChatEvent.MessageReceived m && m.peer().equals(peer))
                .map(e -> ((ChatEvent.MessageReceived) e).text()).toList();
    }

    /** {@code waiter} opens a wait, {@code dialler} connects with its code; both Connected events. */
    private static ChatEvent.Connected[] pair(DefaultMessenger waiter, List<ChatEvent> waiterEvents,
            DefaultMessenger dialler, List<ChatEvent> diallerEvents) throws Exception {
        ChatEvent.Endpoint code = waiter.waitForPeer(LEVEL);
        String attempt = dialler.connect(code.code(), LEVEL);
        ChatEvent.Connected d = awaitIn(diallerEvents, ChatEvent.Connected.class, c -> c.attempt().equals(attempt));
        ChatEvent.Connected w = awaitIn(waiterEvents, ChatEvent.Connected.class,
                c -> c.attempt().equals(code.attempt()));
        return new ChatEvent.Connected[] {w, d};
    }

    @Test
    void aWaitForOneMemberRefusesAnotherWhoArrivesWithItsCode() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> carolEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        DefaultMessenger carol = codeMessenger("carol", carolEvents);
        // Alice asked carol (a chat request, §23.4); the code reached bob too (the relay shows it to whom it likes).
        ChatEvent.Endpoint wait = alice.waitForPeer(LEVEL,
                Optional.of(Fingerprint.parse(carol.identity().fingerprint())));
        bob.connect(wait.code(), LEVEL);
        ChatEvent.Failure refused = awaitIn(aliceEvents, ChatEvent.Failure.class,
                f -> f.attempt().equals(wait.attempt()));
        assertThat(refused.reason()).contains("arrived at the wait for");
        assertThat(aliceEvents).noneMatch(e -> e instanceof ChatEvent.Connected);
        assertThat(alice.conversations()).isEmpty();
    }

    @Test
    void twoWaitsAtOnceMakeTwoConversationsAndEachMessageArrivesInItsOwn() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> carolEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        DefaultMessenger carol = codeMessenger("carol", carolEvents);
        // Both waits are open before either peer comes: two attempts, two single-use codes.
        ChatEvent.Endpoint forBob = alice.waitForPeer(LEVEL);
        ChatEvent.Endpoint forCarol = alice.waitForPeer(LEVEL);
        assertThat(forBob.attempt()).isNotEqualTo(forCarol.attempt());
        assertThat(forBob.code()).isNotEqualTo(forCarol.code());
        // One after the other: InMemoryPrivateKeys offers the same one-time prekey until it is consumed (the key
        // manager's DurableKeyHolder offers each bundle once), so two handshakes at the same instant would race
        // for it here, not in the product.
        String bobAttempt = bob.connect(forBob.code(), LEVEL);
        ChatEvent.Connected bobSide = awaitIn(bobEvents, ChatEvent.Connected.class,
                c -> c.attempt().equals(bobAttempt));
        String carolAttempt = carol.connect(forCarol.code(), LEVEL);
        ChatEvent.Connected carolSide = awaitIn(carolEvents, ChatEvent.Connected.class,
                c -> c.attempt().equals(carolAttempt));
        String bobFp = bob.identity().fingerprint();
        String carolFp = carol.identity().fingerprint();
        awaitIn(aliceEvents, ChatEvent.Connected.class, c -> c.peer().equals(bobFp) && c.name().equals("bob"));
        awaitIn(aliceEvents, ChatEvent.Connected.class, c -> c.peer().equals(carolFp));
        assertThat(bobSide.peer()).isEqualTo(alice.identity().fingerprint());
        assertThat(carolSide.peer()).isEqualTo(alice.identity().fingerprint());
        assertThat(alice.conversations()).filteredOn(Messenger.ConversationInfo::connected)
                .extracting(Messenger.ConversationInfo::name).containsExactlyInAnyOrder("bob", "carol");

        // With two connected (or two stored and none connected), a send must say to whom; by name or fingerprint.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> alice.send(null, "to whom?"))
                .isInstanceOf(AppException.class).hasMessageContaining("say which peer");
        for (int i = 0; i < 5; i++) {
            alice.send("bob", "b" + i);
            alice.send(carolFp, "c" + i);
            bob.send(null, "from bob " + i);
            carol.send("alice", "from carol " + i);
        }
        String aliceFp = alice.identity().fingerprint();
        awaitIn(bobEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("b4"));
        awaitIn(carolEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("c4"));
        awaitIn(aliceEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("from bob 4"));
        awaitIn(aliceEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("from carol 4"));
        assertThat(receivedTexts(bobEvents, aliceFp)).containsExactly("b0", "b1", "b2", "b3", "b4");
        assertThat(receivedTexts(carolEvents, aliceFp)).containsExactly("c0", "c1", "c2", "c3", "c4");
        assertThat(receivedTexts(aliceEvents, bobFp)).containsExactly("from bob 0", "from bob 1", "from bob 2",
                "from bob 3", "from bob 4");
        assertThat(receivedTexts(aliceEvents, carolFp)).containsExactly("from carol 0", "from carol 1",
                "from carol 2", "from carol 3", "from carol 4");
        // Alice's history: each conversation its own, sent and received in order, sent ones delivered.
        List<org.securep2p.app.history.HistoryMessage> withBob = alice.history("bob", Optional.empty(), 100);
        assertThat(withBob).filteredOn(m -> m.direction() == org.securep2p.app.history.HistoryMessage.Direction.RECEIVED)
                .extracting(org.securep2p.app.history.HistoryMessage::text)
                .containsExactly("from bob 0", "from bob 1", "from bob 2", "from bob 3", "from bob 4");
        String c4 = alice.history("carol", Optional.empty(), 100).stream().filter(m -> m.text().equals("c4"))
                .findFirst().orElseThrow().id();
        awaitIn(aliceEvents, ChatEvent.Delivered.class, d -> d.peer().equals(carolFp) && d.id().equals(c4));
        assertThat(alice.history(carolFp, Optional.empty(), 100))
                .filteredOn(m -> m.direction() == org.securep2p.app.history.HistoryMessage.Direction.SENT)
                .extracting(org.securep2p.app.history.HistoryMessage::text).containsExactly("c0", "c1", "c2", "c3", "c4");
        // Ending one conversation leaves the other connected.
        alice.disconnect("bob");
        awaitIn(aliceEvents, ChatEvent.Disconnected.class, d -> d.peer().equals(bobFp));
        assertThat(alice.conversations()).filteredOn(Messenger.ConversationInfo::connected)
                .extracting(Messenger.ConversationInfo::name).containsExactly("carol");
        alice.send(null, "only carol now");
        awaitIn(carolEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("only carol now"));
    }

    /** Alice connected to bob and to carol (two waits, one after the other); the three messengers' events. */
    private record Three(DefaultMessenger alice, DefaultMessenger bob, DefaultMessenger carol,
            List<ChatEvent> aliceEvents, List<ChatEvent> bobEvents, List<ChatEvent> carolEvents) { }

    private Three aliceWithBobAndCarol() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> carolEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        DefaultMessenger carol = codeMessenger("carol", carolEvents);
        pair(alice, aliceEvents, bob, bobEvents);
        pair(alice, aliceEvents, carol, carolEvents);
        return new Three(alice, bob, carol, aliceEvents, bobEvents, carolEvents);
    }

    @Test
    void twoSetUpsWithOnePeerAtOnceLeaveOneSessionDrivingTheConversation() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch firstWrite = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean held = new java.util.concurrent.atomic.AtomicBoolean();
        // Alice's first set-up stops while it creates the conversation (the handshake's first file write).
        DefaultMessenger alice = codeMessenger("alice", aliceEvents, clock, (file, content) -> {
            if (file.toString().endsWith(".conv") && held.compareAndSet(false, true)) {
                firstWrite.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            AtomicFile.write(file, content);
        });
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        ChatEvent.Endpoint one = bob.waitForPeer(LEVEL);
        ChatEvent.Endpoint two = bob.waitForPeer(LEVEL);
        String first = alice.connect(one.code(), LEVEL);
        assertThat(firstWrite.await(30, TimeUnit.SECONDS)).isTrue();
        String second = alice.connect(two.code(), LEVEL);
        try {
            // The second set-up has its TLS connection and starts the chat set-up with the same peer.
            awaitIn(aliceEvents, ChatEvent.Progress.class, p -> p.attempt().equals(second)
                    && p.stage() == ChatEvent.Stage.HELLO);
        } finally {
            release.countDown();
        }
        // Whichever wins, exactly one of alice's two links ends connected to bob and stays so.
        awaitIn(aliceEvents, ChatEvent.Failure.class, f -> f.attempt().equals(first) || f.attempt().equals(second));
        String bobFp = bob.identity().fingerprint();
        awaitIn(aliceEvents, ChatEvent.Connected.class, c -> c.peer().equals(bobFp));
        alice.send("bob", "once");
        awaitIn(bobEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("once"));
        assertThat(receivedTexts(bobEvents, alice.identity().fingerprint())).containsExactly("once");
        long connected = aliceEvents.stream().filter(e -> e instanceof ChatEvent.Connected c
                && c.peer().equals(bobFp)).count();
        long dropped = aliceEvents.stream().filter(e -> e instanceof ChatEvent.Disconnected d
                && d.peer().equals(bobFp)).count();
        assertThat(connected - dropped).isEqualTo(1);
    }

    @Test
    void aPeerAnnouncingANameThatLooksLikeAFingerprintIsListedUnderItsOwnShortForm() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        String posing = "ab".repeat(32);
        DefaultMessenger bob = codeMessenger(posing, bobEvents);
        pair(alice, aliceEvents, bob, bobEvents);
        String bobFp = bob.identity().fingerprint();
        assertThat(alice.conversations()).filteredOn(c -> c.peer().equals(bobFp))
                .extracting(Messenger.ConversationInfo::name)
                .containsExactly(org.securep2p.crypto.Fingerprint.parse(bobFp).shortForm());
        assertThat(histories.get("alice").contactNamed(posing)).isEmpty();
    }

    @Test
    void aRenamedContactIsNoLongerReachedByTheNameItAnnounced() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        pair(alice, aliceEvents, bob, bobEvents);
        alice.rename(bob.identity().fingerprint(), "scammer");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> alice.send("bob", "meant for someone else"))
                .isInstanceOf(AppException.class)
                .satisfies(e -> assertThat(((AppException) e).reason()).isEqualTo(AppException.Reason.UNKNOWN_PEER));
        alice.send("scammer", "by the name I chose");
        awaitIn(bobEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("by the name I chose"));
        assertThat(receivedTexts(bobEvents, alice.identity().fingerprint())).containsExactly("by the name I chose");
    }

    @Test
    void anAcceptedNewIdentityTakesTheContactsNameAndTheOldOneIsNoLongerSentTo() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> newBobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        pair(alice, aliceEvents, bob, bobEvents);
        String oldFp = bob.identity().fingerprint();
        bob.disconnect(null);
        awaitIn(aliceEvents, ChatEvent.Disconnected.class, d -> d.peer().equals(oldFp));
        // Bob reinstalled: a new identity announcing the same name; alice accepts it.
        DefaultMessenger newBob = codeMessenger("bob-reinstalled", "bob", newBobEvents, clock, AtomicFile::write);
        String newFp = newBob.identity().fingerprint();
        ChatEvent.Endpoint code = alice.waitForPeer(LEVEL);
        newBob.connect(code.code(), LEVEL);
        awaitIn(aliceEvents, ChatEvent.PeerChanged.class, p -> p.peer().equals(newFp));
        alice.decide(newFp, Messenger.TrustDecision.ACCEPT);
        awaitIn(aliceEvents, ChatEvent.Connected.class, c -> c.peer().equals(newFp));
        alice.send("bob", "to the bob I accepted");
        awaitIn(newBobEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("to the bob I accepted"));
        assertThat(alice.conversations()).filteredOn(c -> c.peer().equals(newFp))
                .extracting(Messenger.ConversationInfo::name).containsExactly("bob");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> alice.send(oldFp, "never delivered"))
                .isInstanceOf(AppException.class)
                .satisfies(e -> assertThat(((AppException) e).reason()).isEqualTo(AppException.Reason.UNKNOWN_PEER));
    }

    @Test
    void eventsNameTheContactByItsLocalNameNotTheOneItAnnounced() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        String bobFp = bob.identity().fingerprint();
        histories.get("alice").setContactName(org.securep2p.crypto.Fingerprint.parse(bobFp), "Robert");
        ChatEvent.Connected[] c = pair(alice, aliceEvents, bob, bobEvents);
        assertThat(c[0].name()).isEqualTo("Robert");
        bob.send(null, "hi");
        assertThat(awaitIn(aliceEvents, ChatEvent.MessageReceived.class, m -> m.peer().equals(bobFp)).from())
                .isEqualTo("Robert");
    }

    @Test
    void disconnectEndsASetUpWithThatPeerAndRefusesAPeerItDoesNotKnow() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", new CopyOnWriteArrayList<>());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> alice.disconnect("nobody"))
                .isInstanceOf(AppException.class)
                .satisfies(e -> assertThat(((AppException) e).reason()).isEqualTo(AppException.Reason.UNKNOWN_PEER));
        // Bob's code, but bob no longer waits: alice's set-up keeps trying until it is ended.
        ChatEvent.Endpoint code = bob.waitForPeer(LEVEL);
        bob.cancel(code.attempt());
        String bobFp = bob.identity().fingerprint();
        alice.connect(code.code(), LEVEL);
        assertThat(alice.conversations()).filteredOn(c -> c.peer().equals(bobFp))
                .extracting(Messenger.ConversationInfo::state).containsExactly("dialling");
        alice.disconnect(bobFp);
        assertThat(alice.conversations()).filteredOn(c -> c.peer().equals(bobFp)).isEmpty();
    }

    @Test
    void aWellFormedFingerprintOfNoContactIsUnknownPeerEverywhere() throws Exception {
        DefaultMessenger alice = codeMessenger("alice", new CopyOnWriteArrayList<>());
        String stranger = "ab".repeat(32);
        List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> calls = List.of(
                () -> alice.history(stranger, Optional.empty(), 10), () -> alice.rename(stranger, "x"),
                () -> alice.markRead(stranger), () -> alice.clearHistory(stranger), () -> alice.markVerified(stranger));
        for (org.assertj.core.api.ThrowableAssert.ThrowingCallable call : calls) {
            org.assertj.core.api.Assertions.assertThatThrownBy(call).isInstanceOf(AppException.class).satisfies(
                    e -> assertThat(((AppException) e).reason()).isEqualTo(AppException.Reason.UNKNOWN_PEER));
        }
        assertThat(alice.safetyNumber(stranger)).isEmpty();
        assertThat(alice.conversations()).isEmpty();
    }

    @Test
    void verifyWithoutAPeerNeedsAConnectedOneNotJustAStoredConversation() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        pair(alice, aliceEvents, bob, bobEvents);
        String bobFp = bob.identity().fingerprint();
        bob.disconnect(null);
        awaitIn(aliceEvents, ChatEvent.Disconnected.class, d -> d.peer().equals(bobFp));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> alice.markVerified(null))
                .isInstanceOf(AppException.class)
                .satisfies(e -> assertThat(((AppException) e).reason()).isEqualTo(AppException.Reason.NOT_CONNECTED));
        assertThat(alice.safetyNumber(null)).isEmpty();
        assertThat(alice.peers()).noneMatch(Messenger.PeerInfo::verified);
        // A send still queues to the one stored conversation, as before.
        assertThat(alice.send(null, "queued")).hasSize(32);
    }

    @Test
    void aSendARunBeforeStoredButNeverQueuedIsFailedAtTheNextStart() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        pair(alice, aliceEvents, bob, bobEvents);
        String bobFp = bob.identity().fingerprint();
        bob.disconnect(null);
        awaitIn(aliceEvents, ChatEvent.Disconnected.class, d -> d.peer().equals(bobFp));
        org.securep2p.crypto.Fingerprint bobKey = org.securep2p.crypto.Fingerprint.parse(bobFp);
        MemoryHistory history = histories.get("alice");
        // A run before stopped between the history's SENDING row and the outbox: the row's id is queued nowhere.
        String orphan = "0123456789abcdef0123456789abcdef";
        history.append(bobKey, org.securep2p.app.history.HistoryMessage.sent(orphan, Instant.EPOCH, "left behind"));
        String queued = alice.send("bob", "queued while bob is away");
        assertThat(alice.failOrphanedSends(Instant.now().plusSeconds(60))).isEqualTo(1);
        assertThat(history.all(bobKey)).filteredOn(m -> m.id().equals(orphan)).singleElement().satisfies(m -> {
            assertThat(m.delivery()).isEqualTo(org.securep2p.app.history.HistoryMessage.Delivery.FAILED);
            assertThat(m.failureReason()).isPresent();
        });
        assertThat(history.all(bobKey)).filteredOn(m -> m.id().equals(queued))
                .extracting(org.securep2p.app.history.HistoryMessage::delivery)
                .containsExactly(org.securep2p.app.history.HistoryMessage.Delivery.SENDING);
        // This run's sends are younger than its start: left alone.
        assertThat(alice.failOrphanedSends(Instant.EPOCH)).isZero();
    }

    @Test
    void aDroppedSessionIsNoLongerListedConnectedWhenItsDisconnectedEventArrives() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        pair(alice, aliceEvents, bob, bobEvents);
        String bobFp = bob.identity().fingerprint();
        List<String> statesSeen = new CopyOnWriteArrayList<>();
        alice.addListener(e -> {
            if (e instanceof ChatEvent.Disconnected d && d.peer().equals(bobFp)) {
                alice.conversations().stream().filter(c -> c.peer().equals(bobFp))
                        .forEach(c -> statesSeen.add(c.state()));
            }
        });
        bob.disconnect(null);
        awaitIn(aliceEvents, ChatEvent.Disconnected.class, d -> d.peer().equals(bobFp));
        // Listeners run one after another: aliceEvents' may have seen the event before ours has looked.
        Await.until("alice's listener to look at the conversation", Duration.ofSeconds(30),
                () -> !statesSeen.isEmpty());
        // Not "connected", nor "closed" derived from a Connected link whose session is dead: the link has moved.
        assertThat(statesSeen).containsExactly("idle");
    }

    @Test
    void aSendStuckInOneConversationDoesNotHoldUpASendInAnother() throws Exception {
        Three t = aliceWithBobAndCarol();
        org.securep2p.crypto.Fingerprint bobFp = org.securep2p.crypto.Fingerprint.parse(t.bob().identity()
                .fingerprint());
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        histories.get("alice").beforeAppend = (peer, m) -> {
            if (peer.equals(bobFp) && m.direction() == org.securep2p.app.history.HistoryMessage.Direction.SENT) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        // The send to bob stops in the middle (as one to a peer that stopped reading stops in the transport).
        CompletableFuture<String> toBob = CompletableFuture.supplyAsync(() -> {
            try {
                return t.alice().send("bob", "held up");
            } catch (AppException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        try {
            CompletableFuture<String> toCarol = CompletableFuture.supplyAsync(() -> {
                try {
                    return t.alice().send("carol", "not held up");
                } catch (AppException e) {
                    throw new IllegalStateException(e);
                }
            });
            toCarol.get(20, TimeUnit.SECONDS);
            awaitIn(t.carolEvents(), ChatEvent.MessageReceived.class, m -> m.text().equals("not held up"));
            assertThat(toBob).isNotDone();
        } finally {
            release.countDown();
        }
        toBob.get(20, TimeUnit.SECONDS);
        awaitIn(t.bobEvents(), ChatEvent.MessageReceived.class, m -> m.text().equals("held up"));
    }

    @Test
    void aMessageToAnOfflineContactIsStoredAndDeliveredOnceInOrderAtTheNextConnection() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        // Nobody known yet: nothing to queue for.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> alice.send("bob", "too early"))
                .isInstanceOf(AppException.class);
        pair(alice, aliceEvents, bob, bobEvents);
        String bobFp = bob.identity().fingerprint();
        bob.disconnect(null);
        awaitIn(aliceEvents, ChatEvent.Disconnected.class, d -> d.peer().equals(bobFp));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(alice.send("bob", "while you were away " + i));
        }
        MemoryHistory history = histories.get("alice");
        assertThat(history.all(org.securep2p.crypto.Fingerprint.parse(bobFp)))
                .extracting(org.securep2p.app.history.HistoryMessage::delivery)
                .containsOnly(org.securep2p.app.history.HistoryMessage.Delivery.SENDING);
        // Bob's one stored conversation is what a send without a peer means while none is connected.
        bob.send(null, "bob while away");
        assertThat(receivedTexts(bobEvents, alice.identity().fingerprint())).isEmpty();

        ChatEvent.Connected[] again = pair(alice, aliceEvents, bob, bobEvents);
        assertThat(again[0].resumed()).isTrue();
        awaitIn(bobEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("while you were away 2"));
        for (String id : ids) {
            awaitIn(aliceEvents, ChatEvent.Delivered.class, d -> d.id().equals(id) && d.peer().equals(bobFp));
        }
        assertThat(receivedTexts(bobEvents, alice.identity().fingerprint())).containsExactly(
                "while you were away 0", "while you were away 1", "while you were away 2");
        awaitIn(aliceEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("bob while away"));
        assertThat(history.all(org.securep2p.crypto.Fingerprint.parse(bobFp)))
                .filteredOn(m -> m.direction() == org.securep2p.app.history.HistoryMessage.Direction.SENT)
                .extracting(org.securep2p.app.history.HistoryMessage::delivery)
                .containsOnly(org.securep2p.app.history.HistoryMessage.Delivery.DELIVERED).hasSize(3);
    }

    @Test
    void aReceivedMessageIsShownOnlyByTheCallThatStoredItInTheHistory() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        pair(alice, aliceEvents, bob, bobEvents);
        String bobFp = bob.identity().fingerprint();
        MemoryHistory history = histories.get("alice");
        // As if a run before a crash had stored "first" already under its id: at the moment alice's session
        // appends it, the history already holds that id, so this append is not the first and nothing is shown.
        history.beforeAppend = (peer, m) -> {
            if (m.direction() == org.securep2p.app.history.HistoryMessage.Direction.RECEIVED
                    && m.text().equals("first")) {
                try {
                    history.append(peer, org.securep2p.app.history.HistoryMessage.received(m.id(), Instant.EPOCH,
                            "stored before"));
                } catch (org.securep2p.app.history.HistoryException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        String firstId = bob.send(null, "first");
        bob.send(null, "second");
        awaitIn(aliceEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("second"));
        assertThat(receivedTexts(aliceEvents, bobFp)).containsExactly("second");
        assertThat(alice.history("bob", Optional.empty(), 10)).extracting(
                org.securep2p.app.history.HistoryMessage::text).containsExactly("stored before", "second");
        assertThat(alice.history("bob", Optional.empty(), 10).get(0).id()).isEqualTo(firstId);
        assertThat(alice.conversations()).filteredOn(c -> c.peer().equals(bobFp))
                .extracting(Messenger.ConversationInfo::unread).containsExactly(2);
        alice.markRead("bob");
        assertThat(alice.conversations()).filteredOn(c -> c.peer().equals(bobFp))
                .extracting(Messenger.ConversationInfo::unread).containsExactly(0);
        alice.rename(bobFp, "Robert");
        assertThat(alice.conversations()).filteredOn(c -> c.peer().equals(bobFp))
                .extracting(Messenger.ConversationInfo::name).containsExactly("Robert");
        alice.send("robert", "by the new name");
        awaitIn(bobEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("by the new name"));
    }

    @Test
    void atMostThirtyTwoConnectionsAndWaitsRunAtOnce() throws Exception {
        DefaultMessenger m = codeMessenger("many", new CopyOnWriteArrayList<>());
        int dead;
        try (DatagramSocket probe = new DatagramSocket(0)) {
            dead = probe.getLocalPort();
        }
        // Nobody answers there: each link keeps dialling (with backoff) and keeps its slot. Forty callers at
        // once: counting and adding are one step, so exactly 32 get a slot and the others BUSY.
        int callers = Messenger.MAX_CONNECTIONS + 8;
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<CompletableFuture<Boolean>> tries = new ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(callers);
        try {
            for (int i = 0; i < callers; i++) {
                tries.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                        m.connect("127.0.0.1:" + dead, LEVEL);
                        return true;
                    } catch (AppException e) {
                        assertThat(e.reason()).isEqualTo(AppException.Reason.BUSY);
                        return false;
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }, pool));
            }
            go.countDown();
            long granted = 0;
            for (CompletableFuture<Boolean> t : tries) {
                granted += t.get(30, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(granted).isEqualTo(Messenger.MAX_CONNECTIONS);
        } finally {
            pool.shutdownNow();
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> m.connect("127.0.0.1:" + dead, LEVEL))
                .isInstanceOf(AppException.class)
                .satisfies(e -> assertThat(((AppException) e).reason()).isEqualTo(AppException.Reason.BUSY));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> m.waitForPeer(LEVEL))
                .isInstanceOf(AppException.class)
                .satisfies(e -> assertThat(((AppException) e).reason()).isEqualTo(AppException.Reason.BUSY));
        // Ending them frees the slots at once.
        m.disconnect(null);
        String attempt = m.connect("127.0.0.1:" + dead, LEVEL);
        assertThat(attempt).startsWith("a");
        m.cancel(attempt);
    }

    @Test
    void cancellingOneWaitEndsOnlyThatWaitAndItsCode() throws Exception {
        List<ChatEvent> aliceEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> carolEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger alice = codeMessenger("alice", aliceEvents);
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        DefaultMessenger carol = codeMessenger("carol", carolEvents);
        ChatEvent.Endpoint cancelled = alice.waitForPeer(LEVEL);
        ChatEvent.Endpoint kept = alice.waitForPeer(LEVEL);
        alice.cancel(cancelled.attempt());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> alice.acceptAnswer(cancelled.attempt(), "x"))
                .isInstanceOf(AppException.class)
                .satisfies(e -> assertThat(((AppException) e).reason()).isEqualTo(AppException.Reason.NO_WAIT));
        String carolAttempt = carol.connect(cancelled.code(), LEVEL);
        String bobAttempt = bob.connect(kept.code(), LEVEL);
        awaitIn(bobEvents, ChatEvent.Connected.class, c -> c.attempt().equals(bobAttempt));
        awaitIn(aliceEvents, ChatEvent.Connected.class, c -> c.attempt().equals(kept.attempt()));
        awaitIn(carolEvents, ChatEvent.Failure.class, f -> f.attempt().equals(carolAttempt));
        assertThat(carolEvents).noneMatch(ChatEvent.Connected.class::isInstance);
        assertThat(aliceEvents).noneMatch(e -> e instanceof ChatEvent.Connected c
                && c.attempt().equals(cancelled.attempt()));
    }

    /** Connects {@code dialler} to the port messenger with host:port; its Connected event. */
    private String dialPort(DefaultMessenger dialler) throws Exception {
        return dialler.connect("127.0.0.1:" + port, LEVEL);
    }

    @Test
    void twoPeersDiallingOnePortAtOnceGetTwoConversationsAndEachMessageArrivesInItsOwn() throws Exception {
        start(Duration.ofSeconds(20));
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> carolEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        DefaultMessenger carol = codeMessenger("carol", carolEvents);
        messenger.waitForPeer(LEVEL);
        // Both dial before either is connected: the port serves them side by side.
        String bobAttempt = dialPort(bob);
        String carolAttempt = dialPort(carol);
        awaitIn(bobEvents, ChatEvent.Connected.class, c -> c.attempt().equals(bobAttempt));
        awaitIn(carolEvents, ChatEvent.Connected.class, c -> c.attempt().equals(carolAttempt));
        String bobFp = bob.identity().fingerprint();
        String carolFp = carol.identity().fingerprint();
        String aliceFp = messenger.identity().fingerprint();
        awaitIn(events, ChatEvent.Connected.class, c -> c.peer().equals(bobFp));
        awaitIn(events, ChatEvent.Connected.class, c -> c.peer().equals(carolFp));
        assertThat(messenger.conversations()).filteredOn(Messenger.ConversationInfo::connected)
                .extracting(Messenger.ConversationInfo::peer).containsExactlyInAnyOrder(bobFp, carolFp);

        for (int i = 0; i < 5; i++) {
            messenger.send(bobFp, "b" + i);
            messenger.send(carolFp, "c" + i);
            bob.send(null, "from bob " + i);
            carol.send(null, "from carol " + i);
        }
        awaitIn(bobEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("b4"));
        awaitIn(carolEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("c4"));
        awaitIn(events, ChatEvent.MessageReceived.class, m -> m.text().equals("from bob 4"));
        awaitIn(events, ChatEvent.MessageReceived.class, m -> m.text().equals("from carol 4"));
        assertThat(receivedTexts(bobEvents, aliceFp)).containsExactly("b0", "b1", "b2", "b3", "b4");
        assertThat(receivedTexts(carolEvents, aliceFp)).containsExactly("c0", "c1", "c2", "c3", "c4");
        assertThat(receivedTexts(events, bobFp)).containsExactly("from bob 0", "from bob 1", "from bob 2",
                "from bob 3", "from bob 4");
        assertThat(receivedTexts(events, carolFp)).containsExactly("from carol 0", "from carol 1",
                "from carol 2", "from carol 3", "from carol 4");
        // Ending one conversation leaves the other, and the wait, as they were.
        messenger.disconnect(bobFp);
        awaitIn(events, ChatEvent.Disconnected.class, d -> d.peer().equals(bobFp));
        messenger.send(carolFp, "only carol now");
        awaitIn(carolEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("only carol now"));
    }

    @Test
    void aDiallerAtAnotherLevelIsRefusedAndReportedWhileTheOthersConnect() throws Exception {
        start(Duration.ofSeconds(20));
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        List<ChatEvent> carolEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        DefaultMessenger carol = codeMessenger("carol", carolEvents);
        ChatEvent.Endpoint wait = messenger.waitForPeer(LEVEL);
        String bobAttempt = dialPort(bob);
        awaitIn(bobEvents, ChatEvent.Connected.class, c -> c.attempt().equals(bobAttempt));
        // Beside bob's live conversation: one at another level, and carol at the right one.
        CompletableFuture<Throwable> wrong = CompletableFuture.supplyAsync(() -> {
            try {
                new Peer("wrong").dial(SecurityLevel.ENHANCED);
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        String carolAttempt = dialPort(carol);
        awaitIn(carolEvents, ChatEvent.Connected.class, c -> c.attempt().equals(carolAttempt));
        assertThat(wrong.get(30, TimeUnit.SECONDS)).isInstanceOf(TransportException.class);
        ChatEvent.Failure refused = awaitEvent(ChatEvent.Failure.class, f -> f.attempt().equals(wait.attempt()),
                Duration.ofSeconds(10));
        assertThat(refused.reason()).containsAnyOf("level", "handshake", "TLS");
        bob.send(null, "bob still here");
        carol.send(null, "carol here");
        awaitIn(events, ChatEvent.MessageReceived.class, m -> m.text().equals("bob still here"));
        awaitIn(events, ChatEvent.MessageReceived.class, m -> m.text().equals("carol here"));
        // The wait is still the one that was opened: waiting again at its level changes nothing.
        assertThat(messenger.waitForPeer(LEVEL).attempt()).isEqualTo(wait.attempt());
    }

    @Test
    void withoutAWaitThePortTakesAKnownContactBackWithoutAsking() throws Exception {
        start(Duration.ofSeconds(20));
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        ChatEvent.Endpoint wait = messenger.waitForPeer(LEVEL);
        String bobAttempt = dialPort(bob);
        awaitIn(bobEvents, ChatEvent.Connected.class, c -> c.attempt().equals(bobAttempt));
        String bobFp = bob.identity().fingerprint();
        awaitIn(events, ChatEvent.Connected.class, c -> c.peer().equals(bobFp));
        messenger.cancel(wait.attempt());
        // Bob's conversation drops; his host:port link redials and gets in: he is a contact now.
        messenger.disconnect(bobFp);
        awaitIn(events, ChatEvent.Disconnected.class, d -> d.peer().equals(bobFp));
        long before = events.stream().filter(e -> e instanceof ChatEvent.Connected c && c.peer().equals(bobFp))
                .count();
        Await.until("bob connected again", Duration.ofSeconds(30), () -> events.stream()
                .filter(e -> e instanceof ChatEvent.Connected c && c.peer().equals(bobFp)).count() > before);
        assertThat(events).filteredOn(e -> e instanceof ChatEvent.Connected c && c.peer().equals(bobFp))
                .hasSize((int) before + 1);
        assertThat(events).noneMatch(ChatEvent.StrangerAsks.class::isInstance);
    }

    @Test
    void theFixedPortIsOpenFromTheStartForAKnownContact() throws Exception {
        start(Duration.ofSeconds(20));
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        Fingerprint bobFp = Fingerprint.parse(bob.identity().fingerprint());
        trust.recordSeen(bobFp, "bob", "", TrustOrigin.CODE);
        assertThat(messenger.listeningPort()).isEmpty();
        messenger.openFixedPort(LEVEL);
        assertThat(messenger.listeningPort()).contains(port);
        // No wait was ever opened: the port takes the contact, and asks nothing.
        String bobAttempt = dialPort(bob);
        awaitIn(bobEvents, ChatEvent.Connected.class, c -> c.attempt().equals(bobAttempt));
        ChatEvent.Connected here = awaitIn(events, ChatEvent.Connected.class,
                c -> c.peer().equals(bobFp.displayString()));
        assertThat(here.trust()).isEqualTo(ChatEvent.TrustMode.KNOWN);
        assertThat(events).noneMatch(ChatEvent.StrangerAsks.class::isInstance);
        bob.send(null, "no wait needed");
        awaitIn(events, ChatEvent.MessageReceived.class, m -> m.text().equals("no wait needed"));
    }

    @Test
    void aFixedPortThatIsTakenIsAnErrorAtStartNotASilentDeafness() throws Exception {
        start(Duration.ofSeconds(20));
        try (DatagramSocket taken = new DatagramSocket(port)) {
            assertThatThrownBy(() -> messenger.openFixedPort(LEVEL)).isInstanceOf(AppException.class);
        }
        assertThat(messenger.listeningPort()).isEmpty();
    }

    /** Carol, who is no contact, dialling the messenger's fixed port (open from start, no wait), and its question. */
    private record Stranger(DefaultMessenger messenger, List<ChatEvent> events, String fingerprint,
            ChatEvent.StrangerAsks ask) {
    }

    private Stranger strangerOnThePort() throws Exception {
        start(Duration.ofSeconds(20));
        messenger.openFixedPort(LEVEL);
        List<ChatEvent> carolEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger carol = codeMessenger("carol", carolEvents);
        String carolFp = carol.identity().fingerprint();
        dialPort(carol);
        return new Stranger(carol, carolEvents, carolFp,
                awaitIn(events, ChatEvent.StrangerAsks.class, a -> a.peer().equals(carolFp)));
    }

    @Test
    void aStrangerOnThePortWithoutAWaitIsAskedAndRefusingRecordsNothing() throws Exception {
        Stranger stranger = strangerOnThePort();
        DefaultMessenger carol = stranger.messenger();
        List<ChatEvent> carolEvents = stranger.events();
        String carolFp = stranger.fingerprint();
        ChatEvent.StrangerAsks ask = stranger.ask();
        assertThat(ask.name()).isEqualTo("carol");
        assertThat(ask.address()).startsWith("127.0.0.1:");
        assertThat(ask.level()).isEqualTo(LEVEL);
        // Nothing is recorded while the question is open; an answer that does not fit it is refused.
        assertThat(trust.find(Fingerprint.parse(carolFp))).isEmpty();
        assertThatThrownBy(() -> messenger.decide(carolFp, Messenger.TrustDecision.VERIFY))
                .isInstanceOf(AppException.class).hasMessageContaining("accept_once");
        assertThatThrownBy(() -> messenger.send(carolFp, "too early")).isInstanceOf(AppException.class);
        messenger.decide(carolFp, Messenger.TrustDecision.REFUSE);
        awaitIn(events, ChatEvent.Failure.class, f -> f.reason().contains("You refused the connection"));
        carol.disconnect(null);
        assertThat(trust.find(Fingerprint.parse(carolFp))).isEmpty();
        assertThat(trust.isRejected(Fingerprint.parse(carolFp))).isFalse();
        assertThat(events).noneMatch(e -> e instanceof ChatEvent.Connected c && c.peer().equals(carolFp));
        assertThat(carolEvents).noneMatch(ChatEvent.Connected.class::isInstance);
    }

    @Test
    void aStrangerAcceptedOnceTalksButIsNeverRecorded() throws Exception {
        Stranger stranger = strangerOnThePort();
        DefaultMessenger carol = stranger.messenger();
        List<ChatEvent> carolEvents = stranger.events();
        String carolFp = stranger.fingerprint();
        messenger.decide(carolFp, Messenger.TrustDecision.ACCEPT_ONCE);
        ChatEvent.Connected here = awaitIn(events, ChatEvent.Connected.class, c -> c.peer().equals(carolFp));
        assertThat(here.trust()).isEqualTo(ChatEvent.TrustMode.ACCEPTED_ONCE);
        awaitIn(carolEvents, ChatEvent.Connected.class, c -> true);
        messenger.send(carolFp, "just this once");
        awaitIn(carolEvents, ChatEvent.MessageReceived.class, m -> m.text().equals("just this once"));
        assertThat(trust.find(Fingerprint.parse(carolFp))).isEmpty();
        // Once the conversation ends, the guest is no contact: nothing can be queued for it.
        carol.disconnect(null);
        awaitIn(events, ChatEvent.Disconnected.class, d -> d.peer().equals(carolFp));
        // "idle": carol's link is closed. From that instant the guest is nobody to send to.
        Await.until("the guest's link gone", Duration.ofSeconds(10), () -> messenger.conversations().stream()
                .filter(c -> c.peer().equals(carolFp)).allMatch(c -> c.state().equals("idle")));
        assertThatThrownBy(() -> messenger.send(carolFp, "after")).isInstanceOf(AppException.class)
                .extracting(e -> ((AppException) e).reason()).isEqualTo(AppException.Reason.UNKNOWN_PEER);
        assertThat(trust.find(Fingerprint.parse(carolFp))).isEmpty();
    }

    @Test
    void aStrangerAcceptedAndTrustedBecomesAContact() throws Exception {
        String carolFp = strangerOnThePort().fingerprint();
        messenger.decide(carolFp, Messenger.TrustDecision.ACCEPT);
        ChatEvent.Connected here = awaitIn(events, ChatEvent.Connected.class, c -> c.peer().equals(carolFp));
        assertThat(here.trust()).isEqualTo(ChatEvent.TrustMode.TRUST_ON_FIRST_USE);
        assertThat(trust.find(Fingerprint.parse(carolFp))).get().extracting(p -> p.origin())
                .isEqualTo(TrustOrigin.TRUST_ON_FIRST_USE);
    }

    @Test
    void aSecondStrangerIsRefusedWhileTheFirstIsAsked() throws Exception {
        String carolFp = strangerOnThePort().fingerprint();
        // Another stranger completes TLS (the transport knows no contacts) but gets no set-up and no question.
        Peer dave = new Peer("dave");
        PeerConnection c = dave.dial(LEVEL);
        assertThatThrownBy(c::receiveMessage).isInstanceOf(TransportException.class);
        assertThat(events).filteredOn(ChatEvent.StrangerAsks.class::isInstance).hasSize(1);
        messenger.decide(carolFp, Messenger.TrustDecision.ACCEPT_ONCE);
        awaitIn(events, ChatEvent.Connected.class, x -> x.peer().equals(carolFp));
    }

    @Test
    void aRejectedIdentityOnThePortIsRefusedWithoutAsking() throws Exception {
        start(Duration.ofSeconds(20));
        messenger.openFixedPort(LEVEL);
        Peer mallory = new Peer("mallory");
        trust.reject(mallory.keys.identity().fingerprint());
        PeerConnection c = mallory.dial(LEVEL);
        assertThatThrownBy(c::receiveMessage).isInstanceOf(TransportException.class);
        assertThat(events).noneMatch(ChatEvent.StrangerAsks.class::isInstance);
    }

    @Test
    void aPeerArrivingOnThePortWhenAllThirtyTwoSlotsAreTakenIsClosedAndReported() throws Exception {
        start(Duration.ofSeconds(20));
        ChatEvent.Endpoint wait = messenger.waitForPeer(LEVEL);
        int dead;
        try (DatagramSocket probe = new DatagramSocket(0)) {
            dead = probe.getLocalPort();
        }
        // The wait holds one slot; 31 links dialling nobody hold the rest.
        for (int i = 1; i < Messenger.MAX_CONNECTIONS; i++) {
            messenger.connect("127.0.0.1:" + dead, LEVEL);
        }
        List<ChatEvent> bobEvents = new CopyOnWriteArrayList<>();
        DefaultMessenger bob = codeMessenger("bob", bobEvents);
        String bobAttempt = dialPort(bob);
        ChatEvent.Failure full = awaitEvent(ChatEvent.Failure.class, f -> f.attempt().equals(wait.attempt()),
                Duration.ofSeconds(30));
        assertThat(full.reason()).contains("At most " + Messenger.MAX_CONNECTIONS);
        awaitIn(bobEvents, ChatEvent.Failure.class, f -> f.attempt().equals(bobAttempt));
        assertThat(events).noneMatch(ChatEvent.Connected.class::isInstance);
        assertThat(bobEvents).noneMatch(ChatEvent.Connected.class::isInstance);
    }
}
