package org.securep2p.keymanager;

import java.io.IOException;
import java.util.Objects;

/**
 * A failure of the key-manager IPC itself (framing, authentication, socket directory, lost connection), as
 * opposed to a refusal by the key holder, which stays a {@link org.securep2p.crypto.CryptoException} with its
 * reason. It is an {@link IOException} so that the public entry points can declare {@code IOException} until
 * the module's {@code KeyManagerException} takes these reasons over.
 *
 * <p>Messages name fields, sizes and uids only; never a token, a key or a secret.
 */
final class IpcException extends IOException {

    private static final long serialVersionUID = 1L;

    /** What went wrong, so the caller can tell "restart the key manager" from "fix the caller". */
    enum Reason {
        /** A frame's layout is wrong: too short, bad lengths, trailing bytes, a field out of range. */
        MALFORMED_FRAME,
        /** A frame announces more than {@link IpcCodec#MAX_FRAME_LENGTH} bytes. */
        FRAME_TOO_LARGE,
        /** The stream ended inside a frame. */
        TRUNCATED,
        /** The frame's version byte is not one this build speaks. */
        UNKNOWN_VERSION,
        /** The op code is not one this build knows. */
        UNKNOWN_OP,
        /** The peer is not who it must be: another uid, a wrong token, or no HELLO first. */
        NOT_AUTHENTICATED,
        /** The socket directory exists with permissions other than 0700, is not a directory, or is not ours. */
        UNSAFE_DIRECTORY,
        /** The other side answered with an error that is not a key-holder refusal (a protocol mismatch). */
        REJECTED,
        /** The connection is closed, or the key-manager process is gone or did not start. */
        UNAVAILABLE,
    }

    private final Reason reason;

    IpcException(Reason reason, String message) {
        super(reason + ": " + Objects.requireNonNull(message, "message"));
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    IpcException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + Objects.requireNonNull(message, "message"), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    Reason reason() {
        return reason;
    }
}
