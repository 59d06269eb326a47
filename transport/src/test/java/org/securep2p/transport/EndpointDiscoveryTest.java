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
}
