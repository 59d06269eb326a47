package org.securep2p.keymanager;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.SecretBytes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.keymanager.SealedFileTest.assertReason;

/** The selection order and the keyring marker, against an in-memory keyring. */
class MasterKeyStoresTest {

    @TempDir
    Path temp;

    private final SecureRandom random = new SecureRandom();

    private MasterKeyStore open(MasterKeyStores.KeyringOpener keyring) throws KeyManagerException {
        return MasterKeyStores.open(temp.resolve("keys"), Map.of(), null, null, keyring,
                () -> PassphraseMasterKeyStoreTest.cheap(random), random);
    }

    @Test
    void prefersTheKeyringAndReopensTheSameKey() throws Exception {
        MasterKeyStores.KeyringOpener keyring = FakeKeyring.working();
        byte[] first;
        try (MasterKeyStore store = open(keyring); SecretBytes key = store.masterKey()) {
            assertThat(store.protection()).isEqualTo(Protection.OS_KEYRING);
            assertThat(store.description()).contains("securep2p/master-key:");
            first = key.copyBytes();
        }
        assertThat(temp.resolve("keys").resolve(KeyringMasterKeyStore.MARKER_FILE)).exists();
        try (MasterKeyStore store = open(keyring); SecretBytes key = store.masterKey()) {
            assertThat(key.copyBytes()).isEqualTo(first);
        }
    }

    @Test
    void isNewOnlyWhenThisOpenCreatedTheKey() throws Exception {
        MasterKeyStores.KeyringOpener keyring = FakeKeyring.working();
        try (MasterKeyStore store = open(keyring)) {
            assertThat(store.isNew()).isTrue();
        }
        try (MasterKeyStore store = open(keyring)) {
            assertThat(store.isNew()).isFalse();
        }
    }

    @Test
    void theKeyStateHighWaterLivesInTheKeyringBesideTheMasterKey() throws Exception {
        FakeKeyring keyring = new FakeKeyring();
        try (MasterKeyStore store = open(() -> keyring)) {
            HighWaterStore highWater = MasterKeyStores.highWaterOf(store);
            assertThat(highWater.detectsRollback()).isTrue();
            highWater.write(new StateHighWater(5, 2, 3, 21));
            assertThat(highWater.read()).contains(new StateHighWater(5, 2, 3, 21));
        }
        String account = KeyringMasterKeyStore.accountFor(temp.resolve("keys"))
                .replace(KeyringMasterKeyStore.ACCOUNT_PREFIX, HighWaterStore.ACCOUNT_PREFIX);
        assertThat(keyring.entries).containsEntry(KeyringMasterKeyStore.SERVICE + "/" + account, "v1 5 2 3 21");
    }

    @Test
    void aPassphraseKeptMasterKeyHasNoHighWater() throws Exception {
        Path file = temp.resolve("pass");
        Files.writeString(file, "correct horse battery staple");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        try (MasterKeyStore store = MasterKeyStores.open(temp.resolve("keys"),
                Map.of(PassphraseSource.PASSPHRASE_FILE_VARIABLE, file.toString()), null, null,
                FakeKeyring.unavailable(), () -> PassphraseMasterKeyStoreTest.cheap(random), random)) {
            assertThat(MasterKeyStores.highWaterOf(store).detectsRollback()).isFalse();
        }
    }

    @Test
    void rejectsLostKeyringEntryInsteadOfCreatingANewKey() throws Exception {
        open(FakeKeyring.working()).close();
        assertReason(() -> open(FakeKeyring.working()), KeyManagerException.Reason.KEYRING_ENTRY_MISSING);
    }

