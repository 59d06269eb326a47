package org.securep2p.keymanager;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.securep2p.keymanager.IpcException.Reason.UNAVAILABLE;

/**
 * Starts the key manager as a child JVM (same Java, same class path, {@link KeyManagerMain}) and hands out a
 * {@link KeyManagerClient} connected to it.
 *
 * <p>Guarantees: the child gets a fresh random 256-bit token on its stdin only (not in its arguments or
 * environment), and that stdin stays open until {@link #close()}; when this process closes it or dies, the child
 * sees end of file and exits, so it is never orphaned. {@link #start} returns only once the child serves (or
 * fails within {@link #READY_TIMEOUT}). {@link #isAlive()} tells whether the child is still running;
 * {@link #restart()} replaces a dead (or live) child with a new one and a new client.
 *
 * <p>Not its job: telling the user the key manager died or deciding when to restart; the app does that.
 */
public final class KeyManagerProcess implements AutoCloseable {

    /** A cold JVM plus key generation serves in well under a second; 30 s covers a heavily loaded machine. */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    /** After stdin closes the child only closes its socket; 5 s before it is killed instead. */
    static final Duration EXIT_TIMEOUT = Duration.ofSeconds(5);

    /**
     * System property: {@code false} starts the child without a class-data archive (and makes none); for
     * comparing start times, or should an archive ever cause trouble.
     */
    public static final String CLASS_DATA_SHARING_PROPERTY = "securep2p.keymanager.classDataSharing";

    /**
     * System property: the home of the Java runtime (17 or newer) to run the child on, where it differs from the
     * app's. The launcher runs the app on the newest JDK (its ahead-of-time cache starts the menu fastest) and the
     * child on the JDK 17 it checked, whose footprint is smaller: 59-64 MiB resident after start against 66-70 on
     * JDK 25 (MemoryBench, PROTOCOL.md 18, memory). Ignored, with the app's runtime used, when it does not name a
     * runtime of 17 or newer.
     */
    public static final String CHILD_JAVA_HOME_PROPERTY = "securep2p.keymanager.javaHome";

    /** A class-path resource of this module. */
    static final String LOGBACK_CONFIGURATION = "org/securep2p/keymanager/keymanager-logback.xml";

    private final Path socketDirectory;
    private final SecureRandom random;
    private final String mainClass;
    private final List<String> extraArguments;
    private final java.util.Map<String, String> extraEnvironment;
    /** The child's class path: this JVM's, except in the class-data archive's test. */
    private String classPath = System.getProperty("java.class.path");
    private Process process;
    /** The current child's class-data archive, if it has one (used, or being made). */
    private ClassDataArchive archive;
    private OutputStream stdin;
    private KeyManagerClient client;
    /** Where the child's stderr goes (its protection and hardening lines); null: this process's stderr. */
    private Path diagnosticsLog;
    /** Answers the child's passphrase requests; null: the child is not told it may ask. */
    private PassphrasePrompt prompt;
    /** What the child is for; fixed for every child this object starts, restarts included. */
    private KeyManagerRole role = KeyManagerRole.CHAT;

    private KeyManagerProcess(Path socketDirectory, SecureRandom random, String mainClass,
            List<String> extraArguments, java.util.Map<String, String> extraEnvironment) {
        this.socketDirectory = socketDirectory;
        this.random = random;
        this.mainClass = mainClass;
        this.extraArguments = List.copyOf(extraArguments);
        this.extraEnvironment = java.util.Map.copyOf(extraEnvironment);
    }

    /**
     * Whether a start for {@code keyDirectory} will not ask for a passphrase: {@code SECUREP2P_PASSPHRASE_FILE}
     * names the passphrase, or the directory holds no passphrase-wrapped master key and its master key is kept in
     * the OS keyring (the keyring's marker is there). This follows {@link MasterKeyStores}'s order, which looks
     * for a passphrase-wrapped key before the marker. The app starts its screen beside such a start; any other
     * start may need the terminal for a prompt first.
     */
    public static boolean startAsksNoPassphrase(Path keyDirectory, java.util.Map<String, String> environment) {
        String file = environment.get(PassphraseSource.PASSPHRASE_FILE_VARIABLE);
        if (file != null && !file.isEmpty()) {
            return true;
        }
        return !PassphraseMasterKeyStore.exists(keyDirectory) && KeyringMasterKeyStore.markerExists(keyDirectory);
    }

