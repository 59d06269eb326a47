package org.securep2p.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.securep2p.app.headless.JsonRpcServer;
import org.securep2p.app.history.HistoryException;
import org.securep2p.app.history.HistoryStore;
import org.securep2p.app.history.Retention;
import org.securep2p.app.history.SqliteHistoryStore;
import org.securep2p.app.store.StoreException;
import org.securep2p.app.trust.SeenRevocationLists;
import org.securep2p.app.trust.TrustStore;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.keymanager.KeyManagerProcess;
import org.securep2p.keymanager.KeyManagerRole;
import org.securep2p.keymanager.PassphrasePrompt;
import org.securep2p.transport.Connector;
import org.securep2p.transport.cert.OrganisationTrust;
import org.securep2p.transport.ServerAddress;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.TransportConfig;
import org.securep2p.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The one place the program is put together: key-manager child, storage key, transport certificate and
 * settings, trust store, conversations, the {@link DefaultMessenger}, and a front end. Everything it opens it
 * closes on exit (including Ctrl-C, through a shutdown hook), wiping the storage key.
 */
final class Wiring {

    /** What the command line decided. */
    record Options(Home home, String username, SecurityLevel floor, List<String> stun, List<String> turn,
            String turnUser, Optional<Path> turnPasswordFile, Optional<Integer> port, boolean json,
            Optional<Path> organisationCa, boolean tuiBell, List<String> relays) {
    }

    private Wiring() {
    }

