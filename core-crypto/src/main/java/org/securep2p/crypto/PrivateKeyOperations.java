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
 *   <li>Only typed protocol objects are signed, never caller-chosen bytes: a {@link HandshakeTranscript}, a
 *   TLS 1.3 CertificateVerify input, and this identity's own transport certificate. Each signing operation
 *   checks the exact shape of its input before signing and refuses anything else; the three shapes are
 *   disjoint, so a signature made for one can never be presented as another.</li>
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

    /**
     * Ed25519 signature, with the identity key, of a TLS 1.3 CertificateVerify signing input (RFC 8446
     * section 4.4.3), so the transport's TLS key can be the identity key without the key leaving its holder.
     * The input must be exactly 64 bytes 0x20, then {@code "TLS 1.3, server CertificateVerify"} or
     * {@code "TLS 1.3, client CertificateVerify"}, then 0x00, then a 32- or 48-byte transcript hash; anything
     * else is refused with {@code UNSUPPORTED_PARAMETER} before any signing.
     */
    byte[] signTlsCertificateVerify(byte[] content) throws CryptoException;

    /**
     * Ed25519 signature, with the identity key, of the DER {@code TBSCertificate} of this identity's own
     * self-signed transport certificate. The input must be a DER X.509 TBSCertificate whose signature
     * algorithm is Ed25519 ({@code UNSUPPORTED_PARAMETER} otherwise, as for anything that does not parse) and
     * whose subject public key is this identity's Ed25519 key ({@code WRONG_KEY_TYPE} otherwise).
     */
    byte[] signTransportCertificate(byte[] tbsCertificateDer) throws CryptoException;
}
