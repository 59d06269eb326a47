package org.securep2p.relay.server;

import java.math.BigInteger;
import java.util.Objects;

import org.securep2p.relay.MailboxId;

/**
 * The {@link RelayBus} of a relay that is its only instance (SQLite, PROTOCOL.md §23.5): every announcement goes
 * straight to this instance's listener, on the announcing thread (listeners must not block, so that is cheap), and
 * is never lost.
 */
final class LocalRelayBus implements RelayBus {

    private volatile Listener listener = NO_LISTENER;

    @Override
    public void posted(MailboxId mailbox, long sequence) {
        listener.posted(mailbox, sequence);
    }

    @Override
    public void request(byte[] fingerprint, byte[] incomingFrame) {
        listener.request(fingerprint.clone(), incomingFrame.clone());
    }

    @Override
    public void revoked(BigInteger serial) {
        listener.revoked(serial);
    }

    @Override
    public boolean mayLoseMessages() {
        return false;
    }

    @Override
    public void listen(Listener l) {
        listener = Objects.requireNonNull(l, "listener");
    }

    @Override
    public void close() {
        listener = NO_LISTENER;
    }

    @Override
    public String toString() {
        return "LocalRelayBus";
    }
}
