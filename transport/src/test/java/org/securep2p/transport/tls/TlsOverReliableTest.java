package org.securep2p.transport.tls;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeTranscript;
import org.securep2p.crypto.HybridSignature;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.Connector;
import org.securep2p.transport.tls.TlsFixtures.Identity;
import org.securep2p.transport.TransportException;
import org.securep2p.transport.reliable.FaultyLink;
import org.securep2p.transport.reliable.ReliableChannel;
import org.securep2p.transport.reliable.ReliableConfig;
import org.securep2p.transport.reliable.ReliableTesting;
import org.securep2p.transport.tls.TlsChannel.Role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.transport.reliable.ReliableTesting.build;
import static org.securep2p.transport.reliable.ReliableTesting.fast;

/**
 * TLS pushed by a reliable channel's I/O thread ({@code TlsChannel.open(role, reliableChannel, ...)}), the
 * way {@link Connector} composes them: byte-exact transfers over a lossy, reordering, duplicating link, the
 * plaintext bound holding input back in the reliable channel while the application does not read, and the
 * peer's close_notify.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsOverReliableTest {

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

    /** [client, server] over a fresh impaired link. */
    private static TlsChannel[] connect(FaultyLink.Impairment impairment, long seed) throws Exception {
        FaultyLink link = FaultyLink.pair(impairment, seed);
        ReliableChannel a = ReliableChannel.open(link.a(), build(fast()));
        ReliableChannel b = ReliableChannel.open(link.b(), build(fast()));
        CompletableFuture<TlsChannel> server = CompletableFuture.supplyAsync(() -> {
            try {
                return TlsChannel.open(Role.SERVER, b, bob.keys, bob.certificate, alice.pin(), SecurityLevel.STANDARD,
                        new SecureRandom(), TlsFixtures.TEST_HANDSHAKE_TIMEOUT);
            } catch (TransportException e) {
                throw new IllegalStateException(e);
            }
        });
        TlsChannel client = TlsChannel.open(Role.CLIENT, a, alice.keys, alice.certificate, bob.pin(),
                SecurityLevel.STANDARD, new SecureRandom(), TlsFixtures.TEST_HANDSHAKE_TIMEOUT);
        return new TlsChannel[] {client, server.get(30, TimeUnit.SECONDS)};
    }

    private static byte[] digestOfStream(long seed, long total) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        SplittableRandom r = new SplittableRandom(seed);
        byte[] chunk = new byte[10_007];
        for (long done = 0; done < total; done += chunk.length) {
            int n = (int) Math.min(chunk.length, total - done);
            ReliableTesting.fill(r, chunk, n);
            sha.update(chunk, 0, n);
        }
        return sha.digest();
    }

    /** Sends {@code total} seeded bytes in uneven writes. */
    private static CompletableFuture<Void> send(TlsChannel from, long seed, long total) {
        return CompletableFuture.runAsync(() -> {
            SplittableRandom r = new SplittableRandom(seed);
            byte[] chunk = new byte[10_007];
            try {
                for (long done = 0; done < total; done += chunk.length) {
                    int n = (int) Math.min(chunk.length, total - done);
                    ReliableTesting.fill(r, chunk, n);
                    from.send(chunk, 0, n);
                }
            } catch (TransportException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static byte[] receiveDigest(TlsChannel to, long total) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[7_001];
        long got = 0;
        while (got < total) {
            int n = to.receive(buf, 0, (int) Math.min(buf.length, total - got), 20_000);
            assertThat(n).as("bytes after %d of %d", got, total).isPositive();
            sha.update(buf, 0, n);
            got += n;
        }
        return sha.digest();
    }

    @Test
    void transfersBothWaysExactlyOverALossyReorderingDuplicatingLink() throws Exception {
        TlsChannel[] c = connect(new FaultyLink.Impairment(0.05, 0.02, 0.05, Duration.ofMillis(1), Duration.ZERO),
                41);
        try (TlsChannel server = c[1]; TlsChannel client = c[0]) {
            long total = 3L << 20;
            CompletableFuture<Void> ab = send(client, 1, total);
            CompletableFuture<Void> ba = send(server, 2, total);
            CompletableFuture<byte[]> atB = CompletableFuture.supplyAsync(() -> {
                try {
                    return receiveDigest(server, total);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(receiveDigest(client, total)).isEqualTo(digestOfStream(2, total));
            assertThat(atB.get(60, TimeUnit.SECONDS)).isEqualTo(digestOfStream(1, total));
            ab.get(60, TimeUnit.SECONDS);
            ba.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aReceiverThatDoesNotReadHoldsInputBackThenGetsEveryByte() throws Exception {
        TlsChannel[] c = connect(FaultyLink.Impairment.none(), 42);
        try (TlsChannel server = c[1]; TlsChannel client = c[0]) {
            // More than the plaintext bound: the rest must wait in the reliable channel, not in memory here.
            long total = TlsChannel.MAX_BUFFERED_PLAINTEXT + (2L << 20);
            CompletableFuture<Void> sent = send(client, 3, total);
            // Time is the test here: the sender gets a second to overfill, and nothing signals "as full as it gets".
            Thread.sleep(1_000);
            assertThat(server.inputStream().available()).isLessThan(TlsChannel.MAX_BUFFERED_PLAINTEXT
                    + TlsChannel.READ_CHUNK);
            assertThat(receiveDigest(server, total)).isEqualTo(digestOfStream(3, total));
            sent.get(60, TimeUnit.SECONDS);
        }
    }

    // javac 'try': closing the client mid-try is the behaviour under test; the try's close is then a no-op
    @SuppressWarnings("try")
    @Test
    void thePeersCloseNotifyEndsTheStreamAndRefusesFurtherSends() throws Exception {
        TlsChannel[] c = connect(FaultyLink.Impairment.none(), 43);
        try (TlsChannel server = c[1]; TlsChannel client = c[0]) {
            client.send(new byte[] {1, 2, 3}, 0, 3);
            client.close();
            byte[] buf = new byte[16];
            assertThat(server.receive(buf, 0, buf.length, 10_000)).isEqualTo(3);
            assertThat(server.receive(buf, 0, buf.length, 10_000)).isEqualTo(-1);
            assertThatThrownBy(() -> server.send(new byte[1], 0, 1)).isInstanceOf(TransportException.class)
                    .extracting(e -> ((TransportException) e).reason())
                    .isEqualTo(TransportException.Reason.PEER_CLOSED);
        }
    }

    /**
     * A key holder whose CertificateVerify signature takes {@code delay} (a key manager restarting, or
     * asking for its passphrase), recording the thread of each call.
     */
    private static final class SlowSigner implements PrivateKeyOperations {
        private final PrivateKeyOperations keys;
        private final Duration delay;
        final java.util.List<String> signingThreads = new java.util.concurrent.CopyOnWriteArrayList<>();

        SlowSigner(PrivateKeyOperations keys, Duration delay) {
            this.keys = keys;
            this.delay = delay;
        }

        @Override
        public byte[] signTlsCertificateVerify(byte[] content) throws CryptoException {
            signingThreads.add(Thread.currentThread().getName());
            try {
                Thread.sleep(delay.toMillis()); // time is the test: a signer as slow as a hardware token
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return keys.signTlsCertificateVerify(content);
        }

        @Override
        public IdentityPublicKeys identity() {
            return keys.identity();
        }

        @Override
        public PreKeyBundle preKeyBundle() throws CryptoException {
            return keys.preKeyBundle();
        }

        @Override
        public SecretBytes agreeWithIdentityKey(byte[] peerPublicKey) throws CryptoException {
            return keys.agreeWithIdentityKey(peerPublicKey);
        }

        @Override
        public SecretBytes agreeWithSignedPreKey(int id, byte[] peerPublicKey) throws CryptoException {
            return keys.agreeWithSignedPreKey(id, peerPublicKey);
        }

        @Override
        public SecretBytes consumeOneTimePreKey(int id, byte[] peerPublicKey) throws CryptoException {
            return keys.consumeOneTimePreKey(id, peerPublicKey);
        }

        @Override
        public SecretBytes decapsulate(int id, byte[] ciphertext) throws CryptoException {
            return keys.decapsulate(id, ciphertext);
        }

        @Override
        public HybridSignature signHandshakeTranscript(HandshakeTranscript transcript) throws CryptoException {
            return keys.signHandshakeTranscript(transcript);
        }

        @Override
        public byte[] signTransportCertificate(byte[] tbsCertificateDer) throws CryptoException {
            return keys.signTransportCertificate(tbsCertificateDer);
        }
    }

    /**
     * Both sides sign for 2.5 s, 2.5 times the dead-peer timeout of their reliable channels (1 s, generous for
     * a loaded machine): the handshake
     * completes only if both I/O threads kept acknowledging and answering keepalives meanwhile, i.e. if no
     * signing ran on them. Each signature is made on the TLS channel's helper thread.
     */
    @Test
    void keyManagerCallsRunOffTheReliableIoThreadWhichKeepsAnswering() throws Exception {
        Duration signing = Duration.ofMillis(2_500);
        ReliableConfig.Builder timers = fast().keepalive(Duration.ofMillis(100)).deadPeer(Duration.ofMillis(1_000));
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 44);
        ReliableChannel a = ReliableChannel.open(link.a(), build(timers));
        ReliableChannel b = ReliableChannel.open(link.b(), build(timers));
        SlowSigner aliceSigner = new SlowSigner(alice.keys, signing);
        SlowSigner bobSigner = new SlowSigner(bob.keys, signing);
        CompletableFuture<TlsChannel> server = CompletableFuture.supplyAsync(() -> {
            try {
                return TlsChannel.open(Role.SERVER, b, bobSigner, bob.certificate, alice.pin(), SecurityLevel.STANDARD,
                        new SecureRandom(), TlsFixtures.TEST_HANDSHAKE_TIMEOUT);
            } catch (TransportException e) {
                throw new IllegalStateException(e);
            }
        });
        TlsChannel client = TlsChannel.open(Role.CLIENT, a, aliceSigner, alice.certificate, bob.pin(),
                SecurityLevel.STANDARD, new SecureRandom(), TlsFixtures.TEST_HANDSHAKE_TIMEOUT);
        TlsChannel serverChannel = server.get(30, TimeUnit.SECONDS);
        try (serverChannel; client) {
            assertThat(aliceSigner.signingThreads).containsExactly("securep2p-tls-output-client");
            assertThat(bobSigner.signingThreads).containsExactly("securep2p-tls-output-server");
            // After the handshake the channel carries data both ways as usual.
            client.send(new byte[] {1, 2, 3}, 0, 3);
            assertThat(TlsFixtures.readFully(serverChannel, 3)).containsExactly(1, 2, 3);
            serverChannel.send(new byte[] {4}, 0, 1);
            assertThat(TlsFixtures.readFully(client, 1)).containsExactly(4);
        }
    }

    /**
     * A key holder that does not answer (a key manager waiting for its passphrase) holds the TLS lock inside
     * Bouncy Castle; the handshake must still give up at its timeout instead of waiting for that lock.
     */
    // javac 'try': the channel, if the handshake ever made one, is held only to be closed
    @SuppressWarnings("try")
    @Test
    void aSignerThatDoesNotAnswerFailsTheHandshakeAtItsTimeout() throws Exception {
        FaultyLink link = FaultyLink.pair(FaultyLink.Impairment.none(), 45);
        ReliableChannel a = ReliableChannel.open(link.a(), build(fast()));
        ReliableChannel b = ReliableChannel.open(link.b(), build(fast()));
        SlowSigner stuck = new SlowSigner(bob.keys, Duration.ofSeconds(15));
        CompletableFuture<Void> clientSide = CompletableFuture.runAsync(() -> {
            try (TlsChannel ignored = TlsChannel.open(Role.CLIENT, a, alice.keys, alice.certificate, bob.pin(),
                    SecurityLevel.STANDARD, new SecureRandom(), TlsFixtures.TEST_HANDSHAKE_TIMEOUT)) {
                // the server gives up; whatever the client sees does not matter here
            } catch (TransportException e) {
                // expected
            }
        });
        long start = System.nanoTime();
        assertThatThrownBy(() -> TlsChannel.open(Role.SERVER, b, stuck, bob.certificate, alice.pin(),
                SecurityLevel.STANDARD, new SecureRandom(), Duration.ofSeconds(1)))
                .isInstanceOf(TransportException.class).hasMessageContaining("timed out after 1000 ms")
                .extracting(e -> ((TransportException) e).reason()).isEqualTo(TransportException.Reason.TLS_FAILED);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(stuck.signingThreads).hasSize(1);
        assertThat(tookMillis).as("ms until the handshake gave up").isLessThan(5_000);
        clientSide.get(30, TimeUnit.SECONDS);
    }
}
