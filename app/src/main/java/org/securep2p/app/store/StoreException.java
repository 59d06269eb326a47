package org.securep2p.app.store;

import java.util.Objects;

/**
 * The one checked failure of the app's own files (trust store, outbox, the file helpers under them). The
 * {@link Reason} tells the caller what to do: a corrupt file is the user's decision (move it aside, restore a
 * backup), never something to overwrite silently; a full outbox is back-pressure, not data loss. Messages name
 * files and fields, never keys or message contents.
 *
 * <p>Not its job: the session store, which speaks {@code RatchetException} because the ratchet's
 * {@code SessionStore} contract does.
 */
public final class StoreException extends Exception {

    /** Why a stored file or a change to it was refused. */
    public enum Reason {
        /** The file cannot be read or written durably (I/O error, no atomic rename on this file system). */
        STORAGE_FAILED,
        /** The directory is not ours alone: group or others can write it, or it is not a directory. */
        INSECURE_DIRECTORY,
        /** The file does not follow its format, is larger than any file we write, or fails authentication. */
        CORRUPT,
        /** The file names a format version this build does not read. */
        UNKNOWN_VERSION,
        /** A documented bound (number of entries, total size) would be exceeded; nothing was changed. */
        LIMIT_REACHED,
        /** The identity was rejected by the user earlier; it is refused until the rejection is withdrawn. */
        REJECTED_IDENTITY,
        /** The operation names a peer that the trust store does not hold. */
        UNKNOWN_PEER,
        /** An entry with this id is already stored. */
        DUPLICATE,
        /** Older than what was already used here (e.g. a revocation list with a lower number); using it could undo a change. */
        STALE,
    }

    private final Reason reason;

    public StoreException(Reason reason, String message) {
        super(reason + ": " + Objects.requireNonNull(message));
        this.reason = Objects.requireNonNull(reason);
    }

    public StoreException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + Objects.requireNonNull(message), cause);
        this.reason = Objects.requireNonNull(reason);
    }

    public Reason reason() {
        return reason;
    }
}
