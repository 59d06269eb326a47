package org.securep2p.app;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import org.securep2p.crypto.SecurityLevel;

/**
 * Parses the command lines people type every day ({@code securep2p}, {@code --home DIR --json}, …) without
 * picocli, whose command model costs about 0.3 s at start-up: picocli ships Java 5 class files, which no
 * class-data or AOT cache can hold, and reading its annotations generates proxy classes on every start.
 *
 * <p>Guarantees: it either sets exactly the {@link Main} fields picocli would set for these arguments and
 * answers true, or sets nothing and answers false. Anything it is not sure of (a subcommand, {@code --help}, an
 * {@code @file}, a repeated single option, a value that does not convert, a value that starts with {@code -})
 * is false, and picocli parses it, with its messages. Tests hold it to picocli: the option and subcommand names
 * below equal picocli's model of {@link Main}, and a property compares the two parsers' results.
 */
final class PlainArguments {

    /** Main's options as picocli declares them (without --help and --version, which picocli answers). */
    static final Set<String> OPTIONS = Set.of("--home", "--name", "--level", "--stun", "--turn", "--turn-user",
            "--turn-password-file", "--port", "--trust", "--relay", "--json");
    /** picocli reads a subcommand's name as the subcommand even where an option's value is due. */
    static final Set<String> SUBCOMMANDS = Set.of("ca", "relay", "doctor");

    private PlainArguments() {
    }

    /** Applies {@code args} to {@code main}'s option fields, or returns false having changed nothing. */
    static boolean apply(String[] args, Main main) {
        Main parsed = new Main(main);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            if (!OPTIONS.contains(name)) {
                return false;
            }
            boolean repeatable = name.equals("--stun") || name.equals("--turn");
            if (!seen.add(name) && !repeatable) {
                return false;
            }
            if (name.equals("--json")) {
                if (eq >= 0) {
                    return false;
                }
                parsed.json = true;
                continue;
            }
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                return false;
            }
            if (value.isEmpty() || value.startsWith("-") || value.startsWith("@") || SUBCOMMANDS.contains(value)
                    || !set(parsed, name, value)) {
                return false;
            }
        }
        main.copyOptionsFrom(parsed);
        return true;
    }

    /** Sets one option as picocli would convert it, or returns false where the decision is left to picocli. */
    private static boolean set(Main m, String name, String value) {
        try {
            switch (name) {
                case "--home" -> m.home = Path.of(value);
                case "--name" -> m.name = value;
                case "--level" -> {
                    if (!value.matches("[A-Za-z_]+")) {
                        return false;
                    }
                    m.level = SecurityLevel.valueOf(value.toUpperCase(Locale.ROOT));
                }
                case "--stun" -> m.stun.add(value);
                case "--turn" -> m.turn.add(value);
                case "--turn-user" -> m.turnUser = value;
                case "--turn-password-file" -> m.turnPasswordFile = Path.of(value);
                case "--port" -> {
                    // Plain decimal only: picocli reads "010" and "0x10" its own way.
                    if (!value.matches("[1-9][0-9]{0,8}")) {
                        return false;
                    }
                    m.port = Integer.valueOf(value);
                }
                case "--trust" -> m.trust = value;
                case "--relay" -> m.relay.add(value);
                default -> {
                    return false;
                }
            }
            return true;
        } catch (IllegalArgumentException e) { // InvalidPathException, an unknown level
            return false;
        }
    }
}
