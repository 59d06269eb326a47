package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.Await;
import org.securep2p.ratchet.SessionRecord;

class ChatSessionTest {

    private final SecureRandom random = new SecureRandom();
    private final Clock clock = Clock.systemUTC();
    @TempDir
    Path dir;
    private InMemoryPrivateKeys alice;
    private InMemoryPrivateKeys bob;
    private Side a;
    private Side b;
    private final List<ChatSession> opened = new CopyOnWriteArrayList<>();

    /** One participant: keys, store, events. */
    final class Side implements ChatSession.Conversations {
        final InMemoryPrivateKeys keys;
        final ConversationStore store;
        final List<ChatEvent> events = new CopyOnWriteArrayList<>();
        final String name;
        final byte[] k = new byte[32];
        /** False: a history with retention off, whose "stored first" is always true. */
        volatile boolean remembers = true;
        /** For each message shown: the texts a restarted process would still find unshown in the file then. */
        final List<List<String>> onDiskWhenShown = new CopyOnWriteArrayList<>();

        Side(InMemoryPrivateKeys keys, String name) throws Exception {
            this.keys = keys;
            this.name = name;
            random.nextBytes(k);
            this.store = new ConversationStore(dir.resolve(name), SecretBytes.copyOf(k), random, clock);
        }

        @Override
        public Optional<Conversation> find(Fingerprint peer) throws AppException {
            return store.load(peer);
        }

        @Override
        public Conversation create(Fingerprint peer, String name, byte[] sessionId, SessionRecord record)
                throws AppException {
            return store.create(peer, name, sessionId, record);
        }

        /** The ids the "history" already holds: received again, they are acknowledged but not shown. */
        final java.util.Set<String> kept = java.util.concurrent.ConcurrentHashMap.newKeySet();
        /** When set, keeping a received message fails (a history that cannot store it). */
        volatile boolean keepingFails;

        @Override
        public boolean received(Fingerprint peer, Conversation.Inbound message) throws AppException {
            if (keepingFails) {
                throw new AppException(AppException.Reason.STORAGE_FAILED, "the history is full");
            }
            return kept.add(message.id()) || !remembers;
        }

        @Override
        public boolean remembersReceived() {
            return remembers;
        }

        void onEvent(ChatEvent e) {
            if (e instanceof ChatEvent.MessageReceived m) {
                // As if the process died right after this message was shown: what would it show again?
                try (ConversationStore fresh = new ConversationStore(dir.resolve(name), SecretBytes.copyOf(k),
                        random, clock)) {
                    onDiskWhenShown.add(fresh.load(Fingerprint.parse(m.peer())).orElseThrow().unshown().stream()
                            .map(Conversation.Inbound::text).toList());
                } catch (Exception x) {
                    throw new IllegalStateException(x);
                }
            }
            events.add(e);
        }

        ChatSession session(ChatChannel ch, boolean dialer, SecurityLevel floor, String user) {
            return track(new ChatSession(ch, dialer, dialer, floor, user, keys, this,
                    (peer, name, address, code, certified) -> code ? ChatEvent.TrustMode.CODE_VERIFIED
                            : ChatEvent.TrustMode.TRUST_ON_FIRST_USE,
                    this::onEvent, random, clock, System.nanoTime()));
        }

        ChatSession session(ChatChannel ch, boolean dialer, SecurityLevel floor, String user,
                ChatSession.TrustGate gate, Duration setupDeadline) {
            return track(new ChatSession(ch, dialer, dialer, floor, user, keys, this, gate, this::onEvent, random, clock,
                    System.nanoTime(), setupDeadline, "a1"));
        }

        long count(Class<?> type) {
            return events.stream().filter(type::isInstance).count();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        alice = InMemoryPrivateKeys.generate(random, clock, 4, 4);
        bob = InMemoryPrivateKeys.generate(random, clock, 4, 4);
        a = new Side(alice, "a");
        b = new Side(bob, "b");
    }

