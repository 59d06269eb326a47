package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** The sizes, rates, time left and bars the transfer rows are made of. */
class FileTextTest {

    @Test
    void sizesAndRatesAreInBinaryUnitsWithOneDecimal() {
        assertThat(FileText.size(0)).isEqualTo("0 B");
        assertThat(FileText.size(1023)).isEqualTo("1023 B");
        assertThat(FileText.size(1024)).isEqualTo("1.0 KiB");
        assertThat(FileText.size(2_202_010)).isEqualTo("2.1 MiB");
        assertThat(FileText.size(2048L * 1024 * 1024)).isEqualTo("2.0 GiB");
        assertThat(FileText.rate(1536)).isEqualTo("1.5 KiB/s");
        assertThat(FileText.rate(3 * 1024 * 1024)).isEqualTo("3.0 MiB/s");
    }

    @Test
    void timeLeftIsRoundedUpAndSaysNothingWithoutARate() {
        assertThat(FileText.timeLeft(0, 1000, 100)).isEqualTo("~10 s");
        assertThat(FileText.timeLeft(0, 1001, 100)).isEqualTo("~11 s");
        assertThat(FileText.timeLeft(999, 1000, 100)).isEqualTo("~1 s");
        assertThat(FileText.timeLeft(0, 6_000, 100)).isEqualTo("~1 min");
        assertThat(FileText.timeLeft(0, 6_001, 100)).isEqualTo("~2 min");
        assertThat(FileText.timeLeft(0, 3_900_000, 1000)).isEqualTo("~1 h 05 min");
        assertThat(FileText.timeLeft(0, 1000, 0)).isEmpty();
        assertThat(FileText.timeLeft(1000, 1000, 100)).isEmpty();
    }

    @Test
    void aPathInTheHomeIsWrittenWithATilde() {
        Path home = Path.of("/home/ann");
        assertThat(FileText.where("/home/ann/sp/downloads/a.pdf", home)).isEqualTo("~/sp/downloads/a.pdf");
        assertThat(FileText.where("/home/anna/a.pdf", home)).isEqualTo("/home/anna/a.pdf");
        assertThat(FileText.where("/srv/a\u001b.pdf", home)).isEqualTo("/srv/a?.pdf");
        assertThat(FileText.fileName("/srv/x/report.pdf")).isEqualTo("report.pdf");
    }

    @Property
    void theBarIsAlwaysItsWidthAndFillsAsThePercentGrows(@ForAll @LongRange(min = 0, max = 1L << 41) long total,
            @ForAll @LongRange(min = 0, max = 1L << 41) long a, @ForAll @LongRange(min = 0, max = 1L << 41) long b,
            @ForAll @IntRange(min = 1, max = 200) int width) {
        long low = Math.min(Math.min(a, b), total);
        long high = Math.min(Math.max(a, b), total);
        String lowBar = FileText.bar(low, total, width);
        String highBar = FileText.bar(high, total, width);
        assertThat(lowBar).hasSize(width);
        assertThat(highBar).hasSize(width);
        assertThat(filled(lowBar)).isLessThanOrEqualTo(filled(highBar));
        assertThat(FileText.percent(low, total)).isBetween(0, 100).isLessThanOrEqualTo(FileText.percent(high, total));
        assertThat(filled(FileText.bar(total, total, width))).isEqualTo(width);
        assertThat(FileText.percent(total, total)).isEqualTo(100);
        if (total > 0 && high < total) {
            // Never "100%", never a full bar before the last byte.
            assertThat(FileText.percent(high, total)).isLessThan(100);
            assertThat(filled(highBar)).isLessThan(width);
        }
    }

    @Property
    void aRowNeverOutgrowsItsWidth(@ForAll @IntRange(min = 30, max = 300) int width,
            @ForAll @LongRange(min = 0, max = 1L << 41) long bytes, @ForAll @LongRange(min = 0, max = 1L << 41) long total,
            @ForAll @LongRange(min = 0, max = 1L << 40) long rate) {
        Transfers.Transfer t = new Transfers.Transfer("0123456789abcdef0123456789abcdef", "a-long-name-".repeat(5),
                true, "sending");
        t.bytes = Math.min(bytes, total);
        t.total = total;
        t.rate = rate;
        assertThat(FileText.row(t, "bob", width).length()).isLessThanOrEqualTo(width);
    }

    private static long filled(String bar) {
        return bar.chars().filter(c -> c == FileText.FULL).count();
    }
}
