package org.securep2p.crypto;

/**
 * Everything a handshake needs from the holder of an identity's private keys, without ever exporting one.
 * The key-manager process implements this over a local socket; {@link InMemoryPrivateKeys} implements it in
 * memory for tests.
 *
 * <p>Contract for implementations:
 * <ul>
 *   <li>Every returned {@link SecretBytes} is a fresh object the caller owns and closes.</li>
 *   <li>Agreement results are checked for low-order input ({@code LOW_ORDER_POINT}).</li>
 *   <li>A one-time prekey (X25519 or ML-KEM) is marked used <em>durably, before</em> the result is
 *   returned; a second use fails with {@code PREKEY_ALREADY_USED}, even across a crash.</li>
 *   <li>Only typed protocol objects are signed ({@link HandshakeTranscript}), never caller-chosen bytes.</li>
 * </ul>
 */
public interface PrivateKeyOperations {

    /** The public half of this identity. */
    IdentityPublicKeys identity();

    /** A fresh bundle to offer a peer: the current signed prekey, a KEM prekey and a one-time prekey if any. */
    PreKeyBundle preKeyBundle() throws CryptoException;

    /** X25519 of the identity private key with {@code peerPublicKey}. */
    SecretBytes agreeWithIdentityKey(byte[] peerPublicKey) throws CryptoException;

    /** X25519 of signed prekey {@code signedPreKeyId} with {@code peerPublicKey}; {@code UNKNOWN_PREKEY} if none. */
    SecretBytes agreeWithSignedPreKey(int signedPreKeyId, byte[] peerPublicKey) throws CryptoException;

    /** X25519 of one-time prekey {@code oneTimePreKeyId}, which is consumed by this call. */
    SecretBytes consumeOneTimePreKey(int oneTimePreKeyId, byte[] peerPublicKey) throws CryptoException;

    /** ML-KEM-1024 decapsulation with KEM prekey {@code kemPreKeyId}; a one-time KEM prekey is consumed. */
    SecretBytes decapsulate(int kemPreKeyId, byte[] ciphertext) throws CryptoException;

    /** Signs the transcript with Ed25519 and, when the transcript's level requires it, Falcon-1024. */
    HybridSignature signHandshakeTranscript(HandshakeTranscript transcript) throws CryptoException;
}
