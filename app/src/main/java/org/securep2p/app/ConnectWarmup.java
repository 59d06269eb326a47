package org.securep2p.app;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeResult;
import org.securep2p.crypto.HybridHandshake;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.ratchet.InMemorySessionStore;
import org.securep2p.ratchet.RatchetException;
import org.securep2p.ratchet.SessionCipher;
import org.securep2p.ratchet.SessionRecord;
import org.securep2p.transport.Connector;
import org.securep2p.transport.PeerConnection;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.TransportConfig;
import org.securep2p.transport.TransportException;

/**
 * Runs, once and off the user's path, everything a first connection runs in this process, so that the user's
 * first connection does not pay for loading and compiling it: ice4j's agent and connectivity checks, the
 * reliable channel, the TLS 1.3 handshake with the hybrid group and certificate checks, the hybrid X3DH +
 * ML-KEM handshake and a ratchet message each way. In a fresh JVM that first run costs over a second of class
 * loading and interpreted code (PROTOCOL.md §14.1); a warm process connects in a fraction of that.
 *
 * <p>Everything it touches is throwaway and in memory: two identities made for the purpose (never the user's
 * keys, never the key manager), a session store in memory, and a connection between two loopback sockets of
 * this process with no STUN or TURN server: nothing leaves the machine and nothing is written to disk. Not its
 * job: warming the key-manager process (it holds the user's keys and serves only real requests).
 */
final class ConnectWarmup {

    /** A warm-up that has not finished by then is abandoned: it only ever saves time, never costs a connection. */
    static final Duration DEADLINE = Duration.ofSeconds(30);

    private final SecureRandom random;
    private final Clock clock;

    ConnectWarmup(SecureRandom random, Clock clock) {
        this.random = Objects.requireNonNull(random, "random");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * One throwaway connection at {@code level} on loopback, then a hybrid handshake and a ratchet message each
     * way between the same two throwaway identities; throws if any step fails (the caller only logs it).
     */
    void run(SecurityLevel level) throws Exception {
        TransportConfig config = config();
        try (InMemoryPrivateKeys waiterKeys = InMemoryPrivateKeys.generate(random, clock, 1, 1);
                InMemoryPrivateKeys dialerKeys = InMemoryPrivateKeys.generate(random, clock, 1, 1)) {
            Connector waiter = new Connector(config, waiterKeys, TransportCertificate.create(waiterKeys, clock),
                    random);
            Connector dialer = new Connector(config, dialerKeys, TransportCertificate.create(dialerKeys, clock),
                    random);
            connect(waiter, dialer, level);
            handshake(waiterKeys, dialerKeys, level);
        }
    }

    /** The warm-up's transport: loopback candidates only, no STUN or TURN server (nothing leaves the machine). */
    static TransportConfig config() throws TransportException {
        return TransportConfig.builder()
                .hostCandidates(TransportConfig.HostCandidates.LOOPBACK_ONLY)
                .stunServers(List.of()).turnServers(List.of()).connectTimeout(DEADLINE).build();
    }

    private static void connect(Connector waiter, Connector dialer, SecurityLevel level) throws Exception {
        try (Connector.Waiting waiting = waiter.waitForPeer(level);
                Connector.Dialing dialing = dialer.dial(waiting.code(), level)) {
            CompletableFuture<PeerConnection> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return waiting.awaitPeer(DEADLINE);
                } catch (TransportException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (PeerConnection a = dialing.awaitPeer(DEADLINE);
                    PeerConnection b = get(accepted)) {
                byte[] hello = "warm-up".getBytes(StandardCharsets.US_ASCII);
                a.sendMessage(hello);
                b.receiveMessage();
                b.sendMessage(hello);
                a.receiveMessage();
            } finally {
                // Closes the accepted side whenever it arrives, even after a timeout; nothing waits for that.
                var unused = accepted.thenAccept(PeerConnection::close);
            }
        }
    }

    private void handshake(InMemoryPrivateKeys waiterKeys, InMemoryPrivateKeys dialerKeys, SecurityLevel level)
            throws CryptoException, RatchetException {
        HybridHandshake handshake = new HybridHandshake(random, clock);
        byte[] binding = new byte[32];
        random.nextBytes(binding);
        PreKeyBundle bundle = waiterKeys.preKeyBundle();
        try (HandshakeResult initiated = handshake.initiate(dialerKeys, bundle, level,
                        waiterKeys.identity().fingerprint(), binding);
                HandshakeResult responded = handshake.respond(waiterKeys, bundle,
                        initiated.initialMessage().orElseThrow(), level);
                SessionRecord initiator = SessionRecord.initiator(initiated, random);
                SessionRecord responder = SessionRecord.responder(responded, random)) {
            InMemorySessionStore dialerStore = new InMemorySessionStore();
            InMemorySessionStore waiterStore = new InMemorySessionStore();
            dialerStore.store("warm-up", initiator);
            waiterStore.store("warm-up", responder);
            SessionCipher dialerCipher = new SessionCipher(dialerStore, "warm-up", random, clock);
            SessionCipher waiterCipher = new SessionCipher(waiterStore, "warm-up", random, clock);
            byte[] text = "warm-up".getBytes(StandardCharsets.US_ASCII);
            waiterCipher.decrypt(dialerCipher.encrypt(text));
            dialerCipher.decrypt(waiterCipher.encrypt(text));
        }
    }

    private static PeerConnection get(CompletableFuture<PeerConnection> f) throws Exception {
        try {
            return f.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof IllegalStateException && e.getCause().getCause() != null
                    ? e.getCause().getCause() : e.getCause();
            throw cause instanceof Exception ex ? ex : e;
        } catch (TimeoutException e) {
            throw new TransportException(TransportException.Reason.PEER_TIMEOUT, "warm-up connection timed out");
        }
    }
}
