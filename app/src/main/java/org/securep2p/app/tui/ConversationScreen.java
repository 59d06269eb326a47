package org.securep2p.app.tui;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.securep2p.app.AppException;
import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;

/**
 * One conversation: the conversation list above it, its header (peer, path, level, trust, safety number), the
 * messages with their delivery states, scrollback that reads older history page by page, a progress row per
 * running file transfer, and the input line with the slash commands ({@code /send} asks for a path on it and
 * completes it with Tab).
 *
 * <p>Not its job: switching (the {@link Tui} handles Alt+1..9 and Ctrl+N/P on every screen).
 */
final class ConversationScreen implements Screen {

    /** Messages read from the history per page: what opening a conversation shows, and each PgUp beyond it. */
    static final int HISTORY_PAGE = 200;
    /** Rows PgUp and PgDn move the view. */
    static final int SCROLL_STEP = 5;
    /** At most this many rows of the conversation list above the chat; more scroll with the selection. */
    static final int MAX_LIST_ROWS = 4;
    /** At most this many rows of running transfers above the input; more are counted on one more row. */
    static final int MAX_TRANSFER_ROWS = 3;
    static final String SEND = "/send";
    static final String FILE_PROMPT = "File to send: ";
    /** Before each row of a message after its first. */
    private static final String CONTINUATION = "      ";

    private final Tui tui;
    private final Conversation conversation;
    /** How far back the view can scroll with what is loaded, as of the last frame. */
    private int maxScroll;

    ConversationScreen(Tui tui, Conversation conversation) {
        this.tui = tui;
        this.conversation = conversation;
    }

    Conversation conversation() {
        return conversation;
    }

    static String disconnectText(ChatEvent.Disconnected d) {
        return Chats.disconnectWords(d) + (d.undelivered() > 0
                ? "; " + Text.plural(d.undelivered(), "message") + " still queued" : "");
    }

    @Override
    public void onKey(KeyStroke key, boolean moreInputFollows) {
        Conversation k = conversation;
        if (key.getKeyType() == KeyType.PageUp) {
            k.scroll += SCROLL_STEP;
            if (k.scroll >= maxScroll) {
                tui.chats().readOlder(k);
            }
        } else if (key.getKeyType() == KeyType.PageDown) {
            k.scroll = Math.max(0, k.scroll - SCROLL_STEP);
        } else if (KeyInput.isEscape(key)) {
            k.input.clear();
            k.askingForFile = false;
        } else if (KeyInput.isEnter(key)) {
            String text = k.input.text();
            if (k.askingForFile) {
                k.input.clear();
                k.askingForFile = false;
                if (!text.isBlank()) {
                    sendFile(text);
                }
                return;
            }
            if (text.isBlank()) {
                return;
            }
            k.input.submit();
            k.scroll = 0;
            if (text.startsWith("/")) {
                command(text.trim());
            } else {
                send(text);
            }
        } else if (key.getKeyType() == KeyType.Tab && (k.askingForFile || sendArgument(k.input.text()) != null)) {
            complete();
        } else if (!lineKey(k.input, key)) {
            KeyInput.edit(k.input, key);
        }
    }

    /**
     * The input line's keys beyond the shared editing ones: Up/Down recall this conversation's earlier lines,
     * Ctrl-A/E go to the start/end, Ctrl-W deletes the word before the cursor, Ctrl-U everything before it.
     */
    static boolean lineKey(LineEditor input, KeyStroke key) {
        if (key.getKeyType() == KeyType.ArrowUp) {
            input.previous();
        } else if (key.getKeyType() == KeyType.ArrowDown) {
            input.next();
        } else if (KeyInput.isCtrl(key, 'a')) {
            input.home();
        } else if (KeyInput.isCtrl(key, 'e')) {
            input.end();
        } else if (KeyInput.isCtrl(key, 'w')) {
            input.deleteWordBefore();
        } else if (KeyInput.isCtrl(key, 'u')) {
            input.deleteToStart();
        } else {
            return false;
        }
        return true;
    }

    /** The path typed after {@code /send }, or null when the line is not a {@code /send} with a path begun. */
    private static String sendArgument(String line) {
        String lower = line.toLowerCase(Locale.ROOT);
        return lower.startsWith(SEND + " ") ? line.substring(SEND.length() + 1) : null;
    }

