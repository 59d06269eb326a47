package org.securep2p.crypto;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A writer that held secrets leaves no copy behind: outgrown buffers and, on request, its last one are zeroed. */
class StrictWriterTest {

    private static byte[] filled(int n, int b) {
        byte[] a = new byte[n];
        Arrays.fill(a, (byte) b);
        return a;
    }

    @Test
    void anOutgrownBufferIsZeroedBeforeItIsDropped() {
        StrictWriter w = new StrictWriter();
        w.bytes(filled(200, 0x5A));
        byte[] first = w.buffer();
        w.bytes(filled(200, 0x5A)).u8(0x5A); // past the initial 256 bytes
        assertThat(w.buffer()).isNotSameAs(first);
        assertThat(first).containsOnly(0);
        byte[] second = w.buffer();
        for (int i = 0; i < 2000; i++) {
            w.u32(0x5A5A5A5A);
        }
        assertThat(second).containsOnly(0);
        assertThat(w.toByteArray()).hasSize(401 + 8000).containsOnly(0x5A);
    }

    @Test
    void toByteArrayThenWipeReturnsTheOutputAndZeroesTheBuffer() {
        StrictWriter w = new StrictWriter().var16(filled(1000, 0x33)).u64(Long.MAX_VALUE);
        byte[] out = w.toByteArrayThenWipe();
        assertThat(out).hasSize(2 + 1000 + 8);
        assertThat(Arrays.copyOfRange(out, 2, 1002)).containsOnly(0x33);
        assertThat(w.buffer()).containsOnly(0);
        assertThat(w.toByteArray()).isEmpty();
    }

    @Test
    void writesAtEveryBoundaryAreUnchanged() {
        for (int size = 250; size < 270; size++) {
            StrictWriter w = new StrictWriter();
            byte[] expected = new byte[size];
            for (int i = 0; i < size; i++) {
                expected[i] = (byte) i;
                w.u8(i & 0xFF);
            }
            assertThat(w.toByteArray()).isEqualTo(expected);
        }
    }
}
