package org.securep2p.transport.reliable;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RFC 6298 arithmetic with exact numbers (milliseconds written as nanoseconds). */
class ReliableRtoTest {

    private static final long MS = 1_000_000L;

    private final ReliableRto rto = new ReliableRto(1_000 * MS, 200 * MS, 60_000 * MS);

    @Test
    void startsAtTheInitialTimeoutBeforeAnySample() {
        assertThat(rto.rto()).isEqualTo(1_000 * MS);
        assertThat(rto.srtt()).isEqualTo(-1);
    }

    @Test
    void firstSampleSetsSrttAndHalfOfItAsVariance() {
        // 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4 RTTVAR) = 100 + 200.
        rto.sample(100 * MS);
        assertThat(rto.srtt()).isEqualTo(100 * MS);
        assertThat(rto.rttvar()).isEqualTo(50 * MS);
        assertThat(rto.rto()).isEqualTo(300 * MS);
    }

    @Test
    void laterSamplesUpdateVarianceWithTheOldSrttFirst() {
        rto.sample(100 * MS);
        rto.sample(200 * MS);
        // 2.3: RTTVAR = 3/4·50 + 1/4·|100 − 200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5; RTO = 112.5 + 250.
        assertThat(rto.rttvar()).isEqualTo(62_500_000L);
        assertThat(rto.srtt()).isEqualTo(112_500_000L);
        assertThat(rto.rto()).isEqualTo(362_500_000L);
    }

    @Test
    void backoffDoublesTheTimeoutUpToTheMaximum() {
        rto.sample(100 * MS);
        rto.backoff();
        assertThat(rto.rto()).isEqualTo(600 * MS);
        rto.backoff();
        assertThat(rto.rto()).isEqualTo(1_200 * MS);
        for (int i = 0; i < 10; i++) {
            rto.backoff();
        }
        assertThat(rto.rto()).isEqualTo(60_000 * MS);
    }

    @Test
    void aNewSampleEndsTheBackoff() {
        rto.sample(100 * MS);
        rto.backoff();
        rto.backoff();
        rto.sample(100 * MS);
        // RTTVAR = 3/4·50 + 0 = 37.5; SRTT = 100; RTO = 100 + 150.
        assertThat(rto.rto()).isEqualTo(250 * MS);
    }

    @Test
    void neverGoesBelowTheMinimum() {
        for (int i = 0; i < 50; i++) {
            rto.sample(1 * MS);
        }
        assertThat(rto.rto()).isEqualTo(200 * MS);
    }

    @Test
    void keepsOneGranularityOfHeadroomWhenTheVarianceVanishes() {
        ReliableRto tight = new ReliableRto(1_000 * MS, 1 * MS, 60_000 * MS);
        for (int i = 0; i < 200; i++) {
            tight.sample(10 * MS);
        }
        assertThat(tight.rttvar()).isZero();
        assertThat(tight.rto()).isEqualTo(10 * MS + ReliableRto.GRANULARITY_NANOS);
    }

    @Test
    void rejectsInconsistentBounds() {
        assertThatThrownBy(() -> new ReliableRto(100 * MS, 200 * MS, 60_000 * MS))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
