package org.securep2p.app;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.securep2p.crypto.SecurityLevel;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code securep2p} command: the TUI by default, {@code --json} for the headless JSON-RPC mode. Options
 * override the settings files in the home ({@code securep2p.conf} for the network, {@code profile.properties}
 * for name and level). No secret is ever taken from the command line: the TURN password comes from a file.
 */
@Command(name = "securep2p", mixinStandardHelpOptions = true, version = "securep2p 0.1.0",
        subcommands = {CaCommand.class, RelayCommand.class, DoctorCommand.class},
        description = "Post-quantum peer-to-peer chat: share a connection code, verify the safety number, talk.",
        sortOptions = false)
public final class Main implements Callable<Integer> {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    @Option(names = "--home", paramLabel = "DIR",
            description = "Folder for keys/, cert/, logs/, conversations/ and the trust store (default: $SECUREP2P_HOME,"
                    + " else $XDG_DATA_HOME/securep2p, else ~/.local/share/securep2p).")
    Path home;

    @Option(names = "--name", paramLabel = "NAME", description = "Your username as peers see it (saved in the home).")
    String name;

    @Option(names = "--level", paramLabel = "LEVEL",
            description = "Minimum security level: STANDARD, ENHANCED or QUANTUM_RESISTANT (default).")
    SecurityLevel level;

    @Option(names = "--stun", paramLabel = "HOST:PORT", description = "A STUN server (repeatable).")
    List<String> stun = new ArrayList<>();

    @Option(names = "--turn", paramLabel = "turn:HOST:PORT", description = "A TURN relay (repeatable).")
    List<String> turn = new ArrayList<>();

    @Option(names = "--turn-user", paramLabel = "NAME", description = "TURN username.")
    String turnUser;

    @Option(names = "--turn-password-file", paramLabel = "FILE",
            description = "File holding the TURN password (never on the command line).")
    Path turnPasswordFile;

    @Option(names = "--port", paramLabel = "PORT",
            description = "Listen on this fixed UDP port for the whole run (for a forwarded router port): contacts connect"
                    + " with host:port at any time; you are asked before a stranger is let in.")
    Integer port;

    @Option(names = "--trust", paramLabel = "MODE",
            description = "ca:PATH to accept only peers whose certificate the organisation CA at PATH (its ca.crt) issued,"
                    + " with your own in cert/member.crt; 'codes' for connection codes and trust on first use (default)."
                    + " Saved in the home.")
    String trust;

    @Option(names = "--relay", paramLabel = "wss://HOST:PORT/#FP",
            description = "A relay for contacts who are offline (repeatable; the first keeps your inboxes), as the"
                    + " relay printed it. Adds to relay.servers in securep2p.conf.")
    List<String> relay = new ArrayList<>();

    @Option(names = "--json", description = "Headless mode: JSON-RPC 2.0 on stdin/stdout, one object per line.")
    boolean json;

    private final PrintStream out;
    private final PrintStream err;

    Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** A fresh instance writing where {@code other} writes, for {@link PlainArguments} to fill. */
    Main(Main other) {
        this(other.out, other.err);
    }

    /** Takes every option value of {@code other}: {@link PlainArguments} applies a command line all or nothing. */
    void copyOptionsFrom(Main other) {
        home = other.home;
        name = other.name;
        level = other.level;
        stun = new ArrayList<>(other.stun);
        turn = new ArrayList<>(other.turn);
        turnUser = other.turnUser;
        turnPasswordFile = other.turnPasswordFile;
        port = other.port;
        trust = other.trust;
        relay = new ArrayList<>(other.relay);
        json = other.json;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Main plain = new Main(out, err);
        if (PlainArguments.apply(args, plain)) {
            return plain.call();
        }
        CommandLine cl = commandLine(new Main(out, err));
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        return cl.execute(args);
    }

    static CommandLine commandLine(Main main) {
        return new CommandLine(main).setCaseInsensitiveEnumValuesAllowed(true)
                .setExitCodeExceptionMapper(e -> USAGE)
                .setParameterExceptionHandler((e, args) -> {
                    e.getCommandLine().getErr().println("securep2p: " + e.getMessage());
                    e.getCommandLine().usage(e.getCommandLine().getErr());
                    return USAGE;
                });
    }

