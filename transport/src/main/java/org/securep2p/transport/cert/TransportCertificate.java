package org.securep2p.transport.cert;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.Objects;
import java.util.Optional;

import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.transport.TransportException;

import static org.securep2p.transport.TransportException.Reason.IDENTITY_MISMATCH;
import static org.securep2p.transport.TransportException.Reason.IO_FAILED;
import static org.securep2p.transport.TransportException.Reason.TLS_FAILED;

/**
 * This identity's TLS certificate: X.509 v3, self-signed with Ed25519 by the identity's own Ed25519 key, and
 * carrying the whole {@link IdentityPublicKeys} in an extension, so that a peer can check the certificate
 * against a pinned fingerprint and nothing else (docs/PROTOCOL.md section 12.2). Immutable; bytes are copied
 * out.
 *
 * <p>Not its job: trust. Validity dates and issuers mean nothing here; a certificate is accepted for exactly
 * the identity whose fingerprint it proves, and deciding whether that identity is the wanted one is the pin's
 * (the connection code's or the app's trust store's).
 */
public final class TransportCertificate {

    /**
     * The identity extension: an OID under the ITU-T X.667 UUID arc (2.25), made from the fixed random UUID
     * a1716e5d-271e-47dc-96ed-4568bbafc0cb, so it can never collide with a registered extension.
     */
    static final ASN1ObjectIdentifier IDENTITY_EXTENSION =
            new ASN1ObjectIdentifier("2.25.214594675311767929084667214695282753739");
    /** RFC 8410 id-Ed25519, with absent parameters as RFC 8410 requires. */
    static final AlgorithmIdentifier ED25519 = new AlgorithmIdentifier(new ASN1ObjectIdentifier("1.3.101.112"));
    /** The self-signed identity certificate's file name in {@code cert/}; also the request a CA issues from. */
    public static final String FILE_NAME = "identity.crt";
    /** Ours are about 2.3 KB; anything larger than this is refused before parsing. */
    static final int MAX_CERTIFICATE_LENGTH = 16 * 1024;
    /** A PEM file of the largest certificate we accept, with line breaks and armour. */
    static final int MAX_PEM_LENGTH = 2 * MAX_CERTIFICATE_LENGTH;
    /** Start the validity a day early so a peer whose clock is behind never sees a "future" certificate. */
    static final Duration BACKDATE = Duration.ofDays(1);
    /** RFC 5280 4.1.2.5: the date for "no well-defined expiration". The pin, not the date, is relied on. */
    static final String NO_EXPIRY = "99991231235959Z";

    private static final int ED25519_KEY_LENGTH = 32;
    private static final int ED25519_SIGNATURE_LENGTH = 64;
    /** Serial numbers are up to 20 octets (RFC 5280 4.1.2.2); 16 from the fingerprint, positive. */
    private static final int SERIAL_LENGTH = 16;
    private static final String PEM_BEGIN = "-----BEGIN CERTIFICATE-----";
    private static final String PEM_END = "-----END CERTIFICATE-----";

    /** The member certificate's file name in {@code cert/} (organisation mode). */
    public static final String MEMBER_FILE_NAME = "member.crt";

    private final byte[] der;
    private final IdentityPublicKeys identity;
    /** In organisation mode: the CA that issued this certificate, whose members alone we accept. */
    private final OrganisationTrust organisation;
    private final String memberName;

    private TransportCertificate(byte[] der, IdentityPublicKeys identity) {
        this(der, identity, null, null);
    }

    private TransportCertificate(byte[] der, IdentityPublicKeys identity, OrganisationTrust organisation,
            String memberName) {
        this.der = der;
        this.identity = identity;
        this.organisation = organisation;
        this.memberName = memberName;
    }

