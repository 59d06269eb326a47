package org.securep2p.relay.server;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DirectoryStoreContract} on {@link SqliteDirectoryStore}, the directory of a relay that is one instance. */
class SqliteDirectoryStoreContractTest extends DirectoryStoreContract {

    @TempDir
    Path data;

    @Override
    DirectoryStore openStore() throws Exception {
        return SqliteDirectoryStore.open(data);
    }

    /**
     * SQLite serves one instance (§23.5): a second store on the same file is refused by the exclusive lock, instead
     * of sharing presence as PostgreSQL does.
     */
    @Override
    @Test
    void twoInstancesSeeOneDirectoryAndEachOthersPresence() throws Exception {
        open();
        store.heartbeat("one", now); // the first write takes the exclusive lock
        assertThatThrownBy(this::openStore).isInstanceOf(IOException.class)
                .hasMessageContaining("another relay may be using this data folder");
    }
}
