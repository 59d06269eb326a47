package org.securep2p.app.tui;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;

/** A yes-or-no question before something that cannot be undone; only y goes ahead. */
final class ConfirmOverlay implements Overlay {

    private final Tui tui;
    private final String question;
    private final Runnable yes;

    ConfirmOverlay(Tui tui, String question, Runnable yes) {
        this.tui = tui;
        this.question = question;
        this.yes = yes;
    }

    @Override
    public void onKey(KeyStroke key) {
        char c = Character.toLowerCase(KeyInput.typed(key));
        if (c == 'y') {
            tui.closeOverlay(this);
            yes.run();
        } else if (c == 'n' || KeyInput.isEscape(key)) {
            tui.closeOverlay(this);
        }
    }

    @Override
    public void draw(Canvas c) {
        c.line("Please confirm", SGR.BOLD);
        c.blank();
        c.wrapped(question);
        c.blank();
        c.line("y: yes   n or Escape: no", SGR.BOLD);
    }
}
