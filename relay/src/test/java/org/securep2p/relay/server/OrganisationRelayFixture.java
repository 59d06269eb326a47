package org.securep2p.relay.server;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

import org.securep2p.crypto.testing.MutableClock;

/**
 * A real organisation relay on 127.0.0.1 for tests, without mutual TLS: which member each new connection is comes
 * from {@link #as}, taken in connection order (the mutual-TLS part reads it from the TLS session instead), and which
 * members are current from {@link #revoke}. Certificates are random bytes: this relay never parses them itself.
 */
final class OrganisationRelayFixture implements AutoCloseable {

    final SecureRandom random = new SecureRandom();
    final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T12:00:00Z"));
    final RelayServer relay;
    private final BlockingQueue<AuthenticatedMember> next = new LinkedBlockingQueue<>();
    private final Set<BigInteger> revoked = ConcurrentHashMap.newKeySet();

    OrganisationRelayFixture(Path data) throws Exception {
        RelayConfig config = new RelayConfig("127.0.0.1", 0, data, Duration.ofDays(21), 100, 1 << 22, 100, 1000,
                1000, 50, Optional.empty());
        Organisation org = Organisation.sqlite(data, request -> Optional.ofNullable(next.poll()),
                (serial, certificate, now) -> !revoked.contains(serial), random);
        relay = RelayServer.start(config, RelayIdentity.loadOrCreate(data, random, clock),
                SqliteMailboxStore.open(config), random, clock, Optional.of(org));
    }

    /** A member with a random fingerprint, serial and 300-byte "certificate". */
    AuthenticatedMember member(String name) {
        byte[] fp = new byte[32];
        random.nextBytes(fp);
        byte[] serial = new byte[16];
        random.nextBytes(serial);
        byte[] certificate = new byte[300];
        random.nextBytes(certificate);
        byte[] tag = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(tag, 0, certificate, 0, Math.min(tag.length, certificate.length));
        return new AuthenticatedMember(name, fp, new BigInteger(1, serial), certificate);
    }

    /** The next connection to the relay authenticates as {@code member}. */
    void as(AuthenticatedMember member) {
        next.add(member);
    }

    void revoke(AuthenticatedMember member) {
        revoked.add(member.serial());
    }

    Organisation organisation() {
        return relay.organisation().orElseThrow();
    }

    @Override
    public void close() {
        relay.close();
    }
}
