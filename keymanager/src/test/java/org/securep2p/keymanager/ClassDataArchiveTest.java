package org.securep2p.keymanager;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** Where the class-data archive lives, what names it, and that only a complete archive ever takes the name. */
class ClassDataArchiveTest {

    @TempDir
    Path temp;

    private final SecureRandom random = new SecureRandom();
    private Path lib;
    private String classPath;

    @BeforeEach
    void jars() throws Exception {
        lib = Files.createDirectories(temp.resolve("lib"));
        Path app = Files.write(lib.resolve("app.jar"), new byte[] {1, 2, 3});
        Path dep = Files.write(lib.resolve("dep.jar"), new byte[] {4, 5});
        classPath = app + File.pathSeparator + dep;
    }

    private ClassDataArchive archive() {
        return ClassDataArchive.forClassPath(classPath, "/jdk", "17.0.15+6", random).orElseThrow();
    }

    private List<String> filesIn(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void livesBesideTheFirstJarAndIsMadeWhenAbsent() {
        ClassDataArchive archive = archive();
        assertThat(archive.path().getParent()).isEqualTo(lib);
        assertThat(archive.path().getFileName().toString()).matches("keymanager-[0-9a-f]{24}\\.jsa");
        assertThat(archive.makes()).isTrue();
        assertThat(archive.jvmOptions()).hasSize(2);
        assertThat(archive.jvmOptions().get(0)).startsWith("-XX:ArchiveClassesAtExit=" + archive.path() + ".partial-");
        // The dump's warnings (one per class of a signed jar) must never reach stdout, where the ready line is.
        assertThat(archive.jvmOptions().get(1)).isEqualTo("-Xlog:cds*=error:stderr");
    }

    @Test
    void anExistingArchiveIsUsed() throws Exception {
        Files.write(archive().path(), new byte[] {9});
        ClassDataArchive archive = archive();
        assertThat(archive.makes()).isFalse();
        assertThat(archive.jvmOptions()).containsExactly("-XX:SharedArchiveFile=" + archive.path(),
                "-XX:+VerifySharedSpaces");
    }

    @Test
    void theNameChangesWithAnyJarOrTheRuntime() throws Exception {
        Path before = archive().path();
        assertThat(archive().path()).isEqualTo(before);
        assertThat(ClassDataArchive.forClassPath(classPath, "/other-jdk", "17.0.15+6", random).orElseThrow().path())
                .isNotEqualTo(before);
        assertThat(ClassDataArchive.forClassPath(classPath, "/jdk", "21.0.1+12", random).orElseThrow().path())
                .isNotEqualTo(before);
        Files.setLastModifiedTime(lib.resolve("dep.jar"), FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
        Path touched = archive().path();
        assertThat(touched).isNotEqualTo(before);
        Files.write(lib.resolve("dep.jar"), new byte[] {4, 5, 6});
        assertThat(archive().path()).isNotEqualTo(touched).isNotEqualTo(before);
    }

    @Test
    void theNameChangesWithAJarTheAppJarsManifestNames() throws Exception {
        Path libs = Files.createDirectories(lib.resolve("lib"));
        Path bc = Files.write(libs.resolve("bc.jar"), new byte[] {1});
        java.util.jar.Manifest manifest = new java.util.jar.Manifest();
        manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(java.util.jar.Attributes.Name.CLASS_PATH, "lib/bc.jar");
        Path app = lib.resolve("real-app.jar");
        try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(app), manifest)) {
            out.putNextEntry(new java.util.zip.ZipEntry("a.txt"));
            out.write(1);
        }
        Path before = ClassDataArchive.forClassPath(app.toString(), "/jdk", "17", random).orElseThrow().path();
        // A rebuild rewrites the library and leaves the app jar as it was.
        Files.write(bc, new byte[] {1, 2});
        assertThat(ClassDataArchive.forClassPath(app.toString(), "/jdk", "17", random).orElseThrow().path())
                .isNotEqualTo(before);
    }

    @Test
    void noArchiveForAClassPathWithADirectoryOrAMissingEntry() throws Exception {
        Path classes = Files.createDirectories(temp.resolve("classes"));
        assertThat(ClassDataArchive.forClassPath(classes + File.pathSeparator + classPath, "/jdk", "17", random))
                .isEmpty();
        assertThat(ClassDataArchive.forClassPath(classPath + File.pathSeparator + classes, "/jdk", "17", random))
                .isEmpty();
        assertThat(ClassDataArchive.forClassPath(lib.resolve("gone.jar").toString(), "/jdk", "17", random)).isEmpty();
        assertThat(ClassDataArchive.forClassPath("", "/jdk", "17", random)).isEmpty();
        // A trailing separator puts the working directory on the class path, as a leading one would.
        assertThat(ClassDataArchive.forClassPath(classPath + File.pathSeparator, "/jdk", "17", random)).isEmpty();
        assertThat(ClassDataArchive.forClassPath(null, "/jdk", "17", random)).isEmpty();
    }

