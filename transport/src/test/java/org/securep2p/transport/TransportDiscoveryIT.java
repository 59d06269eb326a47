package org.securep2p.transport;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * STUN discovery against the lab's two coturn addresses: the NAT-mapping hint the UI shows is right for each
 * kind of NAT, repeated discovery agrees, and an unreachable STUN server gives a clear state within the
 * timeout.
 */
class TransportDiscoveryIT {

    @BeforeEach
    void labAvailable() {
        NetLab.requireAvailable();
    }

    private static String discover(NetLab lab, String stun) {
        NetLabProcess p = NetLabProcess.of("discovery", lab.java(lab.nsA(), List.of("-XX:+UseSerialGC"),
                LabPeer.class.getName(), List.of("discover", SecurityLevel.STANDARD.name(), "0", "stun=" + stun)));
        p.requireLine("DONE", Duration.ofSeconds(60));
        return p.transcript();
    }

    private static String both(NetLab lab) {
        return TransportNatIT.hostPort(lab.stun1()) + "," + TransportNatIT.hostPort(lab.stun2());
    }

    @Test
    void reportsNoNatWhenTheServersSeeOurOwnAddress() {
        try (NetLab lab = NetLab.up(NetLab.Topology.DIRECT)) {
            String out = discover(lab, both(lab));
            assertThat(out).contains("DISCOVERY mapping=NO_NAT public=" + lab.addressA().getHostAddress() + ":");
        }
    }

    @Test
    void reportsEndpointIndependentMappingBehindAnEimNat() {
        try (NetLab lab = NetLab.up(NetLab.Topology.EIM)) {
            String out = discover(lab, both(lab));
            assertThat(out).contains("DISCOVERY mapping=ENDPOINT_INDEPENDENT public="
                    + lab.publicAddressA().getHostAddress() + ":");
            assertThat(out.split("mapping=ENDPOINT_INDEPENDENT", -1)).hasSize(3); // the retry agrees
        }
    }

    @Test
    void reportsEndpointDependentMappingBehindASymmetricNat() {
        try (NetLab lab = NetLab.up(NetLab.Topology.SYMMETRIC)) {
            String out = discover(lab, both(lab));
            assertThat(out).contains("DISCOVERY mapping=ENDPOINT_DEPENDENT");
        }
    }

    @Test
    void reportsUnreachableWithinTheTimeoutWhenNoStunServerAnswers() {
        try (NetLab lab = NetLab.up(NetLab.Topology.EIM)) {
            // The public namespace's address, on a port where nothing listens.
            String out = discover(lab, lab.stun1().getAddress().getHostAddress() + ":9");
            assertThat(out).contains("DISCOVERY mapping=UNREACHABLE public=none");
            for (String line : out.split("\n")) {
                if (line.startsWith("DISCOVERY")) {
                    assertThat(Integer.parseInt(TransportNatIT.field(line, "ms"))).isLessThan(3_000 + 1_500);
                }
            }
        }
    }
}
