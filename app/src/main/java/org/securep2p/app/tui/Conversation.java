package org.securep2p.app.tui;

import java.time.Instant;
import java.util.Optional;

import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;

/**
 * One conversation as the TUI shows it, named by the peer's fingerprint: the lines loaded so far, the input
 * being typed, where the user scrolled to, how far back the history has been read, the file transfers that run,
 * and the engine's summary (name, online, unread). Confined to the UI thread.
 *
 * <p>Not its job: storing anything (the engine keeps the history and the queue; this is a view of them).
 */
final class Conversation {

    /** Where reading the stored history back has got to: the oldest position shown, and whether there is more. */
    sealed interface History {
    }

    /** Nothing read yet. */
    record NothingRead() implements History {
    }

    /** A page is being read; {@code before} is empty for the newest page. */
    record Loading(Optional<Long> before) implements History {
    }

    /** Read back to {@code oldest}; more may lie before it. */
    record ReadTo(long oldest) implements History {
    }

    /** Everything stored is shown (or no more fits). */
    record Complete() implements History {
    }

    /** The connection as this TUI has seen it: one state, so "live" and "why it ended" cannot disagree. */
    sealed interface Link {
    }

    /** No connection with this peer since the TUI started (a contact read from the engine's list). */
    record NotSeen() implements Link {
    }

    /** Connected; {@code verifiedHere} once the user compared the safety number in this connection. */
    record Live(ChatEvent.Connected details, boolean verifiedHere) implements Link {
    }

    /** The connection ended, {@code why} in words; {@code details} of the last one, if it came up here. */
    record Lost(Optional<ChatEvent.Connected> details, boolean verifiedHere, String why) implements Link {
    }

    final String peer;
    final ChatLog log = new ChatLog();
    final LineEditor input = new LineEditor(Tui.MAX_MESSAGE_INPUT);
    /** The file transfers with this peer that have not ended. */
    final Transfers files = new Transfers();
    /** The input line asks for the path of a file to send ({@code /send} without one), not for a message. */
    boolean askingForFile;
    History history = new NothingRead();
    /** The engine's summary, as last read; null until the first {@code conversations()} that lists it. */
    Messenger.ConversationInfo info;
    Link link = new NotSeen();
    /** The name the peer announced in an event, for a conversation the engine's list does not hold yet. */
    String announced;
    /** Rows scrolled back from the newest. */
    int scroll;

    Conversation(String peer) {
        this.peer = peer;
    }

    /** The local name, else the name the peer announced, else the start of the fingerprint. */
    String name() {
        if (info != null && info.name() != null && !info.name().isBlank()) {
            return Text.clean(info.name());
        }
        Optional<ChatEvent.Connected> last = details();
        if (last.isPresent() && last.get().name() != null && !last.get().name().isBlank()) {
            return Text.clean(last.get().name());
        }
        if (announced != null && !announced.isBlank()) {
            return Text.clean(announced);
        }
        String fp = Text.clean(peer).replace(" ", "");
        return fp.length() > 8 ? fp.substring(0, 8) : fp;
    }

    boolean online() {
        return info != null ? info.connected() : live();
    }

    int unread() {
        return info == null ? 0 : info.unread();
    }

    Optional<Instant> lastTime() {
        return info == null ? Optional.empty() : info.lastTime();
    }

    /** Shown as read at once; the engine's next summary confirms it. */
    void readLocally() {
        if (info != null && info.unread() != 0) {
            info = new Messenger.ConversationInfo(info.peer(), info.name(), info.connected(), 0, info.lastTime(),
                    info.state(), info.relay(), info.path());
        }
    }

    /** A message arrived while another conversation is shown; the engine's next summary confirms it. */
    void unreadLocally(Instant time) {
        info = info == null
                ? new Messenger.ConversationInfo(peer, name(), live(), 1, Optional.of(time), "connected")
                : new Messenger.ConversationInfo(info.peer(), info.name(), info.connected(), info.unread() + 1,
                        Optional.of(time), info.state(), info.relay(), info.path());
    }

    Optional<String> safetyNumber() {
        return details().map(ChatEvent.Connected::safetyNumber).filter(n -> !Text.digits(n).isEmpty());
    }

    boolean live() {
        return link instanceof Live;
    }

    /** The last connection's details, if one came up while this TUI ran. */
    Optional<ChatEvent.Connected> details() {
        if (link instanceof Live l) {
            return Optional.of(l.details());
        }
        return link instanceof Lost lost ? lost.details() : Optional.empty();
    }

    boolean verifiedHere() {
        return link instanceof Live l ? l.verifiedHere() : link instanceof Lost lost && lost.verifiedHere();
    }

    /** A connection came up: a new one, not verified here yet. */
    void connected(ChatEvent.Connected c) {
        link = new Live(c, false);
    }

    /** The connection ended, {@code why} in words. */
    void lost(String why) {
        link = new Lost(details(), verifiedHere(), why);
    }

    /** The user compared the safety number and the engine recorded it. */
    void verified() {
        if (link instanceof Live l) {
            link = new Live(l.details(), true);
        } else if (link instanceof Lost lost) {
            link = new Lost(lost.details(), true, lost.why());
        }
    }
}
