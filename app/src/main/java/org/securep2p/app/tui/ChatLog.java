package org.securep2p.app.tui;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.securep2p.app.history.HistoryMessage;

/**
 * The conversation as shown: messages in arrival order and the delivery state of each own message, found by
 * the id {@code Messenger.send} returned. Confined to the UI thread.
 *
 * <p>Not its job: storing anything (the engine keeps the encrypted history and the queue).
 */
final class ChatLog {

    /**
     * Lines kept for display; older ones scroll away (the engine, not the screen, is the record), and paging
     * back through the history stops here: ten pages of {@code ConversationScreen.HISTORY_PAGE}.
     */
    static final int MAX_ENTRIES = 2_000;

    enum Kind {
        OWN, PEER, SYSTEM
    }

    enum State {
        SENDING("sending…"), QUEUED("queued"), RELAYED("via relay"), DELIVERED("delivered"), FAILED("failed");

        final String label;

        State(String label) {
            this.label = label;
        }
    }

    static final class Entry {
        final Instant time;
        final Kind kind;
        final String sender;
        final String text;
        String id;
        State state;
        String failure;

        Entry(Instant time, Kind kind, String sender, String text, State state) {
            this.time = time;
            this.kind = kind;
            this.sender = sender;
            this.text = text;
            this.state = state;
        }

        /** What follows an own message: "[delivered]", "[failed: reason]". */
        String stateLabel() {
            if (state == null) {
                return "";
            }
            return state == State.FAILED ? "failed: " + failure : state.label;
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, Entry> byId = new HashMap<>();
    /** Outcomes that arrived before send() returned the id (engine threads can be faster than the worker). */
    private final Map<String, Entry> early = new HashMap<>();

    Entry addOwn(Instant time, String text, boolean queued) {
        return add(new Entry(time, Kind.OWN, "me", text, queued ? State.QUEUED : State.SENDING));
    }

    Entry addPeer(Instant time, String from, String text) {
        return add(new Entry(time, Kind.PEER, from, text, null));
    }

    /**
     * A received message with its id; false, and nothing added, when the entry is already shown (a history page
     * read while the message arrived holds it too).
     */
    boolean addPeer(Instant time, String from, String text, String id) {
        if (byId.containsKey(id)) {
            return false;
        }
        Entry e = add(new Entry(time, Kind.PEER, from, text, null));
        e.id = id;
        byId.put(id, e);
        return true;
    }

    /**
     * Puts a page of stored messages (oldest first) before everything shown, skipping the ones already shown;
     * returns how many were added. Never drops what is shown: a page that does not fit is cut at its old end.
     */
    int prepend(List<HistoryMessage> page, String peerName) {
        List<Entry> older = new ArrayList<>();
        for (HistoryMessage m : page) {
            if (byId.containsKey(m.id())) {
                continue;
            }
            Entry e = fromHistory(m, peerName);
            older.add(e);
            byId.put(m.id(), e);
        }
        int room = Math.max(0, MAX_ENTRIES - entries.size());
        if (older.size() > room) {
            for (Entry dropped : older.subList(0, older.size() - room)) {
                byId.remove(dropped.id);
            }
            older = older.subList(older.size() - room, older.size());
        }
        entries.addAll(0, older);
        return older.size();
    }

    /** True when no more history fits. */
    boolean full() {
        return entries.size() >= MAX_ENTRIES;
    }

    private static Entry fromHistory(HistoryMessage m, String peerName) {
        boolean own = m.direction() == HistoryMessage.Direction.SENT;
        State state = switch (m.delivery()) {
            case SENDING -> State.SENDING;
            case DELIVERED -> State.DELIVERED;
            case FAILED -> State.FAILED;
            case RECEIVED -> null;
        };
        Entry e = new Entry(m.time(), own ? Kind.OWN : Kind.PEER, own ? "me" : peerName, Text.clean(m.text()),
                state);
        e.id = m.id();
        e.failure = m.failureReason().map(Text::clean).orElse(state == State.FAILED ? "" : null);
        return e;
    }

    /** Forgets everything shown (the history was cleared). */
    void clear() {
        entries.clear();
        byId.clear();
        early.clear();
    }

    Entry addSystem(Instant time, String text) {
        return add(new Entry(time, Kind.SYSTEM, "*", text, null));
    }

    private Entry add(Entry e) {
        entries.add(e);
        if (entries.size() > MAX_ENTRIES) {
            Entry dropped = entries.remove(0);
            if (dropped.id != null) {
                byId.remove(dropped.id);
            }
        }
        return e;
    }

    /** send() returned: from now on events for {@code id} update this entry. */
    void bind(Entry e, String id) {
        Entry shown = byId.get(id);
        if (shown != null && shown != e) {
            // A history page read meanwhile already holds this message: keep one line for it, the stored one.
            entries.remove(e);
            return;
        }
        e.id = id;
        byId.put(id, e);
        Entry outcome = early.remove(id);
        if (outcome != null) {
            e.state = outcome.state;
            e.failure = outcome.failure;
        }
    }

    void failLocally(Entry e, String reason) {
        e.state = State.FAILED;
        e.failure = reason;
    }

    void delivered(String id) {
        update(id, State.DELIVERED, null);
    }

    void failed(String id, String reason) {
        update(id, State.FAILED, reason);
    }

    /** The contact's relay holds it (PROTOCOL.md §22.6): shown "via relay" until it is delivered. */
    void relayed(String id) {
        Entry e = byId.get(id);
        if (e != null && e.state == State.FAILED) {
            return;
        }
        update(id, State.RELAYED, null);
    }

    private void update(String id, State state, String reason) {
        Entry e = byId.get(id);
        if (e == null) {
            Entry placeholder = new Entry(Instant.EPOCH, Kind.OWN, "", "", state);
            placeholder.failure = reason;
            if (early.size() < MAX_ENTRIES) {
                early.put(id, placeholder);
            }
            return;
        }
        if (e.state == State.DELIVERED) {
            return; // delivered is final: a late failure report cannot undo an acknowledgement
        }
        e.state = state;
        e.failure = reason;
    }

    List<Entry> entries() {
        return Collections.unmodifiableList(entries);
    }

    int queuedOrSending() {
        int n = 0;
        for (Entry e : entries) {
            if (e.state == State.SENDING || e.state == State.QUEUED || e.state == State.RELAYED) {
                n++;
            }
        }
        return n;
    }
}
