package org.securep2p.app.tui;

import org.securep2p.app.ChatEvent;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;

/** The user's own identity: username, fingerprint, key and memory protection, trust model. */
final class IdentityScreen implements Screen {

    private final Tui tui;

    IdentityScreen(Tui tui) {
        this.tui = tui;
    }

    @Override
    public void onKey(KeyStroke key, boolean moreInputFollows) {
        if (KeyInput.isEscape(key) || KeyInput.isEnter(key)) {
            tui.showMenu();
        } else if (KeyInput.typed(key) == 'c') {
            ChatEvent.Ready identity = tui.identity();
            if (identity == null) {
                tui.showError("The identity is still loading.");
            } else {
                tui.copy("fingerprint", identity.fingerprint());
            }
        }
    }

    @Override
    public void draw(Canvas c) {
        c.line("Your identity (Escape or Enter: back; c: copy the fingerprint)", SGR.BOLD);
        c.blank();
        ChatEvent.Ready identity = tui.identity();
        if (identity == null) {
            c.line("Loading…");
            return;
        }
        c.line("Username:          " + Text.clean(identity.username()));
        c.wrapped("Fingerprint:       " + Text.clean(identity.fingerprint()));
        c.line("Key protection:    " + Text.clean(identity.keyProtection()));
        c.line("Memory protection: " + Text.clean(identity.memoryProtection()));
        c.wrapped("Peers trusted by:  " + Text.clean(identity.trustModel()));
        c.blank();
        c.wrapped("Peers see this fingerprint; compare it, or the safety number (/verify in a chat), to be sure.");
    }
}
