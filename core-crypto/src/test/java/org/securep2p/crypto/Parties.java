package org.securep2p.crypto;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.securep2p.crypto.testing.SeededRandom;

/** Two identities for handshake tests, made from a seed (Falcon-1024 key generation dominates: ~30 ms each). */
final class Parties {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);

    final SeededRandom random;
    final InMemoryPrivateKeys alice;
    final InMemoryPrivateKeys bob;
    final HybridHandshake handshake;

    Parties(String seed, int bobOneTimePreKeys) throws CryptoException {
        this(seed, bobOneTimePreKeys, 1);
    }

    Parties(String seed, int bobOneTimePreKeys, int bobOneTimeKemPreKeys) throws CryptoException {
        random = new SeededRandom(seed);
        alice = InMemoryPrivateKeys.generate(random, CLOCK, 0, 0);
        bob = InMemoryPrivateKeys.generate(random, CLOCK, bobOneTimePreKeys, bobOneTimeKemPreKeys);
        handshake = new HybridHandshake(random, CLOCK);
    }
}
