package org.securep2p.ratchet;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Group;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.securep2p.ratchet.RatchetException.Reason.BAD_MAC;
import static org.securep2p.ratchet.RatchetException.Reason.DUPLICATE;
import static org.securep2p.ratchet.RatchetException.Reason.MALFORMED;
import static org.securep2p.ratchet.RatchetException.Reason.NOT_YET_SENDABLE;
import static org.securep2p.ratchet.RatchetException.Reason.NO_SESSION;
import static org.securep2p.ratchet.RatchetException.Reason.STORAGE_FAILED;
import static org.securep2p.ratchet.RatchetException.Reason.TOO_FAR_AHEAD;
import static org.securep2p.ratchet.RatchetException.Reason.UNKNOWN_VERSION;
import static org.securep2p.ratchet.RatchetException.Reason.WRONG_LEVEL;

/**
 * The ratchet's delivery guarantees at every level, over generated conversations: exactly-once decryption under
 * any reordering, loss and duplication; any single-bit change of a wire message is refused; and a refused
 * message or operation, whatever the reason, leaves the stored session byte-for-byte as it was.
 *
 * <p>Tries: {@code jqwik.tries.default} (1,000; 10,000 with {@code -Pexhaustive}). A failure prints the seed;
 * rerun it with {@code @Property(seed = "...")}.
 */
@SuppressWarnings("ClassCanBeStatic") // jqwik runs a @Group only as an inner (non-static) class
class RatchetProperties {

    @Group class Standard extends AtEachLevel.Standard implements Contract { }
    @Group class Enhanced extends AtEachLevel.Enhanced implements Contract { }
    @Group class QuantumResistant extends AtEachLevel.QuantumResistant implements Contract { }

    /**
     * Scripts stay within the limits: at most 30 messages, so no message is more than MAX_SKIP ahead, no
     * skipped key is evicted and no party has more than 15 receiving chains (a duplicate of a chain older than
     * MAX_OLD_RECEIVING_CHAINS with no skipped keys left would be refused as BAD_MAC, not DUPLICATE).
     */
    static final int MAX_SENDS = 30;

    /** The properties, run at each level by the groups above. */
    interface Contract extends AtEachLevel {

        @Provide
        default Arbitrary<List<Network.Step>> conversations() {
            return Network.scripts(70, false);
        }

        @Provide
        default Arbitrary<List<Network.Step>> shortConversations() {
            return Network.scripts(24, false);
        }

        /**
         * Any interleaving of sends in both directions, delivered in any order, with any subset lost and any
         * message delivered again: every delivered message decrypts exactly once to its plaintext, and every
         * second delivery is refused as DUPLICATE without changing the receiver's record.
         */
        @Property
        default void everyDeliveredMessageDecryptsExactlyOnce(@ForAll long seed,
                @ForAll("conversations") List<Network.Step> script, @ForAll boolean newestFirst) throws Exception {
            Network net = new Network(Peers.start(level(), seed), seed, MAX_SENDS, false);
            net.apply(script);
            net.deliverAll(newestFirst);
            net.redeliverAll();
            net.roundTrip(true);

            int n = net.messages.size();
            int chains = net.sendingChains.size();
            Statistics.label("messages").collect(n < 10 ? "<10" : n < 20 ? "<20" : ">=20");
            Statistics.label("sending chains").collect(chains < 3 ? "1-2" : chains < 8 ? "3-7" : ">=8");
            Statistics.label("some lost").collect(net.messages.stream().anyMatch(m -> m.dropped));
            Statistics.label("some delivered out of order").collect(net.reordered > 0);
        }

        /**
         * Any single-bit flip anywhere in a wire message (framing, header field or body) is refused, the
         * receiver's record is byte-for-byte unchanged, and every genuine message still decrypts afterwards.
         */
        @Property
        default void anySingleBitFlipIsRefusedAndChangesNothing(@ForAll long seed,
                @ForAll("shortConversations") List<Network.Step> script,
                @ForAll @IntRange(max = 1 << 20) int messagePick, @ForAll Region region,
                @ForAll @IntRange(max = Integer.MAX_VALUE - 1) int bitPick) throws Exception {
            Network net = new Network(Peers.start(level(), seed), seed, 12, false);
            net.apply(script);
            // Mostly a message its receiver has not had yet (a new one if none is in flight), else any message.
            Network.Msg target = messagePick % 4 != 0 || net.messages.isEmpty()
                    ? inFlightOrNew(net, messagePick / 4)
                    : net.messages.get(messagePick / 4 % net.messages.size());
            String status = target.delivered ? "delivered before" : target.dropped ? "lost" : "in flight";

            RatchetException e = net.receiver(target).refusesUnchanged(flipBit(target.wire, region, bitPick));

            net.deliverAll(false);
            net.roundTrip(true);
            net.roundTrip(false);
            Statistics.label("region").collect(region);
            Statistics.label("reason").collect(e.reason());
            Statistics.label("target").collect(status);
        }

