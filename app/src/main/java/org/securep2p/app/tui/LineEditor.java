package org.securep2p.app.tui;

import java.util.ArrayList;
import java.util.List;

/**
 * One line of input with a cursor, edited as a shell does: the cursor and the deletions move by grapheme
 * cluster (an emoji with its skin tone, a letter with its accent), never into one; Ctrl-A/E/W/U work on the line;
 * Up and Down recall the lines entered before, and the line being typed comes back after them. Pasted text arrives
 * key by key, so a paste is just many inserts (a character outside the BMP as its two halves).
 *
 * <p>Not its job: deciding what Enter means, nor keeping the recalled lines beyond this run (they stay in memory).
 */
final class LineEditor {

    /** Lines kept for Up/Down; older ones are forgotten. */
    static final int MAX_HISTORY = 100;

    private final int maxLength;
    private final StringBuilder text = new StringBuilder();
    private int cursor;
    private final List<String> history = new ArrayList<>();
    /** Which history line is shown ({@code history.size()}: the line being typed). */
    private int recalled;
    /** The line being typed when Up was first pressed, given back by Down past the newest line. */
    private String draft = "";

    LineEditor(int maxLength) {
        this.maxLength = maxLength;
    }

    /** Inserts at the cursor; returns false (and changes nothing) when the line is full. */
    boolean insert(char c) {
        // A character outside the BMP needs both halves: refuse the first when the second could not follow.
        int room = Character.isHighSurrogate(c) ? 2 : 1;
        if (text.length() + room > maxLength) {
            return false;
        }
        text.insert(cursor++, c);
        return true;
    }

    void backspace() {
        if (cursor > 0) {
            int from = Text.previousBoundary(text.toString(), cursor);
            text.delete(from, cursor);
            cursor = from;
        }
    }

    void delete() {
        if (cursor < text.length()) {
            text.delete(cursor, Text.nextBoundary(text.toString(), cursor));
        }
    }

    void left() {
        cursor = Text.previousBoundary(text.toString(), cursor);
    }

    void right() {
        cursor = Text.nextBoundary(text.toString(), cursor);
    }

    void home() {
        cursor = 0;
    }

    void end() {
        cursor = text.length();
    }

    /** Ctrl-W: deletes the word before the cursor and the spaces after it, as a shell does. */
    void deleteWordBefore() {
        int from = cursor;
        while (from > 0 && text.charAt(from - 1) == ' ') {
            from--;
        }
        while (from > 0 && text.charAt(from - 1) != ' ') {
            from--;
        }
        text.delete(from, cursor);
        cursor = from;
    }

    /** Ctrl-U: deletes everything before the cursor. */
    void deleteToStart() {
        text.delete(0, cursor);
        cursor = 0;
    }

    /** Replaces the line with {@code s} (cut to the maximum length between clusters), the cursor at its end. */
    void set(String s) {
        text.setLength(0);
        if (s.length() <= maxLength) {
            text.append(s);
        } else {
            for (String cluster : Text.clusters(s)) {
                if (text.length() + cluster.length() > maxLength) {
                    break;
                }
                text.append(cluster);
            }
        }
        cursor = text.length();
    }

    void clear() {
        text.setLength(0);
        cursor = 0;
    }

    /**
     * The line was entered: it joins the history (not twice in a row, never blank) and the line clears. Returns
     * the line.
     */
    String submit() {
        String line = text.toString();
        if (!line.isBlank() && (history.isEmpty() || !history.get(history.size() - 1).equals(line))) {
            history.add(line);
            if (history.size() > MAX_HISTORY) {
                history.remove(0);
            }
        }
        recalled = history.size();
        draft = "";
        clear();
        return line;
    }

    /** Up: the line entered before the one shown; false at the oldest. */
    boolean previous() {
        if (recalled == 0) {
            return false;
        }
        if (recalled == history.size()) {
            draft = text.toString();
        }
        set(history.get(--recalled));
        return true;
    }

    /** Down: the line entered after the one shown, then the line that was being typed; false there. */
    boolean next() {
        if (recalled >= history.size()) {
            return false;
        }
        recalled++;
        set(recalled == history.size() ? draft : history.get(recalled));
        return true;
    }

    String text() {
        return text.toString();
    }

    int cursor() {
        return cursor;
    }

    boolean isEmpty() {
        return text.length() == 0;
    }
}