    /**
     * Organisation mode: the member certificate at {@code memberCertificate} (PEM, issued by {@code trust}'s CA
     * for {@code keys}' identity, valid now and not revoked). TLS with it presents it and accepts only peers
     * with a certificate from the same CA (PROTOCOL.md section 21).
     *
     * @throws TransportException {@code CONFIG_INVALID} if the file is missing or unreadable, or
     *         {@code CERTIFICATE_REFUSED} / {@code IDENTITY_MISMATCH} if the CA would not vouch for it as ours
     */
    public static TransportCertificate loadMember(Path memberCertificate, PrivateKeyOperations keys,
            OrganisationTrust trust) throws TransportException {
        Objects.requireNonNull(memberCertificate, "memberCertificate");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(trust, "trust");
        byte[] der;
        try {
            if (!Files.isRegularFile(memberCertificate)) {
                throw new TransportException(TransportException.Reason.CONFIG_INVALID, "no member certificate at "
                        + memberCertificate + ": ask your CA to issue one (securep2p ca issue) and save it there");
            }
            if (Files.size(memberCertificate) > OrganisationCertificates.MAX_PEM) {
                throw new TransportException(TransportException.Reason.CONFIG_INVALID, memberCertificate
                        + " is too large");
            }
            der = OrganisationCertificates.unpem(Files.readAllBytes(memberCertificate),
                    OrganisationCertificates.CERTIFICATE);
        } catch (IOException e) {
            throw new TransportException(TransportException.Reason.CONFIG_INVALID, "cannot read "
                    + memberCertificate + ": " + e.getMessage(), e);
        }
        if (der == null) {
            throw new TransportException(TransportException.Reason.CONFIG_INVALID, memberCertificate
                    + " is not one PEM certificate");
        }
        OrganisationTrust.CertifiedMember member;
        try {
            member = trust.verifyMember(der, Optional.of(keys.identity().fingerprint()));
        } catch (TransportException e) {
            throw new TransportException(e.reason(), "your member certificate " + memberCertificate
                    + " is not usable: " + e.getMessage().replace("the peer's certificate", "it"));
        }
        return new TransportCertificate(der, member.identity(), trust, member.name());
    }

    /** In organisation mode, the CA whose members alone TLS accepts; empty for a self-signed certificate. */
    public Optional<OrganisationTrust> organisation() {
        return Optional.ofNullable(organisation);
    }

    /** In organisation mode, our name as our CA certified it. */
    public Optional<String> memberName() {
        return Optional.ofNullable(memberName);
    }

    /**
     * The certificate of {@code keys}' identity stored as {@code certDir/identity.crt}, made and stored if
     * there is none. A stored file that is unreadable, malformed or for another identity is replaced, never
     * trusted and never fatal. The file is written atomically: a temporary file in the same directory,
     * fsync, rename.
     *
     * @throws TransportException {@code IO_FAILED} if the directory or file cannot be written;
     *         {@code TLS_FAILED} if the key holder refuses to sign the certificate
     */
    public static TransportCertificate loadOrCreate(Path certDir, PrivateKeyOperations keys, Clock clock)
            throws TransportException {
        Objects.requireNonNull(certDir, "certDir");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(clock, "clock");
        Path file = certDir.resolve(FILE_NAME);
        TransportCertificate stored = load(file, keys.identity());
        if (stored != null) {
            return stored;
        }
        TransportCertificate fresh = create(keys, clock);
        try {
            Files.createDirectories(certDir);
            writeAtomically(certDir, file, pem(fresh.der));
        } catch (IOException e) {
            throw new TransportException(IO_FAILED, "cannot write the TLS certificate " + file, e);
        }
        return fresh;
    }

    /**
     * A new certificate for {@code keys}' identity, not stored. Dated by {@code clock}. For identities that live
     * in memory only (the app's connection warm-up); a user's certificate comes from {@link #loadOrCreate}.
     */
    public static TransportCertificate create(PrivateKeyOperations keys, Clock clock) throws TransportException {
        IdentityPublicKeys identity = keys.identity();
        byte[] der = signedDer(keys, tbs(identity.ed25519PublicKey(), identity, clock.instant()));
        // Checked as a peer will check it: a key holder that signed wrongly is caught here, not by the peer.
        return new TransportCertificate(der, verify(der, Optional.of(identity.fingerprint())));
    }

    /** Signs {@code tbs} with the key holder and returns the DER certificate. */
    static byte[] signedDer(PrivateKeyOperations keys, TBSCertificate tbs) throws TransportException {
        byte[] signature;
        try {
            signature = keys.signTransportCertificate(tbs.getEncoded(ASN1Encoding.DER));
        } catch (CryptoException e) {
            throw new TransportException(TLS_FAILED, "the key holder refused to sign the TLS certificate", e);
        } catch (IOException e) {
            throw new TransportException(TLS_FAILED, "cannot encode the TLS certificate", e);
        }
        try {
            return new DERSequence(new ASN1Encodable[] {tbs, ED25519, new DERBitString(signature)})
                    .getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new TransportException(TLS_FAILED, "cannot encode the TLS certificate", e);
        }
    }

