package org.securep2p.keymanager;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

import static org.securep2p.keymanager.KeyManagerException.Reason.CORRUPT_FILE;
import static org.securep2p.keymanager.KeyManagerException.Reason.KEYRING_ENTRY_MISSING;
import static org.securep2p.keymanager.KeyManagerException.Reason.KEYRING_LOCKED;
import static org.securep2p.keymanager.KeyManagerException.Reason.UNKNOWN_VERSION;

/**
 * The master key as a Base64 value in the OS keyring, service {@code securep2p}, account
 * {@code master-key:<real path of the key directory>}. The key directory holds a marker, {@code master.keyring}
 * ({@code "SPKR" || version(1) || u16 length || account}), written once the entry is stored and read back:
 * with the marker present a missing entry is {@code KEYRING_ENTRY_MISSING}, never a reason to create a new key
 * (the old key files would become unreadable).
 *
 * <p>java-keyring only takes Strings, so the Base64 form of the key lives on the heap until collected; our
 * own byte copies are wiped.
 */
final class KeyringMasterKeyStore extends LoadedMasterKey {

    static final String SERVICE = "securep2p";
    static final String ACCOUNT_PREFIX = "master-key:";
    static final String MARKER_FILE = "master.keyring";
    static final byte[] MARKER_MAGIC = {'S', 'P', 'K', 'R'};
    static final int MARKER_VERSION = 1;
    /** Paths longer than this are not key directories we created. */
    static final int MAX_ACCOUNT_BYTES = 4096;

    /** Kept open for the key state's high water, written with every state change; closed with the store. */
    private final KeyringAccess keyring;
    private final String account;

    private KeyringMasterKeyStore(SecretBytes masterKey, String description, boolean isNew, KeyringAccess keyring,
            String account) {
        super(masterKey, description, isNew);
        this.keyring = keyring;
        this.account = account;
    }

    /**
     * The key state's high water, in the entry beside the master key's: service {@value #SERVICE}, account
     * {@code key-state-generation:<the same path>} (PROTOCOL.md 17).
     */
    HighWaterStore highWater() {
        return HighWaterStore.inKeyring(keyring,
                HighWaterStore.ACCOUNT_PREFIX + account.substring(ACCOUNT_PREFIX.length()));
    }

