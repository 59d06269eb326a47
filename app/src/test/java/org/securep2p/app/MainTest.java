package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    @TempDir
    Path home;

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void helpListsEveryOption() {
        assertThat(run("--help")).isEqualTo(Main.OK);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--home", "--name", "--level", "--stun", "--turn",
                "--turn-user", "--turn-password-file", "--port", "--trust", "--json", "ca");
    }

    @Test
    void refusesUnknownLevelWithUsage() {
        assertThat(run("--level", "MAXIMUM", "--home", home.toString())).isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("MAXIMUM").contains("Usage:");
    }

    @Test
    void refusesUnknownOptionAndMissingValue() {
        assertThat(run("--frobnicate")).isEqualTo(Main.USAGE);
        assertThat(run("--level")).isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--frobnicate").contains("--level");
    }

    @Test
    void refusesPortOutOfRange() {
        assertThat(run("--port", "70000", "--home", home.toString())).isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--port must be 1..65535");
    }

    @Test
    void aTrustSettingThatNamesNoCaCertificateIsRefusedAndNotSaved() throws Exception {
        assertThat(run("--json", "--name", "x", "--home", home.toString(), "--trust", "ca:" + home.resolve("none.crt")))
                .isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no CA certificate at");
        assertThat(run("--json", "--name", "x", "--home", home.toString(), "--trust", "sometimes"))
                .isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("'codes' or 'ca:PATH'");
        java.nio.file.Path profile = home.resolve("profile.properties");
        assertThat(!java.nio.file.Files.exists(profile)
                || !java.nio.file.Files.readString(profile).contains("trust=ca")).isTrue();
    }

    @Test
    void headlessFirstRunWithoutANameSaysWhatToDo() {
        assertThat(run("--json", "--home", home.toString())).isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--name NAME");
    }

    @Test
    void refusesAUsernameWithControlCharacters() {
        assertThat(run("--json", "--home", home.toString(), "--name", "evil\u001b[2J")).isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("username");
    }

    @Test
    void turnUserWithoutPasswordFileIsRefusedBeforeAnythingStarts() {
        assertThat(Main.run(new String[] {"--json", "--home", home.toString(), "--name", "a", "--turn-user", "u"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)))
                .isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--turn-user needs --turn-password-file");
    }
}
