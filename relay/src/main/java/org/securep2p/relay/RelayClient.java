package org.securep2p.relay;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One client connection to one relay (PROTOCOL.md §22), pinned to the relay's key: the TLS handshake fails unless
 * the relay presents the key of {@link #address()}'s fingerprint ({@link RelayException.Reason#WRONG_RELAY_KEY}).
 * It reconnects by itself with backoff after a drop and then subscribes again to every inbox it was subscribed to,
 * from the last sequence it delivered. Every future completes exceptionally with a {@link RelayException}; none
 * completes before the relay answered (a POST's future completes only after the relay committed the item
 * durably). Thread-safe. Futures complete, and sinks and listeners run, on the client's one event thread: they must
 * not block on it (waiting there for another answer of the same client would wait forever).
 */
public interface RelayClient extends AutoCloseable {

    /**
     * This connection's view of an organisation relay's member directory and chat requests (§23.3–23.4). Always
     * there: on an open relay every call fails with {@link RelayException.Reason#NOT_ALLOWED}, as the relay answers.
     * The default, for clients that speak no directory, fails every call so without asking anyone.
     */
    default MemberDirectory directory() {
        return new NoDirectory();
    }

    /** Where this client connects. */
    RelayAddress address();

    /** Creates {@code inbox} on the relay; succeeds also when it exists with the same keys. */
    CompletableFuture<Void> create(Inbox inbox);

    /**
     * Posts a padded item ({@link MailboxItem#encode()}) into the mailbox {@code to} names; completes with the
     * item's sequence in that mailbox once the relay has committed it.
     */
    CompletableFuture<Long> post(SendCapability to, byte[] blob, int ttlSeconds);

    /**
     * Delivers every item of {@code inbox} (stored ones first, then new ones as they arrive) to {@code sink}, in
     * sequence order, each once per client: after a reconnect the subscription is renewed from the last sequence
     * delivered; another client (the messenger after a restart) gets again what was not deleted. Completes when the
     * relay accepted the subscription. One the relay refuses (UNKNOWN_MAILBOX) is forgotten; one that failed for want
     * of a connection is renewed at the next. Subscribing again to the same inbox replaces the sink.
     */
    CompletableFuture<Void> subscribe(Inbox inbox, Consumer<Delivery> sink);

    /** Deletes the items of {@code inbox} up to and including {@code upTo}. */
    CompletableFuture<Void> delete(Inbox inbox, long upTo);

    /** The connection's state now. */
    State state();

    /** Called on every change of {@link #state()}, on the client's thread. */
    void addStateListener(Consumer<State> listener);

    /** Ends the connection and every subscription; pending futures fail with UNREACHABLE. */
    @Override
    void close();

    /** Where the connection stands. */
    enum State {
        /** Connecting or reconnecting (after a drop, with backoff). */
        CONNECTING,
        /** Connected, challenge received, subscriptions renewed. */
        CONNECTED,
        /** The last attempt failed; another follows after the backoff. {@link #lastProblem()} says why. */
        UNREACHABLE,
        /** Closed by {@link #close()}. */
        CLOSED
    }

    /** Why the last connection attempt failed, as a sentence, or empty. */
    String lastProblem();

    /** One item taken from an inbox. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; never compared
    record Delivery(MailboxId mailbox, long sequence, Instant posted, byte[] blob) {
        public Delivery {
            blob = blob.clone();
        }

        @Override
        public byte[] blob() {
            return blob.clone();
        }

        @Override
        public String toString() {
            return "Delivery[" + mailbox + " #" + sequence + ", " + blob.length + " bytes]";
        }
    }
}
