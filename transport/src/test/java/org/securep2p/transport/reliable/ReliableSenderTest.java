package org.securep2p.transport.reliable;

import org.junit.jupiter.api.Test;
import org.securep2p.transport.TransportException;

import static org.assertj.core.api.Assertions.assertThat;

/** The sender's bookkeeping on its own, where the channel tests would need minutes of traffic. */
class ReliableSenderTest {

    private static ReliableSender sender() throws TransportException {
        ReliableConfig config = ReliableConfig.builder().build();
        return new ReliableSender(config.sendBuffer(), new ReliableRto(config.initialRto().toNanos(),
                config.minRto().toNanos(), config.maxRto().toNanos()),
                new ReliableCongestion(config.initialWindowPackets(), 2L * config.sendBuffer()));
    }

    @Test
    void sendsAfterMorePureAcknowledgementsThanItCanTrackPackets() throws Exception {
        ReliableSender s = sender();
        // The receiving end of a long one-way transfer: packet numbers taken by ACK-only packets, none tracked.
        for (int i = 0; i < ReliableSender.MAX_PACKETS + 100; i++) {
            s.takePacketNumber();
        }
        byte[] reply = {1, 2, 3};
        assertThat(s.accept(reply, 0, reply.length)).isEqualTo(reply.length);
        assertThat(s.canTrack()).isTrue();
        assertThat(s.prepare()).isEqualTo(reply.length);
    }

    @Test
    void stillRefusesToTrackBeyondTheRingWhileTheOldestPacketIsInFlight() throws Exception {
        ReliableSender s = sender();
        byte[] data = {1};
        s.accept(data, 0, 1);
        assertThat(s.prepare()).isEqualTo(1);
        long pn = s.takePacketNumber();
        s.writeChosen(new byte[DatagramLink.MAX_DATAGRAM], 0, pn, System.nanoTime());
        for (int i = 0; i < ReliableSender.MAX_PACKETS; i++) {
            s.takePacketNumber();
        }
        assertThat(s.canTrack()).isFalse();
    }
}
