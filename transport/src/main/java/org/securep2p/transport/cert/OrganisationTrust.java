package org.securep2p.transport.cert;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.CertificateList;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.TBSCertList;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.transport.TransportException;

import static org.securep2p.transport.TransportException.Reason.CERTIFICATE_REFUSED;
import static org.securep2p.transport.TransportException.Reason.CONFIG_INVALID;
import static org.securep2p.transport.TransportException.Reason.IDENTITY_MISMATCH;

/**
 * An organisation's certificate authority as its members see it: the CA certificate and the CA's current
 * revocation list, both checked when loaded (docs/PROTOCOL.md section 21). A peer that runs with one accepts
 * only peers whose certificate this CA issued, that is valid now and not revoked, and reports the member name
 * the CA bound to the peer's identity. Immutable.
 *
 * <p>Not its job: issuing ({@link OrganisationAuthority}), or fetching a newer revocation list (the
 * organisation distributes {@code ca.crl} beside {@code ca.crt}, and a peer loads it at start).
 */
public final class OrganisationTrust {

    /** A stale revocation list would hide revocations: refused after its nextUpdate plus this grace. */
    static final Duration CRL_GRACE = Duration.ofDays(1);

    private final byte[] caDer;
    private final X500Name caName;
    private final byte[] caKey;
    private final Map<BigInteger, Instant> revoked;
    private final Instant crlNextUpdate;
    private final BigInteger crlNumber;
    private final Instant caNotAfter;
    private final Clock clock;

    private OrganisationTrust(byte[] caDer, X500Name caName, byte[] caKey, Map<BigInteger, Instant> revoked,
            Instant crlNextUpdate, BigInteger crlNumber, Instant caNotAfter, Clock clock) {
        this.crlNumber = crlNumber;
        this.caNotAfter = caNotAfter;
        this.caDer = caDer;
        this.caName = caName;
        this.caKey = caKey;
        this.revoked = revoked;
        this.crlNextUpdate = crlNextUpdate;
        this.clock = clock;
    }

    /**
     * The CA certificate at {@code caCertificate} (PEM) and its revocation list beside it (same name, extension
     * {@code .crl}), which must exist, be signed by that CA and not be out of date.
     *
     * @throws TransportException {@code CONFIG_INVALID} naming the file and what is wrong with it
     */
    public static OrganisationTrust load(Path caCertificate, Clock clock) throws TransportException {
        Objects.requireNonNull(caCertificate, "caCertificate");
        Path crl = crlPathFor(caCertificate);
        byte[] caDer = readPem(caCertificate, OrganisationCertificates.CERTIFICATE);
        byte[] crlDer = readPem(crl, OrganisationCertificates.CRL);
        return of(caDer, crlDer, clock);
    }

    /** Where the revocation list of the CA certificate at {@code caCertificate} lives. */
    public static Path crlPathFor(Path caCertificate) {
        String name = caCertificate.getFileName().toString();
        String base = name.endsWith(".crt") ? name.substring(0, name.length() - 4) : name;
        return caCertificate.resolveSibling(base + ".crl");
    }

