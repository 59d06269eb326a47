package org.securep2p.app;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.securep2p.crypto.Fingerprint;
import org.securep2p.transport.Connector;

/**
 * Where one wait or connect (and the connection it becomes) stands: the one lifecycle type of the engine
 * ({@link DefaultMessenger} keeps one per attempt in a {@code Link}). A conversation with no attempt is
 * {@link Idle}.
 *
 * <p>Guarantees: {@link #allows} is the whole transition table; nothing leaves {@link Closed}. Each state holds
 * exactly what ending it needs (the wait to close, the set-up to abort, the decision to answer, the session to
 * end), so a cancel never consults a flag.
 *
 * <p>Not its job: the stored conversation (ratchet, outbox: {@link Conversation}) or the history.
 */
sealed interface ConversationState {

    /** Known, nothing running. The state of a conversation without an attempt, and of a link not yet started. */
    record Idle() implements ConversationState {
    }

    /**
     * Waiting for a peer: {@code handle} is the transport's wait (its code is single-use), empty for the fixed-port
     * listener, which lets go when the state is no longer this.
     */
    record Waiting(Optional<Connector.Waiting> handle) implements ConversationState {
        public Waiting {
            Objects.requireNonNull(handle);
        }
    }

    /**
     * A connection is being made or set up (ICE/TLS, HELLO, handshake or resumption): dialled, or a waiter's peer
     * that arrived. {@code setup} is the chat session once the transport is up; {@code redial} the bare address
     * that is dialled again after a drop; {@code peer} who it is when known (a redial).
     */
    record Dialling(Optional<ChatSession> setup, Optional<InetSocketAddress> redial, Optional<Fingerprint> peer)
            implements ConversationState {
        public Dialling {
            Objects.requireNonNull(setup);
            Objects.requireNonNull(redial);
            Objects.requireNonNull(peer);
        }
    }

    /**
     * The set-up with {@code peer} waits for the user's trust decision (a changed identity, a name conflict, or a
     * stranger on the fixed port); {@code answers} are the decisions the question takes.
     */
    record Deciding(Fingerprint peer, ChatSession setup, CompletableFuture<Messenger.TrustDecision> decision,
            Optional<InetSocketAddress> redial, Set<Messenger.TrustDecision> answers) implements ConversationState {
        public Deciding {
            Objects.requireNonNull(peer);
            Objects.requireNonNull(setup);
            Objects.requireNonNull(decision);
            Objects.requireNonNull(redial);
            answers = Set.copyOf(answers);
        }
    }

    /** A confirmed session with {@code peer} is live. */
    record Connected(Fingerprint peer, ChatSession session, Optional<InetSocketAddress> redial)
            implements ConversationState {
        public Connected {
            Objects.requireNonNull(peer);
            Objects.requireNonNull(session);
            Objects.requireNonNull(redial);
        }
    }

    /** Over for good (cancelled, failed, disconnected); a new wait or connect is a new link. */
    record Closed(Optional<Fingerprint> peer) implements ConversationState {
        public Closed {
            Objects.requireNonNull(peer);
        }
    }

    /** The peer this state is about, once known. */
    default Optional<Fingerprint> about() {
        if (this instanceof Dialling d) {
            return d.peer();
        }
        if (this instanceof Deciding d) {
            return Optional.of(d.peer());
        }
        if (this instanceof Connected c) {
            return Optional.of(c.peer());
        }
        if (this instanceof Closed c) {
            return c.peer();
        }
        return Optional.empty();
    }

    /** The word the front ends show and the JSON mode sends. */
    default String label() {
        if (this instanceof Idle) {
            return "idle";
        }
        if (this instanceof Waiting) {
            return "waiting";
        }
        if (this instanceof Dialling) {
            return "dialling";
        }
        if (this instanceof Deciding) {
            return "deciding";
        }
        return this instanceof Connected ? "connected" : "closed";
    }

    /** True while the link holds a connection slot (anything but idle and closed). */
    default boolean active() {
        return !(this instanceof Idle) && !(this instanceof Closed);
    }

    /**
     * The transition table. A link starts idle and goes to waiting or dialling; a waiter's peer arriving makes it
     * dialling; a set-up may stop to ask the user (deciding) and go on (dialling); a dropped {@code host:port}
     * conversation is dialled again; everything but closed may close, and closed is final.
     */
    static boolean allows(ConversationState from, ConversationState to) {
        if (from instanceof Closed) {
            return false;
        }
        if (to instanceof Closed) {
            return true;
        }
        if (from instanceof Idle) {
            return to instanceof Waiting || to instanceof Dialling;
        }
        if (from instanceof Waiting) {
            return to instanceof Dialling;
        }
        if (from instanceof Dialling) {
            return to instanceof Dialling || to instanceof Deciding || to instanceof Connected;
        }
        // Deciding goes on setting up; Connected is dialled again after a drop.
        return to instanceof Dialling;
    }
}
