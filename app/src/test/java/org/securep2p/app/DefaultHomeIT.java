package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: without {@code --home} the program keeps everything in the XDG data folder (or {@code SECUREP2P_HOME})
 * and writes nothing into the folder it was started from, which is often a git clone.
 */
class DefaultHomeIT {

    @TempDir
    Path dir;

    @Test
    void withoutHomeUsesTheXdgDataFolderAndLeavesTheWorkingDirectoryAlone() throws Exception {
        Path cwd = Files.createDirectory(dir.resolve("clone"));
        Path xdg = dir.resolve("xdg-data");
        runOnce(cwd, Map.of("XDG_DATA_HOME", xdg.toString(), "HOME", dir.resolve("user").toString()));

        try (Stream<Path> left = Files.list(cwd)) {
            assertThat(left).as("files written into the working directory").isEmpty();
        }
        Path home = xdg.resolve("securep2p");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home))).isEqualTo("rwx------");
        assertThat(home.resolve("keys")).isDirectory();
        assertThat(home.resolve("profile.properties")).isRegularFile();
        assertThat(dir.resolve("user")).doesNotExist();
    }

    @Test
    void securep2pHomeNamesTheHome() throws Exception {
        Path cwd = Files.createDirectory(dir.resolve("clone"));
        Path chosen = dir.resolve("chosen");
        runOnce(cwd, Map.of("SECUREP2P_HOME", chosen.toString(), "XDG_DATA_HOME", dir.resolve("xdg").toString()));

        try (Stream<Path> left = Files.list(cwd)) {
            assertThat(left).isEmpty();
        }
        assertThat(chosen.resolve("keys")).isDirectory();
        assertThat(dir.resolve("xdg")).doesNotExist();
    }

    /** Starts {@code securep2p --json} in {@code cwd} without --home, waits for ready, quits. */
    private void runOnce(Path cwd, Map<String, String> env) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("securep2p.jar", "target/securep2p-app.jar")).toAbsolutePath();
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "default home test passphrase");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        ProcessBuilder b = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "--json", "--name", "alice")).directory(cwd.toFile())
                .redirectError(dir.resolve("stderr.txt").toFile());
        b.environment().remove("SECUREP2P_HOME");
        b.environment().remove("XDG_DATA_HOME");
        b.environment().put("SECUREP2P_PASSPHRASE_FILE", pass.toString());
        b.environment().put("DBUS_SESSION_BUS_ADDRESS", "disabled:");
        b.environment().putAll(env);
        Process p = b.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertThat(first).as("first line; stderr: %s", Files.readString(dir.resolve("stderr.txt")))
                    .contains("\"ready\"");
            try (OutputStream in = p.getOutputStream()) {
                in.write("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"quit\"}\n".getBytes(StandardCharsets.UTF_8));
            }
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
    }
}
