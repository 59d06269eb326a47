package org.securep2p.app.tui;

import org.securep2p.app.ChatEvent;
import org.securep2p.crypto.SecurityLevel;

import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;

/**
 * Waiting for an incoming connection: the connection code as text and QR code, the progress, and a field for
 * the connecting side's answer code. Several waits may run at once, and the user may leave this screen for a
 * conversation (Alt+1..9): the wait goes on, and its connection opens a new conversation.
 */
final class WaitScreen implements Screen {

    private final Tui tui;
    private final Widgets.Progress progress = new Widgets.Progress();
    private final LineEditor answerField = new LineEditor(Tui.MAX_CODE_INPUT);
    /** The engine's id for this wait, known once {@code waitForPeer} returns or its Endpoint event arrives. */
    private String attempt;
    private boolean waiting = true;
    /** The user pressed Escape (not: the wait ended on its own). */
    private boolean abandoned;
    private ChatEvent.Endpoint code;

    private WaitScreen(Tui tui) {
        this.tui = tui;
        progress.restart(tui.now());
    }

    /** Shows a new wait screen and asks the engine for one more wait at the current floor. */
    static void start(Tui tui) {
        WaitScreen w = new WaitScreen(tui);
        tui.show(w);
        tui.chats().attemptStarted(w);
        SecurityLevel level = tui.floor();
        tui.async(() -> tui.messenger().waitForPeer(level), e -> {
            if (w.waiting) {
                w.onEvent(e);
            } else if (w.abandoned && w.attempt == null && e.attempt() != null && !e.attempt().isEmpty()) {
                // Abandoned before the engine said which wait it was: end it now.
                tui.async(() -> tui.messenger().cancel(e.attempt()), () -> { });
            }
        }, error -> {
            if (w.waiting) {
                w.stop();
                tui.showError(error);
            }
        });
    }

    private void stop() {
        waiting = false;
        tui.chats().attemptEnded(this);
    }

    /** Events of engine attempt {@code id} belong here: its own, or the first one while its id is unknown. */
    boolean owns(String id) {
        return attempt != null ? attempt.equals(id) : waiting;
    }

    boolean waiting() {
        return waiting;
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
                if (e.attempt() != null && !e.attempt().isEmpty()) {
                    attempt = e.attempt();
                }
            }
        } else if (event instanceof ChatEvent.Progress p) {
            progress.add(p);
        } else if (event instanceof ChatEvent.Failure && waiting) {
            stop();
        } else if (event instanceof ChatEvent.Connected) {
            stop();
        } else if (event instanceof ChatEvent.Disconnected d && waiting) {
            stop();
            tui.showError("Not connected: " + ConversationScreen.disconnectText(d));
        }
    }

    @Override
    public void onKey(KeyStroke key, boolean moreInputFollows) {
        if (KeyInput.isEscape(key)) {
            abandon();
        } else if (KeyInput.isEnter(key)) {
            if (moreInputFollows) {
                return; // a newline inside a pasted answer code
            }
            String answer = answerField.text().replaceAll("\\s+", "");
            if (answer.isEmpty()) {
                return;
            }
            if (attempt == null) {
                tui.showError("The connection code is not ready yet; paste the answer code once it is shown.");
                return;
            }
            String id = attempt;
            tui.showInfo("Adding the answer code…");
            tui.async(() -> tui.messenger().acceptAnswer(id, answer), () -> {
                answerField.clear();
                tui.showInfo("Answer code added; waiting for the peer.");
            });
        } else {
            KeyInput.edit(answerField, key);
        }
    }

    /** Escape: ends this wait and returns to the menu. */
    private void abandon() {
        abandoned = true;
        if (waiting && attempt != null) {
            String id = attempt;
            tui.async(() -> tui.messenger().cancel(id), () -> { });
        }
        if (waiting) {
            stop();
        }
        tui.showMenu();
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
