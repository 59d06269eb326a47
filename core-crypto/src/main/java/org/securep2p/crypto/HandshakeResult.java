package org.securep2p.crypto;

import java.util.Optional;

/**
 * The outcome of a successful handshake: a 32-byte session secret for the ratchet, the authenticated peer
 * identity, the level both sides used, and the transcript hash (associated data the ratchet binds to every
 * message). The initiator's result carries the {@link InitialMessage} to send; the responder's carries the
 * decrypted first payload. Close it to wipe the secret.
 *
 * <p>Not its job: deciding whether the peer is trusted; compare {@link #peerIdentity()} with what the user
 * expects, or show the {@link SafetyNumber}.
 */
public final class HandshakeResult implements AutoCloseable {

    private final SecurityLevel level;
    private final IdentityPublicKeys peerIdentity;
    private final SecretBytes sessionSecret;
    private final byte[] transcriptHash;
    private final InitialMessage initialMessage;
    private final byte[] payload;

    HandshakeResult(SecurityLevel level, IdentityPublicKeys peerIdentity, SecretBytes sessionSecret,
            byte[] transcriptHash, InitialMessage initialMessage, byte[] payload) {
        this.level = level;
        this.peerIdentity = peerIdentity;
        this.sessionSecret = sessionSecret;
        this.transcriptHash = transcriptHash;
        this.initialMessage = initialMessage;
        this.payload = payload;
    }

    public SecurityLevel level() {
        return level;
    }

    public IdentityPublicKeys peerIdentity() {
        return peerIdentity;
    }

    /** The shared secret SK (32 bytes). Owned by this result: copy it before closing the result. */
    public SecretBytes sessionSecret() {
        return sessionSecret;
    }

    public byte[] transcriptHash() {
        return transcriptHash.clone();
    }

    /** Present on the initiator's side: the message to send. */
    public Optional<InitialMessage> initialMessage() {
        return Optional.ofNullable(initialMessage);
    }

    /** Present on the responder's side: the initiator's first payload, authenticated. */
    public Optional<byte[]> payload() {
        return Optional.ofNullable(payload).map(byte[]::clone);
    }

    @Override
    public void close() {
        sessionSecret.close();
    }

    @Override
    public String toString() {
        return "HandshakeResult[" + level + ", peer " + peerIdentity.fingerprint().shortForm() + "]";
    }
}
