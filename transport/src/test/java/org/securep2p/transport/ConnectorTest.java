package org.securep2p.transport;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.ice.IceLink;
import org.securep2p.crypto.testing.Await;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The whole stack on loopback in one JVM: ICE, the reliable channel and pinned TLS. */
class ConnectorTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private static TransportConfig loopback() throws TransportException {
        return TransportConfig.builder().hostCandidates(TransportConfig.HostCandidates.LOOPBACK_ONLY)
                .stunServers(List.of()).build();
    }

    private Connector connector(InMemoryPrivateKeys keys, String name) throws Exception {
        return new Connector(loopback(), keys,
                TransportCertificate.loadOrCreate(dir.resolve(name), keys, Clock.systemUTC()), RANDOM);
    }

    private static InMemoryPrivateKeys keys() throws Exception {
        return InMemoryPrivateKeys.generate(RANDOM, Clock.systemUTC(), 0, 0);
    }

    @Test
    void theCodeAsksForAnAnswerExactlyWhenTheMeasuredFilteringDropsStrangers() throws Exception {
        java.net.InetSocketAddress mapped = new java.net.InetSocketAddress("203.0.113.10", 40000);
        NatBehaviour homeRouter = NatBehaviour.measured(mapped, false, java.util.Optional.of(mapped),
                java.util.Optional.empty(), NatBehaviour.Reply.SILENT, NatBehaviour.Reply.SILENT,
                NatBehaviour.Mapping.UNKNOWN);
        NatBehaviour fullCone = NatBehaviour.measured(mapped, false, java.util.Optional.of(mapped),
                java.util.Optional.empty(), NatBehaviour.Reply.ANSWERED, NatBehaviour.Reply.SILENT,
                NatBehaviour.Mapping.UNKNOWN);
        try (InMemoryPrivateKeys keys = keys()) {
            Connector connector = connector(keys, "w");
            // On loopback the old guess (no public host candidate) would never ask; the measurement decides.
            try (Connector.Waiting w = connector.waitForPeer(SecurityLevel.STANDARD, homeRouter)) {
                assertThat(ConnectionCode.parse(w.code().text()).answerNeeded()).isTrue();
                assertThat(w.natBehaviour()).isEqualTo(homeRouter);
            }
            try (Connector.Waiting w = connector.waitForPeer(SecurityLevel.STANDARD, fullCone)) {
                assertThat(ConnectionCode.parse(w.code().text()).answerNeeded()).isFalse();
            }
            // Filtering unknown: the guess stands in.
            try (Connector.Waiting w = connector.waitForPeer(SecurityLevel.STANDARD,
                    NatBehaviour.inferred(NatBehaviour.Mapping.ENDPOINT_INDEPENDENT))) {
                assertThat(w.code().answerNeeded()).isFalse();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void connectsWithOneCodeAndPinsTheWaitersIdentity(SecurityLevel level) throws Exception {
        try (InMemoryPrivateKeys waiterKeys = keys(); InMemoryPrivateKeys connectorKeys = keys()) {
            Connector.Waiting waiting = connector(waiterKeys, "w").waitForPeer(level);
            ConnectionCode code = ConnectionCode.parse(waiting.code().text());
            assertThat(code.answerNeeded()).isFalse();
            CompletableFuture<PeerConnection> waiterSide = CompletableFuture.supplyAsync(() -> {
                try {
                    return waiting.awaitPeer(TIMEOUT);
                } catch (TransportException e) {
                    throw new IllegalStateException(e);
                }
            });
            Connector.Dialing dialing = connector(connectorKeys, "c").dial(code, SecurityLevel.STANDARD);
            try (PeerConnection c = dialing.awaitPeer(TIMEOUT); PeerConnection w = waiterSide.get()) {
                assertThat(c.path()).isEqualTo(PeerConnection.Path.DIRECT);
                // Authenticated and direct: both sides carry on with their own sockets, without ice4j.
                assertThat(((IceLink) c.link()).leftIce()).isTrue();
                assertThat(((IceLink) w.link()).leftIce()).isTrue();
                assertThat(c.peerIdentity()).isEqualTo(waiterKeys.identity());
                assertThat(w.peerIdentity()).isEqualTo(connectorKeys.identity());
                assertThat(c.tlsVersion()).isEqualTo("TLSv1.3");
                assertThat(c.cipherSuite()).isEqualTo("TLS_CHACHA20_POLY1305_SHA256");
                assertThat(c.keyExchangeGroup()).isEqualTo(
                        level == SecurityLevel.QUANTUM_RESISTANT ? "X25519MLKEM768" : "x25519");
                assertThat(w.keyExchangeGroup()).isEqualTo(c.keyExchangeGroup());
                assertThat(c.level()).isEqualTo(level);
                assertThat(c.channelBinding()).hasSize(32).isEqualTo(w.channelBinding());
                c.sendMessage("hello".getBytes(UTF_8));
                assertThat(new String(w.receiveMessage(), UTF_8)).isEqualTo("hello");
                // The largest message (1 MiB) crosses 65 TLS records and ~900 datagrams, intact.
                byte[] big = new byte[PeerConnection.MAX_MESSAGE];
                RANDOM.nextBytes(big);
                w.sendMessage(big);
                assertThat(c.receiveMessage()).isEqualTo(big);
                c.sendMessage(big);
                assertThat(w.receiveMessage()).isEqualTo(big);
            }
        }
    }

    // javac 'try': the connection, if one is ever made, is held only to be closed
    @SuppressWarnings("try")
    @Test
    void refusesAWaiterWhoseIdentityIsNotTheCodes() throws Exception {
        try (InMemoryPrivateKeys waiterKeys = keys(); InMemoryPrivateKeys connectorKeys = keys();
             InMemoryPrivateKeys other = keys()) {
            Connector.Waiting waiting = connector(waiterKeys, "w").waitForPeer(SecurityLevel.ENHANCED);
            ConnectionCode real = waiting.code();
            // The code as a man in the middle would rewrite it: his identity, the real waiter's path.
            ConnectionCode forged = ConnectionCode.offer(other.identity().fingerprint(), real.minimumLevel(),
                    real.credentials(), real.candidates(), false);
            CompletableFuture<Void> waiterSide = CompletableFuture.runAsync(() -> {
                try (PeerConnection ignored = waiting.awaitPeer(TIMEOUT)) {
                    // the connector refuses; whatever happens here does not matter
                } catch (Exception e) {
                    // expected
                }
            });
            Connector.Dialing dialing = connector(connectorKeys, "c").dial(forged, SecurityLevel.STANDARD);
            assertThatThrownBy(() -> dialing.awaitPeer(TIMEOUT)).isInstanceOf(TransportException.class)
                    .satisfies(e -> assertThat(((TransportException) e).reason())
                            .isEqualTo(TransportException.Reason.IDENTITY_MISMATCH));
            waiting.close();
            // The waiter's side ends before its keys are closed (and an error in it is not lost).
            waiterSide.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /**
     * The waiter is already waiting when the user pastes the answer code (the app waits at once, since most
     * connections need no answer). Someone else who also saw the offer dials: the waiter must pin the pasted
     * answer's identity, not trust that peer on first use because no answer existed when it began to wait.
     */
    // javac 'try': the connection, if one is ever made, is held only to be closed
    @SuppressWarnings({"AddressSelection", "try"}) // IP literals: nothing is looked up, one address is meant
    @Test
    void refusesAnotherIdentityOnceTheAnswerIsAcceptedDuringTheWait() throws Exception {
        try (InMemoryPrivateKeys waiterKeys = keys(); InMemoryPrivateKeys friendKeys = keys();
             InMemoryPrivateKeys intruderKeys = keys()) {
            Connector.Waiting waiting = connector(waiterKeys, "w").waitForPeer(SecurityLevel.ENHANCED);
            ConnectionCode offer = waiting.code();
            CompletableFuture<PeerConnection> waiterSide = new CompletableFuture<>();
            Thread waiter = new Thread(() -> {
                try {
                    waiterSide.complete(waiting.awaitPeer(TIMEOUT));
                } catch (Throwable t) {
                    waiterSide.completeExceptionally(t);
                }
            }, "test-waiter");
            waiter.start();
            // Let the waiter enter its wait (and, before the fix, read the still absent pin) first.
            Await.until("the waiter in its wait", Duration.ofSeconds(10), () -> waiter.getState() == Thread.State.WAITING
                    || waiter.getState() == Thread.State.TIMED_WAITING);
            assertThat(waiterSide).isNotDone();
            // The friend's answer, as the user pastes it: the friend's identity and a path (never used here).
            ConnectionCode friendsAnswer = ConnectionCode.answer(offer, friendKeys.identity().fingerprint(),
                    offer.minimumLevel(), IceCredentials.derivedForConnector(offer.credentials()),
                    List.of(Candidate.of(Candidate.Type.HOST, new java.net.InetSocketAddress("127.0.0.1", 9))));
            waiting.acceptAnswer(friendsAnswer);
            Connector.Dialing intruder = connector(intruderKeys, "i").dial(offer, SecurityLevel.STANDARD);
            CompletableFuture<Void> intruderSide = CompletableFuture.runAsync(() -> {
                try (PeerConnection ignored = intruder.awaitPeer(TIMEOUT)) {
                    // TLS 1.3: the client may finish before the waiter refuses its certificate
                } catch (Exception e) {
                    // expected
                }
            });
            assertThatThrownBy(() -> waiterSide.get(30, java.util.concurrent.TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TransportException.class)
                    .satisfies(e -> assertThat(((TransportException) e.getCause()).reason())
                            .isEqualTo(TransportException.Reason.IDENTITY_MISMATCH));
            intruder.close();
            waiting.close();
            // The intruder's side ends before its keys are closed (and an error in it is not lost).
            intruderSide.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** The default mode: a code that points only at this machine's link is refused before any check is sent. */
    @Test
    void dialRefusesACodeThatOnlyPointsAtLinkLocalOrThisNetworkAddresses() throws Exception {
        try (InMemoryPrivateKeys waiterKeys = keys(); InMemoryPrivateKeys connectorKeys = keys()) {
            ConnectionCode code = ConnectionCode.offer(waiterKeys.identity().fingerprint(), SecurityLevel.STANDARD,
                    IceCredentials.generate(RANDOM), List.of(
                            Candidate.of(Candidate.Type.HOST, new java.net.InetSocketAddress("169.254.169.254", 80)),
                            Candidate.of(Candidate.Type.HOST, new java.net.InetSocketAddress("0.0.0.1", 53))),
                    false);
            TransportConfig publicOnly = TransportConfig.builder().stunServers(List.of()).build();
            Connector connector = new Connector(publicOnly, connectorKeys,
                    TransportCertificate.loadOrCreate(dir.resolve("c"), connectorKeys, Clock.systemUTC()), RANDOM);
            assertThatThrownBy(() -> connector.dial(code, SecurityLevel.STANDARD).close())
                    .isInstanceOf(TransportException.class)
                    .hasMessageContaining("host.candidates=ALL")
                    .satisfies(e -> assertThat(((TransportException) e).reason())
                            .isEqualTo(TransportException.Reason.BAD_CODE));
        }
    }

    @Test
    void refusesACodeBelowTheConnectorsFloor() throws Exception {
        try (InMemoryPrivateKeys waiterKeys = keys(); InMemoryPrivateKeys connectorKeys = keys();
             Connector.Waiting waiting = connector(waiterKeys, "w").waitForPeer(SecurityLevel.STANDARD)) {
            assertThatThrownBy(() -> connector(connectorKeys, "c").dial(waiting.code(),
                    SecurityLevel.QUANTUM_RESISTANT)).isInstanceOf(TransportException.class)
                    .satisfies(e -> assertThat(((TransportException) e).reason())
                            .isEqualTo(TransportException.Reason.DOWNGRADE));
        }
    }

    @Test
    void refusesAnAnswerForAnotherCode() throws Exception {
        try (InMemoryPrivateKeys a = keys(); InMemoryPrivateKeys b = keys();
             Connector.Waiting first = connector(a, "a1").waitForPeer(SecurityLevel.STANDARD);
             Connector.Waiting second = connector(a, "a2").waitForPeer(SecurityLevel.STANDARD);
             Connector.Dialing dialing = connector(b, "b").dial(second.code(), SecurityLevel.STANDARD)) {
            assertThatThrownBy(() -> first.acceptAnswer(dialing.answerCode()))
                    .isInstanceOf(TransportException.class)
                    .satisfies(e -> assertThat(((TransportException) e).reason())
                            .isEqualTo(TransportException.Reason.BAD_CODE));
            second.acceptAnswer(dialing.answerCode());
        }
    }

    @Test
    void connectsToABareAddressWithTrustOnFirstUse() throws Exception {
        try (InMemoryPrivateKeys waiterKeys = keys(); InMemoryPrivateKeys connectorKeys = keys()) {
            int port;
            try (java.net.DatagramSocket probe = new java.net.DatagramSocket(0)) {
                port = probe.getLocalPort();
            }
            Connector waiter = connector(waiterKeys, "w");
            CompletableFuture<PeerConnection> listening = CompletableFuture.supplyAsync(() -> {
                try {
                    return waiter.listen(port, SecurityLevel.ENHANCED, TIMEOUT);
                } catch (TransportException e) {
                    throw new IllegalStateException(e);
                }
            });
            ConnectionTarget target = ConnectionTarget.parse("127.0.0.1:" + port);
            try (PeerConnection c = connector(connectorKeys, "c").dialAddress(target.bareAddress().orElseThrow(),
                    SecurityLevel.ENHANCED, TIMEOUT); PeerConnection w = listening.get()) {
                assertThat(c.peerIdentity()).isEqualTo(waiterKeys.identity());
                assertThat(w.peerIdentity()).isEqualTo(connectorKeys.identity());
                assertThat(c.path()).isEqualTo(PeerConnection.Path.DIRECT);
                w.sendMessage("tofu".getBytes(UTF_8));
                assertThat(new String(c.receiveMessage(), UTF_8)).isEqualTo("tofu");
            }
        }
    }

    @Test
    void listeningGivesUpWithPeerTimeout() throws Exception {
        try (InMemoryPrivateKeys keys = keys()) {
            assertThatThrownBy(() -> connector(keys, "w").listen(0, SecurityLevel.STANDARD, Duration.ofMillis(300)))
                    .isInstanceOf(TransportException.class)
                    .satisfies(e -> assertThat(((TransportException) e).reason())
                            .isEqualTo(TransportException.Reason.PEER_TIMEOUT));
        }
    }

    @Test
    void theNatMeasurementCompletesAsUnreachableEvenWhenItEndsInAnError() throws Exception {
        // Before: an Error ended the thread with the future open, and a wait for a peer blocked on it forever.
        CompletableFuture<NatBehaviour> measuring = Connector.measureInBackground(() -> {
            throw new ExceptionInInitializerError("a class of the measurement did not load");
        });
        assertThat(measuring.get(30, TimeUnit.SECONDS)).isEqualTo(NatBehaviour.unreachable());
    }

    @Test
    void theNatMeasurementCompletesAsUnreachableWhenItFails() throws Exception {
        CompletableFuture<NatBehaviour> measuring = Connector.measureInBackground(() -> {
            throw new IllegalStateException("no socket");
        });
        assertThat(measuring.get(30, TimeUnit.SECONDS)).isEqualTo(NatBehaviour.unreachable());
    }
}
