package org.securep2p.app.tui;

import org.securep2p.app.ChatEvent;
import org.securep2p.crypto.SecurityLevel;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;

/** Connecting to a peer: a field for the code or {@code host:port}, the progress, and the answer code if any. */
final class ConnectScreen implements Screen {

    private final Tui tui;
    private final LineEditor codeField = new LineEditor(Tui.MAX_CODE_INPUT);
    private final Widgets.Progress progress = new Widgets.Progress();
    /** The running attempt's number while connecting, or 0. */
    private int attempt;
    private String answerCode;

    ConnectScreen(Tui tui) {
        this.tui = tui;
    }

    private boolean connecting() {
        return attempt != 0;
    }

    /** Abandons a running wait or connect and returns to the menu. */
    static void abandon(Tui tui, boolean running) {
        if (running) {
            tui.async(() -> tui.messenger().disconnect(), () -> { });
        }
        tui.endAttempt();
        tui.showMenu();
    }

    @Override
    public boolean ticking() {
        return connecting();
    }

    @Override
    public void onEvent(ChatEvent event) {
        if (event instanceof ChatEvent.Progress p) {
            progress.add(p);
        } else if (event instanceof ChatEvent.AnswerCode a) {
            answerCode = a.code();
        } else if (event instanceof ChatEvent.Failure) {
            attempt = 0; // the attempt is over: let the user edit the code and try again
        } else if (event instanceof ChatEvent.Disconnected d && connecting()) {
            attempt = 0;
            tui.endAttempt();
            tui.showError("Not connected: " + ConversationScreen.disconnectText(d));
        }
    }

    @Override
    public void onKey(KeyStroke key, boolean moreInputFollows) {
        if (KeyInput.isEscape(key)) {
            abandon(tui, connecting());
        } else if (KeyInput.isEnter(key)) {
            if (moreInputFollows || connecting()) {
                return; // a newline inside a pasted code, or a second Enter while connecting
            }
            String code = codeField.text().replaceAll("\\s+", "");
            if (code.isEmpty()) {
                tui.showError("Paste the peer's connection code, or type host:port, first.");
                return;
            }
            int mine = tui.nextAttempt();
            attempt = mine;
            progress.restart(tui.now());
            answerCode = null;
            tui.clearNotice();
            SecurityLevel level = tui.floor();
            tui.async(() -> {
                tui.messenger().connect(code, level);
                return null;
            }, x -> { }, error -> {
                if (tui.isCurrentAttempt(mine)) {
                    attempt = 0;
                    tui.showError(error);
                }
            });
        } else {
            KeyInput.edit(codeField, key);
        }
    }

    @Override
    public void draw(Canvas c) {
        c.line("Connect to a peer at level " + tui.floor() + " or higher (Escape: back)", SGR.BOLD);
        c.line("Paste the peer's connection code, or type host:port, then press Enter:");
        Widgets.field(c, codeField, 5, !connecting());
        if (connecting()) {
            c.line("Connecting…");
        }
        Widgets.progress(c, progress, tui.clock(), connecting());
        if (answerCode != null) {
            c.line("If the peer cannot see you, give them this answer code:");
            Widgets.codeBlock(c, Tui.ANSWER_BEGIN, Text.clean(answerCode), Tui.ANSWER_END);
        }
    }
}