    /**
     * Tab on a path: completes it from its directory (the common start of the matches; "/" after a directory);
     * several matches are listed in the notice above the status bar.
     */
    private void complete() {
        Conversation k = conversation;
        String line = k.input.text();
        String argument = k.askingForFile ? line : sendArgument(line);
        PathInput.Completion done = tui.paths().complete(argument);
        String before = k.askingForFile ? "" : line.substring(0, line.length() - argument.length());
        k.input.set(before + done.text());
        if (done.matches().size() > 1) {
            tui.showInfo(done.matches().size() + " matches: " + Text.clean(String.join("  ", done.matches())));
        } else if (done.matches().isEmpty() && done.text().equals(argument)) {
            tui.showError("No file name starts with that.");
        } else {
            tui.clearNotice();
        }
    }

    private void command(String line) {
        int space = line.indexOf(' ');
        String command = (space < 0 ? line : line.substring(0, space)).toLowerCase(Locale.ROOT);
        String argument = space < 0 ? "" : line.substring(space + 1).strip();
        String peer = conversation.peer;
        switch (command) {
            case "/verify" -> {
                if (tui.chats().safetyNumber(conversation).isEmpty()) {
                    tui.showError("There is no safety number yet: this conversation has not been connected.");
                } else {
                    tui.openOverlay(new VerifyOverlay(tui, conversation));
                }
            }
            case "/open" -> {
                Optional<Conversation> other = tui.chats().conversations().named(argument);
                if (other.isEmpty()) {
                    tui.showError("No conversation is named " + Text.fit(Text.clean(argument), 30) + ".");
                } else {
                    tui.chats().open(other.get());
                }
            }
            case "/rename" -> {
                if (argument.isEmpty()) {
                    tui.showError("Type the new name after /rename.");
                    return;
                }
                tui.async(() -> tui.messenger().rename(peer, argument), () -> {
                    tui.showInfo("Renamed to " + Text.clean(argument) + ".");
                    tui.chats().refreshConversations();
                });
            }
            case "/clear" -> tui.openOverlay(new ConfirmOverlay(tui, "Delete the history of the conversation with "
                    + conversation.name() + " on this device? It cannot be undone.", () -> tui.async(
                            () -> tui.messenger().clearHistory(peer), removed -> {
                                conversation.log.clear();
                                conversation.history = new Conversation.Complete();
                                conversation.scroll = 0;
                                tui.showInfo("History cleared (" + Text.plural(removed, "message") + ").");
                                tui.chats().refreshConversations();
                            }, tui::showError)));
            case "/wait" -> WaitScreen.start(tui);
            case "/connect" -> tui.show(new ConnectScreen(tui));
            case "/menu" -> tui.showMenu();
            case "/quit" -> {
                tui.async(() -> tui.messenger().disconnect(peer), () -> { });
                tui.showMenu();
                tui.showInfo("Conversation closed; undelivered messages stay queued.");
            }
            case SEND -> {
                if (argument.isEmpty()) {
                    conversation.askingForFile = true;
                    tui.showInfo("Type the path of the file to send (Tab completes it; Escape: never mind).");
                } else {
                    sendFile(argument);
                }
            }
            case "/accept", "/decline" -> answer(argument, command.equals("/accept"));
            case "/cancel" -> cancel(argument);
            case "/help" -> {
                system("Enter sends the line;  Esc clears it;  Esc Esc or /menu: back to the main menu "
                        + "(the conversation stays open)");
                system("Left/Right, Home/End, Backspace/Delete edit the line;  Up/Down: earlier lines;  "
                        + "Ctrl-A/E start/end, Ctrl-W/U delete a word/to the start");
                system("Alt+1..9, Ctrl+N, Ctrl+P  switch conversations (on every screen);  "
                        + "PgUp/PgDn scroll through the history");
                system("/open NAME    switch to another conversation by name");
                system("/rename NAME  set this contact's name;  /clear  delete this conversation's history");
                system("/verify  compare the safety number and mark the peer verified");
                system("/wait, /connect  start a new conversation");
                system("/quit    end the conversation and return to the menu");
                system("/send PATH  send a file (\"quotes\" around a path with spaces, ~ for your home); "
                        + "/send alone asks for the path; Tab completes it");
                system("/accept [ID], /decline [ID]  answer a file offer (without ID: the latest); "
                        + "a or d in its prompt");
                system("/cancel [ID]  stop a file transfer (without ID: the latest running)");
                system("/help    this list;  Ctrl-C quits the program");
            }
            default -> tui.showError("Unknown command " + Text.fit(Text.clean(command), 20) + "; /help lists them.");
        }
    }

