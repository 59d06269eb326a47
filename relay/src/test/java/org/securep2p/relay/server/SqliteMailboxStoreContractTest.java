package org.securep2p.relay.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.io.TempDir;

/** {@link MailboxStoreContract} on SQLite: one file in a temporary data folder. */
class SqliteMailboxStoreContractTest extends MailboxStoreContract {

    @TempDir
    Path data;

    @Override
    MailboxStore openStore(int maxItems, long maxBytes, int maxMailboxes) throws Exception {
        return SqliteMailboxStore.open(new RelayConfig("127.0.0.1", 0, data, Duration.ofDays(21), maxItems,
                maxBytes, maxMailboxes, 10, 10, 10, Optional.empty()));
    }
}
