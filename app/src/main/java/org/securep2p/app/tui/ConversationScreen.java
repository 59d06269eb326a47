package org.securep2p.app.tui;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.securep2p.app.AppException;
import org.securep2p.app.ChatEvent;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;

/**
 * The conversation: its header (peer, path, level, trust, safety number), the messages with their delivery
 * states, and the input line with the slash commands.
 */
final class ConversationScreen implements Screen {

    /** Rows PgUp and PgDn move the view. */
    static final int SCROLL_STEP = 5;

    private final Tui tui;
    private final ChatLog log = new ChatLog();
    private final LineEditor input = new LineEditor(Tui.MAX_MESSAGE_INPUT);
    private final Widgets.Progress progress = new Widgets.Progress();
    private ChatEvent.Connected peer;
    private boolean live;
    private boolean verifiedHere;
    private String disconnectText;
    /** Rows scrolled back from the newest. */
    private int scroll;

    ConversationScreen(Tui tui) {
        this.tui = tui;
    }

    boolean isWith(ChatEvent.Connected c) {
        return peer != null && Text.clean(c.fingerprint()).equals(Text.clean(peer.fingerprint()));
    }

    Optional<String> safetyNumber() {
        return peer != null && !Text.digits(peer.safetyNumber()).isEmpty() ? Optional.of(peer.safetyNumber())
                : Optional.empty();
    }

    String peerName() {
        return peer == null ? "the peer" : Text.clean(peer.peer());
    }

    void connected(ChatEvent.Connected c) {
        peer = c;
        live = true;
        verifiedHere = false;
        disconnectText = null;
        progress.clear();
        Instant now = tui.now();
        log.addSystem(now, "connected to " + Text.clean(c.peer()) + " (" + Text.clean(c.path()) + ", "
                + c.level() + (c.resumed() ? ", session resumed" : ", new session") + "; " + c.trust().label() + ")");
        c.certifiedName().ifPresent(name -> log.addSystem(now, "Peer ID: " + Text.clean(name)
                + " (certified by your organisation's CA)"));
        scroll = 0;
    }

    /** A line from the program, not the peer: commands' answers, decisions, failures. */
    void system(String text) {
        log.addSystem(tui.now(), text);
    }

    /** The user compared the safety number and the engine recorded it. */
    void markedVerified() {
        verifiedHere = true;
    }

    static String disconnectText(ChatEvent.Disconnected d) {
        return Tui.disconnectWords(d) + (d.undelivered() > 0
                ? "; " + Tui.plural(d.undelivered(), "message") + " still queued" : "");
    }

    @Override
    public void onEvent(ChatEvent event) {
        if (event instanceof ChatEvent.MessageReceived m) {
            Instant t = m.time() == null ? tui.now() : m.time();
            log.addPeer(t, Text.clean(m.from()), Text.clean(m.text()));
            scroll = 0;
        } else if (event instanceof ChatEvent.Delivered d) {
            log.delivered(d.id());
        } else if (event instanceof ChatEvent.SendFailed f) {
            log.failed(f.id(), Text.clean(f.reason()));
        } else if (event instanceof ChatEvent.Progress p) {
            progress.add(p);
        } else if (event instanceof ChatEvent.Disconnected d) {
            live = false;
            disconnectText = disconnectText(d);
            system("disconnected: " + disconnectText);
        } else if (event instanceof ChatEvent.Notice n) {
            system(Text.clean(n.text()));
        } else if (event instanceof ChatEvent.Failure f) {
            system(Text.clean(f.reason()));
        }
    }

    @Override
    public void onKey(KeyStroke key, boolean moreInputFollows) {
        if (key.getKeyType() == KeyType.PageUp) {
            scroll += SCROLL_STEP;
        } else if (key.getKeyType() == KeyType.PageDown) {
            scroll = Math.max(0, scroll - SCROLL_STEP);
        } else if (KeyInput.isEscape(key)) {
            input.clear();
        } else if (KeyInput.isEnter(key)) {
            String text = input.text();
            if (text.isBlank()) {
                return;
            }
            input.clear();
            scroll = 0;
            if (text.startsWith("/")) {
                command(text.trim());
            } else {
                send(text);
            }
        } else {
            KeyInput.edit(input, key);
        }
    }

