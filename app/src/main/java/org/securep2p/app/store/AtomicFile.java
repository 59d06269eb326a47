package org.securep2p.app.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.securep2p.keymanager.SecureFiles;

import static org.securep2p.app.store.StoreException.Reason.CORRUPT;
import static org.securep2p.app.store.StoreException.Reason.INSECURE_DIRECTORY;
import static org.securep2p.app.store.StoreException.Reason.STORAGE_FAILED;

/**
 * Whole-file writes that are all-or-nothing across a crash, and bounded reads. A write goes to a temp file
 * {@code .<name>.<random>.tmp} in the target's directory (created 0600), is {@code fsync}ed, renamed over the
 * target with {@code ATOMIC_MOVE}, and the directory is {@code fsync}ed so that the rename itself survives a
 * power cut. A crash therefore leaves the old file or the new one, plus at worst a temp file, which no reader
 * ever opens: data files never start with a dot, and {@link #removeLeftoverTemps} deletes them. The directory
 * and write mechanics are keymanager's {@link SecureFiles} (one copy, shared with the key directory); here the
 * app's errors, bounded reads, ownership checks and temp-file clean-up.
 *
 * <p>Not its job: what the bytes mean or whether they are intact (the sealed formats authenticate them), nor
 * serialising writers: each store holds its own lock. On file systems without POSIX permissions (Windows) the
 * mode checks are skipped and the user profile's ACLs apply.
 */
public final class AtomicFile {

    static final Set<PosixFilePermission> DIRECTORY_PERMISSIONS = SecureFiles.DIRECTORY_PERMISSIONS;
    static final Set<PosixFilePermission> FILE_PERMISSIONS = SecureFiles.FILE_PERMISSIONS;

    /** {@code .<target>.<digits>.tmp}: what {@link Files#createTempFile} makes from our prefix and suffix. */
    private static final Pattern TEMP_NAME = Pattern.compile("\\.(.+)\\.-?[0-9]+\\.tmp");

    private AtomicFile() {
    }

    /**
     * Creates {@code dir} (and missing parents) with mode 0700 if it is missing; refuses an existing one that
     * group or others can write or that another user owns, since they could swap or delete our files or plant
     * one we would then read.
     */
    public static void ensureDirectory(Path dir) throws StoreException {
        try {
            ensurePrivateDirectory(dir);
        } catch (InsecureDirectoryException e) {
            throw new StoreException(INSECURE_DIRECTORY, e.getMessage());
        } catch (IOException e) {
            throw new StoreException(STORAGE_FAILED, "cannot create directory " + dir, e);
        }
    }

    /**
     * {@link #ensureDirectory}'s check for folders of other packages (the history's {@code native/}, where
     * SQLite's native library is extracted and loaded from): one rule for every private folder.
     *
     * @throws InsecureDirectoryException when {@code dir} is not a directory, another user owns it, or group or
     *         others can write it
     */
    public static void ensurePrivateDirectory(Path dir) throws IOException {
        // No parent sync here (unlike the key directory): a lost folder is made again, empty, on the next start.
        SecureFiles.createPrivateDirectories(dir, parent -> { });
        if (!Files.isDirectory(dir)) {
            throw new InsecureDirectoryException(dir + " is not a directory");
        }
        checkOwnedAndPrivate(dir);
    }

    /**
     * Refuses {@code path} when another user owns it or group or others can write it (POSIX only); a file or
     * folder we keep secrets in or load code from must be ours alone.
     */
    public static void checkOwnedAndPrivate(Path path) throws IOException {
        if (!posix(path)) {
            return;
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path);
        if (SecureFiles.writableByOthers(mode)) {
            throw new InsecureDirectoryException(path + " has mode " + PosixFilePermissions.toString(mode)
                    + ": group or others can write it");
        }
        if (!ownedByThisUser(path)) {
            throw new InsecureDirectoryException(path + " is owned by " + Files.getOwner(path).getName()
                    + ", not by the user running securep2p");
        }
    }

    /**
     * Compares user ids where the system shows the process's own ({@code /proc/self} on Linux belongs to the
     * process's user), else names ({@code user.name} is the login name the JVM read at start).
     */
    private static boolean ownedByThisUser(Path path) throws IOException {
        Path self = Path.of("/proc/self");
        if (Files.isDirectory(self)) {
            try {
                return Files.getAttribute(path, "unix:uid").equals(Files.getAttribute(self, "unix:uid"));
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                // No unix view: compare names below.
            }
        }
        return Files.getOwner(path).getName().equals(System.getProperty("user.name"));
    }

