package org.securep2p.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Stream;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeResult;
import org.securep2p.crypto.HybridHandshake;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.InitialMessage;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.ratchet.RatchetException;
import org.securep2p.ratchet.SessionRecord;

/**
 * Real session records for the storage tests: one handshake per level between two fixed identities, made once.
 * Deterministic (SHA1PRNG with a fixed seed), so failures replay.
 */
public final class TestSessions {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);

    /** Per level, the encodings of the initiator's and the responder's first records. */
    private static final Map<SecurityLevel, byte[][]> RECORDS = new EnumMap<>(SecurityLevel.class);

    private TestSessions() {
    }

    static synchronized SessionRecord initiator(SecurityLevel level) {
        return decode(records(level)[0]);
    }

    static synchronized SessionRecord responder(SecurityLevel level) {
        return decode(records(level)[1]);
    }

    static SecretBytes key(int seed) {
        byte[] k = new byte[32];
        seeded(seed).nextBytes(k);
        return SecretBytes.copyOf(k);
    }

    static SecureRandom seeded(long seed) {
        try {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(seed == 0 ? 1 : seed);
            return r;
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Deletes a scratch directory of a property test and everything in it. */
    public static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static byte[][] records(SecurityLevel level) {
        return RECORDS.computeIfAbsent(level, l -> {
            try {
                SecureRandom random = seeded(7);
                InMemoryPrivateKeys alice = InMemoryPrivateKeys.generate(seeded(1), CLOCK, 0, 0);
                InMemoryPrivateKeys bob = InMemoryPrivateKeys.generate(seeded(2), CLOCK, 0, 0);
                HybridHandshake hs = new HybridHandshake(random, CLOCK);
                PreKeyBundle bundle = bob.preKeyBundle();
                try (HandshakeResult ra = hs.initiate(alice, bundle, l, bob.identity().fingerprint(), new byte[0]);
                        HandshakeResult rb = hs.respond(bob, bundle,
                                InitialMessage.decode(ra.initialMessage().orElseThrow().encode()), l);
                        SessionRecord a = SessionRecord.initiator(ra, random);
                        SessionRecord b = SessionRecord.responder(rb, random)) {
                    return new byte[][] {a.encode(), b.encode()};
                }
            } catch (CryptoException | RatchetException e) {
                throw new AssertionError(e);
            }
        });
    }

    private static SessionRecord decode(byte[] encoded) {
        try {
            return SessionRecord.decode(encoded);
        } catch (RatchetException e) {
            throw new AssertionError(e);
        }
    }
}
