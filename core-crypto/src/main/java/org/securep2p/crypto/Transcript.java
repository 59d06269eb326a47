package org.securep2p.crypto;

import java.nio.charset.StandardCharsets;

/**
 * Builds the handshake transcript hash of {@code docs/PROTOCOL.md}: the protocol version, the level and its
 * whole algorithm suite, both identities, every prekey used (with its type byte, id and creation time), the
 * ML-KEM ciphertext and the ephemeral key. Both sides compute it from their own view; any difference makes
 * the derived keys differ and key confirmation fail.
 */
final class Transcript {

    static final int PROTOCOL_VERSION = 1;

    private Transcript() {
    }

    static HandshakeTranscript hash(SecurityLevel level, IdentityPublicKeys initiator, IdentityPublicKeys responder,
            SignedPreKey signedPreKey, OneTimePreKey oneTimePreKey, KemPreKey kemPreKey, byte[] kemCiphertext,
            byte[] ephemeralKey) throws CryptoException {
        StrictWriter w = new StrictWriter()
                .bytes(Labels.terminated(Labels.TRANSCRIPT))
                .u8(PROTOCOL_VERSION)
                .u8(level.code())
                .var16(level.algorithmSuite().getBytes(StandardCharsets.US_ASCII))
                .var16(initiator.encodedUnsafe())
                .var16(responder.encodedUnsafe())
                .bytes(SignedPreKey.body(signedPreKey.id(), signedPreKey.createdAt().getEpochSecond(),
                        signedPreKey.publicKeyUnsafe()));
        if (oneTimePreKey != null) {
            w.u8(1);
            oneTimePreKey.write(w);
        } else {
            w.u8(0);
        }
        if (kemPreKey != null) {
            w.u8(1).bytes(kemPreKey.body()).var16(kemCiphertext);
        } else {
            w.u8(0);
        }
        KeyType.X25519.write(w, ephemeralKey);
        return HandshakeTranscript.of(level, level.kdfHash().hash(w.toByteArray()));
    }
}
