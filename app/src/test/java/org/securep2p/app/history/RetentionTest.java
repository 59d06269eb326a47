package org.securep2p.app.history;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetentionTest {

    @Test
    void parsesTheThreeSpellings() throws Exception {
        assertThat(Retention.parse("forever")).isEqualTo(Retention.forever());
        assertThat(Retention.parse(" OFF ")).isEqualTo(Retention.off());
        assertThat(Retention.parse("30").days()).contains(30);
        assertThat(Retention.parse("36500").days()).contains(36_500);
        assertThat(Retention.parse("1")).isEqualTo(Retention.days(1));
    }

    @Test
    void writesWhatItReads() throws Exception {
        for (Retention r : new Retention[] {Retention.forever(), Retention.off(), Retention.days(90)}) {
            assertThat(Retention.parse(r.toString())).isEqualTo(r);
        }
    }

    @Test
    void refusesAnythingElseWithASentence() {
        for (String bad : new String[] {"", "0", "-1", "+7", "36501", "7d", "1.5", "never", "\u0661\u0662", null,
                "99999999999"}) {
            assertThatThrownBy(() -> Retention.parse(bad)).isInstanceOf(HistoryException.class)
                    .hasMessageContaining("history.retention must be 'forever', 'off' or a number of days")
                    .extracting(e -> ((HistoryException) e).reason())
                    .isEqualTo(HistoryException.Reason.INVALID_ARGUMENT);
        }
    }
}
