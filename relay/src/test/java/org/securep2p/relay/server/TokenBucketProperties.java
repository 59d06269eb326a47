package org.securep2p.relay.server;

import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import static org.assertj.core.api.Assertions.assertThat;

class TokenBucketProperties {

    /** Over any run of requests, at most burst + rate × elapsed are granted (§22.3's limit holds for every input). */
    @Property
    void neverGrantsMoreThanTheBurstPlusTheRate(@ForAll @IntRange(min = 1, max = 1000) int perSecond,
            @ForAll @IntRange(min = 1, max = 500) int burst,
            @ForAll @Size(max = 300) List<@IntRange(min = 0, max = 50) Integer> gapsMillis) {
        long start = 1_000_000;
        TokenBucket b = new TokenBucket(perSecond, burst, start);
        long now = start;
        long granted = 0;
        for (int gap : gapsMillis) {
            now += gap;
            if (b.tryTake(now)) {
                granted++;
            }
        }
        assertThat((double) granted).isLessThanOrEqualTo(burst + perSecond * (now - start) / 1000.0);
    }

    /** A client that waits long enough always gets its next request through. */
    @Property
    void aRequestAfterAFullRefillIsGranted(@ForAll @IntRange(min = 1, max = 1000) int perSecond,
            @ForAll @IntRange(min = 1, max = 50) int burst) {
        TokenBucket b = new TokenBucket(perSecond, burst, 0);
        for (int i = 0; i < burst; i++) {
            assertThat(b.tryTake(0)).isTrue();
        }
        assertThat(b.tryTake(0)).isFalse();
        assertThat(b.tryTake(1000 / perSecond + 1)).isTrue();
    }

    /** A clock that goes back (an adjusted wall clock) never adds tokens. */
    @Property
    void aClockGoingBackAddsNothing(@ForAll @IntRange(min = 1, max = 50) int burst) {
        TokenBucket b = new TokenBucket(1000, burst, 10_000);
        for (int i = 0; i < burst; i++) {
            b.tryTake(10_000);
        }
        assertThat(b.tryTake(5_000)).isFalse();
        assertThat(b.tryTake(10_000)).isFalse();
    }
}
