package org.securep2p.app;

import java.util.Objects;

/**
 * A failure the user can act on: {@link Reason#sentence()} is what the front end shows, and {@link #code()} is
 * the JSON-RPC error code (documented in the README).
 */
public final class AppException extends Exception {

    /** Why an action failed. */
    public enum Reason {
        NOT_CONNECTED(-32001, "There is no open conversation."),
        PEER_CHANGED(-32002, "The peer's identity changed; decide to verify, accept or reject it first."),
        BAD_CODE(-32003, "That is not a valid connection code or host:port."),
        DOWNGRADE(-32004, "The peer's security level is below your minimum."),
        IDENTITY_MISMATCH(-32005, "The peer is not who the code says: someone may be in between."),
        UNREACHABLE(-32006, "The peer could not be reached."),
        BUSY(-32007, "A connection is already being set up or open."),
        REJECTED(-32008, "You rejected this peer's identity."),
        STORAGE_FAILED(-32009, "Local storage failed; nothing was sent."),
        KEY_MANAGER(-32010, "The key manager is not available."),
        TOO_LONG(-32011, "The message is too long."),
        UNKNOWN_PEER(-32012, "No such peer in the trust store."),
        PROTOCOL(-32013, "The peer broke the chat protocol."),
        NO_WAIT(-32014, "Not waiting for a peer: start waiting first."),
        SECURE_CHANNEL_FAILED(-32015, "The encrypted channel could not be set up; the connection may have been"
                + " tampered with."),
        CERTIFICATE_REFUSED(-32016, "The peer's certificate is not vouched for by your organisation's CA."),
        /**
         * The keys or what needs them could not be opened at start-up (the detail holds the lines the program
         * prints for it). Never a JSON-RPC error: the headless mode exits before its ready line instead.
         */
        START_FAILED(-32017, "securep2p could not start."),
        NAME_TAKEN(-32018, "Another contact already has that name."),
        BAD_NAME(-32019, "That is not a valid contact name."),
        /** The organisation relay's directory entry failed a check of PROTOCOL.md §23.3: the detail says which. */
        DIRECTORY_REFUSED(-32020, "The directory's entry for this member was refused."),
        /** The member has no connection to the organisation relay (§23.4). */
        NOT_ONLINE(-32021, "That member is not online."),
        /** A directory or chat-request call without an organisation relay (§23.2). */
        NO_DIRECTORY(-32022, "There is no organisation directory: it needs organisation mode and a relay."),
        /** A file transfer id that names no transfer of this side's (PROTOCOL.md §24). */
        UNKNOWN_FILE(-32023, "There is no such file transfer."),
        /** The file cannot be offered: missing, unreadable, not a regular file, or over {@code files.max_mb}. */
        FILE_REFUSED(-32024, "That file cannot be sent.");

        private final int code;
        private final String sentence;

        Reason(int code, String sentence) {
            this.code = code;
            this.sentence = sentence;
        }

        public int code() {
            return code;
        }

        public String sentence() {
            return sentence;
        }
    }

    private final Reason reason;
    private final String detail;

    public AppException(Reason reason, String detail) {
        super(Objects.requireNonNull(reason, "reason").sentence() + " " + Objects.requireNonNull(detail, "detail"));
        this.reason = reason;
        this.detail = detail;
    }

    public AppException(Reason reason, String detail, Throwable cause) {
        super(Objects.requireNonNull(reason, "reason").sentence() + " " + Objects.requireNonNull(detail, "detail"),
                cause);
        this.reason = reason;
        this.detail = detail;
    }

    /** What the failure adds to its reason's sentence. */
    public String detail() {
        return detail;
    }

    public Reason reason() {
        return reason;
    }

    public int code() {
        return reason.code();
    }
}
