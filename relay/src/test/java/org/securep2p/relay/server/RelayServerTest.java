package org.securep2p.relay.server;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;
import org.securep2p.crypto.testing.MutableClock;
import org.securep2p.relay.PinnedTrust;
import org.securep2p.relay.PinnedTrustAccess;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.RelayTlsProfile;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayException.Reason;
import org.securep2p.relay.RelayFrame;
import org.securep2p.relay.SigningKey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

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

    List<MailboxStore.Item> stored(Box box) throws Exception {
        return relay.store().itemsAfter(box.id(), 0, clock.instant(), 1000);
    }

    Box created(RawRelayClient c) throws Exception {
        Box box = newBox();
        assertOk(c.create(box.id(), box.receive(), box.send(), new byte[0]), 0);
        return box;
    }

    static void assertClosedWith(RawRelayClient c, int code) throws Exception {
        assertThat(c.closeCode()).isEqualTo(code);
    }

    @Test
    void refusesAFrameThatDoesNotParseAndCloses() throws Exception {
        startDefault();
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = created(c);
            byte[] post = RelayFrame.Post.sign(c.nextId(), box.id(), 60, blob(1024, 1), box.send(), c.nonce())
                    .encode();
            c.send(Arrays.copyOf(post, post.length - 1)); // one byte short of its signature
            RelayFrame.Error e = (RelayFrame.Error) c.next();
            assertThat(e.reason()).isEqualTo(Reason.BAD_FRAME);
            assertThat(e.detail()).isEqualTo("The frame does not parse.");
            assertClosedWith(c, 1008);
            assertThat(stored(box)).isEmpty();
        }
    }

    @Test
    void refusesARelayToClientTypeFromAClient() throws Exception {
        startDefault();
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            c.send(new RelayFrame.Ok(1, 0));
            assertError(c.next(), Reason.BAD_FRAME);
            assertClosedWith(c, 1008);
        }
    }

    @Test
    void refusesAnUnknownVersionAndCloses() throws Exception {
        startDefault();
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            byte[] ping = new RelayFrame.Ping(1).encode();
            ping[0] = 2;
            c.send(ping);
            RelayFrame.Error e = (RelayFrame.Error) c.next();
            assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_VERSION);
            assertThat(e.requestId()).isEqualTo(1);
            assertClosedWith(c, 1008);
        }
    }

    @Test
    void refusesAPostSignedWithTheReceiveKeyAndStoresNothing() throws Exception {
        startDefault();
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = created(c);
            assertError(c.post(box.id(), box.receive(), 60, blob(1024, 1)), Reason.BAD_SIGNATURE);
            assertClosedWith(c, 1008);
            Await.until("the refused connection closed and released", Duration.ofSeconds(10),
                    () -> relay.endpoints() == 0 && relay.connections() == 0);
            assertThat(stored(box)).isEmpty();
        }
    }

    @Test
    void refusesARequestSignedForAnotherConnection() throws Exception {
        startDefault();
        try (RawRelayClient a = RawRelayClient.connect(relay.address());
                RawRelayClient b = RawRelayClient.connect(relay.address())) {
            Box box = created(a);
            b.send(RelayFrame.Post.sign(1, box.id(), 60, blob(1024, 1), box.send(), a.nonce()));
            assertError(b.next(), Reason.BAD_SIGNATURE);
            assertClosedWith(b, 1008);
            assertThat(stored(box)).isEmpty();
        }
    }

    @Test
    void refusesASubscribeAndADeleteNotSignedByTheReceiveKey() throws Exception {
        startDefault();
        Box box;
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            box = created(c);
            assertOk(c.post(box.id(), box.send(), 60, blob(1024, 1)), 1);
            assertError(c.delete(box.id(), box.send(), 1), Reason.BAD_SIGNATURE);
        }
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            assertError(c.subscribe(box.id(), box.send(), 0), Reason.BAD_SIGNATURE);
        }
        assertThat(stored(box)).hasSize(1);
    }

    @Test
    void refusesAReplayedRequestIdAndStoresItOnce() throws Exception {
        startDefault();
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = created(c);
            RelayFrame.Post p = RelayFrame.Post.sign(c.nextId(), box.id(), 60, blob(1024, 1), box.send(), c.nonce());
            c.send(p);
            assertOk(c.next(), 1);
            c.send(p);
            RelayFrame.Error e = (RelayFrame.Error) c.next();
            assertThat(e.reason()).isEqualTo(Reason.REPLAYED);
            assertThat(e.requestId()).isEqualTo(p.requestId());
            assertClosedWith(c, 1008);
            assertThat(stored(box)).hasSize(1);
        }
    }

    @Test
    void answersUnknownMailboxAndStaysOpen() throws Exception {
        startDefault();
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = newBox();
            assertError(c.post(box.id(), box.send(), 60, blob(1024, 1)), Reason.UNKNOWN_MAILBOX);
            assertError(c.subscribe(box.id(), box.receive(), 0), Reason.UNKNOWN_MAILBOX);
            assertError(c.delete(box.id(), box.receive(), 1), Reason.UNKNOWN_MAILBOX);
            c.send(new RelayFrame.Ping(c.nextId()));
            assertOk(c.next(), 0);
            assertThat(relay.store().keys(box.id())).isEmpty();
        }
    }

    @Test
    void aCreateWithTheSameKeysIsARetryAndWithOtherKeysMailboxExists() throws Exception {
        startDefault();
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = created(c);
            assertOk(c.create(box.id(), box.receive(), box.send(), new byte[0]), 0);
            SigningKey otherSend = SigningKey.generate(random);
            assertError(c.create(box.id(), box.receive(), otherSend, new byte[0]), Reason.MAILBOX_EXISTS);
            SigningKey otherReceive = SigningKey.generate(random);
            assertError(c.create(box.id(), otherReceive, box.send(), new byte[0]), Reason.MAILBOX_EXISTS);
            assertThat(relay.store().keys(box.id()).orElseThrow().sendKey()).isEqualTo(box.send().publicKey());
        }
    }

    @Test
    void refusesAPostOverTheItemQuota() throws Exception {
        start(config(2, 1 << 20, 100, 1000, 10, Optional.empty()));
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = created(c);
            assertOk(c.post(box.id(), box.send(), 60, blob(1024, 1)), 1);
            assertOk(c.post(box.id(), box.send(), 60, blob(1024, 2)), 2);
            assertError(c.post(box.id(), box.send(), 60, blob(1024, 3)), Reason.QUOTA_EXCEEDED);
            assertThat(stored(box)).hasSize(2);
            assertOk(c.delete(box.id(), box.receive(), 1), 0);
            assertOk(c.post(box.id(), box.send(), 60, blob(1024, 4)), 3); // sequences are never reused
        }
    }

    @Test
    void refusesAPostOverTheByteQuota() throws Exception {
        start(config(100, 3000, 100, 1000, 10, Optional.empty()));
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = created(c);
            assertOk(c.post(box.id(), box.send(), 60, blob(1024, 1)), 1);
            assertOk(c.post(box.id(), box.send(), 60, blob(1024, 2)), 2);
            assertError(c.post(box.id(), box.send(), 60, blob(1024, 3)), Reason.QUOTA_EXCEEDED);
            assertOk(c.post(box.id(), box.send(), 60, blob(900, 4)), 3);
            assertThat(stored(box)).extracting(MailboxStore.Item::sequence).containsExactly(1L, 2L, 3L);
        }
    }

    @Test
    void refusesAMailboxOverTheRelayCap() throws Exception {
        start(config(100, 1 << 20, 2, 1000, 10, Optional.empty()));
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            created(c);
            created(c);
            Box third = newBox();
            assertError(c.create(third.id(), third.receive(), third.send(), new byte[0]), Reason.QUOTA_EXCEEDED);
            assertThat(relay.store().keys(third.id())).isEmpty();
        }
    }

    @Test
    void refusesRequestsBeyondTheBurstAndCloses() throws Exception {
        start(config(100, 1 << 20, 100, 3, 10, Optional.empty()));
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = created(c);
            assertOk(c.post(box.id(), box.send(), 60, blob(1024, 1)), 1);
            c.send(new RelayFrame.Ping(c.nextId()));
            assertOk(c.next(), 0);
            assertError(c.post(box.id(), box.send(), 60, blob(1024, 2)), Reason.RATE_LIMITED);
            assertClosedWith(c, 1008);
            assertThat(stored(box)).hasSize(1);
        }
    }

    @Test
    void theBucketRefillsWithTime() throws Exception {
        start(config(100, 1 << 20, 100, 1, 10, Optional.empty()));
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            c.send(new RelayFrame.Ping(c.nextId()));
            assertOk(c.next(), 0);
            clock.advance(Duration.ofMillis(2)); // 1000 a second: one token per millisecond
            c.send(new RelayFrame.Ping(c.nextId()));
            assertOk(c.next(), 0);
        }
    }

    @Test
    void refusesAMessageOverTheFrameLimitAndCloses() throws Exception {
        startDefault();
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = created(c);
            byte[] big = new byte[RelayFrame.MAX_FRAME + 1];
            big[0] = 1;
            big[1] = 17;
            big[5] = 2;
            c.sendFragmented(big, 64 * 1024);
            RelayFrame.Error e = (RelayFrame.Error) c.next();
            assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
            assertClosedWith(c, 1009);
            assertThat(stored(box)).isEmpty();
        }
    }

    @Test
    void refusesACreateWithoutThePassword() throws Exception {
        start(config(100, 1 << 20, 100, 1000, 10, Optional.of("open sesame".getBytes(StandardCharsets.UTF_8))));
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = newBox();
            assertError(c.create(box.id(), box.receive(), box.send(), new byte[0]), Reason.NOT_ALLOWED);
            assertError(c.create(box.id(), box.receive(), box.send(), "open sesamE".getBytes(StandardCharsets.UTF_8)),
                    Reason.NOT_ALLOWED);
            for (String wrong : new String[] {"open", "open sesame!", "open sesame\n"}) {
                assertError(c.create(box.id(), box.receive(), box.send(), wrong.getBytes(StandardCharsets.UTF_8)),
                        Reason.NOT_ALLOWED);
            }
            assertThat(relay.store().keys(box.id())).isEmpty();
            assertOk(c.create(box.id(), box.receive(), box.send(), "open sesame".getBytes(StandardCharsets.UTF_8)),
                    0);
        }
    }

    @Test
    void aConnectionBeyondTheCapGetsBusyAndIsClosed() throws Exception {
        start(config(100, 1 << 20, 100, 1000, 1, Optional.empty()));
        try (RawRelayClient first = RawRelayClient.connect(relay.address());
                RawRelayClient second = RawRelayClient.connect(relay.address(),
                        PinnedTrust.clientContext(relay.address(), random), false)) {
            assertError(second.next(), Reason.BUSY);
            assertClosedWith(second, 1008);
            assertThat(relay.connections()).isEqualTo(1);
            // The refused connection is let go at once, not held until the idle timeout.
            Await.until("the refused connection closed", Duration.ofSeconds(10), () -> relay.endpoints() == 1);
            first.send(new RelayFrame.Ping(first.nextId()));
            assertOk(first.next(), 0);
        }
        Await.until("connections released", Duration.ofSeconds(10), () -> relay.connections() == 0);
        try (RawRelayClient again = RawRelayClient.connect(relay.address())) {
            assertThat(relay.connections()).isEqualTo(1);
        }
    }

    @Test
    void closesOnATextMessage() throws Exception {
        startDefault();
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            c.sendText("hello");
            assertClosedWith(c, 1003);
        }
    }

    @Test
    void aPostedItemSurvivesARestartOnTheSameDataFolder() throws Exception {
        startDefault();
        RelayAddress before = relay.address();
        Box box;
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            box = created(c);
            assertOk(c.post(box.id(), box.send(), 3600, blob(4096, 7)), 1);
        }
        relay.close();
        startDefault();
        assertThat(relay.address().fingerprint()).isEqualTo(before.fingerprint());
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            assertOk(c.subscribe(box.id(), box.receive(), 0), 0);
            assertThat(assertDeliver(c.next(), 1).blob()).isEqualTo(blob(4096, 7));
        }
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            assertOk(c.post(box.id(), box.send(), 3600, blob(1024, 8)), 2); // sequences go on after a restart
        }
    }

    @Test
    void anExpiredItemIsNeverDelivered() throws Exception {
        startDefault();
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = created(c);
            assertOk(c.post(box.id(), box.send(), 60, blob(1024, 1)), 1);
            assertOk(c.post(box.id(), box.send(), 3600, blob(1024, 2)), 2);
            clock.advance(Duration.ofSeconds(60));
            assertOk(c.subscribe(box.id(), box.receive(), 0), 0);
            assertDeliver(c.next(), 2);
            assertThat(relay.sweep()).isEqualTo(1);
            clock.advance(Duration.ofHours(1));
            assertThat(relay.sweep()).isEqualTo(1);
            assertThat(stored(box)).isEmpty();
        }
    }

    @Test
    void theTtlIsCappedAtTheRelayMaximum() throws Exception {
        start(new RelayConfig("127.0.0.1", 0, data, Duration.ofDays(1), 100, 1 << 20, 100, 1000, 1000, 10,
                Optional.empty()));
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = created(c);
            assertOk(c.post(box.id(), box.send(), Integer.MAX_VALUE, blob(1024, 1)), 1);
            clock.advance(Duration.ofDays(1));
            assertThat(stored(box)).isEmpty();
        }
    }

    @Test
    void twoSubscribersBothGetEachItem() throws Exception {
        startDefault();
        try (RawRelayClient a = RawRelayClient.connect(relay.address());
                RawRelayClient b = RawRelayClient.connect(relay.address());
                RawRelayClient poster = RawRelayClient.connect(relay.address())) {
            Box box = created(a);
            assertOk(a.subscribe(box.id(), box.receive(), 0), 0);
            assertOk(b.subscribe(box.id(), box.receive(), 0), 0);
            assertOk(poster.post(box.id(), box.send(), 60, blob(1024, 9)), 1);
            assertThat(assertDeliver(a.next(), 1).blob()).isEqualTo(blob(1024, 9));
            assertThat(assertDeliver(b.next(), 1).blob()).isEqualTo(blob(1024, 9));
        }
    }

    @Test
    void aSubscriberRacingPostsGetsEveryItemOnceInOrder() throws Exception {
        startDefault();
        int n = 60;
        try (RawRelayClient owner = RawRelayClient.connect(relay.address());
                RawRelayClient poster = RawRelayClient.connect(relay.address())) {
            Box box = created(owner);
            for (int i = 1; i <= n / 2; i++) {
                poster.send(RelayFrame.Post.sign(poster.nextId(), box.id(), 3600, blob(1024, i), box.send(),
                        poster.nonce()));
            }
            // The SUBSCRIBE lands while the first half is still being committed and the second half is sent.
            owner.send(RelayFrame.Subscribe.sign(owner.nextId(), box.id(), 0, box.receive(), owner.nonce()));
            for (int i = n / 2 + 1; i <= n; i++) {
                poster.send(RelayFrame.Post.sign(poster.nextId(), box.id(), 3600, blob(1024, i), box.send(),
                        poster.nonce()));
            }
            assertOk(owner.next(), 0);
            for (int i = 1; i <= n; i++) {
                RelayFrame.Deliver d = assertDeliver(owner.next(), i);
                assertThat(d.blob()[0]).isEqualTo((byte) i);
            }
            assertThat(owner.poll(Duration.ofMillis(200))).isNull();
            for (int i = 1; i <= n; i++) {
                assertOk(poster.next(), i);
            }
        }
    }

    @Test
    void aClientPinnedToAnotherKeyCannotConnect() throws Exception {
        startDefault();
        byte[] other = relay.address().fingerprint();
        other[0] ^= 1;
        RelayAddress wrong = new RelayAddress("127.0.0.1", relay.address().port(), other);
        Throwable failure = catchThrowable(() -> RawRelayClient.connect(wrong).close());
        assertThat(failure).isNotNull();
        assertThat(PinnedTrust.isWrongRelayKey(failure)).as("%s", failure).isTrue();
    }

    @Test
    void aClientOfferingOnlyTheHybridGroupConnectsThroughJetty() throws Exception {
        startDefault();
        SSLContext hybridOnly = RelayTlsProfile.context(null,
                new TrustManager[] {PinnedTrustAccess.trustManager(relay.address())}, random,
                List.of("X25519MLKEM768"));
        try (RawRelayClient c = RawRelayClient.connect(relay.address(), hybridOnly, true)) {
            c.send(new RelayFrame.Ping(c.nextId()));
            assertOk(c.next(), 0);
        }
    }

    @Test
    void refusesToStartOnAPortInUseWithASentence() throws Exception {
        startDefault();
        RelayServer first = relay;
        Path other = data.resolve("second");
        RelayConfig c = new RelayConfig("127.0.0.1", first.address().port(), other, Duration.ofDays(1), 10, 1 << 20,
                10, 10, 10, 10, Optional.empty());
        assertThat(catchThrowable(() -> RelayServer.start(c, random, clock)))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageStartingWith("The relay cannot listen on 127.0.0.1:" + first.address().port());
    }

    @Test
    void aStoreFailureUnderASubscriptionEndsItWithInternal() throws Exception {
        startDefault();
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = created(c);
            assertOk(c.post(box.id(), box.send(), 60, blob(1024, 1)), 1);
            relay.store().close(); // every later read fails
            c.send(RelayFrame.Subscribe.sign(c.nextId(), box.id(), 0, box.receive(), c.nonce()));
            assertError(c.next(), Reason.INTERNAL); // the keys cannot be read either
            c.send(new RelayFrame.Ping(c.nextId()));
            assertOk(c.next(), 0); // INTERNAL does not close the connection
        }
    }

    @Test
    void refusesAPostOfAnItemOverTheLimitAsTooLarge() throws Exception {
        startDefault();
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            Box box = created(c);
            // A well-formed POST but for the blob's size: RelayFrame cannot build one, so the bytes are made here.
            byte[] post = RelayFrame.Post.sign(c.nextId(), box.id(), 60, blob(RelayFrame.MAX_BLOB, 1), box.send(),
                    c.nonce()).encode();
            byte[] bigger = new byte[post.length + 1];
            System.arraycopy(post, 0, bigger, 0, 46);
            bigger[42] = 0;
            bigger[43] = 0x10;
            bigger[44] = 0;
            bigger[45] = 1; // MAX_BLOB + 1
            c.send(bigger);
            assertError(c.next(), Reason.TOO_LARGE);
            assertClosedWith(c, 1008);
            assertThat(stored(box)).isEmpty();
        }
    }

    @Test
    void throughJettyTheRelayStillOffersOnlyItsGroups() throws Exception {
        startDefault();
        SSLContext p256Only = RelayTlsProfile.context(null,
                new TrustManager[] {PinnedTrustAccess.trustManager(relay.address())}, random, List.of("secp256r1"));
        assertThat(catchThrowable(() -> RawRelayClient.connect(relay.address(), p256Only, true).close()))
                .isNotNull();
        SSLContext x25519Only = RelayTlsProfile.context(null,
                new TrustManager[] {PinnedTrustAccess.trustManager(relay.address())}, random, List.of("x25519"));
        try (RawRelayClient c = RawRelayClient.connect(relay.address(), x25519Only, true)) {
            c.send(new RelayFrame.Ping(c.nextId()));
            assertOk(c.next(), 0);
        }
    }

    @Test
    void theTlsLayerLogsNoClientAddressAtInfo() throws Exception {
        startDefault();
        java.util.logging.Logger bc = java.util.logging.Logger.getLogger("org.bouncycastle.jsse.provider.ProvTlsServer");
        assertThat(bc.isLoggable(java.util.logging.Level.INFO)).isFalse();
        assertThat(bc.isLoggable(java.util.logging.Level.WARNING)).isTrue();
    }

    @Test
    void anOkForAPostIsSentOnlyAfterItsGroupCommitted() throws Exception {
        startDefault();
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (RawRelayClient owner = RawRelayClient.connect(relay.address());
                RawRelayClient contact = RawRelayClient.connect(relay.address())) {
            Box box = created(owner);
            ((SqliteMailboxStore) relay.store()).beforeCommit(() -> {
                holding.countDown();
                try {
                    release.await(20, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            contact.send(RelayFrame.Post.sign(contact.nextId(), box.id(), 3600, blob(100, 1), box.send(),
                    contact.nonce()));
            assertThat(holding.await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            // The post is in a transaction whose commit is held: no OK may reach the client yet.
            assertThat(contact.poll(Duration.ofMillis(300))).isNull();
            release.countDown();
            assertOk(contact.next(), 1);
            assertThat(stored(box)).hasSize(1);
        } finally {
            release.countDown();
        }
    }
}
