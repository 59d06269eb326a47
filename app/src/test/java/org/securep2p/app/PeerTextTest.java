package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import org.junit.jupiter.api.Test;

class PeerTextTest {

    @Test
    void aLogLineCannotBeForgedWithNewlinesOrReorderedWithBidi() {
        String forged = "bob\n04:00 INFO trusted\u2028\u202Eeve\\u0041";
        String logged = PeerText.forLog(forged);
        assertThat(logged).doesNotContain("\n", "\u2028", "\u202E")
                .isEqualTo("bob\\u000A04:00 INFO trusted\\u2028\\u202Eeve\\u005Cu0041");
    }

    @Test
    void longPeerStringsAreCutVisibly() {
        assertThat(PeerText.forLog("x".repeat(PeerText.MAX_LOG_CODE_POINTS + 36)))
                .isEqualTo("x".repeat(PeerText.MAX_LOG_CODE_POINTS) + "…");
    }

    @Property(tries = 1000)
    void anyPeerStringLogsAsOnePlainLine(@ForAll String s) {
        String logged = PeerText.forLog(s);
        assertThat(logged.codePoints().allMatch(PeerText::isPlain)).isTrue();
        assertThat(logged).doesNotContain("\n", "\r");
    }
}
