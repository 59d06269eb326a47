package org.securep2p.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;

import static org.securep2p.crypto.CryptoException.Reason.UNSUPPORTED_PARAMETER;
import static org.securep2p.crypto.CryptoException.Reason.WRONG_KEY_TYPE;

/**
 * The two shapes of message the transport may have signed with the identity's Ed25519 key, checked before
 * signing so that the key holder never signs caller-chosen bytes: a TLS 1.3 CertificateVerify input (RFC 8446
 * section 4.4.3) and the to-be-signed part of the identity's own X.509 certificate.
 *
 * <p>Both shapes are disjoint from each other and from every other Ed25519 signature of core-crypto: a
 * CertificateVerify input starts with 0x20, a TBSCertificate with 0x30 (a DER SEQUENCE), and every core-crypto
 * signed message with a {@code "securep2p/v1/..."} label (0x73). So no signature can be replayed across them.
 */
final class TransportSigning {

    /** RFC 8446 4.4.3: 64 octets of 0x20 open every CertificateVerify input. */
    static final int CERTIFICATE_VERIFY_PAD_LENGTH = 64;
    static final String SERVER_CONTEXT = "TLS 1.3, server CertificateVerify";
    static final String CLIENT_CONTEXT = "TLS 1.3, client CertificateVerify";
    /** The transcript hash of a TLS 1.3 cipher suite: SHA-256 or SHA-384; no other suite hash exists. */
    static final int SHA256_LENGTH = 32;
    static final int SHA384_LENGTH = 48;
    /**
     * A certificate for one identity is about 2.3 KB (the extension carries the 1861-byte identity); anything
     * far larger is not one of ours, and refusing it early bounds the parser's work.
     */
    static final int MAX_TBS_CERTIFICATE_LENGTH = 16 * 1024;

    private static final byte[] SERVER_CONTEXT_BYTES = SERVER_CONTEXT.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLIENT_CONTEXT_BYTES = CLIENT_CONTEXT.getBytes(StandardCharsets.US_ASCII);
    /** RFC 8410 id-Ed25519; spelled out because bcprov keeps its constant in a package it does not export. */
    static final ASN1ObjectIdentifier ID_ED25519 = new ASN1ObjectIdentifier("1.3.101.112");
    /** RFC 8410: the Ed25519 AlgorithmIdentifier has no parameters. */
    private static final AlgorithmIdentifier ED25519 = new AlgorithmIdentifier(ID_ED25519);

    private TransportSigning() {
    }

    /**
     * Accepts exactly {@code 0x20 * 64 || context || 0x00 || hash} where context is one of the two TLS 1.3
     * CertificateVerify context strings and the hash is 32 or 48 bytes; {@code UNSUPPORTED_PARAMETER}
     * otherwise.
     */
    static void checkCertificateVerifyInput(byte[] content) throws CryptoException {
        int prefix = CERTIFICATE_VERIFY_PAD_LENGTH + SERVER_CONTEXT_BYTES.length + 1;
        if (content == null
                || (content.length != prefix + SHA256_LENGTH && content.length != prefix + SHA384_LENGTH)) {
            throw new CryptoException(UNSUPPORTED_PARAMETER,
                    "a TLS 1.3 CertificateVerify input is 130 or 146 bytes");
        }
        for (int i = 0; i < CERTIFICATE_VERIFY_PAD_LENGTH; i++) {
            if (content[i] != 0x20) {
                throw new CryptoException(UNSUPPORTED_PARAMETER, "CertificateVerify input must open with 64 spaces");
            }
        }
        int contextEnd = CERTIFICATE_VERIFY_PAD_LENGTH + SERVER_CONTEXT_BYTES.length;
        byte[] context = Arrays.copyOfRange(content, CERTIFICATE_VERIFY_PAD_LENGTH, contextEnd);
        if (!Arrays.equals(context, SERVER_CONTEXT_BYTES) && !Arrays.equals(context, CLIENT_CONTEXT_BYTES)) {
            throw new CryptoException(UNSUPPORTED_PARAMETER, "CertificateVerify input has an unknown context string");
        }
        if (content[contextEnd] != 0x00) {
            throw new CryptoException(UNSUPPORTED_PARAMETER, "CertificateVerify context must end with a zero byte");
        }
    }

    /**
     * Accepts exactly a DER TBSCertificate whose signature algorithm is Ed25519 (no parameters) and whose
     * subject public key is {@code ed25519PublicKey}: {@code UNSUPPORTED_PARAMETER} for anything that is not
     * such a structure, {@code WRONG_KEY_TYPE} when the certificate is for another key or key type.
     */
    static void checkTbsCertificate(byte[] tbsDer, byte[] ed25519PublicKey) throws CryptoException {
        if (tbsDer == null || tbsDer.length == 0 || tbsDer.length > MAX_TBS_CERTIFICATE_LENGTH) {
            throw new CryptoException(UNSUPPORTED_PARAMETER, "TBSCertificate must be 1.."
                    + MAX_TBS_CERTIFICATE_LENGTH + " bytes");
        }
        TBSCertificate tbs;
        try {
            tbs = TBSCertificate.getInstance(ASN1Primitive.fromByteArray(tbsDer));
            // Sign only what parses back to the same bytes: a BER or padded encoding could mean two things.
            if (!Arrays.equals(tbs.getEncoded(ASN1Encoding.DER), tbsDer)) {
                throw new CryptoException(UNSUPPORTED_PARAMETER, "TBSCertificate is not in DER");
            }
        } catch (IOException | RuntimeException e) {
            // Bouncy Castle reports structural errors as IllegalArgumentException, ClassCastException and others.
            throw new CryptoException(UNSUPPORTED_PARAMETER, "not an X.509 TBSCertificate");
        }
        if (!ED25519.equals(tbs.getSignature())) {
            throw new CryptoException(UNSUPPORTED_PARAMETER, "TBSCertificate signature algorithm must be Ed25519");
        }
        SubjectPublicKeyInfo spki = tbs.getSubjectPublicKeyInfo();
        if (!ED25519.equals(spki.getAlgorithm())) {
            throw new CryptoException(WRONG_KEY_TYPE, "TBSCertificate subject key is not an Ed25519 key");
        }
        if (spki.getPublicKeyData().getPadBits() != 0
                || !MessageDigest.isEqual(spki.getPublicKeyData().getBytes(), ed25519PublicKey)) {
            throw new CryptoException(WRONG_KEY_TYPE, "TBSCertificate subject key is not this identity's key");
        }
    }
}
