package org.securep2p.app.tui;

import java.util.ArrayList;
import java.util.List;

/**
 * Text shaping for the terminal: making untrusted text harmless to draw, wrapping and grouping.
 *
 * <p>Not its job: colours or positions (the painter's).
 */
final class Text {

    /** Digits in a safety number, and how they are grouped for reading aloud. */
    static final int SAFETY_DIGITS = 60;
    static final int SAFETY_BLOCK = 5;

    /** Drawn instead of a character that could steer the terminal or reorder text. */
    private static final char REPLACEMENT = '?';

    private Text() {
    }

    /**
     * Makes text from the peer or the engine safe to draw: control characters (escape sequences could
     * rewrite the screen or the terminal title) and bidirectional overrides (they can make text read
     * differently than it is) become '?'; each half of a character outside the Basic Multilingual Plane
     * becomes U+FFFD because the screen layer measures one char as one cell. The length never changes, so a
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

    /** Word-wraps (breaking words longer than the width); always at least one line. */
    static List<String> wrap(String text, int width) {
        int w = Math.max(1, width);
        List<String> lines = new ArrayList<>();
        for (String paragraph : text.split("\n", -1)) {
            String rest = paragraph;
            while (rest.length() > w) {
                int cut = rest.lastIndexOf(' ', w);
                if (cut <= 0) {
                    lines.add(rest.substring(0, w));
                    rest = rest.substring(w);
                } else {
                    lines.add(rest.substring(0, cut));
                    rest = rest.substring(cut + 1);
                }
            }
            lines.add(rest);
        }
        return lines;
    }

    /** Cuts text into pieces of exactly {@code width} characters (the last may be shorter). */
    static List<String> chunk(String text, int width) {
        int w = Math.max(1, width);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < text.length(); i += w) {
            lines.add(text.substring(i, Math.min(text.length(), i + w)));
        }
        if (lines.isEmpty()) {
            lines.add("");
        }
        return lines;
    }

    /** Shortens to the width, marking the cut with '…'. */
    static String fit(String s, int width) {
        if (width <= 0) {
            return "";
        }
        if (s.length() <= width) {
            return s;
        }
        return s.substring(0, width - 1) + "…";
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
}
