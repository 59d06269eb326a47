package org.securep2p.relay.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.securep2p.relay.server.testing.PgCluster;

/** {@link DirectoryStoreContract} on PostgreSQL: a fresh database of one throwaway cluster per test. */
class PostgresDirectoryStoreTest extends DirectoryStoreContract {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    static PgCluster pg;
    String database;
    final List<PostgresDatabase> opened = new ArrayList<>();

    @BeforeAll
    static void cluster() throws IOException {
        pg = PgCluster.start();
    }

    @AfterAll
    static void stopCluster() {
        if (pg != null) {
            pg.close();
        }
    }

    @BeforeEach
    void freshDatabase() throws IOException {
        database = "directory" + DATABASES.incrementAndGet();
        pg.createDatabase(database);
    }

    @AfterEach
    void closeDatabases() {
        opened.forEach(PostgresDatabase::close);
    }

    @Override
    DirectoryStore openStore() throws Exception {
        PostgresDatabase db = PostgresDatabase.open(PostgresLocation.parse(pg.storeUri(database), Optional.empty()));
        opened.add(db);
        return new PostgresDirectoryStore(db);
    }
}
