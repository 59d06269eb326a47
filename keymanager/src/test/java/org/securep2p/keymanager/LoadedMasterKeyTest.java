package org.securep2p.keymanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.SecretBytes;

class LoadedMasterKeyTest {

    /** The smallest store: the shared part alone. */
    private static final class Held extends LoadedMasterKey {
        Held(SecretBytes key, String description, boolean isNew) {
            super(key, description, isNew);
        }

        @Override
        public Protection protection() {
            return Protection.PASSPHRASE;
        }
    }

    private static byte[] key() {
        byte[] k = new byte[MasterKeyStore.MASTER_KEY_LENGTH];
        Arrays.fill(k, (byte) 0x5A);
        return k;
    }

    @Test
    void everyCopyIsIndependentAndOutlivesItsSiblings() {
        try (Held loaded = new Held(SecretBytes.copyOf(key()), "test", true)) {
            SecretBytes first = loaded.masterKey();
            first.close();
            try (SecretBytes second = loaded.masterKey()) {
                assertThat(second.copyBytes()).isEqualTo(key());
            }
        }
    }

    @Test
    void closingWipesTheKeySoNoCopyIsHandedOutAfterwards() {
        Held loaded = new Held(SecretBytes.copyOf(key()), "test", false);
        loaded.close();
        assertThatThrownBy(loaded::masterKey).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void toStringShowsTheDescriptionNeverTheKey() {
        try (Held loaded = new Held(SecretBytes.copyOf(key()), "passphrase (test)", false)) {
            assertThat(loaded.toString()).contains("passphrase (test)").doesNotContain("5A").doesNotContain("5a")
                    .doesNotContain("Wlpa");
            assertThat(loaded.isNew()).isFalse();
        }
    }
}
