package org.securep2p.relay.server;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.MutableClock;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayException.Reason;
import org.securep2p.relay.RelayFrame;
import org.securep2p.relay.SigningKey;

import static org.assertj.core.api.Assertions.assertThat;

class RelayServerTest {

    @TempDir
    Path data;

    final SecureRandom random = new SecureRandom();
    final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T12:00:00Z"));
    RelayServer relay;

    RelayConfig config(int maxItems, long maxBytes, int maxMailboxes, int burst, int maxConnections,
            Optional<byte[]> password) {
        return new RelayConfig("127.0.0.1", 0, data, Duration.ofDays(21), maxItems, maxBytes, maxMailboxes, 1000,
                burst, maxConnections, password);
    }

    RelayServer start(RelayConfig c) throws Exception {
        relay = RelayServer.start(c, random, clock);
        return relay;
    }

    RelayServer startDefault() throws Exception {
        return start(config(100, 1 << 22, 100, 1000, 10, Optional.empty()));
    }

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    record Box(MailboxId id, SigningKey receive, SigningKey send) {
    }

    Box newBox() {
        return new Box(MailboxId.random(random), SigningKey.generate(random), SigningKey.generate(random));
    }

    static byte[] blob(int size, int fill) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    static void assertOk(RelayFrame f, long value) {
        assertThat(f).isInstanceOf(RelayFrame.Ok.class);
        assertThat(((RelayFrame.Ok) f).value()).isEqualTo(value);
    }

    static void assertError(RelayFrame f, Reason reason) {
        assertThat(f).isInstanceOfSatisfying(RelayFrame.Error.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    static RelayFrame.Deliver assertDeliver(RelayFrame f, long sequence) {
        assertThat(f).isInstanceOf(RelayFrame.Deliver.class);
        RelayFrame.Deliver d = (RelayFrame.Deliver) f;
        assertThat(d.sequence()).isEqualTo(sequence);
        return d;
    }

    @Test
    void createPostSubscribeDeliverDeleteAndPing() throws Exception {
        startDefault();
        Box box = newBox();
        try (RawRelayClient owner = RawRelayClient.connect(relay.address());
                RawRelayClient contact = RawRelayClient.connect(relay.address())) {
            assertOk(owner.create(box.id(), box.receive(), box.send(), new byte[0]), 0);
            assertOk(contact.post(box.id(), box.send(), 3600, blob(1024, 1)), 1);
            assertOk(contact.post(box.id(), box.send(), 3600, blob(1024, 2)), 2);
            assertOk(owner.subscribe(box.id(), box.receive(), 0), 0);
            RelayFrame.Deliver first = assertDeliver(owner.next(), 1);
            assertThat(first.blob()).isEqualTo(blob(1024, 1));
            assertThat(first.postedMillis()).isEqualTo(clock.millis());
            assertDeliver(owner.next(), 2);
            assertOk(contact.post(box.id(), box.send(), 3600, blob(1024, 3)), 3);
            assertThat(assertDeliver(owner.next(), 3).blob()).isEqualTo(blob(1024, 3));
            assertOk(owner.delete(box.id(), box.receive(), 2), 0);
            owner.send(new RelayFrame.Ping(owner.nextId()));
            assertOk(owner.next(), 0);
            assertThat(relay.connections()).isEqualTo(2);
        }
        try (RawRelayClient again = RawRelayClient.connect(relay.address())) {
            assertOk(again.subscribe(box.id(), box.receive(), 0), 0);
            assertDeliver(again.next(), 3); // 1 and 2 were deleted
        }
    }
}
