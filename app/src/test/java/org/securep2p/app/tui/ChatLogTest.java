package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

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
}
