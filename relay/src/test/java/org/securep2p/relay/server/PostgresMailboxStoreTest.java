package org.securep2p.relay.server;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.testing.Await;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.server.testing.PgCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link MailboxStoreContract} on PostgreSQL (a fresh database of one throwaway cluster per test), and what only
 * the shared store does: two instances on one database, the bus across them, a listener that reconnects.
 */
class PostgresMailboxStoreTest extends MailboxStoreContract {

    static final Duration WAIT = Duration.ofSeconds(20);
    private static final AtomicInteger DATABASES = new AtomicInteger();

    static PgCluster pg;
    String database;
    final List<AutoCloseable> opened = new ArrayList<>();

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
    void freshDatabase() throws IOException {
        database = "store" + DATABASES.incrementAndGet();
        pg.createDatabase(database);
    }

    @AfterEach
    void closeOpened() throws Exception {
        for (AutoCloseable c : opened) {
            c.close();
        }
    }

    PostgresDatabase database() throws IOException {
        PostgresDatabase db = PostgresDatabase.open(PostgresLocation.parse(pg.storeUri(database), Optional.empty()));
        opened.add(db);
        return db;
    }

    @Override
    MailboxStore openStore(int maxItems, long maxBytes, int maxMailboxes) throws Exception {
        PostgresDatabase db = PostgresDatabase.open(PostgresLocation.parse(pg.storeUri(database), Optional.empty()));
        return new PostgresMailboxStore(db, true, maxItems, maxBytes, maxMailboxes);
    }

    /** What a bus listener heard, in order. */
    static final class Heard implements RelayBus.Listener {
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();

        @Override
        public void posted(MailboxId mailbox, long sequence) {
            events.add("posted " + java.util.HexFormat.of().formatHex(mailbox.bytes()) + " " + sequence);
        }

        @Override
        public void request(byte[] fingerprint, byte[] incomingFrame) {
            events.add("request " + java.util.HexFormat.of().formatHex(fingerprint) + " " + incomingFrame.length
                    + " " + java.util.Arrays.hashCode(incomingFrame));
        }

        @Override
        public void revoked(BigInteger serial) {
            events.add("revoked " + serial);
        }

        @Override
        public void resynchronise() {
            events.add("resynchronise");
        }

        String next() throws InterruptedException {
            String e = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(e).as("a bus message within " + WAIT).isNotNull();
            return e;
        }
    }

    @Test
    void twoStoresOnOneDatabaseSeeEachOthersItemsAndShareTheSequence() throws Exception {
        PostgresDatabase a = database();
        PostgresDatabase b = database();
        MailboxStore one = new PostgresMailboxStore(a, false, 10, 1 << 20, 10);
        MailboxStore two = new PostgresMailboxStore(b, false, 10, 1 << 20, 10);
        store = one;
        MailboxId id = box();
        assertThat(two.keys(id)).contains(new MailboxStore.Keys(receive, send));
        assertThat(one.post(id, new byte[] {1}, now, later)).isEqualTo(1);
        assertThat(two.post(id, new byte[] {2}, now, later)).isEqualTo(2);
        assertThat(two.itemsAfter(id, 0, now, 10)).extracting(MailboxStore.Item::sequence).containsExactly(1L, 2L);
        assertThat(one.delete(id, 2)).isEqualTo(2);
        assertThat(two.itemsAfter(id, 0, now, 10)).isEmpty();
        assertThat(two.post(id, new byte[] {3}, now, later)).isEqualTo(3);
        two.close();
    }

    @Test
    void everyPooledConnectionCommitsSynchronously() throws Exception {
        PostgresDatabase db = database();
        // Even where the server's default says otherwise: the pool sets it on each connection.
        try (Connection c = java.sql.DriverManager.getConnection(pg.jdbcUrl("postgres"));
                Statement s = c.createStatement()) {
            s.execute("ALTER DATABASE " + database + " SET synchronous_commit = off");
        }
        PostgresDatabase fresh = database();
        for (PostgresDatabase d : List.of(db, fresh)) {
            try (Connection c = d.pool().getConnection(); Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SHOW synchronous_commit")) {
                r.next();
                assertThat(r.getString(1)).isEqualTo("on");
            }
        }
    }

    @Test
    void aPostIsAnnouncedToTheBusOfEveryInstanceOnlyOnceCommitted() throws Exception {
        PostgresDatabase a = database();
        PostgresDatabase b = database();
        Heard heardA = new Heard();
        Heard heardB = new Heard();
        PostgresRelayBus busA = PostgresRelayBus.start(a);
        PostgresRelayBus busB = PostgresRelayBus.start(b);
        opened.add(0, busA);
        opened.add(0, busB);
        busA.listen(heardA);
        busB.listen(heardB);
        store = new PostgresMailboxStore(a, false, 1, 1 << 20, 10);
        MailboxId id = box();
        store.post(id, new byte[] {1}, now, later);
        String hex = java.util.HexFormat.of().formatHex(id.bytes());
        assertThat(heardB.next()).isEqualTo("posted " + hex + " 1");
        assertThat(heardA.next()).isEqualTo("posted " + hex + " 1");
        // A refused post is rolled back, its NOTIFY with it: nobody hears of it.
        assertThatThrownBy(() -> store.post(id, new byte[] {2}, now, later)).isNotNull();
        busA.revoked(BigInteger.valueOf(0xabcdef));
        assertThat(heardB.next()).isEqualTo("revoked " + 0xabcdef);
        assertThat(heardA.next()).isEqualTo("revoked " + 0xabcdef);
    }

