package org.securep2p.transport.cert;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.CertificateList;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.transport.TransportException;

import static org.securep2p.transport.TransportException.Reason.CONFIG_INVALID;

/**
 * The X.509 pieces of organisation mode (PROTOCOL.md section 21): strict DER parsing of certificates and
 * revocation lists, Ed25519 signatures over them (Bouncy Castle's lightweight signer), PEM armour, and the
 * identity extension shared with {@link TransportCertificate}.
 */
final class OrganisationCertificates {

    static final String CERTIFICATE = "CERTIFICATE";
    static final String CRL = "X509 CRL";
    /** A certificate or list larger than this is refused before parsing (a list of ~5,000 revocations fits). */
    static final int MAX_DER = 256 * 1024;
    static final int MAX_PEM = 2 * MAX_DER;
    private static final int ED25519_KEY_LENGTH = 32;
    private static final int ED25519_SIGNATURE_LENGTH = 64;

    private OrganisationCertificates() {
    }

    /** A DER X.509 v3 certificate signed with Ed25519 (outer and TBS algorithm); {@code CONFIG_INVALID} if not. */
    static Certificate parseCertificate(byte[] der, String what) throws TransportException {
        if (der == null || der.length == 0 || der.length > MAX_DER) {
            throw new TransportException(CONFIG_INVALID, what + " is empty or too large");
        }
        Certificate c;
        try {
            c = Certificate.getInstance(strictDer(der));
        } catch (IOException | RuntimeException e) {
            throw new TransportException(CONFIG_INVALID, what + " does not parse as DER X.509");
        }
        if (c.getTBSCertificate().getVersionNumber() != 3) {
            throw new TransportException(CONFIG_INVALID, what + " is not X.509 v3");
        }
        if (!TransportCertificate.ED25519.equals(c.getSignatureAlgorithm())
                || !TransportCertificate.ED25519.equals(c.getTBSCertificate().getSignature())) {
            throw new TransportException(CONFIG_INVALID, what + " is not signed with Ed25519");
        }
        return c;
    }

    /** A DER X.509 v2 revocation list signed with Ed25519; {@code CONFIG_INVALID} if not. */
    static CertificateList parseCrl(byte[] der) throws TransportException {
        if (der == null || der.length == 0 || der.length > MAX_DER) {
            throw new TransportException(CONFIG_INVALID, "the revocation list is empty or too large");
        }
        CertificateList list;
        try {
            list = CertificateList.getInstance(strictDer(der));
            // Walks every entry now, so that a malformed one fails here and not later.
            list.getTBSCertList().getRevokedCertificates();
        } catch (IOException | RuntimeException e) {
            throw new TransportException(CONFIG_INVALID, "the revocation list does not parse as a DER X.509 CRL");
        }
        if (list.getVersionNumber() != 2 || !TransportCertificate.ED25519.equals(list.getSignatureAlgorithm())
                || !TransportCertificate.ED25519.equals(list.getTBSCertList().getSignature())) {
            throw new TransportException(CONFIG_INVALID, "the revocation list is not a v2 list signed with Ed25519");
        }
        return list;
    }

    private static ASN1Primitive strictDer(byte[] der) throws IOException {
        ASN1Primitive p = ASN1Primitive.fromByteArray(der);
        if (!Arrays.equals(p.getEncoded(ASN1Encoding.DER), der)) {
            throw new IOException("not DER");
        }
        return p;
    }

    /** The 32-byte Ed25519 subject key; {@code CONFIG_INVALID} for any other key. */
    static byte[] ed25519SubjectKey(TBSCertificate tbs, String what) throws TransportException {
        SubjectPublicKeyInfo spki = tbs.getSubjectPublicKeyInfo();
        if (!TransportCertificate.ED25519.equals(spki.getAlgorithm()) || spki.getPublicKeyData().getPadBits() != 0
                || spki.getPublicKeyData().getOctets().length != ED25519_KEY_LENGTH) {
            throw new TransportException(CONFIG_INVALID, what + " does not carry an Ed25519 key");
        }
        return spki.getPublicKeyData().getOctets();
    }

