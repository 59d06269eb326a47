package org.securep2p.keymanager;

import org.securep2p.crypto.SecretBytes;

/**
 * The 32-byte master key under which every key file of one key directory is sealed, loaded (or created from
 * the injected {@code SecureRandom} on first use) when the store is opened, and held until {@link #close()}.
 * Obtain one through {@link MasterKeyStores#open}.
 *
 * <p>Guarantees: {@link #masterKey()} always returns the same key for the same key directory and protection;
 * a new master key is only ever created when none exists, never in place of one that cannot be read (that is
 * an error with a {@link KeyManagerException.Reason}). {@code toString()} never shows the key.
 *
 * <p>Not its job: encrypting key files (see the sealed file format in {@code docs/PROTOCOL.md} section 15),
 * choosing between keyring and passphrase ({@link MasterKeyStores}), or writing the security log (the app
 * does, from {@link #protection()} and {@link #description()}).
 */
public interface MasterKeyStore extends AutoCloseable {

    /** The length of the master key in bytes. */
    int MASTER_KEY_LENGTH = 32;

    /** A fresh copy of the master key; the caller closes it. Fails once the store is closed. */
    SecretBytes masterKey();

    /**
     * Whether this open created the master key, i.e. the key directory is new: only then may the key manager
     * create the files sealed under it ({@code identity.state}, {@code app-storage.sealed}); under an existing
     * master key a missing one is {@code KEY_FILE_MISSING} (PROTOCOL.md 15).
     */
    boolean isNew();

    /** Which secret protects the master key at rest. */
    Protection protection();

    /** One line for the security log: protection, where it lives, and why it was chosen. Never secret. */
    String description();

    /** Wipes the master key held in memory. */
    @Override
    void close();
}