    static OrganisationTrust of(byte[] caDer, byte[] crlDer, Clock clock) throws TransportException {
        Certificate ca = OrganisationCertificates.parseCertificate(caDer, "the CA certificate");
        TBSCertificate tbs = ca.getTBSCertificate();
        byte[] key = OrganisationCertificates.ed25519SubjectKey(tbs, "the CA certificate");
        if (!tbs.getIssuer().equals(tbs.getSubject())
                || !OrganisationCertificates.signatureVerifies(ca, key)) {
            throw invalid("the CA certificate is not self-signed by its key");
        }
        BasicConstraints bc = BasicConstraints.fromExtensions(tbs.getExtensions());
        if (bc == null || !bc.isCA()) {
            throw invalid("the CA certificate is not marked as a certificate authority");
        }
        Instant now = clock.instant();
        if (now.isBefore(tbs.getStartDate().getDate().toInstant())
                || now.isAfter(tbs.getEndDate().getDate().toInstant())) {
            throw invalid("the CA certificate is not valid now (valid " + tbs.getStartDate().getDate().toInstant()
                    + " to " + tbs.getEndDate().getDate().toInstant() + ")");
        }
        CertificateList crl = OrganisationCertificates.parseCrl(crlDer);
        TBSCertList list = crl.getTBSCertList();
        if (!list.getIssuer().equals(tbs.getSubject()) || !OrganisationCertificates.signatureVerifies(crl, key)) {
            throw invalid("the revocation list is not signed by this CA");
        }
        if (list.getNextUpdate() == null) {
            throw invalid("the revocation list has no next-update date");
        }
        Instant nextUpdate = list.getNextUpdate().getDate().toInstant();
        if (now.isAfter(nextUpdate.plus(CRL_GRACE))) {
            throw invalid("the revocation list expired on " + nextUpdate + "; ask the CA for a fresh ca.crl");
        }
        // The number orders the CA's lists: the app refuses one older than a list it already loaded (a stale copy
        // that still looks current would hide the revocations made since).
        BigInteger number;
        try {
            CRLNumber n = list.getExtensions() == null ? null
                    : CRLNumber.getInstance(list.getExtensions().getExtensionParsedValue(Extension.cRLNumber));
            number = n == null ? null : n.getCRLNumber();
        } catch (IllegalArgumentException e) {
            number = null;
        }
        if (number == null || number.signum() < 0) {
            throw invalid("the revocation list has no valid list number");
        }
        Map<BigInteger, Instant> revoked = new HashMap<>();
        for (TBSCertList.CRLEntry e : list.getRevokedCertificates()) {
            revoked.put(e.getUserCertificate().getValue(), e.getRevocationDate().getDate().toInstant());
        }
        return new OrganisationTrust(caDer.clone(), tbs.getSubject(), key, Collections.unmodifiableMap(revoked),
                nextUpdate, number, tbs.getEndDate().getDate().toInstant(), clock);
    }

    /** The CA's name (its certificate's common name). */
    public String authorityName() {
        return OrganisationCertificates.commonName(caName).orElse(caName.toString());
    }

    /** How many certificates the loaded revocation list revokes. */
    public int revokedCount() {
        return revoked.size();
    }

    /** The loaded revocation list's number (its cRLNumber extension); each list the CA writes has a larger one. */
    public BigInteger crlNumber() {
        return crlNumber;
    }

    /** The CA's Ed25519 public key, in lower-case hex: which CA a remembered list number belongs to. */
    public String authorityKeyHex() {
        return java.util.HexFormat.of().formatHex(caKey);
    }

    /** When the organisation promised a newer revocation list. */
    public Instant crlNextUpdate() {
        return crlNextUpdate;
    }

    /** The CA certificate's DER (a copy). */
    public byte[] caCertificateDer() {
        return caDer.clone();
    }

