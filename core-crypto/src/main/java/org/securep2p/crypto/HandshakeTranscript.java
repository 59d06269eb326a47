package org.securep2p.crypto;

import java.util.Objects;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;

/**
 * The hash of a handshake transcript at a given level: the one object an identity key signs during a
 * handshake. A key holder signs {@code "securep2p/v1/handshake/initiator-signature\0" || hash}, so a transcript
 * signature can never be mistaken for a prekey signature or any other signed object.
 */
public final class HandshakeTranscript {

    private final SecurityLevel level;
    private final byte[] hash;

    private HandshakeTranscript(SecurityLevel level, byte[] hash) {
        this.level = level;
        this.hash = hash;
    }

    /** For a key holder that receives the transcript over IPC; the hash length must match the level's hash. */
    public static HandshakeTranscript of(SecurityLevel level, byte[] hash) throws CryptoException {
        Objects.requireNonNull(level, "level");
        if (hash == null || hash.length != level.kdfHash().outputLength()) {
            throw new CryptoException(BAD_ENCODING, "transcript hash must be " + level.kdfHash().outputLength()
                    + " bytes at " + level);
        }
        return new HandshakeTranscript(level, hash.clone());
    }

    public SecurityLevel level() {
        return level;
    }

    public byte[] hash() {
        return hash.clone();
    }

    byte[] hashUnsafe() {
        return hash;
    }

    /** The exact bytes an initiator's identity keys sign. */
    public byte[] signedMessage() {
        return Bytes.concat(Labels.terminated(Labels.INITIATOR_SIGNATURE), hash);
    }

    @Override
    public String toString() {
        return "HandshakeTranscript[" + level + "]";
    }
}
