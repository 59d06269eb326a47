package org.securep2p.app;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.ratchet.InMemorySessionStore;
import org.securep2p.ratchet.RatchetException;
import org.securep2p.ratchet.SessionCipher;
import org.securep2p.ratchet.SessionRecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileSessionStoreTest {

    @TempDir
    Path home;

    private Path dir;
    private SecretBytes key;
    private FileSessionStore store;

    @BeforeEach
    void open() throws Exception {
        dir = home.resolve("sessions");
        key = TestSessions.key(1);
        store = FileSessionStore.open(dir, key, TestSessions.seeded(99));
    }

    @AfterEach
    void close() {
        store.close();
        key.close();
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void roundTripsARecordAcrossReopen(SecurityLevel level) throws Exception {
        byte[] expected;
        try (SessionRecord record = TestSessions.initiator(level)) {
            expected = record.encode();
            store.store("bob", record);
        }
        try (FileSessionStore reopened = FileSessionStore.open(dir, key, TestSessions.seeded(3));
                SessionRecord loaded = reopened.load("bob").orElseThrow()) {
            assertThat(loaded.encode()).isEqualTo(expected);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("bob.session"))))
                .isEqualTo("rw-------");
    }

    @Test
    void fileIsSealedAndHoldsNoPlainRecordBytes() throws Exception {
        byte[] encoded;
        try (SessionRecord record = TestSessions.initiator(SecurityLevel.STANDARD)) {
            encoded = record.encode();
            store.store("bob", record);
        }
        byte[] file = Files.readAllBytes(dir.resolve("bob.session"));

        assertThat(file).hasSize(encoded.length + SealedFormat.OVERHEAD);
        assertThat(Arrays.copyOf(file, 5)).isEqualTo(new byte[] {'S', 'P', 'A', 'S', 1});
        // Any 16-byte window of the record (its keys included) would show through an unsealed file.
        for (int i = 0; i + 16 <= encoded.length; i += 16) {
            assertThat(indexOf(file, Arrays.copyOfRange(encoded, i, i + 16))).as("window at %d", i).isEqualTo(-1);
        }
    }

    @Test
    void twoWritesOfTheSameRecordUseFreshNonces() throws Exception {
        try (SessionRecord record = TestSessions.initiator(SecurityLevel.STANDARD)) {
            store.store("bob", record);
            byte[] first = Files.readAllBytes(dir.resolve("bob.session"));
            store.store("bob", record);
            byte[] second = Files.readAllBytes(dir.resolve("bob.session"));
            assertThat(Arrays.copyOfRange(second, 5, 17)).isNotEqualTo(Arrays.copyOfRange(first, 5, 17));
        }
    }

    @Test
    void loadOfAnUnknownIdIsEmpty() throws Exception {
        assertThat(store.load("nobody")).isEmpty();
    }

    @Test
    void rejectsSessionFileRenamedToAnotherId() throws Exception {
        storeStandard("bob");
        Files.move(dir.resolve("bob.session"), dir.resolve("carol.session"));

        assertRefused(() -> store.load("carol"), RatchetException.Reason.CORRUPT_STATE);
        assertThat(store.list()).containsExactly("carol");
    }

    @Test
    void refusesAFileSealedUnderAnotherKey() throws Exception {
        storeStandard("bob");
        try (SecretBytes other = TestSessions.key(2);
                FileSessionStore wrongKey = FileSessionStore.open(dir, other, TestSessions.seeded(5))) {
            assertRefused(() -> wrongKey.load("bob"), RatchetException.Reason.CORRUPT_STATE);
        }
        assertThat(store.load("bob")).isPresent();
    }

    @Test
    void tamperedFileIsRefusedAndLeftUntouched() throws Exception {
        storeStandard("bob");
        Path file = dir.resolve("bob.session");
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(file, bytes);

        assertRefused(() -> store.load("bob"), RatchetException.Reason.CORRUPT_STATE);
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
    }

    @Test
    void refusesUnknownVersion() throws Exception {
        storeStandard("bob");
        Path file = dir.resolve("bob.session");
        byte[] bytes = Files.readAllBytes(file);
        bytes[4] = 2;
        Files.write(file, bytes);

        assertRefused(() -> store.load("bob"), RatchetException.Reason.UNKNOWN_VERSION);
    }

    @Test
    void refusesAFileThatIsNotOurs() throws Exception {
        Files.write(dir.resolve("bob.session"), "{\"not\":\"sealed\"}".getBytes(StandardCharsets.UTF_8));
        assertRefused(() -> store.load("bob"), RatchetException.Reason.CORRUPT_STATE);

        Files.write(dir.resolve("bob.session"), new byte[] {'S', 'P', 'A', 'S', 1, 0, 0});
        assertRefused(() -> store.load("bob"), RatchetException.Reason.CORRUPT_STATE);
    }

    @Test
    void refusesAFileLargerThanTheLimitBeforeReadingIt() throws Exception {
        Files.write(dir.resolve("bob.session"), new byte[FileSessionStore.MAX_FILE_BYTES + 1]);
        assertRefused(() -> store.load("bob"), RatchetException.Reason.CORRUPT_STATE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "../bob", "a/b", "a.b", "bob.session", "caf\u00e9", " bob", "bob\n",
            "x12345678901234567890123456789012345678901234567890123456789012345"})
    void rejectsIdsThatAreNotSafeFileNames(String id) throws Exception {
        try (SessionRecord record = TestSessions.initiator(SecurityLevel.STANDARD)) {
            assertThatThrownBy(() -> store.store(id, record)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> store.load(id)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.delete(id)).isInstanceOf(IllegalArgumentException.class);
        assertThat(home.resolve("bob.session")).doesNotExist();
    }

    @Test
    void listsStoredSessionsAndIgnoresTempAndForeignFiles() throws Exception {
        storeStandard("carol");
        storeStandard("bob");
        storeStandard("A_-9");
        Files.write(dir.resolve(".dave.session.77.tmp"), new byte[] {1});
        Files.write(dir.resolve("notes.txt"), new byte[] {1});
        Files.write(dir.resolve("a.b.session"), new byte[] {1});

        assertThat(store.list()).containsExactly("A_-9", "bob", "carol");
    }

    @Test
    void openRemovesTempFilesACrashLeftBehind() throws Exception {
        storeStandard("bob");
        Files.write(dir.resolve(".bob.session.123.tmp"), new byte[] {1, 2, 3});

        try (FileSessionStore reopened = FileSessionStore.open(dir, key, TestSessions.seeded(3))) {
            assertThat(dir.resolve(".bob.session.123.tmp")).doesNotExist();
            assertThat(reopened.load("bob")).isPresent();
        }
    }

    @Test
    void deleteRemovesOnlyThatSession() throws Exception {
        storeStandard("bob");
        storeStandard("carol");

        assertThat(store.delete("bob")).isTrue();
        assertThat(store.delete("bob")).isFalse();
        assertThat(store.load("bob")).isEmpty();
        assertThat(store.list()).containsExactly("carol");
    }

    @Test
    void refusesAStorageKeyThatIsNot32Bytes() {
        try (SecretBytes shortKey = SecretBytes.copyOf(new byte[16])) {
            assertThatThrownBy(() -> FileSessionStore.open(dir, shortKey, TestSessions.seeded(1)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void refusesASessionDirectoryOthersCanWrite() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwx---"));
        assertThatThrownBy(() -> FileSessionStore.open(dir, key, TestSessions.seeded(1)))
                .isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(((StoreException) e).reason())
                        .isEqualTo(StoreException.Reason.INSECURE_DIRECTORY));
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void conversationContinuesAfterARestart(SecurityLevel level) throws Exception {
        InMemorySessionStore bobStore = new InMemorySessionStore();
        store.store("bob", TestSessions.initiator(level));
        bobStore.store("alice", TestSessions.responder(level));
        SessionCipher bob = new SessionCipher(bobStore, "alice", TestSessions.seeded(11), TestSessions.CLOCK);

        SessionCipher alice = new SessionCipher(store, "bob", TestSessions.seeded(12), TestSessions.CLOCK);
        byte[] first = alice.encrypt(text("before the restart"));
        store.close();

        // A new process: the same directory and key, nothing kept in memory.
        store = FileSessionStore.open(dir, key, TestSessions.seeded(13));
        alice = new SessionCipher(store, "bob", TestSessions.seeded(14), TestSessions.CLOCK);
        byte[] second = alice.encrypt(text("after the restart"));

        assertThat(bob.decrypt(first)).isEqualTo(text("before the restart"));
        assertThat(bob.decrypt(second)).isEqualTo(text("after the restart"));
        assertThat(alice.decrypt(bob.encrypt(text("reply")))).isEqualTo(text("reply"));
    }

    @Test
    void toStringNamesTheDirectoryOnly() {
        assertThat(store.toString()).isEqualTo("FileSessionStore[" + dir + "]");
    }

    private void storeStandard(String id) throws RatchetException {
        try (SessionRecord record = TestSessions.initiator(SecurityLevel.STANDARD)) {
            store.store(id, record);
        }
    }

    private static void assertRefused(ThrowingLoad load, RatchetException.Reason reason) {
        assertThatThrownBy(load::run).isInstanceOf(RatchetException.class)
                .satisfies(e -> assertThat(((RatchetException) e).reason()).isEqualTo(reason));
    }

    private interface ThrowingLoad {
        void run() throws Exception;
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
