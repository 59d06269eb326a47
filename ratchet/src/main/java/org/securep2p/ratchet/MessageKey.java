package org.securep2p.ratchet;

/** MK of the specification: encrypts exactly one message (with the random value sent beside it). */
final class MessageKey extends RatchetKey {

    /** Takes ownership of {@code bytes}. */
    MessageKey(byte[] bytes) {
        super(bytes);
    }

    /** An independent copy, for a key taken out of a store that wipes its own. */
    MessageKey copy() {
        return new MessageKey(unsafeBytes().clone());
    }
}
