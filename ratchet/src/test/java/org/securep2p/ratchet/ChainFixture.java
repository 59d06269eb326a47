package org.securep2p.ratchet;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.MutableClock;

/**
 * Long sending chains, encrypted once per level and shared by every try: encrypting a thousand messages per try
 * would dominate the limit properties.
 *
 * <p>Alice sends chain A1, Bob receives its first message and sends B1, Alice receives B1's first message and
 * sends A2, and so on (at STANDARD there is only one chain each way, so Alice's chains are one long chain).
 * Each party encrypts with one cipher and decrypts with another over the same store, each with its own seeded
 * PRNG; only decryption generates ratchet and KEM keys, so a fresh receiver built with {@link #bob(MutableClock)} (or
 * {@link #aliceAfterA1}) derives the very keys of the fixture whichever messages of each chain it receives, as
 * long as it takes the chains in order and, at QUANTUM_RESISTANT, makes the fixture's KEM decisions wherever a
 * later chain depends on them: in the fixture Bob makes a KEM step at his first ratchet step only, so the
 * properties keep him below KEM_REKEY_MESSAGES messages in all. A refused message may draw a ratchet key before it
 * fails, so tampered messages go through another cipher.
 */
final class ChainFixture {

    private static final long ALICE_DECRYPTS = 11, ALICE_ENCRYPTS = 12, BOB_DECRYPTS = 21, BOB_ENCRYPTS = 22;
    private static final int HANDSHAKE = 0;
    private static final Map<String, ChainFixture> CACHE = new ConcurrentHashMap<>();

    final SecurityLevel level;
    /** Alice's chains A1, A2, ... (at STANDARD: one chain, all lengths added up). */
    final List<List<byte[]>> aliceChains = new ArrayList<>();
    /** Bob's chains B1, B2, ... (none at STANDARD). */
    final List<List<byte[]>> bobChains = new ArrayList<>();
    private final byte[] bobStart;
    private byte[] aliceAfterA1;

    private ChainFixture(SecurityLevel level) {
        this.level = level;
        this.bobStart = Peers.handshake(level, HANDSHAKE)[1];
    }

    /**
     * The fixture with Alice's chains of {@code aliceLengths} and Bob's of {@code bobLengths} (Bob's chain k
     * follows Alice's chain k).
     */
    static ChainFixture of(SecurityLevel level, int[] aliceLengths, int[] bobLengths) {
        String key = level + java.util.Arrays.toString(aliceLengths) + java.util.Arrays.toString(bobLengths);
        return CACHE.computeIfAbsent(key, k -> build(level, aliceLengths, bobLengths));
    }

    private static ChainFixture build(SecurityLevel level, int[] aliceLengths, int[] bobLengths) {
        try {
            ChainFixture f = new ChainFixture(level);
            Peers p = Peers.start(level, HANDSHAKE, Conversation.seeded(ALICE_DECRYPTS),
                    Conversation.seeded(BOB_DECRYPTS));
            SessionCipher aliceEncrypts = new SessionCipher(p.alice.store, Peer.SESSION,
                    Conversation.seeded(ALICE_ENCRYPTS), p.clock);
            SessionCipher bobEncrypts = new SessionCipher(p.bob.store, Peer.SESSION,
                    Conversation.seeded(BOB_ENCRYPTS), p.clock);
            if (!p.responderWaits()) {
                List<byte[]> chain = new ArrayList<>();
                int total = java.util.Arrays.stream(aliceLengths).sum();
                for (int n = 0; n < total; n++) {
                    FreshGcm.clear();
                    chain.add(aliceEncrypts.encrypt(plaintext(0, n)));
                }
                f.aliceChains.add(chain);
                f.aliceAfterA1 = p.alice.record();
                return f;
            }
            for (int c = 0; c < aliceLengths.length; c++) {
                List<byte[]> chain = new ArrayList<>();
                for (int n = 0; n < aliceLengths[c]; n++) {
                    FreshGcm.clear();
                    chain.add(aliceEncrypts.encrypt(plaintext(c, n)));
                }
                f.aliceChains.add(chain);
                if (c == 0) {
                    f.aliceAfterA1 = p.alice.record();
                }
                if (c == bobLengths.length) {
                    break;
                }
                p.bob.decrypt(chain.get(0));
                List<byte[]> reply = new ArrayList<>();
                for (int n = 0; n < bobLengths[c]; n++) {
                    FreshGcm.clear();
                    reply.add(bobEncrypts.encrypt(plaintext(100 + c, n)));
                }
                f.bobChains.add(reply);
                if (c + 1 < aliceLengths.length) {
                    p.alice.decrypt(reply.get(0));
                }
            }
            return f;
        } catch (RatchetException e) {
            throw new AssertionError("fixture", e);
        }
    }

    /** The plaintext of message {@code n} of chain {@code chain} (Bob's chains are numbered from 100). */
    static byte[] plaintext(int chain, int n) {
        return (chain + ":" + n).getBytes(StandardCharsets.US_ASCII);
    }

    /** Bob right after the handshake, decrypting as in the fixture. */
    Peer bob(MutableClock clock) throws RatchetException {
        return new Peer("bob", bobStart, random(BOB_DECRYPTS), clock);
    }

    /** Alice after sending A1 and before receiving anything, decrypting as in the fixture. */
    Peer aliceAfterA1(MutableClock clock) throws RatchetException {
        return new Peer("alice", aliceAfterA1, random(ALICE_DECRYPTS), clock);
    }

    private static SecureRandom random(long seed) {
        return Conversation.seeded(seed);
    }

    static MutableClock clock() {
        return new MutableClock(Conversation.CLOCK.instant());
    }
}