    /**
     * Starts a key-manager child serving in {@code socketDirectory} (created 0700 by the child, or an existing
     * 0700 directory of ours) and connects to it.
     *
     * @throws IOException if the child cannot be started, does not serve within {@link #READY_TIMEOUT}, or
     *                     refuses the connection
     */
    public static KeyManagerProcess start(Path socketDirectory, SecureRandom random) throws IOException {
        return start(socketDirectory, random, KeyManagerMain.class.getName(), List.of(), java.util.Map.of());
    }

    /**
     * As {@link #start(Path, SecureRandom)}, but the child keeps the identity in {@code keyDirectory}, sealed
     * under the master key from the OS keyring or, where there is none, a passphrase file named by
     * {@code SECUREP2P_PASSPHRASE_FILE} in this process's environment (which the child inherits; the child's
     * stdin carries the token, so it cannot prompt). A restart serves the same identity.
     */
    public static KeyManagerProcess start(Path socketDirectory, Path keyDirectory, SecureRandom random)
            throws IOException {
        return start(socketDirectory, keyDirectory, random, java.util.Map.of());
    }

    /**
     * As {@link #start(Path, Path, SecureRandom)}, with the child's stderr appended to {@code diagnosticsLog}
     * instead of this process's (a full-screen UI owns the terminal). The child writes no secret there.
     */
    public static KeyManagerProcess start(Path socketDirectory, Path keyDirectory, SecureRandom random,
            Path diagnosticsLog) throws IOException {
        return start(socketDirectory, keyDirectory, random, diagnosticsLog, null);
    }

    /**
     * As {@link #start(Path, Path, SecureRandom, Path)}; where neither the OS keyring nor
     * {@code SECUREP2P_PASSPHRASE_FILE} gives the master key, the child asks {@code prompt} (through this
     * process) for the passphrase, at this start and at every {@link #restart()}. The time the user takes does
     * not count against {@link #READY_TIMEOUT}. {@code prompt} may be null: no one to ask.
     */
    public static KeyManagerProcess start(Path socketDirectory, Path keyDirectory, SecureRandom random,
            Path diagnosticsLog, PassphrasePrompt prompt) throws IOException {
        return start(socketDirectory, keyDirectory, random, diagnosticsLog, prompt, KeyManagerRole.CHAT);
    }

    /**
     * As {@link #start(Path, Path, SecureRandom, Path, PassphrasePrompt)}, the child started (and restarted) for
     * {@code role}, which decides the storage-key purposes it answers; the other starts use
     * {@link KeyManagerRole#CHAT}.
     */
    public static KeyManagerProcess start(Path socketDirectory, Path keyDirectory, SecureRandom random,
            Path diagnosticsLog, PassphrasePrompt prompt, KeyManagerRole role) throws IOException {
        KeyManagerProcess p = new KeyManagerProcess(socketDirectory.toAbsolutePath(),
                Objects.requireNonNull(random, "random"), KeyManagerMain.class.getName(),
                List.of(keyDirectory.toAbsolutePath().toString()), java.util.Map.of());
        p.diagnosticsLog = diagnosticsLog.toAbsolutePath();
        p.prompt = prompt;
        p.role = Objects.requireNonNull(role, "role");
        p.launch();
        return p;
    }

    /** As above, with variables added to the child's environment (tests: a passphrase file, no session bus). */
    static KeyManagerProcess start(Path socketDirectory, Path keyDirectory, SecureRandom random,
            java.util.Map<String, String> extraEnvironment) throws IOException {
        return start(socketDirectory, random, KeyManagerMain.class.getName(),
                List.of(keyDirectory.toAbsolutePath().toString()), extraEnvironment);
    }

