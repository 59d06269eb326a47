package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.SecretBytes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SealedStateVaultTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    private static SecretBytes key() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        return SecretBytes.copyOf(k);
    }

    @Test
    void storesTheStateSealedAndLoadsItBack() throws Exception {
        Path keys = dir.resolve("keys");
        byte[] state = new byte[5000];
        RANDOM.nextBytes(state);
        try (SecretBytes key = key()) {
            SealedStateVault vault = new SealedStateVault(keys, key, RANDOM);
            assertThat(vault.load()).isEmpty();
            vault.store(state);
            assertThat(vault.load()).hasValueSatisfying(v -> assertThat(v).isEqualTo(state));
            byte[] onDisk = Files.readAllBytes(keys.resolve(SealedStateVault.FILE_NAME));
            assertThat(Arrays.copyOf(onDisk, 4)).isEqualTo(SealedFile.MAGIC);
            // Nothing of the plaintext shows: not even a 16-byte run of it.
            for (int i = 0; i + 16 <= state.length; i += 16) {
                assertThat(indexOf(onDisk, Arrays.copyOfRange(state, i, i + 16))).isEqualTo(-1);
            }
        }
    }

    @Test
    void refusesTheStateUnderAnotherMasterKeyAndLeavesTheFile() throws Exception {
        Path keys = dir.resolve("keys");
        try (SecretBytes key = key(); SecretBytes other = key()) {
            new SealedStateVault(keys, key, RANDOM).store(new byte[] {1, 2, 3});
            byte[] before = Files.readAllBytes(keys.resolve(SealedStateVault.FILE_NAME));
            assertThatThrownBy(() -> new SealedStateVault(keys, other, RANDOM).load()).isInstanceOf(IOException.class)
                    .satisfies(e -> assertThat(((KeyManagerException) e.getCause()).reason())
                            .isEqualTo(KeyManagerException.Reason.CORRUPT_FILE));
            assertThat(Files.readAllBytes(keys.resolve(SealedStateVault.FILE_NAME))).isEqualTo(before);
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
