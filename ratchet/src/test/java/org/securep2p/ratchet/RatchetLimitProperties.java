package org.securep2p.ratchet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;

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
import static org.securep2p.ratchet.RatchetException.Reason.BAD_MAC;
import static org.securep2p.ratchet.RatchetException.Reason.TOO_FAR_AHEAD;
import static org.securep2p.ratchet.RatchetLimits.MAX_SKIP;
import static org.securep2p.ratchet.RatchetLimits.MAX_SKIPPED_KEYS;

/**
 * The ratchet's bounds: a message more than MAX_SKIP ahead (in its chain, in a new chain, or in the chain a new
 * chain closes) is refused as TOO_FAR_AHEAD and changes nothing; at most MAX_SKIPPED_KEYS skipped keys are kept,
 * the oldest evicted first; a refused message changes nothing even where accepting it would have evicted skipped
 * keys; and skipped keys live only as long as their chain is remembered (MAX_OLD_RECEIVING_CHAINS).
 *
 * <p>The chains come from a {@link ChainFixture} built once per level, so a try only decrypts. Every property
 * runs its tries at each level it applies to.
 */
@SuppressWarnings("ClassCanBeStatic") // jqwik runs a @Group only as an inner (non-static) class
class RatchetLimitProperties {

    @Group class Standard extends AtEachLevel.Standard implements Contract { }
    @Group class Enhanced extends AtEachLevel.Enhanced implements Contract { }
    @Group class QuantumResistant extends AtEachLevel.QuantumResistant implements Contract { }

    /** Where the far message is: ahead in the receiver's chain, ahead in a new chain, or closing a long chain. */
    enum Scenario { CURRENT_CHAIN, NEW_CHAIN, PREVIOUS_CHAIN }

    /** A1 long enough to be MAX_SKIP + 100 ahead; B1 to be MAX_SKIP + 30 ahead in a new chain; A2 one message. */
    static ChainFixture far(SecurityLevel level) {
        return ChainFixture.of(level, new int[] {MAX_SKIP + 150, 1}, new int[] {MAX_SKIP + 30});
    }

    /** Four chains of 700 from Alice (one chain of 2,800 at STANDARD): 2,800 keys to skip, 2,000 to keep. */
    static final int CHAINS = 4;
    static final int CHAIN_LENGTH = 700;

    static ChainFixture manyChains(SecurityLevel level) {
        int[] alice = new int[CHAINS];
        Arrays.fill(alice, CHAIN_LENGTH);
        int[] bob = new int[CHAINS - 1];
        Arrays.fill(bob, 1);
        return ChainFixture.of(level, alice, bob);
    }

    interface Contract extends AtEachLevel {

