package org.securep2p.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;
import org.securep2p.crypto.testing.SeededRandom;
import org.securep2p.relay.server.RelayConfig;
import org.securep2p.relay.server.RelayServer;

/** The client against a real {@link RelayServer} on 127.0.0.1 (PROTOCOL.md §22.3): the path a messenger takes. */
class WebSocketRelayClientTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private final SeededRandom random = new SeededRandom("relay client");
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();
    private RelayServer server;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        if (server != null) {
            server.close();
        }
    }

    private RelayServer startServer(int port) throws Exception {
        server = RelayServer.start(RelayConfig.defaults("127.0.0.1", port, dir.resolve("relay")), random);
        return server;
    }

    private RelayClient client(RelayAddress address) throws RelayException {
        RelayConnector c = RelayConnector.start(address, random, WebSocketRelayClientFaultsTest.FAST);
        closing.add(c);
        return c.open();
    }

    private static byte[] item(String text) {
        return new MailboxItem(MailboxItem.Kind.RATCHET, text.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .encode();
    }

    private static String text(RelayClient.Delivery d) throws RelayException {
        return new String(MailboxItem.decode(d.blob()).body(), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void createPostSubscribeRoundTrip() throws Exception {
        RelayAddress address = startServer(0).address();
        RelayClient client = client(address);
        Inbox inbox = Inbox.generate(address, random);
        client.create(inbox).get(10, TimeUnit.SECONDS);
        // Creating again with the same keys is OK (a retry).
        client.create(inbox).get(10, TimeUnit.SECONDS);
        long seq = client.post(inbox.capability(), item("hello"), 60).get(10, TimeUnit.SECONDS);
        assertThat(seq).isEqualTo(1);
        List<RelayClient.Delivery> got = new CopyOnWriteArrayList<>();
        client.subscribe(inbox, got::add).get(10, TimeUnit.SECONDS);
        Await.until("the stored item", WAIT, () -> got.size() == 1);
        assertThat(got.get(0).mailbox()).isEqualTo(inbox.id());
        assertThat(got.get(0).sequence()).isEqualTo(1);
        assertThat(text(got.get(0))).isEqualTo("hello");
        assertThat(client.state()).isEqualTo(RelayClient.State.CONNECTED);
    }

    @Test
    void anItemPostedByOneClientIsPushedToAnotherSubscribedOne() throws Exception {
        RelayAddress address = startServer(0).address();
        RelayClient reader = client(address);
        RelayClient writer = client(address);
        Inbox inbox = Inbox.generate(address, random);
        reader.create(inbox).get(10, TimeUnit.SECONDS);
        List<String> got = new CopyOnWriteArrayList<>();
        reader.subscribe(inbox, d -> got.add(textUnchecked(d))).get(10, TimeUnit.SECONDS);
        writer.post(inbox.capability(), item("pushed"), 60).get(10, TimeUnit.SECONDS);
        Await.until("the pushed item", WAIT, () -> got.size() == 1);
        assertThat(got).containsExactly("pushed");
    }

    @Test
    void twoHundredPostsArriveInOrder() throws Exception {
        RelayAddress address = startServer(0).address();
        RelayClient reader = client(address);
        RelayClient writer = client(address);
        Inbox inbox = Inbox.generate(address, random);
        reader.create(inbox).get(10, TimeUnit.SECONDS);
        List<Long> sequences = new CopyOnWriteArrayList<>();
        List<String> texts = new CopyOnWriteArrayList<>();
        reader.subscribe(inbox, d -> {
            sequences.add(d.sequence());
            texts.add(textUnchecked(d));
        }).get(10, TimeUnit.SECONDS);
        List<CompletableFuture<Long>> posts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            posts.add(writer.post(inbox.capability(), item("message " + i), 60));
        }
        List<Long> acked = new ArrayList<>();
        for (CompletableFuture<Long> p : posts) {
            acked.add(p.get(10, TimeUnit.SECONDS));
        }
        assertThat(acked).isSorted().doesNotHaveDuplicates().hasSize(200);
        Await.until(() -> "200 items, got " + texts.size(), WAIT, () -> texts.size() == 200);
        assertThat(sequences).isEqualTo(acked);
        for (int i = 0; i < 200; i++) {
            assertThat(texts.get(i)).isEqualTo("message " + i);
        }
    }

    @Test
    void afterARelayRestartTheClientResubscribesAndGetsWhatWasPostedMeanwhileOnce() throws Exception {
        RelayServer first = startServer(0);
        RelayAddress address = first.address();
        RelayClient reader = client(address);
        RelayClient writer = client(address);
        Inbox inbox = Inbox.generate(address, random);
        reader.create(inbox).get(10, TimeUnit.SECONDS);
        List<String> got = new CopyOnWriteArrayList<>();
        reader.subscribe(inbox, d -> got.add(textUnchecked(d))).get(10, TimeUnit.SECONDS);
        for (int i = 1; i <= 3; i++) {
            writer.post(inbox.capability(), item("before " + i), 60).get(10, TimeUnit.SECONDS);
        }
        Await.until("three items", WAIT, () -> got.size() == 3);
        reader.delete(inbox, 3).get(10, TimeUnit.SECONDS);
        List<RelayClient.State> states = new CopyOnWriteArrayList<>();
        reader.addStateListener(states::add);
        List<RelayClient.State> writerStates = new CopyOnWriteArrayList<>();
        writer.addStateListener(writerStates::add);

        first.close();
        Await.until("both see the relay gone", WAIT, () -> states.contains(RelayClient.State.CONNECTING)
                && writerStates.contains(RelayClient.State.CONNECTING));
        startServer(address.port());
        Await.until(() -> "both reconnected: " + states + " " + writerStates, WAIT,
                () -> reader.state() == RelayClient.State.CONNECTED && writer.state() == RelayClient.State.CONNECTED);
        for (int i = 1; i <= 3; i++) {
            writer.post(inbox.capability(), item("after " + i), 60).get(10, TimeUnit.SECONDS);
        }
        Await.until(() -> "six items, got " + got, WAIT, () -> got.size() >= 6);
        assertThat(got).containsExactly("before 1", "before 2", "before 3", "after 1", "after 2", "after 3");
        assertThat(states).contains(RelayClient.State.CONNECTED);

        // A new client (a restarted messenger) reads from the start: the deleted items are gone, the rest once.
        RelayClient fresh = client(address);
        List<String> again = new CopyOnWriteArrayList<>();
        fresh.subscribe(inbox, d -> again.add(textUnchecked(d))).get(10, TimeUnit.SECONDS);
        Await.until("three items", WAIT, () -> again.size() >= 3);
        assertThat(again).containsExactly("after 1", "after 2", "after 3");
        assertThat(got).hasSize(6);
    }

    @Test
    void aConnectorPinnedToAnotherKeyReportsWrongRelayKeyAndSendsNothing() throws Exception {
        RelayAddress real = startServer(0).address();
        byte[] fp = real.fingerprint();
        fp[31] ^= 0x40;
        RelayAddress wrong = new RelayAddress(real.host(), real.port(), fp);
        WebSocketRelayClient client = (WebSocketRelayClient) client(wrong);
        CompletableFuture<Void> created = client.create(Inbox.generate(wrong, random));
        assertThatThrownBy(() -> created.get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(RelayException.class, e -> {
                    assertThat(e.reason()).isEqualTo(RelayException.Reason.WRONG_RELAY_KEY);
                    assertThat(e.getMessage()).isEqualTo("the relay at 127.0.0.1:" + real.port()
                            + " presented another key than the one in its address");
                });
        Await.until("UNREACHABLE", WAIT, () -> client.state() == RelayClient.State.UNREACHABLE);
        assertThat(client.lastProblem()).isEqualTo("the relay at 127.0.0.1:" + real.port()
                + " presented another key than the one in its address");
        assertThat(client.framesSent()).isZero();
        assertThat(server.connections()).isZero();
    }

    @Test
    void anErrorReplyReachesTheFutureWithItsReason() throws Exception {
        RelayAddress address = startServer(0).address();
        RelayClient client = client(address);
        Inbox inbox = Inbox.generate(address, random);
        client.create(inbox).get(10, TimeUnit.SECONDS);
        Inbox sameIdOtherKeys = new Inbox(address, inbox.id(), SigningKey.generate(random),
                SigningKey.generate(random));
        assertThatThrownBy(() -> client.create(sameIdOtherKeys).get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(RelayException.class, e -> {
                    assertThat(e.reason()).isEqualTo(RelayException.Reason.MAILBOX_EXISTS);
                    assertThat(e.getMessage()).isNotBlank().doesNotContain(inbox.id().hex());
                });
        Inbox never = Inbox.generate(address, random);
        assertThatThrownBy(() -> client.post(never.capability(), item("x"), 60).get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.reason()).isEqualTo(RelayException.Reason.UNKNOWN_MAILBOX));
        // Neither closes the connection: the next request goes through on it.
        assertThat(client.post(inbox.capability(), item("y"), 60).get(10, TimeUnit.SECONDS)).isEqualTo(1);
    }

    private static String textUnchecked(RelayClient.Delivery d) {
        try {
            return text(d);
        } catch (RelayException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void postsFromManyThreadsAreAllAcknowledgedOnce() throws Exception {
        RelayAddress address = startServer(0).address();
        RelayClient client = client(address);
        Inbox inbox = Inbox.generate(address, random);
        client.create(inbox).get(10, TimeUnit.SECONDS);
        List<CompletableFuture<Long>> posts = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < 25; i++) {
                    posts.add(client.post(inbox.capability(), item(thread + "/" + i), 60));
                }
            });
            th.start();
            threads.add(th);
        }
        for (Thread t : threads) {
            t.join();
        }
        List<Long> sequences = new ArrayList<>();
        for (CompletableFuture<Long> p : posts) {
            sequences.add(p.get(10, TimeUnit.SECONDS));
        }
        assertThat(sequences).hasSize(200).doesNotHaveDuplicates().allMatch(s -> s >= 1 && s <= 200);
    }

    @Test
    void aRefusalThatClosesTheConnectionIsReportedAndTheClientConnectsAgain() throws Exception {
        // One request per second, a burst of three: the fourth request at once is RATE_LIMITED, which closes.
        RelayConfig d = RelayConfig.defaults("127.0.0.1", 0, dir.resolve("relay"));
        server = RelayServer.start(new RelayConfig(d.host(), d.port(), d.dataDir(), d.maxTtl(), d.mailboxMaxItems(),
                d.mailboxMaxBytes(), d.maxMailboxes(), 1, 3, d.maxConnections(), d.createPassword()), random);
        RelayAddress address = server.address();
        RelayClient client = client(address);
        Inbox inbox = Inbox.generate(address, random);
        client.create(inbox).get(10, TimeUnit.SECONDS);
        List<RelayClient.State> states = new CopyOnWriteArrayList<>();
        client.addStateListener(states::add);
        List<CompletableFuture<Long>> posts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            posts.add(client.post(inbox.capability(), item("burst " + i), 60));
        }
        List<RelayException.Reason> reasons = new ArrayList<>();
        for (CompletableFuture<Long> p : posts) {
            try {
                p.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                reasons.add(((RelayException) e.getCause()).reason());
            }
        }
        assertThat(reasons).contains(RelayException.Reason.RATE_LIMITED);
        // The relay closed the connection; the client makes a new one by itself, where the bucket is full again.
        Await.until(() -> "dropped and connected again, states " + states, WAIT,
                () -> states.contains(RelayClient.State.CONNECTING)
                        && states.get(states.size() - 1) == RelayClient.State.CONNECTED);
        assertThat(client.post(inbox.capability(), item("after"), 60).get(10, TimeUnit.SECONDS)).isPositive();
    }

    @Test
    void aConnectorWithTheRelaysCreationPasswordCreatesInboxesAndOneWithoutIsRefused() throws Exception {
        RelayConfig d = RelayConfig.defaults("127.0.0.1", 0, dir.resolve("relay"));
        byte[] password = "open sesame".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        server = RelayServer.start(new RelayConfig(d.host(), d.port(), d.dataDir(), d.maxTtl(), d.mailboxMaxItems(),
                d.mailboxMaxBytes(), d.maxMailboxes(), d.requestsPerSecond(), d.requestBurst(), d.maxConnections(),
                Optional.of(password.clone())), random);
        RelayAddress address = server.address();

        RelayConnector without = RelayConnector.start(address, random, WebSocketRelayClientFaultsTest.FAST);
        closing.add(without);
        Inbox refused = Inbox.generate(address, random);
        assertThatThrownBy(() -> without.open().create(refused).get(10, TimeUnit.SECONDS))
                .cause().isInstanceOf(RelayException.class)
                .satisfies(e -> assertThat(((RelayException) e).reason())
                        .isEqualTo(RelayException.Reason.NOT_ALLOWED));

        RelayConnector wrong = RelayConnector.start(address, random, WebSocketRelayClientFaultsTest.FAST,
                Optional.of("open sesame!".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        closing.add(wrong);
        assertThatThrownBy(() -> wrong.open().create(refused).get(10, TimeUnit.SECONDS))
                .cause().isInstanceOf(RelayException.class)
                .satisfies(e -> assertThat(((RelayException) e).reason())
                        .isEqualTo(RelayException.Reason.NOT_ALLOWED));

        byte[] given = password.clone();
        RelayConnector with = RelayConnector.start(address, random, WebSocketRelayClientFaultsTest.FAST,
                Optional.of(given));
        closing.add(with);
        java.util.Arrays.fill(given, (byte) 0); // the connector keeps its own copy
        RelayClient client = with.open();
        Inbox inbox = Inbox.generate(address, random);
        client.create(inbox).get(10, TimeUnit.SECONDS);
        assertThat(client.post(inbox.capability(), item("through a closed relay"), 60).get(10, TimeUnit.SECONDS))
                .isEqualTo(1);
    }
}
