package org.securep2p.app;

import java.util.List;
import java.util.function.Consumer;

import org.securep2p.crypto.CryptoException;
import org.securep2p.ratchet.RatchetException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to one ratchet message of a conversation once it has arrived, whether it came over a live session
 * or out of an inbox on a relay (PROTOCOL.md §20.3, §22.6): decrypted and committed, a TEXT stored in the history
 * and shown once, an ACK reported as delivered (before its commit), a duplicate acknowledged again, a MAILBOX
 * handed over to be stored. A message that does not authenticate or does not parse is logged and dropped; the
 * session is unchanged. Not its job: sending the acknowledgement (the caller coalesces it on its own path).
 */
final class RatchetReceiver {

    private static final Logger SECURITY = LoggerFactory.getLogger("securep2p.security");

    private RatchetReceiver() {
    }

    /**
     * Handles {@code wire}; returns whether an acknowledgement is now due (a TEXT, fresh or not, or a duplicate).
     * Throws only when local storage failed: the message is then kept as the conversation's commit left it, and
     * offered again at the next connection.
     */
    static boolean receive(Conversation c, byte[] wire, ChatSession.Conversations conversations,
            Consumer<ChatEvent> events) throws AppException {
        Conversation.Received received;
        try {
            received = c.decrypt(wire, acknowledged -> announceDelivered(c, acknowledged, events));
        } catch (RatchetException e) {
            if (e.reason() == RatchetException.Reason.DUPLICATE) {
                // A message resent after a reconnect (or posted to the relay too) that we already have:
                // acknowledge again, show nothing.
                return true;
            }
            SECURITY.warn("message from {} rejected: {} (session intact)", c.peer().shortForm(), e.reason());
            return false;
        } catch (CryptoException e) {
            SECURITY.warn("message content from {} rejected: {}", c.peer().shortForm(), e.reason());
            return false;
        }
        ChatPayload p = received.payload();
        switch (p.kind()) {
            case TEXT -> {
                if (received.fresh()) {
                    if (conversations.received(c.peer(), new Conversation.Inbound(p.sequence(), p.id(), p.time(),
                            p.text()))) {
                        if (!conversations.remembersReceived()) {
                            c.commitShown(p.sequence());
                        }
                        events.accept(new ChatEvent.MessageReceived(c.peer().displayString(), c.peerName(), p.text(),
                                p.id(), p.time()));
                    }
                    c.shown(p.sequence());
                }
                return true;
            }
            case ACK -> {
                // Announced before the commit (Conversation.decrypt).
                return false;
            }
            case CONFIRM -> {
                SECURITY.warn("confirmation from {} outside a set-up ignored", c.peer().shortForm());
                return false;
            }
            case MAILBOX -> {
                try {
                    conversations.introduced(c.peer(), p.capability());
                } finally {
                    p.wipe();
                }
                return false;
            }
            case OFFER, ANSWER -> {
                // Committed already: the rendezvous (§22.7) checks it and acts on it.
                conversations.rendezvous(c.peer(), p);
                return false;
            }
            case FILE -> {
                // Committed already; the file engine keeps the offer's key (not wiped here).
                conversations.file(c.peer(), p.fileMessage());
                return false;
            }
            default -> throw new AssertionError(p.kind());
        }
    }

    private static void announceDelivered(Conversation c, List<Conversation.Pending> acknowledged,
            Consumer<ChatEvent> events) {
        for (Conversation.Pending p : acknowledged) {
            events.accept(new ChatEvent.Delivered(c.peer().displayString(), p.id()));
        }
    }
}
