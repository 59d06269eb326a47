package org.securep2p.transport.reliable;

import java.util.Arrays;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import static org.assertj.core.api.Assertions.assertThat;

/** The codec on random input: round trips are exact, and no input makes it throw or accept a prefix. */
class ReliableWireProperties {

    private final ReliableWire.Packet p = new ReliableWire.Packet();

    @Property
    void dataPacketsRoundTrip(@ForAll @LongRange(min = 0, max = ReliableWire.MAX_COUNTER) long pn,
                              @ForAll @LongRange(min = 0, max = 1L << 40) long offset,
                              @ForAll @Size(max = 200) byte[] payload,
                              @ForAll @IntRange(min = 0, max = 40) int rangeCount,
                              @ForAll @LongRange(min = 0, max = 1L << 40) long base) {
        boolean fin = payload.length == 0 || (pn & 1) == 0;
        ReliableRangeSet acked = new ReliableRangeSet(64, false);
        for (int i = 0; i < rangeCount; i++) {
            acked.add(base + 5L * i, base + 5L * i + 1 + (i % 3));
        }
        byte[] b = ReliableWireTest.data(pn, acked, offset, payload, fin);
        assertThat(ReliableWire.decode(b, b.length, p)).isEqualTo(ReliableWire.Verdict.OK);
        assertThat(p.number).isEqualTo(pn);
        assertThat(p.offset).isEqualTo(offset);
        assertThat(p.fin).isEqualTo(fin);
        assertThat(Arrays.copyOfRange(b, p.payloadStart, p.payloadStart + p.length)).isEqualTo(payload);
        int expected = Math.min(rangeCount, ReliableWire.MAX_ACK_RANGES);
        assertThat(p.rangeCount).isEqualTo(expected);
        for (int k = 0; k < expected; k++) {
            int i = rangeCount - 1 - k;
            assertThat(p.rangeLow[k]).isEqualTo(base + 5L * i);
            assertThat(p.rangeHigh[k]).isEqualTo(base + 5L * i + (i % 3));
        }
        for (int len = 0; len < b.length; len++) {
            assertThat(ReliableWire.decode(b, len, p)).isNotEqualTo(ReliableWire.Verdict.OK);
        }
    }

    @Property
    void arbitraryBytesNeverThrow(@ForAll @Size(max = DatagramLink.MAX_DATAGRAM + 10) byte[] b) {
        ReliableWire.Verdict v = ReliableWire.decode(b, b.length, p);
        assertThat(v).isNotNull();
    }
}
