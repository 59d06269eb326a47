package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.OneTimePreKey;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.X25519KeyPair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The launched key manager with a key directory: the identity survives a restart, a consumed one-time prekey
 * stays consumed across it, and what lies on disk is sealed. The master key comes from a passphrase file,
 * because the child is given no session bus (so no keyring).
 */
class KeyManagerDurableProcessIT {

    @TempDir
    Path temp;

    private final SecureRandom random = new SecureRandom();

    private Map<String, String> passphraseEnvironment(String passphrase) throws IOException {
        Path file = temp.resolve("passphrase-" + passphrase.hashCode());
        Files.writeString(file, passphrase + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return Map.of(PassphraseSource.PASSPHRASE_FILE_VARIABLE, file.toString(),
                "DBUS_SESSION_BUS_ADDRESS", "unix:path=" + temp.resolve("no-bus"));
    }

    @Test
    void keepsTheIdentityAndConsumedPrekeysAcrossARestartSealedOnDisk() throws Exception {
        Path keys = temp.resolve("keys");
        Map<String, String> env = passphraseEnvironment("correct horse battery staple");
        try (KeyManagerProcess p = KeyManagerProcess.start(temp.resolve("km"), keys, random, env)) {
            IdentityPublicKeys identity = p.client().identity();
            OneTimePreKey opk = p.client().preKeyBundle().oneTimePreKey().orElseThrow();
            byte[] peer = X25519KeyPair.generate(random).publicKey();
            p.client().consumeOneTimePreKey(opk.id(), peer).close();
            byte[] storageKey;
            try (SecretBytes k = p.client().storageKey("conversations")) {
                storageKey = k.copyBytes();
            }

            p.restart();
            assertThat(p.client().identity()).isEqualTo(identity);
            try (SecretBytes k = p.client().storageKey("conversations");
                    SecretBytes other = p.client().storageKey("outbox")) {
                assertThat(k.copyBytes()).as("the app's storage key survives a restart").isEqualTo(storageKey);
                assertThat(other.copyBytes()).isNotEqualTo(storageKey);
            }
            assertThatThrownBy(() -> p.client().consumeOneTimePreKey(opk.id(), peer))
                    .isInstanceOf(CryptoException.class)
                    .satisfies(e -> assertThat(((CryptoException) e).reason())
                            .isEqualTo(CryptoException.Reason.PREKEY_ALREADY_USED));
        }
        byte[] onDisk = Files.readAllBytes(keys.resolve(SealedStateVault.FILE_NAME));
        assertThat(Arrays.copyOf(onDisk, 4)).isEqualTo(SealedFile.MAGIC);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys))).isEqualTo("rwx------");
    }

    @Test
    void refusesToServeWithTheWrongPassphrase() throws Exception {
        Path keys = temp.resolve("keys");
        try (KeyManagerProcess p = KeyManagerProcess.start(temp.resolve("km1"), keys, random,
                passphraseEnvironment("the right one"))) {
            assertThat(p.client().identity()).isNotNull();
        }
        // The child says WRONG_PASSPHRASE on stderr and exits; the launcher reports it did not serve.
        assertThatThrownBy(() -> KeyManagerProcess.start(temp.resolve("km2"), keys, random,
                passphraseEnvironment("a wrong one"))).isInstanceOf(IOException.class);
    }
}