        /**
         * A refused message or operation, of any reason, leaves the stored records byte-for-byte unchanged (the
         * sender's as well as the receiver's), and the conversation continues: every genuine message still in
         * flight decrypts (one whose decryption failed to store was not consumed), and both sides can still
         * send. The reason is the documented one. (Refusals in states with thousands of skipped keys, where the
         * skip would evict, are in {@link RatchetLimitProperties}.)
         */
        @Property
        default void aRefusalOfAnyReasonChangesNothing(@ForAll long seed,
                @ForAll("shortConversations") List<Network.Step> script, @ForAll Refusal refusal,
                @ForAll @IntRange(max = 1 << 20) int pick, @ForAll @IntRange(max = Integer.MAX_VALUE - 1) int pick2)
                throws Exception {
            refusal(level(), seed, script, refusal, pick, pick2);
        }
    }

    enum Region { FRAMING, HEADER, RANDOM, BODY }

    /** {@code wire} with one bit flipped in {@code region}; {@code pick} chooses the bit uniformly in it. */
    static byte[] flipBit(byte[] wire, Region region, int pick) {
        int headerLength = ((wire[2] & 0xFF) << 8) | (wire[3] & 0xFF);
        int randomStart = 4 + headerLength;
        int bodyStart = randomStart + WireMessage.RANDOM_LENGTH + 4;
        int bit;
        switch (region) {
            case FRAMING -> {
                // version, level, header length (bytes 0..3) and body length (the 4 bytes before the body)
                int b = pick % 64;
                bit = b < 32 ? b : 8 * (bodyStart - 4) + (b - 32);
            }
            case HEADER -> bit = 8 * 4 + pick % (8 * headerLength);
            case RANDOM -> bit = 8 * randomStart + pick % (8 * WireMessage.RANDOM_LENGTH);
            default -> bit = 8 * bodyStart + pick % (8 * (wire.length - bodyStart));
        }
        byte[] f = wire.clone();
        f[bit / 8] ^= (byte) (1 << (bit % 8));
        return f;
    }

    /** Every way a message or operation can be refused. */
    enum Refusal {
        DUPLICATE_DELIVERY, TAMPERED_BODY, FOREIGN_SESSION, TRUNCATED, EXTENDED, UNKNOWN_VERSION_BYTE,
        OTHER_LEVEL_MESSAGE, LEVEL_BYTE_CHANGED, FORGED_HEADER, RESPONDER_SENDS_FIRST, STORE_FAILS_ON_DECRYPT,
        STORE_FAILS_ON_ENCRYPT, NO_SESSION_STORED
    }

