package org.securep2p.app.tui;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;

/**
 * How the screens read keys: Enter and Backspace as terminals send them, plain typed characters, and the
 * editing keys every input field shares.
 */
final class KeyInput {

    private KeyInput() {
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
