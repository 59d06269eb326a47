package org.securep2p.keymanager;

import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HashFunction;
import org.securep2p.crypto.Hkdf;
import org.securep2p.crypto.SecretBytes;

/**
 * The keys the app seals its own files with (conversations, queues): {@code HKDF-SHA-256(ikm = S, salt = none,
 * info = "securep2p/v1/keymanager/app-storage-key\0" || purpose, 32)}, where S is a random 32-byte secret the
 * key manager creates once and keeps in {@value #FILE_NAME}, sealed under the master key like the private-key
 * state (PROTOCOL.md 16.4). A separate secret, so that the master key stays an AEAD key only.
 *
 * <p>Not its job: private keys. These storage keys leave the key manager by design.
 */
final class AppStorageKeys implements AutoCloseable {

    static final String FILE_NAME = "app-storage.sealed";
    static final String ROLE = "app-storage-secret";
    static final int MAX_PURPOSE_LENGTH = 32;
    private static final int SECRET_LENGTH = 32;
    private static final Pattern PURPOSE = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final String INFO = "securep2p/v1/keymanager/app-storage-key\0";

    private final SecretBytes secret;

    private AppStorageKeys(SecretBytes secret) {
        this.secret = secret;
    }

    /**
     * Loads the sealed secret from {@code keyDirectory}, creating it (durably) only if {@code newKeyDirectory}
     * (the master key was created by this start): under an existing master key a missing file is
     * {@code KEY_FILE_MISSING}, since a new secret could not open the app's files sealed under the old one.
     */
    static AppStorageKeys openOrCreate(Path keyDirectory, boolean newKeyDirectory, SecretBytes masterKey,
            SecureRandom random) throws KeyManagerException {
        Path file = keyDirectory.resolve(FILE_NAME);
        byte[] bytes;
        try {
            bytes = SealedFile.read(file, ROLE, masterKey);
        } catch (NoSuchFileException e) {
            if (!newKeyDirectory) {
                throw new KeyManagerException(KeyManagerException.Reason.KEY_FILE_MISSING, file
                        + " is missing although the master key exists; no new storage secret was made");
            }
            bytes = new byte[SECRET_LENGTH];
            random.nextBytes(bytes);
            SealedFile.write(file, ROLE, bytes, masterKey, random);
        }
        try {
            if (bytes.length != SECRET_LENGTH) {
                throw new KeyManagerException(KeyManagerException.Reason.CORRUPT_FILE,
                        file + " holds " + bytes.length + " bytes, not " + SECRET_LENGTH);
            }
            return new AppStorageKeys(SecretBytes.copyOf(bytes));
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    static boolean isValidPurpose(String purpose) {
        return purpose != null && PURPOSE.matcher(purpose).matches();
    }

    SecretBytes derive(String purpose) throws CryptoException {
        Objects.requireNonNull(purpose, "purpose");
        if (!isValidPurpose(purpose)) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "storage-key purpose is not [a-z][a-z0-9-]{0,31}");
        }
        byte[] ikm = secret.copyBytes();
        try {
            return Hkdf.derive(HashFunction.SHA_256, ikm, null, (INFO + purpose).getBytes(StandardCharsets.US_ASCII),
                    32);
        } finally {
            Arrays.fill(ikm, (byte) 0);
        }
    }

    @Override
    public void close() {
        secret.close();
    }

    @Override
    public String toString() {
        return "AppStorageKeys[sealed secret]";
    }
}
