package org.securep2p.transport;

import java.util.Objects;

/**
 * The one checked failure of the transport. The {@link Reason} says what went wrong in network terms, so the
 * caller can act on it (retry discovery, fall back to a relay, ask for a new code), and
 * {@link Reason#sentence()} is a sentence the UI can show as it is.
 *
 * <p>Messages name hosts, ports and states only; never key material or payload bytes.
 */
public final class TransportException extends Exception {

    /** Why the transport refused or gave up, each with a sentence for the user. */
    public enum Reason {
        STUN_UNREACHABLE("No STUN server answered; check the network or the STUN servers in the settings."),
        NO_ROUTE("No path to the peer was found: direct connection failed and no relay could be used."),
        RELAY_REFUSED("The TURN relay refused us: check its address and credentials."),
        PEER_TIMEOUT("The peer stopped answering."),
        PEER_CLOSED("The peer closed the connection."),
        TLS_FAILED("The encrypted channel could not be set up."),
        IDENTITY_MISMATCH("The peer is not who the connection code says: someone may be in between."),
        CERTIFICATE_REFUSED("The peer's certificate is not vouched for by your organisation's certificate authority."),
        DOWNGRADE("The peer offered a weaker security level than required."),
        BAD_CODE("The connection code is not valid; copy it again in full."),
        UNSUPPORTED_CODE_VERSION("The connection code comes from a different version of securep2p."),
        PROTOCOL_VIOLATION("The peer broke the transport protocol."),
        BUFFER_FULL("Too much data is waiting to be sent; try again shortly."),
        CLOSED("The connection is closed."),
        IO_FAILED("A local network operation failed."),
        CONFIG_INVALID("The transport settings are not valid.");

        private final String sentence;

        Reason(String sentence) {
            this.sentence = sentence;
        }

        /** A complete sentence for the user; the exception message adds the detail. */
        public String sentence() {
            return sentence;
        }
    }

    private final Reason reason;

    public TransportException(Reason reason, String detail) {
        super(reason + ": " + Objects.requireNonNull(detail, "detail"));
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public TransportException(Reason reason, String detail, Throwable cause) {
        super(reason + ": " + Objects.requireNonNull(detail, "detail"), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
