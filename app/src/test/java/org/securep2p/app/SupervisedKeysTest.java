package org.securep2p.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.keymanager.KeyManagerMain;

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

    @Test
    void aRollbackFoundByARestartedKeyManagerReachesTheSecurityLogAndTheUser(@TempDir Path dir) throws IOException {
        Path log = dir.resolve("keymanager.log");
        String rollback = KeyManagerMain.ROLLBACK_PREFIX + "identity.state generation 3 is older than 5";
        Files.write(log, List.of("keymanager hardening: mlockall ok", "keymanager serving",
                "keymanager hardening: mlockall ok", rollback, "keymanager serving"));
        List<String> security = new ArrayList<>();
        List<String> notices = new ArrayList<>();

        SupervisedKeys.reportRollback(log, security::add, notices::add);

        assertThat(security).containsExactly(rollback);
        assertThat(notices).containsExactly(SupervisedKeys.ROLLBACK_NOTICE);
    }

    @Test
    void aRollbackOfAnEarlierStartIsNotReportedAgainAfterARestart(@TempDir Path dir) throws IOException {
        Path log = dir.resolve("keymanager.log");
        Files.write(log, List.of("keymanager hardening: mlockall ok",
                KeyManagerMain.ROLLBACK_PREFIX + "identity.state generation 3 is older than 5", "keymanager serving",
                "keymanager hardening: mlockall ok", "keymanager serving"));
        List<String> security = new ArrayList<>();
        List<String> notices = new ArrayList<>();

        SupervisedKeys.reportRollback(log, security::add, notices::add);
        SupervisedKeys.reportRollback(null, security::add, notices::add);

        assertThat(security).isEmpty();
        assertThat(notices).isEmpty();
    }
}
