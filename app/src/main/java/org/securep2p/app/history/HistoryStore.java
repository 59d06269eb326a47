package org.securep2p.app.history;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.securep2p.crypto.Fingerprint;

/**
 * The user's message history and contact list: every message sent and received, per conversation, with its
 * time, direction and delivery state, and each contact's local name.
 *
 * <p>Guarantees: every call that changes something has committed it durably before it returns; nothing stored
 * is readable without the history storage key (texts, fingerprints and names are sealed, conversations are
 * told apart by keyed hashes, PROTOCOL.md §19.6); a row that was moved to another conversation, swapped with
 * another or altered is refused as {@link HistoryException.Reason#CORRUPT}, never shown. Appending the same
 * message id twice to one conversation stores it once: the caller learns which call was the first, so a
 * message received again after a crash is never shown twice.
 *
 * <p>Not its job: the ratchet state and the outbox (the conversation files), or delivering anything.
 * Implementations are safe for use from several threads; a call after {@link #close()} is
 * {@link HistoryException.Reason#STORAGE_FAILED}.
 */
public interface HistoryStore extends AutoCloseable {

    /**
     * Stores {@code message} in the conversation with {@code peer}, unread if it is received (a sent message is
     * always read), its time to the millisecond and clamped to 1970..9999 (a peer's claimed time is shown, any
     * value is accepted). Expiry and the order of {@link #conversations()} go by when the store stored it (its
     * clock), never by the message's time. Returns false, and changes nothing, when that conversation
     * already holds a message with the same id. With {@link Retention#off()} nothing is stored and it returns
     * true. An id that is not 1 to 64 lower-case hex digits or a text over 64 KiB of UTF-8 is
     * {@link HistoryException.Reason#INVALID_ARGUMENT}.
     */
    boolean append(Fingerprint peer, HistoryMessage message) throws HistoryException;

    /**
     * False when {@link #append} keeps nothing ({@link Retention#off()}): its "true" then cannot tell a message
     * already received, and the caller must remember what it showed itself.
     */
    default boolean keepsMessages() {
        return true;
    }

    /**
     * Sets the delivery state of a message this side sent ({@code reason} only with
     * {@link HistoryMessage.Delivery#FAILED}). Returns false when the conversation holds no such sent message.
     */
    boolean updateDelivery(Fingerprint peer, String messageId, HistoryMessage.Delivery delivery,
            Optional<String> reason) throws HistoryException;

    /**
     * Up to {@code limit} (1 to 1,000) messages of one conversation, oldest first, ending just before
     * {@code before} (a {@link HistoryMessage#position()} from an earlier page), or with the newest message when
     * it is empty. A row that fails authentication makes the whole call {@link HistoryException.Reason#CORRUPT}.
     */
    List<HistoryMessage> page(Fingerprint peer, Optional<Long> before, int limit) throws HistoryException;

    /**
     * Every conversation with at least one message or a contact name, the one whose newest message was stored
     * last first.
     */
    List<ConversationSummary> conversations() throws HistoryException;

    /** Marks every received message of the conversation read. */
    void markRead(Fingerprint peer) throws HistoryException;

    /** Deletes one conversation's messages (not its contact name); returns how many were removed. */
    int clear(Fingerprint peer) throws HistoryException;

    /** Deletes the messages stored longer ago than the retention allows at {@code now}; returns how many. */
    int expire(Instant now) throws HistoryException;

    /** The contact's local name, if one was set. */
    Optional<String> contactName(Fingerprint peer) throws HistoryException;

    /**
     * Sets the contact's local name. Refused with {@link HistoryException.Reason#NAME_TAKEN} when another
     * contact has it (names are compared case-insensitively after stripping).
     */
    void setContactName(Fingerprint peer, String name) throws HistoryException;

    /** The contact whose local name is {@code name} (case-insensitive), if any; empty for any non-name. */
    Optional<Fingerprint> contactNamed(String name) throws HistoryException;

    @Override
    void close();

    /**
     * One conversation as the list shows it; {@code lastTime} is when its newest message was stored here (the
     * store's clock, not the message's time).
     */
    record ConversationSummary(Fingerprint peer, Optional<String> name, int unread, Optional<Instant> lastTime,
            long messages) {

        /** Never the fingerprint nor the name: who someone talks to stays out of logs. */
        @Override
        public String toString() {
            return "ConversationSummary[" + (name.isPresent() ? "named" : "unnamed") + ", unread=" + unread
                    + ", lastTime=" + lastTime.map(Instant::toString).orElse("none") + ", messages=" + messages
                    + "]";
        }
    }
}
