package org.securep2p.crypto;

import java.util.EnumMap;
import java.util.Map;

import org.junit.jupiter.api.DynamicTest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * How many cases of a vector file a test factory classified into each kind, counted when the dynamic tests
 * are built. Its {@link #coverageTest} fails when the file yielded no case of a kind that must be present, so
 * a suite that silently stopped checking anything (renamed fields, all cases unsupported...) cannot pass.
 */
final class CaseCounts {

    enum Kind {
        /** Checked: the wrapper must produce exactly the expected output, or accept. */
        VALID,
        /** Checked: the wrapper must reject. */
        INVALID,
        /** Checked by a documented rule on the case's flags. */
        ACCEPTABLE,
        /** Parameters the wrapper deliberately does not support: checked to be refused as such. */
        UNSUPPORTED
    }

    private final Map<Kind, Integer> counts = new EnumMap<>(Kind.class);

    void add(Kind kind) {
        counts.merge(kind, 1, Integer::sum);
    }

    int get(Kind kind) {
        return counts.getOrDefault(kind, 0);
    }

    int total() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * A test that {@code expectedTotal} cases were classified and that each kind in {@code required} occurred
     * at least once.
     */
    DynamicTest coverageTest(String source, int expectedTotal, Kind... required) {
        return dynamicTest("coverage of " + source + ": " + this, () -> {
            assertThat(total()).as("cases classified from %s", source).isEqualTo(expectedTotal);
            for (Kind kind : required) {
                assertThat(get(kind)).as("%s cases checked from %s (%s)", kind, source, this).isPositive();
            }
        });
    }

    @Override
    public String toString() {
        return get(Kind.VALID) + " valid, " + get(Kind.INVALID) + " invalid, " + get(Kind.ACCEPTABLE)
                + " acceptable, " + get(Kind.UNSUPPORTED) + " unsupported";
    }
}
