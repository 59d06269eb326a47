package org.securep2p.app.tui;

import java.util.List;

import org.securep2p.transport.CodeMarkers;

import com.googlecode.lanterna.input.CharacterPattern;
import com.googlecode.lanterna.input.KeyDecodingProfile;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;

/**
 * How the screens read keys: Enter and Backspace as terminals send them, plain typed characters, the editing
 * keys every input field shares, and the edges of a bracketed paste ({@link PasteEdge}).
 */
final class KeyInput {

    /** Sent by the terminal before pasted text once {@link #BRACKETED_PASTE_ON} was written: {@code ESC [ 200 ~}. */
    static final String PASTE_START = "\u001b[200~";
    /** Sent after pasted text: {@code ESC [ 201 ~}. */
    static final String PASTE_END = "\u001b[201~";
    /** Asks the terminal to bracket pasted text (xterm's mode 2004), so a pasted line break is not Enter. */
    static final String BRACKETED_PASTE_ON = "\u001b[?2004h";
    static final String BRACKETED_PASTE_OFF = "\u001b[?2004l";

    /**
     * Lanterna's decoder knows neither sequence (it would read {@code ESC [ 200 ~} as an unknown key followed
     * by "200~"): these patterns read them as one {@link PasteEdge} each.
     */
    static final KeyDecodingProfile PASTE_EDGES = () -> List.of(edge(PASTE_START, true), edge(PASTE_END, false));

    /**
     * The start or the end of a bracketed paste: the keys between the two are what was pasted, so an Enter
     * among them is a line break in the text, never "submit".
     */
    static final class PasteEdge extends KeyStroke {

        private final boolean start;

        PasteEdge(boolean start) {
            super(KeyType.Unknown);
            this.start = start;
        }

        boolean start() {
            return start;
        }
    }

    private static CharacterPattern edge(String sequence, boolean start) {
        return seq -> {
            if (seq.size() > sequence.length()) {
                return null;
            }
            for (int i = 0; i < seq.size(); i++) {
                if (seq.get(i) != sequence.charAt(i)) {
                    return null;
                }
            }
            return seq.size() == sequence.length() ? new CharacterPattern.Matching(new PasteEdge(start))
                    : CharacterPattern.Matching.NOT_YET;
        };
    }

    private KeyInput() {
    }

    /**
     * Enter in a code field: true when it submits the code. A code copied with its BEGIN marker but, so far,
     * without its END marker is still arriving (a paste the terminal did not bracket, cut by the line break
     * into two Enters): that Enter adds a line break (a space) and reading goes on; a second Enter in a row
     * submits what is there.
     */
    static boolean submitsCode(LineEditor field) {
        String text = field.text();
        boolean begun = text.contains(CodeMarkers.CONNECTION_BEGIN) || text.contains(CodeMarkers.ANSWER_BEGIN);
        boolean ended = text.contains(CodeMarkers.CONNECTION_END) || text.contains(CodeMarkers.ANSWER_END);
        if (!begun || ended || text.endsWith(" ")) {
            return true;
        }
        field.end();
        field.insert(' ');
        return false;
    }

    /** A line break inside pasted text, in a code field: a space, which the code's parser skips. */
    static void pastedBreak(LineEditor field) {
        if (!field.isEmpty() && !field.text().endsWith(" ")) {
            field.insert(' ');
        }
    }

    static boolean isEnter(KeyStroke key) {
        if (key.getKeyType() == KeyType.Enter) {
            return true;
        }
        if (key.getKeyType() != KeyType.Character) {
            return false;
        }
        char c = key.getCharacter();
        return c == '\r' || c == '\n' || (key.isCtrlDown() && (c == 'm' || c == 'j'));
    }

    static boolean isBackspace(KeyStroke key) {
        return key.getKeyType() == KeyType.Backspace
                || (key.getKeyType() == KeyType.Character && key.isCtrlDown() && key.getCharacter() == 'h');
    }

    static boolean isEscape(KeyStroke key) {
        return key.getKeyType() == KeyType.Escape;
    }

    /** A plain typed character (not a control or Alt combination), or 0. */
    static char typed(KeyStroke key) {
        if (key.getKeyType() != KeyType.Character || key.isCtrlDown() || key.isAltDown()) {
            return 0;
        }
        char c = key.getCharacter();
        return Character.isISOControl(c) ? 0 : c;
    }

    /** Ctrl plus the letter {@code c} (lower case). */
    static boolean isCtrl(KeyStroke key, char c) {
        return key.getKeyType() == KeyType.Character && key.isCtrlDown() && !key.isAltDown()
                && Character.toLowerCase(key.getCharacter()) == c;
    }

    /** Editing keys common to every field; returns true when the key was one. */
    static boolean edit(LineEditor field, KeyStroke key) {
        if (isBackspace(key)) {
            field.backspace();
            return true;
        }
        switch (key.getKeyType()) {
            case Delete -> field.delete();
            case ArrowLeft -> field.left();
            case ArrowRight -> field.right();
            case Home -> field.home();
            case End -> field.end();
            case Tab -> field.insert(' ');
            case Character -> {
                char c = typed(key);
                if (c == 0) {
                    return false;
                }
                field.insert(c);
            }
            default -> {
                return false;
            }
        }
        return true;
    }
}
