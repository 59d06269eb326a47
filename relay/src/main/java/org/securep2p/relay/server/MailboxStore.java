package org.securep2p.relay.server;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayException;

/**
 * Where a relay keeps its mailboxes and their items (PROTOCOL.md §22.3). Guarantees of every implementation: a
 * call that returns has committed durably (a crash afterwards loses nothing it reported); a call that throws has
 * changed nothing; quotas are checked in the same transaction as the write they limit; an item at or past its
 * expiry is never returned; sequences of a mailbox are 1, 2, 3… and never reused, even after a delete. Safe for
 * use from several threads. Failures are {@link RelayException}s whose reason is the wire's (UNKNOWN_MAILBOX,
 * MAILBOX_EXISTS, QUOTA_EXCEEDED, INTERNAL). Not its job: signatures, rate limits, connections.
 */
public interface MailboxStore extends AutoCloseable {

    /** The two public keys of a mailbox. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; equals, hashCode and toString go by content
    record Keys(byte[] receiveKey, byte[] sendKey) {
        public Keys {
            receiveKey = receiveKey.clone();
            sendKey = sendKey.clone();
        }

        @Override
        public byte[] receiveKey() {
            return receiveKey.clone();
        }

        @Override
        public byte[] sendKey() {
            return sendKey.clone();
        }

        // A value compared by content (two loads of one mailbox are equal), not by which array it holds.
        @Override
        public boolean equals(Object o) {
            return o instanceof Keys other && Arrays.equals(receiveKey, other.receiveKey)
                    && Arrays.equals(sendKey, other.sendKey);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(receiveKey) + Arrays.hashCode(sendKey);
        }

        // Lengths only: the keys name the mailbox, which stays out of logs.
        @Override
        public String toString() {
            return "Keys[" + receiveKey.length + "-byte receive key, " + sendKey.length + "-byte send key]";
        }
    }

    /** One stored item. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; equals, hashCode and toString go by content
    record Item(long sequence, long postedMillis, byte[] blob) {
        public Item {
            blob = blob.clone();
        }

        @Override
        public byte[] blob() {
            return blob.clone();
        }

        // A value compared by content (two reads of one item are equal), not by which array it holds.
        @Override
        public boolean equals(Object o) {
            return o instanceof Item other && sequence == other.sequence && postedMillis == other.postedMillis
                    && Arrays.equals(blob, other.blob);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * Long.hashCode(sequence) + Long.hashCode(postedMillis)) + Arrays.hashCode(blob);
        }

        @Override
        public String toString() {
            return "Item[" + sequence + ", " + blob.length + " bytes]";
        }
    }

    /**
     * Creates {@code mailbox} with its keys. The same keys again: nothing changes (a retry). Other keys:
     * MAILBOX_EXISTS. The relay at its cap of mailboxes: QUOTA_EXCEEDED.
     */
    void create(MailboxId mailbox, byte[] receiveKey, byte[] sendKey, Instant now) throws RelayException;

    /** The keys of {@code mailbox}, or empty if there is no such mailbox. */
    Optional<Keys> keys(MailboxId mailbox) throws RelayException;

    /**
     * Appends {@code blob}, kept until {@code expires}; returns its sequence. UNKNOWN_MAILBOX, or QUOTA_EXCEEDED
     * when the mailbox's unexpired items would exceed its item or byte quota.
     */
    long post(MailboxId mailbox, byte[] blob, Instant now, Instant expires) throws RelayException;

    /** At most {@code limit} unexpired items with a sequence above {@code after}, in sequence order. */
    List<Item> itemsAfter(MailboxId mailbox, long after, Instant now, int limit) throws RelayException;

    /** Removes every item with a sequence up to {@code upTo}; returns how many. UNKNOWN_MAILBOX. */
    int delete(MailboxId mailbox, long upTo) throws RelayException;

    /** Removes every item expired at {@code now}; returns how many. */
    int sweep(Instant now) throws RelayException;

    @Override
    void close();
}
