package org.securep2p.transport.tls;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.TransportException;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.tls.TlsChannel.Role;

/** Identities, certificates and two-sided handshakes over {@link MemoryPipe}s for the TLS tests. */
public final class TlsFixtures {

    public static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);
    /** Generous: only a broken implementation gets near it; the tests that time out set their own. */
    static final Duration TEST_HANDSHAKE_TIMEOUT = Duration.ofSeconds(20);
    /** Bounds every wait in a test, so a hang fails the test instead of the build. */
    static final long WAIT_SECONDS = 30;

    private TlsFixtures() {
    }

    /** A key holder and its certificate. Falcon key generation makes this ~30 ms: share between tests. */
    public static final class Identity {
        public final InMemoryPrivateKeys keys;
        public final TransportCertificate certificate;

        public Identity(InMemoryPrivateKeys keys, TransportCertificate certificate) {
            this.keys = keys;
            this.certificate = certificate;
        }

        public Fingerprint fingerprint() {
            return keys.identity().fingerprint();
        }

        public Optional<Fingerprint> pin() {
            return Optional.of(fingerprint());
        }
    }

    public static Identity identity() {
        try {
            InMemoryPrivateKeys keys = InMemoryPrivateKeys.generate(new SecureRandom(), CLOCK, 0, 0);
            return new Identity(keys, TransportCertificate.create(keys, CLOCK));
        } catch (CryptoException | TransportException e) {
            throw new AssertionError("cannot make a test identity", e);
        }
    }

    /** A channel or the failure that stopped it. */
    public static final class Outcome {
        final TlsChannel channel;
        final TransportException failure;

        Outcome(TlsChannel channel, TransportException failure) {
            this.channel = channel;
            this.failure = failure;
        }

        public TlsChannel channel() {
            if (channel == null) {
                throw new AssertionError("handshake failed", failure);
            }
            return channel;
        }

        public TransportException failure() {
            if (failure == null) {
                throw new AssertionError("handshake succeeded: " + channel);
            }
            return failure;
        }
    }

    /** One side's settings. */
    public static final class Side {
        final Identity identity;
        final Optional<Fingerprint> pin;
        final SecurityLevel level;

        Side(Identity identity, Optional<Fingerprint> pin, SecurityLevel level) {
            this.identity = identity;
            this.pin = pin;
            this.level = level;
        }
    }

    public static Side side(Identity identity, Optional<Fingerprint> pin, SecurityLevel level) {
        return new Side(identity, pin, level);
    }

    static Outcome open(Role role, MemoryPipe.End end, Side side, Duration timeout) {
        try {
            return new Outcome(TlsChannel.open(role, end.in(), end.out(), side.identity.keys,
                    side.identity.certificate, side.pin, side.level, new SecureRandom(), timeout), null);
        } catch (TransportException e) {
            return new Outcome(null, e);
        }
    }

    /** Both handshakes, concurrently, over a fresh pipe: [client, server]. */
    public static Outcome[] connect(Side client, Side server) {
        return connect(MemoryPipe.create(), client, server);
    }

    static Outcome[] connect(MemoryPipe pipe, Side client, Side server) {
        return connect(pipe.a(), pipe.b(), client, server);
    }

    /** Over given ends (a test may wrap one, to cut or alter what passes). */
    static Outcome[] connect(MemoryPipe.End clientEnd, MemoryPipe.End serverEnd, Side client, Side server) {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Outcome> serverSide =
                    executor.submit(() -> open(Role.SERVER, serverEnd, server, TEST_HANDSHAKE_TIMEOUT));
            Outcome clientSide = open(Role.CLIENT, clientEnd, client, TEST_HANDSHAKE_TIMEOUT);
            return new Outcome[] {clientSide, serverSide.get(WAIT_SECONDS, TimeUnit.SECONDS)};
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("server handshake did not finish", e);
        } finally {
            executor.shutdownNow();
        }
    }

    /** Both sides at {@code level}, each pinned to the other. */
    static TlsChannel[] connected(Identity client, Identity server, SecurityLevel level) {
        Outcome[] o = connect(side(client, server.pin(), level), side(server, client.pin(), level));
        return new TlsChannel[] {o[0].channel(), o[1].channel()};
    }

    /** Reads exactly {@code n} bytes (or fails the test). */
    static byte[] readFully(TlsChannel channel, int n) throws TransportException {
        byte[] buffer = new byte[n];
        int off = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (off < n) {
            int r = channel.receive(buffer, off, n - off, 1000);
            if (r < 0) {
                throw new AssertionError("end of stream after " + off + " of " + n + " bytes");
            }
            off += r;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + off + " of " + n + " bytes arrived in time");
            }
        }
        return buffer;
    }
}
