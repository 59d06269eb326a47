package org.securep2p.app;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import org.securep2p.app.history.HistoryMessage;
import org.securep2p.crypto.SecurityLevel;

/**
 * The chat engine both front ends drive: one identity (held by the key-manager process), several conversations at
 * once (up to {@link #MAX_CONNECTIONS} connected), every outcome reported as a {@link ChatEvent}. A conversation
 * is named by the peer's fingerprint (as {@link org.securep2p.crypto.Fingerprint#displayString()} prints it); a
 * {@code peer} argument accepts that fingerprint (spaces, colons and case ignored) or a contact's local name. A
 * wait or a connect is named by its attempt id until it has a peer.
 *
 * <p>Guarantees: a message accepted by {@link #send} is stored encrypted (ratchet ciphertext) and in the history
 * before the call returns and is retried after a reconnect or a restart until the peer acknowledges it; a peer
 * whose identity changed cannot receive anything until the user has decided; the level never drops below the
 * user's floor.
 *
 * <p>Not its job: drawing or parsing user input.
 */
public interface Messenger extends AutoCloseable {

    /** How many conversations may be connected (or setting up) at once. */
    int MAX_CONNECTIONS = 32;

    /** Adds a listener; events arrive on the engine's threads, in order per conversation. */
    void addListener(Consumer<ChatEvent> listener);

    /** This side's fingerprint, username and key protection. */
    ChatEvent.Ready identity();

    /** Asks the STUN servers again (blocking, bounded by the STUN timeout). */
    ChatEvent.Endpoint discoverEndpoint() throws AppException;

    /** Opens one more wait (up to the limit); the Endpoint carries its attempt id and its code. */
    ChatEvent.Endpoint waitForPeer(SecurityLevel floor) throws AppException;

    /** Adds the connecting side's answer code to the running wait {@code attempt}. */
    void acceptAnswer(String attempt, String answerCode) throws AppException;

    /** Connects in the background; returns the attempt id its Progress/Failure/Connected events carry. */
    String connect(String codeOrAddress, SecurityLevel floor) throws AppException;

    /**
     * Reconnects a known contact without a code, through its relay (PROTOCOL.md §22.7): opens a wait and offers its
     * code in the contact's inbox. A contact already connected is left as it is ({@link Opened#alreadyConnected}).
     * Without a stored conversation or an inbox of the contact's: {@link AppException} with a sentence.
     */
    Opened open(String peer) throws AppException;

    /** Ends a wait or a connect that has no conversation yet; an unknown attempt is ignored. */
    void cancel(String attempt);

    /**
     * Encrypts, stores (conversation file and history) and sends or queues a message; returns its id.
     * {@code peer} may be null only when exactly one conversation is connected, or none is and exactly one is
     * stored.
     */
    String send(String peer, String text) throws AppException;

    /** Every known conversation (contacts, stored sessions, live connections), most recent first. */
    List<ConversationInfo> conversations();

    /** Up to {@code limit} messages of one conversation, oldest first, ending before {@code before}. */
    List<HistoryMessage> history(String peer, Optional<Long> before, int limit) throws AppException;

    /** Sets the contact's local name (unique in the user's list). */
    void rename(String peer, String name) throws AppException;

    /** Marks every received message of the conversation read. */
    void markRead(String peer) throws AppException;

    /** Deletes the conversation's history (not the contact nor the session); returns how many messages. */
    int clearHistory(String peer) throws AppException;

    /** The safety number (60 digits) with {@code peer}, if it names a known peer. */
    Optional<String> safetyNumber(String peer);

    /** Marks {@code peer} verified after the user compared the safety number. */
    void markVerified(String peer) throws AppException;

    /** Every peer in the trust store. */
    List<PeerInfo> peers();

    /**
     * The fixed UDP port ({@code --port}) this process listens on for contacts, while it does (PROTOCOL.md
     * §20.8); empty without one.
     */
    default Optional<Integer> listeningPort() {
        return Optional.empty();
    }

    /** The user's answer to a {@link ChatEvent.PeerChanged}, a {@link ChatEvent.StrangerAsks} or a trust-store edit. */
    void decide(String fingerprint, TrustDecision decision) throws AppException;

    /**
     * Ends one conversation's connection and its set-ups ({@code peer} null: every connection and wait); queued
     * messages stay queued. A peer that names no contact is {@link AppException.Reason#UNKNOWN_PEER}.
     */
    void disconnect(String peer) throws AppException;

    /**
     * The organisation's members as its relay lists them (PROTOCOL.md §23.3): name, fingerprint, presence, whether a
     * conversation is stored and whether this user blocked it. Without organisation mode and a relay:
     * {@link AppException.Reason#NO_DIRECTORY}.
     */
    default List<MemberInfo> members() throws AppException {
        throw noDirectory();
    }

