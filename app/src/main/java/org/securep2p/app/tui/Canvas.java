package org.securep2p.app.tui;

import java.util.List;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.TerminalPosition;
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
            g.putString(0, row, Text.fit(text, width));
        }
        row++;
    }

    void line(String text, SGR style) {
        if (row < limit) {
            g.putString(0, row, Text.fit(text, width), style);
        }
        row++;
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
                g.putString(col, row, r);
            }
            row++;
        }
        g.setForegroundColor(fg);
        g.setBackgroundColor(bg);
    }
}
