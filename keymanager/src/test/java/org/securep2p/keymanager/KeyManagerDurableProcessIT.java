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
    void refusesToStartWhenAKeyFileBesideTheMasterKeyIsMissingAndMintsNothing() throws Exception {
        Path keys = temp.resolve("keys");
        Map<String, String> env = passphraseEnvironment("correct horse battery staple");
        try (KeyManagerProcess p = KeyManagerProcess.start(temp.resolve("km"), keys, random, env)) {
            p.client().identity();
        }
        for (String name : new String[] {SealedStateVault.FILE_NAME, AppStorageKeys.FILE_NAME}) {
            Path file = keys.resolve(name);
            Path aside = temp.resolve(name + ".aside");
            Files.move(file, aside);
            assertThatThrownBy(() -> KeyManagerProcess.start(temp.resolve("km"), keys, random, env).close())
                    .as("start without " + name).isInstanceOf(IOException.class);
            assertThat(file).as(name + " is not made anew").doesNotExist();
            Files.move(aside, file);
        }
        try (KeyManagerProcess p = KeyManagerProcess.start(temp.resolve("km"), keys, random, env)) {
            p.client().identity();
        }
    }

    @Test
    void theAppsKeyManagerRefusesTheCaStorageKeyAndTheCaCommandsDerivesIt() throws Exception {
        Path keys = temp.resolve("keys");
        Map<String, String> env = passphraseEnvironment("correct horse battery staple");
        // The chat app's start (Wiring): the default role.
        try (KeyManagerProcess p = KeyManagerProcess.start(temp.resolve("km"), keys, random, env)) {
            assertThatThrownBy(() -> p.client().storageKey(KeyManagerRole.CA_PURPOSE))
                    .isInstanceOf(CryptoException.class)
                    .satisfies(e -> assertThat(((CryptoException) e).reason())
                            .isEqualTo(CryptoException.Reason.UNSUPPORTED_PARAMETER));
            p.restart();
            assertThatThrownBy(() -> p.client().storageKey(KeyManagerRole.CA_PURPOSE))
                    .as("a restarted child keeps its role").isInstanceOf(CryptoException.class);
            p.client().storageKey("conversations").close();
        }
        // securep2p ca's start.
        try (KeyManagerProcess p = KeyManagerProcess.start(temp.resolve("km"), keys, random, env,
                KeyManagerRole.CA)) {
            p.client().storageKey(KeyManagerRole.CA_PURPOSE).close();
            assertThatThrownBy(() -> p.client().storageKey("conversations")).isInstanceOf(CryptoException.class);
        }
    }

    /** What a user at the app's prompt does: answers in turn, and what the key manager asked, in order. */
    private static final class ScriptedUser implements PassphrasePrompt {
        final java.util.List<Request> asked = new java.util.ArrayList<>();
        private final java.util.Deque<String> answers;

        ScriptedUser(String... answers) {
            this.answers = new java.util.ArrayDeque<>(Arrays.asList(answers));
        }

        @Override
        public synchronized char[] ask(Request request) {
            asked.add(request);
            String next = answers.poll();
            return next == null ? null : next.toCharArray();
        }
    }

    @Test
    void asksTheAppsUserWhenThereIsNoKeyringAndNoPassphraseFile() throws Exception {
        Path keys = temp.resolve("keys");
        Map<String, String> noBus = Map.of("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + temp.resolve("no-bus"));
        ScriptedUser user = new ScriptedUser("tr0ub4dor & 3", "a typo", "tr0ub4dor & 3");
        IdentityPublicKeys identity;
        try (KeyManagerProcess p = KeyManagerProcess.start(temp.resolve("km"), keys, random, noBus, user)) {
            identity = p.client().identity();
            assertThat(user.asked).containsExactly(PassphrasePrompt.Request.NEW);
            // A restart asks again: the app keeps no copy of the passphrase. The typo costs one retry.
            p.restart();
            assertThat(p.client().identity()).isEqualTo(identity);
            assertThat(user.asked).containsExactly(PassphrasePrompt.Request.NEW, PassphrasePrompt.Request.EXISTING,
                    PassphrasePrompt.Request.RETRY);
        }
        try (java.util.stream.Stream<Path> files = Files.list(keys)) {
            for (Path f : files.toList()) {
                assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).as(f.toString())
                        .doesNotContain("tr0ub4dor");
            }
        }
        // Declining (no answer) and three wrong answers both leave the launch failing, with the files untouched.
        byte[] sealed = Files.readAllBytes(keys.resolve(SealedStateVault.FILE_NAME));
        ScriptedUser declines = new ScriptedUser();
        assertThatThrownBy(() -> KeyManagerProcess.start(temp.resolve("km2"), keys, random, noBus, declines))
                .isInstanceOf(IOException.class);
        assertThat(declines.asked).containsExactly(PassphrasePrompt.Request.EXISTING);
        ScriptedUser forgot = new ScriptedUser("a", "b", "c", "tr0ub4dor & 3");
        assertThatThrownBy(() -> KeyManagerProcess.start(temp.resolve("km3"), keys, random, noBus, forgot))
                .isInstanceOf(IOException.class);
        assertThat(forgot.asked).hasSize(3);
        assertThat(Files.readAllBytes(keys.resolve(SealedStateVault.FILE_NAME))).isEqualTo(sealed);
    }

    @Test
    void aWeakPassphraseIsRefusedFromTheAppsPromptAndFromTheFile() throws Exception {
        Path keys = temp.resolve("keys");
        Map<String, String> noBus = Map.of("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + temp.resolve("no-bus"));
        // A prompt that sends a weak answer (the app's own prompt refuses it before; the child checks anyway).
        ScriptedUser weak = new ScriptedUser("password1");
        assertThatThrownBy(() -> KeyManagerProcess.start(temp.resolve("km"), keys, random, noBus, weak))
                .isInstanceOf(IOException.class);
        assertThat(weak.asked).containsExactly(PassphrasePrompt.Request.NEW);
        assertThat(keys.resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE)).doesNotExist();
        assertThatThrownBy(() -> KeyManagerProcess.start(temp.resolve("km"), keys, random,
                passphraseEnvironment("letmein"))).isInstanceOf(IOException.class);
        assertThat(keys.resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE)).doesNotExist();
    }

    @Test
    void aChildWithoutAPromptIsNotToldItMayAsk() throws Exception {
        Map<String, String> noBus = Map.of("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + temp.resolve("no-bus"));
        // No prompt and no passphrase file: the child fails with PASSPHRASE_REQUIRED instead of waiting for an
        // answer that would never come.
        assertThatThrownBy(() -> KeyManagerProcess.start(temp.resolve("km"), temp.resolve("keys"), random, noBus))
                .isInstanceOf(IOException.class);
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
