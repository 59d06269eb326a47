package org.securep2p.keymanager;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real children run from jars alone, as the app's are: the first makes the class-data archive when it exits, the
 * next maps it (seen in /proc/PID/maps), a rebuilt jar makes a new one, and a child killed while it would have
 * made one leaves nothing behind.
 */
class ClassDataArchiveIT {

    @TempDir
    Path temp;

    private final SecureRandom random = new SecureRandom();
    private Path lib;
    private String classPath;

    /** This JVM's class path with every directory left out, its jars copied into one directory. */
    @BeforeEach
    void jarsOnly() throws Exception {
        lib = Files.createDirectories(temp.resolve("lib"));
        List<String> jars = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path source = Path.of(entry);
            if (Files.isRegularFile(source) && entry.endsWith(".jar")) {
                Path copy = lib.resolve(jars.size() + "-" + source.getFileName());
                Files.copy(source, copy);
                jars.add(copy.toString());
            }
        }
        classPath = String.join(File.pathSeparator, jars);
    }

    private List<String> archivesAndPartials() throws Exception {
        try (Stream<Path> files = Files.list(lib)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("keymanager-")).sorted()
                    .toList();
        }
    }

    private static String mapsOf(long pid) throws Exception {
        return Files.readString(Path.of("/proc", Long.toString(pid), "maps"));
    }

    @Test
    void theFirstChildMakesTheArchiveTheNextMapsItAndARebuildReplacesIt() throws Exception {
        Path archive;
        try (KeyManagerProcess first = KeyManagerProcess.startWithClassPath(temp.resolve("km1"), random, classPath)) {
            archive = first.classDataArchive().orElseThrow();
            assertThat(archive.getParent()).isEqualTo(lib);
            assertThat(archive).doesNotExist();
            assertThat(first.client().fetchIdentity()).isNotNull();
        }
        // Written by the child on its way out, renamed by us once it exited normally.
        assertThat(archivesAndPartials()).containsExactly(archive.getFileName().toString());

        try (KeyManagerProcess second = KeyManagerProcess.startWithClassPath(temp.resolve("km2"), random,
                classPath)) {
            assertThat(second.classDataArchive()).contains(archive);
            assertThat(mapsOf(second.pid())).contains(archive.toString());
            assertThat(second.client().fetchIdentity()).isNotNull();
        }
        assertThat(archivesAndPartials()).containsExactly(archive.getFileName().toString());

        // A rebuilt jar: the old archive no longer matches, a new one is made and the old one removed.
        Path aJar = Path.of(classPath.split(File.pathSeparator)[0]);
        Files.setLastModifiedTime(aJar, FileTime.from(Instant.now().plusSeconds(5)));
        Path rebuilt;
        try (KeyManagerProcess third = KeyManagerProcess.startWithClassPath(temp.resolve("km3"), random, classPath)) {
            rebuilt = third.classDataArchive().orElseThrow();
            assertThat(rebuilt).isNotEqualTo(archive);
            assertThat(mapsOf(third.pid())).doesNotContain(archive.toString());
        }
        assertThat(archivesAndPartials()).containsExactly(rebuilt.getFileName().toString());
    }

    @Test
    void aChildKilledBeforeItCouldWriteTheArchiveLeavesNothing() throws Exception {
        try (KeyManagerProcess p = KeyManagerProcess.startWithClassPath(temp.resolve("km"), random, classPath)) {
            ProcessHandle.of(p.pid()).orElseThrow().destroyForcibly();
            p.process().waitFor();
        }
        assertThat(archivesAndPartials()).isEmpty();
    }

    @Test
    void aClassPathWithADirectoryRunsWithoutAnArchive() throws Exception {
        Files.createDirectories(temp.resolve("classes"));
        try (KeyManagerProcess p = KeyManagerProcess.startWithClassPath(temp.resolve("km"), random,
                temp.resolve("classes") + File.pathSeparator + classPath)) {
            assertThat(p.classDataArchive()).isEmpty();
            assertThat(p.client().fetchIdentity()).isNotNull();
        }
        assertThat(archivesAndPartials()).isEmpty();
    }
}
