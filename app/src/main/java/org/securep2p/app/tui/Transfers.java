package org.securep2p.app.tui;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.securep2p.app.Messenger;

/**
 * The file transfers of one conversation that have not ended, oldest first, as the TUI shows them (PROTOCOL.md
 * §24), and the ids of those that ended, so a late event about one cannot bring it back. Confined to the UI thread.
 *
 * <p>Not its job: the transfers themselves (the engine's); this is a view fed by its events and its
 * {@link Messenger#transfers()} list.
 */
final class Transfers {

    /** Ended ids remembered per conversation; an event older than this many ends is not expected. */
    static final int MAX_ENDED = 256;

    /** What the front end knows of one transfer. Names and media types are cleaned before they are stored. */
    static final class Transfer {
        final String id;
        String name;
        boolean outgoing;
        String mediaType = "";
        long bytes;
        long total;
        long rate;
        /** As {@link Messenger.TransferInfo#state()}: offered, asking, sending, receiving or waiting. */
        String state;
        /** The offer's prompt was shown (or answered): opening the conversation does not show it again. */
        boolean prompted;

        Transfer(String id, String name, boolean outgoing, String state) {
            this.id = id;
            this.name = name;
            this.outgoing = outgoing;
            this.state = state;
        }

        boolean asking() {
            return "asking".equals(state);
        }

        /** The first hex digits, enough to name it in {@code /accept}, {@code /decline} and {@code /cancel}. */
        String shortId() {
            return id.length() > 8 ? id.substring(0, 8) : id;
        }
    }

    private final Map<String, Transfer> byId = new LinkedHashMap<>();
    private final Set<String> ended = new LinkedHashSet<>();

    /** The transfer {@code id}, if it runs. */
    Optional<Transfer> get(String id) {
        return Optional.ofNullable(byId.get(key(id)));
    }

    /**
     * The transfer {@code id}, added with {@code name} if it is new; empty when it has ended already (an event
     * that arrives after the end is not about a transfer that runs).
     */
    Optional<Transfer> getOrAdd(String id, String name, boolean outgoing, String state) {
        String k = key(id);
        if (ended.contains(k)) {
            return Optional.empty();
        }
        return Optional.of(byId.computeIfAbsent(k, x -> new Transfer(k, name, outgoing, state)));
    }

    boolean ended(String id) {
        return ended.contains(key(id));
    }

    /** The transfer ended: forgotten, and any later event about it ignored. Returns what was known of it. */
    Optional<Transfer> end(String id) {
        String k = key(id);
        ended.add(k);
        if (ended.size() > MAX_ENDED) {
            ended.remove(ended.iterator().next());
        }
        return Optional.ofNullable(byId.remove(k));
    }

    /** Every transfer that runs, oldest first. */
    List<Transfer> all() {
        return List.copyOf(byId.values());
    }

    boolean isEmpty() {
        return byId.isEmpty();
    }

    /** The newest offer not answered yet. */
    Optional<Transfer> latestAsking() {
        return latest(all().stream().filter(Transfer::asking).toList());
    }

    /** The newest transfer in either direction that is not an unanswered offer of the peer's. */
    Optional<Transfer> latestRunning() {
        return latest(all().stream().filter(t -> !t.asking()).toList());
    }

    /** The newest offer that was not prompted for yet. */
    Optional<Transfer> latestUnprompted() {
        return latest(all().stream().filter(t -> t.asking() && !t.prompted).toList());
    }

    /**
     * The one transfer among {@code candidates} whose id starts with {@code query} (hex, any case); empty when none
     * or several do.
     */
    static Optional<Transfer> byPrefix(List<Transfer> candidates, String query) {
        String q = query.strip().toLowerCase(Locale.ROOT);
        if (q.isEmpty()) {
            return Optional.empty();
        }
        List<Transfer> found = new ArrayList<>();
        for (Transfer t : candidates) {
            if (t.id.startsWith(q)) {
                found.add(t);
            }
        }
        return found.size() == 1 ? Optional.of(found.get(0)) : Optional.empty();
    }

    private static Optional<Transfer> latest(List<Transfer> list) {
        return list.isEmpty() ? Optional.empty() : Optional.of(list.get(list.size() - 1));
    }

    /** Ids are the engine's hex, but they are drawn: cleaned like any text from the engine. */
    private static String key(String id) {
        return Text.clean(id).toLowerCase(Locale.ROOT);
    }
}
