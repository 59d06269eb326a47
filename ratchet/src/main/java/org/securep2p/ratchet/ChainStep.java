package org.securep2p.ratchet;

/** What KDF_CK derives: the chain key of the next position and the message key of this one. */
record ChainStep(ChainKey next, MessageKey message) {
}
