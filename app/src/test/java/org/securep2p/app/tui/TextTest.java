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

    @Test
    void cleanKeepsEmojiAndTextOutsideTheBmp() {
        String s = "🙂 👍🏽 👩\u200D👩\u200D👧 🇫🇷 𝄞 中 e\u0301 שלום مرحبا";
        assertThat(Text.clean(s)).isEqualTo(s);
        assertThat(Text.clean("a\uD83Db")).isEqualTo("a\uFFFDb");
    }

    @Test
    void clustersKeepEmojiSequencesFlagsAndCombiningMarksWhole() {
        assertThat(Text.clusters("👍🏽👩\u200D👩\u200D👧🇫🇷e\u0301中ש"))
                .containsExactly("👍🏽", "👩\u200D👩\u200D👧", "🇫🇷", "e\u0301", "中", "ש");
    }

    @Test
    void widthCountsTerminalColumns() {
        assertThat(Text.width("🙂")).isEqualTo(2);
        assertThat(Text.width("👍🏽")).isEqualTo(2);
        assertThat(Text.width("👩\u200D👩\u200D👧")).isEqualTo(2);
        assertThat(Text.width("🇫🇷")).isEqualTo(2);
        assertThat(Text.width("❤\uFE0F")).isEqualTo(2);
        assertThat(Text.width("☺")).isEqualTo(1);
        assertThat(Text.width("e\u0301")).isEqualTo(1);
        assertThat(Text.width("中文")).isEqualTo(4);
        assertThat(Text.width("שלום")).isEqualTo(4);
        assertThat(Text.width("مرحبا")).isEqualTo(5);
        assertThat(Text.width("hello")).isEqualTo(5);
    }

    @Test
    void aMarkWithNoBaseIsDrawnOnADottedCircle() {
        assertThat(Text.drawable("\u0301")).isEqualTo(Text.DOTTED_CIRCLE + "\u0301");
        assertThat(Text.drawable("e\u0301")).isEqualTo("e\u0301");
        assertThat(Text.clusterWidth("\u0301")).isEqualTo(1);
    }

    @Test
    void wrapAndFitCountColumnsAndKeepClustersWhole() {
        assertThat(Text.wrap("中文中文", 4)).containsExactly("中文", "中文");
        assertThat(Text.wrap("中文中", 5)).containsExactly("中文", "中");
        assertThat(Text.wrap("ab 👩\u200D👩\u200D👧👍🏽", 4)).containsExactly("ab", "👩\u200D👩\u200D👧👍🏽");
        assertThat(Text.fit("中文中文", 5)).isEqualTo("中文…");
        assertThat(Text.fit("🇫🇷🇫🇷", 4)).isEqualTo("🇫🇷🇫🇷");
        assertThat(Text.fit("🇫🇷🇫🇷x", 4)).isEqualTo("🇫🇷…");
        assertThat(Text.chunk("a中b", 2)).containsExactly("a", "中", "b");
    }
}
