package org.securep2p.transport;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.testing.NetLab;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * STUN discovery against the lab's coturn, which listens on two addresses and two ports and so supports RFC
 * 5780: the mapping and filtering measured behind each kind of NAT are what the lab's router does, the advice
 * and the answer-code decision follow from them, repeated discovery agrees, and an unreachable STUN server
 * gives a clear state within the timeout.
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
        String out = p.transcript();
        System.out.println(out); // the measured behaviour and the time each run took, for the report
        return out;
    }

    private static String both(NetLab lab) {
        return TransportNatIT.hostPort(lab.stun1()) + "," + TransportNatIT.hostPort(lab.stun2());
    }

    @Test
    void reportsNoNatWhenTheServersSeeOurOwnAddress() {
        try (NetLab lab = NetLab.up(NetLab.Topology.DIRECT)) {
            String out = discover(lab, both(lab));
            assertThat(out).contains("DISCOVERY mapping=NO_NAT public=" + lab.addressA().getHostAddress() + ":");
            // Nothing filters in front of a host on the internet: both CHANGE-REQUEST answers come in.
            assertThat(out.split("behaviour=NONE/ENDPOINT_INDEPENDENT answerNeeded=false advice=One code is "
                    + "enough", -1)).hasSize(3);
        }
    }

    @Test
    void reportsEndpointIndependentMappingBehindAnEimNat() {
        try (NetLab lab = NetLab.up(NetLab.Topology.EIM)) {
            String out = discover(lab, both(lab));
            assertThat(out).contains("DISCOVERY mapping=ENDPOINT_INDEPENDENT public="
                    + lab.publicAddressA().getHostAddress() + ":");
            assertThat(out.split("mapping=ENDPOINT_INDEPENDENT", -1)).hasSize(3); // the retry agrees
            // MASQUERADE keeps the port (RFC 5780 4.3 test II sees test I's address) and the router lets in
            // replies only: both filtering tests stay unanswered, so the peer must send an answer code back.
            assertThat(out.split("behaviour=ENDPOINT_INDEPENDENT/ADDRESS_AND_PORT_DEPENDENT answerNeeded=true "
                    + "advice=The other person must send an answer code back", -1)).hasSize(3);
        }
    }

    @Test
    void reportsEndpointDependentMappingBehindASymmetricNat() {
        try (NetLab lab = NetLab.up(NetLab.Topology.SYMMETRIC)) {
            String out = discover(lab, both(lab));
            assertThat(out).contains("DISCOVERY mapping=ENDPOINT_DEPENDENT");
            // --random-fully: a new port for test II (other address) and again for test III (other port).
            assertThat(out.split("behaviour=ADDRESS_AND_PORT_DEPENDENT/ADDRESS_AND_PORT_DEPENDENT "
                    + "answerNeeded=true advice=A relay will be needed", -1)).hasSize(3);
        }
    }

    @Test
    void measuresEndpointIndependentFilteringBehindAFullConeNat() {
        try (NetLab lab = NetLab.up(NetLab.Topology.FULLCONE)) {
            String out = discover(lab, both(lab));
            // Both CHANGE-REQUEST answers come in through the DNAT: one code is enough, although our host
            // address is private (the old guess would have asked for an answer code).
            assertThat(out.split("behaviour=ENDPOINT_INDEPENDENT/ENDPOINT_INDEPENDENT answerNeeded=false "
                    + "advice=One code is enough", -1)).hasSize(3);
        }
    }

    @Test
    void reportsUnreachableWithinTheTimeoutWhenNoStunServerAnswers() {
        try (NetLab lab = NetLab.up(NetLab.Topology.EIM)) {
            // The public namespace's address, on a port where nothing listens.
            String out = discover(lab, lab.stun1().getAddress().getHostAddress() + ":9");
            assertThat(out).contains("DISCOVERY mapping=UNREACHABLE public=none");
            for (String line : out.split("\n", -1)) {
                if (line.startsWith("DISCOVERY")) {
                    assertThat(Integer.parseInt(TransportNatIT.field(line, "ms"))).isLessThan(3_000 + 1_500);
                }
            }
        }
    }
}
