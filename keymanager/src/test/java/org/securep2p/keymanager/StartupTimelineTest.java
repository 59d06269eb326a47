package org.securep2p.keymanager;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StartupTimelineTest {

    @Test
    void summaryNamesEachPhaseInOrderWithWholeMilliseconds() throws Exception {
        StartupTimeline timeline = new StartupTimeline();
        timeline.mark("hardening");
        Thread.sleep(20); // time is the test: the phase must measure at least these 20 ms
        timeline.mark("master key");
        String line = timeline.summary();
        assertThat(line).matches("keymanager: serving after \\d+ ms: hardening \\d+, master key \\d+");
        long total = Long.parseLong(line.replaceAll("^keymanager: serving after (\\d+) ms.*$", "$1"));
        long masterKey = Long.parseLong(line.replaceAll("^.*master key (\\d+)$", "$1"));
        // Sleeping 20 ms takes at least 20 ms; the phases add up to the total (each rounded).
        assertThat(masterKey).isGreaterThanOrEqualTo(20);
        assertThat(total).isGreaterThanOrEqualTo(masterKey);
    }

    @Test
    void summaryBeforeAnyMarkSaysSoWithoutPhases() {
        assertThat(new StartupTimeline().summary()).isEqualTo("keymanager: serving after 0 ms");
    }
}
