package org.securep2p.app.tui;

/**
 * One line of input with a cursor. Pasted text arrives key by key, so a paste is just many inserts.
 *
 * <p>Not its job: deciding what Enter means.
 */
final class LineEditor {

    private final int maxLength;
    private final StringBuilder text = new StringBuilder();
    private int cursor;

    LineEditor(int maxLength) {
        this.maxLength = maxLength;
    }

    /** Inserts at the cursor; returns false (and changes nothing) when the line is full. */
    boolean insert(char c) {
        if (text.length() >= maxLength) {
            return false;
        }
        text.insert(cursor++, c);
        return true;
    }

    void backspace() {
        if (cursor > 0) {
            text.deleteCharAt(--cursor);
        }
    }

    void delete() {
        if (cursor < text.length()) {
            text.deleteCharAt(cursor);
        }
    }

    void left() {
        cursor = Math.max(0, cursor - 1);
    }

    void right() {
        cursor = Math.min(text.length(), cursor + 1);
    }

    void home() {
        cursor = 0;
    }

    void end() {
        cursor = text.length();
    }

    /** Replaces the line with {@code s} (cut to the maximum length), the cursor at its end. */
    void set(String s) {
        text.setLength(0);
        text.append(s, 0, Math.min(s.length(), maxLength));
        cursor = text.length();
    }

    void clear() {
        text.setLength(0);
        cursor = 0;
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
