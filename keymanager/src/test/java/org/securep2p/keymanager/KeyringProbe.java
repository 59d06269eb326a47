package org.securep2p.keymanager;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

import org.securep2p.crypto.SecretBytes;

/**
 * The child process of {@link KeyringMasterKeyStoreIT}: opens (or creates) the master key of a key directory
 * in the real OS keyring and prints one line, {@code OK <protection> <SHA-256 of the key>} or
 * {@code ERR <reason>}. It prints a digest so that two runs can be compared; never the key.
 *
 * <p>Modes: {@code keyring <dir>} uses the keyring only; {@code select <dir>} goes through
 * {@link MasterKeyStores#open} with an empty environment and no console.
 */
final class KeyringProbe {

    private KeyringProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path keyDir = Path.of(args[1]);
        SecureRandom random = new SecureRandom();
        try {
            MasterKeyStore store;
            if (args[0].equals("keyring")) {
                try (KeyringAccess keyring = KeyringAccess.system()) {
                    store = KeyringMasterKeyStore.open(keyring, keyDir, random, "probe");
                }
            } else {
                store = MasterKeyStores.open(keyDir, Map.of(), null, random);
            }
            try (store; SecretBytes key = store.masterKey()) {
                byte[] bytes = key.copyBytes();
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
                java.util.Arrays.fill(bytes, (byte) 0);
                System.out.println("OK " + store.protection() + " " + HexFormat.of().formatHex(digest));
            }
        } catch (KeyManagerException e) {
            System.out.println("ERR " + e.reason());
            System.err.println(e.getMessage());
        }
        System.out.flush();
        // java-keyring's D-Bus connection leaves non-daemon threads behind.
        System.exit(0);
    }
}
