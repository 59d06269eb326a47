package org.securep2p.app.tui;

import org.securep2p.app.ChatEvent;
import org.securep2p.crypto.SecurityLevel;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;

/**
 * Connecting to a peer: a field for the code or {@code host:port}, the progress, and the answer code if any.
 * The user may leave for a conversation while it connects; the connection opens a new conversation.
 */
final class ConnectScreen implements Screen {

    /** Where this screen's connect is. */
    private sealed interface State {
    }

    /** The user edits the code; no connect runs. */
    private record Editing() implements State {
    }

    /** Enter was pressed: try {@code tryNo} is on its way to the engine, which has not named it yet. */
    private record Starting(int tryNo) implements State {
    }

    /** The engine connects; {@code attempt} is its name for this connect. */
    private record Connecting(String attempt) implements State {
    }

    private final Tui tui;
    private final LineEditor codeField = new LineEditor(Tui.MAX_CODE_INPUT);
    private final Widgets.Progress progress = new Widgets.Progress();
    private State state = new Editing();
    /** Counts the Enters, so the late refusal of an earlier connect is ignored. */
    private int tries;
    /** The try the user abandoned with Escape before the engine named it, or 0: cancelled once named. */
    private int abandonedTry;
    private String answerCode;

    ConnectScreen(Tui tui) {
        this.tui = tui;
    }

    private boolean connecting() {
        return !(state instanceof Editing);
    }

    /** True once the engine named this connect {@code id}. */
    boolean named(String id) {
        return state instanceof Connecting c && c.attempt().equals(id);
    }

    /** Events of engine attempt {@code id} belong here: its own, or any while its id is not known yet. */
    boolean owns(String id) {
        return state instanceof Connecting c ? c.attempt().equals(id) : state instanceof Starting;
    }

    private void stop() {
        state = new Editing();
        tries++;
        tui.chats().attemptEnded(this);
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
        } else if (event instanceof ChatEvent.Failure && connecting()) {
            stop(); // the attempt is over: let the user edit the code and try again
        } else if (event instanceof ChatEvent.Connected) {
            stop();
        } else if (event instanceof ChatEvent.Disconnected d && connecting()) {
            stop();
            tui.showError("Not connected: " + ConversationScreen.disconnectText(d));
        }
    }

    @Override
    public void onKey(KeyStroke key, boolean moreInputFollows) {
        if (KeyInput.isEscape(key)) {
            if (state instanceof Connecting c) {
                tui.async(() -> tui.messenger().cancel(c.attempt()), () -> { });
            } else if (state instanceof Starting s) {
                abandonedTry = s.tryNo();
            }
            if (connecting()) {
                stop();
            }
            tui.showMenu();
        } else if (KeyInput.isEnter(key)) {
            if (moreInputFollows && !connecting()) {
                KeyInput.pastedBreak(codeField); // a line break inside a pasted code
                return;
            }
            if (moreInputFollows || connecting()) {
                return; // a second Enter while connecting
            }
            if (!KeyInput.submitsCode(codeField)) {
                tui.showInfo("Reading the code up to its END line; Enter again uses it as it is.");
                return;
            }
            // As pasted: the transport's parser skips the line breaks, spaces and marker lines.
            String code = codeField.text().strip();
            if (code.isEmpty()) {
                tui.showError("Paste the peer's connection code, or type host:port, first.");
                return;
            }
            int mine = ++tries;
            state = new Starting(mine);
            progress.restart(tui.now());
            answerCode = null;
            tui.clearNotice();
            tui.chats().attemptStarted(this);
            SecurityLevel level = tui.floor();
            tui.async(() -> tui.messenger().connect(code, level), id -> {
                if (state instanceof Starting s && s.tryNo() == mine) {
                    state = new Connecting(id);
                } else if (mine == abandonedTry && id != null) {
                    tui.async(() -> tui.messenger().cancel(id), () -> { }); // abandoned meanwhile
                }
            }, error -> {
                if (mine == tries) {
                    stop();
                    tui.showError(error);
                }
            });
        } else if (KeyInput.typed(key) == 'c' && connecting() && answerCode != null && !moreInputFollows) {
            tui.copy("answer code", answerCode); // the field is not in use while connecting
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
            c.line("If the peer cannot see you, give them this answer code (c copies it to the clipboard):");
            Widgets.codeBlock(c, Tui.ANSWER_BEGIN, Text.clean(answerCode), Tui.ANSWER_END);
        }
    }
}
