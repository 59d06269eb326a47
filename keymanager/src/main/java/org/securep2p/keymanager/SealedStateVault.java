package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.Optional;

import org.securep2p.crypto.SecretBytes;

/**
 * The production {@link StateVault}: the encoded private-key state sealed (AEAD under the master key, role
 * {@value #ROLE}) in {@code keys/identity.state}, written atomically by {@link SealedFile}. A damaged or
 * truncated file fails authentication and is reported, never replaced (PROTOCOL.md 15, 17).
 */
final class SealedStateVault implements StateVault {

    static final String FILE_NAME = "identity.state";
    /** Bound into the associated data, so no other sealed file can be swapped in for this one. */
    static final String ROLE = "private-key-state";

    private final Path file;
    private final SecretBytes masterKey;
    private final SecureRandom random;

    /** {@code masterKey} stays the caller's: it is used, never closed, here. */
    SealedStateVault(Path keyDirectory, SecretBytes masterKey, SecureRandom random) throws KeyManagerException {
        KeyDirectory.ensure(keyDirectory);
        this.file = keyDirectory.resolve(FILE_NAME);
        this.masterKey = Objects.requireNonNull(masterKey, "masterKey");
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public Optional<byte[]> load() throws IOException {
        try {
            return Optional.of(SealedFile.read(file, ROLE, masterKey));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (KeyManagerException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public void store(byte[] state) throws IOException {
        try {
            SealedFile.write(file, ROLE, state, masterKey, random);
        } catch (KeyManagerException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public String location() {
        return file.toString();
    }

    @Override
    public String toString() {
        return "SealedStateVault[" + file + "]";
    }
}
