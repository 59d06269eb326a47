package org.securep2p.transport.reliable;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** NewReno as RFC 9002 section 7 describes it, in bytes of 1,200-byte packets. */
class ReliableCongestionTest {

    private static final int P = DatagramLink.MAX_DATAGRAM;

    private final ReliableCongestion cc = new ReliableCongestion(10, 1L << 30);

    @Test
    void startsWithTheInitialWindow() {
        assertThat(cc.window()).isEqualTo(10L * P);
        assertThat(cc.canSend(9L * P, P)).isTrue();
        assertThat(cc.canSend(9L * P + 1, P)).isFalse();
    }

    @Test
    void slowStartGrowsByEveryAcknowledgedByte() {
        for (int i = 0; i < 10; i++) {
            cc.onAcked(P, 100);
        }
        assertThat(cc.window()).isEqualTo(20L * P);
    }

    @Test
    void halvesOncePerRecoveryPeriod() {
        assertThat(cc.onLoss(100, 1_000)).isTrue();
        assertThat(cc.window()).isEqualTo(5L * P);
        // Another loss of a packet sent before recovery began: the same congestion event.
        assertThat(cc.onLoss(900, 1_100)).isFalse();
        assertThat(cc.window()).isEqualTo(5L * P);
        // Nor do acknowledgements of such packets grow the window.
        cc.onAcked(P, 999);
        assertThat(cc.window()).isEqualTo(5L * P);
        // A loss of a packet sent after recovery began is a new event.
        assertThat(cc.onLoss(1_200, 1_300)).isTrue();
        assertThat(cc.window()).isEqualTo(5L * P / 2);
        // Never below the minimum window.
        assertThat(cc.onLoss(1_400, 1_500)).isTrue();
        assertThat(cc.onLoss(1_600, 1_700)).isTrue();
        assertThat(cc.window()).isEqualTo(ReliableCongestion.MIN_WINDOW_PACKETS * (long) P);
    }

    @Test
    void congestionAvoidanceAddsOnePacketPerWindow() {
        cc.onLoss(100, 1_000);
        long w = cc.window();
        for (long acked = P; acked < w; acked += P) {
            cc.onAcked(P, 2_000);
        }
        assertThat(cc.window()).isEqualTo(w);
        // The acknowledgement that completes a full window adds one packet.
        cc.onAcked(P, 2_000);
        assertThat(cc.window()).isEqualTo(w + P);
    }

    @Test
    void aTimeoutCollapsesToTheMinimumWindow() {
        cc.onRto(1_000);
        assertThat(cc.window()).isEqualTo(ReliableCongestion.MIN_WINDOW_PACKETS * (long) P);
        assertThat(cc.slowStartThreshold()).isEqualTo(5L * P);
        cc.onAcked(P, 2_000);
        assertThat(cc.window()).isEqualTo(3L * P);
    }

    @Test
    void neverGrowsBeyondItsCap() {
        ReliableCongestion capped = new ReliableCongestion(10, 12L * P);
        for (int i = 0; i < 100; i++) {
            capped.onAcked(P, 1);
        }
        assertThat(capped.window()).isEqualTo(12L * P);
    }
}
