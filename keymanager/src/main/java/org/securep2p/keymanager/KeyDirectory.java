package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

import static org.securep2p.keymanager.KeyManagerException.Reason.INSECURE_DIRECTORY;
import static org.securep2p.keymanager.KeyManagerException.Reason.STORAGE_FAILED;

/**
 * The file-system side of the key directory: a private directory (0700), private files (0600), and writes
 * that are all-or-nothing even across a crash: temp file in the same directory, {@code fsync}, atomic rename
 * over the old file, {@code fsync} of the directory so that the rename itself is durable.
 *
 * <p>Not its job: what the bytes mean or whether they are intact ({@link SealedFile} authenticates them).
 * On file systems without POSIX permissions (Windows) the checks are skipped and the OS's default ACLs of
 * the user's profile apply.
 */
final class KeyDirectory {

    static final Set<PosixFilePermission> DIRECTORY_PERMISSIONS = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE_PERMISSIONS = PosixFilePermissions.fromString("rw-------");

    /** Every key file is small; anything larger is not ours and is refused before it is read into memory. */
    static final long MAX_FILE_BYTES = 1 << 20;

    private static final Set<PosixFilePermission> WRITABLE_BY_OTHERS =
            EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    private KeyDirectory() {
    }

    /**
     * Creates {@code dir} with 0700 if it is missing; refuses an existing one that group or others can write
     * (they could swap or delete key files, or plant a file we would then trust by name).
     */
    static void ensure(Path dir) throws KeyManagerException {
        ensure(dir, KeyDirectory::syncDirectory);
    }

    /** Syncs a directory's entries to disk; injectable so that a test can see which directories were synced. */
    interface DirectorySync {
        void sync(Path dir) throws IOException;
    }

    /**
     * As {@link #ensure(Path)}; each directory it creates is made durable by syncing its parent (the new entry
     * lives there): otherwise a crash could drop {@code keys/} with every key file inside it, even after each
     * file's own write was synced.
     */
    static void ensure(Path dir, DirectorySync sync) throws KeyManagerException {
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Path absolute = dir.toAbsolutePath();
                java.util.List<Path> created = new java.util.ArrayList<>();
                for (Path p = absolute; p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
                    created.add(0, p);
                }
                try {
                    Files.createDirectories(dir, posix(absolute.getParent())
                            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIRECTORY_PERMISSIONS)}
                            : new FileAttribute<?>[0]);
                } catch (FileAlreadyExistsException raced) {
                    // Created by someone else meanwhile: fall through and check it like any existing one.
                }
                if (posix(dir)) {
                    // createDirectories applies the umask; set the mode explicitly.
                    Files.setPosixFilePermissions(dir, DIRECTORY_PERMISSIONS);
                }
                // Innermost first, so that each entry is durable before the one that leads to it; the last sync is
                // of the directory that already existed.
                for (int i = created.size() - 1; i >= 0; i--) {
                    sync.sync(created.get(i).getParent());
                }
            }
            if (!Files.isDirectory(dir)) {
                throw new KeyManagerException(STORAGE_FAILED, "key directory " + dir + " is not a directory");
            }
            if (posix(dir)) {
                Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
                if (mode.stream().anyMatch(WRITABLE_BY_OTHERS::contains)) {
                    throw new KeyManagerException(INSECURE_DIRECTORY, "key directory " + dir + " has mode "
                            + PosixFilePermissions.toString(mode));
                }
            }
        } catch (IOException e) {
            throw new KeyManagerException(STORAGE_FAILED, "cannot create key directory " + dir, e);
        }
    }

    /** Replaces {@code file} with {@code content} atomically and durably; the file ends up 0600. */
    static void writeAtomically(Path file, byte[] content) throws KeyManagerException {
        Path dir = file.toAbsolutePath().getParent();
        Path temp = null;
        try {
            temp = posix(dir)
                    ? Files.createTempFile(dir, "." + file.getFileName(), ".tmp",
                            PosixFilePermissions.asFileAttribute(FILE_PERMISSIONS))
                    : Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
            syncDirectory(dir);
        } catch (AtomicMoveNotSupportedException e) {
            throw new KeyManagerException(STORAGE_FAILED, "file system of " + dir + " cannot rename atomically", e);
        } catch (IOException e) {
            throw new KeyManagerException(STORAGE_FAILED, "cannot write " + file, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // The write already failed and says so; a stray temp file is harmless and named as such.
                }
            }
        }
    }

    /** The bytes of {@code file}, refusing anything larger than {@link #MAX_FILE_BYTES}. */
    static byte[] read(Path file) throws KeyManagerException, NoSuchFileException {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new KeyManagerException(KeyManagerException.Reason.CORRUPT_FILE,
                        file + " is " + size + " bytes, more than any key file");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new KeyManagerException(STORAGE_FAILED, "cannot read " + file, e);
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        // Makes the rename durable. Linux allows fsync on a directory opened read-only; Windows does not
        // (and its rename is journalled by NTFS), hence the fallback.
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            if (posix(dir)) {
                throw e;
            }
        }
    }

    static boolean posix(Path path) {
        return path != null && path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
