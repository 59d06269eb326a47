package org.securep2p.app.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.CryptoException;

/** HAVE bitmaps (PROTOCOL.md §24.2): the set and its one wire layout. */
class ChunkBitmapTest {

    @Property(tries = 300)
    void holdsExactlyTheIndicesAddedAndRoundTrips(@ForAll @IntRange(min = 0, max = 2000) int count,
            @ForAll @Size(max = 100) List<@IntRange(min = 0, max = 1_999) Integer> picks) throws CryptoException {
        ChunkBitmap b = ChunkBitmap.empty(count);
        Set<Integer> added = new TreeSet<>();
        for (int p : picks) {
            if (p < count) {
                b = b.with(p);
                added.add(p);
            }
        }
        assertThat(b.cardinality()).isEqualTo(added.size());
        for (int i = 0; i < count; i++) {
            assertThat(b.has(i)).isEqualTo(added.contains(i));
        }
        List<Integer> missing = b.missing().boxed().toList();
        assertThat(missing).isSortedAccordingTo(Integer::compare).hasSize(count - added.size())
                .allMatch(i -> i >= 0 && i < count && !added.contains(i));
        assertThat(b.highest()).isEqualTo(added.isEmpty() ? -1 : ((TreeSet<Integer>) added).last());
        assertThat(b.toBitmap()).hasSize((count + 7) / 8);
        assertThat(ChunkBitmap.decode(count, b.toBitmap())).isEqualTo(b);
    }

    @Test
    void chunkIIsBitSevenMinusIModEightOfByteIOverEight() {
        // Written by hand from §24.2: chunks 0 and 9 of 10 are 0x80 then 0x40.
        byte[] bits = ChunkBitmap.empty(10).with(0).with(9).toBitmap();
        assertThat(bits).containsExactly(0x80, 0x40);
        BitSet reference = new BitSet();
        reference.set(7);
        assertThat(ChunkBitmap.empty(8).with(0).toBitmap()).containsExactly(reference.toByteArray()[0]);
    }

    @Property(tries = 200)
    void fullHasEveryChunkAndItsUnusedBitsZero(@ForAll @IntRange(min = 0, max = 5000) int count)
            throws CryptoException {
        ChunkBitmap full = ChunkBitmap.full(count);
        assertThat(full.cardinality()).isEqualTo(count);
        assertThat(full.isComplete()).isTrue();
        assertThat(full.missing()).isEmpty();
        assertThat(ChunkBitmap.decode(count, full.toBitmap())).isEqualTo(full);
        ChunkBitmap built = ChunkBitmap.empty(count);
        for (int i = 0; i < count; i++) {
            built = built.with(i);
        }
        assertThat(built).isEqualTo(full);
    }

    @Property(tries = 300)
    void refusesAWrongLengthOrASetUnusedBit(@ForAll @IntRange(min = 1, max = 3000) int count,
            @ForAll @IntRange(min = 0, max = 7) int bit) {
        int n = (count + 7) / 8;
        assertThatThrownBy(() -> ChunkBitmap.decode(count, new byte[n + 1])).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> ChunkBitmap.decode(count, new byte[n - 1])).isInstanceOf(CryptoException.class);
        byte[] b = new byte[n];
        b[n - 1] = (byte) (1 << bit);
        boolean unused = bit < 8 - (count % 8 == 0 ? 8 : count % 8);
        if (unused) {
            assertThatThrownBy(() -> ChunkBitmap.decode(count, b)).isInstanceOf(CryptoException.class)
                    .satisfies(e -> assertThat(((CryptoException) e).reason())
                            .isEqualTo(CryptoException.Reason.BAD_ENCODING));
        } else {
            assertThatCode(() -> ChunkBitmap.decode(count, b)).doesNotThrowAnyException();
        }
    }

    @Test
    void refusesACountOverTheLimit() {
        int over = FileOffer.MAX_CHUNK_COUNT + 1;
        assertThatThrownBy(() -> ChunkBitmap.decode(over, new byte[(over + 7) / 8]))
                .isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> ChunkBitmap.empty(over)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ChunkBitmap.full(FileOffer.MAX_CHUNK_COUNT).toBitmap()).hasSize(65_536);
    }
}
