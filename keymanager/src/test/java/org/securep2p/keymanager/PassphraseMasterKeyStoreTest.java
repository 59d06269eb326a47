package org.securep2p.keymanager;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.SecretBytes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.keymanager.SealedFileTest.assertReason;

class PassphraseMasterKeyStoreTest {

    /** Argon2's minimum cost: these tests check behaviour, not strength. */
    static KdfParameters cheap(SecureRandom random) {
        return KdfParameters.fresh(64, 1, 1, random);
    }

    @TempDir
    Path temp;

    private final SecureRandom random = new SecureRandom();

    private Path keys() {
        return temp.resolve("keys");
    }

    private Path passphraseFile(String content) throws Exception {
        Path file = temp.resolve("pass-" + System.nanoTime());
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private MasterKeyStore open(Map<String, String> env, PassphraseSource explicit) throws KeyManagerException {
        return MasterKeyStores.open(keys(), env, explicit, null, FakeKeyring.unavailable(), () -> cheap(random),
                random);
    }

    @Test
    void createsThenReopensTheSameKeyWithTheRightPassphrase() throws Exception {
        Map<String, String> env = Map.of(PassphraseSource.PASSPHRASE_FILE_VARIABLE,
                passphraseFile("correct horse\n").toString());
        byte[] first;
        try (MasterKeyStore store = open(env, null); SecretBytes key = store.masterKey()) {
            assertThat(store.protection()).isEqualTo(Protection.PASSPHRASE);
            assertThat(store.isNew()).isTrue();
            assertThat(store.description()).contains("KEYRING_UNAVAILABLE").doesNotContain("correct horse");
            assertThat(key.length()).isEqualTo(32);
            first = key.copyBytes();
        }
        try (MasterKeyStore store = open(env, null); SecretBytes key = store.masterKey()) {
            assertThat(store.isNew()).isFalse();
            assertThat(key.copyBytes()).isEqualTo(first);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
                keys().resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE)))).isEqualTo("rw-------");
        SealedFileTest.assertNoTempFileIn(keys());
    }

    @Test
    void streamSourceWorksLikeAFileDescriptor() throws Exception {
        byte[] first;
        try (MasterKeyStore store = open(Map.of(), stream("fd secret lantern orbit\r\n"));
                SecretBytes key = store.masterKey()) {
            first = key.copyBytes();
        }
        try (MasterKeyStore store = open(Map.of(), stream("fd secret lantern orbit"));
                SecretBytes key = store.masterKey()) {
            assertThat(key.copyBytes()).isEqualTo(first);
        }
    }

    @Test
    void rejectsWrongPassphrase() throws Exception {
        open(Map.of(), stream("the right horse staple")).close();
        assertReason(() -> open(Map.of(), stream("the wrong horse staple")),
                KeyManagerException.Reason.WRONG_PASSPHRASE);
        // The wrapped key is still there and still opens.
        open(Map.of(), stream("the right horse staple")).close();
    }

    @Test
    void rejectsCorruptedHeader() throws Exception {
        open(Map.of(), stream("the right horse staple")).close();
        Path header = keys().resolve(PassphraseMasterKeyStore.KDF_FILE);
        byte[] original = Files.readAllBytes(header);
        for (int i = 0; i < original.length; i++) {
            byte[] bytes = original.clone();
            bytes[i] ^= 0x01;
            Files.write(header, bytes);
            KeyManagerException.Reason expected = i == KdfParameters.MAGIC.length
                    ? KeyManagerException.Reason.UNKNOWN_VERSION : KeyManagerException.Reason.CORRUPT_FILE;
            assertReason(() -> open(Map.of(), stream("the right horse staple")), expected);
            assertThat(Files.readAllBytes(header)).isEqualTo(bytes);
        }
        Files.write(header, java.util.Arrays.copyOf(original, original.length - 1));
        assertReason(() -> open(Map.of(), stream("the right horse staple")), KeyManagerException.Reason.CORRUPT_FILE);
    }

    @Test
    void rejectsMissingHeader() throws Exception {
        open(Map.of(), stream("the right horse staple")).close();
        Files.delete(keys().resolve(PassphraseMasterKeyStore.KDF_FILE));
        assertReason(() -> open(Map.of(), stream("the right horse staple")), KeyManagerException.Reason.CORRUPT_FILE);
        assertThat(keys().resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE)).exists();
    }

    @Test
    void refusesAWeakNewPassphraseFromAFileWithZxcvbnsFeedbackAndCreatesNothing() throws Exception {
        Path file = passphraseFile("password1\n");
        assertThatThrownBy(() -> open(Map.of(PassphraseSource.PASSPHRASE_FILE_VARIABLE, file.toString()), null))
                .isInstanceOf(KeyManagerException.class)
                .hasFieldOrPropertyWithValue("reason", KeyManagerException.Reason.PASSPHRASE_TOO_WEAK)
                .hasMessageContaining("too easy to guess")
                .hasMessageContaining("very common password")
                .hasMessageNotContaining("password1");
        assertThat(keys().resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE)).doesNotExist();
        assertThat(keys().resolve(PassphraseMasterKeyStore.KDF_FILE)).doesNotExist();
    }

    @Test
    void anExistingWeakPassphraseStillOpensItsKeys() throws Exception {
        // A key directory made before the strength rule, under "pw": written as create() writes one.
        KdfParameters parameters = cheap(random);
        byte[] masterKey = new byte[32];
        random.nextBytes(masterKey);
        KeyDirectory.ensure(keys());
        KeyDirectory.writeAtomically(keys().resolve(PassphraseMasterKeyStore.KDF_FILE), parameters.encode());
        try (SecretBytes wrapping = parameters.derive("pw".toCharArray())) {
            SealedFile.write(keys().resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE), PassphraseMasterKeyStore.ROLE,
                    masterKey, wrapping, random);
        }
        try (MasterKeyStore store = open(Map.of(), stream("pw")); SecretBytes key = store.masterKey()) {
            assertThat(key.copyBytes()).isEqualTo(masterKey);
        }
    }

    @Test
    void rejectsPassphraseFileReadableByOthers() throws Exception {
        Path file = passphraseFile("pw plover quartz\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertReason(() -> open(Map.of(PassphraseSource.PASSPHRASE_FILE_VARIABLE, file.toString()), null),
                KeyManagerException.Reason.PASSPHRASE_FILE_INSECURE);
        assertThat(keys().resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE)).doesNotExist();
    }

    @Test
    void rejectsEmptyPassphrase() {
        assertReason(() -> open(Map.of(), stream("\n")), KeyManagerException.Reason.PASSPHRASE_INVALID);
    }

    @Test
    void rejectsNoSourceWithPassphraseRequired() throws Exception {
        assertReason(() -> open(Map.of(), null), KeyManagerException.Reason.PASSPHRASE_REQUIRED);
        assertThat(keys().resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE)).doesNotExist();
        // Also for an existing passphrase directory, even when a keyring would be available.
        open(Map.of(), stream("the right horse staple")).close();
        assertReason(() -> MasterKeyStores.open(keys(), Map.of(), null, null, FakeKeyring.working(), () -> cheap(random),
                random), KeyManagerException.Reason.PASSPHRASE_REQUIRED);
    }

    @Test
    void lockedKeyringFallsBackToPassphraseForANewDirectory() throws Exception {
        try (MasterKeyStore store = MasterKeyStores.open(keys(), Map.of(), stream("pw plover quartz"), null,
                FakeKeyring.locked(), () -> cheap(random), random)) {
            assertThat(store.protection()).isEqualTo(Protection.PASSPHRASE);
            assertThat(store.description()).contains("KEYRING_LOCKED");
        }
    }

    @Test
    void rejectsNoSourceWhenKeyringLocked() {
        assertReason(() -> MasterKeyStores.open(keys(), Map.of(), null, null, FakeKeyring.locked(), () -> cheap(random),
                random), KeyManagerException.Reason.PASSPHRASE_REQUIRED);
    }

    @Test
    void rejectsOverlongPassphrase() {
        assertReason(() -> open(Map.of(), stream("x".repeat(KdfParameters.MAX_PASSPHRASE_BYTES + 1))),
                KeyManagerException.Reason.PASSPHRASE_INVALID);
    }

    @Test
    void rejectsMissingPassphraseFileWithPassphraseRequired() {
        assertReason(() -> open(Map.of(PassphraseSource.PASSPHRASE_FILE_VARIABLE, temp.resolve("nope").toString()),
                null), KeyManagerException.Reason.PASSPHRASE_REQUIRED);
    }

    @Test
    void setsUpAgainAfterACrashBetweenHeaderAndWrappedKey() throws Exception {
        open(Map.of(), stream("first violet anchor")).close();
        // As if the process died after writing master.kdf and before master.key.enc.
        Files.delete(keys().resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE));
        try (MasterKeyStore store = open(Map.of(), stream("second amber meadow"))) {
            assertThat(store.protection()).isEqualTo(Protection.PASSPHRASE);
        }
        open(Map.of(), stream("second amber meadow")).close();
        assertReason(() -> open(Map.of(), stream("first violet anchor")), KeyManagerException.Reason.WRONG_PASSPHRASE);
    }

    private static PassphraseSource stream(String text) {
        return PassphraseSource.fromStream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "test fd");
    }
}
