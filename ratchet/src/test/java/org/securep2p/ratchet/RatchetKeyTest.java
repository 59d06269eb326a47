package org.securep2p.ratchet;

import java.util.Arrays;

import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The typed ratchet keys hold 32 bytes, never print them, wipe on request and compare by value on request only. */
class RatchetKeyTest {

    private static byte[] filled(int b) {
        byte[] k = new byte[Kdf.KEY_LENGTH];
        Arrays.fill(k, (byte) b);
        return k;
    }

    @Test
    void toStringNamesTheKindAndLengthButNeverTheBytes() {
        RatchetKey[] keys = {new RootKey(filled(0xAB)), new ChainKey(filled(0xAB)), new MessageKey(filled(0xAB)),
            new HeaderKey(filled(0xAB))};
        for (RatchetKey k : keys) {
            assertThat(k.toString()).isEqualTo(k.getClass().getSimpleName() + "[32 bytes]")
                    .doesNotContainIgnoringCase("ab").doesNotContain("-85");
        }
        // A record of keys prints its keys' toString, so RootStep and ChainStep never print bytes either.
        RootStep step = new RootStep(new RootKey(filled(0xAB)), new ChainKey(filled(0xAB)), new HeaderKey(filled(0xAB)));
        assertThat(step.toString()).doesNotContain(Hex.toHexString(filled(0xAB)).substring(0, 4));
    }

    @Test
    void wipeZeroesTheBytes() {
        byte[] bytes = filled(0x5A);
        ChainKey k = new ChainKey(bytes);
        k.wipe();
        assertThat(bytes).containsOnly(0);
        RatchetKey.wipe(null); // nothing to wipe is not an error
    }

    @Test
    void equalsIsIdentityAndEqualsConstantTimeComparesTheBytes() {
        HeaderKey a = new HeaderKey(filled(1));
        HeaderKey b = new HeaderKey(filled(1));
        assertThat(a).isNotEqualTo(b);
        assertThat(a.equalsConstantTime(b)).isTrue();
        assertThat(a.equalsConstantTime(filled(1))).isTrue();
        assertThat(a.equalsConstantTime(new HeaderKey(filled(2)))).isFalse();
    }

    @Test
    void aKeyOfAnotherLengthIsRefused() {
        assertThatThrownBy(() -> new MessageKey(new byte[31])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("0, 0");
    }

    @Test
    void aCopiedMessageKeySurvivesTheOriginalsWipe() {
        MessageKey original = new MessageKey(filled(7));
        MessageKey copy = original.copy();
        original.wipe();
        assertThat(copy.unsafeBytes()).containsOnly(7);
    }
}
