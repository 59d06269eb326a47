package org.securep2p.transport.tls;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.tls.TlsFixtures.Identity;
import org.securep2p.transport.tls.TlsFixtures.Outcome;
import org.securep2p.transport.TransportException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.crypto.SecurityLevel.ENHANCED;
import static org.securep2p.crypto.SecurityLevel.QUANTUM_RESISTANT;
import static org.securep2p.crypto.SecurityLevel.STANDARD;
import static org.securep2p.transport.tls.TlsFixtures.WAIT_SECONDS;
import static org.securep2p.transport.tls.TlsFixtures.connect;
import static org.securep2p.transport.tls.TlsFixtures.connected;
import static org.securep2p.transport.tls.TlsFixtures.readFully;
import static org.securep2p.transport.tls.TlsFixtures.side;
import static org.securep2p.transport.TransportException.Reason.CLOSED;
import static org.securep2p.transport.TransportException.Reason.PEER_CLOSED;
import static org.securep2p.transport.TransportException.Reason.PROTOCOL_VIOLATION;

/**
 * The established channel: the negotiated profile per level, data in both directions, channel bindings,
 * closing, and refusal of data that did not come from the peer. Everything runs over {@link MemoryPipe}s.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsChannelTest {

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

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void negotiatesTls13ChaChaAndTheLevelsGroupOnBothSides(SecurityLevel level) throws Exception {
        TlsChannel[] c = connected(alice, bob, level);
        String group = level == QUANTUM_RESISTANT ? "X25519MLKEM768" : "x25519";
        for (TlsChannel channel : c) {
            assertThat(channel.negotiatedVersion()).isEqualTo("TLSv1.3");
            assertThat(channel.negotiatedCipherSuite()).isEqualTo("TLS_CHACHA20_POLY1305_SHA256");
            assertThat(channel.negotiatedGroup()).isEqualTo(group);
            assertThat(channel.level()).isEqualTo(level);
        }
        assertThat(c[0].peerIdentity()).isEqualTo(bob.keys.identity());
        assertThat(c[1].peerIdentity()).isEqualTo(alice.keys.identity());
        roundTrip(c);
        close(c);
    }

    private static void roundTrip(TlsChannel[] c) throws TransportException {
        byte[] hello = "hello from the client".getBytes(StandardCharsets.UTF_8);
        byte[] reply = "and back from the server".getBytes(StandardCharsets.UTF_8);
        c[0].send(hello, 0, hello.length);
        assertThat(readFully(c[1], hello.length)).isEqualTo(hello);
        c[1].send(reply, 0, reply.length);
        assertThat(readFully(c[0], reply.length)).isEqualTo(reply);
    }

    private static void close(TlsChannel[] c) {
        c[0].close();
        c[1].close();
    }

    @Test
    void transfersTenMegabytesIntact() throws Exception {
        TlsChannel[] c = connected(alice, bob, QUANTUM_RESISTANT);
        byte[] data = new byte[10 * 1024 * 1024];
        long seed = System.nanoTime();
        new Random(seed).nextBytes(data);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (TlsChannel server = c[1]; TlsChannel client = c[0]) {
            Future<byte[]> received = executor.submit(() -> readFully(server, data.length));
            // Odd-sized writes, so records and reads never line up with the writes.
            for (int off = 0; off < data.length; off += 100_003) {
                client.send(data, off, Math.min(100_003, data.length - off));
            }
            assertThat(received.get(WAIT_SECONDS, TimeUnit.SECONDS)).as("seed %d", seed).isEqualTo(data);
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void sendsAndReceivesConcurrentlyInBothDirections() throws Exception {
        TlsChannel[] c = connected(alice, bob, STANDARD);
        int size = 3 * 1024 * 1024;
        byte[][] data = {new byte[size], new byte[size]};
        long seed = System.nanoTime();
        Random random = new Random(seed);
        random.nextBytes(data[0]);
        random.nextBytes(data[1]);
        ExecutorService executor = Executors.newFixedThreadPool(4);
        try (TlsChannel server = c[1]; TlsChannel client = c[0]) {
            Future<?>[] senders = new Future<?>[2];
            @SuppressWarnings("unchecked")
            Future<byte[]>[] receivers = new Future[2];
            for (int i = 0; i < 2; i++) {
                TlsChannel from = i == 0 ? client : server;
                TlsChannel to = i == 0 ? server : client;
                byte[] payload = data[i];
                receivers[i] = executor.submit(() -> readFully(to, size));
                senders[i] = executor.submit(() -> {
                    for (int off = 0; off < size; off += 7_777) {
                        from.send(payload, off, Math.min(7_777, size - off));
                    }
                    return null;
                });
            }
            for (int i = 0; i < 2; i++) {
                senders[i].get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertThat(receivers[i].get(WAIT_SECONDS, TimeUnit.SECONDS)).as("seed %d", seed).isEqualTo(data[i]);
            }
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void streamAdaptersCarryTheSameBytes() throws Exception {
        TlsChannel[] c = connected(alice, bob, ENHANCED);
        OutputStream out = c[0].outputStream();
        InputStream in = c[1].inputStream();
        byte[] message = "through the stream adapters".getBytes(StandardCharsets.UTF_8);
        out.write(message);
        out.write('!');
        out.flush();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < message.length + 1) {
            int b = in.read();
            assertThat(b).isNotNegative();
            got.write(b);
        }
        assertThat(new String(got.toByteArray(), StandardCharsets.UTF_8))
                .isEqualTo("through the stream adapters!");
        out.close();
        assertThat(in.read()).isEqualTo(-1);
        c[1].close();
    }

    @Test
    void channelBindingsAreEqualOnBothSidesAndDifferAcrossSessions() throws Exception {
        TlsChannel[] first = connected(alice, bob, QUANTUM_RESISTANT);
        TlsChannel[] second = connected(alice, bob, QUANTUM_RESISTANT);
        assertThat(first[0].channelBinding()).hasSize(32).isEqualTo(first[1].channelBinding());
        assertThat(second[0].channelBinding()).isEqualTo(second[1].channelBinding());
        assertThat(second[0].channelBinding()).isNotEqualTo(first[0].channelBinding());
        byte[] copy = first[0].channelBinding();
        copy[0] ^= 1;
        assertThat(first[0].channelBinding()).isNotEqualTo(copy);
        close(first);
        close(second);
    }

    @Test
    void closeSendsCloseNotifySoThePeerSeesEndOfStream() throws Exception {
        TlsChannel[] c = connected(alice, bob, STANDARD);
        byte[] last = {1, 2, 3};
        c[0].send(last, 0, last.length);
        c[0].close();
        assertThat(readFully(c[1], 3)).isEqualTo(last);
        byte[] buffer = new byte[8];
        assertThat(c[1].receive(buffer, 0, buffer.length, TimeUnit.SECONDS.toMillis(WAIT_SECONDS))).isEqualTo(-1);
        assertThatThrownBy(() -> c[1].send(last, 0, 1)).isInstanceOf(TransportException.class)
                .extracting(e -> ((TransportException) e).reason()).isEqualTo(PEER_CLOSED);
        assertThatThrownBy(() -> c[0].receive(buffer, 0, 1, 0)).isInstanceOf(TransportException.class)
                .extracting(e -> ((TransportException) e).reason()).isEqualTo(CLOSED);
        assertThatThrownBy(() -> c[0].send(last, 0, 1)).isInstanceOf(TransportException.class)
                .extracting(e -> ((TransportException) e).reason()).isEqualTo(CLOSED);
        c[1].close();
        c[1].close();
    }

    // javac 'try': server is held only to be closed; closing client mid-try is the behaviour under test
    @SuppressWarnings("try")
    @Test
    void closeReleasesASenderBlockedOnAPeerThatDoesNotReadAndAWaitingReceiver() throws Exception {
        TlsChannel[] c = connected(alice, bob, STANDARD);
        ExecutorService executor = Executors.newFixedThreadPool(2);
        // The client is closed by the test; closing it again on the way out does nothing.
        try (TlsChannel server = c[1]; TlsChannel client = c[0]) {
            byte[] big = new byte[8 * 1024 * 1024]; // more than the pipe and the peer's plaintext buffer hold
            Future<?> sender = executor.submit(() -> {
                client.send(big, 0, big.length);
                return null;
            });
            Future<Integer> receiver = executor.submit(() -> client.receive(new byte[1], 0, 1, Long.MAX_VALUE));
            Thread.sleep(200); // time is the test: a sender not done after 200 ms is blocked; no event for that
            assertThat(sender.isDone()).as("the sender is blocked by back-pressure").isFalse();
            client.close();
            for (Future<?> f : new Future<?>[] {sender, receiver}) {
                assertThatThrownBy(() -> f.get(WAIT_SECONDS, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(TransportException.class)
                        .satisfies(e -> assertThat(((TransportException) e.getCause()).reason()).isEqualTo(CLOSED));
            }
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void receiveReturnsZeroWhenNothingArrivesInTime() throws Exception {
        TlsChannel[] c = connected(alice, bob, STANDARD);
        byte[] buffer = new byte[4];
        assertThat(c[0].receive(buffer, 0, 4, 0)).isZero();
        assertThat(c[0].receive(buffer, 0, 4, 20)).isZero();
        close(c);
    }

    @Test
    void endOfStreamWithoutCloseNotifyIsReportedAsPossibleTruncation() throws Exception {
        MemoryPipe pipe = MemoryPipe.create();
        Outcome[] o = connect(pipe, side(alice, bob.pin(), STANDARD), side(bob, alice.pin(), STANDARD));
        TlsChannel server = o[1].channel();
        // The client's stream ends without a TLS close: a cut connection, or an attacker truncating it.
        pipe.a().out().close();
        byte[] buffer = new byte[4];
        assertThatThrownBy(() -> server.receive(buffer, 0, 4, TimeUnit.SECONDS.toMillis(WAIT_SECONDS)))
                .isInstanceOf(TransportException.class)
                .satisfies(e -> {
                    assertThat(((TransportException) e).reason()).isEqualTo(PEER_CLOSED);
                    assertThat(e).hasMessageContaining("close_notify");
                });
        o[0].channel().close();
        server.close();
    }

    @Test
    void aStreamCutInTheMiddleOfARecordDeliversOnlyWholeRecordsAndReportsTheTruncation() throws Exception {
        MemoryPipe pipe = MemoryPipe.create();
        // The client's bytes pass until the cut is armed, then K more, then its stream ends mid-record.
        long[] allowance = {Long.MAX_VALUE};
        OutputStream wire = pipe.a().out();
        OutputStream cutting = new OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) throws java.io.IOException {
                int n = (int) Math.min(len, allowance[0]);
                wire.write(b, off, n);
                allowance[0] -= n;
                if (allowance[0] == 0) {
                    wire.close();
                    throw new java.io.IOException("cut");
                }
            }

            @Override
            public void flush() throws java.io.IOException {
                wire.flush();
            }
        };
        Outcome[] o = connect(new MemoryPipe.End(pipe.a().in(), cutting), pipe.b(),
                side(alice, bob.pin(), STANDARD), side(bob, alice.pin(), STANDARD));
        TlsChannel client = o[0].channel();
        TlsChannel server = o[1].channel();
        int record = 16_384 + 5 + 1 + 16; // a full TLS 1.3 record: header, plaintext, content type, tag
        synchronized (cutting) {
            allowance[0] = record + 3_000L;
        }
        byte[] message = new byte[40_000];
        new Random(7).nextBytes(message);
        try {
            client.send(message, 0, message.length);
        } catch (TransportException expected) {
            // The cut reaches the sender too.
        }
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        TransportException end = null;
        try {
            while (true) {
                int n = server.receive(buffer, 0, buffer.length, TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
                if (n <= 0) {
                    break;
                }
                got.write(buffer, 0, n);
            }
        } catch (TransportException e) {
            end = e;
        }
        // Exactly the first record's plaintext: the half record is never released, and the end is an error
        // (possible truncation), not a clean end of stream that would pass a shorter message as whole.
        assertThat(got.toByteArray()).isEqualTo(Arrays.copyOf(message, 16_384));
        assertThat(end).isNotNull();
        assertThat(end.reason()).isEqualTo(PEER_CLOSED);
        assertThat(end).hasMessageContaining("close_notify");
        client.close();
        server.close();
    }

    @Test
    void aRecordInjectedIntoTheStreamIsRefused() throws Exception {
        MemoryPipe pipe = MemoryPipe.create();
        Outcome[] o = connect(pipe, side(alice, bob.pin(), STANDARD), side(bob, alice.pin(), STANDARD));
        TlsChannel server = o[1].channel();
        // An application_data record that was not encrypted under the session's keys.
        byte[] forged = new byte[5 + 40];
        forged[0] = 0x17;
        forged[1] = 0x03;
        forged[2] = 0x03;
        forged[4] = 40;
        Arrays.fill(forged, 5, forged.length, (byte) 0x5A);
        pipe.a().out().write(forged);
        byte[] buffer = new byte[4];
        assertThatThrownBy(() -> server.receive(buffer, 0, 4, TimeUnit.SECONDS.toMillis(WAIT_SECONDS)))
                .isInstanceOf(TransportException.class)
                .extracting(e -> ((TransportException) e).reason()).isEqualTo(PROTOCOL_VIOLATION);
        // The server told the client (bad_record_mac) and closed: the client's channel fails too.
        assertThatThrownBy(() -> o[0].channel().receive(buffer, 0, 4, TimeUnit.SECONDS.toMillis(WAIT_SECONDS)))
                .isInstanceOf(TransportException.class);
        o[0].channel().close();
        server.close();
    }

    @Test
    void sendingAnEmptyArrayIsANoOp() throws Exception {
        TlsChannel[] c = connected(alice, bob, STANDARD);
        c[0].send(new byte[0], 0, 0);
        byte[] one = {42};
        c[0].send(one, 0, 1);
        assertThat(readFully(c[1], 1)).isEqualTo(one);
        assertThat(MessageDigest.isEqual(c[0].channelBinding(), c[1].channelBinding())).isTrue();
        close(c);
    }

    @Test
    void toStringNamesRoleLevelAndPeerOnly() {
        TlsChannel[] c = connected(alice, bob, STANDARD);
        assertThat(c[0].toString()).isEqualTo("TlsChannel[client, STANDARD, peer "
                + bob.fingerprint().shortForm() + "]");
        close(c);
    }

    @Test
    void trustOnFirstUseReportsThePeersIdentity() {
        Outcome[] o = connect(side(alice, Optional.empty(), STANDARD), side(bob, Optional.empty(), STANDARD));
        assertThat(o[0].channel().peerIdentity()).isEqualTo(bob.keys.identity());
        assertThat(o[1].channel().peerIdentity()).isEqualTo(alice.keys.identity());
        o[0].channel().close();
        o[1].channel().close();
    }
}