    static void refusal(SecurityLevel level, long seed, List<Network.Step> script, Refusal refusal, int pick,
            int pick2) throws Exception {
        Peers peers = Peers.start(level, seed);
        Network net = new Network(peers, seed, 12, false);
        net.apply(script);
        byte[] aliceBefore;
        byte[] bobBefore;
        Set<RatchetException.Reason> expected;
        RatchetException e;
        switch (refusal) {
            case DUPLICATE_DELIVERY -> {
                if (net.delivered().isEmpty()) {
                    net.deliver(net.send(true));
                }
                Network.Msg m = net.delivered().get(pick % net.delivered().size());
                aliceBefore = peers.alice.record();
                bobBefore = peers.bob.record();
                e = net.receiver(m).refusesUnchanged(m.wire);
                expected = EnumSet.of(DUPLICATE);
            }
            case STORE_FAILS_ON_ENCRYPT -> {
                boolean fromAlice = !net.canSend(false) || pick % 2 == 0;
                Peer sender = peers.peer(fromAlice);
                aliceBefore = peers.alice.record();
                bobBefore = peers.bob.record();
                sender.store.failNextStore = true;
                e = expectRefusal(() -> sender.encrypt(new byte[] {1, 2, 3}));
                expected = EnumSet.of(STORAGE_FAILED);
            }
            case RESPONDER_SENDS_FIRST -> {
                // The rule exists above STANDARD only; once Bob has received, check it on a new session.
                Peers fresh = net.canSend(false) ? Peers.start(level, seed + 1) : peers;
                aliceBefore = peers.alice.record();
                bobBefore = peers.bob.record();
                byte[] freshBob = fresh.bob.record();
                if (!fresh.responderWaits()) {
                    assertThat(fresh.bob.encrypt(new byte[1])).isNotEmpty();
                    Statistics.label("refusal").collect(refusal, "n/a at " + level);
                    return;
                }
                e = expectRefusal(() -> fresh.bob.encrypt(new byte[1]));
                fresh.bob.assertUnchanged(freshBob, "responder's record after NOT_YET_SENDABLE");
                expected = EnumSet.of(NOT_YET_SENDABLE);
            }
            default -> {
                Network.Msg m = inFlightOrNew(net, pick);
                Peer receiver = net.receiver(m);
                byte[] wire = m.wire;
                expected = EnumSet.of(BAD_MAC);
                SessionCipher cipher = receiver.cipher;
                switch (refusal) {
                    case TAMPERED_BODY -> wire = flipBit(m.wire, Region.BODY, pick2);
                    case FOREIGN_SESSION -> {
                        // The same level, another handshake: nothing of it opens under this session's keys.
                        Peers other = Peers.start(level, (Math.floorMod(seed, Peers.HANDSHAKES) + 1) % Peers.HANDSHAKES,
                                Conversation.seeded(seed + 2), Conversation.seeded(seed + 3));
                        wire = other.alice.encrypt(m.plaintext);
                        if (!peers.responderWaits()) {
                            // A STANDARD header is a plain counter: message 0 of another session may be taken
                            // for a message this receiver has already had.
                            expected = EnumSet.of(BAD_MAC, DUPLICATE);
                        }
                    }
                    case TRUNCATED -> {
                        wire = java.util.Arrays.copyOf(m.wire, pick2 % m.wire.length);
                        expected = EnumSet.of(MALFORMED);
                    }
                    case EXTENDED -> {
                        wire = java.util.Arrays.copyOf(m.wire, m.wire.length + 1 + pick2 % 8);
                        expected = EnumSet.of(MALFORMED);
                    }
                    case UNKNOWN_VERSION_BYTE -> {
                        wire = m.wire.clone();
                        wire[0] = (byte) (3 + pick2 % 254); // 3..255 and 0: neither 2 (current) nor 1 (old)
                        expected = EnumSet.of(UNKNOWN_VERSION);
                    }
                    case OTHER_LEVEL_MESSAGE -> {
                        @SuppressWarnings("EnumOrdinal") // one of the two other levels, by the pick
                        SecurityLevel other = SecurityLevel.values()[(level.ordinal() + 1 + pick2 % 2) % 3];
                        wire = Peers.start(other, seed).alice.encrypt(m.plaintext);
                        expected = EnumSet.of(WRONG_LEVEL);
                    }
                    case LEVEL_BYTE_CHANGED -> {
                        wire = m.wire.clone();
                        int code = (level.code() + 1 + pick2 % 255) % 256;
                        wire[1] = (byte) code;
                        expected = EnumSet.of(code >= 1 && code <= 3 ? WRONG_LEVEL : MALFORMED);
                    }
                    case FORGED_HEADER -> {
                        byte[] body = new byte[16 + pick2 % 48];
                        new SplittableRandom(pick2).nextBytes(body);
                        byte[] header;
                        if (peers.responderWaits()) {
                            header = new byte[4 + pick2 % 200];
                            new SplittableRandom(pick).nextBytes(header);
                        } else {
                            // STANDARD's header is a plain n: forge one up to MAX_SKIP ahead, or beyond.
                            int ahead = pick2 % 2 == 0 ? pick2 / 2 % (RatchetLimits.MAX_SKIP + 1)
                                    : RatchetLimits.MAX_SKIP + 1 + pick2 / 2 % 1000;
                            int n = receiver.state().recvN + ahead;
                            header = new org.securep2p.crypto.StrictWriter().u32(n).toByteArray();
                            expected = EnumSet.of(ahead > RatchetLimits.MAX_SKIP ? TOO_FAR_AHEAD : BAD_MAC);
                        }
                        wire = new WireMessage(level, header, new byte[WireMessage.RANDOM_LENGTH], body).encode();
                    }
                    case STORE_FAILS_ON_DECRYPT -> {
                        receiver.store.failNextStore = true;
                        expected = EnumSet.of(STORAGE_FAILED);
                    }
                    case NO_SESSION_STORED -> {
                        cipher = new SessionCipher(receiver.store, "nobody", Conversation.seeded(seed), peers.clock);
                        expected = EnumSet.of(NO_SESSION);
                    }
                    default -> throw new AssertionError(refusal);
                }
                aliceBefore = peers.alice.record();
                bobBefore = peers.bob.record();
                SessionCipher c = cipher;
                byte[] w = wire;
                e = expectRefusal(() -> c.decrypt(w));
                assertThat(receiver.store.load("nobody")).isEmpty();
            }
        }
        assertThat(e.reason()).as(refusal + " at " + level).isIn(expected);
        peers.alice.assertUnchanged(aliceBefore, "alice's record after " + refusal);
        peers.bob.assertUnchanged(bobBefore, "bob's record after " + refusal);

        net.deliverAll(pick % 2 == 0);
        net.roundTrip(true);
        net.roundTrip(false);
        Statistics.label("refusal").collect(refusal, e.reason());
    }

    static Network.Msg inFlightOrNew(Network net, int pick) throws RatchetException {
        List<Network.Msg> f = net.inFlight();
        return f.isEmpty() ? net.send(true) : f.get(pick % f.size());
    }

    interface Call {
        byte[] run() throws RatchetException;
    }

    /** The refusal {@code call} must end in. */
    static RatchetException expectRefusal(Call call) {
        try {
            byte[] out = call.run();
            return fail("expected a refusal, got " + out.length + " bytes");
        } catch (RatchetException e) {
            return e;
        }
    }
}
