package org.securep2p.app;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SupervisedKeysTest {

    @Test
    void aRestartThatNeedsThePassphraseTellsTheUserToStartAgain() {
        String notice = SupervisedKeys.restartFailed("key manager exited before serving (status 1)", Optional.of(
                "keymanager: cannot serve: KeyManagerException: PASSPHRASE_REQUIRED: the app's answer holds an"
                        + " empty passphrase"));
        assertThat(notice).startsWith("The key manager could not be restarted: key manager exited before serving")
                .contains("(KeyManagerException: PASSPHRASE_REQUIRED:")
                .endsWith("quit and start it again.");
    }

    @Test
    void anotherFailureIsReportedWithoutPassphraseAdvice() {
        assertThat(SupervisedKeys.restartFailed("boom", Optional.of(
                "keymanager: cannot serve: KeyManagerException: CORRUPT_FILE: state.sealed")))
                .isEqualTo("The key manager could not be restarted: boom (KeyManagerException: CORRUPT_FILE:"
                        + " state.sealed)");
        assertThat(SupervisedKeys.restartFailed("boom", Optional.empty()))
                .isEqualTo("The key manager could not be restarted: boom");
    }
}
