package org.securep2p.app;

import java.io.IOException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.securep2p.app.org.CaFolders;
import org.securep2p.app.store.AtomicFile;
import org.securep2p.app.store.StoreException;

/**
 * The folders of one installation: {@code keys/} (the key manager's sealed files), {@code cert/} (the transport
 * certificate), {@code logs/}, {@code conversations/} (sealed ratchet state and queues), the trust store and
 * the config file. Private folders are created 0700 where the file system is POSIX.
 *
 * <p>Without {@code --home}, the home is {@link #defaultRoot}: never the working directory, so that keys never
 * land in whatever folder (a git clone, say) the program was started from.
 */
public final class Home {

    /** The environment variable that names the home when {@code --home} is not given. */
    static final String HOME_VARIABLE = "SECUREP2P_HOME";

    private final Path root;

    public Home(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /**
     * The home without {@code --home}: {@code $SECUREP2P_HOME} if set, else {@code $XDG_DATA_HOME/securep2p}, else
     * {@code ~/.local/share/securep2p} (the XDG Base Directory default) under {@code $HOME}, or under
     * {@code userHome} (the account's home from the password database) where {@code HOME} is unset. A relative
     * {@code XDG_DATA_HOME} or {@code HOME} is ignored, as the XDG specification requires; a relative
     * {@code SECUREP2P_HOME} is the user's explicit choice and taken as given, like a relative {@code --home}.
     */
    static Path defaultRoot(Map<String, String> env, Path userHome) {
        String explicit = env.get(HOME_VARIABLE);
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_DATA_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "securep2p");
        }
        String user = env.get("HOME");
        Path base = user != null && !user.isBlank() && Path.of(user).isAbsolute() ? Path.of(user) : userHome;
        return base.resolve(".local").resolve("share").resolve("securep2p");
    }

    /**
     * The folder {@code dir} if it is a home made by an earlier version in its working directory (its default then):
     * it holds {@code keys/} and a profile or trust store, and the new default home {@code defaultRoot} does not
     * exist yet. Used to stop rather than silently start a second identity.
     */
    static java.util.Optional<Path> previousDefaultIn(Path dir, Path defaultRoot) {
        boolean looksLikeHome = Files.isDirectory(dir.resolve("keys"))
                && (Files.exists(dir.resolve("profile.properties")) || Files.exists(dir.resolve("trusted_peers.json")));
        boolean same = dir.toAbsolutePath().normalize().equals(defaultRoot.toAbsolutePath().normalize());
        return looksLikeHome && !same && !Files.exists(defaultRoot) ? java.util.Optional.of(dir) : java.util.Optional.empty();
    }

    public Path root() {
        return root;
    }

    Path keys() {
        return root.resolve("keys");
    }

    public Path cert() {
        return root.resolve("cert");
    }

    /** The folders of this home's organisation CA: its files under {@code ca/}, its certificates in {@code cert/}. */
    public CaFolders caFolders() {
        return new CaFolders(root, cert());
    }

    Path logs() {
        return root.resolve("logs");
    }

    Path conversations() {
        return root.resolve("conversations");
    }

    /** Received files (PROTOCOL.md §24.7). */
    Path downloads() {
        return root.resolve("downloads");
    }

    /** File transfers' state and journals (§24.6). */
    Path transfers() {
        return root.resolve("transfers");
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

    public void createAll() throws IOException {
        // The root too is private: a new default home is made 0700 (parents missing from ~/.local/share as well, as
        // XDG asks); an existing folder the user chose is checked, never loosened or tightened behind their back.
        createPrivateDirectory(root);
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
