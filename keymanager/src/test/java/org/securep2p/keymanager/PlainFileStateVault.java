package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * TEST / DEVELOPMENT ONLY: a {@link StateVault} that writes the state UNENCRYPTED. It does the atomic-write
 * dance that the sealed vault ({@code SealedFile}, under the master key) will do too: write a temporary file in
 * the same directory, fsync it, rename it over the state file atomically, fsync the directory. A crash at any
 * instant leaves the old file or the new one, and a completed {@link #store} survives power loss.
 *
 * <p>Never the default: {@link KeyManagerMain} uses it only when given a key directory explicitly, and says on
 * stderr that the keys are stored in plain; it goes once {@code SealedFile} implements {@link StateVault}.
 */
final class PlainFileStateVault implements StateVault {

    static final String STATE_FILE = "keystate.v1.plain";
    private static final String TEMP_PREFIX = STATE_FILE + ".";
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path directory;
    private final Path file;

    /** Uses {@code directory} (created 0700 if absent); removes temporary files a crash left behind. */
    PlainFileStateVault(Path directory) throws IOException {
        this.directory = directory.toAbsolutePath();
        this.file = this.directory.resolve(STATE_FILE);
        if (!Files.exists(this.directory, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(this.directory,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(this.directory,
                TEMP_PREFIX + "*" + TEMP_SUFFIX)) {
            for (Path p : leftovers) {
                // A temporary file is never the state: the rename that would have made it so did not happen.
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public Optional<byte[]> load() throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return Optional.of(Files.readAllBytes(file));
    }

    @Override
    public void store(byte[] state) throws IOException {
        // createTempFile makes the file 0600 on POSIX.
        Path temp = Files.createTempFile(directory, TEMP_PREFIX, TEMP_SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(state);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        // The rename is durable only once the directory entry is: fsync the directory itself.
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    @Override
    public String location() {
        return file.toString();
    }

    @Override
    public String toString() {
        return "PlainFileStateVault[" + directory + ", UNENCRYPTED]";
    }
}