    /** As above, with the child's stderr appended to {@code diagnosticsLog} (tests that read its lines). */
    static KeyManagerProcess start(Path socketDirectory, Path keyDirectory, SecureRandom random,
            java.util.Map<String, String> extraEnvironment, Path diagnosticsLog) throws IOException {
        KeyManagerProcess p = new KeyManagerProcess(socketDirectory.toAbsolutePath(),
                Objects.requireNonNull(random, "random"), KeyManagerMain.class.getName(),
                List.of(keyDirectory.toAbsolutePath().toString()), extraEnvironment);
        p.diagnosticsLog = diagnosticsLog.toAbsolutePath();
        p.launch();
        return p;
    }

    /** As above, the child started for {@code role} (tests). */
    static KeyManagerProcess start(Path socketDirectory, Path keyDirectory, SecureRandom random,
            java.util.Map<String, String> extraEnvironment, KeyManagerRole role) throws IOException {
        KeyManagerProcess p = new KeyManagerProcess(socketDirectory.toAbsolutePath(),
                Objects.requireNonNull(random, "random"), KeyManagerMain.class.getName(),
                List.of(keyDirectory.toAbsolutePath().toString()), extraEnvironment);
        p.role = Objects.requireNonNull(role, "role");
        p.launch();
        return p;
    }

    /** As above, with the child's passphrase requests answered by {@code prompt}. */
    static KeyManagerProcess start(Path socketDirectory, Path keyDirectory, SecureRandom random,
            java.util.Map<String, String> extraEnvironment, PassphrasePrompt prompt) throws IOException {
        KeyManagerProcess p = new KeyManagerProcess(socketDirectory.toAbsolutePath(),
                Objects.requireNonNull(random, "random"), KeyManagerMain.class.getName(),
                List.of(keyDirectory.toAbsolutePath().toString()), extraEnvironment);
        p.prompt = prompt;
        p.launch();
        return p;
    }

    /**
     * Tests only: the same launch (JVM options, token on stdin, ready line, client) of another main class that
     * speaks {@link KeyManagerMain}'s protocol, given {@code <socketDirectory> <extraArguments...>}. The
     * key-isolation test uses it to learn the child's private keys from the child itself.
     */
    static KeyManagerProcess start(Path socketDirectory, SecureRandom random, String mainClass,
            List<String> extraArguments) throws IOException {
        return start(socketDirectory, random, mainClass, extraArguments, java.util.Map.of());
    }

    /**
     * Tests only: as {@link #start(Path, SecureRandom)} with the child's class path given, so that a test can run
     * the child from jars alone, as the app does, and see its class-data archive made and used.
     */
    static KeyManagerProcess startWithClassPath(Path socketDirectory, SecureRandom random, String classPath)
            throws IOException {
        return startWithClassPath(socketDirectory, random, classPath, KeyManagerMain.class.getName(), List.of());
    }

    /** Tests only: as above, of another main class that speaks {@link KeyManagerMain}'s protocol. */
    static KeyManagerProcess startWithClassPath(Path socketDirectory, SecureRandom random, String classPath,
            String mainClass, List<String> extraArguments) throws IOException {
        KeyManagerProcess p = new KeyManagerProcess(socketDirectory.toAbsolutePath(),
                Objects.requireNonNull(random, "random"), Objects.requireNonNull(mainClass, "mainClass"),
                extraArguments, java.util.Map.of());
        p.classPath = Objects.requireNonNull(classPath, "classPath");
        p.launch();
        return p;
    }

    /** The class-data archive the current child uses or makes, if it has one. */
    synchronized Optional<Path> classDataArchive() {
        return Optional.ofNullable(archive).map(ClassDataArchive::path);
    }

    private static KeyManagerProcess start(Path socketDirectory, SecureRandom random, String mainClass,
            List<String> extraArguments, java.util.Map<String, String> extraEnvironment) throws IOException {
        KeyManagerProcess p = new KeyManagerProcess(socketDirectory.toAbsolutePath(),
                Objects.requireNonNull(random, "random"), Objects.requireNonNull(mainClass, "mainClass"),
                extraArguments, extraEnvironment);
        p.launch();
        return p;
    }

