package org.securep2p.app.tui;

import java.util.ArrayList;
import java.util.List;

import com.ibm.icu.lang.UCharacter;
import com.ibm.icu.lang.UCharacterCategory;
import com.ibm.icu.lang.UProperty;
import com.ibm.icu.text.BreakIterator;

/**
 * Text shaping for the terminal: making untrusted text harmless to draw, cutting it into grapheme clusters (what a
 * reader sees as one character: an emoji with its skin tone or ZWJ sequence, a flag, a letter with its combining
 * marks), measuring it in terminal columns, wrapping and grouping. A cluster is never split, and every measure is
 * in columns: East Asian wide and emoji presentation take two, combining marks none, the rest one.
 *
 * <p>Clusters and widths come from ICU4J (Unicode 16 segmentation and properties): JDK 17's {@code BreakIterator}
 * splits ZWJ sequences and skin tones, and the JDK has no East Asian width at all. ICU's data takes a few hundred
 * milliseconds to load, too long for the menu's first frame (issue 15: under 400 ms), so it loads on the first
 * text that needs it: text made only of ASCII, Latin-1 and Latin Extended letters, general punctuation, arrows,
 * box drawing and blocks (what the TUI's own frames use) is one column a char without it, which
 * {@code TextProperties} checks against ICU for every such char.
 *
 * <p>Not its job: colours or positions (the painter's).
 */
final class Text {

    /** Digits in a safety number, and how they are grouped for reading aloud. */
    static final int SAFETY_DIGITS = 60;
    static final int SAFETY_BLOCK = 5;

    /** Drawn instead of a character that could steer the terminal or reorder text. */
    private static final char REPLACEMENT = '?';
    /** Below this no char combines with the one before or is drawn wide. */
    private static final char SIMPLE_BELOW = '\u0300';
    /** The base Unicode draws under a mark that has none of its own. */
    static final String DOTTED_CIRCLE = "\u25CC";
    private static final int VS16 = 0xFE0F;
    private static final int VS15 = 0xFE0E;

    private Text() {
    }