    private ChatSession track(ChatSession s) {
        opened.add(s);
        return s;
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        opened.forEach(ChatSession::close);
        // The reader threads end with their channels; give a write in flight time to finish before @TempDir goes.
        Thread.sleep(100); // see above: a write in flight has no event for its end
        alice.close();
        bob.close();
    }

    private ChatSession[] connect(SecurityLevel level) throws Exception {
        byte[] binding = new byte[32];
        random.nextBytes(binding);
        MemoryChannels ch = new MemoryChannels(alice.identity(), bob.identity(), level, binding);
        ChatSession sa = a.session(ch.a, true, level, "alice");
        ChatSession sb = b.session(ch.b, false, level, "bob");
        CompletableFuture<ChatEvent.Connected> fb = CompletableFuture.supplyAsync(() -> {
            try {
                return sb.establish();
            } catch (AppException e) {
                throw new RuntimeException(e);
            }
        });
        ChatEvent.Connected ca = sa.establish();
        ChatEvent.Connected cb = fb.get(30, TimeUnit.SECONDS);
        assertThat(ca.safetyNumber()).isEqualTo(cb.safetyNumber());
        return new ChatSession[] {sa, sb};
    }

    private static boolean delivered(Side side, String id) {
        return side.events.stream().anyMatch(e -> e instanceof ChatEvent.Delivered d && d.id().equals(id));
    }

    @Test
    void messagesAreDeliveredAndAcknowledgedAtEveryLevel() throws Exception {
        for (SecurityLevel level : SecurityLevel.values()) {
            setUp();
            ChatSession[] s = connect(level);
            String id1 = s[0].send("hello bob");
            String id2 = s[1].send("hello alice");
            await(() -> b.count(ChatEvent.MessageReceived.class) == 1 && a.count(ChatEvent.MessageReceived.class) == 1);
            await(() -> delivered(a, id1) && delivered(b, id2));
            assertThat(received(b)).containsExactly("hello bob");
            assertThat(received(a)).containsExactly("hello alice");
            assertThat(s[0].conversation().pending()).isEmpty();
            s[0].close();
            s[1].close();
        }
    }

    @Test
    void aReceivedMessageIsShownOnlyWhenItsKeeperStoredItFirst() throws Exception {
        ChatSession[] s = connect(SecurityLevel.STANDARD);
        String first = s[0].send("one");
        await(() -> received(b).contains("one"));
        // The same id kept already (a run before a crash stored it): acknowledged, not shown again.
        byte[] id = new byte[ChatPayload.ID_LENGTH];
        random.nextBytes(id);
        b.kept.add(java.util.HexFormat.of().formatHex(id));
        String second = s[0].send("two", id);
        String third = s[0].send("three");
        await(() -> received(b).contains("three"));
        await(() -> delivered(a, second) && delivered(a, third));
        assertThat(received(b)).containsExactly("one", "three");
        assertThat(b.kept).contains(first, second, third);
    }

    @Test
    void withAHistoryThatKeepsNothingAShownMessageHasLeftTheConversationFileBeforeItIsShown() throws Exception {
        b.remembers = false;
        ChatSession[] s = connect(SecurityLevel.STANDARD);
        s[0].send("one");
        s[0].send("two");
        await(() -> received(b).contains("two"));
        // A crash just after showing a message would not show it again after the restart (retention off keeps no
        // id to recognise it by).
        assertThat(b.onDiskWhenShown).hasSize(2).allSatisfy(texts -> assertThat(texts).isEmpty());
    }

