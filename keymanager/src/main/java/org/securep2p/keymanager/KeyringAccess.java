package org.securep2p.keymanager;

import java.util.Optional;

import com.github.javakeyring.BackendNotSupportedException;
import com.github.javakeyring.Keyring;
import com.github.javakeyring.PasswordAccessException;

import static org.securep2p.keymanager.KeyManagerException.Reason.KEYRING_LOCKED;
import static org.securep2p.keymanager.KeyManagerException.Reason.KEYRING_UNAVAILABLE;
import static org.securep2p.keymanager.KeyManagerException.Reason.STORAGE_FAILED;

/**
 * The OS keyring as the key manager needs it: read and write one string per (service, account), with
 * java-keyring's failure modes turned into reasons. No java-keyring type leaves this file.
 */
interface KeyringAccess extends AutoCloseable {

    /** The stored value, or empty if there is none. */
    Optional<String> get(String service, String account) throws KeyManagerException;

    void set(String service, String account, String value) throws KeyManagerException;

    /**
     * Fails with {@code KEYRING_LOCKED} if the keyring cannot be written. A locked Secret Service collection
     * answers a lookup with "no such entry", so a missing entry is only believed after this check.
     */
    void checkUnlocked() throws KeyManagerException;

    /** A short name of the backend for the security log ("Secret Service"). */
    String backendName();

    @Override
    void close();

    /** The platform keyring through java-keyring. */
    static KeyringAccess system() throws KeyManagerException {
        Keyring keyring;
        try {
            keyring = Keyring.create();
        } catch (BackendNotSupportedException e) {
            // On Linux: no session bus, or no Secret Service on it.
            throw new KeyManagerException(KEYRING_UNAVAILABLE, "java-keyring found no usable backend", e);
        } catch (RuntimeException e) {
            // JNA or D-Bus failures while probing are, to the user, the same as no keyring.
            throw new KeyManagerException(KEYRING_UNAVAILABLE, "java-keyring failed to start: "
                    + e.getClass().getSimpleName(), e);
        }
        return new JavaKeyring(keyring);
    }
}

final class JavaKeyring implements KeyringAccess {

    private final Keyring keyring;

    JavaKeyring(Keyring keyring) {
        this.keyring = keyring;
    }

    @Override
    public Optional<String> get(String service, String account) throws KeyManagerException {
        try {
            return Optional.of(keyring.getPassword(service, account));
        } catch (PasswordAccessException e) {
            // java-keyring uses this one type for "no such entry" (and for duplicates); the caller's marker
            // file tells a first run from a lost entry.
            return Optional.empty();
        } catch (RuntimeException e) {
            // A locked collection makes the Secret Service client fail with unchecked exceptions (seen: a
            // NullPointerException), and the exception text is never passed on: it could echo values.
            throw new KeyManagerException(KEYRING_LOCKED, "reading the keyring failed with "
                    + e.getClass().getSimpleName());
        }
    }

    @Override
    public void set(String service, String account, String value) throws KeyManagerException {
        try {
            keyring.setPassword(service, account, value);
        } catch (PasswordAccessException e) {
            throw new KeyManagerException(STORAGE_FAILED, "the keyring refused to store the master key");
        } catch (RuntimeException e) {
            throw new KeyManagerException(KEYRING_LOCKED, "writing the keyring failed with "
                    + e.getClass().getSimpleName());
        }
    }

    /** Entry written and removed again by {@link #checkUnlocked()}; it holds no secret. */
    static final String LOCK_PROBE_ACCOUNT = "lock-probe";

    @Override
    public void checkUnlocked() throws KeyManagerException {
        set(KeyringMasterKeyStore.SERVICE, LOCK_PROBE_ACCOUNT, "unlocked");
        try {
            keyring.deletePassword(KeyringMasterKeyStore.SERVICE, LOCK_PROBE_ACCOUNT);
        } catch (PasswordAccessException | RuntimeException e) {
            // The write went through, so the keyring is unlocked; a leftover probe entry is harmless.
        }
    }

    @Override
    public String backendName() {
        return String.valueOf(keyring.getKeyringStorageType());
    }

    @Override
    public void close() {
        try {
            keyring.close();
        } catch (Exception ignored) {
            // Closing only drops the D-Bus connection; nothing is lost if that fails.
        }
    }
}