    private void command(String command) {
        switch (command.toLowerCase(Locale.ROOT)) {
            case "/verify" -> {
                if (tui.safetyNumber().isEmpty()) {
                    tui.showError("There is no safety number yet: no conversation is open.");
                } else {
                    tui.openOverlay(new VerifyOverlay(tui, this));
                }
            }
            case "/quit" -> {
                tui.async(() -> tui.messenger().disconnect(), () -> { });
                tui.showMenu();
                tui.showInfo("Conversation closed; undelivered messages stay queued.");
            }
            case "/help" -> {
                system("/verify  compare the safety number and mark the peer verified");
                system("/quit    end the conversation and return to the menu");
                system("/help    this list;  PgUp/PgDn scroll;  Ctrl-C quits the program");
            }
            default -> tui.showError("Unknown command " + Text.fit(Text.clean(command), 20) + "; /help lists them.");
        }
    }

    private void send(String text) {
        if (tui.pendingChange().isPresent()) {
            tui.showError(AppException.Reason.PEER_CHANGED.sentence());
            return;
        }
        ChatLog.Entry entry = log.addOwn(tui.now(), Text.clean(text), !live);
        tui.sendAsync(() -> tui.messenger().send(text), id -> log.bind(entry, id),
                error -> log.failLocally(entry, error));
    }

    @Override
    public void draw(Canvas c) {
        ChatEvent.Connected k = peer;
        String name = k == null ? "?" : Text.clean(k.peer());
        String state = live ? "connected" : "disconnected: " + (disconnectText == null ? "" : disconnectText);
        c.line("Chat with " + name + " — " + state, SGR.BOLD);
        if (k != null) {
            String trust = verifiedHere || k.verified() ? ChatEvent.TrustMode.VERIFIED.label()
                    : k.trust() == null ? "" : k.trust().label();
            c.line("path " + Text.clean(k.path()) + " · level " + k.level() + " · " + trust + " · safety "
                    + Text.shortSafety(k.safetyNumber()) + " (/verify)");
            if (k.certifiedName().isPresent()) {
                c.line("Peer ID: " + Text.clean(k.certifiedName().get()) + " (certified by your organisation's CA)");
            }
        }
        if (!live && !progress.isEmpty()) {
            Widgets.progress(c, progress, tui.clock(), false);
        }
        c.line("─".repeat(c.width));
        int historyRows = c.remaining() - 2;
        List<String> lines = new ArrayList<>();
        for (ChatLog.Entry e : log.entries()) {
            String head = tui.hhmm.format(e.time) + " " + e.sender + ": ";
            String tail = e.kind == ChatLog.Kind.OWN ? "  [" + e.stateLabel() + "]" : "";
            List<String> wrapped = Text.wrap(head + e.text + tail, c.width - 1);
            for (int i = 0; i < wrapped.size(); i++) {
                lines.add(i == 0 ? wrapped.get(i) : "      " + wrapped.get(i));
            }
        }
        int maxScroll = Math.max(0, lines.size() - historyRows);
        scroll = Math.min(scroll, maxScroll);
        int from = Math.max(0, lines.size() - historyRows - scroll);
        int to = Math.min(lines.size(), from + Math.max(0, historyRows));
        c.row = Math.max(c.row, c.limit - 2 - (to - from)); // the newest line sits just above the input
        for (int i = from; i < to; i++) {
            c.line(lines.get(i));
        }
        c.row = Math.max(c.row, c.limit - 2);
        c.line("─".repeat(c.width));
        Widgets.field(c, input, 1, true);
    }
}
