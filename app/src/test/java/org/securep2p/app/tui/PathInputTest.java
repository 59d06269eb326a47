package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What /send reads as a path, and what Tab makes of one. */
class PathInputTest {

    @TempDir
    Path home;

    private PathInput input() {
        return new PathInput(home, home.resolve("work"));
    }

    @Test
    void quotesTildeAndRelativePathsAreRead() {
        PathInput p = input();
        assertThat(p.parse("\"/tmp/a b.txt\"")).contains(Path.of("/tmp/a b.txt"));
        assertThat(p.parse("'/tmp/a b.txt'")).contains(Path.of("/tmp/a b.txt"));
        assertThat(p.parse("\"/tmp/open quote")).contains(Path.of("/tmp/open quote"));
        assertThat(p.parse("/tmp/a b.txt")).contains(Path.of("/tmp/a b.txt"));
        assertThat(p.parse("~/docs/x.pdf")).contains(home.resolve("docs/x.pdf"));
        assertThat(p.parse("~")).contains(home);
        assertThat(p.parse("x.pdf")).contains(home.resolve("work/x.pdf"));
        assertThat(p.parse("~other/x")).contains(home.resolve("work/~other/x")); // only ~ and ~/ are the home
    }

    @Test
    void blankTextAfterTheQuoteAndNulAreNoPath() {
        PathInput p = input();
        assertThat(p.parse("  ")).isEmpty();
        assertThat(p.parse("\"\"")).isEmpty();
        assertThat(p.parse("\"/tmp/a\" /tmp/b")).isEmpty();
        assertThat(p.parse("/tmp/a\u0000b")).isEmpty();
    }

    @Test
    void tabCompletesInTheHomeAndKeepsTheTilde() throws Exception {
        Files.createDirectories(home.resolve("docs"));
        Files.writeString(home.resolve("docs/only one.pdf"), "x");
        Files.writeString(home.resolve(".hidden"), "x");
        PathInput p = input();
        assertThat(p.complete("~")).isEqualTo(new PathInput.Completion("~/", List.of()));
        assertThat(p.complete("~/d")).isEqualTo(new PathInput.Completion("~/docs/", List.of()));
        assertThat(p.complete("~/docs/o")).isEqualTo(new PathInput.Completion("\"~/docs/only one.pdf\"", List.of()));
        assertThat(p.complete("'~/docs/o")).isEqualTo(new PathInput.Completion("'~/docs/only one.pdf'", List.of()));
        assertThat(p.complete("~/")).isEqualTo(new PathInput.Completion("~/docs/", List.of())); // not .hidden
        assertThat(p.complete("~/.h")).isEqualTo(new PathInput.Completion("~/.hidden", List.of()));
        assertThat(p.complete("~/zz")).isEqualTo(new PathInput.Completion("~/zz", List.of()));
        assertThat(p.complete("/no/such/dir/x")).isEqualTo(new PathInput.Completion("/no/such/dir/x", List.of()));
    }

    @Test
    void severalMatchesCompleteToTheirCommonStartAndAreListedSorted() throws Exception {
        Files.writeString(home.resolve("b-two"), "x");
        Files.writeString(home.resolve("b-one"), "x");
        Files.createDirectory(home.resolve("b-dir"));
        PathInput.Completion c = input().complete(home + "/b");
        assertThat(c.text()).isEqualTo(home + "/b-");
        assertThat(c.matches()).containsExactly("b-dir/", "b-one", "b-two");
    }
}
