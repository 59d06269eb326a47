package org.securep2p.transport;

import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.securep2p.transport.ConnectionCodeFixtures.detail;
import static org.securep2p.transport.ConnectionCodeFixtures.sampleCodes;
import static org.securep2p.transport.TransportException.Reason.BAD_CODE;

/**
 * {@link CodeMarkers}: a code copied with the marker lines a front end prints around it, and broken into lines
 * as the terminal showed it, still reads; anything else around it is still refused. (Named ConnectionCode* so
 * that it runs with the connection-code tests.)
 */
class ConnectionCodeMarkersTest {

    /**
     * A code as a terminal shows it: markers (if any) on their own lines, the code cut every {@code width} (at
     * least 8, as on any terminal the TUI draws on: the {@code sp2pNk} prefix is never broken, and stays strict).
     */
    private static String block(String begin, String code, int width, String end, String newline) {
        StringBuilder sb = new StringBuilder();
        if (!begin.isEmpty()) {
            sb.append(begin).append(newline);
        }
        for (int i = 0; i < code.length(); i += width) {
            sb.append(code, i, Math.min(code.length(), i + width)).append(newline);
        }
        return sb.append(end).toString();
    }

    private static String beginFor(ConnectionCode code) {
        return code.kind() == ConnectionCode.Kind.OFFER ? CodeMarkers.CONNECTION_BEGIN : CodeMarkers.ANSWER_BEGIN;
    }

    private static String endFor(ConnectionCode code) {
        return code.kind() == ConnectionCode.Kind.OFFER ? CodeMarkers.CONNECTION_END : CodeMarkers.ANSWER_END;
    }

    @Provide
    Arbitrary<ConnectionCode> codes() {
        return Arbitraries.of(sampleCodes());
    }

    @Provide
    Arbitrary<String> newlines() {
        return Arbitraries.of("\n", "\r\n", " ", "", "  \n  ");
    }

    @Property(tries = 300)
    void readsACodeBrokenIntoLinesWithEitherOrBothMarkers(@ForAll("codes") ConnectionCode code,
            @ForAll @IntRange(min = 8, max = 120) int width, @ForAll("newlines") String newline,
            @ForAll boolean withBegin, @ForAll boolean withEnd) throws Exception {
        String pasted = block(withBegin ? beginFor(code) : "", code.text(), width, withEnd ? endFor(code) : "",
                newline);
        assertThat(ConnectionCode.parse(pasted)).as(pasted).isEqualTo(code);
        assertThat(ConnectionTarget.parse(pasted).code()).as(pasted).contains(code);
    }

    @Test
    void readsTheBlockInsideAMarkdownFence() throws Exception {
        ConnectionCode code = sampleCodes().get(0);
        String pasted = "```\n" + block(beginFor(code), code.text(), 40, endFor(code), "\n") + "\n```";
        assertThat(ConnectionTarget.parse(pasted).code()).contains(code);
    }

    @Test
    void refusesMarkersOfDifferentKinds() {
        ConnectionCode offer = sampleCodes().get(0);
        String pasted = CodeMarkers.CONNECTION_BEGIN + "\n" + offer.text() + "\n" + CodeMarkers.ANSWER_END;
        TransportException e = catchThrowableOfType(TransportException.class, () -> ConnectionCode.parse(pasted));
        assertThat(e.reason()).isEqualTo(BAD_CODE);
        assertThat(detail(e)).contains("markers do not match");
        assertThat(catchThrowableOfType(TransportException.class, () -> ConnectionTarget.parse(pasted)).reason())
                .isEqualTo(BAD_CODE);
    }

    @Test
    void refusesAnythingButTheExactMarkersAtTheEnds() {
        ConnectionCode code = sampleCodes().get(1);
        String text = code.text();
        List<String> refused = List.of(
                CodeMarkers.CONNECTION_BEGIN.toLowerCase(java.util.Locale.ROOT) + "\n" + text,
                "----BEGIN CONNECTION CODE-----\n" + text,
                "Here: " + CodeMarkers.CONNECTION_BEGIN + "\n" + text,
                text + "\n" + CodeMarkers.CONNECTION_END + " thanks",
                text.substring(0, 40) + "\n" + CodeMarkers.CONNECTION_END + "\n" + text.substring(40),
                CodeMarkers.CONNECTION_BEGIN + CodeMarkers.CONNECTION_BEGIN + text);
        for (String pasted : refused) {
            assertThat(catchThrowableOfType(TransportException.class, () -> ConnectionCode.parse(pasted)))
                    .as(pasted).isNotNull();
            assertThat(catchThrowableOfType(TransportException.class, () -> ConnectionTarget.parse(pasted)))
                    .as(pasted).isNotNull();
        }
    }

    @Test
    void markersAloneAreAnEmptyPaste() {
        String pasted = CodeMarkers.CONNECTION_BEGIN + "\n\n" + CodeMarkers.CONNECTION_END;
        assertThat(detail(catchThrowableOfType(TransportException.class, () -> ConnectionCode.parse(pasted))))
                .startsWith("empty");
        assertThat(detail(catchThrowableOfType(TransportException.class, () -> ConnectionTarget.parse(pasted))))
                .startsWith("empty");
    }

    @Test
    void errorPositionsCountFromTheStartOfWhatWasPasted() {
        ConnectionCode code = sampleCodes().get(0);
        String broken = code.text().substring(0, 10) + "U" + code.text().substring(11);
        String pasted = CodeMarkers.CONNECTION_BEGIN + "\n" + broken + "\n" + CodeMarkers.CONNECTION_END;
        TransportException e = catchThrowableOfType(TransportException.class, () -> ConnectionCode.parse(pasted));
        assertThat(detail(e)).contains("position " + (CodeMarkers.CONNECTION_BEGIN.length() + 1 + 11));
    }
}
