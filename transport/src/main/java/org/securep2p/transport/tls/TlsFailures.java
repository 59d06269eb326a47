package org.securep2p.transport.tls;

import java.io.EOFException;
import java.io.IOException;

import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsNoCloseNotifyException;
import org.securep2p.transport.TransportException;

import static org.securep2p.transport.TransportException.Reason.DOWNGRADE;
import static org.securep2p.transport.TransportException.Reason.IO_FAILED;
import static org.securep2p.transport.TransportException.Reason.PEER_CLOSED;
import static org.securep2p.transport.TransportException.Reason.PROTOCOL_VIOLATION;
import static org.securep2p.transport.TransportException.Reason.TLS_FAILED;

/**
 * Turns what Bouncy Castle's TLS and the underlying streams throw into a {@link TransportException}, so no
 * Bouncy Castle type leaves the TLS layer. A reason our own checks recorded (identity mismatch, level
 * mismatch) always wins over the alert that carried it, because the alert is less precise.
 */
final class TlsFailures {

    private TlsFailures() {
    }

    /**
     * @param recorded the failure our own handshake checks recorded, or null
     * @param established whether the handshake had completed: a failure after it is the peer's fault or the
     *        path's, not a failed negotiation
     */
    static TransportException map(Throwable e, TransportException recorded, boolean established) {
        if (recorded != null) {
            return recorded;
        }
        if (e instanceof TransportException t) {
            return t;
        }
        if (e instanceof TlsFatalAlertReceived r) {
            return received(r.getAlertDescription(), e);
        }
        if (e instanceof TlsFatalAlert f) {
            String alert = AlertDescription.getText(f.getAlertDescription());
            return established
                    ? new TransportException(PROTOCOL_VIOLATION, "refused a TLS record from the peer: " + alert, e)
                    : new TransportException(TLS_FAILED, "TLS handshake failed: " + alert, e);
        }
        if (e instanceof TlsNoCloseNotifyException) {
            return new TransportException(PEER_CLOSED, "the peer closed without close_notify; data may be missing", e);
        }
        if (e instanceof EOFException) {
            return endOfStream(established);
        }
        if (e instanceof IOException io) {
            return stream(io);
        }
        // Bouncy Castle bugs on hostile input surface as runtime exceptions; they must not crash the caller.
        return established
                ? new TransportException(PROTOCOL_VIOLATION, "the TLS library refused the peer's data", e)
                : new TransportException(TLS_FAILED, "the TLS library refused the peer's handshake", e);
    }

    static TransportException endOfStream(boolean established) {
        return established
                ? new TransportException(PEER_CLOSED, "the peer closed without close_notify; data may be missing")
                : new TransportException(PEER_CLOSED, "the peer closed the connection during the TLS handshake");
    }

    /** The channel below failed: its own TransportException, when it carries one, is the real reason. */
    static TransportException stream(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TransportException found) {
                return found;
            }
        }
        return new TransportException(IO_FAILED, "the channel below TLS failed: " + e.getMessage(), e);
    }

    private static TransportException received(short alert, Throwable e) {
        String text = AlertDescription.getText(alert);
        return switch (alert) {
            case AlertDescription.insufficient_security ->
                    new TransportException(DOWNGRADE, "the peer runs another security level (" + text + ")", e);
            case AlertDescription.bad_certificate, AlertDescription.unsupported_certificate,
                    AlertDescription.certificate_unknown, AlertDescription.certificate_required,
                    AlertDescription.access_denied ->
                    new TransportException(TLS_FAILED, "the peer refused our certificate (" + text + ")", e);
            default -> new TransportException(TLS_FAILED, "the peer aborted TLS (" + text + ")", e);
        };
    }
}
