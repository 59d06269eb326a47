package org.securep2p.transport.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ServerOnlyTlsAuthentication;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.tls.TlsFixtures.Identity;
import org.securep2p.transport.tls.TlsFixtures.Outcome;
import org.securep2p.transport.tls.TlsFixtures.Side;
import org.securep2p.transport.TransportException;
import org.securep2p.transport.cert.CertificateTesting;
import org.securep2p.transport.tls.TlsChannel.Role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.crypto.SecurityLevel.QUANTUM_RESISTANT;
import static org.securep2p.crypto.SecurityLevel.STANDARD;
import static org.securep2p.transport.tls.TlsFixtures.TEST_HANDSHAKE_TIMEOUT;
import static org.securep2p.transport.tls.TlsFixtures.WAIT_SECONDS;
import static org.securep2p.transport.tls.TlsFixtures.connect;
import static org.securep2p.transport.tls.TlsFixtures.open;
import static org.securep2p.transport.tls.TlsFixtures.side;
import static org.securep2p.transport.TransportException.Reason.DOWNGRADE;
import static org.securep2p.transport.TransportException.Reason.IDENTITY_MISMATCH;
import static org.securep2p.transport.TransportException.Reason.PEER_CLOSED;
import static org.securep2p.transport.TransportException.Reason.TLS_FAILED;