    @Test
    void aNormallyExitedChildsArchiveTakesTheNameAndOlderArchivesGo() throws Exception {
        Path stale = Files.write(lib.resolve("keymanager-000000000000000000000000.jsa"), new byte[] {7});
        ClassDataArchive archive = archive();
        Path partial = partialOf(archive);
        Files.write(partial, new byte[] {1, 2, 3, 4});
        archive.childEnded(true);
        assertThat(archive.path()).hasBinaryContent(new byte[] {1, 2, 3, 4});
        assertThat(partial).doesNotExist();
        assertThat(stale).doesNotExist();
        assertThat(filesIn(lib)).containsExactly("app.jar", "dep.jar", archive.path().getFileName().toString());
    }

    @Test
    void eachVariantOfStartHasItsOwnArchiveAndMakingOneKeepsTheOthers() throws Exception {
        ClassDataArchive keyring = ClassDataArchive.forClassPath(classPath, "/jdk", "17.0.15+6",
                ClassDataArchive.Variant.KEYRING, random).orElseThrow();
        assertThat(keyring.path().getFileName().toString()).matches("keymanager-keyring-[0-9a-f]{24}\\.jsa");
        Files.write(keyring.path(), new byte[] {5});
        Path staleAny = Files.write(lib.resolve("keymanager-000000000000000000000000.jsa"), new byte[] {7});
        Path stalePassphrase = Files.write(lib.resolve("keymanager-passphrase-000000000000000000000000.jsa"),
                new byte[] {7});
        ClassDataArchive passphrase = ClassDataArchive.forClassPath(classPath, "/jdk", "17.0.15+6",
                ClassDataArchive.Variant.PASSPHRASE, random).orElseThrow();
        assertThat(passphrase.path().getFileName().toString()).matches("keymanager-passphrase-[0-9a-f]{24}\\.jsa");
        assertThat(passphrase.makes()).isTrue();
        Files.write(partialOf(passphrase), new byte[] {1, 2});
        passphrase.childEnded(true);
        assertThat(passphrase.path()).hasBinaryContent(new byte[] {1, 2});
        assertThat(stalePassphrase).doesNotExist();
        assertThat(keyring.path()).hasBinaryContent(new byte[] {5});
        assertThat(staleAny).exists();
        assertThat(archive().path()).isNotIn(keyring.path(), passphrase.path());
    }

    @Test
    void anAbandonedPartialFileGoesButAnotherChildsFreshOneStays() throws Exception {
        Path abandoned = Files.write(lib.resolve(archive().path().getFileName() + ".partial-0000000000000000"),
                new byte[] {1});
        Files.setLastModifiedTime(abandoned, FileTime.from(Instant.now().minusSeconds(3600)));
        Path inProgress = Files.write(lib.resolve(archive().path().getFileName() + ".partial-1111111111111111"),
                new byte[] {1});
        ClassDataArchive archive = archive();
        Files.write(partialOf(archive), new byte[] {1, 2, 3});
        archive.childEnded(true);
        assertThat(abandoned).doesNotExist();
        assertThat(inProgress).exists();
        assertThat(archive.path()).exists();
    }

    @Test
    void anInterruptedOrFailedDumpIsDeletedAndNeverNamed() throws Exception {
        ClassDataArchive killed = archive();
        Files.write(partialOf(killed), new byte[] {1, 2});
        killed.childEnded(false);
        assertThat(filesIn(lib)).containsExactly("app.jar", "dep.jar");

        ClassDataArchive empty = archive();
        Files.write(partialOf(empty), new byte[0]);
        empty.childEnded(true);
        assertThat(filesIn(lib)).containsExactly("app.jar", "dep.jar");

        ClassDataArchive nothingWritten = archive();
        nothingWritten.childEnded(true);
        assertThat(filesIn(lib)).containsExactly("app.jar", "dep.jar");
    }

    @Test
    void aChildThatUsedTheArchiveLeavesItAlone() throws Exception {
        Files.write(archive().path(), new byte[] {5});
        ClassDataArchive used = archive();
        used.childEnded(false);
        used.childEnded(true);
        assertThat(used.path()).hasBinaryContent(new byte[] {5});
    }

    @Test
    void eachChildMakingTheArchiveWritesItsOwnPartialFile() {
        assertThat(archive().jvmOptions().get(0)).isNotEqualTo(archive().jvmOptions().get(0));
    }

    private static Path partialOf(ClassDataArchive archive) {
        return Path.of(archive.jvmOptions().get(0).substring("-XX:ArchiveClassesAtExit=".length()));
    }
}
