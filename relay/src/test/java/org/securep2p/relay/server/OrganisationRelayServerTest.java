package org.securep2p.relay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.securep2p.relay.server.RelayServerTest.assertError;
import static org.securep2p.relay.server.RelayServerTest.assertOk;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.eclipse.jetty.websocket.api.StatusCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;
import org.securep2p.relay.MemberDirectory;
import org.securep2p.relay.RelayException.Reason;
import org.securep2p.relay.RelayFrame;

/** An organisation relay's directory and chat requests on the wire (PROTOCOL.md §23.3–23.4), on 127.0.0.1. */
@SuppressWarnings("try") // RawRelayClient.close() may be interrupted; these tests are never interrupted
class OrganisationRelayServerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path data;
    OrganisationRelayFixture org;
    RelayServer open;

    @AfterEach
    void stop() {
        if (org != null) {
            org.close();
        }
        if (open != null) {
            open.close();
        }
    }

    OrganisationRelayFixture start() throws Exception {
        org = new OrganisationRelayFixture(data);
        return org;
    }

    RawRelayClient connect(AuthenticatedMember m) throws Exception {
        org.as(m);
        return RawRelayClient.connect(org.relay.address());
    }

    static byte[] bytes(int n, int fill) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    static List<MemberDirectory.Listing> members(RawRelayClient c) throws Exception {
        c.send(new RelayFrame.Members(c.nextId()));
        RelayFrame f = c.next();
        assertThat(f).isInstanceOf(RelayFrame.MemberList.class);
        return ((RelayFrame.MemberList) f).members();
    }

    @Test
    void anOpenRelayAnswersEveryDirectoryFrameNotAllowedAndStaysOpen() throws Exception {
        open = RelayServer.start(RelayConfig.defaults("127.0.0.1", 0, data), new SecureRandom());
        try (RawRelayClient c = RawRelayClient.connect(open.address())) {
            byte[] fp = new byte[32];
            for (RelayFrame f : List.of(new RelayFrame.Publish(c.nextId(), new byte[] {1}),
                    new RelayFrame.Unpublish(c.nextId()), new RelayFrame.Members(c.nextId()),
                    new RelayFrame.Lookup(c.nextId(), fp), new RelayFrame.Request(c.nextId(), fp, new byte[] {1}))) {
                c.send(f);
                RelayFrame answer = c.next();
                assertError(answer, Reason.NOT_ALLOWED);
                assertThat(answer.requestId()).isEqualTo(f.requestId());
            }
            c.send(new RelayFrame.Ping(c.nextId()));
            assertOk(c.next(), 0);
            assertThat(c.isOpen()).isTrue();
        }
    }

    @Test
    void anOrganisationRelayRefusesAConnectionWithoutAMember() throws Exception {
        start();
        Throwable t = catchThrowable(() -> RawRelayClient.connect(org.relay.address()));
        assertThat(t).isNotNull();
        assertThat(org.relay.connections()).isZero();
    }

    @Test
    void membersPublishThemselvesAndListWithPresence() throws Exception {
        start();
        AuthenticatedMember alpha = org.member("Control-Alpha");
        AuthenticatedMember bravo = org.member("Control-Bravo");
        try (RawRelayClient a = connect(alpha); RawRelayClient b = connect(bravo)) {
            assertThat(members(a)).isEmpty();
            b.send(new RelayFrame.Publish(b.nextId(), bytes(500, 2)));
            assertOk(b.next(), 0);
            a.send(new RelayFrame.Publish(a.nextId(), bytes(400, 1)));
            assertOk(a.next(), 0);
            List<MemberDirectory.Listing> list = members(b);
            assertThat(list).extracting(MemberDirectory.Listing::name).containsExactly("Control-Alpha",
                    "Control-Bravo");
            assertThat(list.get(0).fingerprint()).isEqualTo(alpha.fingerprint());
            assertThat(list.get(1).fingerprint()).isEqualTo(bravo.fingerprint());
            assertThat(list).allMatch(MemberDirectory.Listing::online);

            a.send(new RelayFrame.Lookup(a.nextId(), bravo.fingerprint()));
            RelayFrame f = a.next();
            assertThat(f).isInstanceOf(RelayFrame.Entry.class);
            RelayFrame.Entry e = (RelayFrame.Entry) f;
            // The certificate is the one Bravo's connection authenticated with, never one sent in a frame.
            assertThat(e.certificate()).isEqualTo(bravo.certificate());
            assertThat(e.bundle()).isEqualTo(bytes(500, 2));
            assertThat(e.publishedMillis()).isEqualTo(org.clock.millis());

            // Publishing again replaces the entry; unpublishing removes it.
            b.send(new RelayFrame.Publish(b.nextId(), bytes(600, 3)));
            assertOk(b.next(), 0);
            a.send(new RelayFrame.Lookup(a.nextId(), bravo.fingerprint()));
            assertThat(((RelayFrame.Entry) a.next()).bundle()).isEqualTo(bytes(600, 3));
            b.send(new RelayFrame.Unpublish(b.nextId()));
            assertOk(b.next(), 0);
            assertThat(members(a)).extracting(MemberDirectory.Listing::name).containsExactly("Control-Alpha");
            a.send(new RelayFrame.Lookup(a.nextId(), bravo.fingerprint()));
            assertError(a.next(), Reason.UNKNOWN_MEMBER);
        }
    }

    @Test
    void aMemberCanPublishOnlyItself() throws Exception {
        start();
        AuthenticatedMember alpha = org.member("Control-Alpha");
        AuthenticatedMember mallory = org.member("Control-Mallory");
        try (RawRelayClient m = connect(mallory)) {
            m.send(new RelayFrame.Publish(m.nextId(), bytes(100, 9)));
            assertOk(m.next(), 0);
            List<MemberDirectory.Listing> list = members(m);
            assertThat(list).hasSize(1);
            assertThat(list.get(0).name()).isEqualTo("Control-Mallory");
            assertThat(list.get(0).fingerprint()).isEqualTo(mallory.fingerprint());
            m.send(new RelayFrame.Lookup(m.nextId(), alpha.fingerprint()));
            assertError(m.next(), Reason.UNKNOWN_MEMBER);
        }
    }

    @Test
    void aRevokedMemberIsNeitherListedNorFound() throws Exception {
        start();
        AuthenticatedMember alpha = org.member("Control-Alpha");
        AuthenticatedMember delta = org.member("Control-Delta");
        try (RawRelayClient a = connect(alpha); RawRelayClient d = connect(delta)) {
            d.send(new RelayFrame.Publish(d.nextId(), bytes(100, 4)));
            assertOk(d.next(), 0);
            assertThat(members(a)).hasSize(1);
            org.revoke(delta);
            assertThat(members(a)).isEmpty();
            a.send(new RelayFrame.Lookup(a.nextId(), delta.fingerprint()));
            assertError(a.next(), Reason.UNKNOWN_MEMBER);
            a.send(new RelayFrame.Lookup(a.nextId(), bytes(32, 7)));
            assertError(a.next(), Reason.UNKNOWN_MEMBER);
            assertThat(a.isOpen()).isTrue();
        }
    }

    @Test
    void aRequestReachesEveryConnectionOfItsTargetStampedWithTheSender() throws Exception {
        start();
        AuthenticatedMember alpha = org.member("Control-Alpha");
        AuthenticatedMember bravo = org.member("Control-Bravo");
        try (RawRelayClient a = connect(alpha); RawRelayClient b1 = connect(bravo);
                RawRelayClient b2 = connect(bravo)) {
            byte[] payload = bytes(RelayFrame.MAX_PAYLOAD, 5);
            a.send(new RelayFrame.Request(a.nextId(), bravo.fingerprint(), payload));
            assertOk(a.next(), 0);
            for (RawRelayClient b : List.of(b1, b2)) {
                RelayFrame f = b.next();
                assertThat(f).isInstanceOf(RelayFrame.Incoming.class);
                RelayFrame.Incoming in = (RelayFrame.Incoming) f;
                assertThat(in.fromCertificate()).isEqualTo(alpha.certificate());
                assertThat(in.payload()).isEqualTo(payload);
            }
            assertThat(a.poll(Duration.ofMillis(200))).isNull(); // the sender gets nothing but its OK
        }
    }

    @Test
    void aRequestToAMemberWithNoConnectionIsNotOnline() throws Exception {
        start();
        AuthenticatedMember alpha = org.member("Control-Alpha");
        AuthenticatedMember charlie = org.member("Control-Charlie");
        try (RawRelayClient a = connect(alpha)) {
            a.send(new RelayFrame.Request(a.nextId(), charlie.fingerprint(), new byte[] {1}));
            assertError(a.next(), Reason.NOT_ONLINE);
            assertThat(a.isOpen()).isTrue();
        }
    }

    @Test
    void presenceGoesOfflineWhenTheLastConnectionCloses() throws Exception {
        start();
        AuthenticatedMember alpha = org.member("Control-Alpha");
        AuthenticatedMember bravo = org.member("Control-Bravo");
        try (RawRelayClient a = connect(alpha)) {
            RawRelayClient b1 = connect(bravo);
            RawRelayClient b2 = connect(bravo);
            b1.send(new RelayFrame.Publish(b1.nextId(), bytes(100, 1)));
            assertOk(b1.next(), 0);
            b1.close();
            Await.until("one of Bravo's connections is gone", WAIT,
                    () -> org.organisation().connectionsOf(bravo.fingerprint()) == 1);
            assertThat(members(a).get(0).online()).isTrue();
            b2.close();
            Await.until("Bravo's last connection is gone", WAIT,
                    () -> org.organisation().connectionsOf(bravo.fingerprint()) == 0);
            MemberDirectory.Listing b = members(a).get(0);
            assertThat(b.name()).isEqualTo("Control-Bravo");
            assertThat(b.online()).isFalse();
            assertThat(org.organisation().directory().online(org.clock.instant()))
                    .containsExactly(java.util.HexFormat.of().formatHex(alpha.fingerprint()));
            a.send(new RelayFrame.Request(a.nextId(), bravo.fingerprint(), new byte[] {1}));
            assertError(a.next(), Reason.NOT_ONLINE);
        }
    }

    @Test
    void directoryRequestIdsMustIncrease() throws Exception {
        start();
        try (RawRelayClient a = connect(org.member("Control-Alpha"))) {
            a.send(new RelayFrame.Members(5));
            assertThat(a.next()).isInstanceOf(RelayFrame.MemberList.class);
            a.send(new RelayFrame.Members(5));
            assertError(a.next(), Reason.REPLAYED);
            assertThat(a.closeCode()).isEqualTo(StatusCode.POLICY_VIOLATION);
        }
    }

    @Test
    void aRequestFloodIsCutOff() throws Exception {
        start();
        AuthenticatedMember bravo = org.member("Control-Bravo");
        try (RawRelayClient a = connect(org.member("Control-Alpha")); RawRelayClient b = connect(bravo)) {
            // The clock stands still: no token comes back, so the burst is all a connection gets.
            for (int i = 0; i < RelayConnection.MEMBER_REQUEST_BURST; i++) {
                a.send(new RelayFrame.Request(a.nextId(), bravo.fingerprint(), new byte[] {1}));
                assertOk(a.next(), 0);
            }
            a.send(new RelayFrame.Request(a.nextId(), bravo.fingerprint(), new byte[] {1}));
            assertError(a.next(), Reason.RATE_LIMITED);
            assertThat(a.closeCode()).isEqualTo(StatusCode.POLICY_VIOLATION);
            for (int i = 0; i < RelayConnection.MEMBER_REQUEST_BURST; i++) {
                assertThat(b.next()).isInstanceOf(RelayFrame.Incoming.class);
            }
            assertThat(b.poll(Duration.ofMillis(200))).isNull();
        }
    }

    @Test
    void aRevocationClosesThatMembersConnections() throws Exception {
        start();
        AuthenticatedMember alpha = org.member("Control-Alpha");
        AuthenticatedMember delta = org.member("Control-Delta");
        try (RawRelayClient a = connect(alpha); RawRelayClient d = connect(delta)) {
            org.organisation().revoked(delta.serial());
            assertThat(d.closeCode()).isEqualTo(StatusCode.POLICY_VIOLATION);
            a.send(new RelayFrame.Ping(a.nextId()));
            assertOk(a.next(), 0);
            Await.until("Delta's connection is uncounted", WAIT,
                    () -> org.organisation().connectionsOf(delta.fingerprint()) == 0);
        }
    }
}
