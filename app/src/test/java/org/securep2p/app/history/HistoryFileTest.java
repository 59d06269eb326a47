package org.securep2p.app.history;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.securep2p.app.history.HistoryTesting.T0;

/**
 * The file as an attacker holding it sees it: what is (not) in its bytes, what plain SQL edits do to a read,
 * and which files are refused and left alone.
 */
class HistoryFileTest {

    @TempDir
    Path dir;

    HistoryTesting t;
    SecretBytes key;
    Path file;

    @BeforeEach
    void setUp(TestInfo info) {
        t = new HistoryTesting(info.getDisplayName());
        key = t.key();
        file = dir.resolve("history.db");
    }

    @AfterEach
    void tearDown() {
        key.close();
    }

    // ---- what the bytes show ----

    @Test
    void theRawFilesHoldNoTextFingerprintOrName() throws Exception {
        Fingerprint bob = t.fingerprint();
        String text = "meet me at the old mill at nine";
        String reason = "refused by the distant relay";
        String name = "Bartholomew";
        List<byte[]> secrets = new ArrayList<>();
        secrets.add(text.getBytes(StandardCharsets.UTF_8));
        secrets.add(reason.getBytes(StandardCharsets.UTF_8));
        secrets.add(name.getBytes(StandardCharsets.UTF_8));
        secrets.add(name.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        secrets.add(bob.toBytes());
        secrets.add(HexFormat.of().formatHex(bob.toBytes()).getBytes(StandardCharsets.US_ASCII));
        secrets.add(HexFormat.of().withUpperCase().formatHex(bob.toBytes()).getBytes(StandardCharsets.US_ASCII));
        secrets.add(bob.displayString().getBytes(StandardCharsets.US_ASCII));
        String id = t.id();
        secrets.add(id.getBytes(StandardCharsets.US_ASCII));
        secrets.add(HexFormat.of().parseHex(id));
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.setContactName(bob, name);
            store.append(bob, HistoryMessage.sent(id, T0, text));
            store.updateDelivery(bob, id, HistoryMessage.Delivery.FAILED, Optional.of(reason));
            store.append(bob, HistoryMessage.received(t.id(), T0, text));
            // While open: the database and its write-ahead log.
            assertNoneIn(secrets, databaseFiles());
        }
        // After close (checkpointed).
        assertNoneIn(secrets, databaseFiles());
        // And after a clear, which rewrites pages with secure_delete on.
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.clear(bob);
        }
        assertNoneIn(secrets, databaseFiles());
    }

    @Test
    void clearedMessagesLeaveNoCiphertextInTheFile() throws Exception {
        Fingerprint bob = t.fingerprint();
        byte[] body;
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.append(bob, HistoryMessage.sent(t.id(), T0, "x".repeat(300)));
        }
        try (Connection c = jdbc(); Statement s = c.createStatement();
                var r = s.executeQuery("SELECT body FROM messages")) {
            r.next();
            body = r.getBytes(1);
        }
        assertThat(contains(Files.readAllBytes(file), body)).isTrue();
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertThat(store.clear(bob)).isEqualTo(1);
        }
        // secure_delete zeroes the freed content; the truncating checkpoint leaves no old WAL frame behind.
        assertNoneIn(List.of(body), databaseFiles());
    }

    @Test
    void sealedLengthsShowOnlyASizeClassAndIdsNoOrder() throws Exception {
        List<Fingerprint> peers = new ArrayList<>();
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            for (int i = 0; i < 20; i++) {
                peers.add(t.fingerprint());
                store.setContactName(peers.get(i), i == 0 ? "al" : "n".repeat(40 + i));
            }
            Fingerprint bob = peers.get(0);
            for (String text : new String[] {"", "x", "y".repeat(40), "z".repeat(100), "w".repeat(120),
                    "v".repeat(64 * 1024)}) {
                String id = t.id();
                store.append(bob, HistoryMessage.sent(id, T0, text));
                store.updateDelivery(bob, id, HistoryMessage.Delivery.FAILED,
                        Optional.of("r".repeat(text.length() % 1000)));
            }
        }
        List<Long> bodies = longs("SELECT length(body) FROM messages ORDER BY position");
        int overhead = 12 + 16;
        // u8 id length, 32 id digits, u64 time, u32 text length: 45 bytes before the text.
        assertThat(bodies).containsExactly(64L + overhead, 64L + overhead, 128L + overhead, 256L + overhead,
                256L + overhead, 1L + 64 + 8 + 4 + 64 * 1024 + overhead);
        assertThat(longs("SELECT DISTINCT length(name) FROM conversations")).containsExactly(65L + overhead);
        assertThat(longs("SELECT length(failure) FROM messages ORDER BY position")).containsExactly(
                64L + overhead, 64L + overhead, 64L + overhead, 128L + overhead, 128L + overhead,
                1024L + overhead);
        // Row ids are random: they do not follow the order in which the contacts were first stored.
        List<Long> ids = new ArrayList<>();
        try (Connection c = jdbc(); var p = c.prepareStatement("SELECT id FROM conversations WHERE conv = ?")) {
            try (HistoryKeys keys = HistoryKeys.derive(key, new java.security.SecureRandom(), 1)) {
                for (Fingerprint f : peers) {
                    p.setBytes(1, keys.conversation(f.toBytes()));
                    try (var r = p.executeQuery()) {
                        r.next();
                        ids.add(r.getLong(1));
                    }
                }
            }
        }
        assertThat(ids).isNotEqualTo(ids.stream().sorted().toList());
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertThat(store.page(peers.get(0), Optional.empty(), 10)).extracting(m -> m.text().length())
                    .containsExactly(0, 1, 40, 100, 120, 64 * 1024);
            assertThat(store.contactName(peers.get(0))).contains("al");
            assertThat(store.contactNamed("AL")).contains(peers.get(0));
        }
    }

    private List<Long> longs(String query) throws Exception {
        List<Long> out = new ArrayList<>();
        try (Connection c = jdbc(); Statement s = c.createStatement(); var r = s.executeQuery(query)) {
            while (r.next()) {
                out.add(r.getLong(1));
            }
        }
        return out;
    }

    @Test
    void theDatabaseAndItsLogAreReadableByTheOwnerOnly() throws Exception {
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.append(t.fingerprint(), HistoryMessage.sent(t.id(), T0, "a"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            Path wal = dir.resolve("history.db-wal");
            assertThat(wal).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(wal))).isEqualTo("rw-------");
        }
    }

    @Test
    void theConnectionCommitsDurablyAndDeletesSecurely() throws Exception {
        for (int run = 0; run < 2; run++) { // created, then reopened
            try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
                store.append(t.fingerprint(), HistoryMessage.sent(t.id(), T0, "a"));
                assertThat(store.setting("journal_mode")).isEqualTo("wal");
                assertThat(store.setting("synchronous")).isEqualTo("2"); // FULL: the WAL is fsynced at every commit
                assertThat(store.setting("secure_delete")).isEqualTo("1");
                assertThat(store.setting("locking_mode")).isEqualTo("exclusive");
                assertThat(store.setting("trusted_schema")).isEqualTo("0");
                assertThat(store.setting("cell_size_check")).isEqualTo("1");
                assertThat(store.setting("temp_store")).isEqualTo("2"); // MEMORY: no temporary file in /tmp
                assertThat(store.setting("application_id")).isEqualTo(Integer.toString(0x53503248));
                assertThat(store.setting("user_version")).isEqualTo("1");
            }
        }
    }

    @Test
    void expiryReadsARangeOfItsIndexInsteadOfEveryRow() throws Exception {
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.append(t.fingerprint(), HistoryMessage.sent(t.id(), T0, "a"));
        }
        StringBuilder plan = new StringBuilder();
        try (Connection c = jdbc(); Statement s = c.createStatement();
                var r = s.executeQuery("EXPLAIN QUERY PLAN " + HistoryDatabase.EXPIRE.replace("?", "0"))) {
            while (r.next()) {
                plan.append(r.getString("detail")).append('\n');
            }
        }
        assertThat(plan.toString()).contains("SEARCH messages USING INDEX messages_stored (stored<?)")
                .doesNotContain("SCAN");
    }

    // ---- plain SQL edits are refused when read ----

    @Test
    void everyChangedByteOfASealedBodyIsRefused() throws Exception {
        Fingerprint bob = t.fingerprint();
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.append(bob, HistoryMessage.received(t.id(), T0, "flip me"));
        }
        byte[] body;
        try (Connection c = jdbc(); Statement s = c.createStatement();
                var r = s.executeQuery("SELECT body FROM messages")) {
            r.next();
            body = r.getBytes(1);
        }
        for (int i = 0; i < body.length; i++) {
            byte[] changed = body.clone();
            changed[i] ^= (byte) (1 << (i % 8));
            setBody(changed);
            try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
                assertCorrupt(() -> store.page(bob, Optional.empty(), 10));
            }
        }
        setBody(body);
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertThat(store.page(bob, Optional.empty(), 10)).singleElement()
                    .satisfies(m -> assertThat(m.text()).isEqualTo("flip me"));
        }
    }

    private void setBody(byte[] body) throws Exception {
        try (Connection c = jdbc(); var p = c.prepareStatement("UPDATE messages SET body = ?")) {
            p.setBytes(1, body);
            p.executeUpdate();
        }
    }

    @Test
    void aRowMovedToAnotherConversationIsRefused() throws Exception {
        Fingerprint bob = t.fingerprint();
        Fingerprint carol = t.fingerprint();
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            for (int i = 0; i < 3; i++) {
                store.append(bob, HistoryMessage.sent(t.id(), T0, "to bob " + i));
            }
            store.append(carol, HistoryMessage.sent(t.id(), T0, "to carol"));
        }
        sql("UPDATE messages SET conv_id = (SELECT conv_id FROM messages WHERE position = 1 AND conv_id <> "
                + "(SELECT conv_id FROM messages WHERE position = 3)) WHERE position = 3");
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertCorrupt(() -> store.page(carol, Optional.empty(), 10));
            assertThat(store.page(bob, Optional.empty(), 10)).hasSize(2);
        }
    }

    @Test
    void twoRowsSealedColumnsSwappedAreRefused() throws Exception {
        Fingerprint bob = t.fingerprint();
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.append(bob, HistoryMessage.sent(t.id(), T0, "first"));
            store.append(bob, HistoryMessage.sent(t.id(), T0, "second"));
        }
        sql("CREATE TABLE saved AS SELECT position, body FROM messages");
        sql("UPDATE messages SET body = (SELECT body FROM saved WHERE saved.position = 3 - messages.position)");
        sql("DROP TABLE saved");
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertCorrupt(() -> store.page(bob, Optional.empty(), 1));
            assertCorrupt(() -> store.page(bob, Optional.of(2L), 1));
        }
    }

    @Test
    void twoWholeRowsSwappedInOrderAreRefused() throws Exception {
        Fingerprint bob = t.fingerprint();
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.append(bob, HistoryMessage.sent(t.id(), T0, "first"));
            store.append(bob, HistoryMessage.sent(t.id(), T0, "second"));
        }
        // Every column but the position moves: the order of the conversation is changed.
        sql("UPDATE messages SET position = 3 - position + 100");
        sql("UPDATE messages SET position = position - 100");
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertCorrupt(() -> store.page(bob, Optional.empty(), 10));
        }
    }

    @Test
    void anEditedTimeOrDirectionIsRefused() throws Exception {
        Fingerprint bob = t.fingerprint();
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.append(bob, HistoryMessage.sent(t.id(), T0, "when?"));
        }
        byte[] original = Files.readAllBytes(file);
        sql("UPDATE messages SET stored = stored - 86400000");
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertCorrupt(() -> store.page(bob, Optional.empty(), 10));
        }
        Files.write(file, original);
        sql("UPDATE messages SET stored = -5");
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertCorrupt(() -> store.page(bob, Optional.empty(), 10));
        }
        Files.write(file, original);
        sql("UPDATE messages SET direction = 1, delivery = 3");
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertCorrupt(() -> store.page(bob, Optional.empty(), 10));
        }
        Files.write(file, original);
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertThat(store.page(bob, Optional.empty(), 10)).hasSize(1);
        }
    }

    @Test
    void aFingerprintOrNameMovedToAnotherConversationIsRefused() throws Exception {
        Fingerprint bob = t.fingerprint();
        Fingerprint carol = t.fingerprint();
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.setContactName(bob, "bob");
            store.setContactName(carol, "carol");
        }
        byte[] original = Files.readAllBytes(file);
        swapBetweenConversations("peer");
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertCorrupt(store::conversations);
            assertCorrupt(() -> store.contactNamed("bob"));
        }
        Files.write(file, original);
        swapBetweenConversations("name");
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertCorrupt(() -> store.contactName(bob));
        }
    }

    @Test
    void swappedNameKeysNeverSendANameToAnotherContact() throws Exception {
        Fingerprint alice = t.fingerprint();
        Fingerprint bob = t.fingerprint();
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.setContactName(alice, "alice");
            store.setContactName(bob, "bob");
        }
        swapBetweenConversations("name_key");
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertCorrupt(() -> store.contactNamed("alice"));
            assertCorrupt(() -> store.contactNamed("Bob"));
            assertThat(store.contactName(bob)).contains("bob");
        }
    }

    // ---- refused at open, left byte for byte ----

    @Test
    void aFileSealedUnderAnotherKeyIsRefusedAndLeftAlone() throws Exception {
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.append(t.fingerprint(), HistoryMessage.sent(t.id(), T0, "a"));
        }
        try (SecretBytes other = t.key()) {
            assertRefusedUntouched(other, HistoryException.Reason.CORRUPT, "another key");
        }
    }

    @Test
    void aGarbageFileIsRefusedAndLeftAlone() throws Exception {
        byte[] garbage = new byte[8192];
        new Random(1).nextBytes(garbage);
        Files.write(file, garbage);
        assertRefusedUntouched(key, HistoryException.Reason.CORRUPT, "not an SQLite database");
    }

    @Test
    void anotherProgramsSqliteDatabaseIsRefusedAndLeftAlone() throws Exception {
        try (Connection c = jdbc(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE notes (body TEXT)");
            s.execute("INSERT INTO notes VALUES ('mine')");
        }
        assertRefusedUntouched(key, HistoryException.Reason.CORRUPT, "not a securep2p history database");
    }

    @Test
    void anotherProgramsWalDatabaseWithItsLogIsRefusedAndNeitherFileIsTouched() throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path other = elsewhere.resolve("notes.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + other); Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode = WAL");
            s.execute("CREATE TABLE notes (body TEXT)");
            s.execute("INSERT INTO notes VALUES ('mine')");
            // Copied while open: the log still holds the committed frames.
            Files.copy(other, file);
            Files.copy(elsewhere.resolve("notes.db-wal"), dir.resolve("history.db-wal"));
        }
        assertThat(Files.size(dir.resolve("history.db-wal"))).isPositive();
        assertRefusedUntouched(key, HistoryException.Reason.CORRUPT, "not a securep2p history database");
    }

    @Test
    void aHistoryUnderAnotherKeyWithItsLogIsRefusedAndNeitherFileIsTouched() throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path theirs = elsewhere.resolve("history.db");
        try (SecretBytes other = t.key();
                SqliteHistoryStore store = HistoryTesting.open(theirs, other, Retention.forever())) {
            store.append(t.fingerprint(), HistoryMessage.sent(t.id(), T0, "theirs"));
            Files.copy(theirs, file);
            Files.copy(elsewhere.resolve("history.db-wal"), dir.resolve("history.db-wal"));
        }
        assertThat(Files.size(dir.resolve("history.db-wal"))).isPositive();
        assertRefusedUntouched(key, HistoryException.Reason.CORRUPT, "another key");
    }

    @Test
    void anSqliteDatabaseWithNothingInItBecomesTheHistory() throws Exception {
        // What a crash during the first commit leaves once SQLite has rolled it back: a header, no schema.
        sql("CREATE TABLE t (x)");
        sql("DROP TABLE t");
        assertThat(Files.size(file)).isPositive();
        Fingerprint bob = t.fingerprint();
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.append(bob, HistoryMessage.sent(t.id(), T0, "a"));
        }
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            assertThat(store.page(bob, Optional.empty(), 10)).hasSize(1);
        }
    }

    @Test
    void aFutureSchemaVersionIsRefusedAndLeftAlone() throws Exception {
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.append(t.fingerprint(), HistoryMessage.sent(t.id(), T0, "a"));
        }
        sql("PRAGMA user_version = 2");
        assertRefusedUntouched(key, HistoryException.Reason.UNKNOWN_VERSION, "version 2");
    }

    @Test
    void anAddedTriggerIsRefusedAndLeftAlone() throws Exception {
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.append(t.fingerprint(), HistoryMessage.sent(t.id(), T0, "a"));
        }
        sql("CREATE TRIGGER spy AFTER INSERT ON messages BEGIN DELETE FROM keycheck; END");
        assertRefusedUntouched(key, HistoryException.Reason.CORRUPT, "triggers");
    }

    @Test
    void theRefusalComesAgainAtEveryCall() throws Exception {
        Files.write(file, "not a database at all, just text".repeat(200).getBytes(StandardCharsets.US_ASCII));
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            for (int i = 0; i < 2; i++) {
                assertThatThrownBy(store::conversations).hasMessageContaining("not an SQLite database")
                        .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.CORRUPT);
            }
        }
    }

    // ---- the native library folder ----

    @Test
    void theNativeLibraryFolderIsPrivateAndBesideTheDatabase() throws Exception {
        String before = System.clearProperty(SqliteHistoryStore.TMPDIR_PROPERTY);
        try {
            SqliteHistoryStore.useNativeFolderBeside(file);
            Path folder = dir.resolve("native");
            assertThat(System.getProperty(SqliteHistoryStore.TMPDIR_PROPERTY)).isEqualTo(folder.toString());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder))).isEqualTo("rwx------");
        } finally {
            restore(before);
        }
    }

    @Test
    void copiesOfTheNativeLibraryLeftByKilledProcessesAreRemoved() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("native"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path leftover = Files.write(folder.resolve("sqlite-3.54.1.0-0b1c-libsqlitejdbc.so"), new byte[] {1});
        Path lock = Files.write(folder.resolve("sqlite-3.54.1.0-0b1c-libsqlitejdbc.so.lck"), new byte[0]);
        Path other = Files.write(folder.resolve("notes.txt"), new byte[] {2});
        String before = System.clearProperty(SqliteHistoryStore.TMPDIR_PROPERTY);
        try {
            SqliteHistoryStore.useNativeFolderBeside(file);
            assertThat(leftover).doesNotExist();
            assertThat(lock).doesNotExist();
            assertThat(other).exists();
        } finally {
            restore(before);
        }
    }

    @Test
    void aNativeLibraryFolderOthersCanWriteIsRefused() throws Exception {
        Files.createDirectory(dir.resolve("native"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxrwxrwx")));
        Files.setPosixFilePermissions(dir.resolve("native"), PosixFilePermissions.fromString("rwxrwxrwx"));
        String before = System.clearProperty(SqliteHistoryStore.TMPDIR_PROPERTY);
        try {
            assertThatThrownBy(() -> SqliteHistoryStore.useNativeFolderBeside(file))
                    .hasMessageContaining("group or others can write it")
                    .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.STORAGE_FAILED);
            assertThat(System.getProperty(SqliteHistoryStore.TMPDIR_PROPERTY)).isNull();
        } finally {
            restore(before);
        }
    }

    @Test
    void aNativeLibraryFolderOwnedByAnotherUserIsRefused() throws Exception {
        assumeTrue(isRoot(), "only root can give a folder to another user");
        Path folder = Files.createDirectory(dir.resolve("native"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setAttribute(folder, "unix:uid", 65534);
        String before = System.clearProperty(SqliteHistoryStore.TMPDIR_PROPERTY);
        try {
            assertThatThrownBy(() -> SqliteHistoryStore.useNativeFolderBeside(file))
                    .hasMessageContaining("not by the user running securep2p")
                    .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.STORAGE_FAILED);
            assertThat(System.getProperty(SqliteHistoryStore.TMPDIR_PROPERTY)).isNull();
        } finally {
            restore(before);
        }
    }

    @Test
    void aHistoryFileOthersCanWriteIsRefusedAndLeftAlone() throws Exception {
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.append(t.fingerprint(), HistoryMessage.sent(t.id(), T0, "a"));
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertRefusedUntouched(key, HistoryException.Reason.STORAGE_FAILED, "group or others can write it");
    }

    @Test
    void aHistoryFileOwnedByAnotherUserIsRefusedAndLeftAlone() throws Exception {
        assumeTrue(isRoot(), "only root can give a file to another user");
        try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.append(t.fingerprint(), HistoryMessage.sent(t.id(), T0, "a"));
        }
        Files.setAttribute(file, "unix:uid", 65534);
        assertRefusedUntouched(key, HistoryException.Reason.STORAGE_FAILED, "not by the user running securep2p");
    }

    private static boolean isRoot() throws Exception {
        return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    }

    // ---- helpers ----

    private static void restore(String before) {
        if (before == null) {
            System.clearProperty(SqliteHistoryStore.TMPDIR_PROPERTY);
        } else {
            System.setProperty(SqliteHistoryStore.TMPDIR_PROPERTY, before);
        }
    }

    private void assertRefusedUntouched(SecretBytes k, HistoryException.Reason reason, String sentence)
            throws Exception {
        byte[] before = Files.readAllBytes(file);
        List<Path> filesBefore = listDir();
        java.util.Map<Path, byte[]> contentsBefore = new java.util.HashMap<>();
        for (Path p : filesBefore) {
            if (Files.isRegularFile(p)) {
                contentsBefore.put(p, Files.readAllBytes(p));
            }
        }
        try (SqliteHistoryStore store = HistoryTesting.open(file, k, Retention.forever())) {
            assertThatThrownBy(store::conversations).isInstanceOf(HistoryException.class)
                    .hasMessageContaining(sentence)
                    .extracting(e -> ((HistoryException) e).reason()).isEqualTo(reason);
            assertThatThrownBy(() -> store.append(t.fingerprint(), HistoryMessage.sent(t.id(), T0, "b")))
                    .extracting(e -> ((HistoryException) e).reason()).isEqualTo(reason);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        assertThat(listDir()).isEqualTo(filesBefore);
        for (Path p : contentsBefore.keySet()) {
            assertThat(Files.readAllBytes(p)).as(p.getFileName().toString()).isEqualTo(contentsBefore.get(p));
        }
    }

    private List<Path> listDir() throws Exception {
        try (var s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().equals("native")
                    && !p.getFileName().toString().equals("elsewhere")).sorted().toList();
        }
    }

    private static void assertCorrupt(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(HistoryException.class)
                .hasMessageContaining("fails authentication")
                .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.CORRUPT);
    }

    private List<byte[]> databaseFiles() throws Exception {
        List<byte[]> out = new ArrayList<>();
        for (String suffix : new String[] {"", "-wal", "-journal", "-shm"}) {
            Path p = dir.resolve("history.db" + suffix);
            if (Files.exists(p)) {
                out.add(Files.readAllBytes(p));
            }
        }
        assertThat(out).isNotEmpty();
        return out;
    }

    private static void assertNoneIn(List<byte[]> secrets, List<byte[]> files) {
        for (byte[] f : files) {
            for (byte[] s : secrets) {
                assertThat(contains(f, s)).as("a secret of %d bytes found in a database file", s.length).isFalse();
            }
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private Connection jdbc() throws Exception {
        return DriverManager.getConnection("jdbc:sqlite:" + file);
    }

    /**
     * Swaps one column between the two rows of conversations through a saved copy (an UPDATE reading the
     * table it changes would see the first row's new value; name_key is unique, hence the NULL first).
     */
    private void swapBetweenConversations(String column) throws Exception {
        sql("CREATE TABLE saved AS SELECT id, " + column + " AS v FROM conversations");
        sql("UPDATE conversations SET " + column + " = NULL WHERE " + column + " IS NOT NULL AND 0 = (SELECT count(*)"
                + " FROM pragma_table_info('conversations') WHERE name = '" + column + "' AND \"notnull\" = 1)");
        sql("UPDATE conversations SET " + column + " = (SELECT v FROM saved WHERE saved.id <> conversations.id)");
        sql("DROP TABLE saved");
    }

    /** An attacker's edit with plain JDBC, the store closed. */
    private void sql(String statement) throws Exception {
        try (Connection c = jdbc(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
