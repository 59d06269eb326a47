package org.securep2p.keymanager;

import java.util.Arrays;
import java.util.Objects;

import org.securep2p.crypto.SecretBytes;

/**
 * A master key held in memory and what the security log says about it: the part that the keyring and the
 * passphrase {@link MasterKeyStore}s share once they have loaded (or created) the key.
 *
 * <p>Guarantees: hands out fresh copies only, wipes the key on {@link #close()} (a copy after that fails), and
 * {@code toString()} never shows the key.
 *
 * <p>Not its job: loading, unwrapping or creating the key, which is each store's own business.
 */
final class LoadedMasterKey implements AutoCloseable {

    private final SecretBytes key;
    private final String description;
    private final boolean isNew;

    LoadedMasterKey(SecretBytes key, String description, boolean isNew) {
        this.key = Objects.requireNonNull(key, "key");
        this.description = Objects.requireNonNull(description, "description");
        this.isNew = isNew;
    }

    /** A fresh copy of the key; the caller closes it. */
    SecretBytes copy() {
        byte[] bytes = key.copyBytes();
        try {
            return SecretBytes.copyOf(bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    String description() {
        return description;
    }

    boolean isNew() {
        return isNew;
    }

    @Override
    public void close() {
        key.close();
    }

    @Override
    public String toString() {
        return "LoadedMasterKey[" + description + "]";
    }
}