    private void system(String text) {
        conversation.log.addSystem(tui.now(), text);
    }

    /** {@code /send PATH}: offers the file; a refusal (missing, unreadable, too large) is a line here. */
    private void sendFile(String argument) {
        Conversation k = conversation;
        Optional<java.nio.file.Path> path = tui.paths().parse(argument);
        if (path.isEmpty()) {
            tui.showError("Give one path after /send, in quotes if it has spaces.");
            return;
        }
        if (tui.chats().blocked(k)) {
            tui.showError(AppException.Reason.PEER_CHANGED.sentence());
            return;
        }
        java.nio.file.Path p = path.get();
        String name = FileText.fileName(p.toString());
        tui.async(() -> tui.messenger().sendFile(k.peer, p), id -> {
            k.files.getOrAdd(id, name, true, "offered").ifPresent(t -> {
                t.name = name;
                t.outgoing = true;
            });
            k.log.addSystem(tui.now(), FileText.OUT + " Offering " + name + " to " + k.name() + "…");
        }, why -> k.log.addSystem(tui.now(), FileText.FAILED + " Cannot send " + name + ": " + why));
    }

    /** {@code /accept [ID]} and {@code /decline [ID]}: the offer named, else the latest one not answered. */
    private void answer(String id, boolean accept) {
        Conversation k = conversation;
        List<Transfers.Transfer> offers = k.files.all().stream().filter(Transfers.Transfer::asking).toList();
        Optional<Transfers.Transfer> offer = id.isEmpty() ? k.files.latestAsking() : Transfers.byPrefix(offers, id);
        if (offer.isEmpty()) {
            tui.showError(offers.isEmpty() ? "There is no file offer to answer here."
                    : "No single offer here has the id " + Text.fit(Text.clean(id), 32) + ".");
            return;
        }
        tui.chats().answerOffer(k, offer.get(), accept);
    }

    /** {@code /cancel [ID]}: the transfer named, else the latest running one; both sides then say it ended. */
    private void cancel(String id) {
        Conversation k = conversation;
        Optional<Transfers.Transfer> t = id.isEmpty() ? k.files.latestRunning() : Transfers.byPrefix(k.files.all(), id);
        if (t.isEmpty()) {
            tui.showError(k.files.isEmpty() ? "No file transfer runs here."
                    : "No single transfer here has the id " + Text.fit(Text.clean(id), 32) + ".");
            return;
        }
        String name = t.get().name;
        String transfer = t.get().id;
        tui.async(() -> tui.messenger().cancelFile(transfer), () -> tui.showInfo("Cancelling " + name + "…"));
    }

    private void send(String text) {
        Conversation k = conversation;
        if (tui.chats().blocked(k)) {
            tui.showError(AppException.Reason.PEER_CHANGED.sentence());
            return;
        }
        ChatLog.Entry entry = k.log.addOwn(tui.now(), Text.clean(text), !k.online());
        tui.sendAsync(() -> tui.messenger().send(k.peer, text), id -> k.log.bind(entry, id),
                error -> k.log.failLocally(entry, error));
    }

