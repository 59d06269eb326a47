package org.securep2p.app.tui;

import java.util.List;

import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;

/**
 * A peer's identity changed: sending is blocked until the user accepts, rejects, or compares the safety number
 * and verifies. Shows the warning first, the safety number after v.
 */
final class PeerChangedOverlay implements Overlay {

    /** Which page of the dialog is up, and whether a decision is on its way to the engine. */
    private enum Step {
        WARNING, VERIFYING, DECIDING
    }

    private final Tui tui;
    private final ChatEvent.PeerChanged change;
    private Step step = Step.WARNING;
    /** The page to draw while {@link Step#DECIDING}. */
    private boolean showingNumber;

    PeerChangedOverlay(Tui tui, ChatEvent.PeerChanged change) {
        this.tui = tui;
        this.change = change;
    }

    @Override
    public void onKey(KeyStroke key) {
        char c = Character.toLowerCase(KeyInput.typed(key));
        switch (step) {
            case WARNING -> {
                if (c == 'v') {
                    step = Step.VERIFYING;
                } else if (c == 'a') {
                    decide(Messenger.TrustDecision.ACCEPT, "accepted the new identity of " + who() + " (not verified)");
                } else if (c == 'r') {
                    decide(Messenger.TrustDecision.REJECT, "rejected the new identity of " + who());
                }
            }
            case VERIFYING -> {
                if (c == 'y') {
                    decide(Messenger.TrustDecision.VERIFY, "verified and accepted the new identity of " + who());
                } else if (c == 'n' || KeyInput.isEscape(key)) {
                    step = Step.WARNING;
                }
            }
            case DECIDING -> { }
        }
    }

    private String who() {
        return Text.clean(change.name());
    }

    /** Sends {@code decision}; once recorded, {@code what} ("accepted …") goes to the log and the notice. */
    private void decide(Messenger.TrustDecision decision, String what) {
        showingNumber = step == Step.VERIFYING;
        step = Step.DECIDING;
        tui.async(() -> {
            tui.messenger().decide(change.newFingerprint(), decision);
            return null;
        }, x -> {
            List<Conversation> concerned = tui.chats().decided(change);
            tui.closeOverlay(this);
            for (Conversation k : concerned) {
                k.log.addSystem(tui.now(), "you " + what);
                if (decision == Messenger.TrustDecision.VERIFY) {
                    k.verified();
                }
            }
            tui.showInfo("You " + what + ".");
        }, error -> {
            step = showingNumber ? Step.VERIFYING : Step.WARNING;
            tui.showError(error);
        });
    }

    @Override
    public boolean asksTheEngine() {
        return true;
    }

    @Override
    public void draw(Canvas c) {
        if (step == Step.VERIFYING || (step == Step.DECIDING && showingNumber)) {
            VerifyOverlay.drawNumber(c, tui.chats().safetyNumber(change.peer()), Text.clean(change.name()),
                    step == Step.DECIDING);
            return;
        }
        String who = Text.clean(change.name());
        c.line("!! The identity of " + who + " has changed — sending is blocked until you decide", SGR.BOLD);
        c.blank();
        c.wrapped("Likely causes: " + who + " reinstalled the app or uses a new device. It can also mean someone is"
                + " intercepting the connection (an attack). Compare the safety number with " + who
                + " in person or on a call before you accept.");
        if (change.explanation() != null && !change.explanation().isBlank()) {
            c.wrapped(Text.clean(change.explanation()));
        }
        c.blank();
        c.wrapped("Old fingerprint: " + Text.clean(change.oldFingerprint()));
        c.wrapped("New fingerprint: " + Text.clean(change.newFingerprint()));
        c.blank();
        c.line(step == Step.DECIDING ? "Recording your decision…"
                : "v: verify (show the safety number)   a: accept   r: reject", SGR.BOLD);
    }
}
