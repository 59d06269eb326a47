package org.securep2p.relay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.relay.server.RelayServerTest.assertError;
import static org.securep2p.relay.server.RelayServerTest.assertOk;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;
import org.securep2p.crypto.testing.MutableClock;
import org.securep2p.relay.MemberDirectory;
import org.securep2p.relay.RelayException.Reason;
import org.securep2p.relay.RelayFrame;
import org.securep2p.relay.server.testing.PgCluster;

/**
 * The directory, presence and chat requests of two organisation relay instances on one PostgreSQL database
 * (PROTOCOL.md §23.3–23.5): what one instance knows of a member connected to the other. Members are assigned to
 * connections in order, as in {@link OrganisationRelayFixture}, instead of mutual TLS.
 */
@SuppressWarnings("try") // RawRelayClient.close() may be interrupted; these tests are never interrupted
class PostgresOrganisationRelayTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    static PgCluster pg;

    @TempDir
    Path temp;
    final SecureRandom random = new SecureRandom();
    final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T12:00:00Z"));
    final BlockingQueue<AuthenticatedMember> next = new LinkedBlockingQueue<>();
    final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeAll
    static void cluster() throws IOException {
        pg = PgCluster.start();
    }

    @AfterAll
    static void stopCluster() {
        if (pg != null) {
            pg.close();
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    RelayServer instance(String database, Path data) throws Exception {
        RelayConfig c = new RelayConfig("127.0.0.1", 0, data, Duration.ofDays(21), 100, 1 << 22, 100, 1000, 1000,
                20, Optional.empty()).withStore(PostgresLocation.parse(pg.storeUri(database), Optional.empty()));
        Organisation org = new Organisation(request -> Optional.ofNullable(next.poll()), (s, cert, now) -> true);
        RelayServer.Stores stores = RelayServer.Stores.postgres(c.store().orElseThrow(), c);
        RelayServer r;
        try {
            r = RelayServer.start(c, RelayIdentity.loadOrCreate(data, random, clock), stores, random, clock,
                    Optional.of(org));
        } catch (IOException | RuntimeException e) {
            stores.close();
            throw e;
        }
        closing.add(r);
        return r;
    }

    AuthenticatedMember member(String name) {
        byte[] fp = new byte[32];
        random.nextBytes(fp);
        byte[] cert = new byte[100];
        random.nextBytes(cert);
        return new AuthenticatedMember(name, fp, BigInteger.valueOf(random.nextInt(1 << 30)), cert);
    }

    RawRelayClient connect(RelayServer to, AuthenticatedMember m) throws Exception {
        next.add(m);
        RawRelayClient c = RawRelayClient.connect(to.address());
        closing.add(c);
        return c;
    }

    static List<MemberDirectory.Listing> members(RawRelayClient c) throws Exception {
        c.send(new RelayFrame.Members(c.nextId()));
        return ((RelayFrame.MemberList) c.next()).members();
    }

    @Test
    void aMemberOnOneInstanceIsListedRequestedAndSeenLeavingOnTheOther() throws Exception {
        pg.createDatabase("organisation");
        RelayServer one = instance("organisation", temp.resolve("one"));
        RelayServer two = instance("organisation", temp.resolve("two"));
        AuthenticatedMember alpha = member("Control-Alpha");
        AuthenticatedMember bravo = member("Control-Bravo");
        RawRelayClient a = connect(one, alpha);
        RawRelayClient bOnOne = connect(one, bravo);
        RawRelayClient bOnTwo = connect(two, bravo);

        a.send(new RelayFrame.Publish(a.nextId(), new byte[] {1}));
        assertOk(a.next(), 0);
        List<MemberDirectory.Listing> seenOnTwo = members(bOnTwo);
        assertThat(seenOnTwo).hasSize(1);
        assertThat(seenOnTwo.get(0).fingerprint()).isEqualTo(alpha.fingerprint());
        assertThat(seenOnTwo.get(0).online()).isTrue();

        // A request from instance one reaches Bravo's connections on both instances.
        a.send(new RelayFrame.Request(a.nextId(), bravo.fingerprint(), new byte[] {4, 2}));
        assertOk(a.next(), 0);
        for (RawRelayClient b : List.of(bOnOne, bOnTwo)) {
            RelayFrame f = b.poll(WAIT);
            assertThat(f).isInstanceOf(RelayFrame.Incoming.class);
            assertThat(((RelayFrame.Incoming) f).fromCertificate()).isEqualTo(alpha.certificate());
        }
        // Bravo on two asks for Alpha, connected to one only: online through one's presence rows.
        bOnTwo.send(new RelayFrame.Request(bOnTwo.nextId(), alpha.fingerprint(), new byte[] {3}));
        assertOk(bOnTwo.next(), 0);
        assertThat(a.poll(WAIT)).isInstanceOf(RelayFrame.Incoming.class);

        a.close();
        String alphaHex = java.util.HexFormat.of().formatHex(alpha.fingerprint());
        Await.until("Alpha's presence row gone", WAIT, () -> {
            try {
                return !two.organisation().orElseThrow().directory().online(clock.instant()).contains(alphaHex);
            } catch (org.securep2p.relay.RelayException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(members(bOnTwo).get(0).online()).isFalse();
        bOnTwo.send(new RelayFrame.Request(bOnTwo.nextId(), alpha.fingerprint(), new byte[] {3}));
        assertError(bOnTwo.next(), Reason.NOT_ONLINE);
    }
}
