package org.securep2p.relay.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.SeededRandom;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.RelayException.Reason;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SqliteMailboxStoreTest {

    @TempDir
    Path data;

    final SeededRandom random = new SeededRandom("store");
    final Instant now = Instant.parse("2026-12-06T12:00:00Z");
    final Instant later = now.plus(Duration.ofHours(1));
    final byte[] receive = new byte[32];
    final byte[] send = new byte[32];
    SqliteMailboxStore store;

    SqliteMailboxStore open(int maxItems, long maxBytes, int maxMailboxes) throws IOException {
        store = SqliteMailboxStore.open(new RelayConfig("127.0.0.1", 0, data, Duration.ofDays(21), maxItems,
                maxBytes, maxMailboxes, 10, 10, 10, Optional.empty()));
        return store;
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    MailboxId box() throws RelayException {
        random.nextBytes(receive);
        random.nextBytes(send);
        MailboxId id = MailboxId.random(random);
        store.create(id, receive, send, now);
        return id;
    }

    @Test
    void commitsDurablyInAWalFileOfItsOwn() throws Exception {
        open(10, 1 << 20, 10);
        assertThat(store.setting("journal_mode")).isEqualTo("wal");
        assertThat(store.setting("synchronous")).isEqualTo("2"); // FULL
        assertThat(store.setting("locking_mode")).isEqualTo("exclusive");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("relay.db"))))
                .isEqualTo("rw-------");
    }

    @Test
    void whatWasCommittedIsThereAfterAReopen() throws Exception {
        open(10, 1 << 20, 10);
        MailboxId id = box();
        assertThat(store.post(id, new byte[] {1, 2, 3}, now, later)).isEqualTo(1);
        store.close();
        open(10, 1 << 20, 10);
        assertThat(store.itemsAfter(id, 0, now, 10)).singleElement()
                .satisfies(i -> assertThat(i.blob()).containsExactly(1, 2, 3));
        assertThat(store.keys(id).orElseThrow().sendKey()).isEqualTo(send);
        assertThat(store.post(id, new byte[] {4}, now, later)).isEqualTo(2);
    }

    @Test
    void aSecondStoreOnTheSameFolderIsRefused() throws Exception {
        open(10, 1 << 20, 10);
        store.close();
        open(10, 1 << 20, 10); // an existing file: opening alone takes the lock, two relays never both start
        assertThatThrownBy(() -> SqliteMailboxStore.open(RelayConfig.defaults("h", 0, data)))
                .isInstanceOf(IOException.class).hasMessageContaining("another relay may be using");
    }

    @Test
    void refusesAnotherProgramsDatabase() throws Exception {
        open(10, 1 << 20, 10);
        store.close();
        try (var c = new org.sqlite.SQLiteConfig().createConnection("jdbc:sqlite:" + data.resolve("relay.db"));
                var s = c.createStatement()) {
            s.execute("PRAGMA application_id = 42");
        }
        assertThatThrownBy(() -> open(10, 1 << 20, 10)).hasMessageContaining("another program's SQLite file");
    }

    @Test
    void sequencesAreNeverReusedAfterADelete() throws Exception {
        open(10, 1 << 20, 10);
        MailboxId id = box();
        store.post(id, new byte[] {1}, now, later);
        store.post(id, new byte[] {2}, now, later);
        assertThat(store.delete(id, 2)).isEqualTo(2);
        assertThat(store.post(id, new byte[] {3}, now, later)).isEqualTo(3);
        assertThat(store.itemsAfter(id, 0, now, 10)).extracting(MailboxStore.Item::sequence).containsExactly(3L);
    }

    @Test
    void quotasCountOnlyUnexpiredItems() throws Exception {
        open(2, 1 << 20, 10);
        MailboxId id = box();
        store.post(id, new byte[] {1}, now, now.plusSeconds(10));
        store.post(id, new byte[] {2}, now, later);
        assertThatThrownBy(() -> store.post(id, new byte[] {3}, now, later))
                .isInstanceOfSatisfying(RelayException.class, e -> assertThat(e.reason()).isEqualTo(Reason.QUOTA_EXCEEDED));
        Instant t = now.plusSeconds(10);
        assertThat(store.post(id, new byte[] {3}, t, later)).isEqualTo(3);
        assertThat(store.itemsAfter(id, 0, t, 10)).extracting(MailboxStore.Item::sequence).containsExactly(2L, 3L);
    }

    @Test
    void aRefusedPostChangesNothing() throws Exception {
        open(10, 5, 10);
        MailboxId id = box();
        store.post(id, new byte[] {1, 2, 3}, now, later);
        assertThatThrownBy(() -> store.post(id, new byte[] {4, 5, 6}, now, later))
                .isInstanceOfSatisfying(RelayException.class, e -> assertThat(e.reason()).isEqualTo(Reason.QUOTA_EXCEEDED));
        assertThat(store.post(id, new byte[] {7, 8}, now, later)).isEqualTo(2); // the refused one took no sequence
        assertThatThrownBy(() -> store.post(MailboxId.random(random), new byte[] {1}, now, later))
                .isInstanceOfSatisfying(RelayException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_MAILBOX));
    }

    @Test
    void theMailboxCapHoldsAcrossReopens() throws Exception {
        open(10, 1 << 20, 2);
        box();
        box();
        store.close();
        open(10, 1 << 20, 2);
        assertThatThrownBy(this::box)
                .isInstanceOfSatisfying(RelayException.class, e -> assertThat(e.reason()).isEqualTo(Reason.QUOTA_EXCEEDED));
    }

    @Test
    void theSweepRemovesOnlyExpiredItems() throws Exception {
        open(10, 1 << 20, 10);
        MailboxId id = box();
        store.post(id, new byte[] {1}, now, now.plusSeconds(60));
        store.post(id, new byte[] {2}, now, later);
        assertThat(store.itemsAfter(id, 0, now.plusSeconds(60), 10)).hasSize(1);
        assertThat(store.sweep(now.plusSeconds(59))).isZero();
        assertThat(store.sweep(now.plusSeconds(60))).isEqualTo(1);
        assertThat(store.itemsAfter(id, 0, now, 10)).extracting(MailboxStore.Item::sequence).containsExactly(2L);
    }

    @Test
    void aClosedStoreRefusesWithInternal() throws Exception {
        open(10, 1 << 20, 10);
        store.close();
        assertThatThrownBy(() -> store.create(MailboxId.random(random), receive, send, now))
                .isInstanceOfSatisfying(RelayException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INTERNAL));
    }

    @Test
    void theNativeLibraryFolderIsPrivateAndInTheDataFolder() throws Exception {
        String before = System.clearProperty(SqliteMailboxStore.TMPDIR_PROPERTY);
        try {
            Path dir = data.resolve("d");
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            SqliteMailboxStore.useNativeFolderIn(dir);
            Path folder = dir.toAbsolutePath().resolve("native");
            assertThat(System.getProperty(SqliteMailboxStore.TMPDIR_PROPERTY)).isEqualTo(folder.toString());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder))).isEqualTo("rwx------");
        } finally {
            if (before == null) {
                System.clearProperty(SqliteMailboxStore.TMPDIR_PROPERTY);
            } else {
                System.setProperty(SqliteMailboxStore.TMPDIR_PROPERTY, before);
            }
        }
    }
}
