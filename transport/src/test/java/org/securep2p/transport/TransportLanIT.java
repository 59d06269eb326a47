package org.securep2p.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.testing.NetLab;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real peers (separate JVMs in network namespaces) on one LAN, with the product's default
 * {@code host.candidates}: (a) behind one NAT router that does not hairpin, without TURN, they connect on a
 * host pair of their private addresses; (b) the same with a TURN server configured, still directly; (c) on a
 * dual-stack LAN with IPv4 blocked between them, over IPv6; (d) STUN over IPv6 reports the peer's IPv6 address.
 * Each connection moves 1 MB over TLS and checks it arrived intact.
 */
class TransportLanIT {

    private static final long BYTES = 1024 * 1024;
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final List<String> PEER_JVM = List.of("-XX:+UseSerialGC", "-Xmx256m");

    @BeforeEach
    void labAvailable() {
        NetLab.requireAvailable();
    }

    @Test
    void peersBehindOneNatThatDoesNotHairpinConnectOnTheirLanAddressesWithoutTurn() throws Exception {
        try (NetLab lab = NetLab.up(NetLab.Topology.SAMENAT)) {
            Pair pair = connect(lab, List.of("stun=" + hostPort(lab.stun1()) + "," + hostPort(lab.stun2())));
            assertHostPair(pair, lab.addressA(), lab.addressB());
        }
    }

    /** No NAT between them: the connector's checks reach the waiter, which learns it from them. */
    @Test
    void onOneLanOneCodeIsEnough() throws Exception {
        try (NetLab lab = NetLab.up(NetLab.Topology.SAMENAT)) {
            Pair pair = connect(lab, List.of("stun=" + hostPort(lab.stun1())), false);
            assertHostPair(pair, lab.addressA(), lab.addressB());
        }
    }

    @Test
    void peersOnOneLanConnectDirectlyEvenWithARelayConfigured() throws Exception {
        try (NetLab lab = NetLab.up(NetLab.Topology.SAMENAT)) {
            Pair pair = connect(lab, List.of("stun=" + hostPort(lab.stun1()), "turn=" + hostPort(lab.turn()),
                    "user=" + lab.turnUser(), "password=" + lab.turnPassword()));
            assertHostPair(pair, lab.addressA(), lab.addressB());
        }
    }

    /**
     * The default also offers private addresses when the peers are NOT on one LAN: each probes the other's
     * private candidates (in vain, the internet drops them) and the relay must still be found.
     */
    @Test
    void peersOnDifferentLansBehindSymmetricNatsStillMeetThroughTheRelay() throws Exception {
        try (NetLab lab = NetLab.up(NetLab.Topology.SYMMETRIC)) {
            Pair pair = connect(lab, List.of("stun=" + hostPort(lab.stun1()) + "," + hostPort(lab.stun2()),
                    "turn=" + hostPort(lab.turn()), "user=" + lab.turnUser(), "password=" + lab.turnPassword()));
            assertThat(pair.path()).isEqualTo("RELAYED");
        }
    }

    @Test
    void peersOnADualStackLanConnectOverIpv6WhenIpv4BetweenThemIsBlocked() throws Exception {
        try (NetLab lab = NetLab.up(NetLab.Topology.LAN)) {
            lab.isolateIpv4BetweenPeers();
            Pair pair = connect(lab, List.of("stun=" + hostPort(lab.stun1v6()) + "," + hostPort(lab.stun1())));
            assertHostPair(pair, lab.address6A(), lab.address6B());
        }
    }

    @Test
    void stunOverIpv6ReportsThePeersOwnIpv6Address() throws Exception {
        try (NetLab lab = NetLab.up(NetLab.Topology.LAN)) {
            NetLabProcess discover = NetLabProcess.of("discover", lab.java(lab.nsA(), PEER_JVM,
                    LabPeer.class.getName(), List.of("discover", SecurityLevel.STANDARD.name(), "0",
                            "stun=" + hostPort(lab.stun1v6()) + "," + hostPort(lab.stun2v6()))));
            String line = discover.requireLine("DISCOVERY ", STEP);
            assertThat(discover.awaitExit(STEP)).as(discover.transcript()).isZero();
            InetSocketAddress mapped = parse(TransportNatIT.field(line, "public"));
            // IPv6 is routed without NAT: the STUN server sees A's own address.
            assertThat(mapped.getAddress()).as(line).isEqualTo(lab.address6A());
            assertThat(TransportNatIT.field(line, "results")).isEqualTo("2");
        }
    }