    /**
     * The to-be-signed part of a certificate with subject key {@code subjectKey} and identity extension
     * {@code identity}; the two are the same identity's except in tests of mismatched certificates.
     */
    static TBSCertificate tbs(byte[] subjectKey, IdentityPublicKeys identity, Instant now)
            throws TransportException {
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, "securep2p " + identity.fingerprint().shortForm()).build();
        byte[] serial = Arrays.copyOf(identity.fingerprint().toBytes(), SERIAL_LENGTH);
        V3TBSCertificateGenerator g = new V3TBSCertificateGenerator();
        g.setSerialNumber(new ASN1Integer(new BigInteger(1, serial)));
        g.setSignature(ED25519);
        g.setIssuer(name);
        g.setSubject(name);
        g.setStartDate(new Time(Date.from(now.minus(BACKDATE).truncatedTo(ChronoUnit.SECONDS))));
        g.setEndDate(new Time(new ASN1GeneralizedTime(NO_EXPIRY)));
        g.setSubjectPublicKeyInfo(new SubjectPublicKeyInfo(ED25519, subjectKey));
        try {
            byte[] value = new DEROctetString(identity.encoded()).getEncoded(ASN1Encoding.DER);
            g.setExtensions(new Extensions(new Extension(IDENTITY_EXTENSION, false, value)));
        } catch (IOException e) {
            throw new TransportException(TLS_FAILED, "cannot encode the identity extension", e);
        }
        return g.generateTBSCertificate();
    }

    /**
     * Checks a peer's certificate and returns the identity it proves. Accepted only if it is one DER X.509 v3
     * certificate, signed with Ed25519, with an Ed25519 subject key, no critical extension, the identity
     * extension decoding to an {@link IdentityPublicKeys} whose Ed25519 key is the subject key, a valid
     * self-signature, and, when {@code pin} is given, that identity's fingerprint equal to the pin.
     *
     * @throws TransportException {@code TLS_FAILED} for a certificate that is not of this shape,
     *         {@code IDENTITY_MISMATCH} for a well-formed certificate of another identity than the pinned one
     */
    public static IdentityPublicKeys verify(byte[] der, Optional<Fingerprint> pin) throws TransportException {
        if (der == null || der.length == 0 || der.length > MAX_CERTIFICATE_LENGTH) {
            throw malformed("is empty or larger than " + MAX_CERTIFICATE_LENGTH + " bytes");
        }
        Certificate certificate;
        try {
            certificate = Certificate.getInstance(ASN1Primitive.fromByteArray(der));
            if (!Arrays.equals(certificate.getEncoded(ASN1Encoding.DER), der)) {
                throw malformed("is not in DER");
            }
        } catch (IOException | RuntimeException e) {
            // Bouncy Castle reports structural errors as IllegalArgumentException, ClassCastException and others.
            throw malformed("does not parse as X.509");
        }
        TBSCertificate tbs = certificate.getTBSCertificate();
        if (tbs.getVersionNumber() != 3) {
            throw malformed("is not X.509 v3");
        }
        if (!ED25519.equals(certificate.getSignatureAlgorithm()) || !ED25519.equals(tbs.getSignature())) {
            throw malformed("is not signed with Ed25519");
        }
        SubjectPublicKeyInfo spki = tbs.getSubjectPublicKeyInfo();
        if (!ED25519.equals(spki.getAlgorithm()) || spki.getPublicKeyData().getPadBits() != 0
                || spki.getPublicKeyData().getOctets().length != ED25519_KEY_LENGTH) {
            throw malformed("subject key is not an Ed25519 key");
        }
        byte[] subjectKey = spki.getPublicKeyData().getOctets();
        IdentityPublicKeys identity = identityExtension(tbs.getExtensions());
        if (!MessageDigest.isEqual(identity.ed25519PublicKey(), subjectKey)) {
            throw malformed("subject key is not the Ed25519 key of the identity it carries");
        }
        ASN1BitString signature = certificate.getSignature();
        if (signature.getPadBits() != 0
                || signature.getOctets().length != ED25519_SIGNATURE_LENGTH) {
            throw malformed("signature is not an Ed25519 signature");
        }
        if (!selfSignatureVerifies(tbs, subjectKey, signature.getOctets())) {
            throw malformed("self-signature does not verify");
        }
        if (pin.isPresent() && !pin.get().equals(identity.fingerprint())) {
            throw new TransportException(IDENTITY_MISMATCH, "the peer's certificate is for "
                    + identity.fingerprint().shortForm() + ", expected " + pin.get().shortForm());
        }
        return identity;
    }

    private static IdentityPublicKeys identityExtension(Extensions extensions) throws TransportException {
        if (extensions == null) {
            throw malformed("has no identity extension");
        }
        for (ASN1ObjectIdentifier oid : extensions.getExtensionOIDs()) {
            // RFC 5280: a critical extension the verifier does not process must make it refuse the certificate.
            if (extensions.getExtension(oid).isCritical()) {
                throw malformed("has a critical extension " + oid.getId());
            }
        }
        Extension extension = extensions.getExtension(IDENTITY_EXTENSION);
        if (extension == null) {
            throw malformed("has no identity extension");
        }
        try {
            byte[] value = extension.getExtnValue().getOctets();
            ASN1OctetString inner = ASN1OctetString.getInstance(ASN1Primitive.fromByteArray(value));
            if (!Arrays.equals(inner.getEncoded(ASN1Encoding.DER), value)) {
                throw malformed("identity extension is not in DER");
            }
            return IdentityPublicKeys.decode(inner.getOctets());
        } catch (CryptoException | IOException | RuntimeException e) {
            throw malformed("identity extension does not hold an identity");
        }
    }

    private static boolean selfSignatureVerifies(TBSCertificate tbs, byte[] key, byte[] signature) {
        try {
            byte[] message = tbs.getEncoded(ASN1Encoding.DER);
            Ed25519Signer verifier = new Ed25519Signer();
            verifier.init(false, new Ed25519PublicKeyParameters(key));
            verifier.update(message, 0, message.length);
            return verifier.verifySignature(signature);
        } catch (IOException | RuntimeException e) {
            // A key that is not a curve point cannot have signed anything.
            return false;
        }
    }

    private static TransportException malformed(String what) {
        return new TransportException(TLS_FAILED, "the peer's certificate " + what);
    }

    /** The stored certificate if it is a valid one for {@code identity}; null in every other case. */
    private static TransportCertificate load(Path file, IdentityPublicKeys identity) {
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > MAX_PEM_LENGTH) {
                return null;
            }
            byte[] der = unpem(Files.readAllBytes(file));
            if (der == null) {
                return null;
            }
            return new TransportCertificate(der, verify(der, Optional.of(identity.fingerprint())));
        } catch (IOException | TransportException e) {
            return null;
        }
    }

    static byte[] pem(byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return (PEM_BEGIN + "\n" + body + "\n" + PEM_END + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Exactly one PEM CERTIFICATE block, surrounding whitespace allowed; null for anything else. */
    static byte[] unpem(byte[] file) {
        String text = new String(file, StandardCharsets.US_ASCII).strip();
        if (!text.startsWith(PEM_BEGIN) || !text.endsWith(PEM_END)
                || text.length() < PEM_BEGIN.length() + PEM_END.length()) {
            return null;
        }
        String body = text.substring(PEM_BEGIN.length(), text.length() - PEM_END.length());
        try {
            // The basic decoder, not the MIME one: that one skips any character outside the alphabet.
            return Base64.getDecoder().decode(body.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static void writeAtomically(Path dir, Path file, byte[] content) throws IOException {
        Path temp = Files.createTempFile(dir, "." + FILE_NAME + ".", ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system cannot rename atomically", e);
            }
            forceDirectory(dir);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Makes the rename durable; some platforms cannot open a directory, and then the rename is all we have. */
    private static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Not supported here (e.g. Windows); the atomic rename still guarantees old-or-new, never half.
        }
    }

    /** A certificate as given, without any check: only for tests that must present broken certificates. */
    static TransportCertificate uncheckedForTests(byte[] der, IdentityPublicKeys identity) {
        return new TransportCertificate(der.clone(), identity);
    }

    /** The identity this certificate is for. */
    public IdentityPublicKeys identity() {
        return identity;
    }

    /** The DER encoding (a copy). */
    public byte[] der() {
        return der.clone();
    }

    @Override
    public String toString() {
        return "TransportCertificate[" + identity.fingerprint().shortForm()
                + (memberName == null ? "" : ", member " + memberName + " of " + organisation.authorityName()) + "]";
    }
}
