package org.securep2p.app.tui;

import org.securep2p.app.ChatEvent;
import org.securep2p.crypto.SecurityLevel;

import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;

/**
 * Waiting for an incoming connection: the connection code as text and QR code, the progress, and a field for
 * the connecting side's answer code.
 */
final class WaitScreen implements Screen {

    private final Tui tui;
    /** This wait's attempt number: results of an older attempt are ignored. */
    private final int attempt;
    private final Widgets.Progress progress = new Widgets.Progress();
    private final LineEditor answerField = new LineEditor(Tui.MAX_CODE_INPUT);
    private boolean waiting = true;
    private ChatEvent.Endpoint code;

    private WaitScreen(Tui tui) {
        this.tui = tui;
        this.attempt = tui.nextAttempt();
        progress.restart(tui.now());
    }

    /** Shows a new wait screen and asks the engine to wait at the current floor. */
    static void start(Tui tui) {
        WaitScreen w = new WaitScreen(tui);
        tui.show(w);
        SecurityLevel level = tui.floor();
        tui.async(() -> tui.messenger().waitForPeer(level), e -> {
            if (tui.isCurrentAttempt(w.attempt)) {
                w.onEvent(e);
            }
        }, error -> {
            if (tui.isCurrentAttempt(w.attempt)) {
                w.stop();
                tui.showError(error);
            }
        });
    }

    private void stop() {
        waiting = false;
    }

    @Override
    public boolean ticking() {
        return waiting;
    }

    @Override
    public void onEvent(ChatEvent event) {
        if (event instanceof ChatEvent.Endpoint e) {
            if (waiting && e.code() != null) {
                code = e;
            }
        } else if (event instanceof ChatEvent.Progress p) {
            progress.add(p);
        } else if (event instanceof ChatEvent.Disconnected d && waiting) {
            waiting = false;
            tui.endAttempt();
            tui.showError("Not connected: " + ConversationScreen.disconnectText(d));
        }
    }

    @Override
    public void onKey(KeyStroke key, boolean moreInputFollows) {
        if (KeyInput.isEscape(key)) {
            ConnectScreen.abandon(tui, waiting);
        } else if (KeyInput.isEnter(key)) {
            if (moreInputFollows) {
                return; // a newline inside a pasted answer code
            }
            String answer = answerField.text().replaceAll("\\s+", "");
            if (answer.isEmpty()) {
                return;
            }
            tui.showInfo("Adding the answer code…");
            tui.async(() -> tui.messenger().acceptAnswer(answer), () -> {
                answerField.clear();
                tui.showInfo("Answer code added; waiting for the peer.");
            });
        } else {
            KeyInput.edit(answerField, key);
        }
    }

    @Override
    public void draw(Canvas c) {
        c.line("Waiting for an incoming connection at level " + tui.floor() + " or higher (Escape: stop)", SGR.BOLD);
        Widgets.progress(c, progress, tui.clock(), waiting);
        if (code == null) {
            c.line(waiting ? "Gathering candidates (asking the STUN servers)…" : "Not waiting.");
            return;
        }
        String text = Text.clean(code.code());
        c.line("Give the peer this connection code (the lines between the markers, without them):");
        Widgets.codeBlock(c, Tui.CODE_BEGIN, text, Tui.CODE_END);
        c.wrapped("Or the plain endpoint: " + Text.clean(code.endpoint()));
        if (code.natAdvice() != null && !code.natAdvice().isBlank()) {
            c.wrapped(Text.clean(code.natAdvice()));
        }
        c.line(code.answerNeeded() ? "The peer will show an answer code: paste it here and press Enter:"
                : "If the peer shows an answer code, paste it here and press Enter:");
        Widgets.field(c, answerField, 3, true);
        Widgets.qrIfRoom(c, text, ErrorCorrectionLevel.L);
    }
}