    /** A folder or file that others could change under us: refused, never repaired. */
    public static final class InsecureDirectoryException extends IOException {
        private static final long serialVersionUID = 1L;

        InsecureDirectoryException(String message) {
            super(message);
        }
    }

    /** Replaces {@code file} with {@code content} atomically and durably; the file ends up 0600. */
    public static void write(Path file, byte[] content) throws StoreException {
        write(file, content, () -> { });
    }

    /** As {@link #write(Path, byte[])}; {@code beforeRename} runs after the temp fsync (tests crash there). */
    public static void write(Path file, byte[] content, Runnable beforeRename) throws StoreException {
        Objects.requireNonNull(content, "content");
        Path dir = file.toAbsolutePath().getParent();
        try {
            SecureFiles.writeAtomically(file, content, "." + file.getFileName() + ".", beforeRename);
        } catch (AtomicMoveNotSupportedException e) {
            throw new StoreException(STORAGE_FAILED, "file system of " + dir + " cannot rename atomically", e);
        } catch (IOException e) {
            throw new StoreException(STORAGE_FAILED, "cannot write " + file, e);
        }
    }

    /**
     * The bytes of {@code file}, or empty if there is none. A file larger than {@code maxBytes} is refused
     * ({@code CORRUPT}) before more than {@code maxBytes + 1} bytes are read; a symbolic link is not followed.
     */
    public static Optional<byte[]> read(Path file, long maxBytes) throws StoreException {
        if (maxBytes < 0 || maxBytes >= Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxBytes out of range: " + maxBytes);
        }
        try (SeekableByteChannel channel = Files.newByteChannel(file,
                Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            long size = channel.size();
            if (size > maxBytes) {
                throw new StoreException(CORRUPT, file + " is " + size + " bytes, more than the " + maxBytes
                        + " such a file may have");
            }
            // The size can change under us: read until the end, but never more than maxBytes + 1 bytes.
            ByteBuffer buffer = ByteBuffer.allocate((int) size + 1);
            while (channel.read(buffer) >= 0) {
                if (!buffer.hasRemaining()) {
                    if (buffer.capacity() > maxBytes) {
                        throw new StoreException(CORRUPT, file + " grew beyond " + maxBytes + " bytes while read");
                    }
                    int capacity = (int) Math.min(2L * buffer.capacity(), maxBytes + 1);
                    buffer = ByteBuffer.allocate(capacity).put(buffer.flip());
                }
            }
            return Optional.of(Arrays.copyOf(buffer.array(), buffer.position()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException(STORAGE_FAILED, "cannot read " + file, e);
        }
    }

    /** Deletes {@code file} durably (the directory is synced); false if there was none. */
    public static boolean delete(Path file) throws StoreException {
        try {
            boolean deleted = Files.deleteIfExists(file);
            if (deleted) {
                syncDirectory(file.toAbsolutePath().getParent());
            }
            return deleted;
        } catch (IOException e) {
            throw new StoreException(STORAGE_FAILED, "cannot delete " + file, e);
        }
    }

    /** Renames {@code from} to {@code to} atomically and durably; {@code to} must not exist. */
    public static void rename(Path from, Path to) throws StoreException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(to.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new StoreException(STORAGE_FAILED, "cannot rename " + from + " to " + to, e);
        }
    }

    /**
     * Deletes the temp files a crash left in {@code dir} for targets whose name {@code target} accepts, and
     * returns how many. Only names of the form {@code .<target>.<digits>.tmp} are touched.
     */
    public static int removeLeftoverTemps(Path dir, Predicate<String> target) throws StoreException {
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (isTempOf(entry.getFileName().toString(), target)
                        && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(entry);
                    removed++;
                }
            }
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new StoreException(STORAGE_FAILED, "cannot clean temp files in " + dir, e);
        }
        return removed;
    }

    static boolean isTempOf(String fileName, Predicate<String> target) {
        Matcher m = TEMP_NAME.matcher(fileName);
        return m.matches() && target.test(m.group(1));
    }

    static boolean posix(Path path) {
        return SecureFiles.posix(path);
    }

    private static void syncDirectory(Path dir) throws IOException {
        SecureFiles.syncDirectory(dir);
    }
}
