package org.securep2p.transport.reliable;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.securep2p.transport.TransportException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Settings are checked together when built; each contradiction is CONFIG_INVALID. */
class ReliableConfigTest {

    private static void rejects(ReliableConfig.Builder b, String detail) {
        assertThatThrownBy(b::build).isInstanceOfSatisfying(TransportException.class, e -> {
            assertThat(e.reason()).isEqualTo(TransportException.Reason.CONFIG_INVALID);
            assertThat(e.getMessage()).contains(detail);
        });
    }

    @Test
    void defaultsAreTheDocumentedOnes() throws TransportException {
        ReliableConfig c = ReliableConfig.defaults();
        assertThat(c.sendBuffer()).isEqualTo(4 * 1024 * 1024);
        assertThat(c.receiveWindow()).isEqualTo(4 * 1024 * 1024);
        assertThat(c.initialRto()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.minRto()).isEqualTo(Duration.ofMillis(10));
        assertThat(c.maxRto()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.keepalive()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.deadPeer()).isEqualTo(Duration.ofSeconds(45));
        assertThat(c.toBuilder().connectionId(7).keepalive(Duration.ofSeconds(1)).build().keepalive())
                .isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void rejectsAReceiveWindowBelowTheProtocolMinimum() {
        rejects(ReliableConfig.builder().receiveWindow(ReliableConfig.MIN_RECEIVE_WINDOW - 1), "receive window");
    }

    @Test
    void rejectsBuffersBeyondTheirBounds() {
        rejects(ReliableConfig.builder().sendBuffer(100), "send buffer");
        rejects(ReliableConfig.builder().sendBuffer(ReliableConfig.MAX_BUFFER + 1), "send buffer");
    }

    @Test
    void rejectsAnInitialWindowBelowTheMinimum() {
        rejects(ReliableConfig.builder().initialWindowPackets(1), "initial window");
    }

    @Test
    void rejectsRtoBoundsOutOfOrder() {
        rejects(ReliableConfig.builder().minRto(Duration.ofSeconds(2)), "RTO bounds");
        rejects(ReliableConfig.builder().maxRto(Duration.ofMillis(500)), "RTO bounds");
    }

    @Test
    void rejectsAnAckDelayNotBelowTheMinimumRto() {
        rejects(ReliableConfig.builder().ackDelay(Duration.ofMillis(200)), "ack delay");
    }

    @Test
    void rejectsADeadPeerTimeoutShorterThanTwoKeepalives() {
        rejects(ReliableConfig.builder().deadPeer(Duration.ofSeconds(29)), "dead-peer");
    }

    @Test
    void rejectsNonPositiveTimeouts() {
        rejects(ReliableConfig.builder().writeTimeout(Duration.ZERO), "timeouts");
        rejects(ReliableConfig.builder().poll(Duration.ofNanos(10)), "poll");
    }
}
