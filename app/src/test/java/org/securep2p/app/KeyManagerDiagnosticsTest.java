package org.securep2p.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** What the app takes from the key manager's diagnostics log for security.log. */
class KeyManagerDiagnosticsTest {

    @TempDir
    Path temp;

    @Test
    void reportsARollbackFoundByTheLatestStartOnly() throws Exception {
        Path log = temp.resolve("keymanager.log");
        String rollback = "keymanager: rollback detected: keys/identity.state is generation 3, older than 5";
        Files.write(log, List.of("keymanager hardening: not-dumpable=ACTIVE", rollback,
                "keymanager: keys protected by OS keyring"));
        assertThat(KeyManagerDiagnostics.rollbackInLatestStart(log)).contains(rollback);
        Files.write(log, List.of("keymanager hardening: not-dumpable=ACTIVE",
                "keymanager: keys protected by OS keyring"), java.nio.file.StandardOpenOption.APPEND);
        assertThat(KeyManagerDiagnostics.rollbackInLatestStart(log)).as("an earlier start's").isEmpty();
    }
}
