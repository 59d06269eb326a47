package org.securep2p.relay;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a member presents to an organisation relay (PROTOCOL.md §23.2): its member certificate chain (DER, the
 * member certificate first) and a signer for TLS 1.3's client CertificateVerify with the certified identity's
 * Ed25519 key. The key itself is never here: the messenger passes its key manager's
 * {@code PrivateKeyOperations::signTlsCertificateVerify} (§12.4), which signs only a CertificateVerify input.
 * Immutable. Not its job: checking the certificate (the relay does; the member checked its own at start).
 */
public final class MemberCredential {

    /** Signs a TLS 1.3 CertificateVerify input (RFC 8446 §4.4.3, 130 or 146 bytes) with the identity's Ed25519 key. */
    @FunctionalInterface
    public interface CertificateVerifySigner {
        /** The 64-byte Ed25519 signature of {@code content}. */
        byte[] sign(byte[] content) throws Exception;
    }

    /** A member has one certificate, issued by its CA; a longer chain is a mistake, refused here. */
    static final int MAX_CHAIN = 4;

    private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();

    private final X509Certificate[] chain;
    private final CertificateVerifySigner signer;

    private MemberCredential(X509Certificate[] chain, CertificateVerifySigner signer) {
        this.chain = chain;
        this.signer = signer;
    }

    /**
     * The credential of {@code chainDer} (the member certificate first; 1 to {@value #MAX_CHAIN} certificates),
     * whose first certificate's key must be Ed25519, signed through {@code signer}.
     *
     * @throws IllegalArgumentException a certificate does not parse, or the first is not an Ed25519 one
     */
    public static MemberCredential of(List<byte[]> chainDer, CertificateVerifySigner signer) {
        Objects.requireNonNull(signer, "signer");
        if (chainDer.isEmpty() || chainDer.size() > MAX_CHAIN) {
            throw new IllegalArgumentException("a member credential has 1 to " + MAX_CHAIN + " certificates");
        }
        List<X509Certificate> certs = new ArrayList<>();
        try {
            // Bouncy Castle's parser: its key says "Ed25519", which BC's JSSE matches to the Ed25519 key type (the
            // JDK's says "EdDSA", which it does not).
            CertificateFactory f = CertificateFactory.getInstance("X.509", BC);
            for (byte[] der : chainDer) {
                certs.add((X509Certificate) f.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (CertificateException | ClassCastException e) {
            throw new IllegalArgumentException("the member certificate does not parse", e);
        }
        String algorithm = certs.get(0).getPublicKey().getAlgorithm();
        if (!"Ed25519".equalsIgnoreCase(algorithm) && !"EdDSA".equalsIgnoreCase(algorithm)) {
            throw new IllegalArgumentException("the member certificate's key is not Ed25519");
        }
        return new MemberCredential(certs.toArray(X509Certificate[]::new), signer);
    }

    /** The chain, member certificate first (a copy). */
    X509Certificate[] chain() {
        return chain.clone();
    }

    CertificateVerifySigner signer() {
        return signer;
    }

    @Override
    public String toString() {
        return "MemberCredential[" + chain[0].getSubjectX500Principal().getName() + "]";
    }
}
