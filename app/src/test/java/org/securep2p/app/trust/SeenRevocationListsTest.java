package org.securep2p.app.trust;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.store.StoreException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SeenRevocationListsTest {

    private static final String CA = "ab".repeat(32);
    private static final String OTHER_CA = "cd".repeat(32);

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve(SeenRevocationLists.FILE_NAME);
    }

    private static void assertReason(ThrowingRunnable r, StoreException.Reason reason) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(StoreException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void refusesAnOlderListOfTheSameCaOnceANewerOneWasLoaded() throws Exception {
        SeenRevocationLists.admit(file(), CA, BigInteger.valueOf(3));
        SeenRevocationLists.admit(file(), CA, BigInteger.valueOf(3));
        SeenRevocationLists.admit(file(), CA, BigInteger.valueOf(5));
        assertReason(() -> SeenRevocationLists.admit(file(), CA, BigInteger.valueOf(4)), StoreException.Reason.STALE);
        // Another CA has numbers of its own.
        SeenRevocationLists.admit(file(), OTHER_CA, BigInteger.ONE);
        SeenRevocationLists.admit(file(), CA, BigInteger.valueOf(5));
        assertThat(Files.readString(file())).isEqualTo("securep2p-crl-numbers 1\n" + CA + " 5\n" + OTHER_CA + " 1\n");
    }

    @Test
    void aDamagedFileIsRefusedAndLeftAsItWas() throws Exception {
        for (String damaged : new String[] {"securep2p-crl-numbers 1\n" + CA + " 05\n",
                "securep2p-crl-numbers 1\n" + CA + " 5", "securep2p-crl-numbers 1\n" + CA + " 5\n" + CA + " 6\n",
                "securep2p-crl-numbers 1\n" + CA.toUpperCase(Locale.ROOT) + " 5\n", "junk\n", ""}) {
            Files.writeString(file(), damaged, StandardCharsets.US_ASCII);
            assertReason(() -> SeenRevocationLists.admit(file(), CA, BigInteger.TEN), StoreException.Reason.CORRUPT);
            assertThat(Files.readString(file())).isEqualTo(damaged);
        }
        Files.writeString(file(), "securep2p-crl-numbers 2\n");
        assertReason(() -> SeenRevocationLists.admit(file(), CA, BigInteger.TEN), StoreException.Reason.UNKNOWN_VERSION);
    }

    /** Whatever order lists arrive in, one is admitted exactly when no higher one of its CA came before. */
    @Property(tries = 200)
    void admitsExactlyTheListsNotOlderThanAnyBefore(@ForAll @Size(max = 12) java.util.List<@IntRange(max = 20) Integer> numbers)
            throws Exception {
        // jqwik does not inject @TempDir into properties: a directory of its own, removed afterwards.
        Path temp = Files.createTempDirectory("seen-crl");
        Path file = temp.resolve(SeenRevocationLists.FILE_NAME);
        try {
            int highest = -1;
            for (int n : numbers) {
                boolean admitted;
                try {
                    SeenRevocationLists.admit(file, CA, BigInteger.valueOf(n));
                    admitted = true;
                } catch (StoreException e) {
                    assertThat(e.reason()).isEqualTo(StoreException.Reason.STALE);
                    admitted = false;
                }
                assertThat(admitted).isEqualTo(n >= highest);
                highest = Math.max(highest, n);
            }
        } finally {
            Files.deleteIfExists(file);
            Files.delete(temp);
        }
    }
}
