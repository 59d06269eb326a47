package org.securep2p.app;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

import org.securep2p.crypto.SecretBytes;
import org.securep2p.ratchet.RatchetException;
import org.securep2p.ratchet.SessionRecord;
import org.securep2p.ratchet.SessionStore;

import static org.securep2p.ratchet.RatchetException.Reason.CORRUPT_STATE;
import static org.securep2p.ratchet.RatchetException.Reason.STORAGE_FAILED;
import static org.securep2p.ratchet.RatchetException.Reason.UNKNOWN_VERSION;

/**
 * The ratchet's {@link SessionStore} on disk: one sealed file {@code <id>.session} per session in a private
 * directory ({@code sessions/}, 0700), each written through {@link AtomicFile} and sealed with
 * {@link SealedFormat} under the storage key, role {@code session} and the session id as context, so a file
 * copied or renamed to another id fails to open. A file that fails to open is reported and left untouched.
 *
 * <p>Failures are {@link RatchetException}s, as the interface requires: a wrong key, a tampered, truncated or
 * renamed file is {@code CORRUPT_STATE}; another sealed-file version is {@code UNKNOWN_VERSION}; an I/O failure
 * is {@code STORAGE_FAILED}. Not its job: choosing session ids or which peer a session belongs to (the app).
 * {@link #close()} wipes this store's copy of the key.
 */
final class FileSessionStore implements SessionStore, AutoCloseable {

    /** Session ids become file names: a closed alphabet leaves no room for paths, dots or odd encodings. */
    static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    static final String SUFFIX = ".session";
    static final String ROLE = "session";
    /**
     * A record holds at most 2,000 skipped keys, 16 old header keys and one ML-KEM key pair and ciphertext:
     * well under 200 KB. 1 MiB leaves room and keeps a planted huge file from being read into memory.
     */
    static final int MAX_FILE_BYTES = 1 << 20;

    private final Path dir;
    private final SecretBytes key;
    private final SecureRandom random;

    private FileSessionStore(Path dir, SecretBytes key, SecureRandom random) {
        this.dir = dir;
        this.key = key;
        this.random = random;
    }

    /**
     * Opens (creating it 0700 if missing) the session directory and removes temp files a crash left there.
     * The storage key is copied; the caller still owns and closes {@code storageKey}.
     */
    static FileSessionStore open(Path dir, SecretBytes storageKey, SecureRandom random) throws StoreException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(random, "random");
        SecretBytes key = SealedFormat.copyKey(storageKey);
        try {
            AtomicFile.ensureDirectory(dir);
            AtomicFile.removeLeftoverTemps(dir, FileSessionStore::isSessionFileName);
            return new FileSessionStore(dir, key, random);
        } catch (StoreException | RuntimeException e) {
            key.close();
            throw e;
        }
    }

    @Override
    public Optional<SessionRecord> load(String sessionId) throws RatchetException {
        Path file = file(sessionId);
        Optional<byte[]> sealed;
        try {
            sealed = AtomicFile.read(file, MAX_FILE_BYTES);
        } catch (StoreException e) {
            throw translate(e, sessionId);
        }
        if (sealed.isEmpty()) {
            return Optional.empty();
        }
        byte[] plain;
        try {
            plain = SealedFormat.open(ROLE, sessionId, sealed.get(), key, random, "session file " + file.getFileName());
        } catch (StoreException e) {
            throw translate(e, sessionId);
        }
        try {
            return Optional.of(SessionRecord.decode(plain));
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    @Override
    public void store(String sessionId, SessionRecord record) throws RatchetException {
        Path file = file(sessionId);
        Objects.requireNonNull(record, "record");
        byte[] plain = record.encode();
        try {
            if (plain.length > MAX_FILE_BYTES - SealedFormat.OVERHEAD) {
                // Never write what load would refuse.
                throw new RatchetException(STORAGE_FAILED, "session record of " + plain.length
                        + " bytes exceeds the session file limit");
            }
            AtomicFile.write(file, SealedFormat.seal(ROLE, sessionId, plain, key, random));
        } catch (StoreException e) {
            throw translate(e, sessionId);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** Deletes the session's file durably; false if there was none. */
    boolean delete(String sessionId) throws RatchetException {
        try {
            return AtomicFile.delete(file(sessionId));
        } catch (StoreException e) {
            throw translate(e, sessionId);
        }
    }

    /** The ids of the stored sessions, sorted; temp files and foreign names are ignored. */
    List<String> list() throws RatchetException {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (isSessionFileName(name) && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    ids.add(name.substring(0, name.length() - SUFFIX.length()));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new RatchetException(STORAGE_FAILED, "cannot list " + dir, e);
        }
        Collections.sort(ids);
        return List.copyOf(ids);
    }

    @Override
    public void close() {
        key.close();
    }

    @Override
    public String toString() {
        return "FileSessionStore[" + dir + "]";
    }

    static boolean isValidSessionId(String sessionId) {
        return sessionId != null && SESSION_ID.matcher(sessionId).matches();
    }

    private Path file(String sessionId) {
        if (!isValidSessionId(sessionId)) {
            throw new IllegalArgumentException("session id must match " + SESSION_ID.pattern());
        }
        return dir.resolve(sessionId + SUFFIX);
    }

    private static boolean isSessionFileName(String name) {
        return name.endsWith(SUFFIX) && isValidSessionId(name.substring(0, name.length() - SUFFIX.length()));
    }

    private static RatchetException translate(StoreException e, String sessionId) {
        RatchetException.Reason reason = switch (e.reason()) {
            case CORRUPT -> CORRUPT_STATE;
            case UNKNOWN_VERSION -> UNKNOWN_VERSION;
            default -> STORAGE_FAILED;
        };
        return new RatchetException(reason, "session " + sessionId + ": " + e.getMessage(), e);
    }
}
