package org.securep2p.relay.server;

import java.math.BigInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link RelayBus} of a relay that is its only instance (SQLite, §23.5): every message goes straight to this
 * instance's listener, on the caller's thread, before the call returns; nothing is ever missed, so it never asks for
 * a resynchronisation. Messages before a listener is set, or after {@link #close()}, go nowhere.
 */
final class LocalRelayBus implements RelayBus {

    private static final Logger LOG = LoggerFactory.getLogger(LocalRelayBus.class);

    /** The one listener; null before {@link #listen} and after {@link #close}. */
    private volatile Listener listener;

    @Override
    public void request(byte[] fingerprint, byte[] incomingFrame) {
        Listener l = listener;
        if (l != null) {
            try {
                l.request(fingerprint.clone(), incomingFrame.clone());
            } catch (RuntimeException e) {
                // The sender's request was accepted; a listener's bug must not turn it into an error.
                LOG.warn("A relay bus listener failed on a request: {}", e.toString());
            }
        }
    }

    @Override
    public void revoked(BigInteger serial) {
        Listener l = listener;
        if (l != null) {
            try {
                l.revoked(serial);
            } catch (RuntimeException e) {
                LOG.warn("A relay bus listener failed on a revocation: {}", e.toString());
            }
        }
    }

    @Override
    public void listen(Listener listener) {
        this.listener = listener;
    }

    @Override
    public void close() {
        listener = null;
    }

    @Override
    public String toString() {
        return "LocalRelayBus";
    }
}
