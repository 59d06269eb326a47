package org.securep2p.ratchet;

import java.util.ArrayList;
import java.util.Arrays;
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
import static org.securep2p.ratchet.RatchetException.Reason.TOO_FAR_AHEAD;
import static org.securep2p.ratchet.RatchetLimits.MAX_SKIP;

/**
 * The ratchet's bounds: a message more than MAX_SKIP ahead (in its chain, in a new chain, or in the chain a new
 * chain closes) is refused as TOO_FAR_AHEAD and changes nothing; and skipped keys live only as long as their chain
 * is remembered (MAX_OLD_RECEIVING_CHAINS). The bound on the skipped keys themselves (MAX_SKIPPED_KEYS, oldest
 * evicted first, never evicted by a refused message) is {@link SkippedKeyLimits}.
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
}
