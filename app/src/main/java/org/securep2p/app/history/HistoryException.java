package org.securep2p.app.history;

import java.util.Objects;

/**
 * A history operation that did not happen; nothing was changed. The {@link Reason} says what the caller can
 * do. Messages name the file and the check that failed, never a text, a name or a fingerprint.
 */
public final class HistoryException extends Exception {

    /** Why the operation was refused. */
    public enum Reason {
        /** The database cannot be read or written (I/O error, disk full, locked by another process). */
        STORAGE_FAILED,
        /** The file is not a history database, was sealed under another key, or a row fails authentication. */
        CORRUPT,
        /** The file names a schema version this build does not read. */
        UNKNOWN_VERSION,
        /** Another contact already has this local name. */
        NAME_TAKEN,
        /** An argument is outside what the store accepts (empty name, limit out of range). */
        INVALID_ARGUMENT
    }

    private final Reason reason;

    public HistoryException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason);
    }

    public HistoryException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason);
    }

    public Reason reason() {
        return reason;
    }
}
