package org.securep2p.bench;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeTranscript;
import org.securep2p.crypto.HybridSignature;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.crypto.SecretBytes;

/**
 * Benchmark-only key holder that offers a one-time X25519 prekey which is <em>not</em> consumed, so that the
 * handshake path with DH4 can be measured millions of times without generating millions of prekeys.
 *
 * <p>How: the responder is a real {@link InMemoryPrivateKeys} made with one one-time prekey. Its encoded
 * bundle ends with that prekey ({@code id u32 || 0x01 || key[32]}); the last 32 bytes are replaced by the
 * public half of a key pair held here, and the bytes are decoded again through the public
 * {@link PreKeyBundle#decode}. One-time prekeys are unsigned (as in X3DH), so the bundle stays valid.
 * {@link #consumeOneTimePreKey} then does exactly the work of {@code InMemoryPrivateKeys}'s (one X25519
 * agreement with the low-order check) minus the single-use bookkeeping (a list lookup and a map removal,
 * nanoseconds). Every other operation is delegated unchanged.
 *
 * <p>Never use outside benchmarks: reusing a one-time prekey defeats its purpose.
 */
final class ReusableOneTimePreKeys implements PrivateKeyOperations, AutoCloseable {

    private static final int KEY_LENGTH = 32;
    private static final int X25519_TYPE = 0x01;

    private final InMemoryPrivateKeys delegate;
    private final PreKeyBundle bundle;
    private final int oneTimePreKeyId;
    private final byte[] oneTimePrivate = new byte[KEY_LENGTH];

    ReusableOneTimePreKeys(InMemoryPrivateKeys delegate, SecureRandom random) throws CryptoException {
        this.delegate = Objects.requireNonNull(delegate);
        PreKeyBundle original = delegate.preKeyBundle();
        if (original.oneTimePreKey().isEmpty()) {
            throw new IllegalArgumentException("delegate must have been generated with at least one one-time prekey");
        }
        oneTimePreKeyId = original.oneTimePreKey().get().id();
        org.bouncycastle.math.ec.rfc7748.X25519.generatePrivateKey(random, oneTimePrivate);
        byte[] publicKey = new byte[KEY_LENGTH];
        org.bouncycastle.math.ec.rfc7748.X25519.generatePublicKey(oneTimePrivate, 0, publicKey, 0);

        byte[] encoded = original.encode();
        int keyOffset = encoded.length - KEY_LENGTH;
        byte[] originalKey = original.oneTimePreKey().get().publicKey();
        if ((encoded[keyOffset - 1] & 0xFF) != X25519_TYPE
                || !Arrays.equals(Arrays.copyOfRange(encoded, keyOffset, encoded.length), originalKey)) {
            throw new IllegalStateException("bundle encoding does not end with the typed one-time prekey");
        }
        System.arraycopy(publicKey, 0, encoded, keyOffset, KEY_LENGTH);
        bundle = PreKeyBundle.decode(encoded);
        if (!Arrays.equals(bundle.oneTimePreKey().orElseThrow().publicKey(), publicKey)) {
            throw new IllegalStateException("patched bundle does not carry the benchmark one-time prekey");
        }
    }

    @Override
    public IdentityPublicKeys identity() {
        return delegate.identity();
    }

    /** Always the same bundle, whose one-time prekey is never used up. */
    @Override
    public PreKeyBundle preKeyBundle() {
        return bundle;
    }

    @Override
    public SecretBytes agreeWithIdentityKey(byte[] peerPublicKey) throws CryptoException {
        return delegate.agreeWithIdentityKey(peerPublicKey);
    }

    @Override
    public SecretBytes agreeWithSignedPreKey(int signedPreKeyId, byte[] peerPublicKey) throws CryptoException {
        return delegate.agreeWithSignedPreKey(signedPreKeyId, peerPublicKey);
    }

    @Override
    public SecretBytes consumeOneTimePreKey(int id, byte[] peerPublicKey) throws CryptoException {
        if (id != oneTimePreKeyId || peerPublicKey == null || peerPublicKey.length != KEY_LENGTH) {
            throw new IllegalArgumentException("unexpected one-time prekey use in benchmark");
        }
        byte[] shared = new byte[KEY_LENGTH];
        try {
            boolean contributory = org.bouncycastle.math.ec.rfc7748.X25519.calculateAgreement(
                    oneTimePrivate, 0, peerPublicKey, 0, shared, 0);
            if (!contributory) {
                throw new IllegalStateException("low-order peer key in benchmark");
            }
            return SecretBytes.copyOf(shared);
        } finally {
            Arrays.fill(shared, (byte) 0);
        }
    }

    @Override
    public SecretBytes decapsulate(int kemPreKeyId, byte[] ciphertext) throws CryptoException {
        return delegate.decapsulate(kemPreKeyId, ciphertext);
    }

    @Override
    public HybridSignature signHandshakeTranscript(HandshakeTranscript transcript) throws CryptoException {
        return delegate.signHandshakeTranscript(transcript);
    }

    @Override
    public byte[] signTlsCertificateVerify(byte[] content) throws CryptoException {
        return delegate.signTlsCertificateVerify(content);
    }

    @Override
    public byte[] signTransportCertificate(byte[] tbsCertificateDer) throws CryptoException {
        return delegate.signTransportCertificate(tbsCertificateDer);
    }

    @Override
    public void close() {
        Arrays.fill(oneTimePrivate, (byte) 0);
        delegate.close();
    }
}
