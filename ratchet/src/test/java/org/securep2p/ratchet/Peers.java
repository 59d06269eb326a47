package org.securep2p.ratchet;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.MutableClock;

/**
 * Alice (the initiator) and Bob (the responder) of one session, for properties. A real handshake costs several
 * milliseconds, so each level has a few cached handshakes whose fresh records every try decodes; everything after
 * the handshake (ratchet keys, KEM keys, nonces) comes from SHA1PRNGs seeded with the try's seed, so a failing try
 * replays exactly from jqwik's printed seed.
 */
final class Peers {

    /** Distinct handshakes per level; a try uses the one its seed selects. */
    static final int HANDSHAKES = 4;

    private static final Map<SecurityLevel, List<byte[][]>> CACHE = new EnumMap<>(SecurityLevel.class);

    final SecurityLevel level;
    final MutableClock clock;
    final Peer alice;
    final Peer bob;

    private Peers(SecurityLevel level, MutableClock clock, Peer alice, Peer bob) {
        this.level = level;
        this.clock = clock;
        this.alice = alice;
        this.bob = bob;
    }

    static Peers start(SecurityLevel level, long seed) throws RatchetException {
        return start(level, Math.floorMod(seed, HANDSHAKES), Conversation.seeded(seed),
                Conversation.seeded(~seed));
    }

    static Peers start(SecurityLevel level, int handshake, SecureRandom aliceRandom, SecureRandom bobRandom)
            throws RatchetException {
        MutableClock clock = new MutableClock(Conversation.CLOCK.instant());
        byte[][] records = handshake(level, handshake);
        return new Peers(level, clock, new Peer("alice", records[0], aliceRandom, clock),
                new Peer("bob", records[1], bobRandom, clock));
    }

    Peer peer(boolean alice) {
        return alice ? this.alice : bob;
    }

    /** {@code [alice's record, bob's record]} right after handshake {@code i} at {@code level}. */
    static synchronized byte[][] handshake(SecurityLevel level, int i) {
        List<byte[][]> all = CACHE.computeIfAbsent(level, l -> new ArrayList<>());
        while (all.size() <= i) {
            try {
                Conversation c = new Conversation(level, 1_000 + all.size());
                all.add(new byte[][] {c.aliceRecord(), c.bobRecord()});
            } catch (CryptoException | RatchetException e) {
                throw new AssertionError("handshake failed", e);
            }
        }
        byte[][] r = all.get(i);
        return new byte[][] {r[0].clone(), r[1].clone()};
    }

    /** Whether the double ratchet's responder rule applies: Bob sends only after Alice's first message. */
    boolean responderWaits() {
        return level.ratchetMode() != SecurityLevel.RatchetMode.SYMMETRIC_KEY;
    }
}
