package org.securep2p.keymanager;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.crypto.SecretBytes;

/**
 * The key-manager process's entry point: {@code KeyManagerMain <socketDirectory> [<keyDirectory>]}, started by
 * {@link KeyManagerProcess}. It reads one line from stdin, the launch token as 64 hex digits (never an argument
 * or an environment variable: those are visible to other users in {@code /proc}), serves the socket, prints
 * {@value #READY_LINE} on stdout once it accepts connections, and exits when stdin reaches end of file. With
 * {@value #ASK_PARENT_OPTION} after the key directory, a passphrase it needs is asked of the parent on the same
 * two pipes ({@link PassphraseSource#fromParent}). The
 * parent keeps stdin open for the child's whole life, so end of file means the parent closed it or died (the
 * kernel closes a dead process's pipes): no orphan, and no polling.
 *
 * <p>Backend: with a key directory, a {@link DurableKeyHolder} that restores the identity from it (or makes and
 * stores one) and stores every durable change before its effect is visible, sealed under the master key
 * ({@link SealedStateVault}; the master key from {@link MasterKeyStores}: OS keyring, else a passphrase from
 * {@code SECUREP2P_PASSPHRASE_FILE}). Without a key directory: a fresh {@link InMemoryPrivateKeys} per launch
 * (tests; new identity each launch, "consumed" lasts as long as the process).
 *
 * <p>Before anything else it hardens its own process ({@link ProcessHardening}: non-dumpable, no core file,
 * memory locked when permitted) and prints the one-line {@link HardeningReport#summary()} on stderr.
 *
 * <p>Prints nothing secret: stdout carries only the ready line and passphrase requests, stderr only log lines
 * without key material.
 */
public final class KeyManagerMain {

    /** What the child prints on stdout once it serves; the parent waits for exactly this line. */
    static final String READY_LINE = "keymanager ready";
    /** Starts the stderr line saying this start found a rolled-back key state (PROTOCOL.md 17). */
    public static final String ROLLBACK_PREFIX = "keymanager: rollback detected: ";
    /**
     * Third argument: the parent answers passphrase requests ({@link PassphraseSource#fromParent}) on stdin,
     * after the token line.
     */
    static final String ASK_PARENT_OPTION = "--passphrase-from-parent";
    /** Exit codes: 0 after stdin closed, 2 for a bad command line or token line, 1 if serving failed. */
    static final int EXIT_USAGE = 2;
    static final int EXIT_FAILED = 1;
    /** One-time prekeys per launch: enough for a session's worth of handshakes, cheap to generate at start. */
    static final int ONE_TIME_PREKEYS = 20;
    /** Each one-time KEM prekey costs a Falcon signature at start; the last-resort KEM prekey covers the rest. */
    static final int ONE_TIME_KEM_PREKEYS = 2;
    /** Starts the stderr line that follows the ready line once the start's garbage is returned to the OS. */
    static final String MEMORY_RELEASED_PREFIX = "keymanager: start-up memory released: ";

    private KeyManagerMain() {
    }

    public static void main(String[] args) {
        PrintStream err = System.err;
        StartupTimeline timeline = new StartupTimeline();
        // First, before the token or any key is in memory: non-dumpable, no core file, memory locked where
        // permitted. Never fatal; the line says what is active (PROTOCOL.md 18).
        err.println(ProcessHardening.apply().summary());
        timeline.mark("hardening");
        CommandLine line = CommandLine.parse(args).orElse(null);
        if (line == null) {
            err.println("usage: KeyManagerMain <socketDirectory> [<keyDirectory> [" + ASK_PARENT_OPTION
                    + "] [--role=chat|ca]]  (token on stdin)");
            System.exit(EXIT_USAGE);
            return;
        }
        byte[] token;
        try {
            token = readToken(System.in);
        } catch (IOException e) {
            err.println("keymanager: no valid token line on stdin");
            System.exit(EXIT_USAGE);
            return;
        }
        timeline.mark("token");
        int status = line.keyDirectory() == null ? run(line.socketDirectory(), token, System.in, System.out, timeline)
                : runDurable(line.socketDirectory(), line.keyDirectory(), token, line.askParent(), line.role(),
                        System.in, System.out, timeline);
        System.exit(status);
    }