    /** The client connected to the current child; after {@link #restart()} a new one. */
    public synchronized KeyManagerClient client() {
        return client;
    }

    /** Whether the current child process is running. */
    public synchronized boolean isAlive() {
        return process.isAlive();
    }

    /** The current child's process id. */
    public synchronized long pid() {
        return process.pid();
    }

    /** The current child, for tests that check how it ended. */
    synchronized Process process() {
        return process;
    }

    /** Ends the current child (if it still runs) and starts a new one with a new token and a new client. */
    public synchronized void restart() throws IOException {
        stop();
        launch();
    }

    private void launch() throws IOException {
        List<String> command = new ArrayList<>();
        ChildRuntime runtime = ChildRuntime.choose(System.getProperty(CHILD_JAVA_HOME_PROPERTY));
        command.add(runtime.home().resolve("bin").resolve("java").toString());
        // The serial collector starts fastest. The heap must hold Argon2id's 128 MiB (passphrase protection,
        // KdfParameters) besides the keys: with 64 MiB a passphrase-protected key manager died of OutOfMemoryError
        // (found by KeyManagerDurableProcessIT).
        command.add("-XX:+UseSerialGC");
        command.addAll(nativeAccessOptions(runtime.feature()));
        // No hsperfdata file (nothing to attach to; a little faster), and the JVM's own messages on stderr only:
        // a JVM warning on stdout would break the ready line.
        command.add("-XX:-UsePerfData");
        command.add("-Xlog:disable");
        command.add("-Xlog:all=warning:stderr");
        command.add("-Xmx256m");
        // A small initial heap that grows as needed: mlockall (ProcessHardening) locks every page the heap
        // touches, and the default initial heap (1/64 of RAM, up to -Xmx) made locking the slowest step of a cold
        // start. It is also the floor the serial collector never shrinks below: with the jars' manifests trimmed
        // (app build) the live data after the start is 4 to 7 MiB, and 8 MiB instead of 16 measured 3 to 4 MiB less
        // resident at ~40-50 ms more start (more collections during it; PROTOCOL.md 18, memory).
        command.add("-Xms8m");
        // Give back what the start no longer needs: after KeyManagerMain's one full collection (past the ready
        // line) the serial collector shrinks the heap to its live data plus at most 20% free, at once rather than
        // in damped steps. Otherwise Argon2id's 128 MiB arena, garbage after the derivation, stayed committed and
        // locked by mlockall (a passphrase-protected child: ~220 MB resident instead of ~65).
        command.add("-XX:MinHeapFreeRatio=10");
        command.add("-XX:MaxHeapFreeRatio=20");
        command.add("-XX:-ShrinkHeapInSteps");
        // The child's own Logback configuration (used where Logback is on the class path, as in the app): not the
        // app's, which would make the child write logs/ files in its working directory.
        command.add("-Dlogback.configurationFile=" + LOGBACK_CONFIGURATION);
        if (keyringProtected()) {
            // Only the JIT's first tier, without profiling: measured ~200 ms off a keyring-protected cold start on
            // two cores, at the price of slower steady-state operations (a Falcon-1024 signature 2.8 ms instead of
            // 1.5, an ML-KEM decapsulation 0.34 ms instead of 0.18: a few ms per handshake). Not for a passphrase,
            // whose Argon2id takes twice as long without the optimising tier (PROTOCOL.md 18, start-up).
            command.add("-XX:TieredStopAtLevel=1");
        }
        Optional<ClassDataArchive.Variant> variant = archiveVariant();
        ClassDataArchive childArchive = Boolean.parseBoolean(System.getProperty(CLASS_DATA_SHARING_PROPERTY, "true"))
                && variant.isPresent()
                ? ClassDataArchive.forClassPath(classPath, runtime.home().toString(), runtime.version(), variant.get(),
                        random).orElse(null)
                : null;
        if (childArchive != null) {
            command.addAll(childArchive.jvmOptions());
        }
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass);
        command.add(socketDirectory.toString());
        command.addAll(extraArguments);
        if (prompt != null && durableChild()) {
            command.add(KeyManagerMain.ASK_PARENT_OPTION);
        }
        if (durableChild()) {
            // The role is the parent's decision, made here once for the child's life; no request can change it.
            command.add(role.option());
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(diagnosticsLog == null
                ? ProcessBuilder.Redirect.INHERIT
                : ProcessBuilder.Redirect.appendTo(diagnosticsLog.toFile()));
        // One glibc malloc arena instead of up to eight per core: the child's few threads seldom allocate natively
        // at once, and each further arena kept a few MiB resident (and locked, mlockall) after the start. Measured
        // on a passphrase-protected child after its ready line: 58-62 MB resident instead of 64-66 (issue 15).
        builder.environment().put("MALLOC_ARENA_MAX", "1");
        builder.environment().putAll(extraEnvironment);
        Process child = builder.start();
        byte[] token = new byte[IpcCodec.TOKEN_LENGTH];
        byte[] line = new byte[2 * IpcCodec.TOKEN_LENGTH + 1];
        try {
            random.nextBytes(token);
            for (int i = 0; i < token.length; i++) {
                line[2 * i] = (byte) Character.forDigit((token[i] >> 4) & 0xF, 16);
                line[2 * i + 1] = (byte) Character.forDigit(token[i] & 0xF, 16);
            }
            line[line.length - 1] = '\n';
            OutputStream childStdin = child.getOutputStream();
            childStdin.write(line);
            childStdin.flush();
            awaitReady(child, childStdin);
            KeyManagerClient connected = KeyManagerClient.connect(
                    socketDirectory.resolve(KeyManagerServer.SOCKET_FILE_NAME), token);
            process = child;
            archive = childArchive;
            stdin = childStdin;
            client = connected;
        } catch (IOException | RuntimeException e) {
            child.destroyForcibly();
            if (childArchive != null) {
                childArchive.childEnded(false);
            }
            throw e;
        } finally {
            Arrays.fill(token, (byte) 0);
            Arrays.fill(line, (byte) 0);
        }
    }