    static boolean signatureVerifies(Certificate c, byte[] key) {
        return verifies(c.getTBSCertificate(), c.getSignature(), key);
    }

    static boolean signatureVerifies(CertificateList l, byte[] key) {
        return verifies(l.getTBSCertList(), l.getSignature(), key);
    }

    private static boolean verifies(ASN1Encodable tbs, ASN1BitString signature, byte[] key) {
        if (signature.getPadBits() != 0 || signature.getOctets().length != ED25519_SIGNATURE_LENGTH) {
            return false;
        }
        try {
            byte[] message = tbs.toASN1Primitive().getEncoded(ASN1Encoding.DER);
            Ed25519Signer verifier = new Ed25519Signer();
            verifier.init(false, new Ed25519PublicKeyParameters(key));
            verifier.update(message, 0, message.length);
            return verifier.verifySignature(signature.getOctets());
        } catch (IOException | RuntimeException e) {
            return false; // a key that is not a curve point signed nothing
        }
    }

    /** {@code SEQUENCE { tbs, Ed25519, BIT STRING signature }} signed by {@code privateKey}. */
    static byte[] signed(ASN1Encodable tbs, Ed25519PrivateKeyParameters privateKey) throws IOException {
        byte[] message = tbs.toASN1Primitive().getEncoded(ASN1Encoding.DER);
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, privateKey);
        signer.update(message, 0, message.length);
        byte[] signature = signer.generateSignature();
        return new DERSequence(new ASN1Encodable[] {tbs, TransportCertificate.ED25519, new DERBitString(signature)})
                .getEncoded(ASN1Encoding.DER);
    }

    /** The one common name of {@code name}, if it has exactly one. */
    static Optional<String> commonName(X500Name name) {
        try {
            RDN[] rdns = name.getRDNs(BCStyle.CN);
            if (rdns.length != 1 || rdns[0].isMultiValued()) {
                return Optional.empty();
            }
            return Optional.of(IETFUtils.valueToString(rdns[0].getFirst().getValue()));
        } catch (RuntimeException e) {
            // Bouncy Castle reads a name's attributes and decodes a UTF8String only when asked, here, and a
            // malformed one throws whatever its parsing meets (IllegalArgumentException, ClassCastException,
            // ArrayIndexOutOfBoundsException: four CertificateFuzz findings): a name it cannot read has no usable
            // common name. Only this read of an unchecked name is covered.
            return Optional.empty();
        }
    }

    /** The identity in the identity extension (the same extension as a self-signed identity certificate's). */
    static IdentityPublicKeys identityExtension(Extensions extensions) throws TransportException {
        Extension extension = extensions == null ? null : extensions.getExtension(TransportCertificate.IDENTITY_EXTENSION);
        if (extension == null) {
            throw new TransportException(CONFIG_INVALID, "the certificate has no identity extension");
        }
        try {
            byte[] value = extension.getExtnValue().getOctets();
            ASN1OctetString inner = ASN1OctetString.getInstance(strictDer(value));
            return IdentityPublicKeys.decode(inner.getOctets());
        } catch (CryptoException | IOException | RuntimeException e) {
            throw new TransportException(CONFIG_INVALID, "the certificate's identity extension holds no identity");
        }
    }

    static byte[] pem(byte[] der, String type) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return ("-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Exactly one PEM block of {@code type}, surrounding whitespace allowed; null for anything else. */
    static byte[] unpem(byte[] file, String type) {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        String text = new String(file, StandardCharsets.US_ASCII).strip();
        if (!text.startsWith(begin) || !text.endsWith(end) || text.length() < begin.length() + end.length()) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(text.substring(begin.length(), text.length() - end.length())
                    .replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