        /**
         * A message {@code MAX_SKIP + beyond} ahead is decrypted when {@code beyond <= 0} and otherwise refused as
         * TOO_FAR_AHEAD with the record unchanged, after which the next genuine message decrypts. "Ahead" is
         * counted from the receiver's next expected message: in its current chain (after it has received
         * message {@code before}, or nothing), in a chain it has not started (a new chain's n), or in the chain
         * a new chain's PN closes. STANDARD has one chain each way, so only the first applies there.
         */
        @Property
        default void aMessageMoreThanMaxSkipAheadIsRefusedAndChangesNothing(@ForAll Scenario scenario,
                @ForAll @IntRange(min = -1, max = 100) int before, @ForAll @IntRange(min = -3, max = 29) int beyond)
                throws Exception {
            SecurityLevel level = level();
            ChainFixture f = far(level);
            MutableClock clock = ChainFixture.clock();
            if (level.ratchetMode() == SecurityLevel.RatchetMode.SYMMETRIC_KEY) {
                scenario = Scenario.CURRENT_CHAIN;
            }
            List<byte[]> a1 = f.aliceChains.get(0);
            Peer receiver;
            byte[] far;
            byte[] farPlaintext;
            byte[] next;
            byte[] nextPlaintext;
            switch (scenario) {
                case CURRENT_CHAIN -> {
                    receiver = f.bob(clock);
                    int recvN = 0;
                    if (before >= 0) {
                        assertThat(receiver.decrypt(a1.get(before))).isEqualTo(ChainFixture.plaintext(0, before));
                        recvN = before + 1;
                    }
                    int n = recvN + MAX_SKIP + beyond;
                    far = a1.get(n);
                    farPlaintext = ChainFixture.plaintext(0, n);
                    next = a1.get(recvN);
                    nextPlaintext = ChainFixture.plaintext(0, recvN);
                }
                case NEW_CHAIN -> {
                    receiver = f.aliceAfterA1(clock);
                    int n = MAX_SKIP + beyond;
                    far = f.bobChains.get(0).get(n);
                    farPlaintext = ChainFixture.plaintext(100, n);
                    next = f.bobChains.get(0).get(0);
                    nextPlaintext = ChainFixture.plaintext(100, 0);
                }
                default -> {
                    // Bob's first message from A1 is j; A2's PN (A1's length) is then MAX_SKIP + beyond ahead.
                    receiver = f.bob(clock);
                    int j = a1.size() - 1 - MAX_SKIP - beyond;
                    assertThat(receiver.decrypt(a1.get(j))).isEqualTo(ChainFixture.plaintext(0, j));
                    far = f.aliceChains.get(1).get(0);
                    farPlaintext = ChainFixture.plaintext(1, 0);
                    next = a1.get(j + 1);
                    nextPlaintext = ChainFixture.plaintext(0, j + 1);
                }
            }
            if (beyond > 0) {
                RatchetException e = receiver.refusesUnchanged(far);
                assertThat(e.reason()).as(scenario + ", " + beyond + " beyond MAX_SKIP").isEqualTo(TOO_FAR_AHEAD);
                assertThat(receiver.decrypt(next)).isEqualTo(nextPlaintext);
            } else {
                assertThat(receiver.decrypt(far)).as(scenario + ", exactly MAX_SKIP%+d ahead", beyond)
                        .isEqualTo(farPlaintext);
            }
            Statistics.label("scenario").collect(scenario, beyond > 0 ? "refused" : "accepted");
        }
    }

    @Provide
    Arbitrary<List<SkipModel.Delivery>> deliveries() {
        return SkipModel.deliveries(false);
    }

    @Provide
    Arbitrary<List<SkipModel.Delivery>> deliveriesWithTampering() {
        return SkipModel.deliveries(true);
    }

    /*
     * The next properties skip up to 2,800 keys per try (about 15 ms of HMACs) or step through 24 chains, so they
     * draw the level rather than run their tries at each: 1,000 tries in all, each level getting about a third
     * (half each for the double ratchet only property). At each level they would add about a minute.
     */

    /**
     * Over many chains with most of their messages lost or late, the receiver keeps exactly the skipped keys a
     * model predicts: every skipped message key until MAX_SKIPPED_KEYS, then the newest MAX_SKIPPED_KEYS, the
     * oldest evicted first; never more. A late message decrypts exactly when the model still holds its key, and
     * is otherwise refused without any change.
     */
    @Property
    void skippedKeysAreBoundedAndEvictedOldestFirstAtStandard(
            @ForAll("deliveries") List<SkipModel.Delivery> deliveries) throws Exception {
        skippedKeysAreBoundedAndEvictedOldestFirst(SecurityLevel.STANDARD, deliveries);
    }

    @Property
    void skippedKeysAreBoundedAndEvictedOldestFirstAtEnhanced(
            @ForAll("deliveries") List<SkipModel.Delivery> deliveries) throws Exception {
        skippedKeysAreBoundedAndEvictedOldestFirst(SecurityLevel.ENHANCED, deliveries);
    }

    @Property
    void skippedKeysAreBoundedAndEvictedOldestFirstAtQuantumResistant(
            @ForAll("deliveries") List<SkipModel.Delivery> deliveries) throws Exception {
        skippedKeysAreBoundedAndEvictedOldestFirst(SecurityLevel.QUANTUM_RESISTANT, deliveries);
    }

