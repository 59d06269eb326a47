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
}