    @Test
    void doesNotFallBackToPassphraseForAKeyringDirectory() throws Exception {
        open(FakeKeyring.working()).close();
        assertReason(() -> open(FakeKeyring.unavailable()), KeyManagerException.Reason.KEYRING_UNAVAILABLE);
        assertReason(() -> open(FakeKeyring.locked()), KeyManagerException.Reason.KEYRING_LOCKED);
        assertThat(temp.resolve("keys").resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE)).doesNotExist();
    }

    @Test
    void rejectsCorruptMarker() throws Exception {
        open(FakeKeyring.working()).close();
        Path marker = temp.resolve("keys").resolve(KeyringMasterKeyStore.MARKER_FILE);
        byte[] bytes = Files.readAllBytes(marker);
        Files.write(marker, java.util.Arrays.copyOf(bytes, bytes.length - 1));
        assertReason(() -> open(FakeKeyring.working()), KeyManagerException.Reason.CORRUPT_FILE);
        bytes[KeyringMasterKeyStore.MARKER_MAGIC.length] = 9;
        Files.write(marker, bytes);
        assertReason(() -> open(FakeKeyring.working()), KeyManagerException.Reason.UNKNOWN_VERSION);
    }

    @Test
    void keyStoreNeverPrintsTheKey() throws Exception {
        try (MasterKeyStore store = open(FakeKeyring.working()); SecretBytes key = store.masterKey()) {
            String hex = java.util.HexFormat.of().formatHex(key.copyBytes());
            String b64 = java.util.Base64.getEncoder().encodeToString(key.copyBytes());
            assertThat(store.toString()).doesNotContain(hex).doesNotContain(b64);
            assertThat(store.description()).doesNotContain(b64);
        }
    }

    /** The child's side of asking the app: {@code answers} are what the parent typed back, one per line. */
    private MasterKeyStore openAskingParent(String answers, ByteArrayOutputStream requests) throws KeyManagerException {
        PassphraseSource parent = PassphraseSource.fromParent(
                new ByteArrayInputStream(answers.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(requests, true, StandardCharsets.US_ASCII));
        return MasterKeyStores.open(temp.resolve("keys"), Map.of(), null, parent, FakeKeyring.unavailable(),
                () -> PassphraseMasterKeyStoreTest.cheap(random), random);
    }

    private static String[] lines(ByteArrayOutputStream out) {
        return out.toString(StandardCharsets.US_ASCII).split("\n");
    }

    @Test
    void asksTheParentForANewPassphraseWhenThereIsNoKeyringAndNoFile() throws Exception {
        ByteArrayOutputStream requests = new ByteArrayOutputStream();
        byte[] first;
        try (MasterKeyStore store = openAskingParent("correct horse\n", requests); SecretBytes key = store.masterKey()) {
            assertThat(store.protection()).isEqualTo(Protection.PASSPHRASE);
            assertThat(store.description()).contains("the app's prompt");
            first = key.copyBytes();
        }
        assertThat(lines(requests)).containsExactly("keymanager passphrase NEW");
        requests.reset();
        try (MasterKeyStore store = openAskingParent("correct horse\n", requests); SecretBytes key = store.masterKey()) {
            assertThat(key.copyBytes()).isEqualTo(first);
        }
        assertThat(lines(requests)).containsExactly("keymanager passphrase EXISTING");
    }

    @Test
    void asksTheParentAgainAfterAWrongPassphraseUpToThreeAnswers() throws Exception {
        openAskingParent("the right horse staple\n", new ByteArrayOutputStream()).close();
        ByteArrayOutputStream requests = new ByteArrayOutputStream();
        openAskingParent("wrong\nalso wrong\nthe right horse staple\n", requests).close();
        assertThat(lines(requests)).containsExactly("keymanager passphrase EXISTING", "keymanager passphrase RETRY",
                "keymanager passphrase RETRY");
        requests.reset();
        assertReason(() -> openAskingParent("a\nb\nc\nthe right horse staple\n", requests),
                KeyManagerException.Reason.WRONG_PASSPHRASE);
        assertThat(lines(requests)).hasSize(3);
    }

    @Test
    void aPassphraseFileIsTriedOnceBecauseItWouldGiveTheSameAnswer() throws Exception {
        assertThat(PassphraseSource.fromFile(temp.resolve("pw")).attempts()).isEqualTo(1);
        assertThat(PassphraseSource.fromStream(new ByteArrayInputStream(new byte[0]), "fd 3").attempts()).isEqualTo(1);
    }

    @Test
    void anEmptyAnswerFromTheParentIsDecliningAndCreatesNothing() throws Exception {
        assertReason(() -> openAskingParent("\n", new ByteArrayOutputStream()),
                KeyManagerException.Reason.PASSPHRASE_REQUIRED);
        assertReason(() -> openAskingParent("", new ByteArrayOutputStream()),
                KeyManagerException.Reason.PASSPHRASE_REQUIRED);
        assertThat(temp.resolve("keys").resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE)).doesNotExist();
    }

    @Test
    void aPassphraseFileWinsOverAskingTheParent() throws Exception {
        Path file = temp.resolve("pw");
        Files.writeString(file, "from the file\n");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        ByteArrayOutputStream requests = new ByteArrayOutputStream();
        PassphraseSource parent = PassphraseSource.fromParent(new ByteArrayInputStream(new byte[0]),
                new PrintStream(requests, true, StandardCharsets.US_ASCII));
        try (MasterKeyStore store = MasterKeyStores.open(temp.resolve("keys"),
                Map.of(PassphraseSource.PASSPHRASE_FILE_VARIABLE, file.toString()), null, parent,
                FakeKeyring.unavailable(), () -> PassphraseMasterKeyStoreTest.cheap(random), random)) {
            assertThat(store.description()).contains("passphrase file");
        }
        assertThat(requests.size()).isZero();
    }

    @Test
    void everyReasonHasASentence() {
        for (KeyManagerException.Reason reason : KeyManagerException.Reason.values()) {
            assertThat(reason.sentence()).endsWith(".");
        }
        for (Protection protection : Protection.values()) {
            assertThat(protection.sentence()).endsWith(".");
        }
    }
}
