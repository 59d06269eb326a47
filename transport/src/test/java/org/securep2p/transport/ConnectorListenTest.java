package org.securep2p.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.securep2p.transport.reliable.DatagramLink;
import org.securep2p.transport.reliable.ReliableRangeSet;
import org.securep2p.transport.reliable.ReliableWire;

/** Which datagram may open a bare {@code host:port} connection on a listener (issue 14 §2.4). */
class ConnectorListenTest {

    private final ReliableWire.Packet packet = new ReliableWire.Packet();

    /** A packet of {@code type} (DATA carries 3 bytes at {@code offset}); the listener tests use it too. */
    static byte[] packet(int type, int connectionId, long offset) {
        byte[] b = new byte[DatagramLink.MAX_DATAGRAM];
        int pos = ReliableWire.writeHeader(b, type, connectionId, 0);
        if (type == ReliableWire.TYPE_CLOSE) {
            return Arrays.copyOf(b, ReliableWire.writeClose(b, connectionId, 0, ReliableWire.CLOSE_ABORT));
        }
        pos = ReliableWire.writeAck(b, pos, 1 << 20, new ReliableRangeSet(8, false), ReliableWire.MAX_ACK_RANGES);
        if (type == ReliableWire.TYPE_DATA) {
            pos = ReliableWire.writeStreamHeader(b, pos, offset, 3, false);
            pos += 3;
        }
        return Arrays.copyOf(b, pos);
    }

    private boolean opens(byte[] d) {
        return Connector.opensBareConnection(d, d.length, packet);
    }

    @Test
    void onlyTheStartOfADialersStreamOpensTheConnection() {
        assertThat(opens(packet(ReliableWire.TYPE_DATA, Connector.BARE_CONNECTION_ID, 0))).isTrue();
        // A later piece of a stream (a replayed packet of an old connection), another connection, control packets.
        assertThat(opens(packet(ReliableWire.TYPE_DATA, Connector.BARE_CONNECTION_ID, 1200))).isFalse();
        assertThat(opens(packet(ReliableWire.TYPE_DATA, 7, 0))).isFalse();
        assertThat(opens(packet(ReliableWire.TYPE_PING, Connector.BARE_CONNECTION_ID, 0))).isFalse();
        assertThat(opens(packet(ReliableWire.TYPE_ACK, Connector.BARE_CONNECTION_ID, 0))).isFalse();
        assertThat(opens(packet(ReliableWire.TYPE_CLOSE, Connector.BARE_CONNECTION_ID, 0))).isFalse();
        // Scanner junk.
        assertThat(opens("SSH-2.0-scanner\r\n".getBytes(StandardCharsets.US_ASCII))).isFalse();
        assertThat(opens(new byte[1500])).isFalse();
        assertThat(opens(new byte[DatagramLink.MAX_DATAGRAM + 1])).isFalse();
    }
}
