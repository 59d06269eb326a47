package org.securep2p.ratchet;

import java.util.Objects;

/**
 * The one checked failure of the ratchet. A rejected message never changes the session; the {@link Reason}
 * tells the caller what to do (a duplicate is not an attack, a corrupt stored session is not bad input).
 * Messages never carry keys or plaintext.
 */
public final class RatchetException extends Exception {

    /** Why a message or a stored session was refused. */
    public enum Reason {
        /** The message was already decrypted once; its key is gone (forward secrecy). */
        DUPLICATE,
        /** The message is further ahead in its chain than {@code MAX_SKIP} allows. */
        TOO_FAR_AHEAD,
        /** Authentication failed: the message (or its header) was altered, or is not for this session. */
        BAD_MAC,
        /** The wire message does not follow the layout (lengths, fields). */
        MALFORMED,
        /** The wire message or stored record names a version this build does not speak. */
        UNKNOWN_VERSION,
        /**
         * The wire message is of a format this build knows and no longer accepts (ratchet message version 1,
         * whose key and nonce a rolled-back sender could repeat): the peer must upgrade.
         */
        OLD_VERSION,
        /** The message is at another security level than the session's. */
        WRONG_LEVEL,
        /** The stored session record is unreadable or inconsistent: stored state, not network input. */
        CORRUPT_STATE,
        /** The responder cannot send before it has received the initiator's first ratchet message. */
        NOT_YET_SENDABLE,
        /** No session is stored under the given id. */
        NO_SESSION,
        /** The session store could not read or write durably. */
        STORAGE_FAILED,
    }

    private final Reason reason;

    public RatchetException(Reason reason, String message) {
        super(reason + ": " + Objects.requireNonNull(message));
        this.reason = Objects.requireNonNull(reason);
    }

    public RatchetException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + Objects.requireNonNull(message), cause);
        this.reason = Objects.requireNonNull(reason);
    }

    public Reason reason() {
        return reason;
    }
}
