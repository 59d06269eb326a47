package org.securep2p.app.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.StrictWriter;

/** The chunk layout of PROTOCOL.md §24.3: {@code file_id || u32 index || var32 sealed}, read strictly. */
class ChunkTest {

    @Property(tries = 300)
    void roundTripsAndEveryCutOrExtensionIsRefused(@ForAll @Size(16) byte[] id,
            @ForAll @IntRange(min = 0, max = FileOffer.MAX_CHUNK_COUNT - 1) int index,
            @ForAll @Size(min = Chunk.MIN_SEALED, max = 3000) byte[] sealed,
            @ForAll @IntRange(min = 0, max = 100_000) int cut) throws CryptoException {
        Chunk c = new Chunk(FileId.of(id), index, sealed);
        byte[] encoded = c.encode();
        assertThat(encoded).isEqualTo(new StrictWriter().bytes(id).u32(index).var32(sealed).toByteArray());
        assertThat(Chunk.decode(encoded)).isEqualTo(c);
        assertThat(Chunk.decode(encoded).sealed()).isEqualTo(sealed);
        byte[] shorter = Arrays.copyOf(encoded, cut % encoded.length);
        assertRefused(shorter);
        assertRefused(Arrays.copyOf(encoded, encoded.length + 1 + cut % 7));
    }

    @Test
    void theLargestSealedChunkIsTheLongestPathAndTheLargestChunk() throws CryptoException {
        assertThat(Chunk.MAX_SEALED).isEqualTo(1 + 32 * 32 + 245_760 + 16);
        byte[] id = new byte[16];
        assertThat(Chunk.decode(new StrictWriter().bytes(id).u32(0).var32(new byte[Chunk.MAX_SEALED]).toByteArray())
                .sealed()).hasSize(Chunk.MAX_SEALED);
        assertRefused(new StrictWriter().bytes(id).u32(0).var32(new byte[Chunk.MAX_SEALED + 1]).toByteArray());
        assertRefused(new StrictWriter().bytes(id).u32(0).var32(new byte[Chunk.MIN_SEALED - 1]).toByteArray());
        assertRefused(new StrictWriter().bytes(id).u32(FileOffer.MAX_CHUNK_COUNT).var32(new byte[Chunk.MIN_SEALED])
                .toByteArray());
        byte[] top = new StrictWriter().bytes(id).u32(0).var32(new byte[Chunk.MIN_SEALED]).toByteArray();
        top[16] = (byte) 0x80;
        assertRefused(top);
        assertThatThrownBy(() -> new Chunk(FileId.of(id), -1, new byte[Chunk.MIN_SEALED]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Chunk(FileId.of(id), 0, new byte[Chunk.MAX_SEALED + 1]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void holdsItsOwnCopy() throws CryptoException {
        byte[] sealed = new byte[Chunk.MIN_SEALED];
        Chunk c = new Chunk(FileId.of(new byte[16]), 1, sealed);
        sealed[0] = 1;
        c.sealed()[1] = 1;
        assertThat(c.sealed()).containsOnly(0);
        assertThat(c.toString()).doesNotContain("[0, 0");
    }

    private static void assertRefused(byte[] encoded) {
        assertThatThrownBy(() -> Chunk.decode(encoded)).isInstanceOf(CryptoException.class)
                .satisfies(e -> assertThat(((CryptoException) e).reason())
                        .isEqualTo(CryptoException.Reason.BAD_ENCODING));
    }
}