    @Test
    void aResumeThatCannotKeepTheWaitingMessageFailsInsteadOfShowingLaterOnesFirst() throws Exception {
        ChatSession[] s = connect(SecurityLevel.STANDARD);
        b.keepingFails = true;
        s[0].send("waiting");
        await(() -> !s[1].isLive());
        s[0].close();
        // Still failing at the next connection: the set-up ends; nothing is shown, the message stays offered.
        assertThatThrownBy(() -> connect(SecurityLevel.STANDARD)).isInstanceOf(Exception.class);
        assertThat(received(b)).isEmpty();
        assertThat(b.store.load(alice.identity().fingerprint()).orElseThrow().unshown())
                .extracting(Conversation.Inbound::text).containsExactly("waiting");
        b.keepingFails = false;
        connect(SecurityLevel.STANDARD);
        await(() -> received(b).contains("waiting"));
    }

    @Test
    void aReceivedMessageThatCannotBeKeptStaysInTheConversationForTheNextConnection() throws Exception {
        ChatSession[] s = connect(SecurityLevel.STANDARD);
        b.keepingFails = true;
        s[0].send("kept for later");
        await(() -> !s[1].isLive());
        assertThat(received(b)).isEmpty();
        assertThat(b.store.load(alice.identity().fingerprint()).orElseThrow().unshown())
                .extracting(Conversation.Inbound::text).containsExactly("kept for later");
        s[0].close();
        b.keepingFails = false;
        connect(SecurityLevel.STANDARD);
        await(() -> received(b).contains("kept for later"));
        assertThat(received(b)).containsExactly("kept for later");
    }

    @Test
    void reconnectResumesWithoutHandshakeAndResendsUnacknowledged() throws Exception {
        ChatSession[] s = connect(SecurityLevel.QUANTUM_RESISTANT);
        String sid = s[0].conversation().sessionIdHex();
        s[1].close();
        s[0].close();
        // Queued while offline: encrypted and stored, not sent.
        Conversation offline = a.store.load(bob.identity().fingerprint()).orElseThrow();
        offline.encryptText("while you were away");
        ChatSession[] again = connect(SecurityLevel.QUANTUM_RESISTANT);
        assertThat(again[0].conversation().sessionIdHex()).isEqualTo(sid);
        assertThat(a.events).anyMatch(e -> e instanceof ChatEvent.Progress p && p.stage() == ChatEvent.Stage.RESUME);
        await(() -> received(b).contains("while you were away"));
        await(() -> again[0].conversation().pending().isEmpty());
        assertThat(received(b)).containsExactly("while you were away");
    }

    @Test
    void refusesConnectionBelowLocalFloor() throws Exception {
        byte[] binding = new byte[32];
        MemoryChannels ch = new MemoryChannels(alice.identity(), bob.identity(), SecurityLevel.STANDARD, binding);
        ChatSession sb = b.session(ch.b, false, SecurityLevel.QUANTUM_RESISTANT, "bob");
        CompletableFuture<Void> fb = CompletableFuture.runAsync(() -> {
            try {
                sb.establish();
            } catch (AppException e) {
                throw new RuntimeException(e);
            }
        });
        ChatSession sa = a.session(ch.a, true, SecurityLevel.STANDARD, "alice");
        assertThatThrownBy(sa::establish).isInstanceOf(AppException.class)
                .satisfies(e -> assertThat(((AppException) e).reason()).isEqualTo(AppException.Reason.DOWNGRADE));
        assertThatThrownBy(() -> fb.get(10, TimeUnit.SECONDS)).hasRootCauseInstanceOf(AppException.class);
    }

