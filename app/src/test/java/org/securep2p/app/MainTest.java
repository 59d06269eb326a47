package org.securep2p.app;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"STANDARD", "enhanced", "QUANTUM_RESISTANT"})
    void printsFingerprintAndPassesTheSelfTestAtEveryLevel(String level) {
        assertThat(run("--level", level)).isEqualTo(Main.OK);
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).containsPattern("  ([0-9A-F]{4} ){15}[0-9A-F]{4}\n");
        assertThat(text).contains("Handshake at " + level.toUpperCase(java.util.Locale.ROOT) + " with a second local"
                + " identity: OK");
        assertThat(text).containsPattern("(\\d{5} ){3}\\d{5}\n  (\\d{5} ){3}\\d{5}\n  (\\d{5} ){3}\\d{5}");
    }

    @Test
    void refusesUnknownLevelWithUsage() {
        assertThat(run("--level", "MAXIMUM")).isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown level 'MAXIMUM'").contains("usage:");
    }

    @Test
    void refusesUnknownOptionAndMissingValue() {
        assertThat(run("--frobnicate")).isEqualTo(Main.USAGE);
        assertThat(run("--level")).isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option '--frobnicate'")
                .contains("--level needs a value");
    }
}
