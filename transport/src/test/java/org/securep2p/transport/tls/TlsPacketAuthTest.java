package org.securep2p.transport.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.tls.TlsFixtures.Identity;
import org.securep2p.transport.TransportException;
import org.securep2p.transport.reliable.DatagramLink;
import org.securep2p.transport.reliable.FaultyLink;
import org.securep2p.transport.reliable.ReliableChannel;
import org.securep2p.transport.reliable.ReliableForgeryTest;
import org.securep2p.transport.reliable.ReliableTesting;
import org.securep2p.transport.reliable.ReliableWire;
import org.securep2p.transport.tls.TlsChannel.Role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.transport.reliable.ReliableTesting.build;
import static org.securep2p.transport.reliable.ReliableTesting.fast;

/**
 * The switch-over to tagged packets with real TLS keys (PROTOCOL.md 13.9): both ends export the same two keys,
 * a lost client Finished is resent tagged and still completes the server's handshake, and after it a forged
 * CLOSE copied from the connection's own header ends nothing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsPacketAuthTest {

    private static Identity alice;
    private static Identity bob;

    @BeforeAll
    static void identities() {
        alice = TlsFixtures.identity();
        bob = TlsFixtures.identity();
    }

    @AfterAll
    static void wipe() {
        alice.keys.close();
        bob.keys.close();
    }

    /** Drops the first tagged DATA datagram sent through it: the packet that carries the client's Finished. */
    private static final class DropFirstTagged implements DatagramLink {
        private final DatagramLink inner;
        final AtomicInteger dropped = new AtomicInteger();

        DropFirstTagged(DatagramLink inner) {
            this.inner = inner;
        }

        @Override
        public void send(byte[] buf, int off, int len) throws IOException {
            int type = buf[off + 1] & 0xFF;
            if (type == (ReliableWire.TYPE_DATA | ReliableWire.TYPE_TAGGED) && dropped.compareAndSet(0, 1)) {
                return;
            }
            inner.send(buf, off, len);
        }

        @Override
        public int receive(byte[] buf, int timeoutMillis) throws IOException {
            return inner.receive(buf, timeoutMillis);
        }

        @Override
        public String pathKind() {
            return inner.pathKind();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void aLostClientFinishedIsResentTaggedAndAForgedCloseAfterwardsEndsNothing() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 51);
        DropFirstTagged clientSide = new DropFirstTagged(link.a());
        ReliableChannel a = ReliableChannel.open(clientSide, build(fast()));
        ReliableChannel b = ReliableChannel.open(link.b(), build(fast()));
        CompletableFuture<TlsChannel> serverFuture = CompletableFuture.supplyAsync(() -> {
            try {
                return TlsChannel.open(Role.SERVER, b, bob.keys, bob.certificate, alice.pin(), SecurityLevel.STANDARD,
                        new SecureRandom(), TlsFixtures.TEST_HANDSHAKE_TIMEOUT);
            } catch (TransportException e) {
                throw new IllegalStateException(e);
            }
        });
        TlsChannel client = TlsChannel.open(Role.CLIENT, a, alice.keys, alice.certificate, bob.pin(),
                SecurityLevel.STANDARD, new SecureRandom(), TlsFixtures.TEST_HANDSHAKE_TIMEOUT);
        TlsChannel server = serverFuture.get(30, TimeUnit.SECONDS);
        try (server; client) { // closes the client first, then the server
            assertThat(clientSide.dropped.get()).as("the client's Finished was lost once").isEqualTo(1);
            assertThat(a.stats().retransmissions()).isPositive();
            byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
            byte[] pong = "pong".getBytes(StandardCharsets.US_ASCII);
            client.send(ping, 0, ping.length);
            assertThat(receive(server, ping.length)).isEqualTo(ping);
            server.send(pong, 0, pong.length);
            assertThat(receive(client, pong.length)).isEqualTo(pong);
            // Both ends exported the same keys, each direction its own: each has checked the other's tags.
            assertThat(a.stats().keyed()).isTrue();
            assertThat(b.stats().keyed()).isTrue();
            assertThat(a.stats().peerTags()).isTrue();
            assertThat(b.stats().peerTags()).isTrue();
            assertThat(a.stats().droppedUnauthenticated() + b.stats().droppedUnauthenticated()).isZero();

            List<byte[]> fromClient = link.recentFromA();
            List<byte[]> fromServer = link.recentFromB();
            link.injectToB(ReliableForgeryTest.close(fromClient, ReliableWire.CLOSE_ABORT));
            link.injectToA(ReliableForgeryTest.close(fromServer, ReliableWire.CLOSE_GOODBYE));
            client.send(ping, 0, ping.length);
            assertThat(receive(server, ping.length)).isEqualTo(ping);
            server.send(pong, 0, pong.length);
            assertThat(receive(client, pong.length)).isEqualTo(pong);
            assertThat(a.stats().droppedUnauthenticated()).isEqualTo(1);
            assertThat(b.stats().droppedUnauthenticated()).isEqualTo(1);
            assertThat(a.failure()).isEmpty();
            assertThat(b.failure()).isEmpty();
        }
    }

    private static byte[] receive(TlsChannel c, int len) throws Exception {
        byte[] buf = new byte[len];
        int got = 0;
        while (got < len) {
            int n = c.receive(buf, got, len - got, 10_000);
            assertThat(n).isPositive();
            got += n;
        }
        return buf;
    }
}
