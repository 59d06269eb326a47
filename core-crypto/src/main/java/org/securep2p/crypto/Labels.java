package org.securep2p.crypto;

import java.nio.charset.StandardCharsets;

/**
 * Every domain-separation label of core-crypto, in one place, as listed in {@code docs/PROTOCOL.md}. A label
 * is ASCII and, where data follows it, is terminated by a zero byte so that no label is a prefix of another
 * input.
 */
final class Labels {

    static final String PREKEY_SIGNATURE = "securep2p/v1/prekey-signature";
    /** Signed and verified (then discarded) when a key state is restored, to prove the Falcon key is whole. */
    static final String KEY_STATE_SELF_CHECK = "securep2p/v1/key-state/self-check";
    static final String INITIATOR_SIGNATURE = "securep2p/v1/handshake/initiator-signature";
    static final String TRANSCRIPT = "securep2p/v1/handshake/transcript";
    static final String HANDSHAKE_KDF_PREFIX = "securep2p/v1/handshake/";
    static final String SAFETY_NUMBER = "securep2p/v1/safety-number";
    /**
     * Message AEAD key and nonce from a ratchet message key and the message's own 32 random bytes (ratchet
     * message version 2); replaces {@code securep2p/v1/ratchet/message-key}, which derived them from the
     * message key alone, so that a rolled-back state could repeat a key and nonce.
     */
    static final String RATCHET_MESSAGE_KEY = "securep2p/v1/ratchet/randomised-message-key";

    private Labels() {
    }

    /** The label's ASCII bytes followed by a zero byte. */
    static byte[] terminated(String label) {
        byte[] ascii = label.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[ascii.length + 1];
        System.arraycopy(ascii, 0, out, 0, ascii.length);
        return out;
    }
}
