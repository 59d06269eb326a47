package org.securep2p.ratchet;

import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.securep2p.crypto.SecurityLevel;

/**
 * The bound on skipped keys, against a {@link SkipModel} of the receiver: at most MAX_SKIPPED_KEYS are kept, the
 * oldest evicted first, and a refused message never evicts any.
 *
 * <p>Each try skips up to 2,800 keys, so 1,000 tries take over a minute per level. The levels are therefore three
 * classes ({@code SkippedKeyLimitsAt*Properties}) instead of three {@code @Group}s of one: surefire's forks run
 * classes side by side, never the groups of one class. Every level still runs every try.
 */
interface SkippedKeyLimits extends AtEachLevel {

    /** Four chains of 700 from Alice (one chain of 2,800 at STANDARD): 2,800 keys to skip, 2,000 to keep. */
    int CHAINS = 4;
    int CHAIN_LENGTH = 700;

    static ChainFixture manyChains(SecurityLevel level) {
        int[] alice = new int[CHAINS];
        Arrays.fill(alice, CHAIN_LENGTH);
        int[] bob = new int[CHAINS - 1];
        Arrays.fill(bob, 1);
        return ChainFixture.of(level, alice, bob);
    }

    @Provide
    default Arbitrary<List<SkipModel.Delivery>> deliveries() {
        return SkipModel.deliveries(false);
    }

    @Provide
    default Arbitrary<List<SkipModel.Delivery>> deliveriesWithTampering() {
        return SkipModel.deliveries(true);
    }

    /**
     * Over many chains with most of their messages lost or late, the receiver keeps exactly the skipped keys a
     * model predicts: every skipped message key until MAX_SKIPPED_KEYS, then the newest MAX_SKIPPED_KEYS, the
     * oldest evicted first; never more. A late message decrypts exactly when the model still holds its key, and
     * is otherwise refused without any change.
     */
    @Property
    default void skippedKeysAreBoundedAndEvictedOldestFirst(@ForAll("deliveries") List<SkipModel.Delivery> deliveries)
            throws Exception {
        SkipModel model = new SkipModel(level(), manyChains(level()));
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
    default void aRefusedMessageNeverEvictsSkippedKeys(
            @ForAll("deliveriesWithTampering") List<SkipModel.Delivery> deliveries) throws Exception {
        SkipModel model = new SkipModel(level(), manyChains(level()));
        for (SkipModel.Delivery d : deliveries) {
            model.apply(d);
        }
        Statistics.label("tampered when the skip would evict").collect(model.tamperedWhileFull > 0);
    }
}
