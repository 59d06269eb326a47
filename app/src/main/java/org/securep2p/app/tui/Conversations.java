package org.securep2p.app.tui;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.securep2p.app.Messenger;

/**
 * Every conversation the TUI knows, in the order Alt+1..9 and Ctrl+N/P follow: the order in which the TUI
 * first heard of each, from the engine's list or an event. Confined to the UI thread.
 */
final class Conversations {

    private final Map<String, Conversation> byPeer = new HashMap<>();
    private final List<Conversation> order = new ArrayList<>();

    /** The conversation with {@code peer} (a fingerprint), added at the end if it is new. */
    Conversation get(String peer) {
        Conversation c = byPeer.get(peer);
        if (c == null) {
            c = new Conversation(peer);
            byPeer.put(peer, c);
            order.add(c);
        }
        return c;
    }

    Optional<Conversation> find(String peer) {
        return Optional.ofNullable(byPeer.get(peer));
    }

    /**
     * The engine's list. The order stays as it was (the engine's, most recent first, when the TUI started; new
     * conversations at the end), so Alt+n keeps naming the same conversation while messages arrive.
     */
    void update(List<Messenger.ConversationInfo> infos) {
        for (Messenger.ConversationInfo info : infos) {
            get(info.peer()).info = info;
        }
    }

    List<Conversation> ordered() {
        return List.copyOf(order);
    }

    int indexOf(Conversation c) {
        return order.indexOf(c);
    }

    /**
     * The conversation {@code query} names: a name (any case), else the one name it starts, else the one
     * fingerprint it starts (spaces ignored).
     */
    Optional<Conversation> named(String query) {
        String q = query.strip().toLowerCase(Locale.ROOT);
        if (q.isEmpty()) {
            return Optional.empty();
        }
        for (Conversation c : order) {
            if (c.name().toLowerCase(Locale.ROOT).equals(q)) {
                return Optional.of(c);
            }
        }
        List<Conversation> byName = order.stream().filter(c -> c.name().toLowerCase(Locale.ROOT).startsWith(q))
                .toList();
        if (byName.size() == 1) {
            return Optional.of(byName.get(0));
        }
        String fp = q.replace(" ", "");
        List<Conversation> byFingerprint = order.stream()
                .filter(c -> c.peer.replace(" ", "").toLowerCase(Locale.ROOT).startsWith(fp)).toList();
        return byFingerprint.size() == 1 ? Optional.of(byFingerprint.get(0)) : Optional.empty();
    }
}
