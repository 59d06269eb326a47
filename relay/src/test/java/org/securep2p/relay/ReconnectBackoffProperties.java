package org.securep2p.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The reconnect backoff: 0.5 s doubling to 30 s by default, less a random part of up to half. */
class ReconnectBackoffProperties {

    private static final RelayConnector.Timeouts DEFAULTS = RelayConnector.Timeouts.defaults();

    @Property
    void theWaitIsTheDoubledBackoffLessAtMostHalf(@ForAll @IntRange(min = 0, max = 10_000) int failures,
            @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double unit) {
        long nominal = Math.min(500L << Math.min(Math.max(failures - 1, 0), 16), 30_000L);
        long wait = WebSocketRelayClient.backoff(failures, DEFAULTS, unit).toMillis();
        assertThat(wait).isBetween(nominal / 2, nominal);
    }

    @Property
    void moreFailuresNeverWaitLessForTheSameDraw(@ForAll @IntRange(min = 0, max = 100) int failures,
            @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double unit) {
        assertThat(WebSocketRelayClient.backoff(failures + 1, DEFAULTS, unit))
                .isGreaterThanOrEqualTo(WebSocketRelayClient.backoff(failures, DEFAULTS, unit));
    }

    @Test
    void theDefaultsDoubleFromHalfASecondToThirtySeconds() {
        assertThat(WebSocketRelayClient.backoff(0, DEFAULTS, 0)).isEqualTo(Duration.ofMillis(500));
        assertThat(WebSocketRelayClient.backoff(1, DEFAULTS, 0)).isEqualTo(Duration.ofMillis(500));
        assertThat(WebSocketRelayClient.backoff(2, DEFAULTS, 0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(WebSocketRelayClient.backoff(3, DEFAULTS, 0)).isEqualTo(Duration.ofSeconds(2));
        assertThat(WebSocketRelayClient.backoff(7, DEFAULTS, 0)).isEqualTo(Duration.ofSeconds(30));
        assertThat(WebSocketRelayClient.backoff(1_000_000, DEFAULTS, 0)).isEqualTo(Duration.ofSeconds(30));
        assertThat(WebSocketRelayClient.backoff(3, DEFAULTS, 0.999_999)).isEqualTo(Duration.ofMillis(1001));
    }
}