    private static void skippedKeysAreBoundedAndEvictedOldestFirst(SecurityLevel level,
            List<SkipModel.Delivery> deliveries) throws Exception {
        SkipModel model = new SkipModel(level, manyChains(level));
        for (SkipModel.Delivery d : deliveries) {
            model.apply(d);
        }
        Statistics.label("evicted").collect(model.evicted == 0 ? "none" : model.evicted < 500 ? "<500" : ">=500");
        Statistics.label("evicted").coverage(c -> c.check(">=500").percentage(p -> p >= 20));
    }

    /**
     * A tampered message (one body bit flipped) whose header would make the receiver skip keys is refused as
     * BAD_MAC, and the stored record is byte-for-byte unchanged, including when those skips would have evicted
     * the oldest skipped keys: the session is all-or-nothing, and the keys of late messages survive an
     * attacker's forgeries.
     */
    @Property
    void aRefusedMessageNeverEvictsSkippedKeysAtStandard(
            @ForAll("deliveriesWithTampering") List<SkipModel.Delivery> deliveries) throws Exception {
        aRefusedMessageNeverEvictsSkippedKeys(SecurityLevel.STANDARD, deliveries);
    }

    @Property
    void aRefusedMessageNeverEvictsSkippedKeysAtEnhanced(
            @ForAll("deliveriesWithTampering") List<SkipModel.Delivery> deliveries) throws Exception {
        aRefusedMessageNeverEvictsSkippedKeys(SecurityLevel.ENHANCED, deliveries);
    }

    @Property
    void aRefusedMessageNeverEvictsSkippedKeysAtQuantumResistant(
            @ForAll("deliveriesWithTampering") List<SkipModel.Delivery> deliveries) throws Exception {
        aRefusedMessageNeverEvictsSkippedKeys(SecurityLevel.QUANTUM_RESISTANT, deliveries);
    }

    private static void aRefusedMessageNeverEvictsSkippedKeys(SecurityLevel level,
            List<SkipModel.Delivery> deliveries) throws Exception {
        SkipModel model = new SkipModel(level, manyChains(level));
        for (SkipModel.Delivery d : deliveries) {
            model.apply(d);
        }
        Statistics.label("tampered when the skip would evict").collect(model.tamperedWhileFull > 0);
    }

    /** Twenty-four short chains from Alice, each answered by one message from Bob. */
    static final int SHORT_CHAINS = 24;
    static final int SHORT_CHAIN_LENGTH = 3;

    static ChainFixture shortChains(SecurityLevel level) {
        int[] alice = new int[SHORT_CHAINS];
        Arrays.fill(alice, SHORT_CHAIN_LENGTH);
        int[] bob = new int[SHORT_CHAINS - 1];
        Arrays.fill(bob, 1);
        return ChainFixture.of(level, alice, bob);
    }

    /** What Bob does with one of Alice's short chains: its first message, maybe a second, maybe a late one. */
    record ChainPlan(int first, boolean second, int late) {
        @Override
        public String toString() {
            return first + (second ? "+" : "") + (late >= 0 ? " late#" + late : "");
        }
    }