    /**
     * Opens the member certified as {@code name} (§23.4): its directory entry checked ({@code DIRECTORY_REFUSED}
     * naming the failed check), a live session left as it is, else a wait whose code goes to it as a chat request.
     * Offline: {@code NOT_ONLINE}.
     */
    default Opened openMember(String name) throws AppException {
        throw noDirectory();
    }

    /** Accepts the chat request {@code id} of a {@link ChatEvent.ChatRequest}: connects to the requester. */
    default void acceptRequest(String id) throws AppException {
        throw noDirectory();
    }

    /** Declines the chat request {@code id}. */
    default void declineRequest(String id) throws AppException {
        throw noDirectory();
    }

    /** Blocks the member certified as {@code name}: its requests are dropped and logged, never shown. */
    default void block(String name) throws AppException {
        throw noDirectory();
    }

    /** Unblocks the member blocked as {@code name}; false if it was not blocked. */
    default boolean unblock(String name) throws AppException {
        throw noDirectory();
    }

    /**
     * Offers the file at {@code path} to {@code peer} (PROTOCOL.md §24.5) and returns the transfer's id (32 hex
     * digits) at once; hashing, the offer and the chunks follow in the background, reported by
     * {@link ChatEvent.FileProgress}, {@link ChatEvent.FileDone} or {@link ChatEvent.FileFailed}. A missing,
     * unreadable or too large file: {@link AppException.Reason#FILE_REFUSED} with a sentence.
     */
    default String sendFile(String peer, java.nio.file.Path path) throws AppException {
        throw noFiles();
    }

    /** Accepts the offer {@code id} of a {@link ChatEvent.FileOffered}: the file is received into downloads. */
    default void acceptFile(String id) throws AppException {
        throw noFiles();
    }

    /** Declines the offer {@code id}: the sender is told, nothing is written. */
    default void declineFile(String id) throws AppException {
        throw noFiles();
    }

    /** Cancels transfer {@code id} in either direction; the peer is told and a partial file removed. */
    default void cancelFile(String id) throws AppException {
        throw noFiles();
    }

    /** Every transfer not yet finished, and those that finished since the start, oldest first. */
    default List<TransferInfo> transfers() {
        return List.of();
    }

    private static AppException noFiles() {
        return new AppException(AppException.Reason.UNKNOWN_FILE, "This messenger does not transfer files.");
    }

    private static AppException noDirectory() {
        return new AppException(AppException.Reason.NO_DIRECTORY, "Start with --trust ca:PATH and a relay.");
    }

    @Override
    void close();

    /** A member of the organisation's directory as the front ends list it. */
    record MemberInfo(String name, String fingerprint, boolean online, boolean conversation, boolean blocked) {
    }

    /**
     * One file transfer as the front ends show it. {@code state} is one of offered (waiting for the receiver's
     * answer), asking (an offer this user has not answered), sending, receiving, waiting (no path to the peer
     * now: resumes when there is one), done, failed, cancelled. {@code rate} is bytes per second over the last
     * second; {@code path} the file sent, or the file received (its {@code .part} until done).
     */
    record TransferInfo(String id, String peer, String name, boolean outgoing, long bytes, long total, long rate,
            String state, String path) {
    }

    /** What {@link #open} did: the wait's attempt id, or nothing because the contact is connected already. */
    record Opened(String attempt, boolean alreadyConnected) {
    }

    /** What the user decides about a peer's identity. */
    enum TrustDecision {
        /** Accept the new identity (unverified). */
        ACCEPT,
        /** Refuse it now and in future. */
        REJECT,
        /** The user compared the safety number: accept and mark verified. */
        VERIFY,
        /** Forget the peer. */
        UNTRUST,
        /**
         * A stranger on the fixed port (PROTOCOL.md §20.8): talk this time, record nothing; the next connection is
         * asked about again, and nothing can be sent once this one ends.
         */
        ACCEPT_ONCE,
        /** Refuse this connection only: nothing is stored, and the peer may ask again. */
        REFUSE
    }

    /** A trust-store entry as the front ends show it. */
    record PeerInfo(String fingerprint, List<String> names, String firstSeen, String lastSeen, String lastAddress,
            boolean verified, String origin) {
    }

    /**
     * One conversation as the list shows it. {@code state} is one of idle, waiting, dialling, deciding,
     * connected, closed (lower case, for display and JSON). {@code relay} is the contact's relay
     * ({@code host:port}) when it introduced an inbox there (PROTOCOL.md §22.5); {@code path} is {@code relay} when
     * the contact is not connected directly and messages to it go through that relay.
     */
    record ConversationInfo(String peer, String name, boolean connected, int unread, Optional<Instant> lastTime,
            String state, Optional<String> relay, Optional<String> path) {

        public ConversationInfo(String peer, String name, boolean connected, int unread, Optional<Instant> lastTime,
                String state) {
            this(peer, name, connected, unread, lastTime, state, Optional.empty(), Optional.empty());
        }
    }
}
