package org.securep2p.transport.ice;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.securep2p.transport.Candidate;
import org.securep2p.transport.IceCredentials;
import org.securep2p.transport.TransportConfig.HostCandidates;
import org.securep2p.transport.TransportConfig;
import org.securep2p.transport.TransportException;
import org.securep2p.transport.reliable.DatagramLink;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IceSessionTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    private static TransportConfig loopback() throws TransportException {
        return TransportConfig.builder().hostCandidates(TransportConfig.HostCandidates.LOOPBACK_ONLY)
                .stunServers(List.of()).build();
    }

    private static void exchange(IceLink a, IceLink b) throws Exception {
        byte[] buf = new byte[DatagramLink.MAX_DATAGRAM];
        a.send("ping".getBytes(UTF_8), 0, 4);
        int n = receiveSkippingStun(b, buf);
        assertThat(new String(buf, 0, n, UTF_8)).isEqualTo("ping");
        b.send("pong".getBytes(UTF_8), 0, 4);
        n = receiveSkippingStun(a, buf);
        assertThat(new String(buf, 0, n, UTF_8)).isEqualTo("pong");
    }

    /**
     * The next datagram that is not STUN. A side that has left ICE has its own socket, and the other side's agent,
     * until it leaves too, still sends STUN keepalives (Binding Indications) on the pair; the reliable channel
     * drops them as malformed, and this test's raw exchange must pass over them too (it once failed on one).
     */
    private static int receiveSkippingStun(IceLink link, byte[] buf) throws Exception {
        while (true) {
            int n = link.receive(buf, 5000);
            boolean stun = n >= 20 && (buf[0] & 0xC0) == 0 && buf[4] == 0x21 && buf[5] == 0x12
                    && buf[6] == (byte) 0xA4 && buf[7] == 0x42;
            if (!stun) {
                return n;
            }
        }
    }

    @Test
    void connectsWhenOnlyTheConnectorKnowsTheWaitersCandidates() throws Exception {
        IceCredentials waiterCreds = IceCredentials.generate(RANDOM);
        IceCredentials connectorCreds = IceCredentials.generate(RANDOM);
        try (IceSession waiter = IceSession.gather(loopback(), false, waiterCreds);
             IceSession connector = IceSession.gather(loopback(), true, connectorCreds)) {
            List<Candidate> offered = waiter.advertisedCandidates();
            assertThat(offered).isNotEmpty().allMatch(c -> c.address().getAddress().isLoopbackAddress());
            waiter.start(connectorCreds, List.of());
            connector.start(waiterCreds, offered);
            IceLink c = connector.awaitLink(Duration.ofSeconds(10));
            IceLink w = waiter.awaitLink(Duration.ofSeconds(10));
            assertThat(c.pathKind()).isEqualTo("direct");
            assertThat(w.pathKind()).isEqualTo("direct");
            exchange(c, w);
        }
    }

    @Test
    void connectsWithCandidatesAddedAfterTheChecksStarted() throws Exception {
        IceCredentials waiterCreds = IceCredentials.generate(RANDOM);
        IceCredentials connectorCreds = IceCredentials.generate(RANDOM);
        try (IceSession waiter = IceSession.gather(loopback(), false, waiterCreds);
             IceSession connector = IceSession.gather(loopback(), true, connectorCreds)) {
            waiter.start(connectorCreds, List.of());
            waiter.addRemoteCandidates(connector.advertisedCandidates());
            connector.start(waiterCreds, waiter.advertisedCandidates());
            exchange(connector.awaitLink(Duration.ofSeconds(10)), waiter.awaitLink(Duration.ofSeconds(10)));
        }
    }

    // javac 'try': closing the waiter mid-try (its candidates go stale) is the setup; the try's close is a no-op
    @SuppressWarnings("try")
    @Test
    void timesOutWhenThePeerNeverAnswers() throws Exception {
        IceCredentials waiterCreds = IceCredentials.generate(RANDOM);
        try (IceSession gone = IceSession.gather(loopback(), false, waiterCreds)) {
            List<Candidate> stale = gone.advertisedCandidates();
            gone.close();
            try (IceSession connector = IceSession.gather(loopback(), true, IceCredentials.generate(RANDOM))) {
                connector.start(waiterCreds, stale);
                assertThatThrownBy(() -> connector.awaitLink(Duration.ofSeconds(3)))
                        .isInstanceOf(TransportException.class)
                        .satisfies(e -> assertThat(((TransportException) e).reason())
                                .isIn(TransportException.Reason.PEER_TIMEOUT, TransportException.Reason.NO_ROUTE));
            }
        }
    }

    @Test
    void acceptsDatagramsOnlyFromTheSelectedPeer() throws Exception {
        IceCredentials waiterCreds = IceCredentials.generate(RANDOM);
        IceCredentials connectorCreds = IceCredentials.derivedForConnector(waiterCreds);
        try (IceSession waiter = IceSession.gather(loopback(), false, waiterCreds);
             IceSession connector = IceSession.gather(loopback(), true, connectorCreds)) {
            List<Candidate> offered = waiter.advertisedCandidates();
            waiter.start(connectorCreds, List.of());
            connector.start(waiterCreds, offered);
            IceLink c = connector.awaitLink(Duration.ofSeconds(10));
            IceLink w = waiter.awaitLink(Duration.ofSeconds(10));
            try (java.net.DatagramSocket intruder = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
                byte[] junk = "spoofed".getBytes(UTF_8);
                intruder.send(new java.net.DatagramPacket(junk, junk.length, offered.get(0).address()));
            }
            byte[] buf = new byte[DatagramLink.MAX_DATAGRAM];
            assertThat(w.receive(buf, 300)).isEqualTo(-1);
            exchange(c, w);
        }
    }

    @Test
    void directPairLeavesIceOneSideAtATimeAndKeepsItsAddresses() throws Exception {
        IceCredentials waiterCreds = IceCredentials.generate(RANDOM);
        IceCredentials connectorCreds = IceCredentials.derivedForConnector(waiterCreds);
        try (IceSession waiter = IceSession.gather(loopback(), false, waiterCreds);
             IceSession connector = IceSession.gather(loopback(), true, connectorCreds)) {
            List<Candidate> offered = waiter.advertisedCandidates();
            waiter.start(connectorCreds, List.of());
            connector.start(waiterCreds, offered);
            IceLink c = connector.awaitLink(Duration.ofSeconds(10));
            IceLink w = waiter.awaitLink(Duration.ofSeconds(10));
            // The connector leaves first: the waiter, still on ice4j, must see no difference.
            assertThat(c.leaveIce(connector::releaseInBackground)).isTrue();
            assertThat(c.leftIce()).isTrue();
            exchange(c, w);
            assertThat(w.leaveIce(waiter::releaseInBackground)).isTrue();
            exchange(c, w);
            exchange(w, c);
            // The waiter's own socket sits on the advertised address and admits the selected peer only.
            try (java.net.DatagramSocket intruder = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
                byte[] junk = "spoofed".getBytes(UTF_8);
                intruder.send(new java.net.DatagramPacket(junk, junk.length, offered.get(0).address()));
            }
            byte[] buf = new byte[DatagramLink.MAX_DATAGRAM];
            assertThat(w.receive(buf, 300)).isEqualTo(-1);
            exchange(c, w);
            c.close();
            w.close();
            assertThatThrownBy(() -> w.receive(buf, 10)).isInstanceOf(java.io.IOException.class);
        }
    }

    private static Candidate host(String address, int port) {
        return Candidate.of(Candidate.Type.HOST, new InetSocketAddress(address, port));
    }

    @Test
    void theDefaultOffersPrivateRangeAddressesSoPeersOnOneLanConnectDirectly() throws Exception {
        HostCandidates byDefault = TransportConfig.builder().build().hostCandidates();
        for (String lan : List.of("10.1.2.3", "172.16.0.5", "172.31.255.254", "192.168.1.10", "100.64.0.1",
                "100.127.255.254", "fd12:3456:789a::10", "fc00::1")) {
            assertThat(IceSession.offered(InetAddress.getByName(lan), byDefault)).as(lan).isTrue();
            assertThat(IceSession.offered(InetAddress.getByName(lan), HostCandidates.PUBLIC_ONLY))
                    .as("PUBLIC_ONLY withholds %s", lan).isFalse();
            assertThat(IceSession.offered(InetAddress.getByName(lan), HostCandidates.ALL)).as(lan).isTrue();
        }
        for (String global : List.of("203.0.113.10", "2001:db8:1::10", "172.32.0.1", "100.128.0.1")) {
            assertThat(IceSession.offered(InetAddress.getByName(global), byDefault)).as(global).isTrue();
            assertThat(IceSession.offered(InetAddress.getByName(global), HostCandidates.PUBLIC_ONLY)).as(global)
                    .isTrue();
        }
    }

    @Test
    void loopbackAndLinkLocalAddressesAreNeverOfferedOutsideLoopbackMode() throws Exception {
        for (String local : List.of("127.0.0.1", "::1", "169.254.10.20", "fe80::1")) {
            InetAddress a = InetAddress.getByName(local);
            for (HostCandidates mode : List.of(HostCandidates.LAN, HostCandidates.PUBLIC_ONLY, HostCandidates.ALL)) {
                assertThat(IceSession.offered(a, mode)).as("%s in %s", local, mode).isFalse();
            }
        }
        assertThat(IceSession.offered(InetAddress.getByName("192.168.1.10"), HostCandidates.LOOPBACK_ONLY)).isFalse();
    }

    @Test
    void theDefaultProbesACodeLikePublicOnly() throws Exception {
        Set<InetAddress> own = Set.of(InetAddress.getByName("192.168.1.10"));
        List<Candidate> code = List.of(host("127.0.0.1", 5000), host("169.254.10.20", 5000),
                host("192.168.1.10", 5000), host("192.168.1.11", 5000), host("fd00::11", 5000),
                host("203.0.113.7", 5000));
        assertThat(IceSession.probeable(code, HostCandidates.LAN, own))
                .isEqualTo(IceSession.probeable(code, HostCandidates.PUBLIC_ONLY, own))
                .containsExactly(host("192.168.1.11", 5000), host("fd00::11", 5000), host("203.0.113.7", 5000));
    }

    @Test
    void aCodeCannotMakeUsProbeThisMachineOrItsLinkByDefault() throws Exception {
        Candidate loopback = host("127.0.0.1", 5000);
        // (::1 cannot be written in a code at all: Candidate refuses it as IPv4-compatible.)
        Candidate otherLoopback = host("127.8.9.10", 5000);
        Candidate linkLocal = host("169.254.10.20", 5000);
        Candidate linkLocal6 = host("fe80::1", 5000);
        Candidate thisNetwork = host("0.1.2.3", 5000);
        Candidate ours = host("192.0.2.44", 5000);
        Candidate ours6 = host("2001:db8::44", 5000);
        Candidate peer = host("203.0.113.7", 5000);
        Candidate peerOnTheLan = host("10.1.2.3", 5000);
        List<Candidate> code = List.of(loopback, otherLoopback, linkLocal, linkLocal6, thisNetwork, ours,
                ours6, peer, peerOnTheLan);
        Set<InetAddress> own = Set.of(InetAddress.getByName("192.0.2.44"), InetAddress.getByName("2001:db8::44"));

        assertThat(IceSession.probeable(code, HostCandidates.PUBLIC_ONLY, own)).containsExactly(peer, peerOnTheLan);
        assertThat(IceSession.probeable(code, HostCandidates.ALL, own)).isEqualTo(code);
        assertThat(IceSession.probeable(code, HostCandidates.LOOPBACK_ONLY, own))
                .containsExactly(loopback, otherLoopback);
    }

    @Test
    void refusesACodeLeftWithNothingToProbeAndSaysWhy() throws Exception {
        Set<InetAddress> own = Set.of(InetAddress.getByName("192.0.2.44"));
        List<Candidate> code = List.of(host("169.254.10.20", 5000), host("192.0.2.44", 5000), host("0.0.0.1", 9));
        assertThatThrownBy(() -> IceSession.probeable(code, HostCandidates.PUBLIC_ONLY, own))
                .isInstanceOf(TransportException.class)
                .hasMessageContaining("loopback, link-local, 0/8, multicast, or this machine's own")
                .hasMessageContaining("host.candidates=ALL")
                .satisfies(e -> assertThat(((TransportException) e).reason())
                        .isEqualTo(TransportException.Reason.BAD_CODE));
        assertThatThrownBy(() -> IceSession.probeable(List.of(host("203.0.113.7", 5000)),
                HostCandidates.LOOPBACK_ONLY, Set.of())).isInstanceOf(TransportException.class)
                .hasMessageContaining("loopback-only mode");
    }

    /** The real list of this machine's addresses holds every interface address, loopback included. */
    @SuppressWarnings("AddressSelection") // IP literals: nothing is looked up, one address is meant
    @Test
    void ownAddressesAreEveryInterfaceAddressOfThisMachine() throws Exception {
        Set<InetAddress> own = IceSession.ownAddresses();
        assertThat(own).contains(InetAddress.getByName("127.0.0.1"));
        for (NetworkInterface i : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress a : Collections.list(i.getInetAddresses())) {
                if (Candidate.refusal(a.getAddress(), 5000) != null) {
                    continue; // cannot even be written in a code
                }
                Candidate asCode = Candidate.of(Candidate.Type.HOST, new InetSocketAddress(
                        InetAddress.getByAddress(a.getAddress()), 5000));
                assertThat(IceSession.probeable(List.of(asCode, host("203.0.113.7", 5000)),
                        HostCandidates.PUBLIC_ONLY, own)).as("%s", a).doesNotContain(asCode);
            }
        }
    }
}
