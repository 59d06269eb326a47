package org.securep2p.app.history;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One message in the history: its id (the chat protocol's message id, hex), when it was sent or received, the
 * direction, the text, and for a sent message its delivery state. {@code position} orders the messages of one
 * conversation (assigned by the store; 0 before it is stored) and pages through them.
 *
 * <p>{@link #toString()} never shows the text.
 */
public record HistoryMessage(long position, String id, Instant time, Direction direction, String text,
        Delivery delivery, Optional<String> failureReason, boolean read) {

    /** Who wrote it. */
    public enum Direction { SENT, RECEIVED }

    /** Where a sent message is; a received message is always {@link #RECEIVED}. */
    public enum Delivery { SENDING, DELIVERED, FAILED, RECEIVED }

    public HistoryMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(delivery, "delivery");
        Objects.requireNonNull(failureReason, "failureReason");
        if ((direction == Direction.RECEIVED) != (delivery == Delivery.RECEIVED)) {
            throw new IllegalArgumentException("a received message has delivery RECEIVED, a sent one never");
        }
    }

    /** A message this side sent, not yet delivered. */
    public static HistoryMessage sent(String id, Instant time, String text) {
        return new HistoryMessage(0, id, time, Direction.SENT, text, Delivery.SENDING, Optional.empty(), true);
    }

    /** A message received from the peer, unread. */
    public static HistoryMessage received(String id, Instant time, String text) {
        return new HistoryMessage(0, id, time, Direction.RECEIVED, text, Delivery.RECEIVED, Optional.empty(), false);
    }

    @Override
    public String toString() {
        return "HistoryMessage[position=" + position + ", id=" + id + ", time=" + time + ", " + direction + ", "
                + delivery + ", " + text.length() + " chars]";
    }
}