    @Override
    public Integer call() {
        if (port != null && (port < 1 || port > 65535)) {
            err.println("securep2p: --port must be 1..65535");
            return USAGE;
        }
        Home h = home();
        if (home == null) {
            // Before issue 15 the default home was the working directory: a user upgrading in such a folder would
            // otherwise get a new identity without a word, and peers a key-change warning.
            Optional<Path> old = Home.previousDefaultIn(Path.of("").toAbsolutePath(), h.root());
            if (old.isPresent()) {
                err.println("securep2p: the working directory " + old.get() + " holds a securep2p home (keys/, the"
                        + " default before this version); the default home is now " + h.root() + ". Start with"
                        + " --home " + old.get() + " to keep using it, or move it: mv keys cert logs conversations"
                        + " trusted_peers.json profile.properties securep2p.conf " + h.root() + "/");
                return USAGE;
            }
        }
        // Before any logger exists: logback reads the folder from this property.
        System.setProperty("securep2p.logs", h.logs().toString());
        try {
            h.createAll();
        } catch (IOException e) {
            err.println("securep2p: cannot use the home folder " + h.root() + ": " + e.getMessage());
            return FAILED;
        }
        Profile profile;
        try {
            profile = Profile.load(h.profileFile());
        } catch (AppException e) {
            err.println("securep2p: " + e.getMessage());
            return FAILED;
        }
        Optional<String> username = Optional.ofNullable(name).or(profile::username);
        if (username.isEmpty() && !json) {
            username = askUsername();
        }
        if (username.isEmpty()) {
            err.println("securep2p: first run: choose a username with --name NAME");
            return USAGE;
        }
        if (!Profile.isValidUsername(username.get())) {
            err.println("securep2p: a username is 1 to 32 characters, without control characters");
            return USAGE;
        }
        SecurityLevel floor = level != null ? level : profile.level().orElse(SecurityLevel.DEFAULT);
        String trustSetting = trust != null ? trust.strip() : profile.trust().orElse(Profile.TRUST_CODES);
        if (!Profile.isValidTrust(trustSetting)) {
            err.println("securep2p: --trust must be 'codes' or 'ca:PATH' (the organisation CA's certificate)");
            return USAGE;
        }
        Optional<Path> organisationCa = Optional.empty();
        if (trustSetting.startsWith(Profile.TRUST_CA_PREFIX)) {
            // Saved absolute: the setting must mean the same file whatever folder the next run starts in.
            Path ca;
            try {
                ca = Path.of(trustSetting.substring(Profile.TRUST_CA_PREFIX.length())).toAbsolutePath().normalize();
            } catch (java.nio.file.InvalidPathException e) {
                err.println("securep2p: --trust ca:PATH: not a path: " + e.getMessage());
                return USAGE;
            }
            if (!Files.isRegularFile(ca)) {
                // Checked before it is saved: a mistyped path must not stick to every later start.
                err.println("securep2p: --trust: no CA certificate at " + ca);
                return USAGE;
            }
            trustSetting = Profile.TRUST_CA_PREFIX + ca;
            organisationCa = Optional.of(ca);
        }
        try {
            profile.save(h.profileFile(), username.get(), floor, trustSetting);
        } catch (AppException e) {
            err.println("securep2p: " + e.getMessage());
            return FAILED;
        }
        Wiring.Options options = new Wiring.Options(h, username.get(), floor, stun, turn, turnUser,
                Optional.ofNullable(turnPasswordFile), Optional.ofNullable(port), json, organisationCa,
                profile.tuiBell(), relay);
        DoctorCommand.register(options);
        return Wiring.run(options, System.in, out, err);
    }

    /** The home this run uses: {@code --home}, else {@link Home#defaultRoot}. Shared with the {@code ca} commands. */
    Home home() {
        return new Home(home != null ? home
                : Home.defaultRoot(System.getenv(), Path.of(System.getProperty("user.home"))));
    }

    // Built for Java 17, where null is how System.console() says "no terminal"; isTerminal() is JDK 22.
    @SuppressWarnings("SystemConsoleNull")
    private Optional<String> askUsername() {
        java.io.Console console = System.console();
        if (console == null) {
            return Optional.empty();
        }
        out.println("Welcome to securep2p. Your identity (keys) is created on this first run.");
        String line = console.readLine("Choose a username (peers see it): ");
        return line == null || line.isBlank() ? Optional.empty() : Optional.of(line.strip());
    }

    static Optional<String> readSecretFile(Path file) throws IOException {
        String s = Files.readString(file, StandardCharsets.UTF_8).strip();
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }
}
