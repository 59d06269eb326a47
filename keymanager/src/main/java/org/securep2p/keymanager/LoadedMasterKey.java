package org.securep2p.keymanager;

import java.util.Arrays;
import java.util.Objects;

import org.securep2p.crypto.SecretBytes;

/**
 * A {@link MasterKeyStore} whose key is loaded: the part that the keyring and the passphrase stores share once
 * they have loaded (or created) the key, and what the security log says about it.
 *
 * <p>Guarantees: hands out fresh copies only, wipes the key on {@link #close()} (a copy after that fails), and
 * {@code toString()} never shows the key.
 *
 * <p>Not its job: loading, unwrapping or creating the key, which is each store's own business (its static
 * factories), nor saying how the key is protected.
 */
abstract class LoadedMasterKey implements MasterKeyStore {

    private final SecretBytes key;
    private final String description;
    private final boolean isNew;

    LoadedMasterKey(SecretBytes key, String description, boolean isNew) {
        this.key = Objects.requireNonNull(key, "key");
        this.description = Objects.requireNonNull(description, "description");
        this.isNew = isNew;
    }

    /** A fresh copy of the key; the caller closes it. */
    @Override
    public final SecretBytes masterKey() {
        byte[] bytes = key.copyBytes();
        try {
            return SecretBytes.copyOf(bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    @Override
    public final String description() {
        return description;
    }

    @Override
    public final boolean isNew() {
        return isNew;
    }

    @Override
    public void close() {
        key.close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + description + "]";
    }
}
