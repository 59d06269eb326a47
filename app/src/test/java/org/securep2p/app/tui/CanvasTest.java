package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;

/**
 * What the screen holds after the canvas draws: one cell per cluster, wide clusters over two columns. Read from the
 * screen's buffer, which is what Lanterna sends to the terminal (the virtual terminal itself re-splits clusters by
 * the JDK's rules).
 */
class CanvasTest {

    private static TerminalScreen screen(int columns, int rows) throws Exception {
        TerminalScreen s = new TerminalScreen(new DefaultVirtualTerminal(new TerminalSize(columns, rows)));
        s.startScreen();
        return s;
    }

    /** Each column's cell, "" for the right half of a wide cluster. */
    private static List<String> cells(TerminalScreen s, int row, int columns) {
        List<String> out = new ArrayList<>();
        for (int col = 0; col < columns; col++) {
            String cell = s.getBackCharacter(col, row).getCharacterString();
            boolean rightHalf = col > 0 && s.getBackCharacter(col - 1, row).isDoubleWidth()
                    && (out.get(col - 1).length() > 0);
            out.add(rightHalf ? "" : cell);
        }
        return out;
    }

    @Test
    void eachClusterTakesItsColumns() throws Exception {
        TerminalScreen s = screen(30, 3);
        Canvas c = new Canvas(s.newTextGraphics(), 30, 3);
        c.line("a🙂b👍🏽c👩\u200D👩\u200D👧d🇫🇷e\u0301中שלום!");
        assertThat(cells(s, 0, 22)).containsExactly("a", "🙂", "", "b", "👍🏽", "", "c", "👩\u200D👩\u200D👧", "",
                "d", "🇫🇷", "", "e\u0301", "中", "", "ש", "ל", "ו", "ם", "!", " ", " ");
    }

    @Test
    void aLineWiderThanTheCanvasIsCutBetweenClusters() throws Exception {
        TerminalScreen s = screen(10, 2);
        Canvas c = new Canvas(s.newTextGraphics(), 5, 2);
        c.line("中文中文中文");
        assertThat(cells(s, 0, 6)).containsExactly("中", "", "文", "", "…", " ");
    }

    @Test
    void theInputCursorStandsAfterTheClustersBeforeIt() throws Exception {
        TerminalScreen s = screen(12, 4);
        Canvas c = new Canvas(s.newTextGraphics(), 12, 4);
        LineEditor input = new LineEditor(100);
        String typed = "中🙂abcdef";
        for (int i = 0; i < typed.length(); i++) {
            input.insert(typed.charAt(i));
        }
        Widgets.field(c, input, 2, true);
        // "> " then 10 columns per row: 中(2) 🙂(2) abcdef(6) fill the first row; the cursor starts the second.
        assertThat(c.cursor).isEqualTo(new TerminalPosition(2, 1));
        input.home();
        input.right();
        input.right();
        c = new Canvas(s.newTextGraphics(), 12, 4);
        Widgets.field(c, input, 2, true);
        assertThat(c.cursor).isEqualTo(new TerminalPosition(6, 0));
    }
}
