package org.securep2p.transport;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EndpointDiscoveryTest {

    @Test
    void reportsUnreachableWithinTheTimeoutWhenNoServerAnswers() throws Exception {
        // A bound socket that never answers: the requests go to loopback and are simply ignored.
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            TransportConfig config = TransportConfig.builder()
                    .stunServers(List.of(ServerAddress.parse("127.0.0.1:" + silent.getLocalPort())))
                    .stunTimeout(Duration.ofMillis(800)).build();
            long start = System.nanoTime();
            EndpointDiscovery.Report report = new EndpointDiscovery(config).discover();
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(report.natMapping()).isEqualTo(EndpointDiscovery.NatMapping.UNREACHABLE);
            assertThat(report.reachable()).isFalse();
            assertThat(report.results()).singleElement()
                    .satisfies(r -> assertThat(r.failure()).hasValue("no answer in time"));
            // Bounded, not hanging: generous slack for a loaded machine, but far below ice4j's own ~8 s.
            assertThat(millis).isLessThan(5_000);
        }
    }

    @Test
    void reportsUnresolvableServersByName() throws Exception {
        TransportConfig config = TransportConfig.builder()
                .stunServers(List.of(ServerAddress.parse("no-such-host.invalid:3478")))
                .stunTimeout(Duration.ofMillis(800)).build();
        EndpointDiscovery.Report report = new EndpointDiscovery(config).discover();
        assertThat(report.natMapping()).isEqualTo(EndpointDiscovery.NatMapping.UNREACHABLE);
        assertThat(report.results().get(0).failure()).hasValueSatisfying(f -> assertThat(f).contains("resolve"));
    }

    @Test
    void loopbackOnlyModeNeverAsksAStunServer() throws Exception {
        TransportConfig config = TransportConfig.builder()
                .hostCandidates(TransportConfig.HostCandidates.LOOPBACK_ONLY).build();
        assertThat(new EndpointDiscovery(config).discover().results()).isEmpty();
    }

    private static EndpointDiscovery.Report discover(FakeRfc5780Server server) throws TransportException {
        TransportConfig config = TransportConfig.builder()
                .stunServers(List.of(ServerAddress.parse(server.primary())))
                .hostCandidates(TransportConfig.HostCandidates.ALL)
                .stunTimeout(Duration.ofSeconds(5)).build();
        return new EndpointDiscovery(config).discover();
    }

    @Test
    void measuresFilteringWhereTheServerNamesAnAlternateAddress() throws Exception {
        try (FakeRfc5780Server server = new FakeRfc5780Server(true, FakeRfc5780Server.ChangeRequest.HONOUR)) {
            EndpointDiscovery.Report report = discover(server);
            NatBehaviour b = report.natBehaviour();
            // Loopback is our own address: no NAT, and nothing filters the answers from 127.0.0.2.
            assertThat(b.mapping()).isEqualTo(NatBehaviour.Mapping.NONE);
            assertThat(b.mappingMeasured()).isTrue();
            assertThat(b.filtering()).isEqualTo(NatBehaviour.Filtering.ENDPOINT_INDEPENDENT);
            assertThat(b.answerNeeded()).contains(false);
            assertThat(report.results().get(0).otherAddress()).hasValueSatisfying(
                    o -> assertThat(o.getAddress().getHostAddress()).isEqualTo("127.0.0.2"));
        }
    }

    @Test
    void unansweredFilteringTestsMeanAFilter() throws Exception {
        // How long the silence costs (the filtering wait, not the 5 s STUN timeout) is a figure for the
        // benches, not a wall-clock bound here: this machine is a loaded 2-core CI VM.
        try (FakeRfc5780Server server = new FakeRfc5780Server(true, FakeRfc5780Server.ChangeRequest.DROP)) {
            NatBehaviour b = discover(server).natBehaviour();
            assertThat(b.filtering()).isEqualTo(NatBehaviour.Filtering.ADDRESS_AND_PORT_DEPENDENT);
            assertThat(b.answerNeeded()).contains(true);
        }
    }

    @Test
    void anAnswerFromTheWrongAddressTellsNothingAboutFiltering() throws Exception {
        try (FakeRfc5780Server server = new FakeRfc5780Server(true, FakeRfc5780Server.ChangeRequest.IGNORE)) {
            NatBehaviour b = discover(server).natBehaviour();
            assertThat(b.filtering()).isEqualTo(NatBehaviour.Filtering.UNKNOWN);
            assertThat(b.answerNeeded()).isEmpty();
        }
    }

    @Test
    void withoutOtherAddressTheBehaviourIsInferred() throws Exception {
        try (FakeRfc5780Server server = new FakeRfc5780Server(false, FakeRfc5780Server.ChangeRequest.HONOUR)) {
            EndpointDiscovery.Report report = discover(server);
            assertThat(report.natMapping()).isEqualTo(EndpointDiscovery.NatMapping.NO_NAT);
            assertThat(report.natBehaviour().mappingMeasured()).isFalse();
            assertThat(report.natBehaviour().filtering()).isEqualTo(NatBehaviour.Filtering.UNKNOWN);
            assertThat(report.results().get(0).otherAddress()).isEmpty();
        }
    }

    @Test
    void anAlternateAddressOfARefusedClassIsNotTestedAndTheBehaviourIsInferred() throws Exception {
        // The server on loopback names 0.0.0.0 (which Linux delivers to this machine) as its alternate address:
        // not loopback like the server, so no test II/III or filtering test may go there or anywhere else.
        try (DatagramSocket receiver = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0));
                FakeRfc5780Server server = new FakeRfc5780Server(
                        new InetSocketAddress(InetAddress.getByName("0.0.0.0"), receiver.getLocalPort()),
                        FakeRfc5780Server.ChangeRequest.HONOUR)) {
            EndpointDiscovery.Report report = discover(server);
            assertThat(report.natMapping()).isEqualTo(EndpointDiscovery.NatMapping.NO_NAT);
            assertThat(report.natBehaviour().mappingMeasured()).isFalse();
            assertThat(report.natBehaviour().filtering()).isEqualTo(NatBehaviour.Filtering.UNKNOWN);
            assertThat(report.results().get(0).otherAddress()).isEmpty();
            // Only test I reached the server; discover() has sent everything it sends before it returns.
            assertThat(server.requestsSeen()).isEqualTo(1);
            receiver.setSoTimeout(300);
            assertThatThrownBy(() -> receiver.receive(new DatagramPacket(new byte[1500], 1500)))
                    .isInstanceOf(SocketTimeoutException.class);
        }
    }

    @SuppressWarnings("AddressSelection") // IP literals: nothing is looked up, one address is meant
    @Test
    void alternateAddressesGetTheRefusalOfACodesCandidatesUnlessTheServerIsOfTheSameClass() throws Exception {
        InetAddress publicServer = InetAddress.getByName("198.51.100.1");
        InetAddress v6Server = InetAddress.getByName("2001:db8::1");
        Set<InetAddress> own = Set.of(InetAddress.getByName("10.0.0.5"), InetAddress.getByName("10.0.0.6"));
        // Allowed: a public alternate of a public server; the server's own class (tests on loopback, this machine).
        assertThat(EndpointDiscovery.mayTest(InetAddress.getByName("198.51.100.2"), publicServer, own)).isTrue();
        assertThat(EndpointDiscovery.mayTest(InetAddress.getByName("127.0.0.2"),
                InetAddress.getByName("127.0.0.1"), own)).isTrue();
        assertThat(EndpointDiscovery.mayTest(InetAddress.getByName("10.0.0.6"),
                InetAddress.getByName("10.0.0.5"), own)).isTrue();
        assertThat(EndpointDiscovery.mayTest(InetAddress.getByName("2001:db8::2"), v6Server, own)).isTrue();
        // Refused from a public server: loopback, link-local, multicast, unspecified, 0/8, our own addresses.
        for (String refused : List.of("127.0.0.1", "169.254.1.1", "224.0.0.1", "0.0.0.0", "0.1.2.3", "10.0.0.5")) {
            assertThat(EndpointDiscovery.mayTest(InetAddress.getByName(refused), publicServer, own))
                    .as(refused).isFalse();
        }
        for (String refused : List.of("::1", "fe80::1", "ff02::1", "::")) {
            assertThat(EndpointDiscovery.mayTest(InetAddress.getByName(refused), v6Server, own))
                    .as(refused).isFalse();
        }
        // A loopback server does not make a link-local or own alternate acceptable: only its own class.
        assertThat(EndpointDiscovery.mayTest(InetAddress.getByName("169.254.1.1"),
                InetAddress.getByName("127.0.0.1"), own)).isFalse();
        assertThat(EndpointDiscovery.mayTest(InetAddress.getByName("10.0.0.5"),
                InetAddress.getByName("127.0.0.1"), own)).isFalse();
        // The other family, and IPv4 disguised as IPv6 (::ffff:127.0.0.1, sent over IPv4 by a dual-stack socket).
        assertThat(EndpointDiscovery.mayTest(InetAddress.getByName("2001:db8::2"), publicServer, own)).isFalse();
        assertThat(EndpointDiscovery.mayTest(InetAddress.getByName("198.51.100.2"), v6Server, own)).isFalse();
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1};
        assertThat(EndpointDiscovery.mayTest(Inet6Address.getByAddress(null, mapped, -1), v6Server, own)).isFalse();
    }
}
