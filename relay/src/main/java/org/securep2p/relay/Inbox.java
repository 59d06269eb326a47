package org.securep2p.relay;

import java.security.SecureRandom;
import java.util.Objects;

/**
 * The owner's side of one mailbox: where it is, its id, its receive key (kept by the owner: subscribe, delete)
 * and its send key (given to the one contact who may post into it, inside the ratchet, PROTOCOL.md §22.5).
 * {@link #destroy()} zeroes both seeds; {@code toString()} shows neither.
 */
public final class Inbox {

    private final RelayAddress relay;
    private final MailboxId id;
    private final SigningKey receiveKey;
    private final SigningKey sendKey;

    public Inbox(RelayAddress relay, MailboxId id, SigningKey receiveKey, SigningKey sendKey) {
        this.relay = Objects.requireNonNull(relay, "relay");
        this.id = Objects.requireNonNull(id, "id");
        this.receiveKey = Objects.requireNonNull(receiveKey, "receiveKey");
        this.sendKey = Objects.requireNonNull(sendKey, "sendKey");
    }

    /** A new inbox on {@code relay}: a random id and two fresh keys. */
    public static Inbox generate(RelayAddress relay, SecureRandom random) {
        return new Inbox(relay, MailboxId.random(random), SigningKey.generate(random), SigningKey.generate(random));
    }

    public RelayAddress relay() {
        return relay;
    }

    public MailboxId id() {
        return id;
    }

    public SigningKey receiveKey() {
        return receiveKey;
    }

    public SigningKey sendKey() {
        return sendKey;
    }

    /** What the contact needs to post here. */
    public SendCapability capability() {
        return new SendCapability(relay, id, sendKey);
    }

    public void destroy() {
        receiveKey.destroy();
        sendKey.destroy();
    }

    @Override
    public String toString() {
        return "Inbox[" + id + " at " + relay.host() + ":" + relay.port() + "]";
    }
}
