package org.securep2p.app.tui;

import org.securep2p.crypto.SecurityLevel;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;

/** Choosing the minimum security level: connections below it are refused. */
final class LevelScreen implements Screen {

    private static final String[] ABOUT = {"classical X25519/Ed25519, symmetric ratchet: forward secrecy only",
        "classical, HKDF-SHA-512, Double Ratchet with header encryption",
        "hybrid ML-KEM-1024 + X25519, Falcon-1024 + Ed25519, post-quantum ratchet (default)"};

    private final Tui tui;
    private int index;

    @SuppressWarnings("EnumOrdinal") // the screen lists SecurityLevel.values(): the ordinal is the row, by definition
    LevelScreen(Tui tui) {
        this.tui = tui;
        this.index = tui.floor().ordinal();
    }

    @Override
    public void onKey(KeyStroke key, boolean moreInputFollows) {
        SecurityLevel[] levels = SecurityLevel.values();
        char c = KeyInput.typed(key);
        if (c >= '1' && c <= '0' + levels.length) {
            choose(levels[c - '1']);
        } else if (key.getKeyType() == KeyType.ArrowUp) {
            index = (index + levels.length - 1) % levels.length;
        } else if (key.getKeyType() == KeyType.ArrowDown) {
            index = (index + 1) % levels.length;
        } else if (KeyInput.isEnter(key)) {
            choose(levels[index]);
        } else if (KeyInput.isEscape(key)) {
            tui.showMenu();
        }
    }

    private void choose(SecurityLevel level) {
        tui.setFloor(level);
        tui.showMenu();
        tui.showInfo("Minimum security level: " + level + ". Peers below it are refused.");
    }

    @Override
    public void draw(Canvas c) {
        c.line("Minimum security level (Escape: back)", SGR.BOLD);
        c.line("Connections below this level are refused. Keys 1-3, or arrows and Enter.");
        c.blank();
        SecurityLevel[] levels = SecurityLevel.values();
        for (int i = 0; i < levels.length; i++) {
            String label = (i == index ? " > " : "   ") + (i + 1) + "  " + levels[i]
                    + (levels[i] == tui.floor() ? " (current)" : "") + " — " + ABOUT[i];
            if (i == index) {
                c.line(label, SGR.REVERSE);
            } else {
                c.line(label);
            }
        }
    }
}
