package org.securep2p.ratchet;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Group;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.ratchet.RatchetLimits.KEM_REKEY_INTERVAL;
import static org.securep2p.ratchet.RatchetLimits.KEM_REKEY_MESSAGES;

/**
 * Forward secrecy and post-compromise security against an {@link Attacker} who copies the victim's whole
 * session record at a random point of a random conversation and then sees every wire message.
 *
 * <p>Which messages the attacker can read is predicted from the protocol, message by message, and checked both
 * ways (a message predicted readable must be read, so the property fails if the model of the attacker is too
 * weak): a message is out of reach exactly when its chain hangs on a victim ratchet key generated after the
 * compromise (a victim message sent under such a key, or a peer message whose peer had such a key as its
 * remote key when it sent); with every X25519 key leaked, exactly when it hangs on a victim ratchet key
 * generated at or after the victim's first KEM step since the compromise.
 */
@SuppressWarnings("ClassCanBeStatic") // jqwik runs a @Group only as an inner (non-static) class
class CompromiseProperties {

    @Group class Standard extends AtEachLevel.Standard implements Contract { }
    @Group class Enhanced extends AtEachLevel.Enhanced implements Contract { }
    @Group class QuantumResistant extends AtEachLevel.QuantumResistant implements Contract { }

    interface Contract extends AtEachLevel {

        @Provide
        default Arbitrary<List<Network.Step>> conversations() {
            return Network.scripts(40, false);
        }

        /**
         * The attacker cannot read any message the victim received before the compromise (forward secrecy);
         * it reads everything until the victim's next DH ratchet step and nothing whose chain hangs on a ratchet
         * key generated after it (post-compromise security). A conversation of at most 30 messages before and
         * after the compromise ends with three round trips from the victim, so the recovery always happens. At
         * STANDARD (a symmetric-key ratchet: forward secrecy only) the attacker reads every later message.
         */
        @Property
        default void theVictimRecoversAtItsNextDhRatchetStep(@ForAll long seed,
                @ForAll("conversations") List<Network.Step> before, @ForAll("conversations") List<Network.Step> after,
                @ForAll boolean victimIsAlice) throws Exception {
            Network net = new Network(Peers.start(level(), seed), seed, 15, false);
            net.apply(before);
            Watch watch = Watch.compromise(net, victimIsAlice, false, seed);
            net.scriptedSends = 0;
            net.apply(after);
            net.deliverAll(false);
            for (int i = 0; i < 3; i++) {
                net.roundTrip(victimIsAlice);
            }
            watch.check();
            if (level().ratchetMode() == SecurityLevel.RatchetMode.SYMMETRIC_KEY) {
                assertThat(watch.secure).as("secure messages at STANDARD").isZero();
            } else {
                assertThat(watch.secureFromVictim).as("victim messages out of reach").isPositive();
                assertThat(watch.secureToVictim).as("peer messages out of reach").isPositive();
            }
            Statistics.label("attacker read some messages after the compromise").collect(watch.readable > 0);
            Statistics.label("attacker read some messages after the compromise")
                    .coverage(c -> c.check(true).percentage(p -> p >= 80));
        }
    }

    enum Jump { NONE, SIX_DAYS, SEVEN_DAYS }

    @Provide
    Arbitrary<List<Network.Step>> conversations() {
        return Network.scripts(40, false);
    }