    @Test
    void requestsCrossInstancesShortInANotificationLongThroughATable() throws Exception {
        PostgresDatabase a = database();
        PostgresDatabase b = database();
        Heard heardB = new Heard();
        PostgresRelayBus busA = PostgresRelayBus.start(a);
        PostgresRelayBus busB = PostgresRelayBus.start(b);
        opened.add(0, busA);
        opened.add(0, busB);
        busB.listen(heardB);
        byte[] fingerprint = new byte[32];
        random.nextBytes(fingerprint);
        String fp = java.util.HexFormat.of().formatHex(fingerprint);
        byte[] small = new byte[1000];
        byte[] large = new byte[20_000];
        random.nextBytes(small);
        random.nextBytes(large);
        busA.request(fingerprint, small);
        assertThat(heardB.next()).isEqualTo("request " + fp + " 1000 " + java.util.Arrays.hashCode(small));
        busA.request(fingerprint, large);
        assertThat(heardB.next()).isEqualTo("request " + fp + " 20000 " + java.util.Arrays.hashCode(large));
    }

    @Test
    void aKilledListenerReconnectsResynchronisesAndHearsLaterPosts() throws Exception {
        PostgresDatabase a = database();
        PostgresDatabase b = database();
        Heard heardB = new Heard();
        PostgresRelayBus busB = PostgresRelayBus.start(b);
        opened.add(0, busB);
        busB.listen(heardB);
        store = new PostgresMailboxStore(a, false, 100, 1 << 20, 10);
        MailboxId id = box();
        int backend = busB.listeningBackend();
        try (Connection c = a.pool().getConnection(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_terminate_backend(" + backend + ")");
        }
        // Posted while B's listener is gone: B hears nothing of it, but is told to re-read.
        store.post(id, new byte[] {1}, now, later);
        Await.until("the bus to reconnect", WAIT, () -> busB.reconnections() == 1);
        List<String> heard = new ArrayList<>();
        heardB.events.drainTo(heard);
        assertThat(heard).contains("resynchronise");
        assertThat(busB.listeningBackend()).isNotEqualTo(backend);
        store.post(id, new byte[] {2}, now, later);
        String hex = java.util.HexFormat.of().formatHex(id.bytes());
        Await.until("the post after the reconnection", WAIT, () -> heardB.events.contains("posted " + hex + " 2"));
    }

    @Test
    void afterTheDatabaseCrashesAndComesBackTheStoreAndTheBusCarryOn() throws Exception {
        PostgresDatabase db = database();
        Heard heard = new Heard();
        PostgresRelayBus bus = PostgresRelayBus.start(db);
        opened.add(0, bus);
        bus.listen(heard);
        store = new PostgresMailboxStore(db, false, 100, 1 << 20, 10);
        MailboxId id = box();
        store.post(id, new byte[] {1}, now, later);
        pg.kill();
        assertThatThrownBy(() -> store.post(id, new byte[] {2}, now, later))
                .satisfies(t -> assertReason(t, org.securep2p.relay.RelayException.Reason.INTERNAL));
        pg.restart();
        Await.until("the bus to listen again after the restart", WAIT, () -> bus.reconnections() >= 1);
        heard.events.clear();
        // The committed item survived the crash; the refused one left no trace and took no sequence.
        assertThat(store.post(id, new byte[] {3}, now, later)).isEqualTo(2);
        assertThat(store.itemsAfter(id, 0, now, 10)).extracting(MailboxStore.Item::blob)
                .containsExactly(new byte[] {1}, new byte[] {3});
        String hex = java.util.HexFormat.of().formatHex(id.bytes());
        Await.until("the post after the restart to be heard", WAIT,
                () -> heard.events.contains("posted " + hex + " 2"));
    }

    @Test
    void aDatabaseThatCannotBeReachedIsOneSentenceWithoutThePassword(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path pw = dir.resolve("pw");
        java.nio.file.Files.writeString(pw, "s3cret-Passw0rd\n");
        java.nio.file.Files.setPosixFilePermissions(pw, java.nio.file.attribute.PosixFilePermissions.fromString(
                "rw-------"));
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        PostgresLocation nowhere = PostgresLocation.parse("postgresql://127.0.0.1:" + closedPort + "/relay?user=x",
                Optional.of(pw));
        assertThatThrownBy(() -> PostgresDatabase.open(nowhere)).isInstanceOf(IOException.class)
                .hasMessageStartingWith("The relay's database at 127.0.0.1:" + closedPort + "/relay cannot be reached")
                .hasMessageNotContaining("s3cret");
        // A wrong login is refused as clearly: the cluster trusts loopback, so a missing role is the refusal here.
        PostgresLocation stranger = PostgresLocation.parse(pg.storeUri(database).replace("user=postgres",
                "user=stranger"), Optional.of(pw));
        assertThatThrownBy(() -> PostgresDatabase.open(stranger)).isInstanceOf(IOException.class)
                .hasMessageContaining("stranger").hasMessageNotContaining("s3cret");
        assertThat(stranger.toString()).doesNotContain("s3cret");
    }
}
