package org.securep2p.relay;

import java.io.ByteArrayOutputStream;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.util.Objects;

/**
 * Ed25519 signing through a callback, so TLS can sign a member's CertificateVerify while the key stays with its
 * holder (PROTOCOL.md §23.1, §12.4). Bouncy Castle's JSSE signs through JCA: it asks its own provider for an
 * "Ed25519" {@code Signature}, which refuses a key it cannot read ({@code InvalidKeyException}), and then its
 * alternate provider ({@code JcaTlsCryptoProvider.setAlternateProvider}, meant for keys held in hardware), which
 * is {@link #PROVIDER}: its only service signs with a {@link #key} by collecting the message and calling the
 * signer. TLS 1.3's Ed25519 signs the CertificateVerify input itself (RFC 8446 §4.4.3, no pre-hash), which is what
 * the key holder's {@code signTlsCertificateVerify} accepts and checks. The provider is never installed in the
 * JVM; it knows no other key and nothing else. Not its job: verifying (the relay does that).
 */
final class DelegatedSigning {

    /** 64 + 33 + 1 + 48: the longest CertificateVerify input; anything longer is not one. */
    static final int MAX_INPUT = 146;

    static final Provider PROVIDER = new DelegatingProvider();

    private DelegatedSigning() {
    }

    /** A private key that has no bytes: signing with it calls {@code signer}. */
    static PrivateKey key(MemberCredential.CertificateVerifySigner signer) {
        return new CallbackKey(Objects.requireNonNull(signer, "signer"));
    }

    private static final class CallbackKey implements PrivateKey {
        private static final long serialVersionUID = 1L;
        @SuppressWarnings("serial") // never serialised: it holds a callback, not a key
        private final transient MemberCredential.CertificateVerifySigner signer;

        CallbackKey(MemberCredential.CertificateVerifySigner signer) {
            this.signer = signer;
        }

        @Override
        public String getAlgorithm() {
            return "Ed25519";
        }

        /** No encoding: there are no key bytes here. */
        @Override
        public String getFormat() {
            return null;
        }

        @Override
        public byte[] getEncoded() {
            return null;
        }

        @Override
        public String toString() {
            return "Ed25519 key held by the key manager";
        }
    }

    private static final class DelegatingProvider extends Provider {
        private static final long serialVersionUID = 1L;

        DelegatingProvider() {
            super("securep2p-relay-member", "1", "Ed25519 CertificateVerify signed by the key holder");
            putService(new Service(this, "Signature", "Ed25519", CallbackSignature.class.getName(), null, null) {
                @Override
                public Object newInstance(Object constructorParameter) {
                    return new CallbackSignature();
                }
            });
        }
    }

    /** Collects the message, then asks the key's signer. Only for a {@link CallbackKey}. */
    static final class CallbackSignature extends SignatureSpi {
        private final ByteArrayOutputStream message = new ByteArrayOutputStream(MAX_INPUT);
        private CallbackKey key;

        @Override
        protected void engineInitSign(PrivateKey privateKey) throws InvalidKeyException {
            if (!(privateKey instanceof CallbackKey k)) {
                throw new InvalidKeyException("only the key holder's member key is signed here");
            }
            key = k;
            message.reset();
        }

        @Override
        protected void engineInitVerify(PublicKey publicKey) throws InvalidKeyException {
            throw new InvalidKeyException("this provider only signs");
        }

        @Override
        protected void engineUpdate(byte b) throws SignatureException {
            engineUpdate(new byte[] {b}, 0, 1);
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) throws SignatureException {
            if (key == null) {
                throw new SignatureException("not initialised for signing");
            }
            if (message.size() + len > MAX_INPUT) {
                throw new SignatureException("longer than a TLS 1.3 CertificateVerify input");
            }
            message.write(b, off, len);
        }

        @Override
        protected byte[] engineSign() throws SignatureException {
            if (key == null) {
                throw new SignatureException("not initialised for signing");
            }
            byte[] input = message.toByteArray();
            message.reset();
            try {
                return key.signer.sign(input);
            } catch (Exception e) {
                throw new SignatureException("the key holder refused to sign the CertificateVerify", e);
            }
        }

        @Override
        protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
            throw new SignatureException("this provider only signs");
        }

        @Override
        @Deprecated
        protected void engineSetParameter(String param, Object value) {
            throw new InvalidParameterException("no parameters");
        }

        @Override
        @Deprecated
        protected Object engineGetParameter(String param) {
            throw new InvalidParameterException("no parameters");
        }
    }
}
