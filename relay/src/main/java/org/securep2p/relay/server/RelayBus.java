package org.securep2p.relay.server;

/**
 * How the instances of one relay tell each other what happened (PROTOCOL.md §23.5): an item committed to a
 * mailbox, a chat request for a member, a revoked certificate. Every message reaches every instance, this one
 * included, at most once and possibly never (a listener that dropped): receivers treat a message as a hint to
 * look at the store, never as the only way to learn of an item. With SQLite the bus is in-process; with
 * PostgreSQL it is LISTEN/NOTIFY, sent in the transaction of the write it announces.
 */
interface RelayBus extends AutoCloseable {

    /** What an instance hears. Called on the bus's own thread: must not block. */
    interface Listener {
        /** An item up to {@code sequence} was committed to {@code mailbox}. */
        void posted(org.securep2p.relay.MailboxId mailbox, long sequence);

        /** A chat request (an encoded INCOMING frame) for the member with {@code fingerprint}. */
        void request(byte[] fingerprint, byte[] incomingFrame);

        /** The certificate with {@code serial} was revoked: close its connections. */
        void revoked(java.math.BigInteger serial);

        /** The bus may have missed messages (its listening connection dropped and came back): re-read the store. */
        void resynchronise();
    }

    /** A listener that ignores everything (before {@link #listen}, after {@link #close}). */
    Listener NO_LISTENER = new Listener() {
        @Override
        public void posted(org.securep2p.relay.MailboxId mailbox, long sequence) {
        }

        @Override
        public void request(byte[] fingerprint, byte[] incomingFrame) {
        }

        @Override
        public void revoked(java.math.BigInteger serial) {
        }

        @Override
        public void resynchronise() {
        }
    };

    /**
     * Announces that the store committed an item up to {@code sequence} to {@code mailbox}. A bus whose store
     * announces inside the write's own transaction (PostgreSQL: the NOTIFY is part of the POST's commit) has
     * nothing more to send and ignores it.
     */
    void posted(org.securep2p.relay.MailboxId mailbox, long sequence);

    /** Announces a request for a member to every instance. */
    void request(byte[] fingerprint, byte[] incomingFrame);

    /** Announces a revocation to every instance. */
    void revoked(java.math.BigInteger serial);

    /**
     * Whether a message can be lost (a listening connection that drops). Only then do subscriptions re-read the
     * store every 5 s (§23.5); an in-process bus loses nothing, and the re-reads would only contend for SQLite.
     */
    default boolean mayLoseMessages() {
        return true;
    }

    /** Sets the one listener of this instance. */
    void listen(Listener listener);

    @Override
    void close();
}
