package org.securep2p.keymanager;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** Creating the key directory durably. */
class KeyDirectoryTest {

    @TempDir
    Path temp;

    @Test
    void creatingTheKeyDirectorySyncsEveryParentThatGainedAnEntry() throws Exception {
        List<Path> synced = new ArrayList<>();
        Path keys = temp.resolve("home").resolve("keys");
        KeyDirectory.ensure(keys, synced::add);
        // keys/ lives in the new home/, which lives in temp: both entries must reach the disk, inner first.
        assertThat(synced).containsExactly(temp.resolve("home").toAbsolutePath(), temp.toAbsolutePath());
    }

    @Test
    void anExistingKeyDirectoryIsNotSyncedAgain() throws Exception {
        List<Path> synced = new ArrayList<>();
        Path keys = temp.resolve("keys");
        KeyDirectory.ensure(keys);
        KeyDirectory.ensure(keys, synced::add);
        assertThat(synced).isEmpty();
    }
}
