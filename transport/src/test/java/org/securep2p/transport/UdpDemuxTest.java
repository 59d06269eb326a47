package org.securep2p.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.securep2p.transport.reliable.DatagramLink;
import org.securep2p.transport.reliable.ReliableWire;

/**
 * The fixed-port listener's demultiplexer without TLS: datagrams are handed to {@link UdpDemux#deliver}
 * directly, so every bound is checked deterministically.
 */
class UdpDemuxTest {

    private final List<UdpDemux.Link> opened = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ReliableWire.Packet scratch = new ReliableWire.Packet();
    private UdpDemux demux;

    static final byte[] OPENING = ConnectorListenTest.packet(ReliableWire.TYPE_DATA, Connector.BARE_CONNECTION_ID, 0);

    @SuppressWarnings("AddressSelection") // IP literals: nothing is looked up, one address is meant
    static InetSocketAddress source(int i) {
        return new InetSocketAddress("127.0.0.1", 40_000 + i);
    }

    private UdpDemux demux(int maxConnections, int maxHalfOpen) throws IOException {
        demux = UdpDemux.bind(0, maxConnections, maxHalfOpen, opened::add, stopped::countDown);
        return demux;
    }

    private void deliver(int source, byte[] d) {
        demux.deliver(source(source), d, d.length, scratch);
    }

    @AfterEach
    void closeDemux() {
        if (demux != null) {
            demux.closeNow();
        }
    }

    @Test
    void firstPacketsBeyondTheHalfOpenBoundAreDroppedAndCounted() throws Exception {
        demux(4, 2);
        for (int s = 0; s < 5; s++) {
            deliver(s, OPENING);
        }
        assertThat(opened).hasSize(2);
        assertThat(demux.counts()).isEqualTo(new UdpDemux.Counts(2, 2, 0, 3, 0));
        // An established link no longer counts against the half-open bound: the next source gets in.
        assertThat(opened.get(0).markEstablished()).isTrue();
        deliver(5, OPENING);
        assertThat(opened).hasSize(3);
        assertThat(demux.counts().halfOpen()).isEqualTo(2);
    }

    @Test
    void theConnectionBoundCountsEstablishedLinksAndAClosedLinkFreesItsSlot() throws Exception {
        demux(2, 2);
        deliver(0, OPENING);
        deliver(1, OPENING);
        opened.forEach(UdpDemux.Link::markEstablished);
        deliver(2, OPENING);
        assertThat(opened).hasSize(2);
        assertThat(demux.counts().overLimit()).isEqualTo(1);
        opened.get(0).close();
        deliver(2, OPENING);
        assertThat(opened).hasSize(3);
        assertThat(opened.get(2).key().source()).isEqualTo(source(2));
        assertThat(demux.counts().links()).isEqualTo(2);
    }

    @Test
    void eachLinkReceivesOnlyItsOwnSourcesDatagrams() throws Exception {
        demux(4, 4);
        deliver(0, OPENING);
        deliver(1, OPENING);
        byte[] fromZero = ConnectorListenTest.packet(ReliableWire.TYPE_PING, Connector.BARE_CONNECTION_ID, 0);
        byte[] fromOne = ConnectorListenTest.packet(ReliableWire.TYPE_DATA, Connector.BARE_CONNECTION_ID, 3);
        deliver(0, fromZero);
        deliver(1, fromOne);
        // The same source with another connection id is another (unknown) connection, and a PING opens none.
        deliver(0, ConnectorListenTest.packet(ReliableWire.TYPE_PING, 7, 0));
        assertThat(received(opened.get(0))).containsExactly(OPENING, fromZero);
        assertThat(received(opened.get(1))).containsExactly(OPENING, fromOne);
        assertThat(demux.counts().strays()).isEqualTo(1);
    }

    @Test
    void aConnectionsPacketsFromANewSourceAddressAreStraysNotAMigration() throws Exception {
        demux(4, 4);
        deliver(0, OPENING);
        opened.get(0).markEstablished();
        byte[] midStream = ConnectorListenTest.packet(ReliableWire.TYPE_DATA, Connector.BARE_CONNECTION_ID, 1138);
        // The peer's NAT rebinds: same connection id, new port. Nothing follows it there (PROTOCOL.md 14).
        deliver(9, midStream);
        deliver(9, ConnectorListenTest.packet(ReliableWire.TYPE_PING, Connector.BARE_CONNECTION_ID, 0));
        assertThat(opened).hasSize(1);
        assertThat(received(opened.get(0))).containsExactly(OPENING);
        assertThat(demux.counts().strays()).isEqualTo(2);
    }

    @Test
    void junkShortAndOversizedDatagramsOpenNothing() throws Exception {
        demux(4, 4);
        deliver(0, "SSH-2.0-scanner\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        deliver(0, new byte[3]);
        deliver(0, new byte[DatagramLink.MAX_DATAGRAM + 1]);
        deliver(0, ConnectorListenTest.packet(ReliableWire.TYPE_DATA, Connector.BARE_CONNECTION_ID, 1200));
        assertThat(opened).isEmpty();
        assertThat(demux.counts().strays()).isEqualTo(4);
    }

    @Test
    void aFullBacklogDropsTheNewestDatagramAndCountsIt() throws Exception {
        demux(1, 1);
        deliver(0, OPENING);
        byte[] ping = ConnectorListenTest.packet(ReliableWire.TYPE_PING, Connector.BARE_CONNECTION_ID, 0);
        for (int i = 0; i < UdpDemux.LINK_BACKLOG; i++) {
            deliver(0, ping);
        }
        assertThat(demux.counts().backlogDrops()).isEqualTo(1);
        assertThat(received(opened.get(0))).hasSize(UdpDemux.LINK_BACKLOG);
    }

    @Test
    void closingAbortsHalfOpenLinksAndReleasesTheSocketAfterTheLastEstablishedOne() throws Exception {
        demux(4, 4);
        deliver(0, OPENING);
        deliver(1, OPENING);
        UdpDemux.Link established = opened.get(0);
        UdpDemux.Link halfOpen = opened.get(1);
        established.markEstablished();
        demux.close();
        assertThat(demux.state()).isEqualTo(UdpDemux.State.DRAINING);
        byte[] buf = new byte[DatagramLink.MAX_DATAGRAM];
        assertThatThrownBy(() -> halfOpen.receive(buf, 0)).isInstanceOf(IOException.class);
        assertThat(halfOpen.markEstablished()).isFalse();
        // The established link still sends and receives; nobody new gets in.
        established.send(OPENING, 0, OPENING.length);
        assertThat(received(established)).containsExactly(OPENING);
        deliver(2, OPENING);
        assertThat(opened).hasSize(2);
        established.close();
        assertThat(demux.state()).isEqualTo(UdpDemux.State.CLOSED);
        assertThat(stopped.await(10, TimeUnit.SECONDS)).isTrue();
    }

    static List<byte[]> received(UdpDemux.Link link) throws IOException {
        List<byte[]> all = new ArrayList<>();
        byte[] buf = new byte[DatagramLink.MAX_DATAGRAM];
        int n;
        while ((n = link.receive(buf, 0)) >= 0) {
            all.add(Arrays.copyOf(buf, n));
        }
        return all;
    }
}
