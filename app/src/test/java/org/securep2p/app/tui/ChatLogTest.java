package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.securep2p.app.history.HistoryMessage;

class ChatLogTest {

    private final ChatLog log = new ChatLog();

    @Test
    void deliveryThatArrivesBeforeSendReturnsIsNotLost() {
        ChatLog.Entry e = log.addOwn(Instant.EPOCH, "hi", false);
        log.delivered("m1");
        assertThat(e.stateLabel()).isEqualTo("sending…");
        log.bind(e, "m1");
        assertThat(e.stateLabel()).isEqualTo("delivered");
    }

    @Test
    void aRelayedMessageShowsViaRelayUntilItIsDeliveredAndALateRelayedChangesNothing() {
        ChatLog.Entry e = log.addOwn(Instant.EPOCH, "hi", true);
        log.bind(e, "m1");
        log.relayed("m1");
        assertThat(e.stateLabel()).isEqualTo("via relay");
        assertThat(log.queuedOrSending()).isEqualTo(1);
        log.delivered("m1");
        log.relayed("m1");
        assertThat(e.stateLabel()).isEqualTo("delivered");
        ChatLog.Entry f = log.addOwn(Instant.EPOCH, "ho", true);
        log.bind(f, "m2");
        log.failed("m2", "refused");
        log.relayed("m2");
        assertThat(f.stateLabel()).isEqualTo("failed: refused");
    }

    @Test
    void failureCarriesItsReason() {
        ChatLog.Entry e = log.addOwn(Instant.EPOCH, "hi", false);
        log.bind(e, "m1");
        log.failed("m1", "peer refused");
        assertThat(e.stateLabel()).isEqualTo("failed: peer refused");
    }

    @Test
    void aLateFailureCannotUndoDelivery() {
        ChatLog.Entry e = log.addOwn(Instant.EPOCH, "hi", false);
        log.bind(e, "m1");
        log.delivered("m1");
        log.failed("m1", "timeout");
        assertThat(e.stateLabel()).isEqualTo("delivered");
    }

    @Test
    void messagesTypedWhileDisconnectedStartQueued() {
        assertThat(log.addOwn(Instant.EPOCH, "later", true).stateLabel()).isEqualTo("queued");
        assertThat(log.queuedOrSending()).isEqualTo(1);
    }

    @Test
    void oldEntriesScrollAwayAtTheLimit() {
        for (int i = 0; i < ChatLog.MAX_ENTRIES + 10; i++) {
            log.addSystem(Instant.EPOCH, "line " + i);
        }
        assertThat(log.entries()).hasSize(ChatLog.MAX_ENTRIES);
        assertThat(log.entries().get(0).text).isEqualTo("line 10");
    }

    private static HistoryMessage received(long position, String id, String text) {
        return new HistoryMessage(position, id, Instant.EPOCH, HistoryMessage.Direction.RECEIVED, text,
                HistoryMessage.Delivery.RECEIVED, Optional.empty(), true);
    }

    @Test
    void aHistoryPageGoesBeforeWhatIsShownAndSkipsMessagesAlreadyShown() {
        log.addPeer(Instant.EPOCH, "bob", "live", "r2");
        int added = log.prepend(List.of(received(1, "r1", "older"), received(2, "r2", "live")), "bob");
        assertThat(added).isEqualTo(1);
        assertThat(log.entries()).extracting(e -> e.text).containsExactly("older", "live");
        assertThat(log.addPeer(Instant.EPOCH, "bob", "older", "r1")).as("a late event for a stored message").isFalse();
        assertThat(log.entries()).hasSize(2);
    }

    @Test
    void aSentMessageTheHistoryPageAlreadyHoldsIsShownOnce() {
        ChatLog.Entry typed = log.addOwn(Instant.EPOCH, "hi", false);
        log.prepend(List.of(new HistoryMessage(1, "m1", Instant.EPOCH, HistoryMessage.Direction.SENT, "hi",
                HistoryMessage.Delivery.SENDING, Optional.empty(), true)), "bob");
        log.bind(typed, "m1");
        assertThat(log.entries()).hasSize(1);
        log.delivered("m1");
        assertThat(log.entries().get(0).stateLabel()).isEqualTo("delivered");
    }

    @Test
    void aPageThatDoesNotFitLosesItsOldestMessagesNeverWhatIsShown() {
        for (int i = 0; i < ChatLog.MAX_ENTRIES - 1; i++) {
            log.addSystem(Instant.EPOCH, "shown " + i);
        }
        List<HistoryMessage> page = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            page.add(received(i, "r" + i, "stored " + i));
        }
        assertThat(log.prepend(page, "bob")).isEqualTo(1);
        assertThat(log.full()).isTrue();
        assertThat(log.entries().get(0).text).isEqualTo("stored 3");
        assertThat(log.entries().get(ChatLog.MAX_ENTRIES - 1).text).isEqualTo("shown " + (ChatLog.MAX_ENTRIES - 2));
    }
}
