package org.securep2p.app.tui;

import java.util.Optional;

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

    /** Where this wait is. */
    private sealed interface State {
    }

    /** Asking the STUN servers; the engine has not named the wait yet. */
    private record Gathering() implements State {
    }

    /** The code is up; {@code attempt} is the engine's name for this wait. */
    private record Showing(String attempt, ChatEvent.Endpoint code) implements State {
    }

    /** Over (connected, failed, refused); the code stays on the screen if there was one. */
    private record Ended(Optional<ChatEvent.Endpoint> code) implements State {
    }

    /** The user pressed Escape; a wait the engine names later is cancelled then. */
    private record Abandoned() implements State {
    }

    private final Tui tui;
    private final Widgets.Progress progress = new Widgets.Progress();
    private final LineEditor answerField = new LineEditor(Tui.MAX_CODE_INPUT);
    private State state = new Gathering();

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
            if (w.waiting()) {
                w.onEvent(e);
            } else if (w.state instanceof Abandoned && e.attempt() != null && !e.attempt().isEmpty()) {
                // Abandoned before the engine said which wait it was: end it now.
                tui.async(() -> tui.messenger().cancel(e.attempt()), () -> { });
            }
        }, error -> {
            if (w.waiting()) {
                w.end();
                tui.showError(error);
            }
        });
    }

    boolean waiting() {
        return state instanceof Gathering || state instanceof Showing;
    }

    private void end() {
        state = new Ended(state instanceof Showing s ? Optional.of(s.code()) : Optional.empty());
        tui.chats().attemptEnded(this);
    }

    /** True once the engine named this wait {@code id}. */
    boolean named(String id) {
        return state instanceof Showing s && s.attempt().equals(id);
    }

    /** Events of engine attempt {@code id} belong here: its own, or the first one while its id is unknown. */
    boolean owns(String id) {
        return state instanceof Showing s ? s.attempt().equals(id) : state instanceof Gathering;
    }

    @Override
    public boolean ticking() {
        return waiting();
    }

    @Override
    public void onEvent(ChatEvent event) {
        if (event instanceof ChatEvent.Endpoint e) {
            if (waiting() && e.code() != null && e.attempt() != null && !e.attempt().isEmpty()) {
                state = new Showing(e.attempt(), e);
            }
        } else if (event instanceof ChatEvent.Progress p) {
            progress.add(p);
        } else if ((event instanceof ChatEvent.Failure || event instanceof ChatEvent.Connected) && waiting()) {
            end();
        } else if (event instanceof ChatEvent.Disconnected d && waiting()) {
            end();
            tui.showError("Not connected: " + ConversationScreen.disconnectText(d));
        }
    }

    @Override
    public void onKey(KeyStroke key, boolean moreInputFollows) {
        if (KeyInput.isEscape(key)) {
            abandon();
        } else if (KeyInput.isEnter(key)) {
            if (moreInputFollows) {
                KeyInput.pastedBreak(answerField); // a line break inside a pasted answer code
                return;
            }
            if (!KeyInput.submitsCode(answerField)) {
                tui.showInfo("Reading the answer code up to its END line; Enter again uses it as it is.");
                return;
            }
            // As pasted: the transport's parser skips the line breaks, spaces and marker lines.
            String answer = answerField.text().strip();
            if (answer.isEmpty()) {
                return;
            }
            if (!(state instanceof Showing s)) {
                tui.showError(waiting() ? "The connection code is not ready yet; paste the answer code once it is"
                        + " shown." : "This wait is over; start a new one from the menu.");
                return;
            }
            String id = s.attempt();
            tui.showInfo("Adding the answer code…");
            tui.async(() -> tui.messenger().acceptAnswer(id, answer), () -> {
                answerField.clear();
                tui.showInfo("Answer code added; waiting for the peer.");
            });
        } else if (KeyInput.typed(key) == 'c' && answerField.isEmpty() && !moreInputFollows) {
            // An answer code starts with "sp2p", so a 'c' typed into the empty field is never its start.
            if (shownCode().isPresent()) {
                tui.copy("connection code", shownCode().get().code());
            } else {
                tui.showError("There is no connection code to copy yet.");
            }
        } else {
            KeyInput.edit(answerField, key);
        }
    }

    private Optional<ChatEvent.Endpoint> shownCode() {
        return state instanceof Showing s ? Optional.of(s.code()) : state instanceof Ended e ? e.code() : Optional.empty();
    }

    /** Escape: ends this wait and returns to the menu. */
    private void abandon() {
        if (state instanceof Showing s) {
            String id = s.attempt();
            tui.async(() -> tui.messenger().cancel(id), () -> { });
        }
        if (waiting()) {
            state = new Abandoned();
            tui.chats().attemptEnded(this);
        }
        tui.showMenu();
    }

    @Override
    public void draw(Canvas c) {
        c.line("Waiting for an incoming connection at level " + tui.floor() + " or higher (Escape: stop)", SGR.BOLD);
        Widgets.progress(c, progress, tui.clock(), waiting());
        Optional<ChatEvent.Endpoint> shown = shownCode();
        if (shown.isEmpty()) {
            c.line(waiting() ? "Gathering candidates (asking the STUN servers)…" : "Not waiting.");
            return;
        }
        ChatEvent.Endpoint code = shown.get();
        String text = Text.clean(code.code());
        c.line("Give the peer this connection code (c copies it to the clipboard):");
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
