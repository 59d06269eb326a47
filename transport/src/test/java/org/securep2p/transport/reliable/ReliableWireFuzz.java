package org.securep2p.transport.reliable;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of {@link ReliableWire#decode}, which sees every datagram that reaches the reliable
 * channel's port, from the peer or not. Any input must end in a {@link ReliableWire.Verdict}, never an
 * exception, and a datagram it accepts must be within the limits the rest of the channel relies on (counters
 * below 2^62, at most {@link ReliableWire#MAX_ACK_RANGES} descending ranges, the stream payload inside the
 * datagram, before the tag if it is tagged). The seeds in {@code ReliableWireFuzzInputs/} were written by
 * {@link ReliableWire}'s own writers in wire version 2, untagged and tagged by {@link ReliableAuth}, plus one
 * version-1 datagram.
 */
class ReliableWireFuzz {

    private final ReliableWire.Packet packet = new ReliableWire.Packet();

    @FuzzTest(maxDuration = "5m")
    void decodeGivesAVerdictAndAcceptsOnlyPacketsWithinLimits(byte[] datagram) {
        ReliableWire.Verdict verdict = ReliableWire.decode(datagram, datagram.length, packet);
        assertThat(verdict).isNotNull();
        if (verdict != ReliableWire.Verdict.OK) {
            return;
        }
        assertThat(datagram.length).isBetween(1, DatagramLink.MAX_DATAGRAM);
        assertThat(packet.number).isBetween(0L, ReliableWire.MAX_COUNTER);
        if (packet.type == ReliableWire.TYPE_CLOSE) {
            return;
        }
        assertThat(packet.maxData).isBetween(0L, ReliableWire.MAX_COUNTER);
        assertThat(packet.rangeCount).isBetween(0, ReliableWire.MAX_ACK_RANGES);
        long previousLow = Long.MAX_VALUE;
        for (int i = 0; i < packet.rangeCount; i++) {
            assertThat(packet.rangeLow[i]).isBetween(0L, packet.rangeHigh[i]);
            assertThat(packet.rangeHigh[i]).isLessThan(previousLow).isLessThanOrEqualTo(ReliableWire.MAX_COUNTER);
            previousLow = packet.rangeLow[i];
        }
        if (packet.type == ReliableWire.TYPE_DATA) {
            assertThat(packet.length).isBetween(0, ReliableWire.MAX_STREAM_PAYLOAD);
            // The payload ends where the tag begins, if the packet is tagged (PROTOCOL.md 13.2).
            assertThat(packet.payloadStart + packet.length)
                    .isEqualTo(datagram.length - (packet.tagged ? ReliableWire.TAG_BYTES : 0));
            assertThat(packet.offset + packet.length).isBetween(0L, ReliableWire.MAX_COUNTER);
        }
    }
}
