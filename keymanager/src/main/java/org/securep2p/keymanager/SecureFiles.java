package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The one copy of the secure-directory code: private directories (0700), private files (0600), and writes that
 * are all-or-nothing even across a crash (temp file in the same directory, {@code fsync}, atomic rename over the
 * old file, {@code fsync} of the directory so that the rename itself is durable). The key directory
 * ({@link KeyDirectory}) and the app's stores ({@code org.securep2p.app.store.AtomicFile}) both stand on it; it
 * lives here because the app depends on the key manager, never the reverse.
 *
 * <p>Guarantees: a directory it creates is 0700 and a file it writes is 0600 from the start (POSIX); a write
 * either leaves the old content or the new, never a mix, and a failed write leaves no temp file behind when it
 * can delete it.
 *
 * <p>Not its job: deciding which {@code IOException} is which module's error (each caller maps them onto its
 * own {@code Reason}), what the bytes mean, or serialising writers. On file systems without POSIX permissions
 * (Windows) the modes are not set and the user profile's ACLs apply.
 */
public final class SecureFiles {

    // Unmodifiable: every key and store file takes its mode from these, so no caller may widen them.
    public static final Set<PosixFilePermission> DIRECTORY_PERMISSIONS =
            Set.copyOf(PosixFilePermissions.fromString("rwx------"));
    public static final Set<PosixFilePermission> FILE_PERMISSIONS =
            Set.copyOf(PosixFilePermissions.fromString("rw-------"));

    private static final Set<PosixFilePermission> WRITABLE_BY_OTHERS =
            EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    /** Syncs a directory's entries to disk; injectable so that a test can see which directories were synced. */
    public interface DirectorySync {
        void sync(Path dir) throws IOException;
    }

    private SecureFiles() {
    }

    /**
     * Creates {@code dir} and its missing parents with mode 0700 when it is missing, then hands the parent of each
     * directory it created to {@code sync}, innermost first (so that each entry is durable before the one that
     * leads to it). Checks nothing about an existing {@code dir}: the caller does, with its own error.
     */
    public static void createPrivateDirectories(Path dir, DirectorySync sync) throws IOException {
        Objects.requireNonNull(sync, "sync");
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path absolute = dir.toAbsolutePath();
        List<Path> created = new ArrayList<>();
        for (Path p = absolute; p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
            created.add(0, p);
        }
        try {
            Files.createDirectories(dir, posix(absolute.getParent())
                    ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIRECTORY_PERMISSIONS)}
                    : new FileAttribute<?>[0]);
            if (posix(dir)) {
                // createDirectories applies the umask; set the mode explicitly (only on a folder we made).
                Files.setPosixFilePermissions(dir, DIRECTORY_PERMISSIONS);
            }
        } catch (FileAlreadyExistsException raced) {
            // Made by someone else meanwhile, and not a directory: the caller's check refuses it.
            return;
        }
        for (int i = created.size() - 1; i >= 0; i--) {
            sync.sync(created.get(i).getParent());
        }
    }

    /** Whether {@code mode} lets group or others write: such a folder's files could be swapped or planted. */
    public static boolean writableByOthers(Set<PosixFilePermission> mode) {
        return mode.stream().anyMatch(WRITABLE_BY_OTHERS::contains);
    }

    /**
     * Replaces {@code file} with {@code content} atomically and durably; the file ends up 0600. The temp file is
     * {@code <tempPrefix><digits>.tmp} in the same directory; {@code beforeRename} runs after its {@code fsync}
     * (tests crash there).
     *
     * @throws java.nio.file.AtomicMoveNotSupportedException when the file system cannot rename atomically
     */
    public static void writeAtomically(Path file, byte[] content, String tempPrefix, Runnable beforeRename)
            throws IOException {
        Objects.requireNonNull(content, "content");
        Path dir = file.toAbsolutePath().getParent();
        Path temp = null;
        try {
            temp = posix(dir)
                    ? Files.createTempFile(dir, tempPrefix, ".tmp", PosixFilePermissions.asFileAttribute(FILE_PERMISSIONS))
                    : Files.createTempFile(dir, tempPrefix, ".tmp");
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            beforeRename.run();
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
            syncDirectory(dir);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // The write already failed and says so; a stray temp file is never read as data.
                }
            }
        }
    }

    /**
     * Makes a rename or delete in {@code dir} durable. Linux allows fsync on a directory opened read-only; Windows
     * does not (and NTFS journals the rename), hence the fallback.
     */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            if (posix(dir)) {
                throw e;
            }
        }
    }

    /** Whether {@code path}'s file system has POSIX permissions. */
    public static boolean posix(Path path) {
        return path != null && path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
