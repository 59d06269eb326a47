package org.securep2p.relay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.SeededRandom;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.RelayException.Reason;

/** The SQLite directory and presence of a single-instance organisation relay (PROTOCOL.md §23.3, §23.5). */
class SqliteDirectoryStoreTest {

    @TempDir
    Path data;

    final SeededRandom random = new SeededRandom("directory store");
    final Instant now = Instant.parse("2026-12-06T12:00:00Z");
    SqliteDirectoryStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    SqliteDirectoryStore open() throws IOException {
        store = SqliteDirectoryStore.open(data);
        return store;
    }

    AuthenticatedMember member(String name) {
        byte[] fp = new byte[32];
        random.nextBytes(fp);
        byte[] cert = new byte[200];
        random.nextBytes(cert);
        return new AuthenticatedMember(name, fp, BigInteger.valueOf(random.nextInt(1 << 30)), cert);
    }

    static String hex(AuthenticatedMember m) {
        return HexFormat.of().formatHex(m.fingerprint());
    }

    @Test
    void commitsDurablyInAFileOfItsOwnBesideTheMailboxes() throws Exception {
        open();
        assertThat(store.setting("journal_mode")).isEqualTo("wal");
        assertThat(store.setting("synchronous")).isEqualTo("2"); // FULL
        assertThat(store.setting("locking_mode")).isEqualTo("exclusive");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("directory.db"))))
                .isEqualTo("rw-------");
        // The mailbox store opens beside it: the two files never share a lock.
        try (SqliteMailboxStore mailboxes = SqliteMailboxStore.open(RelayConfig.defaults("127.0.0.1", 0, data))) {
            assertThat(mailboxes.keys(org.securep2p.relay.MailboxId.random(random))).isEmpty();
        }
    }

    @Test
    void anEntryIsReplacedByTheSameMemberAndSurvivesAReopen() throws Exception {
        open();
        AuthenticatedMember a = member("Control-Alpha");
        store.publish(a, new byte[] {1}, now);
        store.publish(a, new byte[] {2, 2}, now.plusSeconds(5));
        store.close();
        open();
        List<DirectoryStore.Stored> all = store.entries();
        assertThat(all).hasSize(1);
        DirectoryStore.Stored s = all.get(0);
        assertThat(s.name()).isEqualTo("Control-Alpha");
        assertThat(s.fingerprint()).isEqualTo(a.fingerprint());
        assertThat(s.serial()).isEqualTo(a.serial());
        assertThat(s.entry().certificate()).isEqualTo(a.certificate());
        assertThat(s.entry().bundle()).isEqualTo(new byte[] {2, 2});
        assertThat(s.entry().published()).isEqualTo(now.plusSeconds(5));
        assertThat(store.entry(a.fingerprint())).isPresent();
        store.unpublish(a.fingerprint());
        store.unpublish(a.fingerprint()); // none left: still fine
        assertThat(store.entry(a.fingerprint())).isEmpty();
        assertThat(store.entries()).isEmpty();
    }

    @Test
    void entriesAreSortedByNameThenFingerprint() throws Exception {
        open();
        AuthenticatedMember b = member("Bravo");
        AuthenticatedMember a1 = member("Alpha");
        AuthenticatedMember a2 = member("Alpha");
        AuthenticatedMember z = member("Ärger");
        for (AuthenticatedMember m : List.of(z, b, a1, a2)) {
            store.publish(m, new byte[] {1}, now);
        }
        List<String> order = store.entries().stream().map(s -> s.name() + "/" + HexFormat.of().formatHex(
                s.fingerprint())).toList();
        List<String> expected = new java.util.ArrayList<>(List.of("Alpha/" + hex(a1), "Alpha/" + hex(a2)));
        expected.sort(null);
        expected.add("Bravo/" + hex(b));
        expected.add("Ärger/" + hex(z));
        assertThat(order).containsExactlyElementsOf(expected);
    }

    @Test
    void aMemberIsOnlineWhileAnInstanceWithAFreshHeartbeatCountsAConnection() throws Exception {
        open();
        AuthenticatedMember a = member("Control-Alpha");
        AuthenticatedMember b = member("Control-Bravo");
        store.heartbeat("one", now);
        store.heartbeat("two", now);
        store.presence("one", a.fingerprint(), 2);
        store.presence("two", b.fingerprint(), 1);
        assertThat(store.online(now)).containsExactlyInAnyOrder(hex(a), hex(b));
        store.presence("one", a.fingerprint(), 0);
        assertThat(store.online(now)).containsExactly(hex(b));
        // Instance "two" stops beating: its presence lapses after 15 s, not before.
        store.heartbeat("one", now.plusSeconds(20));
        assertThat(store.online(now.plusSeconds(15))).containsExactly(hex(b));
        assertThat(store.online(now.plus(Duration.ofMillis(15_001)))).isEmpty();
        store.presence("one", a.fingerprint(), 1);
        assertThat(store.online(now.plusSeconds(20))).containsExactly(hex(a));
        store.forget("one");
        assertThat(store.online(now.plusSeconds(20))).isEmpty();
        store.heartbeat("one", now.plusSeconds(25));
        assertThat(store.online(now.plusSeconds(25))).isEmpty(); // forget removed its counts too
    }

    @Test
    void presenceSurvivesAReopenUntilItsInstanceIsForgotten() throws Exception {
        open();
        AuthenticatedMember a = member("Control-Alpha");
        store.heartbeat("one", now);
        store.presence("one", a.fingerprint(), 1);
        store.close();
        open();
        assertThat(store.online(now)).containsExactly(hex(a));
    }

    @Test
    void aClosedStoreRefusesEveryCallAsInternal() throws Exception {
        open();
        AuthenticatedMember a = member("Control-Alpha");
        store.close();
        assertThatThrownBy(() -> store.publish(a, new byte[] {1}, now)).isInstanceOfSatisfying(RelayException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INTERNAL));
        assertThatThrownBy(() -> store.entries()).isInstanceOfSatisfying(RelayException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INTERNAL));
        assertThatThrownBy(() -> store.online(now)).isInstanceOfSatisfying(RelayException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INTERNAL));
    }

    @Test
    void refusesAnotherProgramsFileAndALaterSchema() throws Exception {
        Files.copy(openMailboxFile(), data.resolve("directory.db"));
        assertThatThrownBy(this::open).isInstanceOf(IOException.class).hasMessageContaining("another program");
        Files.delete(data.resolve("directory.db"));
        open().close();
        store = null;
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:"
                + data.resolve("directory.db")); java.sql.Statement st = c.createStatement()) {
            st.execute("PRAGMA user_version = 9");
        }
        assertThatThrownBy(this::open).isInstanceOf(IOException.class).hasMessageContaining("schema version 9");
    }

    /** A mailbox store's file, made in a folder of its own: an SQLite file with another application id. */
    private Path openMailboxFile() throws IOException {
        Path other = data.resolve("other");
        SqliteMailboxStore.open(RelayConfig.defaults("127.0.0.1", 0, other)).close();
        return other.resolve(SqliteMailboxStore.FILE_NAME);
    }
}
