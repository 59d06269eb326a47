package org.securep2p.keymanager;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Instant;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.HandshakeResult;
import org.securep2p.crypto.HybridHandshake;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.InitialMessage;
import org.securep2p.crypto.KeyStateSecrets;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real children run from jars alone, as the app's are: the first makes the class-data archive when it exits, the
 * next maps it (seen in /proc/PID/maps), a rebuilt jar makes a new one, a child killed while it would have made
 * one leaves nothing behind, a damaged archive is refused rather than run, and an archive holds none of the keys
 * of the child that made it.
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
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator, -1)) {
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
        Path aJar = Path.of(classPath.split(File.pathSeparator, -1)[0]);
        Files.setLastModifiedTime(aJar, FileTime.from(Instant.now().plusSeconds(5)));
        Path rebuilt;
        try (KeyManagerProcess third = KeyManagerProcess.startWithClassPath(temp.resolve("km3"), random, classPath)) {
            rebuilt = third.classDataArchive().orElseThrow();
            assertThat(rebuilt).isNotEqualTo(archive);
            assertThat(mapsOf(third.pid())).doesNotContain(archive.toString());
        }
        assertThat(archivesAndPartials()).containsExactly(rebuilt.getFileName().toString());
    }

    /**
     * The archive is written from the key manager's own memory, so it must hold class metadata only (a dynamic
     * archive never stores heap objects): after handshakes, none of the child's private keys is in it.
     * {@link KeyIsolationChild} tells the keys to look for; the test classes go into a jar so that the child runs
     * from jars alone and makes the archive.
     */
    @Test
    void theArchiveHoldsNoKeyOfTheChildThatMadeIt() throws Exception {
        Path testJar = lib.resolve("test-classes.jar");
        jarOf(Path.of(KeyIsolationChild.class.getProtectionDomain().getCodeSource().getLocation().toURI()), testJar);
        String withTests = testJar + File.pathSeparator + classPath;
        Path secretsFile = temp.resolve("child-private-state");
        Path archive;
        try (KeyManagerProcess p = KeyManagerProcess.startWithClassPath(temp.resolve("km"), random, withTests,
                KeyIsolationChild.class.getName(), List.of(secretsFile.toString()))) {
            archive = p.classDataArchive().orElseThrow();
            KeyManagerClient bob = p.client();
            HybridHandshake handshake = new HybridHandshake(random, Clock.systemUTC());
            try (InMemoryPrivateKeys alice = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0)) {
                for (int i = 0; i < 2; i++) {
                    PreKeyBundle bundle = bob.preKeyBundle();
                    try (HandshakeResult a = handshake.initiate(alice, bundle, SecurityLevel.QUANTUM_RESISTANT,
                            bob.identity().fingerprint(), new byte[] {1});
                            HandshakeResult b = handshake.respond(bob, bundle,
                                    InitialMessage.decode(a.initialMessage().orElseThrow().encode()),
                                    SecurityLevel.QUANTUM_RESISTANT)) {
                        assertThat(a.sessionSecret().equalsConstantTime(b.sessionSecret())).isTrue();
                    }
                }
            }
        }
        byte[] image = Files.readAllBytes(archive);
        // Control: the search finds what an archive of these classes must hold.
        assertThat(indexOf(image, KeyIsolationChild.class.getName().replace('.', '/')
                .getBytes(StandardCharsets.US_ASCII))).isNotNegative();
        byte[] state = Files.readAllBytes(secretsFile);
        List<KeyStateSecrets.Secret> secrets;
        try {
            secrets = KeyStateSecrets.privateKeys(state);
        } finally {
            Arrays.fill(state, (byte) 0);
        }
        assertThat(secrets).hasSizeGreaterThan(20);
        for (KeyStateSecrets.Secret secret : secrets) {
            assertThat(indexOf(image, Arrays.copyOf(secret.bytes(), 32)))
                    .as("%s of the key manager found in its class-data archive", secret.name()).isNegative();
            Arrays.fill(secret.bytes(), (byte) 0);
        }
    }

    private static void jarOf(Path classes, Path jar) throws Exception {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(file).toString().replace(File.separatorChar, '/')));
                out.write(Files.readAllBytes(file));
                out.closeEntry();
            }
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            if (haystack[i] != needle[0]) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void aDamagedArchiveIsRefusedAndTheChildServesWithoutIt() throws Exception {
        Path archive;
        try (KeyManagerProcess first = KeyManagerProcess.startWithClassPath(temp.resolve("km1"), random, classPath)) {
            archive = first.classDataArchive().orElseThrow();
        }
        // Flip bytes in the middle, where the archived classes are; the header stays valid.
        Files.setPosixFilePermissions(archive, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        byte[] image = Files.readAllBytes(archive);
        for (int i = image.length / 2; i < image.length / 2 + 64; i++) {
            image[i] ^= (byte) 0xFF;
        }
        Files.write(archive, image);
        try (KeyManagerProcess second = KeyManagerProcess.startWithClassPath(temp.resolve("km2"), random,
                classPath)) {
            assertThat(second.classDataArchive()).contains(archive);
            assertThat(second.client().fetchIdentity()).isNotNull();
            assertThat(mapsOf(second.pid())).doesNotContain(archive.toString());
        }
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
