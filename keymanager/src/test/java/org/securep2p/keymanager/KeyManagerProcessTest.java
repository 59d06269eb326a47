package org.securep2p.keymanager;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the app decides from before a start: whether the key manager could need the terminal for a passphrase. */
class KeyManagerProcessTest {

    @TempDir
    Path keys;

    @Test
    void aNewKeyDirectoryWithoutAPassphraseFileMayAskForAPassphrase() {
        assertThat(KeyManagerProcess.startAsksNoPassphrase(keys, Map.of())).isFalse();
        assertThat(KeyManagerProcess.startAsksNoPassphrase(keys,
                Map.of(PassphraseSource.PASSPHRASE_FILE_VARIABLE, ""))).isFalse();
    }

    @Test
    void keysInTheKeyringAskNoPassphrase() throws Exception {
        Files.writeString(keys.resolve(KeyringMasterKeyStore.MARKER_FILE), "");
        assertThat(KeyManagerProcess.startAsksNoPassphrase(keys, Map.of())).isTrue();
    }

    @Test
    void aPassphraseWrappedKeyBesideTheKeyringMarkerMayAskForAPassphrase() throws Exception {
        // MasterKeyStores opens the passphrase-wrapped key first, whatever the marker says.
        Files.writeString(keys.resolve(KeyringMasterKeyStore.MARKER_FILE), "");
        Files.writeString(keys.resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE), "");
        assertThat(KeyManagerProcess.startAsksNoPassphrase(keys, Map.of())).isFalse();
        assertThat(KeyManagerProcess.startAsksNoPassphrase(keys,
                Map.of(PassphraseSource.PASSPHRASE_FILE_VARIABLE, "/run/user/1000/securep2p-pass"))).isTrue();
    }

    @Test
    void aPassphraseFileMeansNoPrompt() throws Exception {
        Files.writeString(keys.resolve(PassphraseMasterKeyStore.WRAPPED_KEY_FILE), "");
        assertThat(KeyManagerProcess.startAsksNoPassphrase(keys,
                Map.of(PassphraseSource.PASSPHRASE_FILE_VARIABLE, "/run/user/1000/securep2p-pass"))).isTrue();
        assertThat(KeyManagerProcess.startAsksNoPassphrase(keys, Map.of())).isFalse();
    }

    @Test
    void theChildIsGrantedNativeAccessFromJdk22On() {
        assertThat(KeyManagerProcess.nativeAccessOptions(17)).isEmpty();
        assertThat(KeyManagerProcess.nativeAccessOptions(21)).isEmpty();
        assertThat(KeyManagerProcess.nativeAccessOptions(22)).containsExactly("--enable-native-access=ALL-UNNAMED");
        assertThat(KeyManagerProcess.nativeAccessOptions(25)).containsExactly("--enable-native-access=ALL-UNNAMED");
    }
}
