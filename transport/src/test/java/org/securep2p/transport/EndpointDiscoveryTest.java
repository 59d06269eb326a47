package org.securep2p.transport;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

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
}
