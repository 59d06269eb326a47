package org.securep2p.transport.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.TlsSigner;
import org.bouncycastle.tls.crypto.TlsStreamSigner;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.PrivateKeyOperations;

/**
 * Bouncy Castle's TLS signer, backed by the key holder: the TLS 1.3 CertificateVerify is signed with the
 * identity's Ed25519 key through {@link PrivateKeyOperations#signTlsCertificateVerify}, so the key never
 * enters this process. The key holder checks the input's shape; this class only collects it.
 */
final class TlsIdentitySigner implements TlsSigner {

    /** 64 + 33 + 1 + 48: the longest CertificateVerify input; the buffer never needs to grow. */
    private static final int MAX_INPUT = 146;

    private final PrivateKeyOperations keys;

    TlsIdentitySigner(PrivateKeyOperations keys) {
        this.keys = Objects.requireNonNull(keys, "keys");
    }

    /** Ed25519 signs the message itself, never a hash of it, so Bouncy Castle never calls this for Ed25519. */
    @Override
    public byte[] generateRawSignature(SignatureAndHashAlgorithm algorithm, byte[] hash) throws IOException {
        throw new TlsFatalAlert(AlertDescription.internal_error, "Ed25519 signs the whole message, not a hash");
    }

    @Override
    public TlsStreamSigner getStreamSigner(SignatureAndHashAlgorithm algorithm) throws IOException {
        if (!SignatureAndHashAlgorithm.ed25519.equals(algorithm)) {
            throw new TlsFatalAlert(AlertDescription.internal_error, "only Ed25519 is signed here");
        }
        ByteArrayOutputStream input = new ByteArrayOutputStream(MAX_INPUT);
        return new TlsStreamSigner() {
            @Override
            public OutputStream getOutputStream() {
                return input;
            }

            @Override
            public byte[] getSignature() throws IOException {
                try {
                    return keys.signTlsCertificateVerify(input.toByteArray());
                } catch (CryptoException e) {
                    throw new TlsFatalAlert(AlertDescription.internal_error,
                            "the key holder refused to sign the CertificateVerify", e);
                }
            }
        };
    }
}
