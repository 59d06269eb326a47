package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextTest {

    @Test
    void cleanReplacesEscapeSequencesAndBidiOverridesWithoutChangingTheLength() {
        String hostile = "a\u001b]0;owned\u0007b\u202Ec\u2066d\r\ne\uD83D\uDE00";
        String cleaned = Text.clean(hostile);
        assertThat(cleaned).hasSameSizeAs(hostile).doesNotContain("\u001b", "\u0007", "\u202E", "\u2066", "\r", "\n")
                .startsWith("a?]0;owned?b?c?d??e");
    }

    @Test
    void cleanTreatsNullAsEmpty() {
        assertThat(Text.clean(null)).isEmpty();
    }

    @Test
    void safetyNumberIsTwelveBlocksOfFiveDigits() {
        String digits = "123456789012345678901234567890123456789012345678901234567890";
        assertThat(Text.safetyRows(digits, 4)).containsExactly("12345 67890 12345 67890",
                "12345 67890 12345 67890", "12345 67890 12345 67890");
        assertThat(Text.safetyRows("12345 67890\n" + digits.substring(10), 12)).hasSize(1)
                .allSatisfy(r -> assertThat(r.split(" ")).hasSize(12));
        assertThat(Text.shortSafety(digits)).isEqualTo("12345 67890 …");
    }

    @Test
    void chunkCutsACodeIntoFullWidthPiecesThatJoinBackExactly() {
        String code = "x".repeat(205);
        assertThat(Text.chunk(code, 80)).hasSize(3).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(80));
        assertThat(String.join("", Text.chunk(code, 80))).isEqualTo(code);
    }

    @Test
    void wrapBreaksAtSpacesAndSplitsOverlongWords() {
        assertThat(Text.wrap("hello brave new world", 11)).containsExactly("hello brave", "new world");
        assertThat(Text.wrap("abcdefghij", 4)).containsExactly("abcd", "efgh", "ij");
    }

    @Test
    void fitMarksTheCut() {
        assertThat(Text.fit("abcdef", 4)).isEqualTo("abc…");
        assertThat(Text.fit("abc", 4)).isEqualTo("abc");
    }
}
