package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import static org.securep2p.keymanager.KeyManagerException.Reason.INSECURE_DIRECTORY;
import static org.securep2p.keymanager.KeyManagerException.Reason.STORAGE_FAILED;

/**
 * The file-system side of the key directory: a private directory (0700), private files (0600), and writes
 * that are all-or-nothing even across a crash, on {@link SecureFiles} (shared with the app's stores); here the
 * key manager's errors and rules: parents synced when the directory is created, files capped at 1 MiB.
 *
 * <p>Not its job: what the bytes mean or whether they are intact ({@link SealedFile} authenticates them).
 * On file systems without POSIX permissions (Windows) the checks are skipped and the OS's default ACLs of
 * the user's profile apply.
 */
final class KeyDirectory {

    static final Set<PosixFilePermission> DIRECTORY_PERMISSIONS = SecureFiles.DIRECTORY_PERMISSIONS;
    static final Set<PosixFilePermission> FILE_PERMISSIONS = SecureFiles.FILE_PERMISSIONS;

    /** Every key file is small; anything larger is not ours and is refused before it is read into memory. */
    static final long MAX_FILE_BYTES = 1 << 20;

    private KeyDirectory() {
    }

    /**
     * Creates {@code dir} with 0700 if it is missing; refuses an existing one that group or others can write
     * (they could swap or delete key files, or plant a file we would then trust by name).
     */
    static void ensure(Path dir) throws KeyManagerException {
        ensure(dir, SecureFiles::syncDirectory);
    }

    /**
     * As {@link #ensure(Path)}; each directory it creates is made durable by syncing its parent (the new entry
     * lives there): otherwise a crash could drop {@code keys/} with every key file inside it, even after each
     * file's own write was synced.
     */
    static void ensure(Path dir, SecureFiles.DirectorySync sync) throws KeyManagerException {
        try {
            SecureFiles.createPrivateDirectories(dir, sync);
            if (!Files.isDirectory(dir)) {
                throw new KeyManagerException(STORAGE_FAILED, "key directory " + dir + " is not a directory");
            }
            if (posix(dir)) {
                Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
                if (SecureFiles.writableByOthers(mode)) {
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
        try {
            SecureFiles.writeAtomically(file, content, "." + file.getFileName(), () -> { });
        } catch (AtomicMoveNotSupportedException e) {
            throw new KeyManagerException(STORAGE_FAILED, "file system of " + dir + " cannot rename atomically", e);
        } catch (IOException e) {
            throw new KeyManagerException(STORAGE_FAILED, "cannot write " + file, e);
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

    static boolean posix(Path path) {
        return SecureFiles.posix(path);
    }
}