    /**
     * QUANTUM_RESISTANT, with every X25519 private key the victim generates after the compromise given to the
     * attacker as well (but never the victim's new ML-KEM keys nor anyone's encapsulation secrets): the
     * attacker reads everything up to the victim's next KEM step, and nothing whose chain hangs on it. (A KEM step
     * of the peer before it does not end the exposure: it encapsulates to the victim's ML-KEM key, which the
     * attacker copied; the attacker's copy decapsulates it. The statistics show how often that happens.) The
     * conversation ends with rounds of {@code burst} messages each way, optionally after a jump of the clock,
     * until that KEM step has happened and two more rounds have passed; it must come at the victim's first ratchet
     * step after KEM_REKEY_MESSAGES messages.
     */
    @Property
    void quantumResistantRecoversAtTheVictimsNextKemStepEvenIfEveryX25519KeyLeaks(@ForAll long seed,
            @ForAll("conversations") List<Network.Step> before, @ForAll("conversations") List<Network.Step> after,
            @ForAll boolean victimIsAlice, @ForAll @IntRange(min = 1, max = 12) int burst, @ForAll Jump jump)
            throws Exception {
        Network net = new Network(Peers.start(SecurityLevel.QUANTUM_RESISTANT, seed), seed, 15, false);
        net.apply(before);
        Watch watch = Watch.compromise(net, victimIsAlice, true, seed);
        net.peers.clock.advance(jump == Jump.NONE ? Duration.ZERO
                : jump == Jump.SIX_DAYS ? Duration.ofDays(6) : KEM_REKEY_INTERVAL);
        net.scriptedSends = 0;
        net.apply(after);
        net.deliverAll(false);
        int rounds = 0;
        int healedAt = -1;
        int victimMessages = 0;
        while (healedAt < 0 || rounds < healedAt + 2) {
            boolean first = net.canSend(victimIsAlice) ? victimIsAlice : !victimIsAlice;
            for (boolean side : new boolean[] {first, !first}) {
                for (int i = 0; i < burst; i++) {
                    net.deliver(net.send(side));
                    victimMessages++;
                }
            }
            rounds++;
            if (healedAt < 0 && watch.kemHealed) {
                healedAt = rounds;
            }
            // One victim ratchet step per round: the first one after KEM_REKEY_MESSAGES messages is a KEM step.
            assertThat(watch.kemHealed || victimMessages < KEM_REKEY_MESSAGES + 3 * burst)
                    .as("the victim made a KEM step by its first ratchet step after %d messages (%d handled)",
                            KEM_REKEY_MESSAGES, victimMessages).isTrue();
        }
        watch.check();
        assertThat(watch.secureFromVictim).as("victim messages out of reach").isPositive();
        assertThat(watch.secureToVictim).as("peer messages out of reach").isPositive();
        Statistics.label("attacker read some messages after the compromise").collect(watch.readable > 0);
        Statistics.label("attacker read some messages after the compromise")
                .coverage(c -> c.check(true).percentage(p -> p >= 80));
        Statistics.label("jump").collect(jump);
        Statistics.label("the peer made a KEM step first (which does not heal)")
                .collect(watch.peerKemStepsBeforeHealing > 0);
    }

    /**
     * Follows the victim and the attacker through a conversation and predicts, message by message, what the
     * attacker can read.
     */
    static final class Watch implements Network.Observer {

        final Network net;
        final boolean victimIsAlice;
        final boolean leakDh;
        final Peer victim;
        final Peer peer;
        final Attacker attacker;
        /** The victim's ratchet public keys the attacker cannot derive chains from. */
        final Set<ByteBuffer> healed = new HashSet<>();
        /** The victim ratchet key each message's chain hangs on (absent for messages sent before the compromise). */
        final Map<Network.Msg, ByteBuffer> chainKey = new HashMap<>();
        /** What the attacker made of each message it saw: the plaintext, or null. */
        final Map<Network.Msg, byte[]> read = new HashMap<>();
        boolean kemHealed;
        private byte[] victimKeyBefore;
        private byte[] peerKeyBefore;
        int peerKemStepsBeforeHealing;
        int readable;
        int secure;
        int secureFromVictim;
        int secureToVictim;

        private Watch(Network net, boolean victimIsAlice, boolean leakDh, long seed) throws RatchetException {
            this.net = net;
            this.victimIsAlice = victimIsAlice;
            this.leakDh = leakDh;
            this.victim = net.peers.peer(victimIsAlice);
            this.peer = net.peers.peer(!victimIsAlice);
            this.attacker = new Attacker(victim.record(), seed ^ 0x5DEECE66DL, net.peers.clock);
        }

        /** The compromise, now: the attacker copies the victim's record and watches from here on. */
        static Watch compromise(Network net, boolean victimIsAlice, boolean leakDh, long seed)
                throws RatchetException {
            Watch w = new Watch(net, victimIsAlice, leakDh, seed);
            // Forward secrecy: nothing the victim has received can be read from the copy.
            for (Network.Msg m : net.delivered()) {
                if (m.fromAlice != victimIsAlice) {
                    w.attacker.copy.refusesUnchanged(m.wire);
                }
            }
            net.observer = w;
            return w;
        }

