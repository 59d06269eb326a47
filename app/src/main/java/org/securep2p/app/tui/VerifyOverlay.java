package org.securep2p.app.tui;

import java.util.Optional;

import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;

/** The safety number of one conversation, as digits and QR code; y marks the peer verified. */
final class VerifyOverlay implements Overlay {

    private final Tui tui;
    private final Conversation chat;

    VerifyOverlay(Tui tui, Conversation chat) {
        this.tui = tui;
        this.chat = chat;
    }

    @Override
    public void onKey(KeyStroke key) {
        char c = Character.toLowerCase(KeyInput.typed(key));
        if (c == 'y') {
            tui.closeOverlay(this);
            tui.async(() -> tui.messenger().markVerified(chat.peer), () -> {
                chat.verified();
                chat.log.addSystem(tui.now(), "you marked " + chat.name() + " as verified");
            });
        } else if (c == 'n' || KeyInput.isEscape(key)) {
            tui.closeOverlay(this);
        }
    }

    @Override
    public void draw(Canvas c) {
        drawNumber(c, tui.chats().safetyNumber(chat), chat.name(), false);
    }

    /** The number, the instructions, and the keys; {@code inFlight} while a decision is being recorded. */
    static void drawNumber(Canvas c, Optional<String> number, String who, boolean inFlight) {
        c.line("Safety number with " + who, SGR.BOLD);
        c.blank();
        if (number.isEmpty()) {
            c.line("No safety number is available yet.");
        } else {
            for (String row : Text.safetyRows(number.get(), 4)) {
                c.line("    " + row);
            }
        }
        c.blank();
        c.wrapped("Compare these " + Text.SAFETY_DIGITS + " digits with " + who
                + " (read them aloud, or scan the QR code). If they match, nobody is in between.");
        c.line(inFlight ? "Recording your decision…"
                : "y: they match, mark " + who + " verified   n or Escape: not now", SGR.BOLD);
        number.ifPresent(n -> Widgets.qrIfRoom(c, Text.digits(n), ErrorCorrectionLevel.M));
    }
}
