package org.securep2p.keymanager;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChildRuntimeTest {

    @TempDir
    Path temp;

    private Path runtime(String name, String release) throws IOException {
        Path home = Files.createDirectories(temp.resolve(name).resolve("bin")).getParent();
        Path java = Files.writeString(home.resolve("bin").resolve("java"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(home.resolve("release"), release);
        return home;
    }

    @Test
    void runsTheChildOnTheRuntimeTheLauncherNames() throws IOException {
        Path jdk17 = runtime("jdk17", """
                IMPLEMENTOR="Debian"
                JAVA_RUNTIME_VERSION="17.0.15+6-Debian-1deb12u1"
                JAVA_VERSION="17.0.15"
                """);
        ChildRuntime chosen = ChildRuntime.choose(jdk17.toString());
        assertThat(chosen.home()).isEqualTo(jdk17);
        assertThat(chosen.feature()).isEqualTo(17);
        assertThat(chosen.version()).isEqualTo("17.0.15+6-Debian-1deb12u1");
    }

    @Test
    void fallsBackToTheAppsRuntimeForAnythingElse() throws IOException {
        Path own = Path.of(System.getProperty("java.home"));
        Path jdk11 = runtime("jdk11", "JAVA_VERSION=\"11.0.2\"\n");
        Path java8 = runtime("java8", "JAVA_VERSION=\"1.8.0_392\"\n");
        Path noRelease = Files.createDirectories(temp.resolve("bare").resolve("bin")).getParent();
        for (String requested : new String[] {null, "", "relative/jdk", jdk11.toString(), java8.toString(),
                noRelease.toString(), temp.resolve("missing").toString()}) {
            assertThat(ChildRuntime.choose(requested).home()).as("%s", requested).isEqualTo(own);
        }
    }
}
