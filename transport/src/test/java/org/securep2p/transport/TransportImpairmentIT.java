package org.securep2p.transport;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.securep2p.transport.testing.NetLab;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 10 MB over TLS 1.3 on the reliable channel stay byte-exact through 20% random loss (iptables
 * {@code -m statistic} in a lab namespace), reordering and 5% duplication (the user-space proxy).
 */
class TransportImpairmentIT {

    /**
     * Every datagram crosses the namespace's loopback twice (peer to proxy, proxy to peer), and iptables drops
     * on each crossing: 1 - (1 - 0.1056)^2 = 0.20 end to end.
     */
    static final double LOSS_PER_CROSSING_PERCENT = 10.56;

    @BeforeEach
    void labAvailable() {
        NetLab.requireAvailable();
    }

    @Test
    void tenMegabytesStayIntactThroughLossReorderingAndDuplication() throws Exception {
        try (NetLab lab = NetLab.up(NetLab.Topology.DIRECT)) {
            lab.setLoss(lab.nsA(), LOSS_PER_CROSSING_PERCENT);
            long seed = System.nanoTime();
            NetLabProcess p = NetLabProcess.of("impaired transfer (seed " + seed + ")", lab.java(lab.nsA(),
                    List.of("-XX:+UseSerialGC", "-Xmx256m"), ImpairedTransfer.class.getName(),
                    List.of(Long.toString(TransportNatIT.BYTES), "0.05", "0.10", Long.toString(seed))));
            String sent = p.requireLine("SENT ", Duration.ofMinutes(8));
            String received = p.requireLine("RECEIVED ", Duration.ofMinutes(2));
            assertThat(TransportNatIT.field(received, "sha256")).as(p.transcript())
                    .isEqualTo(TransportNatIT.field(sent, "sha256"));
            assertThat(TransportNatIT.field(received, "bytes")).isEqualTo(Long.toString(TransportNatIT.BYTES));
            assertThat(p.awaitExit(Duration.ofMinutes(1))).as(p.transcript()).isZero();
            System.out.println(p.transcript());
            String proxy = p.requireLine("PROXY ", Duration.ofSeconds(1));
            assertThat(proxy).contains("duplicated=").doesNotContain("duplicated=0,").doesNotContain("reordered=0,");
            String sender = p.requireLine("STATS sender", Duration.ofSeconds(1));
            assertThat(sender).as("the loss was real: the sender retransmitted").doesNotContain("retransmissions=0,");
        }
    }
}
