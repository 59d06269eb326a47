package org.securep2p.relay.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;
import org.securep2p.crypto.testing.MutableClock;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayFrame;
import org.securep2p.relay.SigningKey;
import org.securep2p.relay.server.RelayServerTest.Box;
import org.securep2p.relay.server.testing.PgCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.relay.server.RelayServerTest.assertDeliver;
import static org.securep2p.relay.server.RelayServerTest.assertOk;
import static org.securep2p.relay.server.RelayServerTest.blob;

/** Two relay instances on one PostgreSQL database, with one key, as behind one address (PROTOCOL.md §23.5). */
class PostgresRelayServerTest {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    static PgCluster pg;

    @TempDir
    Path temp;

    final SecureRandom random = new SecureRandom();
    final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T12:00:00Z"));
    String database;
    RelayServer one;
    RelayServer two;

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

    @BeforeEach
    void twoInstances() throws Exception {
        database = "servers" + DATABASES.incrementAndGet();
        pg.createDatabase(database);
        one = start(temp.resolve("one"));
        // The second instance gets a copy of the first's key: clients pin one fingerprint for both.
        Path second = Files.createDirectories(temp.resolve("two"), java.nio.file.attribute.PosixFilePermissions
                .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        for (String f : new String[] {RelayIdentity.KEY_FILE, RelayIdentity.CERT_FILE}) {
            Files.copy(temp.resolve("one").resolve(f), second.resolve(f),
                    java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        two = start(second);
    }

    RelayServer start(Path data) throws Exception {
        RelayConfig c = new RelayConfig("127.0.0.1", 0, data, Duration.ofDays(21), 100, 1 << 22, 100, 1000, 1000,
                10, Optional.empty()).withStore(PostgresLocation.parse(pg.storeUri(database), Optional.empty()));
        return RelayServer.start(c, random, clock);
    }

    @AfterEach
    void stop() {
        if (one != null) {
            one.close();
        }
        if (two != null) {
            two.close();
        }
    }

    Box newBox() {
        return new Box(MailboxId.random(random), SigningKey.generate(random), SigningKey.generate(random));
    }

    long instancesRows() throws Exception {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(database)); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT COUNT(*) FROM instances")) {
            r.next();
            return r.getLong(1);
        }
    }

    @Test
    void anItemPostedOnOneInstanceIsPushedToASubscriberOnTheOther() throws Exception {
        assertThat(two.address().fingerprint()).isEqualTo(one.address().fingerprint());
        Box box = newBox();
        try (RawRelayClient owner = RawRelayClient.connect(two.address());
                RawRelayClient contact = RawRelayClient.connect(one.address())) {
            assertOk(owner.create(box.id(), box.receive(), box.send(), new byte[0]), 0);
            assertOk(contact.post(box.id(), box.send(), 3600, blob(512, 1)), 1);
            assertOk(owner.subscribe(box.id(), box.receive(), 0), 0);
            assertDeliver(owner.next(), 1);
            // Live: the subscriber on instance two is woken by instance one's commit (the bus). Without it only
            // the 5-s re-read would find them: 19 items would take about 90 s.
            long start = System.nanoTime();
            for (int i = 2; i <= 20; i++) {
                assertOk(contact.post(box.id(), box.send(), 3600, blob(512, i)), i);
                RelayFrame.Deliver d = assertDeliver(owner.next(), i);
                assertThat(d.blob()).isEqualTo(blob(512, i));
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        }
    }

    @Test
    void aSubscriberWhoseInstanceMissedTheNotificationStillGetsTheItem() throws Exception {
        Box box = newBox();
        try (RawRelayClient owner = RawRelayClient.connect(two.address());
                RawRelayClient contact = RawRelayClient.connect(one.address())) {
            assertOk(owner.create(box.id(), box.receive(), box.send(), new byte[0]), 0);
            assertOk(owner.subscribe(box.id(), box.receive(), 0), 0);
            // Instance two's listening connection is cut: the NOTIFY of this post never reaches it.
            PostgresRelayBus bus = (PostgresRelayBus) two.busForTests();
            int backend = bus.listeningBackend();
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(database)); Statement s = c.createStatement()) {
                s.execute("SELECT pg_terminate_backend(" + backend + ")");
            }
            assertOk(contact.post(box.id(), box.send(), 3600, blob(100, 1)), 1);
            assertDeliver(owner.next(), 1);
        }
    }

    @Test
    void theRegularReReadFindsAnItemWhoseNotificationWasLost() throws Exception {
        Box box = newBox();
        try (RawRelayClient owner = RawRelayClient.connect(two.address());
                RawRelayClient contact = RawRelayClient.connect(one.address())) {
            assertOk(owner.create(box.id(), box.receive(), box.send(), new byte[0]), 0);
            assertOk(owner.subscribe(box.id(), box.receive(), 0), 0);
            // Instance two hears nothing from now on, as if every notification were lost.
            two.busForTests().listen(RelayBus.NO_LISTENER);
            assertOk(contact.post(box.id(), box.send(), 3600, blob(100, 1)), 1);
            // What the 5-s timer does, now (only the timer could have delivered it so far).
            two.resync();
            assertDeliver(owner.next(), 1);
        }
    }

    @Test
    void eachInstanceBeatsAndForgetsItsRowsOnACleanStop() throws Exception {
        assertThat(instancesRows()).isEqualTo(2);
        assertThat(one.instance()).isNotEqualTo(two.instance()).hasSize(32);
        one.close();
        one = null;
        Await.until("instance one's rows to go", Duration.ofSeconds(10), () -> {
            try {
                return instancesRows() == 1;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }
}
