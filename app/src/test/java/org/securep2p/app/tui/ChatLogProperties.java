package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.securep2p.app.history.HistoryMessage;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Whatever the order in which history pages (read back with PgUp) and live messages (arriving meanwhile) reach a
 * conversation's log, each message is shown once, the stored ones oldest first above the live ones, and nothing
 * read or received is lost.
 */
class ChatLogProperties {

    @Property
    void everyMessageIsShownOnceAndStoredPagesStayInOrder(@ForAll @IntRange(min = 1, max = 120) int stored,
            @ForAll @IntRange(min = 1, max = 50) int pageSize,
            @ForAll @Size(max = 60) List<@IntRange(min = -1, max = 200) Integer> steps) {
        ChatLog log = new ChatLog();
        long before = stored + 1L; // the next page ends just before this position
        Set<String> expected = new HashSet<>();
        for (int step : steps) {
            if (step < 0) {
                List<HistoryMessage> page = new ArrayList<>();
                for (long p = Math.max(1, before - pageSize); p < before; p++) {
                    page.add(new HistoryMessage(p, "h" + p, Instant.EPOCH, HistoryMessage.Direction.RECEIVED,
                            "stored " + p, HistoryMessage.Delivery.RECEIVED, Optional.empty(), true));
                    expected.add("h" + p);
                }
                log.prepend(page, "bob");
                before = Math.max(1, before - pageSize);
            } else {
                long p = step % stored + 1L; // a live message that the history holds too
                log.addPeer(Instant.EPOCH, "bob", "live " + p, "h" + p);
                expected.add("h" + p);
            }
        }
        List<ChatLog.Entry> entries = log.entries();
        List<String> ids = entries.stream().map(e -> e.id).toList();
        assertThat(new HashSet<>(ids)).hasSize(ids.size()).isEqualTo(expected);
        int firstLive = 0;
        while (firstLive < entries.size() && entries.get(firstLive).text.startsWith("stored ")) {
            firstLive++;
        }
        assertThat(entries.subList(firstLive, entries.size())).allMatch(e -> e.text.startsWith("live "));
        List<Long> positions = entries.subList(0, firstLive).stream()
                .map(e -> Long.parseLong(e.id.substring(1))).toList();
        assertThat(positions).isSorted().doesNotHaveDuplicates();
    }
}