        private static ByteBuffer key(byte[] k) {
            return k == null ? null : ByteBuffer.wrap(k.clone());
        }

        private byte[] victimKey() {
            SessionState s = victim.state();
            return s.dhSelf == null ? null : s.dhSelf.publicKey();
        }

        @Override
        public void sent(Network.Msg m) {
            if (m.fromAlice == victimIsAlice) {
                chainKey.put(m, key(victimKey()));
                read.put(m, attacker.readOutgoing(m.wire));
            } else {
                chainKey.put(m, key(peer.state().dhRemote));
            }
        }

        @Override
        public void beforeDelivery(Network.Msg m) {
            victimKeyBefore = victimKey();
            SessionState p = peer.state();
            peerKeyBefore = p.dhSelf == null ? null : p.dhSelf.publicKey();
        }

        @Override
        public void delivered(Network.Msg m) {
            if (m.fromAlice == victimIsAlice) {
                SessionState p = peer.state();
                if (!kemHealed && p.sendKemCiphertext != null && !Arrays.equals(p.dhSelf.publicKey(), peerKeyBefore)) {
                    // The peer's KEM step encapsulates to the victim's KEM key, which the attacker holds: no help.
                    peerKemStepsBeforeHealing++;
                }
                return;
            }
            byte[] now = victimKey();
            byte[] plant = null;
            if (now != null && !Arrays.equals(now, victimKeyBefore)) {
                // A ratchet step: the victim generated a new ratchet key pair (and maybe made a KEM step).
                SessionState s = victim.state();
                if (leakDh) {
                    kemHealed |= s.sendKemCiphertext != null;
                    plant = s.dhSelf.exportPrivateKeyForSessionRecord();
                }
                if (!leakDh || kemHealed) {
                    healed.add(key(now));
                }
            }
            read.put(m, attacker.readIncoming(m.wire, plant));
        }

        /** Every message the attacker saw after the compromise is read exactly when it is not out of reach. */
        void check() {
            for (Map.Entry<Network.Msg, byte[]> e : read.entrySet()) {
                Network.Msg m = e.getKey();
                ByteBuffer k = chainKey.get(m);
                boolean outOfReach = k != null && healed.contains(k);
                boolean fromVictim = m.fromAlice == victimIsAlice;
                if (outOfReach) {
                    assertThat(e.getValue()).as("attacker's reading of %s (%s), out of reach", m,
                            fromVictim ? "from the victim" : "to the victim").isNull();
                    secure++;
                    if (fromVictim) {
                        secureFromVictim++;
                    } else {
                        secureToVictim++;
                    }
                } else {
                    assertThat(e.getValue()).as("attacker's reading of %s (%s), within reach", m,
                            fromVictim ? "from the victim" : "to the victim").isEqualTo(m.plaintext);
                    readable++;
                }
            }
        }
    }

    // ----------------------------------------------------------------------------------------------------------

    /**
     * One turn of the KEM-policy conversation: the clock moves, then one side sends a burst, all delivered (newest
     * first if so told); or, in a ping-pong turn, the sides take turns sending {@code burst} single messages, so
     * that every message is a ratchet step and the message count meets the bound exactly.
     */
    record Turn(boolean alice, int burst, Duration advance, boolean newestFirst, boolean pingPong) {
        @Override
        public String toString() {
            return (pingPong ? "ping-pong " : alice ? "A" : "B") + "x" + burst
                    + (advance.isZero() ? "" : "+" + advance) + (newestFirst && !pingPong ? " rev" : "");
        }
    }

