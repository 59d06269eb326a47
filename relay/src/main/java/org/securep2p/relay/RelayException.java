package org.securep2p.relay;

/**
 * A relay request or frame that failed, with a reason a caller can act on. On the wire (PROTOCOL.md §22.3) the
 * reasons that have a {@link Reason#code()} travel in an ERROR frame; the rest are the client's own. The message
 * is a sentence for the user and never contains a key, a mailbox id or an item's bytes.
 */
public final class RelayException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why. Codes 1..99 are the relay's ERROR codes; 0 marks a client-side reason that is never sent. */
    public enum Reason {
        /** A frame that does not parse: wrong length, bad field, trailing bytes. The connection is closed. */
        BAD_FRAME(1, true),
        /** A frame version this side does not speak. The connection is closed. */
        UNKNOWN_VERSION(2, true),
        /** A request signature that does not verify with the mailbox's key. The connection is closed. */
        BAD_SIGNATURE(3, true),
        /** A request id not above the previous one on this connection (a replay). The connection is closed. */
        REPLAYED(4, true),
        /** No such mailbox (never created, or expired). */
        UNKNOWN_MAILBOX(5, false),
        /** CREATE of an id that exists with other keys. */
        MAILBOX_EXISTS(6, false),
        /** The mailbox holds its maximum of items or bytes, or the relay its maximum of mailboxes. */
        QUOTA_EXCEEDED(7, false),
        /** Too many requests on this connection. The connection is closed. */
        RATE_LIMITED(8, true),
        /** A frame or item over the relay's limit. The connection is closed. */
        TOO_LARGE(9, true),
        /** CREATE without the relay's creation password. */
        NOT_ALLOWED(10, false),
        /** The relay is at its connection cap. The connection is closed. */
        BUSY(11, true),
        /** The relay could not store or read (disk full, database error); nothing was stored. */
        INTERNAL(12, false),
        /** REQUEST to a member with no connection to the relay (§23.4). */
        NOT_ONLINE(13, false),
        /** LOOKUP of a fingerprint nobody published, or whose certificate the CA has revoked (§23.3). */
        UNKNOWN_MEMBER(14, false),
        /** The relay's TLS key is not the pinned fingerprint: someone else answered at that address. */
        WRONG_RELAY_KEY(0, false),
        /** The relay could not be reached or the connection dropped before an answer. */
        UNREACHABLE(0, false),
        /** No answer within the client's timeout. */
        TIMEOUT(0, false);

        private final int code;
        private final boolean closes;

        Reason(int code, boolean closes) {
            this.code = code;
            this.closes = closes;
        }

        /** The ERROR frame's code, or 0 for a reason that never travels. */
        public int code() {
            return code;
        }

        /** Whether the relay closes the connection after replying with this reason. */
        public boolean closesConnection() {
            return closes;
        }

        /** The reason for an ERROR frame's code; an unknown code is {@link #BAD_FRAME}. */
        public static Reason ofCode(int code) {
            for (Reason r : values()) {
                if (r.code != 0 && r.code == code) {
                    return r;
                }
            }
            return BAD_FRAME;
        }
    }

    private final Reason reason;

    public RelayException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public RelayException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
