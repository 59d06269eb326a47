package org.securep2p.relay.server;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * A malicious organisation relay as its own process, for the app's {@code OrganisationRelayIT}: the production relay
 * server, TLS, members-only check and stores exactly as {@code securep2p relay --trust} runs them, except that its
 * directory is a {@link SubstitutingDirectoryStore}. It models the operator of a relay (or whoever took its key and
 * data folder) running other code: the members' pins and the CA still hold, and only the members' own checks
 * (§23.3) stand between them and a substituted key. Test code only: the production relay has no way to do this.
 *
 * <p>Arguments: {@code HOST PORT DATA_DIR CA_CERT CONTROL_FILE}. Prints {@code relay: ADDRESS} as the real command
 * does, and runs until the JVM is told to stop.
 */
final class SubstitutingRelay {

    private SubstitutingRelay() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 5) {
            throw new IllegalArgumentException("HOST PORT DATA_DIR CA_CERT CONTROL_FILE");
        }
        Path data = Path.of(args[2]).toAbsolutePath().normalize();
        RelayConfig config = RelayConfig.load(args[0], Integer.parseInt(args[1]), data, Optional.empty(),
                Optional.of(Path.of(args[3]).toAbsolutePath().normalize()));
        SecureRandom random = new SecureRandom();
        Clock clock = Clock.systemUTC();
        RelayIdentity identity = RelayIdentity.loadOrCreate(data, random, clock);
        RelayServer.Stores stores = RelayServer.Stores.local(SqliteMailboxStore.open(config));
        DirectoryStore directory = new SubstitutingDirectoryStore(SqliteDirectoryStore.open(data), Path.of(args[4]));
        RelayServer server = RelayServer.start(config, identity, stores.withDirectory(directory), random, clock);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "substituting-relay-shutdown"));
        System.out.println("relay: " + server.address());
        System.out.flush();
        stopped.await();
    }
}