    @Provide
    Arbitrary<List<Turn>> turns() {
        Arbitrary<Duration> advance = Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.just(Duration.ZERO)),
                Tuple.of(2, Arbitraries.just(Duration.ofHours(1))),
                Tuple.of(2, Arbitraries.just(Duration.ofDays(3))),
                Tuple.of(2, Arbitraries.just(KEM_REKEY_INTERVAL.minusSeconds(1))),
                Tuple.of(2, Arbitraries.just(KEM_REKEY_INTERVAL)),
                Tuple.of(1, Arbitraries.just(Duration.ofDays(30))));
        Arbitrary<Integer> burst = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.integers().between(1, 3)),
                Tuple.of(3, Arbitraries.integers().between(4, 20)), Tuple.of(1, Arbitraries.integers().between(21, 60)));
        return Combinators.combine(Arbitraries.of(true, false), burst, advance, Arbitraries.of(false, true),
                Arbitraries.frequency(Tuple.of(3, false), Tuple.of(1, true)))
                .as(Turn::new).list().ofMinSize(1).ofMaxSize(14);
    }

    /**
     * The KEM policy at QUANTUM_RESISTANT: a party's ratchet step is a KEM step exactly when it is the party's
     * first, when the party has handled (sent or accepted) at least KEM_REKEY_MESSAGES messages since its last
     * KEM step, or when at least KEM_REKEY_INTERVAL has passed since it; so a KEM step comes at the first ratchet
     * step after either bound, and never more often.
     */
    @Property
    void aKemStepComesAfterKemRekeyMessagesOrKemRekeyInterval(@ForAll long seed,
            @ForAll("turns") List<Turn> turns) throws Exception {
        Peers peers = Peers.start(SecurityLevel.QUANTUM_RESISTANT, seed);
        Network net = new Network(peers, seed, Integer.MAX_VALUE, false);
        KemPolicy alice = new KemPolicy(peers.alice, peers.clock);
        KemPolicy bob = new KemPolicy(peers.bob, peers.clock);
        for (Turn t : turns) {
            peers.clock.advance(t.advance());
            boolean fromAlice = net.canSend(t.alice()) ? t.alice() : true;
            for (int turn = 0; turn < (t.pingPong() ? t.burst() : 1); turn++) {
                KemPolicy sender = fromAlice ? alice : bob;
                KemPolicy receiver = fromAlice ? bob : alice;
                List<Network.Msg> burst = new ArrayList<>();
                for (int i = 0; i < (t.pingPong() ? 1 : t.burst()); i++) {
                    burst.add(net.send(fromAlice));
                    sender.sent();
                }
                if (t.newestFirst()) {
                    java.util.Collections.reverse(burst);
                }
                for (Network.Msg m : burst) {
                    receiver.beforeReceive();
                    net.deliver(m);
                    receiver.received();
                }
                fromAlice = !fromAlice;
            }
        }
        for (KemPolicy p : new KemPolicy[] {alice, bob}) {
            p.triggers.forEach(trigger -> Statistics.label("KEM step because").collect(trigger));
        }
        Statistics.label("KEM step because").coverage(c -> {
            c.checkQuery(v -> v.get(0).toString().startsWith("messages")).percentage(p -> p >= 5);
            c.check("messages (exactly the bound)").percentage(p -> p >= 1);
            c.check("interval").percentage(p -> p >= 5);
        });
    }

    /** One party's KEM policy, predicted from what it handled and when. */
    static final class KemPolicy {
        final Peer party;
        final MutableClock clock;
        long lastKemAt = -1;
        int sinceKem;
        byte[] keyBefore;
        final List<String> triggers = new ArrayList<>();

        KemPolicy(Peer party, MutableClock clock) {
            this.party = party;
            this.clock = clock;
        }

        void sent() {
            sinceKem++;
        }

        void beforeReceive() {
            SessionState s = party.state();
            keyBefore = s.dhSelf == null ? null : s.dhSelf.publicKey();
        }

        void received() {
            SessionState s = party.state();
            if (!Arrays.equals(s.dhSelf.publicKey(), keyBefore)) {
                long now = clock.instant().getEpochSecond();
                boolean byMessages = sinceKem >= KEM_REKEY_MESSAGES;
                boolean byTime = lastKemAt >= 0 && now - lastKemAt >= KEM_REKEY_INTERVAL.toSeconds();
                boolean due = lastKemAt < 0 || byMessages || byTime;
                boolean kemStep = s.sendKemCiphertext != null;
                assertThat(kemStep).as("%s's ratchet step after %d messages and %d s since its last KEM step is a"
                        + " KEM step", party.name, sinceKem, lastKemAt < 0 ? -1 : now - lastKemAt).isEqualTo(due);
                if (kemStep) {
                    triggers.add(lastKemAt < 0 ? "first" : byMessages ? sinceKem == KEM_REKEY_MESSAGES
                            ? "messages (exactly the bound)" : "messages" : "interval");
                    lastKemAt = now;
                    sinceKem = 0;
                }
            }
            sinceKem++;
        }
    }
}
