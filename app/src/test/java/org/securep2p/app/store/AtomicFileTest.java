package org.securep2p.app.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtomicFileTest {

    @TempDir
    Path dir;

    @Test
    void writeThenReadReturnsTheSameBytesInAPrivateFile() throws Exception {
        Path file = dir.resolve("data.bin");
        AtomicFile.write(file, bytes("hello"));

        assertThat(AtomicFile.read(file, 100)).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("hello")));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(names()).containsExactly("data.bin");
    }

    @Test
    void replacesAnExistingFileCompletely() throws Exception {
        Path file = dir.resolve("data.bin");
        AtomicFile.write(file, bytes("a much longer first version"));
        AtomicFile.write(file, bytes("short"));

        assertThat(AtomicFile.read(file, 100).orElseThrow()).isEqualTo(bytes("short"));
    }

    @Test
    void survivesCrashBetweenTempWriteAndRename() throws Exception {
        Path file = dir.resolve("data.bin");
        AtomicFile.write(file, bytes("old"));
        Path leftover = dir.resolve(".data.bin.123.tmp");

        // The "crash": the new content is durable in the temp file, the rename never happens. A real crash
        // would leave the temp file behind, so keep a copy of it where the crash would have left it.
        assertThatThrownBy(() -> AtomicFile.write(file, bytes("new"), () -> {
            try (Stream<Path> entries = Files.list(dir)) {
                Path temp = entries.filter(p -> p.getFileName().toString().endsWith(".tmp")).findFirst().orElseThrow();
                assertThat(Files.readAllBytes(temp)).isEqualTo(bytes("new"));
                Files.copy(temp, leftover);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            throw new IllegalStateException("crash");
        })).hasMessage("crash");

        assertThat(AtomicFile.read(file, 100).orElseThrow()).isEqualTo(bytes("old"));
        assertThat(names()).containsExactlyInAnyOrder("data.bin", ".data.bin.123.tmp");
        assertThat(AtomicFile.removeLeftoverTemps(dir, "data.bin"::equals)).isEqualTo(1);
        assertThat(names()).containsExactly("data.bin");
        assertThat(AtomicFile.read(file, 100).orElseThrow()).isEqualTo(bytes("old"));
    }

    @Test
    void removesOnlyTheTempFilesOfItsTargets() throws Exception {
        for (String name : List.of(".data.bin.42.tmp", ".other.bin.42.tmp", ".data.bin.tmp", "data.bin.42.tmp",
                ".data.bin.x42.tmp", "data.bin")) {
            Files.write(dir.resolve(name), bytes("x"));
        }

        assertThat(AtomicFile.removeLeftoverTemps(dir, "data.bin"::equals)).isEqualTo(1);
        assertThat(names()).containsExactlyInAnyOrder(".other.bin.42.tmp", ".data.bin.tmp", "data.bin.42.tmp",
                ".data.bin.x42.tmp", "data.bin");
    }

    @Test
    void readOfAMissingFileIsEmpty() throws Exception {
        assertThat(AtomicFile.read(dir.resolve("absent"), 100)).isEmpty();
    }

    @Test
    void refusesFileLargerThanTheLimitWithoutReadingIt() throws Exception {
        Path file = dir.resolve("big");
        Files.write(file, new byte[101]);

        assertThatThrownBy(() -> AtomicFile.read(file, 100)).isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(((StoreException) e).reason()).isEqualTo(StoreException.Reason.CORRUPT));
        assertThat(AtomicFile.read(file, 101).orElseThrow()).hasSize(101);
    }

    @Test
    void doesNotFollowASymbolicLink() throws Exception {
        Path target = dir.resolve("target");
        Files.write(target, bytes("elsewhere"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);

        assertThatThrownBy(() -> AtomicFile.read(link, 100)).isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(((StoreException) e).reason())
                        .isEqualTo(StoreException.Reason.STORAGE_FAILED));
    }

    @Test
    void createsMissingDirectoryWithMode0700() throws Exception {
        Path sub = dir.resolve("a/b");
        AtomicFile.ensureDirectory(sub);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sub))).isEqualTo("rwx------");
    }

    @Test
    void refusesDirectoryThatOthersCanWrite() throws Exception {
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThatThrownBy(() -> AtomicFile.ensureDirectory(shared)).isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(((StoreException) e).reason())
                        .isEqualTo(StoreException.Reason.INSECURE_DIRECTORY));
    }

    @Test
    void deleteIsDurableAndReportsWhetherThereWasAFile() throws Exception {
        Path file = dir.resolve("data.bin");
        AtomicFile.write(file, bytes("x"));

        assertThat(AtomicFile.delete(file)).isTrue();
        assertThat(AtomicFile.delete(file)).isFalse();
        assertThat(names()).isEmpty();
    }

    private List<String> names() throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