    /**
     * Makes text from the peer or the engine safe to draw: control characters (escape sequences could
     * rewrite the screen or the terminal title) and bidirectional overrides (they can make text read
     * differently than it is) become '?', and so does half of a broken surrogate pair. Everything else, emoji and
     * other characters outside the Basic Multilingual Plane included, is kept. The length never changes, so a
     * cursor index stays valid.
     */
    static String clean(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) || isBidiControl(c) || c == '\u2028' || c == '\u2029') {
                out.append(REPLACEMENT);
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                out.append('\uFFFD');
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isBidiControl(char c) {
        return c == '\u061C' || c == '\u200E' || c == '\u200F' || (c >= '\u202A' && c <= '\u202E')
                || (c >= '\u2066' && c <= '\u2069');
    }

    /**
     * A printable char that is a cluster of its own whatever surrounds it (as long as its neighbours are simple
     * too) and one column wide: no mark, joiner, variation selector, emoji presentation or East Asian wide char.
     */
    static boolean simple(char c) {
        return (c >= ' ' && c < '\u007F') || (c >= '\u00A0' && c < SIMPLE_BELOW && c != '\u00AD')
                || (c >= '\u2010' && c <= '\u2027') || (c >= '\u2030' && c <= '\u205E')
                || (c >= '\u2190' && c <= '\u21FF') || (c >= '\u2500' && c <= '\u259F');
    }

    private static boolean simple(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            if (!simple(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** The grapheme clusters of {@code s}, in order; joined they give {@code s} back. */
    static List<String> clusters(String s) {
        List<String> out = new ArrayList<>(s.length());
        if (simple(s)) {
            for (int i = 0; i < s.length(); i++) {
                out.add(String.valueOf(s.charAt(i)));
            }
            return out;
        }
        return icuClusters(s);
    }

    /** {@link #clusters(String)} by ICU's rules alone, for any text. */
    static List<String> icuClusters(String s) {
        List<String> out = new ArrayList<>(s.length());
        BreakIterator it = Icu.clusters();
        it.setText(s);
        int start = it.first();
        for (int end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
            out.add(s.substring(start, end));
        }
        return out;
    }

    /** The cluster boundary before {@code index} in {@code s} (0 at the start). */
    static int previousBoundary(String s, int index) {
        if (index <= 0) {
            return 0;
        }
        if (simple(s)) {
            return index - 1;
        }
        BreakIterator it = Icu.clusters();
        it.setText(s);
        return it.preceding(Math.min(index, s.length()));
    }

    /** The cluster boundary after {@code index} in {@code s} ({@code s.length()} at the end). */
    static int nextBoundary(String s, int index) {
        if (index >= s.length()) {
            return s.length();
        }
        if (simple(s)) {
            return index + 1;
        }
        BreakIterator it = Icu.clusters();
        it.setText(s);
        return it.following(Math.max(0, index));
    }

    /**
     * The columns one cluster takes: two for emoji presentation (an emoji character, one followed by U+FE0F, a
     * flag, a skin tone or ZWJ sequence) and for East Asian wide or fullwidth, one otherwise. Combining marks add
     * nothing; a cluster with no base of its own (a lone mark or format character) is drawn on a dotted circle,
     * one column, so that every cluster owns at least one cell.
     */
    static int clusterWidth(String cluster) {
        if (cluster.isEmpty()) {
            return 0;
        }
        if (cluster.length() == 1 && (simple(cluster.charAt(0)) || cluster.charAt(0) < SIMPLE_BELOW)) {
            return 1; // controls too: drawn as '?' once cleaned
        }
        return icuClusterWidth(cluster);
    }

    /** {@link #clusterWidth(String)} by ICU's properties alone. */
    static int icuClusterWidth(String cluster) {
        int base = cluster.codePointAt(0);
        if (cluster.indexOf(VS15) >= 0) {
            return Icu.wide(base) ? 2 : 1;
        }
        if (cluster.indexOf(VS16) >= 0 || Icu.emoji(base) || Icu.wide(base)) {
            return 2;
        }
        return 1;
    }

    /** What a cell shows for the cluster: itself, or on a dotted circle when it has no base to sit on. */
    static String drawable(String cluster) {
        return !cluster.isEmpty() && !simple(cluster.charAt(0)) && cluster.charAt(0) >= SIMPLE_BELOW
                && Icu.baseless(cluster.codePointAt(0))
                ? DOTTED_CIRCLE + cluster : cluster;
    }

    /** The columns {@code s} takes: the sum of its clusters'. */
    static int width(String s) {
        if (simple(s)) {
            return s.length();
        }
        int w = 0;
        for (String c : clusters(s)) {
            w += clusterWidth(c);
        }
        return w;
    }

    /** Word-wraps to {@code width} columns (breaking words longer than that between clusters); at least one line. */
    static List<String> wrap(String text, int width) {
        return wrap(text, width, width);
    }

    /**
     * As {@link #wrap(String, int)}, the first line to {@code first} columns and the others to {@code rest}: room
     * for a hanging indent the caller puts before them.
     */
    static List<String> wrap(String text, int first, int rest) {
        List<String> lines = new ArrayList<>();
        for (String paragraph : text.split("\n", -1)) {
            List<String> cs = clusters(paragraph);
            int from = 0;
            while (true) {
                int w = Math.max(2, lines.isEmpty() ? first : rest);
                // Take clusters while they fit; remember the last space seen so the line can end there.
                int cols = 0;
                int at = from;
                int lastSpace = -1;
                while (at < cs.size() && cols + clusterWidth(cs.get(at)) <= w) {
                    if (cs.get(at).equals(" ")) {
                        lastSpace = at;
                    }
                    cols += clusterWidth(cs.get(at));
                    at++;
                }
                if (at == cs.size()) {
                    lines.add(String.join("", cs.subList(from, at)));
                    break;
                }
                if (cs.get(at).equals(" ")) {
                    lastSpace = at;
                }
                if (lastSpace > from) {
                    lines.add(String.join("", cs.subList(from, lastSpace)));
                    from = lastSpace + 1;
                } else {
                    lines.add(String.join("", cs.subList(from, at)));
                    from = at;
                }
            }
        }
        return lines;
    }

    /** Cuts text into pieces of at most {@code width} columns, each as full as whole clusters allow. */
    static List<String> chunk(String text, int width) {
        int w = Math.max(2, width);
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        int cols = 0;
        for (String c : clusters(text)) {
            int cw = clusterWidth(c);
            if (cols + cw > w) {
                lines.add(line.toString());
                line.setLength(0);
                cols = 0;
            }
            line.append(c);
            cols += cw;
        }
        if (line.length() > 0 || lines.isEmpty()) {
            lines.add(line.toString());
        }
        return lines;
    }

    /** Shortens to {@code width} columns, marking the cut with '…'. */
    static String fit(String s, int width) {
        if (width <= 0) {
            return "";
        }
        if (simple(s) ? s.length() <= width : width(s) <= width) {
            return s;
        }
        StringBuilder out = new StringBuilder();
        int cols = 0;
        for (String c : clusters(s)) {
            int cw = clusterWidth(c);
            if (cols + cw > width - 1) {
                break;
            }
            out.append(c);
            cols += cw;
        }
        return out.append('…').toString();
    }

    /** Pads with spaces to {@code width} columns (never cuts). */
    static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - width(s)));
    }

    /** Only the digits of a safety number, whatever separators the engine used. */
    static String digits(String safetyNumber) {
        return safetyNumber == null ? "" : safetyNumber.replaceAll("[^0-9]", "");
    }

    /** The safety number as blocks of five digits, {@code perRow} blocks to a row. */
    static List<String> safetyRows(String safetyNumber, int perRow) {
        String d = digits(safetyNumber);
        List<String> rows = new ArrayList<>();
        StringBuilder row = new StringBuilder();
        int inRow = 0;
        for (int i = 0; i < d.length(); i += SAFETY_BLOCK) {
            if (inRow > 0) {
                row.append(' ');
            }
            row.append(d, i, Math.min(d.length(), i + SAFETY_BLOCK));
            if (++inRow == perRow) {
                rows.add(row.toString());
                row.setLength(0);
                inRow = 0;
            }
        }
        if (row.length() > 0) {
            rows.add(row.toString());
        }
        return rows;
    }

    /** The first two blocks, enough to spot a mismatch at a glance (the full number is behind /verify). */
    static String shortSafety(String safetyNumber) {
        String d = digits(safetyNumber);
        if (d.length() < 2 * SAFETY_BLOCK) {
            return d;
        }
        return d.substring(0, SAFETY_BLOCK) + " " + d.substring(SAFETY_BLOCK, 2 * SAFETY_BLOCK) + " …";
    }

    /** "1 message", "2 messages". */
    static String plural(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** ICU's break rules and character properties, loaded on first use (a holder class: lazily, thread-safely). */
    private static final class Icu {

        private static final BreakIterator PROTOTYPE = BreakIterator.getCharacterInstance(java.util.Locale.ROOT);

        private Icu() {
        }

        /** A fresh iterator each time: an ICU BreakIterator holds its text and is not thread-safe. */
        static BreakIterator clusters() {
            return (BreakIterator) PROTOTYPE.clone();
        }

        static boolean wide(int cp) {
            int eaw = UCharacter.getIntPropertyValue(cp, UProperty.EAST_ASIAN_WIDTH);
            return eaw == UCharacter.EastAsianWidth.WIDE || eaw == UCharacter.EastAsianWidth.FULLWIDTH;
        }

        /** Drawn as an emoji by default: emoji presentation, a regional indicator (flags) or a skin tone. */
        static boolean emoji(int cp) {
            return UCharacter.hasBinaryProperty(cp, UProperty.EMOJI_PRESENTATION)
                    || UCharacter.hasBinaryProperty(cp, UProperty.REGIONAL_INDICATOR);
        }

        /** A mark or format character that starts a cluster has nothing to combine with. */
        static boolean baseless(int cp) {
            int type = UCharacter.getType(cp);
            return type == UCharacterCategory.NON_SPACING_MARK || type == UCharacterCategory.ENCLOSING_MARK
                    || type == UCharacterCategory.COMBINING_SPACING_MARK || type == UCharacterCategory.FORMAT
                    || cp == VS15 || cp == VS16;
        }
    }
}
