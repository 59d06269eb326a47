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

    /**
     * Mode {@code rollback <dir>}: with the master key and the key state's high water in the real keyring, takes
     * a snapshot of identity.state, consumes the bundle's one-time prekey, puts the snapshot back and reopens;
     * prints {@code OK <detected|missed> <what consuming that prekey again gives>}.
     */
    private static void rollback(Path keyDir, SecureRandom random) throws Exception {
        byte[] peer = new byte[32];
        peer[0] = 9;
        try (MasterKeyStore store = MasterKeyStores.open(keyDir, Map.of(), null, random);
                SecretBytes masterKey = store.masterKey()) {
            HighWaterStore highWater = MasterKeyStores.highWaterOf(store);
            Path file = keyDir.resolve(SealedStateVault.FILE_NAME);
            int opk;
            byte[] snapshot;
            try (DurableKeyHolder holder = DurableKeyHolder.open(new SealedStateVault(keyDir, masterKey, random),
                    highWater, store.isNew(), random, java.time.Clock.systemUTC(), 3, 1)) {
                opk = holder.preKeyBundle().oneTimePreKey().orElseThrow().id();
                snapshot = java.nio.file.Files.readAllBytes(file);
                holder.consumeOneTimePreKey(opk, peer).close();
            }
            java.nio.file.Files.write(file, snapshot);
            try (DurableKeyHolder holder = DurableKeyHolder.open(new SealedStateVault(keyDir, masterKey, random),
                    highWater, false, random, java.time.Clock.systemUTC(), 3, 1)) {
                String again;
                try {
                    holder.consumeOneTimePreKey(opk, peer).close();
                    again = "accepted";
                } catch (org.securep2p.crypto.CryptoException e) {
                    again = e.reason().toString();
                }
                System.out.println("OK " + (holder.rollbackReport().isPresent() ? "detected" : "missed") + " "
                        + again);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Path keyDir = Path.of(args[1]);
        SecureRandom random = new SecureRandom();
        try {
            MasterKeyStore store;
            if (args[0].equals("rollback")) {
                rollback(keyDir, random);
                System.out.flush();
                System.exit(0);
            }
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
