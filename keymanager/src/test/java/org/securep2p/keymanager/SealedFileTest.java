package org.securep2p.keymanager;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.SecretBytes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class SealedFileTest {

    @TempDir
    Path temp;

    private Path dir;
    private final SecureRandom random = new SecureRandom();
    private SecretBytes key;
    private static final byte[] CONTENT = "identity key bytes".getBytes(StandardCharsets.US_ASCII);

    @BeforeEach
    void setUp() throws Exception {
        dir = temp.resolve("keys");
        KeyDirectory.ensure(dir);
        byte[] k = new byte[32];
        random.nextBytes(k);
        key = SecretBytes.copyOf(k);
    }

    @Test
    void roundTrips() throws Exception {
        Path file = dir.resolve("identity.key");
        SealedFile.write(file, "identity", CONTENT, key, random);
        assertThat(SealedFile.read(file, "identity", key)).isEqualTo(CONTENT);
        assertThat(Files.size(file)).isEqualTo(SealedFile.MIN_LENGTH + CONTENT.length);
    }

    @Test
    void replacesAnOldVersionAtomically() throws Exception {
        Path file = dir.resolve("identity.key");
        SealedFile.write(file, "identity", CONTENT, key, random);
        SealedFile.write(file, "identity", new byte[] {1, 2, 3}, key, random);
        assertThat(SealedFile.read(file, "identity", key)).containsExactly(1, 2, 3);
        assertNoTempFileIn(dir);
    }

    @Test
    void rejectsEveryTruncationAndLeavesTheFileUntouched() throws Exception {
        Path file = dir.resolve("identity.key");
        SealedFile.write(file, "identity", CONTENT, key, random);
        byte[] original = Files.readAllBytes(file);
        for (int length = 0; length < original.length; length++) {
            byte[] truncated = Arrays.copyOf(original, length);
            Files.write(file, truncated);
            KeyManagerException e = catchThrowableOfType(() -> SealedFile.read(file, "identity", key),
                    KeyManagerException.class);
            assertThat(e).as("truncated to %d bytes", length).isNotNull();
            assertThat(e.reason()).as("truncated to %d bytes", length).isEqualTo(KeyManagerException.Reason.CORRUPT_FILE);
            assertThat(Files.readAllBytes(file)).isEqualTo(truncated);
        }
    }

    @Test
    void rejectsEverySingleBitFlipAndLeavesTheFileUntouched() throws Exception {
        Path file = dir.resolve("identity.key");
        SealedFile.write(file, "identity", CONTENT, key, random);
        byte[] original = Files.readAllBytes(file);
        for (int bit = 0; bit < original.length * 8; bit++) {
            byte[] flipped = original.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            Files.write(file, flipped);
            KeyManagerException e = catchThrowableOfType(() -> SealedFile.read(file, "identity", key),
                    KeyManagerException.class);
            assertThat(e).as("bit %d", bit).isNotNull();
            // A flip in the version byte names another version; everything else is damage.
            KeyManagerException.Reason expected = bit / 8 == SealedFile.MAGIC.length
                    ? KeyManagerException.Reason.UNKNOWN_VERSION : KeyManagerException.Reason.CORRUPT_FILE;
            assertThat(e.reason()).as("bit %d", bit).isEqualTo(expected);
            assertThat(Files.readAllBytes(file)).isEqualTo(flipped);
        }
    }

    @Test
    void rejectsAppendedBytes() throws Exception {
        Path file = dir.resolve("identity.key");
        SealedFile.write(file, "identity", CONTENT, key, random);
        byte[] original = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(original, original.length + 1));
        assertReason(() -> SealedFile.read(file, "identity", key), KeyManagerException.Reason.CORRUPT_FILE);
    }

    @Test
    void rejectsWrongRole() throws Exception {
        Path file = dir.resolve("identity.key");
        SealedFile.write(file, "identity", CONTENT, key, random);
        assertReason(() -> SealedFile.read(file, "prekeys", key), KeyManagerException.Reason.CORRUPT_FILE);
    }

    @Test
    void rejectsWrongKey() throws Exception {
        Path file = dir.resolve("identity.key");
        SealedFile.write(file, "identity", CONTENT, key, random);
        try (SecretBytes other = SecretBytes.copyOf(new byte[32])) {
            assertReason(() -> SealedFile.read(file, "identity", other), KeyManagerException.Reason.CORRUPT_FILE);
        }
    }

    @Test
    void rejectsUnknownVersion() throws Exception {
        Path file = dir.resolve("identity.key");
        SealedFile.write(file, "identity", CONTENT, key, random);
        byte[] bytes = Files.readAllBytes(file);
        bytes[SealedFile.MAGIC.length] = 2;
        Files.write(file, bytes);
        assertReason(() -> SealedFile.read(file, "identity", key), KeyManagerException.Reason.UNKNOWN_VERSION);
    }

    @Test
    void rejectsForeignMagic() throws Exception {
        Path file = dir.resolve("identity.key");
        Files.write(file, new byte[SealedFile.MIN_LENGTH + 10]);
        assertReason(() -> SealedFile.read(file, "identity", key), KeyManagerException.Reason.CORRUPT_FILE);
    }

    @Test
    void rejectsOversizedFileBeforeReadingIt() throws Exception {
        Path file = dir.resolve("identity.key");
        Files.write(file, new byte[(int) KeyDirectory.MAX_FILE_BYTES + 1]);
        assertReason(() -> SealedFile.read(file, "identity", key), KeyManagerException.Reason.CORRUPT_FILE);
    }

    @Test
    void writesPrivateFileInPrivateDirectoryAndNoTempFile() throws Exception {
        Path file = dir.resolve("identity.key");
        SealedFile.write(file, "identity", CONTENT, key, random);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertNoTempFileIn(dir);
    }

    @Test
    void rejectsDirectoryWritableByOthers() throws Exception {
        Path loose = temp.resolve("loose");
        Files.createDirectory(loose);
        Files.setPosixFilePermissions(loose, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertReason(() -> KeyDirectory.ensure(loose), KeyManagerException.Reason.INSECURE_DIRECTORY);
    }

    @Test
    void refusesBadRoleNames() {
        assertThatThrownBy(() -> SealedFile.write(dir.resolve("x"), "Bad Role", CONTENT, key, random))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void failedWriteLeavesOldFileAndNoTempFile() throws Exception {
        Path file = dir.resolve("identity.key");
        SealedFile.write(file, "identity", CONTENT, key, random);
        byte[] before = Files.readAllBytes(file);
        // A directory in the way of the rename: the write fails after the temp file was written.
        Path blocked = dir.resolve("blocked");
        Files.createDirectory(blocked);
        Files.writeString(blocked.resolve("child"), "x");
        assertReason(() -> SealedFile.write(blocked, "identity", CONTENT, key, random),
                KeyManagerException.Reason.STORAGE_FAILED);
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        assertNoTempFileIn(dir);
    }

    static void assertNoTempFileIn(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    interface Action {
        void run() throws Exception;
    }

    static void assertReason(Action action, KeyManagerException.Reason reason) {
        KeyManagerException e = catchThrowableOfType(action::run, KeyManagerException.class);
        assertThat(e).as("expected %s", reason).isNotNull();
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.getMessage()).startsWith(reason.name());
    }
}