/**
 * Every way a handshake must be refused: the wrong identity, a man in the middle, another level, bytes that
 * are not TLS, a peer that goes away or stays silent, a certificate that does not prove an identity. Each
 * refusal is a typed {@link TransportException}, in bounded time, never a hang or a crash.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsHandshakeTest {

    private static Identity alice;
    private static Identity bob;
    private static Identity mallory;

    @BeforeAll
    static void identities() {
        alice = TlsFixtures.identity();
        bob = TlsFixtures.identity();
        mallory = TlsFixtures.identity();
    }

    @AfterAll
    static void wipe() {
        alice.keys.close();
        bob.keys.close();
        mallory.keys.close();
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void everyLevelRunsAFreshEphemeralKeyExchangeWithoutResumption(SecurityLevel level) throws Exception {
        // Forward secrecy: the same two identities, twice; each session has its own ephemeral (EC)DHE or
        // hybrid KEM exchange (an ephemeral group negotiated, no PSK, no resumption), so different keys.
        byte[][] bindings = new byte[2][];
        for (int i = 0; i < 2; i++) {
            TlsChannel[] pair = TlsFixtures.connected(alice, bob, level);
            assertThat(pair[0].negotiatedGroup()).isEqualTo(level == SecurityLevel.QUANTUM_RESISTANT
                    ? "X25519MLKEM768" : "x25519");
            bindings[i] = pair[0].channelBinding();
            assertThat(pair[1].channelBinding()).isEqualTo(bindings[i]);
            pair[0].close();
            pair[1].close();
        }
        assertThat(bindings[0]).isNotEqualTo(bindings[1]);
    }

    private static void closeIfOpen(Outcome... outcomes) {
        for (Outcome o : outcomes) {
            if (o.channel != null) {
                o.channel.close();
            }
        }
    }

    @Test
    void clientPinnedToAnotherIdentityRefusesTheServer() {
        Outcome[] o = connect(side(alice, mallory.pin(), STANDARD), side(bob, alice.pin(), STANDARD));
        assertThat(o[0].failure().reason()).isEqualTo(IDENTITY_MISMATCH);
        assertThat(o[0].failure()).hasMessageContaining(bob.fingerprint().shortForm())
                .hasMessageContaining(mallory.fingerprint().shortForm());
        assertThat(o[1].failure().reason()).isEqualTo(TLS_FAILED);
        assertThat(o[1].failure()).hasMessageContaining("refused our certificate");
    }

    @Test
    void serverPinnedToAnotherIdentityRefusesTheClient() throws Exception {
        Outcome[] o = connect(side(alice, bob.pin(), QUANTUM_RESISTANT), side(bob, mallory.pin(), QUANTUM_RESISTANT));
        assertThat(o[1].failure().reason()).isEqualTo(IDENTITY_MISMATCH);
        // In TLS 1.3 the client finishes before the server has checked its certificate; the refusal reaches
        // the client as an alert, at the latest on its first receive.
        if (o[0].channel != null) {
            byte[] buffer = new byte[1];
            assertThatThrownBy(() -> o[0].channel.receive(buffer, 0, 1, TimeUnit.SECONDS.toMillis(WAIT_SECONDS)))
                    .isInstanceOf(TransportException.class)
                    .satisfies(e -> assertThat(((TransportException) e).reason()).isEqualTo(TLS_FAILED))
                    .hasMessageContaining("refused our certificate");
            o[0].channel.close();
        } else {
            assertThat(o[0].failure().reason()).isEqualTo(TLS_FAILED);
        }
    }

    @Test
    void manInTheMiddleWithItsOwnIdentityIsRefusedByBothSides() throws Exception {
        MemoryPipe aliceToRelay = MemoryPipe.create();
        MemoryPipe relayToBob = MemoryPipe.create();
        ExecutorService executor = Executors.newFixedThreadPool(3);
        try {
            // Mallory terminates TLS toward each side with its own identity and would forward between them.
            Future<Outcome> relayAsServer = executor.submit(() -> open(Role.SERVER, aliceToRelay.b(),
                    side(mallory, Optional.empty(), STANDARD), TEST_HANDSHAKE_TIMEOUT));
            Future<Outcome> relayAsClient = executor.submit(() -> open(Role.CLIENT, relayToBob.a(),
                    side(mallory, Optional.empty(), STANDARD), TEST_HANDSHAKE_TIMEOUT));
            Future<Outcome> bobSide = executor.submit(() -> open(Role.SERVER, relayToBob.b(),
                    side(bob, alice.pin(), STANDARD), TEST_HANDSHAKE_TIMEOUT));
            Outcome aliceSide =
                    open(Role.CLIENT, aliceToRelay.a(), side(alice, bob.pin(), STANDARD), TEST_HANDSHAKE_TIMEOUT);

            assertThat(aliceSide.failure().reason()).isEqualTo(IDENTITY_MISMATCH);
            assertThat(bobSide.get(WAIT_SECONDS, TimeUnit.SECONDS).failure().reason()).isEqualTo(IDENTITY_MISMATCH);
            closeIfOpen(relayAsServer.get(WAIT_SECONDS, TimeUnit.SECONDS),
                    relayAsClient.get(WAIT_SECONDS, TimeUnit.SECONDS));
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void relayPresentingThePinnedPeersCertificateWithoutItsKeyIsRefused() {
        // Mallory copies Bob's certificate byte for byte but can only sign the CertificateVerify with her own key.
        Identity impostor = new Identity(mallory.keys,
                CertificateTesting.unchecked(bob.certificate.der(), mallory.keys.identity()));
        Outcome[] o = connect(side(alice, bob.pin(), STANDARD), side(impostor, Optional.empty(), STANDARD));
        assertThat(o[0].failure().reason()).isEqualTo(TLS_FAILED);
        assertThat(o[0].failure()).hasMessageContaining("decrypt_error");
        closeIfOpen(o[1]);
    }

    @ParameterizedTest
    @CsvSource({"QUANTUM_RESISTANT, STANDARD", "STANDARD, QUANTUM_RESISTANT", "STANDARD, ENHANCED",
            "ENHANCED, QUANTUM_RESISTANT", "QUANTUM_RESISTANT, ENHANCED"})
    void peersAtDifferentLevelsRefuseEachOtherAsDowngrade(SecurityLevel clientLevel, SecurityLevel serverLevel) {
        Outcome[] o = connect(side(alice, bob.pin(), clientLevel), side(bob, alice.pin(), serverLevel));
        assertThat(o[0].failure().reason()).isEqualTo(DOWNGRADE);
        assertThat(o[1].failure().reason()).isEqualTo(DOWNGRADE);
        assertThat(o[1].failure()).hasMessageContaining(clientLevel.name()).hasMessageContaining(serverLevel.name());
    }

    @Test
    void httpInsteadOfAClientHelloFailsTheServerAndItHangsUp() throws Exception {
        MemoryPipe pipe = MemoryPipe.create();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Outcome> server = executor.submit(() -> open(Role.SERVER, pipe.b(),
                    side(bob, Optional.empty(), STANDARD), TEST_HANDSHAKE_TIMEOUT));
            pipe.a().out().write("GET / HTTP/1.1\r\nHost: example\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(server.get(WAIT_SECONDS, TimeUnit.SECONDS).failure().reason()).isEqualTo(TLS_FAILED);
            assertThat(drain(pipe.a().in())).as("the server closed its side").isTrue();
        } finally {
            executor.shutdownNow();
        }
    }

    /** Reads until end of stream; true if it came. */
    private static boolean drain(InputStream in) throws IOException {
        byte[] buffer = new byte[1024];
        while (true) {
            if (in.read(buffer) < 0) {
                return true;
            }
        }
    }

    @Test
    void randomBytesInsteadOfAClientHelloFailCleanly() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < 40; i++) {
                MemoryPipe pipe = MemoryPipe.create();
                Future<Outcome> server = executor.submit(() -> open(Role.SERVER, pipe.b(),
                        side(bob, Optional.empty(), STANDARD), TEST_HANDSHAKE_TIMEOUT));
                // Even cases forge a 3-byte record header, so they need at least 3 bytes.
                byte[] garbage = new byte[(i % 2 == 0 ? 3 : 1) + random.nextInt(3000)];
                random.nextBytes(garbage);
                if (i % 2 == 0) {
                    garbage[0] = 0x16; // a handshake record, so the parser gets past the record header
                    garbage[1] = 0x03;
                    garbage[2] = 0x01;
                }
                try {
                    pipe.a().out().write(garbage);
                } catch (IOException e) {
                    // The server may have refused and hung up before all of it was written.
                }
                pipe.a().out().close();
                TransportException failure = server.get(WAIT_SECONDS, TimeUnit.SECONDS).failure();
                assertThat(failure.reason()).as("seed %d, case %d", seed, i).isIn(TLS_FAILED, PEER_CLOSED);
            }
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void garbageInsteadOfAServerHelloFailsTheClient() throws Exception {
        MemoryPipe pipe = MemoryPipe.create();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Outcome> client = executor.submit(() -> open(Role.CLIENT, pipe.a(),
                    side(alice, bob.pin(), QUANTUM_RESISTANT), TEST_HANDSHAKE_TIMEOUT));
            byte[] clientHello = new byte[5];
            assertThat(pipe.b().in().readNBytes(clientHello, 0, 5)).isEqualTo(5);
            assertThat(clientHello[0]).as("a handshake record").isEqualTo((byte) 0x16);
            byte[] garbage = new byte[512];
            new Random(7).nextBytes(garbage);
            garbage[0] = 0x16;
            garbage[1] = 0x03;
            garbage[2] = 0x03;
            garbage[3] = 0x01;
            garbage[4] = (byte) 0xFB; // exactly the 507 bytes that follow: one whole, nonsensical record
            pipe.b().out().write(garbage);
            assertThat(client.get(WAIT_SECONDS, TimeUnit.SECONDS).failure().reason()).isEqualTo(TLS_FAILED);
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void clientWhosePeerHangsUpMidHandshakeFailsAsPeerClosed() throws Exception {
        MemoryPipe pipe = MemoryPipe.create();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Outcome> client = executor.submit(() -> open(Role.CLIENT, pipe.a(),
                    side(alice, bob.pin(), STANDARD), TEST_HANDSHAKE_TIMEOUT));
            byte[] header = new byte[5];
            assertThat(pipe.b().in().readNBytes(header, 0, 5)).isEqualTo(5);
            pipe.b().close();
            assertThat(client.get(WAIT_SECONDS, TimeUnit.SECONDS).failure().reason()).isEqualTo(PEER_CLOSED);
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void serverWhosePeerHangsUpMidRecordFailsAsPeerClosed() throws Exception {
        MemoryPipe pipe = MemoryPipe.create();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Outcome> server = executor.submit(() -> open(Role.SERVER, pipe.b(),
                    side(bob, Optional.empty(), STANDARD), TEST_HANDSHAKE_TIMEOUT));
            // The start of a 200-byte handshake record, then the connection ends.
            pipe.a().out().write(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 200, 0x01, 0x00, 0x00, (byte) 196});
            pipe.a().out().close();
            TransportException failure = server.get(WAIT_SECONDS, TimeUnit.SECONDS).failure();
            assertThat(failure.reason()).isEqualTo(PEER_CLOSED);
            assertThat(failure).hasMessageContaining("during the TLS handshake");
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void silentPeerTimesTheHandshakeOut() {
        MemoryPipe pipe = MemoryPipe.create();
        Outcome client = open(Role.CLIENT, pipe.a(), side(alice, bob.pin(), STANDARD), Duration.ofMillis(300));
        assertThat(client.failure().reason()).isEqualTo(TLS_FAILED);
        assertThat(client.failure()).hasMessageContaining("timed out");
    }

    @Test
    void streamThatNeverTakesTheFirstFlightTimesTheHandshakeOut() {
        MemoryPipe pipe = MemoryPipe.withCapacity(16); // the ClientHello does not fit, and nobody reads
        Outcome client = open(Role.CLIENT, pipe.a(), side(alice, bob.pin(), QUANTUM_RESISTANT), Duration.ofMillis(300));
        assertThat(client.failure().reason()).isEqualTo(TLS_FAILED);
        assertThat(client.failure()).hasMessageContaining("timed out");
    }

    @Test
    void certificateWhoseIdentityExtensionIsNotItsKeyIsRefusedEvenWithoutAPin() throws Exception {
        // Bob signs a certificate for his own key that claims Alice's identity: the TLS signature checks
        // pass (it is Bob's key), so only the extension-to-key check can catch it.
        byte[] der = CertificateTesting.signedClaiming(bob.keys, bob.keys.identity().ed25519PublicKey(),
                alice.keys.identity(), TlsFixtures.CLOCK.instant());
        Identity liar = new Identity(bob.keys, CertificateTesting.unchecked(der, bob.keys.identity()));
        Outcome[] o = connect(side(alice, Optional.empty(), STANDARD), side(liar, Optional.empty(), STANDARD));
        assertThat(o[0].failure().reason()).isEqualTo(TLS_FAILED);
        assertThat(o[0].failure()).hasMessageContaining("not the Ed25519 key of the identity it carries");
        closeIfOpen(o[1]);
    }

    @Test
    void clientWhoseCertificateIsMalformedIsRefusedByTheServer() throws Exception {
        byte[] der = bob.certificate.der();
        der[der.length - 1] ^= 1; // the last byte of the signature
        Identity broken = new Identity(bob.keys, CertificateTesting.unchecked(der, bob.keys.identity()));
        Outcome[] o = connect(side(broken, Optional.empty(), STANDARD), side(alice, Optional.empty(), STANDARD));
        assertThat(o[1].failure().reason()).isEqualTo(TLS_FAILED);
        assertThat(o[1].failure()).hasMessageContaining("self-signature");
        closeIfOpen(o[0]);
    }

    @Test
    void aPlainTlsClientWithoutOurAlpnNameIsRefused() throws Exception {
        MemoryPipe pipe = MemoryPipe.create();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Outcome> server = executor.submit(() -> open(Role.SERVER, pipe.b(),
                    side(bob, Optional.empty(), STANDARD), TEST_HANDSHAKE_TIMEOUT));
            TlsClientProtocol plain = new TlsClientProtocol(pipe.a().in(), pipe.a().out());
            DefaultTlsClient client = new DefaultTlsClient(new BcTlsCrypto(new SecureRandom())) {
                @Override
                public TlsAuthentication getAuthentication() {
                    return new ServerOnlyTlsAuthentication() {
                        @Override
                        public void notifyServerCertificate(TlsServerCertificate serverCertificate) {
                        }
                    };
                }
            };
            assertThatThrownBy(() -> plain.connect(client)).isInstanceOf(IOException.class);
            TransportException failure = server.get(WAIT_SECONDS, TimeUnit.SECONDS).failure();
            assertThat(failure.reason()).isEqualTo(TLS_FAILED);
            assertThat(failure).hasMessageContaining("not a securep2p peer");
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void aCertificateForAnotherKeyHolderIsAProgrammingError() {
        MemoryPipe pipe = MemoryPipe.create();
        Side wrong = side(new Identity(alice.keys, bob.certificate), Optional.empty(), STANDARD);
        assertThatThrownBy(() -> TlsChannel.open(Role.CLIENT, pipe.a().in(), pipe.a().out(), wrong.identity.keys,
                wrong.identity.certificate, wrong.pin, wrong.level, new SecureRandom(), TEST_HANDSHAKE_TIMEOUT))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
