package org.securep2p.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.transport.ReliableTesting.build;
import static org.securep2p.transport.ReliableTesting.fast;
import static org.securep2p.transport.ReliableTesting.transfer;

/** The reliable channel end to end over an in-memory {@link FaultyLink}. */
@Timeout(60)
class ReliableChannelTest {

    private final List<ReliableChannel> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        for (ReliableChannel c : opened) {
            c.abort("test over");
        }
        for (ReliableChannel c : opened) {
            assertThat(c.ioThreadFinished()).as("I/O thread of a closed channel").isTrue();
        }
    }

    private ReliableChannel open(DatagramLink link, ReliableConfig config) {
        ReliableChannel c = ReliableChannel.open(link, config);
        opened.add(c);
        return c;
    }

    @Test
    void echoesSmallMessages() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 1);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        byte[] buf = new byte[200];
        for (int i = 0; i < 100; i++) {
            byte[] msg = ("message " + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            a.write(msg, 0, msg.length);
            int n = readFully(b, buf, msg.length);
            b.write(buf, 0, n);
            byte[] back = new byte[msg.length];
            readFully(a, back, msg.length);
            assertThat(back).isEqualTo(msg);
        }
        assertThat(a.stats().retransmissions()).isZero();
        assertThat(a.pathKind()).isEqualTo("loopback");
    }

    @Test
    void deliversTenMegabytesThroughLossReorderingAndDuplication() throws Exception {
        long seed = System.nanoTime();
        System.out.println("deliversTenMegabytesThroughLossReorderingAndDuplication seed " + seed);
        FaultyLink.Impairment imp = new FaultyLink.Impairment(0.20, 0.05, 0.10, Duration.ofMillis(1),
                Duration.ZERO);
        FaultyLink link = FaultyLink.pair(imp, seed);
        ReliableConfig config = build(fast());
        ReliableChannel a = open(link.a(), config);
        ReliableChannel b = open(link.b(), config);
        long t0 = System.nanoTime();
        transfer(a, b, 10L * 1024 * 1024, 16 * 1024, seed, Duration.ofSeconds(45));
        System.out.println("10 MB in " + (System.nanoTime() - t0) / 1_000_000 + " ms; sender " + a.stats()
                + "; receiver " + b.stats() + "; path " + link.statsToB());
        assertThat(a.stats().retransmissions()).isPositive();
        assertThat(b.stats().duplicates()).isPositive();
    }

    static int readFully(ReliableChannel c, byte[] buf, int len) throws TransportException {
        int have = 0;
        while (have < len) {
            int n = c.read(buf, have, len - have, 5_000);
            if (n <= 0) {
                throw new AssertionError("read returned " + n + " after " + have + " bytes");
            }
            have += n;
        }
        return have;
    }
}