    @Override
    public void draw(Canvas c) {
        Conversation k = conversation;
        list(c, tui, k);
        ChatEvent.Connected details = k.details().orElse(null);
        String state = k.link instanceof Conversation.Lost lost ? "disconnected: " + lost.why()
                : k.live() || k.online() ? "connected" : "offline; messages are queued until it connects";
        c.line("Chat with " + k.name() + " — " + state, SGR.BOLD);
        if (details != null) {
            String trust = k.verifiedHere() || details.verified() ? ChatEvent.TrustMode.VERIFIED.label()
                    : details.trust() == null ? "" : details.trust().label();
            c.line("path " + Text.clean(details.path()) + " · level " + details.level() + " · " + trust
                    + " · safety " + Text.shortSafety(details.safetyNumber()) + " (/verify)");
            if (details.certifiedName().isPresent()) {
                c.line("Peer ID: " + Text.clean(details.certifiedName().get())
                        + " (certified by your organisation's CA)");
            }
        }
        Messenger.ConversationInfo info = k.info;
        if (info != null && info.relay().isPresent()) {
            c.line("relay " + Text.clean(info.relay().get())
                    + (info.path().isPresent() ? " · path relay: messages wait there until the contact picks them up"
                            : ""));
        }
        c.line(backHint(c.width));
        List<String> transfers = transferRows(k, c.width);
        int historyRows = c.remaining() - 2 - transfers.size();
        List<String> lines = new ArrayList<>();
        String top = null;
        if (k.history instanceof Conversation.Loading) {
            top = "… reading the history …";
        } else if (k.history instanceof Conversation.ReadTo) {
            top = "… PgUp: older messages …";
        } else if (k.history instanceof Conversation.Complete) {
            top = k.log.full() ? "… older messages are not shown here …" : "— start of the conversation —";
        }
        if (top != null) {
            lines.add(top);
        }
        for (ChatLog.Entry e : k.log.entries()) {
            String head = tui.hhmm.format(e.time) + " " + e.sender + ": ";
            String tail = e.kind == ChatLog.Kind.OWN ? "  [" + e.stateLabel() + "]" : "";
            // Continuation rows are indented under the text: wrapped narrower by the indent, so nothing is cut.
            List<String> wrapped = Text.wrap(head + e.text + tail, c.width - 1, c.width - 1 - CONTINUATION.length());
            for (int i = 0; i < wrapped.size(); i++) {
                lines.add(i == 0 ? wrapped.get(i) : CONTINUATION + wrapped.get(i));
            }
        }
        maxScroll = Math.max(0, lines.size() - historyRows);
        k.scroll = Math.min(k.scroll, maxScroll);
        int from = Math.max(0, lines.size() - historyRows - k.scroll);
        int to = Math.min(lines.size(), from + Math.max(0, historyRows));
        // The newest line sits just above the transfers, and they just above the input.
        c.row = Math.max(c.row, c.limit - 2 - transfers.size() - (to - from));
        for (int i = from; i < to; i++) {
            c.line(lines.get(i));
        }
        c.row = Math.max(c.row, c.limit - 2 - transfers.size());
        for (String t : transfers) {
            c.line(t);
        }
        c.line("─".repeat(c.width));
        if (k.askingForFile) {
            Widgets.field(c, k.input, 1, true, FILE_PROMPT);
        } else {
            Widgets.field(c, k.input, 1, true);
        }
    }

    /** The rule under the header, with the way back in it: a new user finds no other way out of a chat. */
    static String backHint(int width) {
        String hint = " Esc Esc or /menu: back to the menu · /help: every key ";
        return width < hint.length() + 4 ? "─".repeat(width) : "──" + hint + "─".repeat(width - hint.length() - 2);
    }

    /** One row per running transfer (progress bar, percent, rate, time left), the newest at most. */
    private static List<String> transferRows(Conversation k, int width) {
        List<Transfers.Transfer> all = k.files.all();
        List<String> rows = new ArrayList<>();
        int shown = all.size() > MAX_TRANSFER_ROWS ? MAX_TRANSFER_ROWS - 1 : all.size();
        if (all.size() > shown) {
            rows.add("… " + Text.plural(all.size() - shown, "more transfer") + " (/cancel ID stops one)");
        }
        for (Transfers.Transfer t : all.subList(all.size() - shown, all.size())) {
            rows.add(FileText.row(t, k.name(), width));
        }
        return rows;
    }

    /**
     * The conversation list: one row each (Alt key, name, online, unread, last message time), at most
     * {@link #MAX_LIST_ROWS} around {@code selected}, so an 80x24 terminal keeps most of its rows for the chat.
     */
    static void list(Canvas c, Tui tui, Conversation selected) {
        List<Conversation> all = tui.chats().conversations().ordered();
        if (all.isEmpty()) {
            return;
        }
        int rows = Math.min(all.size(), MAX_LIST_ROWS);
        int at = selected == null ? 0 : Math.max(0, all.indexOf(selected));
        int first = Math.max(0, Math.min(at - rows / 2, all.size() - rows));
        for (int i = first; i < first + rows; i++) {
            Conversation k = all.get(i);
            String key = i < 9 ? "Alt+" + (i + 1) : "";
            String unread = k.unread() > 0 ? k.unread() + " unread" : "";
            String time = k.lastTime().map(tui::when).orElse("");
            String row = String.format("%s %-6s %-20s %-8s %-10s %s", k == selected ? ">" : " ", key,
                    Text.fit(k.name(), 20), k.online() ? "online" : "offline", unread, time);
            String more = i == first + rows - 1 && all.size() > rows ? "  (" + all.size() + " in all; Ctrl+N/P)" : "";
            if (k == selected) {
                c.line(row + more, SGR.REVERSE);
            } else {
                c.line(row + more);
            }
        }
    }
}
