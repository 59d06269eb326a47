package org.securep2p.relay.server;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * A relay that corrupts one file chunk, as its own process, for the app's {@code FileTransferIT}: the production
 * relay server, TLS and SQLite store exactly as {@code securep2p relay --listen HOST:PORT --data DIR} runs them,
 * except that its store is a {@link TamperingMailboxStore} (the first CHUNK item posted is stored with one byte
 * flipped). Test code only: the production relay has no way to do this.
 *
 * <p>Arguments: {@code HOST PORT DATA_DIR}. Prints {@code relay: ADDRESS} as the real command does, then
 * {@code tampered: …} when it alters a chunk, and runs until the JVM is told to stop.
 */
final class TamperingRelay {

    private TamperingRelay() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 3) {
            throw new IllegalArgumentException("HOST PORT DATA_DIR");
        }
        Path data = Path.of(args[2]).toAbsolutePath().normalize();
        // The relay's logs in its own folder, as RelayCommand arranges before any logger exists.
        System.setProperty("securep2p.logs", data.resolve("logs").toString());
        RelayConfig config = RelayConfig.load(args[0], Integer.parseInt(args[1]), data, Optional.empty());
        SecureRandom random = new SecureRandom();
        Clock clock = Clock.systemUTC();
        RelayIdentity identity = RelayIdentity.loadOrCreate(data, random, clock);
        MailboxStore store = new TamperingMailboxStore(SqliteMailboxStore.open(config), System.out);
        RelayServer server = RelayServer.start(config, identity, store, random, clock);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "tampering-relay-shutdown"));
        System.out.println("relay: " + server.address());
        System.out.flush();
        stopped.await();
    }
}
