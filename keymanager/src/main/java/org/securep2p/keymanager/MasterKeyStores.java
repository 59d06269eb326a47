package org.securep2p.keymanager;

import java.io.Console;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import static org.securep2p.keymanager.KeyManagerException.Reason.KEYRING_LOCKED;
import static org.securep2p.keymanager.KeyManagerException.Reason.KEYRING_UNAVAILABLE;
import static org.securep2p.keymanager.KeyManagerException.Reason.PASSPHRASE_REQUIRED;
import static org.securep2p.keymanager.KeyManagerException.Reason.WRONG_PASSPHRASE;

/**
 * Chooses and opens the {@link MasterKeyStore} of a key directory, in this order:
 * <ol>
 *   <li>the directory already holds a passphrase-wrapped master key: the passphrase, from the first
 *   available source (the explicit one, {@code SECUREP2P_PASSPHRASE_FILE}, the console), else
 *   {@code PASSPHRASE_REQUIRED};</li>
 *   <li>the directory's marker says the master key is in the OS keyring: the keyring, and its failures
 *   ({@code KEYRING_UNAVAILABLE}, {@code KEYRING_LOCKED}, {@code KEYRING_ENTRY_MISSING}) are final, because
 *   falling back would create a second master key that cannot open the existing key files;</li>
 *   <li>a new directory: the OS keyring if it is available and unlocked; otherwise a new passphrase from the
 *   first available source; otherwise {@code PASSPHRASE_REQUIRED}. There is never a default passphrase.</li>
 * </ol>
 * The chosen store's {@link MasterKeyStore#protection()} and {@link MasterKeyStore#description()} say which
 * protection is active and why, for the UI and the security log.
 *
 * <p>Not its job: writing the log, or migrating a directory from one protection to the other.
 */
public final class MasterKeyStores {

    private MasterKeyStores() {
    }

    /**
     * Opens the master key of {@code keyDir} with the real OS keyring, {@code System.console()} and the
     * production Argon2id cost.
     *
     * @param env the process environment (for {@code SECUREP2P_PASSPHRASE_FILE})
     * @param explicit a passphrase source chosen by the user (e.g. a file descriptor), or null
     */
    public static MasterKeyStore open(Path keyDir, Map<String, String> env, PassphraseSource explicit,
            SecureRandom random) throws KeyManagerException {
        // Java 17 (the runtimes ChildRuntime accepts) returns null without a terminal; 22+ would need isTerminal().
        @SuppressWarnings("SystemConsoleNull")
        Console console = System.console();
        return open(keyDir, env, explicit, console == null ? null : PassphraseSource.fromConsole(console), random);
    }

    /**
     * As above, with {@code interactive} (e.g. {@link PassphraseSource#fromParent}) as the last passphrase
     * source instead of the console; null for none.
     */
    public static MasterKeyStore open(Path keyDir, Map<String, String> env, PassphraseSource explicit,
            PassphraseSource interactive, SecureRandom random) throws KeyManagerException {
        return open(keyDir, env, explicit, interactive, KeyringAccess::system,
                () -> KdfParameters.freshDefault(random), random);
    }

    interface KeyringOpener {
        KeyringAccess open() throws KeyManagerException;
    }

    /** The selection with every dependency injected, for tests. */
    static MasterKeyStore open(Path keyDir, Map<String, String> env, PassphraseSource explicit,
            PassphraseSource console, KeyringOpener keyringOpener, Supplier<KdfParameters> newKdfParameters,
            SecureRandom random) throws KeyManagerException {
        Objects.requireNonNull(keyDir, "keyDir");
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(random, "random");
        KeyDirectory.ensure(keyDir);
        PassphraseSource passphrase = passphraseSource(env, explicit, console);
        if (PassphraseMasterKeyStore.exists(keyDir)) {
            if (passphrase == null) {
                throw new KeyManagerException(PASSPHRASE_REQUIRED, "key directory " + keyDir
                        + " is passphrase-protected and no passphrase source is available");
            }
            for (int attempt = 1; ; attempt++) {
                try {
                    return PassphraseMasterKeyStore.open(keyDir, passphrase);
                } catch (KeyManagerException e) {
                    if (e.reason() != WRONG_PASSPHRASE || attempt >= passphrase.attempts()) {
                        throw e;
                    }
                }
            }
        }
        if (KeyringMasterKeyStore.markerExists(keyDir)) {
            return openKeyring(keyringOpener.open(), keyDir, random, "existing key directory");
        }
        KeyManagerException keyringProblem;
        try {
            return openKeyring(keyringOpener.open(), keyDir, random, "new key directory, OS keyring available");
        } catch (KeyManagerException e) {
            if (e.reason() != KEYRING_UNAVAILABLE && e.reason() != KEYRING_LOCKED) {
                throw e;
            }
            keyringProblem = e;
        }
        if (passphrase == null) {
            throw new KeyManagerException(PASSPHRASE_REQUIRED, "the OS keyring cannot be used ("
                    + keyringProblem.reason() + ") and no passphrase source is available", keyringProblem);
        }
        return PassphraseMasterKeyStore.create(keyDir, passphrase, newKdfParameters.get(), random,
                "OS keyring not used: " + keyringProblem.reason());
    }

    /** The store keeps {@code keyring} open (for the key state's high water); closed here if opening fails. */
    private static MasterKeyStore openKeyring(KeyringAccess keyring, Path keyDir, SecureRandom random, String why)
            throws KeyManagerException {
        try {
            return KeyringMasterKeyStore.open(keyring, keyDir, random, why);
        } catch (KeyManagerException | RuntimeException e) {
            keyring.close();
            throw e;
        }
    }

    /**
     * Where the key state's high water lives for {@code store}: beside a keyring-kept master key; nowhere for a
     * passphrase (PROTOCOL.md 17 says what is then not detected).
     */
    static HighWaterStore highWaterOf(MasterKeyStore store) {
        return store instanceof KeyringMasterKeyStore keyring ? keyring.highWater() : HighWaterStore.NONE;
    }

    private static PassphraseSource passphraseSource(Map<String, String> env, PassphraseSource explicit,
            PassphraseSource console) {
        if (explicit != null) {
            return explicit;
        }
        String file = env.get(PassphraseSource.PASSPHRASE_FILE_VARIABLE);
        if (file != null && !file.isEmpty()) {
            return PassphraseSource.fromFile(Path.of(file));
        }
        return console;
    }
}