    static int run(Options o, InputStream in, PrintStream out, PrintStream err) {
        Home h = o.home();
        TransportConfig config;
        try {
            config = transportConfig(o);
            relays(o);
        } catch (TransportException | IOException e) {
            err.println("securep2p: " + e.getMessage());
            return Main.USAGE;
        }
        // One process per home: two would each advance their own copy of a conversation's ratchet.
        java.nio.channels.FileChannel lockChannel;
        java.nio.channels.FileLock homeLock;
        try {
            lockChannel = java.nio.channels.FileChannel.open(h.root().resolve(".lock"),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
            homeLock = lockChannel.tryLock();
        } catch (IOException e) {
            err.println("securep2p: cannot lock the home folder " + h.root() + ": " + e.getMessage());
            return Main.FAILED;
        }
        if (homeLock == null) {
            err.println("securep2p: another securep2p is already running with the home folder " + h.root()
                    + "; use --home for a second identity.");
            try {
                lockChannel.close();
            } catch (IOException ignored) {
                // Exiting anyway.
            }
            return Main.FAILED;
        }
        Resources resources = new Resources();
        resources.add(lockChannel);
        SecureRandom random = new SecureRandom();
        Clock clock = Clock.systemUTC();
        // Where neither the OS keyring nor SECUREP2P_PASSPHRASE_FILE gives the keys' master key, the user is asked
        // on the terminal, as long as it is ours: once the chat screen or the JSON reader owns it, a restarted key
        // manager that needs the passphrase fails instead, and the user is told (PROTOCOL.md 15).
        AtomicBoolean terminalFree = new AtomicBoolean(true);
        PassphrasePrompt prompt = TerminalPassphrase.ofConsole(terminalFree::get);
        // The key manager starts on its own thread: its child's JVM start and keyring read (the longest part of a
        // start) then overlap the rest of this process's start (PROTOCOL.md 18, start-up order). The home is
        // locked before, so no second process races it.
        // The screen starts beside the key manager only when it cannot need the terminal for a passphrase
        // prompt (a first run, or keys under a passphrase typed by the user): that prompt comes first. Decided, and
        // the terminal taken from the prompt, before the key manager starts, so the prompt never races the screen.
        boolean screenBeside = prompt == null || KeyManagerProcess.startAsksNoPassphrase(h.keys(), System.getenv());
        if (screenBeside && !o.json()) {
            terminalFree.set(false);
        }
        CompletableFuture<DefaultMessenger> messenger = new CompletableFuture<>();
        Thread unlock = unlockThread(() -> unlock(o, config, random, clock, prompt, resources),
                messenger);
        // Beside the screen, the key manager starts once the menu's first frame is out: on two cores its JVM start
        // otherwise competes with the first frame for the CPU (menu medians ~50 ms sooner, keys ~40-100 ms later,
        // PROTOCOL.md 18, start-up order). Everywhere else, at once.
        boolean afterFirstFrame = screenBeside && !o.json();
        if (!afterFirstFrame) {
            unlock.start();
        }
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        // On a signal, a shorter wait: the unlock may be waiting for the user's passphrase, and a child not yet in
        // resources ends anyway when this process dies (its stdin closes).
        Thread hook = new Thread(() -> closeAfter(unlock, resources, SIGNAL_EXIT_WAIT), "securep2p-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (o.json() || !screenBeside) {
                DefaultMessenger ready;
                try {
                    ready = messenger.join();
                } catch (CompletionException e) {
                    err.print(failureText(e.getCause()));
                    return Main.FAILED;
                }
                terminalFree.set(false);
                if (o.json()) {
                    return new JsonRpcServer(ready, in, out, o.floor()).run();
                }
            }
            terminalFree.set(false);
            org.securep2p.app.tui.Tui.run(messenger, o.floor(), o.tuiBell(), () -> {
                if (afterFirstFrame) {
                    unlock.start();
                }
            });
            if (messenger.isCompletedExceptionally()) {
                // Shown on the screen already; repeated where it stays once the screen is gone.
                err.print(failureText(messenger.handle((m, e) -> e).join()));
                return Main.FAILED;
            }
            return Main.OK;
        } catch (IOException | RuntimeException e) {
            LoggerFactory.getLogger(Wiring.class).error("start-up failed: {}", e.toString());
            err.println("securep2p: start-up failed: " + e.getMessage());
            return Main.FAILED;
        } finally {
            closeAfter(unlock, resources, UNLOCK_EXIT_WAIT);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running or ran: it closed everything.
            }
        }
    }

    /**
     * Starts the key manager and builds everything that needs the keys, up to the messenger. Each failure the
     * user can act on is an {@link AppException} ({@link AppException.Reason#START_FAILED}) whose detail holds
     * the lines printed for it; whatever it opens is in {@code resources}.
     */
    private static DefaultMessenger unlock(Options o, TransportConfig config, SecureRandom random, Clock clock,
            PassphrasePrompt prompt, Resources resources) throws AppException {
        Home h = o.home();
        KeyManagerProcess process;
        long start = System.nanoTime();
        try {
            // Before any logger: the logging set-up (Logback reading its configuration) must not delay the child.
            process = KeyManagerProcess.start(h.socketDir(), h.keys(), random, h.logs().resolve("keymanager.log"),
                    prompt, KeyManagerRole.CHAT);
        } catch (IOException e) {
            List<String> lines = new ArrayList<>();
            lines.add("securep2p: the key manager did not start: " + e.getMessage());
            KeyManagerDiagnostics.lastFailure(h.logs().resolve("keymanager.log"))
                    .ifPresent(reason -> lines.add("  " + reason));
            lines.add("  " + TerminalPassphrase.HINT + " Details: " + h.logs().resolve("keymanager.log"));
            throw startFailed(lines, e);
        }
        Logger log = LoggerFactory.getLogger(Wiring.class);
        Logger security = LoggerFactory.getLogger("securep2p.security");
        log.info("key manager serving after {} ms", (System.nanoTime() - start) / 1_000_000);
        resources.add(process);
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "keymanager-watchdog");
            t.setDaemon(true);
            return t;
        });
        // The watchdog stops before the child: a closed child looks dead, and the watchdog would restart it.
        resources.add(() -> {
            watchdog.shutdownNow();
            watchdog.awaitTermination(10, TimeUnit.SECONDS);
        });
        try {
            List<DefaultMessenger> messengerRef = new ArrayList<>();
            SupervisedKeys keys = new SupervisedKeys(process, notice -> {
                messengerRef.forEach(m -> m.notice(notice));
            }, h.logs().resolve("keymanager.log"));
            String[] protection = KeyManagerDiagnostics.read(h.logs().resolve("keymanager.log"));
            security.info("key protection: {}; memory protection: {}", protection[0], protection[1]);
            KeyManagerDiagnostics.rollbackInLatestStart(h.logs().resolve("keymanager.log"))
                    .ifPresent(line -> security.warn("{}", line));
            SecretBytes storageKey = keys.storageKey("conversations");
            resources.add(storageKey);
            // Always made: in organisation mode cert/identity.crt is also what the member sends to the CA.
            TransportCertificate certificate = TransportCertificate.loadOrCreate(h.cert(), keys, clock);
            String trustModel = ChatEvent.Ready.CODES_AND_FIRST_USE;
            OrganisationTrust organisation = null;
            if (o.organisationCa().isPresent()) {
                organisation = OrganisationTrust.load(o.organisationCa().get(), clock);
                try {
                    // Remembered before any peer is checked against it: a stale ca.crl can never come back.
                    SeenRevocationLists.admit(h.cert().resolve(SeenRevocationLists.FILE_NAME),
                            organisation.authorityKeyHex(), organisation.crlNumber());
                } catch (StoreException e) {
                    throw startFailed(List.of("securep2p: organisation mode: " + e.getMessage()), e);
                }
                Path member = h.cert().resolve(TransportCertificate.MEMBER_FILE_NAME);
                try {
                    certificate = TransportCertificate.loadMember(member, keys, organisation);
                } catch (TransportException e) {
                    throw startFailed(List.of("securep2p: organisation mode: " + e.getMessage(),
                            "  Send " + h.cert().resolve(TransportCertificate.FILE_NAME) + " to your CA; save the "
                                    + "certificate it issues as " + member + "."), e);
                }
                trustModel = ChatEvent.Ready.ORGANISATION + " \"" + organisation.authorityName() + "\" (you are "
                        + certificate.memberName().orElse("?") + ")";
                security.info("organisation mode: CA '{}', {} revoked, revocation list current until {}",
                        organisation.authorityName(), organisation.revokedCount(), organisation.crlNextUpdate());
            }
            TrustStore trust;
            try {
                trust = TrustStore.open(h.trustStore(), clock);
            } catch (StoreException e) {
                throw startFailed(List.of("securep2p: the trust store " + h.trustStore() + " cannot be read: "
                        + e.getMessage(), "  It was left untouched. Move it aside to start with an empty trust store."),
                        e);
            }
            ConversationStore conversations = new ConversationStore(h.conversations(), storageKey, random, clock);
            HistoryStore history = openHistory(h, keys, random, clock);
            resources.add(history);
            ChatEvent.Ready ready = new ChatEvent.Ready(keys.identity().fingerprint().displayString(), o.username(),
                    protection[0], protection[1], trustModel);
            DefaultMessenger messenger = new DefaultMessenger(keys, new Connector(config, keys, certificate, random),
                    config, trust, conversations, history, o.username(), ready, o.port(), random, clock);
            messengerRef.add(messenger);
            messenger.startHistoryExpiry();
            // Before the relays: an item the courier takes at start may be a file's chunk or offer.
            try {
                messenger.startFiles(new org.securep2p.app.files.TransferStore(h.transfers(), storageKey, random),
                        h.downloads(), fileLimits(o));
            } catch (StoreException e) {
                throw startFailed(List.of("securep2p: the file transfers in " + h.transfers() + " cannot be read: "
                        + e.getMessage()), e);
            }
            List<org.securep2p.relay.RelayAddress> relays = relays(o);
            // Organisation mode: every relay client presents the member certificate; the key manager signs (§23.2).
            Optional<org.securep2p.relay.MemberCredential> member = certificate.organisation().isPresent()
                    ? Optional.of(org.securep2p.relay.MemberCredential.of(List.of(certificate.der()),
                            keys::signTlsCertificateVerify))
                    : Optional.empty();
            messenger.startRelays(relays, new RelayConnections(random, relays.stream().findFirst(),
                    relayPassword(o), member));
            if (organisation != null) {
                // §23.2: the first relay carries the directory and the chat requests; publishing is opt-out.
                boolean publish = Boolean.parseBoolean(conf(o).getProperty("directory.publish", "true").strip());
                messenger.startOrganisation(organisation, org.securep2p.app.org.BlockList.open(h.root().resolve("org")),
                        o.floor(), publish);
            }
            resources.add(messenger);
            if (o.port().isPresent()) {
                // Open from the start (PROTOCOL.md §20.8): a fixed port is what a user chooses to be reachable.
                try {
                    messenger.openFixedPort(o.floor());
                } catch (AppException e) {
                    throw startFailed(List.of("securep2p: UDP port " + o.port().get() + " cannot be opened: "
                            + e.getMessage()), e);
                }
            }
            messenger.warmUpInBackground(o.floor());
            // Runs until the watchdog is shut down; the task logs its own failures.
            var unused = watchdog.scheduleWithFixedDelay(() -> {
                try {
                    keys.restartIfDead();
                } catch (RuntimeException e) {
                    log.warn("key manager restart failed: {}", e.getMessage());
                }
            }, 1, 1, TimeUnit.SECONDS);
            return messenger;
        } catch (CryptoException | StoreException | TransportException | IOException | RuntimeException e) {
            log.error("start-up failed: {}", e.toString());
            throw startFailed(List.of("securep2p: start-up failed: " + e.getMessage()), e);
        }
    }

    /** The unlock step: starts the key manager and builds the messenger on it. */
    @FunctionalInterface
    interface UnlockStep {
        DefaultMessenger run() throws AppException;
    }

    /**
     * How long an exit waits for a key manager still starting: its own wait for the child's ready line, and a
     * little more. The child is in {@link Resources} only once started, so closing before would release the
     * home's lock with a child still running on its keys.
     */
    static final java.time.Duration UNLOCK_EXIT_WAIT = KeyManagerProcess.READY_TIMEOUT.plusSeconds(5);

    /** The same wait on a signal (Ctrl-C, SIGTERM), where the exit must not hang on a passphrase prompt. */
    static final java.time.Duration SIGNAL_EXIT_WAIT = java.time.Duration.ofSeconds(3);

    /**
     * The history in {@code history.db} under the storage key of purpose {@code history}, kept as
     * {@code history.retention} in the profile says (forever when unset). The one place the store is chosen.
     */
    static HistoryStore openHistory(Home h, SupervisedKeys keys, SecureRandom random, Clock clock)
            throws StoreException, CryptoException {
        Retention retention;
        try {
            Optional<String> setting = Profile.load(h.profileFile()).historyRetention();
            retention = setting.isPresent() ? Retention.parse(setting.get()) : Retention.forever();
        } catch (AppException | HistoryException e) {
            throw new StoreException(StoreException.Reason.CORRUPT, h.profileFile() + ": "
                    + Profile.HISTORY_RETENTION + ": " + e.getMessage(), e);
        }
        try (SecretBytes historyKey = keys.storageKey(SqliteHistoryStore.KEY_PURPOSE)) {
            return SqliteHistoryStore.open(h.root().resolve(SqliteHistoryStore.FILE_NAME), historyKey, retention,
                    random, clock);
        }
    }

    /**
     * The thread running {@code step} that always completes {@code messenger}: with an {@link Error} too (a class
     * that does not load, no memory), which would otherwise leave the screen "unlocking keys…" and the JSON and
     * passphrase paths waiting forever.
     */
    static Thread unlockThread(UnlockStep step, CompletableFuture<DefaultMessenger> messenger) {
        Thread t = new Thread(() -> {
            try {
                messenger.complete(step.run());
            } catch (Throwable e) {
                messenger.completeExceptionally(e);
            }
        }, "securep2p-unlock");
        t.setDaemon(true);
        return t;
    }

    /**
     * Closes {@code resources} once {@code unlock} has ended (waiting at most {@code bound}), so that a key
     * manager started meanwhile is closed with them and the home's lock, closed last, is not released while
     * its child may still run.
     */
    static void closeAfter(Thread unlock, Resources resources, java.time.Duration bound) {
        if (unlock != Thread.currentThread()) {
            try {
                unlock.join(bound.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        resources.closeAll();
    }

    private static AppException startFailed(List<String> lines, Exception cause) {
        return new AppException(AppException.Reason.START_FAILED, String.join("\n", lines), cause);
    }

    /** The lines a start-up failure prints on stderr: today's sentences, one per line. */
    static String failureText(Throwable failure) {
        if (failure instanceof AppException e && e.reason() == AppException.Reason.START_FAILED) {
            return e.detail() + System.lineSeparator();
        }
        return "securep2p: start-up failed: " + failure.getMessage() + System.lineSeparator();
    }

    /**
     * What the program opened, closed in the reverse order on exit (the messenger first, the home's lock last).
     * Something added after {@link #closeAll} (the key manager still starting when the user quit) is closed at
     * once, so nothing outlives the exit.
     */
    static final class Resources {
        private final List<AutoCloseable> open = new ArrayList<>();
        private boolean closed;

        void add(AutoCloseable c) {
            synchronized (this) {
                if (!closed) {
                    open.add(0, c);
                    return;
                }
            }
            closeQuietly(c);
        }

        synchronized void closeAll() {
            closed = true;
            open.forEach(Resources::closeQuietly);
            open.clear();
        }

        private static void closeQuietly(AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // Best effort on the way out.
            }
        }
    }

    static TransportConfig transportConfig(Options o) throws TransportException, IOException {
        Path conf = o.home().configFile();
        TransportConfig.Builder b = TransportConfig.load(Files.exists(conf) ? Optional.of(conf) : Optional.empty(),
                System.getenv());
        if (!o.stun().isEmpty()) {
            b.stunServers(servers(o.stun()));
        }
        if (!o.turn().isEmpty()) {
            b.turnServers(servers(o.turn()));
        }
        if (o.turnPasswordFile().isPresent()) {
            if (o.turnUser() == null) {
                throw new IOException("--turn-password-file needs --turn-user");
            }
            String password = Files.readString(o.turnPasswordFile().get(), StandardCharsets.UTF_8).strip();
            b.turnCredentials(o.turnUser(), password);
        } else if (o.turnUser() != null) {
            throw new IOException("--turn-user needs --turn-password-file");
        }
        return b.build();
    }

    /**
     * This side's relays: every {@code --relay}, then {@code relay.servers} of securep2p.conf (comma-separated),
     * without repeats, the first one first (it keeps the inboxes, PROTOCOL.md §22.5). An address that does not
     * parse is refused with the parser's sentence.
     */
    static List<org.securep2p.relay.RelayAddress> relays(Options o) throws IOException {
        List<String> texts = new ArrayList<>(o.relays());
        String servers = conf(o).getProperty("relay.servers", "").strip();
        if (!servers.isEmpty()) {
            texts.addAll(List.of(servers.split("\\s*,\\s*")));
        }
        java.util.LinkedHashSet<org.securep2p.relay.RelayAddress> out = new java.util.LinkedHashSet<>();
        for (String t : texts) {
            try {
                out.add(org.securep2p.relay.RelayAddress.parse(t.strip()));
            } catch (org.securep2p.relay.RelayException e) {
                throw new IOException("relay " + t.strip() + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(out);
    }

    /**
     * The creation password of this side's first relay, from the file {@code relay.password_file} of
     * securep2p.conf names (for a relay run with {@code --create-password-file}); never on the command line.
     */
    static Optional<byte[]> relayPassword(Options o) throws IOException {
        String file = conf(o).getProperty("relay.password_file", "").strip();
        if (file.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> password;
        try {
            password = Main.readSecretFile(Path.of(file));
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw new IOException("relay.password_file " + file + ": cannot read it", e);
        }
        byte[] bytes = password.orElseThrow(() -> new IOException("relay.password_file " + file + " is empty"))
                .getBytes(StandardCharsets.UTF_8);
        if (bytes.length > org.securep2p.relay.RelayFrame.MAX_PASSWORD) {
            throw new IOException("relay.password_file " + file + ": at most "
                    + org.securep2p.relay.RelayFrame.MAX_PASSWORD + " bytes");
        }
        return Optional.of(bytes);
    }

    /** securep2p.conf's settings (none when there is no file). */
    /** {@code files.max_mb} (default 2048) and {@code files.auto_accept_mb} (default 0: always ask), §24.1. */
    static FileTransfers.Limits fileLimits(Options o) throws IOException {
        java.util.Properties p = conf(o);
        return new FileTransfers.Limits(megabytes(p, "files.max_mb", 2048) << 20,
                megabytes(p, "files.auto_accept_mb", 0) << 20);
    }

    private static long megabytes(java.util.Properties p, String key, long fallback) throws IOException {
        String v = p.getProperty(key, "").strip();
        if (v.isEmpty()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0 || n > (1L << 20)) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IOException("securep2p.conf: " + key + " must be a number of MiB from 0 to 1048576, not \""
                    + v + "\"");
        }
    }

    private static java.util.Properties conf(Options o) throws IOException {
        java.util.Properties p = new java.util.Properties();
        Path conf = o.home().configFile();
        if (Files.exists(conf)) {
            try (java.io.Reader r = Files.newBufferedReader(conf, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IllegalArgumentException e) {
                throw new IOException("cannot read " + conf, e);
            }
        }
        return p;
    }

    private static List<ServerAddress> servers(List<String> texts) throws TransportException {
        List<ServerAddress> out = new ArrayList<>();
        for (String t : texts) {
            out.add(ServerAddress.parse(t));
        }
        return out;
    }
}
