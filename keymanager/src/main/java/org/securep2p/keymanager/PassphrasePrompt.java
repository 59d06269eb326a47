package org.securep2p.keymanager;

import java.io.Console;
import java.util.Arrays;
import java.util.Objects;

/**
 * How the app asks its user for the key directory's passphrase when the key manager needs one and no file
 * or descriptor gives it. The key manager's stdin carries its launch token, so it cannot prompt itself: it
 * asks its parent over the same pipe, and {@link KeyManagerProcess} answers with what this returns
 * (PROTOCOL.md 15, "Passphrase from the app").
 *
 * <p>Guarantees of the implementations here: no echo; a new passphrase is asked twice and must match; a
 * returned array belongs to the caller, who wipes it. Returning {@code null} declines, and the key manager
 * then fails with {@code PASSPHRASE_REQUIRED}.
 */
@FunctionalInterface
public interface PassphrasePrompt {

    /** What the key manager asks for. */
    enum Request {
        /** A new key directory: choose a passphrase. */
        NEW,
        /** The passphrase of an existing key directory. */
        EXISTING,
        /** The previous answer did not open the key directory: ask again. */
        RETRY
    }

    /** The passphrase for {@code request}, or null to decline. Called on the thread that starts the child. */
    char[] ask(Request request);

    /**
     * Asks on {@code console} without echo; a new passphrase must be strong enough ({@link PassphraseStrength},
     * else the user is told why and asked again) and is asked twice; three tries in all.
     */
    static PassphrasePrompt console(Console console) {
        Objects.requireNonNull(console, "console");
        return terminal(console::readPassword, line -> console.printf("%s%n", line));
    }

    /** A terminal that reads a line without echo after showing a prompt, and shows a line. */
    interface Terminal {
        char[] readPassword(String prompt);
    }

    /** {@link #console} over any terminal (tests script one). */
    static PassphrasePrompt terminal(Terminal console, java.util.function.Consumer<String> say) {
        return request -> {
            switch (request) {
                case EXISTING -> {
                    return console.readPassword("Passphrase for the securep2p keys: ");
                }
                case RETRY -> {
                    return console.readPassword("That passphrase did not open the keys. Passphrase: ");
                }
                default -> {
                    for (int i = 0; i < 3; i++) {
                        char[] first = console.readPassword("New passphrase for the securep2p keys: ");
                        if (first == null) {
                            return null;
                        }
                        java.util.Optional<String> weak = PassphraseStrength.refusal(first);
                        if (weak.isPresent()) {
                            Arrays.fill(first, '\0');
                            say.accept(weak.get());
                            continue;
                        }
                        char[] second = console.readPassword("Repeat the passphrase: ");
                        boolean same = second != null && PassphraseText.equalsConstantTime(first, second);
                        if (second != null) {
                            Arrays.fill(second, '\0');
                        }
                        if (same) {
                            return first;
                        }
                        Arrays.fill(first, '\0');
                        if (second == null) {
                            return null;
                        }
                        say.accept("The two passphrases differ; again.");
                    }
                    return null;
                }
            }
        };
    }
}