    @Provide
    Arbitrary<List<ChainPlan>> chainPlans() {
        Arbitrary<Integer> late = Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(-1)),
                Tuple.of(1, Arbitraries.integers().between(0, 1 << 20)));
        return Combinators.combine(Arbitraries.integers().between(0, SHORT_CHAIN_LENGTH - 1), Arbitraries.of(false, true),
                late).as(ChainPlan::new).list().ofSize(SHORT_CHAINS);
    }

    /**
     * Receiving chains are remembered for MAX_OLD_RECEIVING_CHAINS ratchet steps, "for skipped keys and to
     * recognise duplicates" ({@link RatchetLimits}). Over {@value #SHORT_CHAINS} short chains with lost and late
     * messages, the skipped-key store holds only keys the session can still use (each belongs to the current
     * receiving chain or to one of the remembered ones, under that chain's header key), a late message decrypts
     * exactly when its chain is still remembered, and is otherwise refused without any change. (The double
     * ratchet only: STANDARD has one receiving chain.)
     */
    @Property
    void skippedKeysOfForgottenChainsAreDroppedAtEnhanced(@ForAll("chainPlans") List<ChainPlan> plans)
            throws Exception {
        skippedKeysOfForgottenChainsAreDropped(SecurityLevel.ENHANCED, plans);
    }

    @Property
    void skippedKeysOfForgottenChainsAreDroppedAtQuantumResistant(@ForAll("chainPlans") List<ChainPlan> plans)
            throws Exception {
        skippedKeysOfForgottenChainsAreDropped(SecurityLevel.QUANTUM_RESISTANT, plans);
    }

    private static void skippedKeysOfForgottenChainsAreDropped(SecurityLevel level, List<ChainPlan> plans)
            throws Exception {
        ChainFixture f = shortChains(level);
        Peer bob = f.bob(ChainFixture.clock());
        boolean[][] received = new boolean[SHORT_CHAINS][SHORT_CHAIN_LENGTH];
        byte[][] headerKeys = new byte[SHORT_CHAINS][];
        // At QUANTUM_RESISTANT Bob must stay below KEM_REKEY_MESSAGES between ratchet steps to make the
        // fixture's KEM decisions: at most 45 deliveries, one per chain reserved for its first message.
        int budget = 45 - SHORT_CHAINS;
        int lateAccepted = 0;
        int lateRefused = 0;
        for (int c = 0; c < SHORT_CHAINS; c++) {
            ChainPlan plan = plans.get(c);
            List<Integer> forward = new ArrayList<>(List.of(plan.first()));
            if (plan.second() && plan.first() + 1 < SHORT_CHAIN_LENGTH && budget > 0) {
                forward.add(plan.first() + 1);
                budget--;
            }
            for (int n : forward) {
                assertThat(bob.decrypt(f.aliceChains.get(c).get(n))).isEqualTo(ChainFixture.plaintext(c, n));
                received[c][n] = true;
            }
            headerKeys[c] = bob.state().recvHeaderKey.unsafeBytes().clone();
            if (plan.late() >= 0 && budget > 0) {
                int lc = plan.late() % (c + 1);
                int ln = plan.late() / (c + 1) % SHORT_CHAIN_LENGTH;
                boolean remembered = lc >= c - RatchetLimits.MAX_OLD_RECEIVING_CHAINS;
                boolean behind = lc < c || ln < forward.get(forward.size() - 1);
                if (behind) {
                    byte[] wire = f.aliceChains.get(lc).get(ln);
                    if (remembered && !received[lc][ln]) {
                        assertThat(bob.decrypt(wire)).as("late message %d of chain %d, %d chains back", ln, lc, c - lc)
                                .isEqualTo(ChainFixture.plaintext(lc, ln));
                        received[lc][ln] = true;
                        budget--;
                        lateAccepted++;
                    } else {
                        bob.refusesUnchanged(wire);
                        lateRefused++;
                    }
                }
            }
            // Every skipped key is under the header key of the current chain or of a remembered one.
            SessionState s = bob.state();
            for (SkippedKeys.Slot slot : s.skipped.entries().keySet()) {
                byte[] id = slot.chain().bytes();
                int chain = -1;
                for (int k = Math.max(0, c - RatchetLimits.MAX_OLD_RECEIVING_CHAINS); k <= c; k++) {
                    if (Arrays.equals(id, headerKeys[k])) {
                        chain = k;
                    }
                }
                if (chain < 0) {
                    throw new AssertionError("after chain " + c + ", a skipped key (message " + slot.n()
                            + ") is under no remembered header key; its chain id is "
                            + (Arrays.equals(id, new byte[id.length]) ? "all zero bytes" : "another key")
                            + " (" + s.skipped.size() + " skipped keys, " + s.oldRecvHeaderKeys.size()
                            + " old header keys)");
                }
            }
        }
        Statistics.label("late messages").collect(lateAccepted > 0 ? "some accepted" : "none accepted",
                lateRefused > 0 ? "some refused" : "none refused");
    }

    /**
     * Bob receiving a {@link ChainFixture}'s chains in order, with a model of his skipped keys: the slots
     * {@code (chain, n)} in the order they were skipped.
     */
    static final class SkipModel {

        enum Kind { SAME_CHAIN, NEXT_CHAIN, LATE, TAMPERED }

        record Delivery(Kind kind, int pick) {
            @Override
            public String toString() {
                return kind + "#" + pick;
            }
        }

        static Arbitrary<List<Delivery>> deliveries(boolean tampering) {
            Arbitrary<Kind> kinds = tampering
                    ? Arbitraries.frequency(Tuple.of(3, Kind.SAME_CHAIN), Tuple.of(3, Kind.NEXT_CHAIN),
                            Tuple.of(2, Kind.LATE), Tuple.of(3, Kind.TAMPERED))
                    : Arbitraries.frequency(Tuple.of(3, Kind.SAME_CHAIN), Tuple.of(3, Kind.NEXT_CHAIN),
                            Tuple.of(4, Kind.LATE));
            // At most 30 deliveries: at QUANTUM_RESISTANT Bob then never reaches KEM_REKEY_MESSAGES between
            // ratchet steps, so he makes the fixture's KEM decisions.
            return Combinators.combine(kinds, Arbitraries.integers().between(0, 1 << 24)).as(Delivery::new).list()
                    .ofMinSize(1).ofMaxSize(30);
        }

        final SecurityLevel level;
        final ChainFixture fixture;
        final boolean symmetric;
        final Peer bob;
        /** Decrypts the tampered messages, so that their refusal leaves Bob's seeded stream where it was. */
        final SessionCipher throwaway;
        /** Chain lengths as Bob sees them (STANDARD: one chain). */
        final int chains;
        final int length;
        final byte[][] chainIds;
        final LinkedHashSet<Long> skipped = new LinkedHashSet<>();
        int chain = -1;
        int recvN;
        int evicted;
        int tamperedWhileFull;

        SkipModel(SecurityLevel level, ChainFixture fixture) throws RatchetException {
            this.level = level;
            this.fixture = fixture;
            this.symmetric = level.ratchetMode() == SecurityLevel.RatchetMode.SYMMETRIC_KEY;
            MutableClock clock = ChainFixture.clock();
            this.bob = fixture.bob(clock);
            this.chains = fixture.aliceChains.size();
            this.length = fixture.aliceChains.get(0).size();
            this.chainIds = new byte[chains][];
            this.throwaway = new SessionCipher(bob.store, Peer.SESSION, Conversation.seeded(-1), clock);
        }

        static long slot(int chain, int n) {
            return (long) chain << 32 | n;
        }

        void apply(Delivery d) throws RatchetException {
            Kind kind = d.kind();
            int pick = d.pick();
            boolean canSame = chain >= 0 && recvN < length;
            boolean canNext = symmetric ? recvN < length : chain < chains - 1;
            if ((kind == Kind.SAME_CHAIN && !canSame) || (kind == Kind.NEXT_CHAIN && !canNext)) {
                kind = canSame || canNext ? Kind.valueOf(canNext ? "NEXT_CHAIN" : "SAME_CHAIN") : Kind.LATE;
            }
            if (kind == Kind.TAMPERED && !canSame && !canNext) {
                kind = Kind.LATE;
            }
            if (kind == Kind.LATE) {
                late(pick);
            } else {
                forward(kind, pick);
            }
            check();
        }

        /** A message ahead of Bob: in his chain, or (above STANDARD) the next chain; tampered if so told. */
        private void forward(Kind kind, int pick) throws RatchetException {
            boolean tamper = kind == Kind.TAMPERED;
            boolean next = kind == Kind.NEXT_CHAIN || (tamper && (pick % 2 == 0 ? chain < chains - 1 && !symmetric
                    : !(chain >= 0 && recvN < length)));
            if (tamper) {
                pick /= 2;
            }
            int c;
            int n;
            List<Long> newlySkipped = new ArrayList<>();
            if (symmetric) {
                c = 0;
                int room = Math.min(length - recvN, MAX_SKIP + 1);
                n = next ? recvN + room - 1 - (pick % Math.min(room, 100)) : recvN + (pick % room);
                for (int i = recvN; i < n; i++) {
                    newlySkipped.add(slot(0, i));
                }
            } else if (next) {
                c = chain + 1;
                n = pick % length;
                if (chain >= 0) {
                    for (int i = recvN; i < length; i++) {
                        newlySkipped.add(slot(chain, i));
                    }
                }
                for (int i = 0; i < n; i++) {
                    newlySkipped.add(slot(c, i));
                }
            } else {
                c = chain;
                n = recvN + pick % (length - recvN);
                for (int i = recvN; i < n; i++) {
                    newlySkipped.add(slot(c, i));
                }
            }
            byte[] wire = fixture.aliceChains.get(c).get(n);
            if (tamper) {
                if (skipped.size() + newlySkipped.size() > MAX_SKIPPED_KEYS) {
                    tamperedWhileFull++;
                }
                byte[] flipped = RatchetProperties.flipBit(wire, RatchetProperties.Region.BODY, pick);
                RatchetException e = bob.refusesUnchanged(flipped, throwaway);
                assertThat(e.reason()).isEqualTo(BAD_MAC);
                return;
            }
            assertThat(bob.decrypt(wire)).as("message %d of chain %d", n, c).isEqualTo(ChainFixture.plaintext(c, n));
            skipped.addAll(newlySkipped);
            while (skipped.size() > MAX_SKIPPED_KEYS) {
                skipped.remove(skipped.iterator().next());
                evicted++;
            }
            if (c != chain) {
                chain = c;
                chainIds[c] = symmetric ? new byte[Kdf.KEY_LENGTH] : bob.state().recvHeaderKey.unsafeBytes().clone();
            }
            recvN = n + 1;
        }

        /** A message behind Bob: decrypted if the model holds its key, else refused with nothing changed. */
        private void late(int pick) throws RatchetException {
            if (chain < 0) {
                return;
            }
            long s;
            if (pick % 2 == 0 && !skipped.isEmpty()) {
                java.util.Iterator<Long> it = skipped.iterator();
                for (int i = pick / 2 % skipped.size(); i > 0; i--) {
                    it.next();
                }
                s = it.next();
            } else {
                int c = pick / 2 % (chain + 1);
                int behind = c < chain ? length : recvN;
                s = slot(c, pick / 2 / (chain + 1) % behind);
            }
            int c = (int) (s >>> 32);
            int n = (int) s;
            byte[] wire = fixture.aliceChains.get(c).get(n);
            if (skipped.remove(s)) {
                assertThat(bob.decrypt(wire)).as("late message %d of chain %d", n, c)
                        .isEqualTo(ChainFixture.plaintext(c, n));
            } else {
                bob.refusesUnchanged(wire);
            }
        }

        /** Bob's skipped keys are the model's, in the model's order, and never more than MAX_SKIPPED_KEYS. */
        private void check() {
            SessionState s = bob.state();
            assertThat(s.skipped.size()).isLessThanOrEqualTo(MAX_SKIPPED_KEYS).isEqualTo(skipped.size());
            java.util.Iterator<Long> expected = skipped.iterator();
            int i = 0;
            for (SkippedKeys.Slot slot : s.skipped.entries().keySet()) {
                long e = expected.next();
                int c = (int) (e >>> 32);
                if (slot.n() != (int) e || !Arrays.equals(slot.chain().bytes(), chainIds[c])) {
                    throw new AssertionError("skipped key " + i + " (oldest first) is message " + slot.n()
                            + " of another chain or number; the model has message " + (int) e + " of chain " + c);
                }
                i++;
            }
        }
    }
}