    /**
     * The class-data archive this child maps or makes: one per kind of restore, because every archived class is
     * resident in each child that maps the archive, used or not (a passphrase-protected child mapping the archive
     * a keyring start made: 66 MiB instead of 61; PROTOCOL.md 18, memory). None for a new key directory: its first
     * start loads key generation and the keyring probe, classes no later start needs (10 MB of archive instead of
     * 4); the next start makes it.
     */
    private Optional<ClassDataArchive.Variant> archiveVariant() {
        if (!durableChild()) {
            return Optional.of(ClassDataArchive.Variant.ANY);
        }
        Path keyDirectory = Path.of(extraArguments.get(0));
        if (KeyringMasterKeyStore.markerExists(keyDirectory)) {
            return Optional.of(ClassDataArchive.Variant.KEYRING);
        }
        return PassphraseMasterKeyStore.exists(keyDirectory)
                ? Optional.of(ClassDataArchive.Variant.PASSPHRASE)
                : Optional.empty();
    }

    /**
     * The option that lets the child's class path (JNA: mlockall, no core dumps in ProcessHardening) call native
     * code on a JVM of {@code feature} version: from 22 on, restricted native access warns (JEP 472) and a later
     * JDK denies it, which would turn the child's protections UNAVAILABLE. JDK 17 does not know the option.
     */
    static List<String> nativeAccessOptions(int feature) {
        return feature >= 22 ? List.of("--enable-native-access=ALL-UNNAMED") : List.of();
    }

    /** Whether the child is a {@link KeyManagerMain} with a key directory. */
    private boolean durableChild() {
        return mainClass.equals(KeyManagerMain.class.getName()) && extraArguments.size() == 1;
    }

