package org.securep2p.ratchet;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Skipped keys evicted beyond the limit are wiped, unless the stored state still holds them. */
class SkippedKeysTest {

    private static final byte[] OLD_CHAIN = chain(1);
    private static final byte[] NEW_CHAIN = chain(2);

    private static byte[] chain(int b) {
        byte[] c = new byte[Kdf.KEY_LENGTH];
        java.util.Arrays.fill(c, (byte) b);
        return c;
    }

    private static List<Map.Entry<SkippedKeys.Slot, MessageKey>> keys(byte[] chain, int from, int count) {
        List<Map.Entry<SkippedKeys.Slot, MessageKey>> out = new ArrayList<>();
        for (int n = from; n < from + count; n++) {
            byte[] mk = new byte[Kdf.KEY_LENGTH];
            java.util.Arrays.fill(mk, (byte) 0x5A);
            out.add(new AbstractMap.SimpleEntry<>(new SkippedKeys.Slot(new SkippedKeys.Key(chain), n),
                    new MessageKey(mk)));
        }
        return out;
    }

    /**
     * A DH step skips the rest of the old chain, then the start of the new one, in one decryption: keys the
     * second skip evicts may be ones the first derived. The stored state never held those; they are wiped at
     * once. Keys the stored state holds are left to be wiped when the new state is stored.
     */
    @Test
    void keysEvictedDuringOneDecryptionAreWipedUnlessTheStoredStateHoldsThem() {
        List<Map.Entry<SkippedKeys.Slot, MessageKey>> storedKeys = keys(OLD_CHAIN, 0, 1500);
        SkippedKeys stored = SkippedKeys.EMPTY.plus(storedKeys, SkippedKeys.EMPTY);
        List<Map.Entry<SkippedKeys.Slot, MessageKey>> firstSkip = keys(OLD_CHAIN, 1500, 500);
        SkippedKeys afterFirst = stored.plus(firstSkip, stored);
        assertThat(afterFirst.size()).isEqualTo(RatchetLimits.MAX_SKIPPED_KEYS);
        List<Map.Entry<SkippedKeys.Slot, MessageKey>> secondSkip = keys(NEW_CHAIN, 0, 1000);
        SkippedKeys afterSecond = afterFirst.plus(secondSkip, stored);

        // 1000 evicted: the 1000 oldest, all the stored state's; then 1500 more to go beyond all of them.
        assertThat(afterSecond.size()).isEqualTo(RatchetLimits.MAX_SKIPPED_KEYS);
        storedKeys.forEach(e -> assertThat(e.getValue().unsafeBytes()).as("the stored state's key").containsOnly(0x5A));
        SkippedKeys afterThird = afterSecond.plus(keys(NEW_CHAIN, 1000, 1000), stored);
        assertThat(afterThird.size()).isEqualTo(RatchetLimits.MAX_SKIPPED_KEYS);
        // Now all 500 keys of the first skip are evicted: derived in this operation, so wiped.
        firstSkip.forEach(e -> assertThat(e.getValue().unsafeBytes()).as("evicted key of the first skip").containsOnly(0));
        storedKeys.forEach(e -> assertThat(e.getValue().unsafeBytes()).as("the stored state's key").containsOnly(0x5A));
        secondSkip.forEach(e -> assertThat(e.getValue().unsafeBytes()).containsOnly(0x5A));
    }

    /** A chain's slots share one chain id, as the ratchet's do. */
    private static java.util.LinkedHashMap<SkippedKeys.Slot, MessageKey> chainKeys(SkippedKeys.Key chain, int count) {
        java.util.LinkedHashMap<SkippedKeys.Slot, MessageKey> out = new java.util.LinkedHashMap<>();
        for (int n = 0; n < count; n++) {
            byte[] mk = new byte[Kdf.KEY_LENGTH];
            java.util.Arrays.fill(mk, (byte) 0x5A);
            out.put(new SkippedKeys.Slot(chain, n), new MessageKey(mk));
        }
        return out;
    }

    /**
     * Storing a successor state wipes the keys it dropped, and a chain id once no slot of the successor uses it;
     * what the successor still holds is left whole.
     */
    @Test
    void storingASuccessorWipesWhatItDroppedAndKeepsWhatItHolds() {
        SkippedKeys.Key oldChain = new SkippedKeys.Key(OLD_CHAIN);
        SkippedKeys.Key newChain = new SkippedKeys.Key(NEW_CHAIN);
        java.util.LinkedHashMap<SkippedKeys.Slot, MessageKey> old = chainKeys(oldChain, 3);
        java.util.LinkedHashMap<SkippedKeys.Slot, MessageKey> fresh = chainKeys(newChain, 3);
        java.util.LinkedHashMap<SkippedKeys.Slot, MessageKey> all = new java.util.LinkedHashMap<>(old);
        all.putAll(fresh);
        SkippedKeys stored = SkippedKeys.of(all);

        // The successor keeps the last key of the old chain and all of the new one.
        java.util.LinkedHashMap<SkippedKeys.Slot, MessageKey> kept = new java.util.LinkedHashMap<>(fresh);
        SkippedKeys.Slot lastOld = new SkippedKeys.Slot(oldChain, 2);
        MessageKey lastOldKey = old.get(lastOld); // a wiped chain id changes the slot's hash: looked up now
        kept.put(lastOld, lastOldKey);
        stored.wipeKeysNotIn(SkippedKeys.of(kept));
        old.forEach((slot, k) -> assertThat(k.unsafeBytes()).as("old key %d", slot.n())
                .containsOnly(slot.n() == 2 ? 0x5A : 0));
        assertThat(oldChain.bytes()).as("a chain id still in use").isEqualTo(OLD_CHAIN);

        // Its successor holds the new chain only: the old chain's last key and its id go.
        SkippedKeys.of(kept).wipeKeysNotIn(SkippedKeys.of(fresh));
        assertThat(lastOldKey.unsafeBytes()).containsOnly(0);
        assertThat(oldChain.bytes()).as("a chain id no slot uses").containsOnly(0);
        fresh.values().forEach(k -> assertThat(k.unsafeBytes()).containsOnly(0x5A));
        assertThat(newChain.bytes()).isEqualTo(NEW_CHAIN);
    }
}