    @Test
    void rewrittenFloorInHelloIsDetectedByTheBinding() throws Exception {
        byte[] binding = new byte[32];
        SecurityLevel level = SecurityLevel.ENHANCED;
        MemoryChannels ch = new MemoryChannels(alice.identity(), bob.identity(), level, binding);
        // An on-path rewrite of Alice's HELLO floor (as if TLS did not protect it): Bob sees a lower floor.
        ch.a.tamperOutgoing = m -> {
            if (m.length > 2 && m[1] == 1) {
                m[2] = (byte) SecurityLevel.STANDARD.code();
            }
            return m;
        };
        ChatSession sa = a.session(ch.a, true, level, "alice");
        ChatSession sb = b.session(ch.b, false, SecurityLevel.STANDARD, "bob");
        CompletableFuture<Void> fb = CompletableFuture.runAsync(() -> {
            try {
                sb.establish();
            } catch (AppException e) {
                throw new RuntimeException(e);
            }
        });
        assertThatThrownBy(sa::establish).isInstanceOf(AppException.class);
        assertThatThrownBy(() -> fb.get(10, TimeUnit.SECONDS)).hasRootCauseInstanceOf(AppException.class)
                .rootCause().hasMessageContaining("altered");
    }

    @Test
    void replayedAndTruncatedTrafficIsRejectedAndSessionStaysIntact() throws Exception {
        byte[] binding = new byte[32];
        SecurityLevel level = SecurityLevel.QUANTUM_RESISTANT;
        MemoryChannels ch = new MemoryChannels(alice.identity(), bob.identity(), level, binding);
        List<byte[]> recorded = new ArrayList<>();
        ch.a.tamperOutgoing = m -> {
            recorded.add(m.clone());
            return m;
        };
        ChatSession sa = a.session(ch.a, true, level, "alice");
        ChatSession sb = b.session(ch.b, false, level, "bob");
        CompletableFuture<ChatEvent.Connected> fb = CompletableFuture.supplyAsync(() -> {
            try {
                return sb.establish();
            } catch (AppException e) {
                throw new RuntimeException(e);
            }
        });
        sa.establish();
        fb.get(30, TimeUnit.SECONDS);
        sa.send("one");
        await(() -> received(b).size() == 1);
        byte[] last = recorded.get(recorded.size() - 1);
        ch.a.inject(last);                                          // replay
        ch.a.inject(java.util.Arrays.copyOf(last, last.length - 7)); // truncated
        byte[] flipped = last.clone();
        flipped[flipped.length - 1] ^= 1;
        ch.a.inject(flipped);                                       // altered
        sa.send("two");
        await(() -> received(b).size() == 2);
        assertThat(received(b)).containsExactly("one", "two");
    }

    @Test
    void wrongPeerBundleIsRefused() throws Exception {
        try (InMemoryPrivateKeys mallory = InMemoryPrivateKeys.generate(random, clock, 1, 1)) {
            byte[] binding = new byte[32];
            SecurityLevel level = SecurityLevel.ENHANCED;
            // TLS says Bob, but the bundle comes from Mallory's key holder.
            MemoryChannels ch = new MemoryChannels(alice.identity(), bob.identity(), level, binding);
            Side m = new Side(mallory, "m");
            ChatSession sm = m.session(ch.b, false, level, "bob");
            // Only Alice's refusal is the test; Mallory's side may end either way.
            var unused = CompletableFuture.runAsync(() -> {
                try {
                    sm.establish();
                } catch (AppException e) {
                    throw new RuntimeException(e);
                }
            });
            ChatSession sa = a.session(ch.a, true, level, "alice");
            assertThatThrownBy(sa::establish).isInstanceOf(AppException.class)
                    .satisfies(e -> assertThat(((AppException) e).reason())
                            .isEqualTo(AppException.Reason.IDENTITY_MISMATCH));
        }
    }

