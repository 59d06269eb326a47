package org.securep2p.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;
import org.securep2p.crypto.testing.SeededRandom;

/**
 * The client against a relay that misbehaves on purpose ({@link FakeRelay}) or is not there: pinning, timeouts, a
 * silent relay, an unreachable one, and requests made before the connection is up.
 */
class WebSocketRelayClientFaultsTest {

    static final RelayConnector.Timeouts FAST = new RelayConnector.Timeouts(Duration.ofSeconds(2),
            Duration.ofSeconds(20), Duration.ofMillis(50), Duration.ofMillis(400));

    @TempDir
    Path dir;
    private final SeededRandom random = new SeededRandom("client faults");
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private FakeRelay relay() throws Exception {
        FakeRelay r = new FakeRelay(dir.resolve("relay"), random, 0);
        closing.add(r);
        return r;
    }

    private RelayClient client(RelayAddress address) throws RelayException {
        RelayConnector c = RelayConnector.start(address, random, FAST);
        closing.add(c);
        return c.open();
    }

    @Test
    void aRequestMadeWhileConnectingWaitsForTheConnection() throws Exception {
        FakeRelay relay = relay();
        RelayClient client = client(relay.address());
        Inbox inbox = Inbox.generate(relay.address(), random);
        // Made at once, before the challenge can have come.
        CompletableFuture<Void> created = client.create(inbox);
        created.get(5, TimeUnit.SECONDS);
        assertThat(client.state()).isEqualTo(RelayClient.State.CONNECTED);
        assertThat(relay.requests).hasSize(1).first().isInstanceOf(RelayFrame.Create.class);
    }

    @Test
    void aWrongRelayKeyIsReportedAndNoRequestIsSent() throws Exception {
        FakeRelay relay = relay();
        byte[] other = relay.address().fingerprint();
        other[0] ^= 1;
        RelayAddress wrong = new RelayAddress("127.0.0.1", relay.port(), other);
        RelayConnector connector = RelayConnector.start(wrong, random, FAST);
        closing.add(connector);
        WebSocketRelayClient client = (WebSocketRelayClient) connector.open();
        List<RelayClient.State> states = new CopyOnWriteArrayList<>();
        client.addStateListener(states::add);
        CompletableFuture<Void> created = client.create(Inbox.generate(wrong, random));
        assertThatThrownBy(() -> created.get(5, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(RelayException.class, e -> {
                    assertThat(e.reason()).isEqualTo(RelayException.Reason.WRONG_RELAY_KEY);
                    assertThat(e.getMessage()).isEqualTo("the relay at 127.0.0.1:" + relay.port()
                            + " presented another key than the one in its address");
                });
        Await.until("UNREACHABLE", Duration.ofSeconds(5), () -> states.contains(RelayClient.State.UNREACHABLE));
        assertThat(client.lastProblem()).contains("presented another key");
        assertThat(client.framesSent()).isZero();
        assertThat(relay.requests).isEmpty();
        // And a request made while it is known to be the wrong key fails at once with that reason.
        assertThatThrownBy(() -> client.create(Inbox.generate(wrong, random)).get(5, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.reason()).isEqualTo(RelayException.Reason.WRONG_RELAY_KEY));
    }

    @Test
    void anUnreachableRelayIsSaidInASentenceAndRequestsFail() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        RelayAddress nowhere = new RelayAddress("127.0.0.1", port, new byte[32]);
        RelayClient client = client(nowhere);
        CompletableFuture<Long> posted = client.post(Inbox.generate(nowhere, random).capability(), new byte[1024],
                60);
        assertThatThrownBy(() -> posted.get(5, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.reason()).isEqualTo(RelayException.Reason.UNREACHABLE));
        Await.until("UNREACHABLE", Duration.ofSeconds(5), () -> client.state() == RelayClient.State.UNREACHABLE);
        assertThat(client.lastProblem()).startsWith("cannot reach the relay at 127.0.0.1:" + port + ": ");
    }

    @Test
    void aSilentRelayTimesOutAndTheClientConnectsAgain() throws Exception {
        FakeRelay relay = relay();
        relay.mode = FakeRelay.Mode.SILENT;
        RelayClient client = client(relay.address());
        long start = System.nanoTime();
        CompletableFuture<Void> created = client.create(Inbox.generate(relay.address(), random));
        assertThatThrownBy(() -> created.get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.reason()).isEqualTo(RelayException.Reason.TIMEOUT));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(FAST.request());
        // The timed-out connection is treated as dead: a new one is made, and works once the relay answers.
        relay.mode = FakeRelay.Mode.NORMAL;
        Await.until("a second connection", Duration.ofSeconds(5), () -> relay.connections.get() >= 2);
        Await.until("CONNECTED", Duration.ofSeconds(5), () -> client.state() == RelayClient.State.CONNECTED);
        client.create(Inbox.generate(relay.address(), random)).get(5, TimeUnit.SECONDS);
    }