    /**
     * The child's arguments: {@code <socketDirectory> [<keyDirectory> [--passphrase-from-parent] [--role=…]]}.
     * The role defaults to {@link KeyManagerRole#CHAT}, the least privilege; a role given twice, an unknown
     * option, or options without a key directory are refused.
     */
    record CommandLine(Path socketDirectory, Path keyDirectory, boolean askParent, KeyManagerRole role) {

        static Optional<CommandLine> parse(String[] args) {
            if (args.length < 1 || args.length > 4 || args[0].startsWith("--")
                    || (args.length > 1 && args[1].startsWith("--"))) {
                return Optional.empty();
            }
            boolean askParent = false;
            KeyManagerRole role = null;
            for (int i = 2; i < args.length; i++) {
                if (args[i].equals(ASK_PARENT_OPTION) && !askParent) {
                    askParent = true;
                } else if (role == null && KeyManagerRole.fromOption(args[i]).isPresent()) {
                    role = KeyManagerRole.fromOption(args[i]).get();
                } else {
                    return Optional.empty();
                }
            }
            return Optional.of(new CommandLine(Path.of(args[0]), args.length > 1 ? Path.of(args[1]) : null,
                    askParent, role == null ? KeyManagerRole.CHAT : role));
        }
    }

    /** Serves a fresh in-memory identity until {@code stdin} ends; returns the exit status. Zeroes {@code token}. */
    static int run(Path socketDirectory, byte[] token, InputStream stdin, PrintStream stdout,
            StartupTimeline timeline) {
        try (InMemoryPrivateKeys backend = InMemoryPrivateKeys.generate(new SecureRandom(), Clock.systemUTC(),
                ONE_TIME_PREKEYS, ONE_TIME_KEM_PREKEYS)) {
            timeline.mark("identity generated");
            return serve(socketDirectory, token, backend, null, KeyManagerRole.CHAT, stdin, stdout, timeline);
        } catch (CryptoException | RuntimeException e) {
            System.err.println("keymanager: cannot serve: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return EXIT_FAILED;
        } finally {
            Arrays.fill(token, (byte) 0);
        }
    }

    /** Serves the identity kept in {@code keyDirectory} until {@code stdin} ends. Zeroes {@code token}. */
    static int runDurable(Path socketDirectory, Path keyDirectory, byte[] token, boolean askParent,
            KeyManagerRole role, InputStream stdin, PrintStream stdout, StartupTimeline timeline) {
        SecureRandom random = new SecureRandom();
        // The master key comes from the OS keyring, else a passphrase (SECUREP2P_PASSPHRASE_FILE, else the app's
        // user asked through the parent: the child's stdin carries the token, so it has no console of its own);
        // never a default. PROTOCOL.md 15.
        try (MasterKeyStore master = MasterKeyStores.open(keyDirectory, System.getenv(), null,
                askParent ? PassphraseSource.fromParent(stdin, stdout) : null, random);
             SecretBytes masterKey = master.masterKey()) {
            timeline.mark("master key");
            // Files sealed under the master key are made only with it (a new directory): under an existing one a
            // missing file is refused, never replaced (PROTOCOL.md 15). The storage secret is made first, so that
            // an identity.state on disk always has its app-storage.sealed beside it, whatever a crash interrupts.
            boolean newKeyDirectory = master.isNew();
            try (AppStorageKeys storageKeys = AppStorageKeys.openOrCreate(keyDirectory, newKeyDirectory, masterKey,
                    random)) {
                timeline.mark("storage keys");
                try (DurableKeyHolder backend = DurableKeyHolder.open(new SealedStateVault(keyDirectory, masterKey,
                        random), MasterKeyStores.highWaterOf(master), newKeyDirectory, random, Clock.systemUTC(),
                        ONE_TIME_PREKEYS, ONE_TIME_KEM_PREKEYS)) {
                    timeline.mark("key state");
                    // The app copies this line into security.log (KeyManagerDiagnostics).
                    backend.rollbackReport().ifPresent(report -> System.err.println(ROLLBACK_PREFIX + report));
                    System.err.println("keymanager: keys protected by " + master.description());
                    return serve(socketDirectory, token, backend, storageKeys, role, stdin, stdout, timeline);
                }
            }
        } catch (IOException | CryptoException | KeyManagerException | RuntimeException e) {
            // A state that does not load stops the key manager: it never replaces the identity with a new one.
            System.err.println("keymanager: cannot serve: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return EXIT_FAILED;
        } finally {
            Arrays.fill(token, (byte) 0);
        }
    }

    /** Serves {@code backend} until {@code stdin} ends; zeroes {@code token} once the server holds it. */
    static int serve(Path socketDirectory, byte[] token, PrivateKeyOperations backend, InputStream stdin,
            PrintStream stdout) {
        return serve(socketDirectory, token, backend, null, KeyManagerRole.CHAT, stdin, stdout,
                new StartupTimeline());
    }

    /** As above; {@code storageKeys} (may be null) answers DERIVE_STORAGE_KEY for the purposes {@code role} allows. */
    static int serve(Path socketDirectory, byte[] token, PrivateKeyOperations backend, AppStorageKeys storageKeys,
            KeyManagerRole role, InputStream stdin, PrintStream stdout, StartupTimeline timeline) {
        try (KeyManagerServer server = KeyManagerServer.start(socketDirectory, token, backend, storageKeys, role)) {
            Arrays.fill(token, (byte) 0);
            timeline.mark("socket");
            stdout.println(READY_LINE);
            stdout.flush();
            System.err.println(timeline.summary());
            releaseStartupMemory();
            byte[] sink = new byte[64];
            while (stdin.read(sink) >= 0) {
                // Anything after the token line is ignored; only end of file matters.
            }
            return 0;
        } catch (IOException | RuntimeException e) {
            System.err.println("keymanager: cannot serve: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return EXIT_FAILED;
        } finally {
            Arrays.fill(token, (byte) 0);
        }
    }

    /**
     * After the ready line, so that no start waits for it: one full collection, with the child's heap options
     * ({@link KeyManagerProcess}: -XX:MaxHeapFreeRatio, -XX:-ShrinkHeapInSteps) returns the garbage of the start
     * to the OS, above all Argon2id's arena (128 MiB, wiped by Bouncy Castle at the end of the derivation, then
     * unreachable) and the key generation's temporaries; then the C heap is trimmed. Under mlockall those pages
     * would otherwise stay resident and locked for the child's whole life. The line says how much heap stays
     * committed (PROTOCOL.md 18).
     */
    static void releaseStartupMemory() {
        System.gc();
        // The collector freed Java heap; the C heap keeps what the JIT and the start's native work freed until asked.
        boolean trimmed = ProcessHardening.trimNativeHeap();
        Runtime runtime = Runtime.getRuntime();
        System.err.println(MEMORY_RELEASED_PREFIX + "heap " + mib(runtime.totalMemory()) + " MiB committed, "
                + mib(runtime.totalMemory() - runtime.freeMemory()) + " MiB used"
                + (trimmed ? ", C heap trimmed" : ""));
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 19)) >> 20;
    }

    /**
     * Reads exactly 64 hex digits and a newline, byte by byte so that nothing beyond the line is consumed and
     * no String ever holds the token.
     */
    static byte[] readToken(InputStream in) throws IOException {
        byte[] hex = new byte[2 * IpcCodec.TOKEN_LENGTH];
        try {
            for (int i = 0; i < hex.length; i++) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("token line truncated");
                }
                hex[i] = (byte) b;
            }
            if (in.read() != '\n') {
                throw new IOException("token line too long");
            }
            byte[] token = new byte[IpcCodec.TOKEN_LENGTH];
            for (int i = 0; i < token.length; i++) {
                int hi = Character.digit(hex[2 * i], 16);
                int lo = Character.digit(hex[2 * i + 1], 16);
                if (hi < 0 || lo < 0) {
                    Arrays.fill(token, (byte) 0);
                    throw new IOException("token is not hex");
                }
                token[i] = (byte) ((hi << 4) | lo);
            }
            return token;
        } finally {
            Arrays.fill(hex, (byte) 0);
        }
    }
}
