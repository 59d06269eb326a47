package org.securep2p.keymanager;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The keyring value's text form: what encode writes parses back, and nothing else does. */
class StateHighWaterTest {

    @Test
    void roundTrips() {
        StateHighWater value = new StateHighWater(123_456_789_012L, 2, 9, 2_147_483_647);
        assertThat(StateHighWater.parse(value.encode())).contains(value);
    }

    @Test
    void rejectsAnythingElse() {
        for (String bad : new String[] {"", "v1", "v1 1 2 3", "v2 1 2 3 4", "v1 1 2 3 4 ", " v1 1 2 3 4",
                "v1 01 2 3 4", "v1 1 0 3 4", "v1 -1 2 3 4", "v1 1 2 3 2147483648", "v1 1 2 3 4\n"}) {
            assertThat(StateHighWater.parse(bad)).as("'%s'", bad).isEmpty();
        }
    }
}