    @Test
    void aRelayThatNeverChallengesIsUnreachable() throws Exception {
        FakeRelay relay = relay();
        relay.mode = FakeRelay.Mode.NO_CHALLENGE;
        RelayClient client = client(relay.address());
        Await.until("UNREACHABLE", Duration.ofSeconds(6), () -> client.state() == RelayClient.State.UNREACHABLE);
        assertThat(client.lastProblem()).contains("it sent no challenge");
    }

    @Test
    void anErrorReplyReachesTheFutureWithItsReason() throws Exception {
        FakeRelay relay = relay();
        RelayClient client = client(relay.address());
        Inbox never = Inbox.generate(relay.address(), random);
        CompletableFuture<Long> posted = client.post(never.capability(), new byte[1024], 60);
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> posted.get(5, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOfSatisfying(RelayException.class, re -> {
            assertThat(re.reason()).isEqualTo(RelayException.Reason.UNKNOWN_MAILBOX);
            assertThat(re.getMessage()).isEqualTo("No such mailbox.");
        });
        // An answer that does not close the connection leaves it up.
        assertThat(client.state()).isEqualTo(RelayClient.State.CONNECTED);
    }

    @Test
    void afterADropTheClientResubscribesFromTheLastDeliveredItem() throws Exception {
        FakeRelay relay = relay();
        RelayClient reader = client(relay.address());
        RelayClient writer = client(relay.address());
        Inbox inbox = Inbox.generate(relay.address(), random);
        reader.create(inbox).get(5, TimeUnit.SECONDS);
        List<Long> got = new CopyOnWriteArrayList<>();
        reader.subscribe(inbox, d -> got.add(d.sequence())).get(5, TimeUnit.SECONDS);
        writer.post(inbox.capability(), new byte[1024], 60).get(5, TimeUnit.SECONDS);
        Await.until("item 1", Duration.ofSeconds(5), () -> got.size() == 1);
        List<RelayClient.State> states = new CopyOnWriteArrayList<>();
        reader.addStateListener(states::add);
        relay.dropAll();
        // Four connections: both clients dialled again, so neither is still on a dropped one.
        Await.until("reconnected", Duration.ofSeconds(5), () -> relay.connections.get() >= 4
                && states.contains(RelayClient.State.CONNECTING) && reader.state() == RelayClient.State.CONNECTED
                && writer.state() == RelayClient.State.CONNECTED);
        writer.post(inbox.capability(), new byte[1024], 60).get(5, TimeUnit.SECONDS);
        Await.until("item 2", Duration.ofSeconds(5), () -> got.size() >= 2);
        assertThat(got).containsExactly(1L, 2L);
        List<RelayFrame.Subscribe> subs = relay.requests.stream().filter(RelayFrame.Subscribe.class::isInstance)
                .map(RelayFrame.Subscribe.class::cast).toList();
        assertThat(subs).extracting(RelayFrame.Subscribe::after).containsExactly(0L, 1L);
    }

    @Test
    void anIdleConnectionIsPingedAndDroppedWhenThePingGoesUnanswered() throws Exception {
        FakeRelay relay = relay();
        RelayConnector connector = RelayConnector.start(relay.address(), random, new RelayConnector.Timeouts(
                Duration.ofMillis(800), Duration.ofMillis(150), Duration.ofMillis(50), Duration.ofMillis(200)));
        closing.add(connector);
        RelayClient client = connector.open();
        Await.until("two pings", Duration.ofSeconds(5),
                () -> relay.requests.stream().filter(RelayFrame.Ping.class::isInstance).count() >= 2);
        assertThat(client.state()).isEqualTo(RelayClient.State.CONNECTED);
        assertThat(relay.connections.get()).isEqualTo(1);
        relay.mode = FakeRelay.Mode.SILENT;
        Await.until("a new connection after the unanswered ping", Duration.ofSeconds(5),
                () -> relay.connections.get() >= 2);
    }

    @Test
    void closeFailsWhatWaitsAndEndsInClosed() throws Exception {
        FakeRelay relay = relay();
        relay.mode = FakeRelay.Mode.SILENT;
        RelayClient client = client(relay.address());
        List<RelayClient.State> states = new CopyOnWriteArrayList<>();
        client.addStateListener(states::add);
        CompletableFuture<Void> created = client.create(Inbox.generate(relay.address(), random));
        Await.until("the request sent", Duration.ofSeconds(5), () -> !relay.requests.isEmpty());
        client.close();
        assertThatThrownBy(() -> created.get(1, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.reason()).isEqualTo(RelayException.Reason.UNREACHABLE));
        Await.until("CLOSED", Duration.ofSeconds(5), () -> client.state() == RelayClient.State.CLOSED);
        assertThat(states).endsWith(RelayClient.State.CLOSED);
        assertThatThrownBy(() -> client.create(Inbox.generate(relay.address(), random)).get(1, TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.reason()).isEqualTo(RelayException.Reason.UNREACHABLE));
    }

    @Test
    void aRelayThatDeliversAgainAfterAReconnectCausesNoDuplicate() throws Exception {
        FakeRelay relay = relay();
        relay.ignoreAfter = true;
        RelayClient client = client(relay.address());
        Inbox inbox = Inbox.generate(relay.address(), random);
        client.create(inbox).get(5, TimeUnit.SECONDS);
        client.post(inbox.capability(), new byte[1024], 60).get(5, TimeUnit.SECONDS);
        client.post(inbox.capability(), new byte[1024], 60).get(5, TimeUnit.SECONDS);
        List<Long> got = new CopyOnWriteArrayList<>();
        client.subscribe(inbox, d -> got.add(d.sequence())).get(5, TimeUnit.SECONDS);
        Await.until("two items", Duration.ofSeconds(5), () -> got.size() == 2);
        relay.dropAll();
        Await.until("a second connection", Duration.ofSeconds(5), () -> relay.connections.get() >= 2);
        Await.until("CONNECTED", Duration.ofSeconds(5), () -> client.state() == RelayClient.State.CONNECTED);
        client.post(inbox.capability(), new byte[1024], 60).get(5, TimeUnit.SECONDS);
        Await.until("the third item", Duration.ofSeconds(5), () -> got.size() >= 3);
        assertThat(got).containsExactly(1L, 2L, 3L);
    }

    @Test
    void closingTheConnectorClosesItsClientsAndLaterRequestsFail() throws Exception {
        FakeRelay relay = relay();
        RelayConnector connector = RelayConnector.start(relay.address(), random, FAST);
        RelayClient client = connector.open();
        client.create(Inbox.generate(relay.address(), random)).get(5, TimeUnit.SECONDS);
        connector.close();
        assertThat(client.state()).isEqualTo(RelayClient.State.CLOSED);
        assertThatThrownBy(() -> client.create(Inbox.generate(relay.address(), random)).get(1, TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.reason()).isEqualTo(RelayException.Reason.UNREACHABLE));
        assertThatThrownBy(connector::open).isInstanceOf(IllegalStateException.class);
        client.close();
    }

    @Test
    void anItemOverTheRelaysLimitIsRefusedWithoutBeingSent() throws Exception {
        FakeRelay relay = relay();
        relay.maxBlob = 1024;
        RelayClient client = client(relay.address());
        Inbox inbox = Inbox.generate(relay.address(), random);
        client.create(inbox).get(5, TimeUnit.SECONDS);
        assertThatThrownBy(() -> client.post(inbox.capability(), new byte[4096], 60).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(RelayException.class, e -> {
                    assertThat(e.reason()).isEqualTo(RelayException.Reason.TOO_LARGE);
                    assertThat(e.getMessage()).contains("1024 bytes");
                });
        assertThat(relay.requests).noneMatch(RelayFrame.Post.class::isInstance);
        assertThat(client.post(inbox.capability(), new byte[1024], 60).get(5, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(relay.connections.get()).isEqualTo(1);
    }
}
