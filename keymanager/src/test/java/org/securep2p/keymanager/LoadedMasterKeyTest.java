package org.securep2p.keymanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.SecretBytes;

class LoadedMasterKeyTest {

    private static byte[] key() {
        byte[] k = new byte[MasterKeyStore.MASTER_KEY_LENGTH];
        Arrays.fill(k, (byte) 0x5A);
        return k;
    }

    @Test
    void everyCopyIsIndependentAndOutlivesItsSiblings() {
        try (LoadedMasterKey loaded = new LoadedMasterKey(SecretBytes.copyOf(key()), "test", true)) {
            SecretBytes first = loaded.copy();
            first.close();
            try (SecretBytes second = loaded.copy()) {
                assertThat(second.copyBytes()).isEqualTo(key());
            }
        }
    }

    @Test
    void closingWipesTheKeySoNoCopyIsHandedOutAfterwards() {
        LoadedMasterKey loaded = new LoadedMasterKey(SecretBytes.copyOf(key()), "test", false);
        loaded.close();
        assertThatThrownBy(loaded::copy).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void toStringShowsTheDescriptionNeverTheKey() {
        try (LoadedMasterKey loaded = new LoadedMasterKey(SecretBytes.copyOf(key()), "passphrase (test)", false)) {
            assertThat(loaded.toString()).contains("passphrase (test)").doesNotContain("5A").doesNotContain("5a")
                    .doesNotContain("Wlpa");
            assertThat(loaded.isNew()).isFalse();
        }
    }
}