    private CompletableFuture<ChatEvent.Connected> establishAsync(ChatSession s) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return s.establish();
            } catch (AppException e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static AppException setUpFailure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause().getCause() instanceof AppException a) {
                return a;
            }
            throw e;
        }
        throw new AssertionError("the set-up succeeded");
    }

    @Test
    void helloNamesThatCouldPassForAnotherAreRefusedAsAProtocolError() throws Exception {
        for (String name : List.of("a\u202Eb", "bob\u200B")) {
            MemoryChannels ch = new MemoryChannels(alice.identity(), bob.identity(), SecurityLevel.STANDARD,
                    new byte[32]);
            ChatSession sb = b.session(ch.b, false, SecurityLevel.STANDARD, "bob");
            CompletableFuture<ChatEvent.Connected> fb = establishAsync(sb);
            ch.a.send(ChatFrameTest.rawHello(name));
            AppException refused = setUpFailure(fb);
            assertThat(refused.reason()).isEqualTo(AppException.Reason.PROTOCOL);
            // The peer is told why: our HELLO, then CLOSE(PROTOCOL).
            assertThat(ChatFrame.decode(ch.a.receive()).type()).isEqualTo(ChatFrame.Type.HELLO);
            ChatFrame close = ChatFrame.decode(ch.a.receive());
            assertThat(close.closeReason()).isEqualTo(ChatFrame.CloseReason.PROTOCOL);
        }
    }

    @Test
    void aPeerThatStaysSilentAfterTlsIsDroppedAtTheSetUpDeadline() throws Exception {
        MemoryChannels ch = new MemoryChannels(alice.identity(), bob.identity(), SecurityLevel.STANDARD, new byte[32]);
        ChatSession sb = b.session(ch.b, false, SecurityLevel.STANDARD, "bob",
                (peer, name, address, code, certified) -> ChatEvent.TrustMode.TRUST_ON_FIRST_USE,
                Duration.ofMillis(300));
        long start = System.nanoTime();
        AppException dropped = setUpFailure(establishAsync(sb));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(dropped.reason()).isEqualTo(AppException.Reason.UNREACHABLE);
        assertThat(dropped.getMessage()).contains("did not complete the set-up within 300 ms");
    }

    @Test
    void theUsersTrustDecisionDoesNotCountAgainstTheSetUpDeadline() throws Exception {
        SecurityLevel level = SecurityLevel.ENHANCED;
        MemoryChannels ch = new MemoryChannels(alice.identity(), bob.identity(), level, new byte[32]);
        ChatSession.TrustGate slowUser = (peer, name, address, code, certified) -> {
            try {
                Thread.sleep(1500); // time is the test: a user slower than the 300 ms set-up deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ChatEvent.TrustMode.KNOWN;
        };
        ChatSession sb = b.session(ch.b, false, level, "bob", slowUser, Duration.ofSeconds(1));
        CompletableFuture<ChatEvent.Connected> fb = establishAsync(sb);
        ChatSession sa = a.session(ch.a, true, level, "alice");
        sa.establish();
        assertThat(fb.get(20, TimeUnit.SECONDS).name()).isEqualTo("alice");
    }

    @Test
    void aPeersCloseDetailIsEscapedBeforeItReachesTheUserOrALog() throws Exception {
        MemoryChannels ch = new MemoryChannels(alice.identity(), bob.identity(), SecurityLevel.STANDARD, new byte[32]);
        ChatSession sb = b.session(ch.b, false, SecurityLevel.STANDARD, "bob");
        CompletableFuture<ChatEvent.Connected> fb = establishAsync(sb);
        ch.a.send(ChatFrame.hello(SecurityLevel.STANDARD, "alice", Optional.empty()).encode());
        ch.a.send(ChatFrame.close(ChatFrame.CloseReason.PROTOCOL,
                "x\n12:00:00 INFO new peer trusted\u2028\u202Eevil").encode());
        AppException refused = setUpFailure(fb);
        assertThat(refused.getMessage()).doesNotContain("\n", "\u2028", "\u202E")
                .contains("x\\u000A12:00:00 INFO new peer trusted\\u2028\\u202Eevil");
    }

    private static List<String> received(Side s) {
        List<String> out = new ArrayList<>();
        for (ChatEvent e : s.events) {
            if (e instanceof ChatEvent.MessageReceived m) {
                out.add(m.text());
            }
        }
        return out;
    }

    private static void await(BooleanSupplier condition) {
        Await.until("the condition", Duration.ofSeconds(20), condition);
    }
}
