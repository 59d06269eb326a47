package org.securep2p.relay.server;

import java.util.List;

import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayException;

/**
 * One SUBSCRIBE of one connection (PROTOCOL.md §22.3): delivers every unexpired item above a cursor, in sequence
 * order, first the stored ones and then each new one. Stored replay and live pushes are one mechanism: a commit
 * only {@link #wake}s the subscription, which reads from the store what lies above the last item it handed to the
 * connection. One pump runs at a time (a wake during a pump makes it read once more), so nothing is reordered,
 * repeated or skipped, whatever the timing of POSTs against the SUBSCRIBE. The pump waits for its batch to be
 * written before reading the next, so a slow subscriber holds at most one batch in memory.
 */
final class Subscription {

    /** Items read and sent per round (each up to 1 MiB: the memory a slow subscriber can hold). */
    static final int BATCH = 8;

    private final RelayConnection connection;
    private final MailboxId mailbox;
    private final int requestId;
    private final Object lock = new Object();
    /** Last sequence handed to the connection; touched by the running pump only. */
    private long delivered;
    private boolean running;
    private boolean again;
    private boolean cancelled;

    Subscription(RelayConnection connection, MailboxId mailbox, int requestId, long after) {
        this.connection = connection;
        this.mailbox = mailbox;
        this.requestId = requestId;
        this.delivered = after;
    }

    MailboxId mailbox() {
        return mailbox;
    }

    int requestId() {
        return requestId;
    }

    /** Something may have been committed above the cursor: make sure a pump looks. */
    void wake() {
        synchronized (lock) {
            if (cancelled) {
                return;
            }
            if (running) {
                again = true;
                return;
            }
            running = true;
            again = false;
        }
        connection.relay().executor().execute(this::pump);
    }

    void cancel() {
        synchronized (lock) {
            cancelled = true;
        }
    }

    private void pump() {
        try {
            pumpOnce();
        } catch (RuntimeException e) {
            // A pump that died with running set would silence the subscription for good: end it visibly.
            stop();
            connection.subscriptionFailed(this);
        }
    }

    private void pumpOnce() {
        List<MailboxStore.Item> items;
        try {
            items = connection.relay().store().itemsAfter(mailbox, delivered,
                    connection.relay().clock().instant(), BATCH);
        } catch (RelayException e) {
            stop();
            connection.subscriptionFailed(this);
            return;
        }
        if (items.isEmpty()) {
            synchronized (lock) {
                if (!again || cancelled) {
                    running = false;
                    return;
                }
                again = false;
            }
            connection.relay().executor().execute(this::pump);
            return;
        }
        synchronized (lock) {
            if (cancelled) {
                running = false;
                return;
            }
        }
        delivered = items.get(items.size() - 1).sequence();
        connection.deliver(this, items, this::pumpNext, this::stop);
    }

    private void pumpNext() {
        connection.relay().executor().execute(this::pump);
    }

    private void stop() {
        synchronized (lock) {
            cancelled = true;
            running = false;
        }
    }
}
