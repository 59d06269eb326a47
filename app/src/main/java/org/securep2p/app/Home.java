package org.securep2p.app;

import java.io.IOException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The folders of one installation: {@code keys/} (the key manager's sealed files), {@code cert/} (the transport
 * certificate), {@code logs/}, {@code conversations/} (sealed ratchet state and queues), the trust store and
 * the config file. Private folders are created 0700 where the file system is POSIX.
 */
final class Home {

    private final Path root;

    Home(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    Path root() {
        return root;
    }

    Path keys() {
        return root.resolve("keys");
    }

    Path cert() {
        return root.resolve("cert");
    }

    Path logs() {
        return root.resolve("logs");
    }

    Path conversations() {
        return root.resolve("conversations");
    }

    Path trustStore() {
        return root.resolve("trusted_peers.json");
    }

    Path configFile() {
        return root.resolve("securep2p.conf");
    }

    Path profileFile() {
        return root.resolve("profile.properties");
    }

    /** The key manager's socket lives in a private folder of its own (a short path: sockets have a limit). */
    Path socketDir() {
        return keys().resolve("run");
    }

    void createAll() throws IOException {
        Files.createDirectories(root);
        createPrivateDirectory(keys());
        createPrivateDirectory(cert());
        createPrivateDirectory(logs());
        createPrivateDirectory(conversations());
    }

    static void createPrivateDirectory(Path dir) throws IOException {
        try {
            AtomicFile.ensureDirectory(dir);
        } catch (StoreException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
