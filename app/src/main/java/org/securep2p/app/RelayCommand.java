package org.securep2p.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.securep2p.relay.server.RelayConfig;
import org.securep2p.relay.server.RelayServer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code securep2p relay --listen HOST:PORT --data DIR [--create-password-file FILE] [--store postgresql://…
 * [--store-password-file FILE]]}: runs a relay (PROTOCOL.md §22; with {@code --store}, one of several instances on
 * one PostgreSQL database, §23.5) until SIGTERM or SIGINT. Prints one line, {@code relay: wss://HOST:PORT/#FINGERPRINT}, once it listens.
 *
 * <p>Not its job: anything of the messenger. It never starts the key manager nor touches a messenger's home; the
 * relay's key, certificate, store and logs are all under {@code --data}.
 */
@Command(name = "relay", mixinStandardHelpOptions = true,
        description = "Run a relay that keeps end-to-end encrypted mailboxes for contacts who are not online together.")
final class RelayCommand implements Callable<Integer> {

    @Option(names = "--listen", paramLabel = "HOST:PORT", required = true,
            description = "Where to listen (an IPv6 host in brackets; port 0 for any free port).")
    String listen;

    @Option(names = "--data", paramLabel = "DIR", required = true,
            description = "The relay's folder: its key (relay-key.pem), certificate, database, relay.conf and logs.")
    Path data;

    @Option(names = "--create-password-file", paramLabel = "FILE",
            description = "Only clients that know the password in FILE may create mailboxes.")
    Path createPasswordFile;

    @Option(names = "--store", paramLabel = "postgresql://HOST:PORT/DB?user=USER",
            description = "Keep mailboxes in this PostgreSQL database, which several relay instances may share "
                    + "(default: SQLite in --data).")
    String store;

    @Option(names = "--store-password-file", paramLabel = "FILE",
            description = "The PostgreSQL password, in a file only its owner may read (never on the command line).")
    Path storePasswordFile;

    @Spec
    CommandSpec spec;

    /** Released by the shutdown hook; tests release it themselves. */
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** Where the relay listens. */
    record Listen(String host, int port) {
    }

    /** The host and port of {@code HOST:PORT} ({@code [v6]:PORT} too), or a sentence saying what is wrong. */
    static Listen listen(String text) {
        String t = text.strip();
        String host;
        String port;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0 || close + 1 >= t.length() || t.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("--listen needs HOST:PORT, e.g. 0.0.0.0:443 or [::]:443");
            }
            host = t.substring(1, close);
            port = t.substring(close + 2);
        } else {
            int colon = t.lastIndexOf(':');
            if (colon <= 0 || t.indexOf(':') != colon) {
                throw new IllegalArgumentException("--listen needs HOST:PORT, e.g. 0.0.0.0:443 or [::]:443");
            }
            host = t.substring(0, colon);
            port = t.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--listen: the port is not a number", e);
        }
        if (p < 0 || p > 65_535 || host.isEmpty()) {
            throw new IllegalArgumentException("--listen: the port is 0..65535 and the host not empty");
        }
        return new Listen(host, p);
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Listen at;
        try {
            at = listen(listen);
        } catch (IllegalArgumentException e) {
            err.println("securep2p relay: " + e.getMessage());
            return Main.USAGE;
        }
        Path dir = data.toAbsolutePath().normalize();
        // Before any logger exists: the relay's logs go under its own folder, never a messenger's home.
        System.setProperty("securep2p.logs", dir.resolve("logs").toString());
        RelayConfig config;
        try {
            // Created 0700 like a home: the relay's key is in it.
            org.securep2p.app.store.AtomicFile.ensurePrivateDirectory(dir);
            config = RelayConfig.load(at.host(), at.port(), dir, Optional.ofNullable(createPasswordFile),
                    Optional.ofNullable(store), Optional.ofNullable(storePasswordFile));
        } catch (IOException | RuntimeException e) {
            err.println("securep2p relay: " + e.getMessage());
            return Main.USAGE;
        }
        RelayServer server;
        try {
            server = RelayServer.start(config, new SecureRandom());
        } catch (IOException | RuntimeException e) {
            err.println("securep2p relay: could not start: " + e.getMessage());
            return Main.FAILED;
        }
        // SIGTERM/SIGINT: the JVM halts when its hooks end, so the hook waits until the server has closed.
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                stopped.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "relay-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("relay: " + server.address());
        out.flush();
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // The hook only releases the wait: the server closes here, once, whoever asked.
            server.close();
            stopped.countDown();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // Already running: nothing to remove.
        }
        return Main.OK;
    }

    /** Ends a running relay as SIGTERM does, and waits until it is closed (tests). */
    void stop() throws InterruptedException {
        stop.countDown();
        stopped.await();
    }
}