    static boolean markerExists(Path keyDir) {
        return Files.exists(keyDir.resolve(MARKER_FILE), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Opens the master key of {@code keyDir}, creating it (and the marker) if there is no marker yet. The store
     * takes {@code keyring} over and closes it with itself.
     */
    static KeyringMasterKeyStore open(KeyringAccess keyring, Path keyDir, SecureRandom random, String why)
            throws KeyManagerException {
        KeyDirectory.ensure(keyDir);
        Path marker = keyDir.resolve(MARKER_FILE);
        String account;
        boolean existing = markerExists(keyDir);
        if (existing) {
            account = readMarker(marker);
        } else {
            account = accountFor(keyDir);
        }
        Optional<String> stored = keyring.get(SERVICE, account);
        if (stored.isPresent()) {
            SecretBytes key = decode(stored.get(), account);
            if (!existing) {
                // The entry exists but the marker does not: a crash between the two writes of creation.
                KeyDirectory.writeAtomically(marker, encodeMarker(account));
            }
            // Without the marker the key was never handed out (the marker is written before open returns), so
            // nothing can be sealed under it yet: the directory is still new.
            return new KeyringMasterKeyStore(key, describe(keyring, account,
                    existing ? "opened" : "opened, marker restored; " + why), !existing, keyring, account);
        }
        if (existing) {
            keyring.checkUnlocked();
            throw new KeyManagerException(KEYRING_ENTRY_MISSING, "no entry " + SERVICE + "/" + account);
        }
        // Before creating anything: on a locked keyring, "no entry" may only mean "cannot see it".
        keyring.checkUnlocked();
        byte[] fresh = new byte[MASTER_KEY_LENGTH];
        random.nextBytes(fresh);
        try {
            keyring.set(SERVICE, account, Base64.getEncoder().encodeToString(fresh));
            // Read back: a keyring that accepts a write but cannot return it (locked, or a backend that
            // drops it) must not get a marker, or the next start would report the key as lost.
            Optional<String> check = keyring.get(SERVICE, account);
            if (check.isEmpty()) {
                throw new KeyManagerException(KEYRING_LOCKED, "the keyring did not return the stored entry");
            }
            try (SecretBytes expected = SecretBytes.copyOf(fresh); SecretBytes actual = decode(check.get(), account)) {
                if (!expected.equalsConstantTime(actual)) {
                    throw new KeyManagerException(KEYRING_LOCKED, "the keyring returned another value");
                }
            }
            KeyDirectory.writeAtomically(marker, encodeMarker(account));
            return new KeyringMasterKeyStore(SecretBytes.copyOf(fresh),
                    describe(keyring, account, "created; " + why), true, keyring, account);
        } finally {
            Arrays.fill(fresh, (byte) 0);
        }
    }

    private static String describe(KeyringAccess keyring, String account, String what) {
        return "OS keyring (" + keyring.backendName() + ", entry " + SERVICE + "/" + account + "): " + what;
    }

    static String accountFor(Path keyDir) throws KeyManagerException {
        try {
            return ACCOUNT_PREFIX + keyDir.toRealPath();
        } catch (java.io.IOException e) {
            throw new KeyManagerException(KeyManagerException.Reason.STORAGE_FAILED,
                    "cannot resolve key directory " + keyDir, e);
        }
    }

    static byte[] encodeMarker(String account) {
        byte[] name = account.getBytes(StandardCharsets.UTF_8);
        return new StrictWriter().bytes(MARKER_MAGIC).u8(MARKER_VERSION).var16(name).toByteArray();
    }

    static String readMarker(Path marker) throws KeyManagerException {
        byte[] bytes;
        try {
            bytes = KeyDirectory.read(marker);
        } catch (NoSuchFileException e) {
            throw new KeyManagerException(CORRUPT_FILE, marker + " disappeared while opening");
        }
        if (bytes.length < MARKER_MAGIC.length + 1
                || !Arrays.equals(bytes, 0, MARKER_MAGIC.length, MARKER_MAGIC, 0, MARKER_MAGIC.length)) {
            throw new KeyManagerException(CORRUPT_FILE, marker + " is not a securep2p keyring marker");
        }
        int version = bytes[MARKER_MAGIC.length] & 0xFF;
        if (version != MARKER_VERSION) {
            throw new KeyManagerException(UNKNOWN_VERSION, marker + " has marker version " + version);
        }
        try {
            StrictReader in = new StrictReader(bytes, "keyring marker");
            in.fixed(MARKER_MAGIC.length + 1, "header");
            byte[] name = in.var16(ACCOUNT_PREFIX.length() + 1, MAX_ACCOUNT_BYTES, "account");
            in.expectEnd();
            String account = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(name)).toString();
            if (!account.startsWith(ACCOUNT_PREFIX)) {
                throw new KeyManagerException(CORRUPT_FILE, marker + " names a foreign keyring account");
            }
            return account;
        } catch (CryptoException | java.nio.charset.CharacterCodingException e) {
            throw new KeyManagerException(CORRUPT_FILE, marker + " is malformed", e);
        }
    }

    private static SecretBytes decode(String base64, String account) throws KeyManagerException {
        byte[] key = null;
        try {
            key = Base64.getDecoder().decode(base64);
            if (key.length != MASTER_KEY_LENGTH) {
                throw new KeyManagerException(CORRUPT_FILE, "keyring entry " + account + " is not a master key");
            }
            return SecretBytes.copyOf(key);
        } catch (IllegalArgumentException e) {
            // The decoder's message could quote the value; it is dropped.
            throw new KeyManagerException(CORRUPT_FILE, "keyring entry " + account + " is not Base64");
        } finally {
            if (key != null) {
                Arrays.fill(key, (byte) 0);
            }
        }
    }

    @Override
    public Protection protection() {
        return Protection.OS_KEYRING;
    }

    @Override
    public void close() {
        super.close();
        keyring.close();
    }
}
