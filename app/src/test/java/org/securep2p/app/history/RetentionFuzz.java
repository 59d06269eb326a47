package org.securep2p.app.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of {@link Retention#parse}, which reads {@code history.retention} from the profile (a
 * file the user or a tool edits). Any input ends in an {@link HistoryException.Reason#INVALID_ARGUMENT} or a
 * retention that prints as a value parsing back to itself: nothing else escapes, nothing is read loosely.
 */
class RetentionFuzz {

    @FuzzTest(maxDuration = "2m")
    void parsesToWhatItPrintsOrIsRefused(byte[] input) throws HistoryException {
        String value = new String(input, StandardCharsets.UTF_8);
        Retention r;
        try {
            r = Retention.parse(value);
        } catch (HistoryException e) {
            assertThat(e.reason()).isEqualTo(HistoryException.Reason.INVALID_ARGUMENT);
            return;
        }
        assertThat(Retention.parse(r.toString())).isEqualTo(r);
        assertThat(r.days().orElse(1)).isBetween(1, Retention.MAX_DAYS);
    }
}
