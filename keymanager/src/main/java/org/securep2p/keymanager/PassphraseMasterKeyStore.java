package org.securep2p.keymanager;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;

import org.securep2p.crypto.SecretBytes;

import static org.securep2p.keymanager.KeyManagerException.Reason.CORRUPT_FILE;
import static org.securep2p.keymanager.KeyManagerException.Reason.PASSPHRASE_TOO_WEAK;
import static org.securep2p.keymanager.KeyManagerException.Reason.WRONG_PASSPHRASE;

/**
 * The fallback when no OS keyring can be used: a random master key sealed ({@link SealedFile}, role
 * {@code master-key}) under a key derived from a passphrase with Argon2id, whose parameters and salt live in
 * {@code master.kdf}. A wrong passphrase derives another key, so the master key fails to open:
 * {@code WRONG_PASSPHRASE}.
 *
 * <p>Crash safety of creation: {@code master.kdf} is written before {@code master.key.enc}, and the master
 * key is handed out only after both are durable. A key directory with a header but no wrapped key therefore
 * never protected anything, and creating again over it loses nothing.
 */
final class PassphraseMasterKeyStore extends LoadedMasterKey {

    static final String KDF_FILE = "master.kdf";
    static final String WRAPPED_KEY_FILE = "master.key.enc";
    static final String ROLE = "master-key";

    private PassphraseMasterKeyStore(SecretBytes masterKey, String description, boolean isNew) {
        super(masterKey, description, isNew);
    }

    /** Whether {@code keyDir} already holds a passphrase-wrapped master key. */
    static boolean exists(Path keyDir) {
        return Files.exists(keyDir.resolve(WRAPPED_KEY_FILE), LinkOption.NOFOLLOW_LINKS);
    }

    /** Creates a new master key under a new passphrase; refuses if one already exists. */
    static PassphraseMasterKeyStore create(Path keyDir, PassphraseSource source, KdfParameters parameters,
            SecureRandom random, String why) throws KeyManagerException {
        KeyDirectory.ensure(keyDir);
        if (exists(keyDir)) {
            throw new IllegalStateException("a passphrase-wrapped master key already exists in " + keyDir);
        }
        byte[] fresh = new byte[MASTER_KEY_LENGTH];
        random.nextBytes(fresh);
        char[] passphrase = source.passphrase(true);
        try {
            // Only a passphrase being chosen is judged: an existing one keeps opening its keys.
            Optional<String> weak = PassphraseStrength.refusal(passphrase);
            if (weak.isPresent()) {
                throw new KeyManagerException(PASSPHRASE_TOO_WEAK, weak.get());
            }
        } catch (KeyManagerException | RuntimeException e) {
            Arrays.fill(passphrase, '\0');
            Arrays.fill(fresh, (byte) 0);
            throw e;
        }
        try (SecretBytes wrappingKey = parameters.derive(passphrase)) {
            KeyDirectory.writeAtomically(keyDir.resolve(KDF_FILE), parameters.encode());
            SealedFile.write(keyDir.resolve(WRAPPED_KEY_FILE), ROLE, fresh, wrappingKey, random);
            return new PassphraseMasterKeyStore(SecretBytes.copyOf(fresh),
                    describe(parameters, source, "created; " + why), true);
        } finally {
            Arrays.fill(passphrase, '\0');
            Arrays.fill(fresh, (byte) 0);
        }
    }

    /** Opens the existing master key of {@code keyDir}. */
    static PassphraseMasterKeyStore open(Path keyDir, PassphraseSource source) throws KeyManagerException {
        KeyDirectory.ensure(keyDir);
        Path kdfFile = keyDir.resolve(KDF_FILE);
        KdfParameters parameters;
        try {
            parameters = KdfParameters.decode(KeyDirectory.read(kdfFile), kdfFile);
        } catch (NoSuchFileException e) {
            throw new KeyManagerException(CORRUPT_FILE, kdfFile + " is missing beside " + WRAPPED_KEY_FILE);
        }
        char[] passphrase = source.passphrase(false);
        byte[] key = null;
        try (SecretBytes wrappingKey = parameters.derive(passphrase)) {
            key = SealedFile.read(keyDir.resolve(WRAPPED_KEY_FILE), ROLE, wrappingKey, WRONG_PASSPHRASE);
            if (key.length != MASTER_KEY_LENGTH) {
                throw new KeyManagerException(CORRUPT_FILE, WRAPPED_KEY_FILE + " holds " + key.length + " bytes");
            }
            return new PassphraseMasterKeyStore(SecretBytes.copyOf(key), describe(parameters, source, "opened"),
                    false);
        } catch (NoSuchFileException e) {
            throw new KeyManagerException(CORRUPT_FILE, WRAPPED_KEY_FILE + " disappeared while opening");
        } finally {
            Arrays.fill(passphrase, '\0');
            if (key != null) {
                Arrays.fill(key, (byte) 0);
            }
        }
    }

    private static String describe(KdfParameters parameters, PassphraseSource source, String what) {
        return "passphrase (" + parameters + ", from " + source.description() + "): " + what;
    }

    @Override
    public Protection protection() {
        return Protection.PASSPHRASE;
    }
}