    /** What the connector reported about the selected pair, and the waiter's view of it. */
    record Pair(String path, InetSocketAddress connectorLocal, InetSocketAddress connectorRemote,
            InetSocketAddress waiterLocal, InetSocketAddress waiterRemote) {
    }

    /** Host pair: direct, between the two given addresses of A (waiter) and B (connector), seen alike by both. */
    private static void assertHostPair(Pair pair, InetAddress a, InetAddress b) {
        assertThat(pair.path()).isEqualTo("DIRECT");
        assertThat(pair.connectorLocal().getAddress()).as("connector's local address").isEqualTo(b);
        assertThat(pair.connectorRemote().getAddress()).as("connector's remote address").isEqualTo(a);
        assertThat(pair.waiterLocal()).as("the waiter sends from where the connector sends to")
                .isEqualTo(pair.connectorRemote());
        assertThat(pair.waiterRemote()).isEqualTo(pair.connectorLocal());
    }

    /** Waiter in A, connector in B, default host candidates; the answer code is pasted back; 1 MB moved. */
    private static Pair connect(NetLab lab, List<String> options) throws Exception {
        return connect(lab, options, true);
    }

    private static Pair connect(NetLab lab, List<String> options, boolean pasteAnswer) throws Exception {
        List<String> waiterArgs = args("waiter", options);
        NetLabProcess waiter = NetLabProcess.of("waiter", lab.java(lab.nsA(), PEER_JVM, LabPeer.class.getName(),
                waiterArgs));
        String code = waiter.requireLine("CODE ", STEP);
        NetLabProcess connector = NetLabProcess.of("connector", lab.java(lab.nsB(), PEER_JVM,
                LabPeer.class.getName(), args("connector", options)));
        TransportNatIT.tell(connector, code);
        String answer = connector.requireLine("ANSWER ", STEP);
        if (pasteAnswer) {
            TransportNatIT.tell(waiter, answer);
        }
        String wc = waiter.requireLine("CONNECTED ", STEP);
        String cc = connector.requireLine("CONNECTED ", STEP);
        String sent = connector.requireLine("SENT ", STEP);
        String received = waiter.requireLine("RECEIVED ", STEP);
        assertThat(TransportNatIT.field(received, "sha256")).isEqualTo(TransportNatIT.field(sent, "sha256"));
        String both = waiter.transcript() + connector.transcript();
        assertThat(waiter.awaitExit(STEP)).as("waiter's exit status\n%s", both).isZero();
        assertThat(connector.awaitExit(STEP)).as("connector's exit status\n%s", both).isZero();
        System.out.printf("%s: connector %s, waiter %s%n", lab.topology(), cc, wc);
        return new Pair(TransportNatIT.field(cc, "path"), parseOrNull(TransportNatIT.field(cc, "local")),
                parse(TransportNatIT.field(cc, "remote")), parseOrNull(TransportNatIT.field(wc, "local")),
                parse(TransportNatIT.field(wc, "remote")));
    }

    private static List<String> args(String role, List<String> options) {
        // No host= option: the product's default decides which host candidates are offered.
        List<String> args = new ArrayList<>(List.of(role, SecurityLevel.QUANTUM_RESISTANT.name(),
                Long.toString(BYTES), "timeout=60"));
        args.addAll(options);
        return args;
    }

    private static InetSocketAddress parseOrNull(String literal) throws Exception {
        return literal.equals("none") ? null : parse(literal);
    }

    /** "1.2.3.4:5" or "[2001:db8::1]:5". */
    private static InetSocketAddress parse(String literal) throws Exception {
        int colon = literal.lastIndexOf(':');
        String host = literal.substring(0, colon).replace("[", "").replace("]", "");
        return new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(literal.substring(colon + 1)));
    }

    private static String hostPort(InetSocketAddress a) {
        return LabPeer.literal(a);
    }
}
