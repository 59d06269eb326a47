package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HomeTest {

    private static final Path ACCOUNT = Path.of("/home/account");

    @TempDir
    Path temp;

    @Test
    void defaultsToTheXdgDataFolderUnderHome() {
        assertThat(Home.defaultRoot(Map.of("HOME", "/home/alice"), ACCOUNT))
                .isEqualTo(Path.of("/home/alice/.local/share/securep2p"));
    }

    @Test
    void followsXdgDataHome() {
        assertThat(Home.defaultRoot(Map.of("HOME", "/home/alice", "XDG_DATA_HOME", "/data/alice"), ACCOUNT))
                .isEqualTo(Path.of("/data/alice/securep2p"));
    }

    @Test
    void securep2pHomeOverridesXdg() {
        assertThat(Home.defaultRoot(Map.of("HOME", "/home/alice", "XDG_DATA_HOME", "/data/alice",
                "SECUREP2P_HOME", "/srv/chat"), ACCOUNT)).isEqualTo(Path.of("/srv/chat"));
    }

    @Test
    void ignoresRelativeXdgDataHomeAndHomeAsTheSpecificationAsks() {
        // A relative value would put the keys wherever the program happens to be started: never the working directory.
        assertThat(Home.defaultRoot(Map.of("HOME", "/home/alice", "XDG_DATA_HOME", "data"), ACCOUNT))
                .isEqualTo(Path.of("/home/alice/.local/share/securep2p"));
        assertThat(Home.defaultRoot(Map.of("HOME", "."), ACCOUNT))
                .isEqualTo(Path.of("/home/account/.local/share/securep2p"));
        assertThat(Home.defaultRoot(Map.of("XDG_DATA_HOME", "", "SECUREP2P_HOME", " "), ACCOUNT))
                .isEqualTo(Path.of("/home/account/.local/share/securep2p"));
    }

    @Test
    void createsANewHomePrivate() throws IOException {
        Path root = temp.resolve("xdg").resolve("securep2p");
        new Home(root).createAll();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root))).isEqualTo("rwx------");
        assertThat(root.resolve("keys")).isDirectory();
    }

    @Test
    void refusesAHomeOthersCanWrite() throws IOException {
        Path shared = Files.createDirectory(temp.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> new Home(shared).createAll()).isInstanceOf(IOException.class)
                .hasMessageContaining("rwxrwxrwx");
        assertThat(shared.resolve("keys")).doesNotExist();
    }

    @Test
    void findsAHomeThatAnEarlierVersionMadeInTheWorkingDirectory() throws IOException {
        Path clone = Files.createDirectory(temp.resolve("clone"));
        Path newDefault = temp.resolve("xdg").resolve("securep2p");
        assertThat(Home.previousDefaultIn(clone, newDefault)).isEmpty();
        Files.createDirectory(clone.resolve("keys"));
        assertThat(Home.previousDefaultIn(clone, newDefault)).as("keys/ alone: not enough").isEmpty();
        Files.writeString(clone.resolve("profile.properties"), "username=alice\n");
        assertThat(Home.previousDefaultIn(clone, newDefault)).contains(clone);
        Files.createDirectories(newDefault);
        assertThat(Home.previousDefaultIn(clone, newDefault)).as("the new home exists: the user has chosen").isEmpty();
    }
}
