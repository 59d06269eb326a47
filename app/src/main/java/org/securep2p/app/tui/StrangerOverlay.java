package org.securep2p.app.tui;

import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;

/**
 * Somebody who is not a contact connected to the fixed port with no wait open (PROTOCOL.md §20.8): its set-up
 * waits for this answer. o accepts for this conversation only, a accepts and trusts it as a contact, r or Escape
 * refuses this connection, b refuses it now and later. The name is what the peer announced, cleaned.
 */
final class StrangerOverlay implements Overlay {

    private final Tui tui;
    private final ChatEvent.StrangerAsks ask;
    private boolean deciding;

    StrangerOverlay(Tui tui, ChatEvent.StrangerAsks ask) {
        this.tui = tui;
        this.ask = ask;
    }

    @Override
    public void onKey(KeyStroke key) {
        if (deciding) {
            return;
        }
        char c = Character.toLowerCase(KeyInput.typed(key));
        String name = Text.clean(ask.name());
        if (c == 'o') {
            decide(Messenger.TrustDecision.ACCEPT_ONCE, "Accepted " + name + " for this conversation only.");
        } else if (c == 'a') {
            decide(Messenger.TrustDecision.ACCEPT, "Accepted " + name + " and added it to your contacts.");
        } else if (c == 'r' || KeyInput.isEscape(key)) {
            decide(Messenger.TrustDecision.REFUSE, "Refused " + name + ".");
        } else if (c == 'b') {
            decide(Messenger.TrustDecision.REJECT, "Refused " + name + " now and later.");
        }
    }

    private void decide(Messenger.TrustDecision decision, String done) {
        deciding = true;
        tui.async(() -> {
            tui.messenger().decide(ask.peer(), decision);
            return null;
        }, x -> {
            tui.closeOverlay(this);
            tui.showInfo(done);
        }, error -> {
            // The set-up ended meanwhile (the peer gave up, or the question timed out): nothing is pending.
            tui.closeOverlay(this);
            tui.showError(error);
        });
    }

    @Override
    public boolean asksTheEngine() {
        return true;
    }

    @Override
    public void draw(Canvas c) {
        c.line("Someone who is not a contact is connecting", SGR.BOLD);
        c.blank();
        c.wrapped("A peer calling itself \"" + Text.clean(ask.name()) + "\" connected to your fixed port from "
                + Text.clean(ask.address()) + ", with no wait open. Nothing is stored and nothing is sent until you"
                + " answer. Accept only someone you expect; compare the safety number with them afterwards.");
        c.blank();
        c.wrapped("Fingerprint: " + Text.clean(ask.peer()));
        c.line("Level: " + ask.level());
        c.blank();
        c.line(deciding ? "Recording your answer…"
                : "o: accept once   a: accept and trust   r: refuse   b: refuse and block", SGR.BOLD);
    }
}
