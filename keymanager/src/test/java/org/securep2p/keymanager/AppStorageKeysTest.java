package org.securep2p.keymanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;

class AppStorageKeysTest {

    private final SecureRandom random = new SecureRandom();
    @TempDir
    Path keys;

    private SecretBytes randomKey() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return SecretBytes.copyOf(b);
    }

    @Test
    void derivesTheSameKeyAfterReopeningAndAnotherPerPurpose() throws Exception {
        try (SecretBytes master = randomKey()) {
            byte[] first;
            byte[] other;
            try (AppStorageKeys k = AppStorageKeys.openOrCreate(keys, true, master, random);
                    SecretBytes a = k.derive("conversations");
                    SecretBytes b = k.derive("outbox")) {
                first = a.copyBytes();
                other = b.copyBytes();
            }
            assertThat(first).hasSize(32).isNotEqualTo(other);
            assertThat(Files.exists(keys.resolve(AppStorageKeys.FILE_NAME))).isTrue();
            try (AppStorageKeys k = AppStorageKeys.openOrCreate(keys, false, master, random);
                    SecretBytes again = k.derive("conversations")) {
                assertThat(again.copyBytes()).isEqualTo(first);
            }
        }
    }

    @Test
    void anotherMasterKeyCannotOpenTheSecretAndLeavesItUntouched() throws Exception {
        try (SecretBytes master = randomKey(); SecretBytes wrong = randomKey()) {
            AppStorageKeys.openOrCreate(keys, true, master, random).close();
            byte[] before = Files.readAllBytes(keys.resolve(AppStorageKeys.FILE_NAME));
            assertThatThrownBy(() -> AppStorageKeys.openOrCreate(keys, false, wrong, random))
                    .isInstanceOf(KeyManagerException.class)
                    .satisfies(e -> assertThat(((KeyManagerException) e).reason())
                            .isEqualTo(KeyManagerException.Reason.CORRUPT_FILE));
            assertThat(Files.readAllBytes(keys.resolve(AppStorageKeys.FILE_NAME))).isEqualTo(before);
        }
    }

    @Test
    void rejectsPurposesOutsideTheAlphabet() throws Exception {
        try (SecretBytes master = randomKey();
                AppStorageKeys k = AppStorageKeys.openOrCreate(keys, true, master, random)) {
            for (String bad : new String[] {"", "Upper", "1digit", "with space", "a".repeat(33), "x/y"}) {
                assertThatThrownBy(() -> k.derive(bad)).isInstanceOf(CryptoException.class);
            }
        }
    }

    @Test
    void refusesAMissingSecretUnderAnExistingMasterKeyAndMakesNone() throws Exception {
        try (SecretBytes master = randomKey()) {
            assertThatThrownBy(() -> AppStorageKeys.openOrCreate(keys, false, master, random))
                    .isInstanceOf(KeyManagerException.class)
                    .hasFieldOrPropertyWithValue("reason", KeyManagerException.Reason.KEY_FILE_MISSING)
                    .hasMessageContaining(AppStorageKeys.FILE_NAME);
            assertThat(keys.resolve(AppStorageKeys.FILE_NAME)).doesNotExist();
        }
    }
}
