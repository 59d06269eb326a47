package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * For any text, made of the clusters people write (emoji with skin tones and ZWJ sequences, flags, CJK, combining
 * marks, Hebrew and Arabic, ASCII and spaces) or of arbitrary code points: measuring, wrapping, cutting and
 * cleaning keep clusters whole and stay within the columns asked for.
 */
class TextProperties {

    /** Each with the columns a terminal gives it. */
    static final List<String> SAMPLES = List.of("🙂", "👍🏽", "👩\u200D👩\u200D👧", "🇫🇷", "e\u0301", "中", "文", "ש",
            "ל", "ع", "ر", "a", "Z", " ", " ", "❤\uFE0F", "é", "ｱ", "한");

    @Provide
    Arbitrary<String> written() {
        return Arbitraries.of(SAMPLES).list().ofMaxSize(40).map(l -> String.join("", l));
    }

    @Provide
    Arbitrary<String> anything() {
        return Arbitraries.oneOf(written(), Arbitraries.strings().all().ofMaxLength(40),
                Arbitraries.strings().withCharRange('\u0300', '\u036F').withChars("a 🙂\u200D").ofMaxLength(20));
    }

    @Property
    void widthIsTheSumOfTheClustersWidthsAndTheClustersJoinBack(@ForAll("anything") String s) {
        List<String> clusters = Text.clusters(s);
        assertThat(String.join("", clusters)).isEqualTo(s);
        assertThat(Text.width(s)).isEqualTo(clusters.stream().mapToInt(Text::clusterWidth).sum());
        assertThat(clusters).allSatisfy(c -> assertThat(Text.clusterWidth(c)).isBetween(1, 2));
    }

    @Property
    void samplesAreClustersOfTheirOwnWhateverSurroundsThem(@ForAll("written") String before,
            @ForAll @IntRange(min = 0, max = 18) int sample, @ForAll("written") String after) {
        String c = SAMPLES.get(sample);
        // A lone combining mark at the start of "after" would join c; flags pair up: both are what Unicode says.
        String s = before + " " + c + " " + after;
        assertThat(Text.clusters(s)).contains(c);
    }

    @Property
    void wrappedLinesFitTheColumnsAndNeverSplitACluster(@ForAll("anything") String s,
            @ForAll @IntRange(min = 2, max = 30) int width) {
        Assume.that(s.indexOf('\r') < 0); // CR LF is one cluster, and wrap breaks at LF; drawn text has neither
        List<String> lines = Text.wrap(s, width);
        assertThat(lines).allSatisfy(l -> assertThat(Text.width(l)).isLessThanOrEqualTo(width));
        List<String> clusters = Text.clusters(s);
        for (String line : lines) {
            for (String c : Text.clusters(line)) {
                assertThat(clusters).contains(c);
            }
        }
        // Only the spaces where a line ended are gone.
        assertThat(String.join("", lines).replace(" ", "").replace("\n", ""))
                .isEqualTo(s.replace(" ", "").replace("\n", ""));
    }

    @Property
    void chunksFitTheColumnsAndJoinBackExactly(@ForAll("anything") String s,
            @ForAll @IntRange(min = 2, max = 30) int width) {
        List<String> chunks = Text.chunk(s, width);
        assertThat(String.join("", chunks)).isEqualTo(s);
        assertThat(chunks).allSatisfy(l -> assertThat(Text.width(l)).isLessThanOrEqualTo(width));
        for (String chunk : chunks) {
            assertThat(Text.clusters(s)).containsAll(Text.clusters(chunk));
        }
    }

    @Property
    void fitStaysWithinTheColumnsAndKeepsAWholePrefix(@ForAll("anything") String s,
            @ForAll @IntRange(min = 1, max = 30) int width) {
        String fitted = Text.fit(s, width);
        assertThat(Text.width(fitted)).isLessThanOrEqualTo(width);
        String kept = fitted.endsWith("…") && !s.equals(fitted) ? fitted.substring(0, fitted.length() - 1) : fitted;
        assertThat(s).startsWith(kept);
    }

    @Property
    void cleanKeepsEverythingButControlsAndBidiOverrides(@ForAll("anything") String s) {
        String cleaned = Text.clean(s);
        assertThat(cleaned).hasSameSizeAs(s);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean steering = Character.isISOControl(c) || (c >= '\u202A' && c <= '\u202E')
                    || (c >= '\u2066' && c <= '\u2069') || c == '\u200E' || c == '\u200F' || c == '\u061C'
                    || c == '\u2028' || c == '\u2029';
            boolean brokenHalf = Character.isHighSurrogate(c)
                    ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))
                    : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
            if (steering) {
                assertThat(cleaned.charAt(i)).isEqualTo('?');
            } else if (brokenHalf) {
                assertThat(cleaned.charAt(i)).isEqualTo('\uFFFD');
            } else {
                assertThat(cleaned.charAt(i)).isEqualTo(c);
            }
        }
    }

    @Property
    void aHangingWrapKeepsTheFirstLineAndTheOthersWithinTheirColumns(@ForAll("written") String s,
            @ForAll @IntRange(min = 2, max = 30) int first, @ForAll @IntRange(min = 2, max = 30) int rest) {
        List<String> lines = Text.wrap(s, first, rest);
        assertThat(Text.width(lines.get(0))).isLessThanOrEqualTo(first);
        assertThat(lines.subList(1, lines.size())).allSatisfy(l -> assertThat(Text.width(l)).isLessThanOrEqualTo(rest));
        assertThat(String.join("", lines).replace(" ", "")).isEqualTo(s.replace(" ", ""));
    }

    /** The chars Text measures without ICU (so the first frame need not load it) are what ICU says they are. */
    @Example
    void everySimpleCharIsOneColumnAndAClusterOfItsOwnByIcusRulesToo() {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < Character.MAX_VALUE; c++) {
            if (Text.simple(c)) {
                assertThat(Text.icuClusterWidth(String.valueOf(c))).as("U+%04X", (int) c).isEqualTo(1);
                assertThat(Text.drawable(String.valueOf(c))).isEqualTo(String.valueOf(c));
                all.append(c).append(c);
            }
        }
        String text = all.toString();
        assertThat(Text.icuClusters(text)).hasSize(text.length());
    }

    @Property
    void simpleTextIsCutAsIcuCutsIt(@ForAll("simpleText") String s) {
        assertThat(Text.clusters(s)).isEqualTo(Text.icuClusters(s));
    }

    @Provide
    Arbitrary<String> simpleText() {
        return Arbitraries.chars().filter(Text::simple).list().ofMaxSize(30)
                .map(l -> l.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining()));
    }
}