    /** Whether this is a {@link KeyManagerMain} child whose key directory keeps its master key in the OS keyring. */
    private boolean keyringProtected() {
        return durableChild() && KeyringMasterKeyStore.markerExists(Path.of(extraArguments.get(0)));
    }

    /**
     * Reads the child's stdout until the ready line, answering passphrase requests on its stdin in between;
     * each wait for a line is bounded by {@link #READY_TIMEOUT}, the user's typing is not.
     */
    private void awaitReady(Process child, OutputStream childStdin) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.US_ASCII));
        while (true) {
            String line = nextLine(child, out);
            if (KeyManagerMain.READY_LINE.equals(line)) {
                return;
            }
            if (line == null || !line.startsWith(PassphraseSource.PASSPHRASE_REQUEST_PREFIX)) {
                throw new IpcException(UNAVAILABLE, "key manager exited before serving"
                        + (child.isAlive() ? "" : " (status " + child.exitValue() + ")"));
            }
            PassphrasePrompt.Request request;
            try {
                request = PassphrasePrompt.Request.valueOf(
                        line.substring(PassphraseSource.PASSPHRASE_REQUEST_PREFIX.length()));
            } catch (IllegalArgumentException e) {
                throw new IpcException(UNAVAILABLE, "key manager asked for an unknown passphrase request");
            }
            answer(request, childStdin);
        }
    }

    /** Writes the user's answer (UTF-8, one line; an empty line declines) and wipes every copy of it. */
    private void answer(PassphrasePrompt.Request request, OutputStream childStdin) throws IOException {
        char[] passphrase = prompt == null ? null : prompt.ask(request);
        byte[] encoded = null;
        try {
            if (passphrase != null && !containsLineEnd(passphrase)) {
                try {
                    encoded = KdfParameters.utf8(passphrase);
                } catch (KeyManagerException invalid) {
                    // Empty, too long or not Unicode: nothing to send, which the child reports as declined.
                }
            }
            if (encoded != null) {
                childStdin.write(encoded);
            }
            childStdin.write('\n');
            childStdin.flush();
        } finally {
            if (passphrase != null) {
                Arrays.fill(passphrase, '\0');
            }
            if (encoded != null) {
                Arrays.fill(encoded, (byte) 0);
            }
        }
    }

    private static boolean containsLineEnd(char[] passphrase) {
        for (char c : passphrase) {
            if (c == '\n' || c == '\r') {
                return true;
            }
        }
        return false;
    }

    private static String nextLine(Process child, BufferedReader out) throws IOException {
        CompletableFuture<String> next = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        }, r -> {
            Thread t = new Thread(r, "keymanager-ready-" + child.pid());
            t.setDaemon(true);
            t.start();
        });
        try {
            return next.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IpcException(UNAVAILABLE, "key manager did not serve within " + READY_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IpcException(UNAVAILABLE, "interrupted while waiting for the key manager");
        } catch (ExecutionException e) {
            throw new IpcException(UNAVAILABLE, "could not read the key manager's output", e);
        }
    }

    /** Closes the client and the child's stdin, waits (bounded) for the child to exit, else kills it. */
    private void stop() {
        if (process == null) {
            return;
        }
        client.close();
        try {
            stdin.close();
        } catch (IOException ignored) {
            // A dead child's pipe may refuse to close cleanly; it is gone either way.
        }
        boolean exitedNormally = false;
        try {
            if (process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                exitedNormally = process.exitValue() == 0;
            } else {
                process.destroyForcibly().waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        if (archive != null) {
            // A child that made the archive wrote it on its way out; only a normal exit's archive is kept.
            archive.childEnded(exitedNormally && !process.isAlive());
            archive = null;
        }
    }

    /** Ends the child: closes its stdin so it exits by itself (killed if it has not within a few seconds). */
    @Override
    public synchronized void close() {
        stop();
    }

    @Override
    public synchronized String toString() {
        return "KeyManagerProcess[pid " + process.pid() + (process.isAlive() ? "" : ", exited") + "]";
    }
}