    /**
     * Checks a member certificate (a peer's, or our own) and returns whom it vouches for: issued and signed by
     * this CA, valid now, not revoked, an end-entity Ed25519 certificate whose identity extension's Ed25519
     * key is its subject key, and, with a {@code pin}, for that identity.
     *
     * @throws TransportException {@code CERTIFICATE_REFUSED} naming why (another CA, revoked, expired,
     *         malformed); {@code IDENTITY_MISMATCH} for a good certificate of another identity than the pin
     */
    public CertifiedMember verifyMember(byte[] der, Optional<Fingerprint> pin) throws TransportException {
        Certificate cert;
        try {
            cert = OrganisationCertificates.parseCertificate(der, "the peer's certificate");
        } catch (TransportException e) {
            throw refused(e.getMessage());
        }
        TBSCertificate tbs = cert.getTBSCertificate();
        if (!tbs.getIssuer().equals(caName)) {
            // The issuer's name comes from an unchecked certificate: quoted only if it is a plain name (no
            // control characters or escapes can reach a log or a terminal this way).
            String issuer = OrganisationCertificates.commonName(tbs.getIssuer())
                    .filter(OrganisationAuthority::isPlainName).map(n -> "\"" + n + "\"").orElse("another CA");
            throw refused("the peer's certificate was issued by " + issuer + ", not by your organisation's CA \""
                    + authorityName() + "\"");
        }
        if (!OrganisationCertificates.signatureVerifies(cert, caKey)) {
            throw refused("the peer's certificate names \"" + authorityName()
                    + "\" as issuer but is not signed by its key");
        }
        BigInteger serial = tbs.getSerialNumber().getValue();
        Instant revokedAt = revoked.get(serial);
        String member = OrganisationCertificates.commonName(tbs.getSubject()).orElse(null);
        if (revokedAt != null) {
            throw refused("the peer's certificate (" + (member == null ? "no name" : member) + ", serial "
                    + serial.toString(16) + ") was revoked by \"" + authorityName() + "\" on " + revokedAt);
        }
        Instant now = clock.instant();
        if (now.isAfter(crlNextUpdate.plus(CRL_GRACE)) || now.isAfter(caNotAfter)) {
            // A long-running member: the list it loaded at start is out of date, or the CA itself expired.
            throw refused("the revocation list of \"" + authorityName() + "\" expired on " + crlNextUpdate
                    + " (or the CA certificate did); restart with a fresh ca.crl from your CA");
        }
        Instant notBefore = tbs.getStartDate().getDate().toInstant();
        Instant notAfter = tbs.getEndDate().getDate().toInstant();
        if (now.isBefore(notBefore)) {
            throw refused("the peer's certificate is not valid before " + notBefore);
        }
        if (now.isAfter(notAfter)) {
            throw refused("the peer's certificate expired on " + notAfter);
        }
        checkEndEntityExtensions(tbs.getExtensions());
        if (member == null || member.isEmpty()) {
            throw refused("the peer's certificate names no member");
        }
        byte[] subjectKey;
        IdentityPublicKeys identity;
        try {
            subjectKey = OrganisationCertificates.ed25519SubjectKey(tbs, "the peer's certificate");
            identity = OrganisationCertificates.identityExtension(tbs.getExtensions());
        } catch (TransportException e) {
            throw refused(e.getMessage());
        }
        if (!MessageDigest.isEqual(identity.ed25519PublicKey(), subjectKey)) {
            throw refused("the peer's certificate's key is not the Ed25519 key of the identity it names");
        }
        if (pin.isPresent() && !pin.get().equals(identity.fingerprint())) {
            throw new TransportException(IDENTITY_MISMATCH, "the peer's certificate is for "
                    + identity.fingerprint().shortForm() + ", expected " + pin.get().shortForm());
        }
        return new CertifiedMember(identity, member);
    }

    /** basicConstraints (not a CA) and keyUsage (digitalSignature) are understood; any other critical one is not. */
    private static void checkEndEntityExtensions(Extensions extensions) throws TransportException {
        if (extensions == null) {
            throw refused("the peer's certificate has no extensions");
        }
        for (ASN1ObjectIdentifier oid : extensions.getExtensionOIDs()) {
            Extension e = extensions.getExtension(oid);
            if (e.isCritical() && !oid.equals(Extension.basicConstraints) && !oid.equals(Extension.keyUsage)) {
                throw refused("the peer's certificate has a critical extension " + oid.getId());
            }
        }
        BasicConstraints bc = BasicConstraints.fromExtensions(extensions);
        if (bc != null && bc.isCA()) {
            throw refused("the peer presented a CA certificate instead of a member certificate");
        }
        KeyUsage usage = KeyUsage.fromExtensions(extensions);
        if (usage != null && !usage.hasUsages(KeyUsage.digitalSignature)) {
            throw refused("the peer's certificate may not be used for signatures");
        }
    }

    private static byte[] readPem(Path file, String type) throws TransportException {
        byte[] content;
        try {
            if (!Files.isRegularFile(file)) {
                throw invalid(file + " does not exist"
                        + (type.equals(OrganisationCertificates.CRL) ? " (the CA's revocation list must be beside its "
                        + "certificate)" : ""));
            }
            if (Files.size(file) > OrganisationCertificates.MAX_PEM) {
                throw invalid(file + " is too large");
            }
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TransportException(CONFIG_INVALID, "cannot read " + file + ": " + e.getMessage(), e);
        }
        byte[] der = OrganisationCertificates.unpem(content, type);
        if (der == null) {
            throw invalid(file + " is not one PEM " + type);
        }
        return der;
    }

    private static TransportException invalid(String what) {
        return new TransportException(CONFIG_INVALID, what);
    }

    private static TransportException refused(String what) {
        return new TransportException(CERTIFICATE_REFUSED, what);
    }

    @Override
    public String toString() {
        return "OrganisationTrust[" + authorityName() + ", " + revoked.size() + " revoked]";
    }

    /** Whom a member certificate vouches for. */
    public record CertifiedMember(IdentityPublicKeys identity, String name) {
    }
}
