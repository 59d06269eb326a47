package org.securep2p.relay;

import java.util.Objects;

/**
 * What a contact holds to post into someone's inbox: the relay, the mailbox id and the mailbox's send key. It
 * grants posting only (not reading, not deleting). {@code toString()} never shows the key.
 */
public final class SendCapability {

    private final RelayAddress relay;
    private final MailboxId id;
    private final SigningKey sendKey;

    public SendCapability(RelayAddress relay, MailboxId id, SigningKey sendKey) {
        this.relay = Objects.requireNonNull(relay, "relay");
        this.id = Objects.requireNonNull(id, "id");
        this.sendKey = Objects.requireNonNull(sendKey, "sendKey");
    }

    public RelayAddress relay() {
        return relay;
    }

    public MailboxId id() {
        return id;
    }

    public SigningKey sendKey() {
        return sendKey;
    }

    @Override
    public String toString() {
        return "SendCapability[" + id + " at " + relay.host() + ":" + relay.port() + "]";
    }
}
