package org.securep2p.app.tui;

import java.util.List;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.TextCharacter;
import com.googlecode.lanterna.TextColor;
import com.googlecode.lanterna.graphics.TextGraphics;

/**
 * Writes rows top to bottom inside a region of the screen and never past its last row, so a small terminal
 * loses the bottom of a view instead of overwriting the status bar.
 *
 * <p>Not its job: layout decisions (the views make them from {@link #remaining()}).
 */
final class Canvas {

    final TextGraphics g;
    final int width;
    final int limit;
    int row;
    /** Where the terminal cursor goes after the frame (the focused field's cursor), or null for none. */
    TerminalPosition cursor;

    Canvas(TextGraphics g, int width, int limit) {
        this.g = g;
        this.width = width;
        this.limit = limit;
    }

    int remaining() {
        return Math.max(0, limit - row);
    }

    void line(String text) {
        if (row < limit) {
            put(g, 0, row, Text.fit(text, width));
        }
        row++;
    }

    void line(String text, SGR style) {
        if (row < limit) {
            put(g, 0, row, Text.fit(text, width), style);
        }
        row++;
    }

    /**
     * Writes {@code text} from column {@code col}, one cell per grapheme cluster (two columns for a wide one), and
     * returns the column after it. Lanterna's own {@code putString} writes UTF-16 units, and its clusters come from
     * the JDK's rules, which on JDK 17 split a ZWJ sequence or a flag; a {@link Cell} carries the whole cluster.
     */
    static int put(TextGraphics g, int col, int row, String text, SGR... styles) {
        java.util.EnumSet<SGR> sgr = g.getActiveModifiers();
        for (SGR s : styles) {
            sgr.add(s);
        }
        int x = col;
        // Cleaned here too: a control character must never reach the terminal, whoever built the line.
        for (String cluster : Text.clusters(Text.clean(text))) {
            int w = Text.clusterWidth(cluster);
            g.setCharacter(x, row, new Cell(Text.drawable(cluster), w == 2, g.getForegroundColor(),
                    g.getBackgroundColor(), sgr));
            x += w;
        }
        return x;
    }

    /** A paragraph word-wrapped to the width. */
    void wrapped(String text) {
        for (String l : Text.wrap(text, width)) {
            line(l);
        }
    }

    void blank() {
        row++;
    }

    /** QR rows drawn white on black, so the symbol keeps its polarity on any terminal theme. */
    void qr(List<String> rows, int col) {
        TextColor fg = g.getForegroundColor();
        TextColor bg = g.getBackgroundColor();
        g.setForegroundColor(TextColor.ANSI.WHITE);
        g.setBackgroundColor(TextColor.ANSI.BLACK);
        for (String r : rows) {
            if (row < limit) {
                put(g, col, row, r);
            }
            row++;
        }
        g.setForegroundColor(fg);
        g.setBackgroundColor(bg);
    }

    /**
     * One screen cell holding a whole grapheme cluster, with the width {@link Text} measured. Lanterna's screen
     * writes {@link #getCharacterString()} to the terminal and advances by {@link #isDoubleWidth()}, so the two
     * agree with what the rest of the TUI laid out.
     */
    static final class Cell extends TextCharacter {

        private static final long serialVersionUID = 1L;
        private final String cluster;
        private final boolean wide;

        // Lanterna's only public constructors take one char; the cluster replaces it in every getter used to draw.
        // The char is the cluster's first, never ' ': Lanterna pads a wide cell with withCharacter(' '), which
        // must give a plain space (a copy of this cell there would count as wide, and Lanterna would then put
        // a cursor that follows a wide cluster one column back).
        @SuppressWarnings("deprecation")
        Cell(String cluster, boolean wide, TextColor fg, TextColor bg, java.util.EnumSet<SGR> styles) {
            super(cluster.isEmpty() || cluster.charAt(0) == ' ' ? '\u00A0' : cluster.charAt(0), fg, bg, styles);
            this.cluster = cluster;
            this.wide = wide;
        }

        @Override
        public String getCharacterString() {
            return cluster;
        }

        @Override
        public boolean isDoubleWidth() {
            return wide;
        }

        @Override
        public boolean is(char c) {
            return cluster.length() == 1 && cluster.charAt(0) == c;
        }

        @Override
        public boolean equals(Object o) {
            // Lanterna compares cells to decide what to redraw: the cluster, width and style all count.
            return o instanceof Cell other && other.cluster.equals(cluster) && other.wide == wide
                    && other.getForegroundColor().equals(getForegroundColor())
                    && other.getBackgroundColor().equals(getBackgroundColor())
                    && other.getModifiers().equals(getModifiers());
        }

        @Override
        public int hashCode() {
            return 31 * cluster.hashCode() + getModifiers().hashCode();
        }

        @Override
        public String toString() {
            return "Cell{" + cluster + (wide ? ", wide" : "") + "}";
        }
    }
}
