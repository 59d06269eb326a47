package org.securep2p.app;

import java.io.Console;
import java.util.function.BooleanSupplier;

import org.securep2p.keymanager.PassphrasePrompt;

/**
 * The app's answer to a key manager that needs the passphrase of the keys: the user, asked on the terminal
 * without echo, but only while {@code terminalFree} says no screen or reader owns the terminal; otherwise
 * declined, and the key manager reports {@code PASSPHRASE_REQUIRED}. No terminal: no prompt at all.
 */
final class TerminalPassphrase {

    /** What the key-manager failure hints say about passphrases. */
    static final String HINT = "Without an OS keyring, run securep2p in a terminal to be asked for your passphrase,"
            + " or set SECUREP2P_PASSPHRASE_FILE to a file (mode 0600) holding it.";

    private TerminalPassphrase() {
    }

    /** A prompt on this process's console, or null if it has none. */
    // Built for Java 17, where null is how System.console() says "no terminal"; isTerminal() is JDK 22.
    @SuppressWarnings("SystemConsoleNull")
    static PassphrasePrompt ofConsole(BooleanSupplier terminalFree) {
        Console console = System.console();
        if (console == null) {
            return null;
        }
        PassphrasePrompt ask = PassphrasePrompt.console(console);
        return request -> {
            if (!terminalFree.getAsBoolean()) {
                return null;
            }
            if (request == PassphrasePrompt.Request.NEW) {
                console.printf("securep2p: no OS keyring is available, so your keys will be protected by a"
                        + " passphrase (Argon2id). It cannot be recovered if you forget it.%n");
            }
            return ask.ask(request);
        };
    }
}
