package org.securep2p.app.tui;

import org.securep2p.app.ChatEvent;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;

/**
 * A member of the organisation asks to talk (PROTOCOL.md §23.4): a accepts (the messenger connects to it), d
 * declines, Escape leaves it unanswered (it lapses after two minutes). The name is the certified one, cleaned.
 */
final class ChatRequestOverlay implements Overlay {

    private final Tui tui;
    private final ChatEvent.ChatRequest request;

    ChatRequestOverlay(Tui tui, ChatEvent.ChatRequest request) {
        this.tui = tui;
        this.request = request;
    }

    @Override
    public void onKey(KeyStroke key) {
        char c = Character.toLowerCase(KeyInput.typed(key));
        String name = Text.clean(request.name());
        if (c == 'a') {
            tui.closeOverlay(this);
            tui.async(() -> tui.messenger().acceptRequest(request.id()),
                    () -> tui.showInfo("Connecting to " + name + "…"));
        } else if (c == 'd') {
            tui.closeOverlay(this);
            tui.async(() -> tui.messenger().declineRequest(request.id()),
                    () -> tui.showInfo("Declined " + name + "."));
        } else if (KeyInput.isEscape(key)) {
            tui.closeOverlay(this);
        }
    }

    @Override
    public boolean asksTheEngine() {
        return true;
    }

    @Override
    public void draw(Canvas c) {
        c.line(Text.clean(request.name()) + " wants to talk", SGR.BOLD);
        c.blank();
        c.line("Certified by your organisation's CA · " + Text.clean(request.fingerprint()));
        c.line("Level asked for: " + request.level());
        c.blank();
        c.line("a: accept   d: decline   Escape: later", SGR.BOLD);
    }
}
