package org.securep2p.transport.cert;

import java.io.IOException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.text.Normalizer;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V2TBSCertListGenerator;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.transport.TransportException;

import static org.securep2p.transport.TransportException.Reason.CONFIG_INVALID;

/**
 * An organisation's certificate authority at the team lead's desk: an Ed25519 key that issues member
 * certificates binding a member's name to their identity, and revocation lists (PROTOCOL.md section 21).
 * Holds the CA private key in memory until {@link #close()}, which wipes our copy of the seed; Bouncy
 * Castle's key object keeps its own copy, which it cannot wipe, until it is collected (so keep instances
 * short-lived, as the {@code ca} commands do). The caller stores the key sealed.
 *
 * <p>Not its job: storage, the register of issued certificates, or distribution (the app's {@code ca}
 * commands do those), and checking certificates ({@link OrganisationTrust}).
 */
public final class OrganisationAuthority implements AutoCloseable {

    /** How long a new CA certificate is valid. */
    public static final Duration CA_VALIDITY = Duration.ofDays(10 * 365);
    /** How long a member certificate is valid unless the issuer says otherwise. */
    public static final Duration MEMBER_VALIDITY = Duration.ofDays(365);
    /** How long a revocation list is current: members refuse an older one (fail closed), so re-issue in time. */
    public static final Duration CRL_VALIDITY = Duration.ofDays(30);
    /** Member and CA names: what a person would type, nothing that X.500 or a terminal could misread. */
    private static final Pattern NAME = Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{N} ._-]{0,63}");
    private static final int SERIAL_LENGTH = 16;
    /**
     * The mixtures of scripts one name may use: Unicode TS #39's "highly restrictive" level. Any single script,
     * or Latin with the scripts written together in Japanese, Chinese or Korean.
     */
    private static final List<Set<Character.UnicodeScript>> MIXABLE_SCRIPTS = List.of(
            EnumSet.of(Character.UnicodeScript.LATIN, Character.UnicodeScript.HAN, Character.UnicodeScript.HIRAGANA,
                    Character.UnicodeScript.KATAKANA),
            EnumSet.of(Character.UnicodeScript.LATIN, Character.UnicodeScript.HAN, Character.UnicodeScript.BOPOMOFO),
            EnumSet.of(Character.UnicodeScript.LATIN, Character.UnicodeScript.HAN, Character.UnicodeScript.HANGUL));

    private final byte[] seed;
    private final Ed25519PrivateKeyParameters key;
    private final byte[] certificateDer;
    private final X500Name subject;
    /** The end of the CA certificate's validity: no member certificate it issues ends later. */
    private final Instant notAfter;
    private volatile boolean closed;

    private OrganisationAuthority(byte[] seed, byte[] certificateDer, X500Name subject) {
        this.seed = seed;
        this.key = new Ed25519PrivateKeyParameters(seed, 0);
        this.certificateDer = certificateDer;
        this.subject = subject;
        this.notAfter = Certificate.getInstance(certificateDer).getEndDate().getDate().toInstant();
    }

    /** A new CA named {@code name}: a fresh Ed25519 key from {@code random} and a self-signed CA certificate. */
    public static OrganisationAuthority create(String name, SecureRandom random, Instant now)
            throws TransportException {
        checkNewName(name, "CA name");
        byte[] seed = new byte[Ed25519PrivateKeyParameters.KEY_SIZE];
        random.nextBytes(seed);
        Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(seed, 0);
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build();
        V3TBSCertificateGenerator g = new V3TBSCertificateGenerator();
        g.setSerialNumber(new ASN1Integer(serial(random)));
        g.setSignature(TransportCertificate.ED25519);
        g.setIssuer(subject);
        g.setSubject(subject);
        g.setStartDate(time(now.minus(TransportCertificate.BACKDATE)));
        g.setEndDate(time(now.plus(CA_VALIDITY)));
        g.setSubjectPublicKeyInfo(new SubjectPublicKeyInfo(TransportCertificate.ED25519,
                key.generatePublicKey().getEncoded()));
        try {
            g.setExtensions(new Extensions(new Extension[] {
                    new Extension(Extension.basicConstraints, true, new BasicConstraints(true).getEncoded()),
                    new Extension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign).getEncoded())}));
            byte[] der = OrganisationCertificates.signed(g.generateTBSCertificate(), key);
            return new OrganisationAuthority(seed, der, subject);
        } catch (IOException e) {
            Arrays.fill(seed, (byte) 0);
            throw new TransportException(CONFIG_INVALID, "cannot encode the CA certificate", e);
        }
    }

    /**
     * The CA again, from its stored private key (the 32-byte Ed25519 seed, copied) and its certificate as
     * {@link #certificatePem()} wrote it; refused unless the key is the certificate's.
     */
    public static OrganisationAuthority restore(byte[] privateKey, byte[] certificatePem) throws TransportException {
        if (privateKey == null || privateKey.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
            throw new TransportException(CONFIG_INVALID, "the stored CA key is not an Ed25519 key");
        }
        byte[] certificateDer = certificatePem == null ? null
                : OrganisationCertificates.unpem(certificatePem, OrganisationCertificates.CERTIFICATE);
        if (certificateDer == null) {
            throw new TransportException(CONFIG_INVALID, "the CA certificate is not one PEM certificate");
        }
        Certificate c = OrganisationCertificates.parseCertificate(certificateDer, "the CA certificate");
        byte[] seed = privateKey.clone();
        byte[] expected = OrganisationCertificates.ed25519SubjectKey(c.getTBSCertificate(), "the CA certificate");
        byte[] actual = new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
        if (!MessageDigest.isEqual(expected, actual)) {
            Arrays.fill(seed, (byte) 0);
            throw new TransportException(CONFIG_INVALID, "the stored CA key does not belong to the CA certificate");
        }
        return new OrganisationAuthority(seed, certificateDer.clone(), c.getTBSCertificate().getSubject());
    }

    /** The CA's name. */
    public String name() {
        return OrganisationCertificates.commonName(subject).orElse(subject.toString());
    }

    /** The CA certificate as PEM, for {@code cert/ca.crt} and for members. */
    public byte[] certificatePem() {
        return OrganisationCertificates.pem(certificateDer, OrganisationCertificates.CERTIFICATE);
    }

    /** The private key (the 32-byte Ed25519 seed), copied, for the caller to seal; wipe it after use. */
    public byte[] exportPrivateKey() {
        checkOpen();
        return seed.clone();
    }

    /**
     * Issues a member certificate binding {@code memberName} to the identity in {@code identityCertificatePem}
     * (the member's own {@code cert/identity.crt}, whose self-signature proves they hold the identity's key).
     *
     * The certificate ends after {@code validity} or when the CA certificate does, whichever comes first: a
     * member's certificate never outlives its issuer's (RFC 5280 path validation would refuse it then anyway,
     * and the date printed for the member would be a promise the CA cannot keep).
     *
     * @throws TransportException {@code CONFIG_INVALID} for a bad name, a request that is not a valid
     *         identity certificate, or a CA certificate that has expired
     */
    public IssuedCertificate issue(String memberName, byte[] identityCertificatePem, Instant now, Duration validity,
            SecureRandom random) throws TransportException {
        checkOpen();
        checkNewName(memberName, "member name");
        if (!now.isBefore(notAfter)) {
            throw new TransportException(CONFIG_INVALID, "the CA certificate expired on " + notAfter
                    + "; create a new CA and issue the members new certificates");
        }
        byte[] request = identityCertificatePem == null ? null
                : OrganisationCertificates.unpem(identityCertificatePem, OrganisationCertificates.CERTIFICATE);
        if (request == null) {
            throw new TransportException(CONFIG_INVALID, "the request for " + memberName
                    + " is not a PEM certificate (expected the member's cert/identity.crt)");
        }
        IdentityPublicKeys identity;
        try {
            identity = TransportCertificate.verify(request, Optional.empty());
        } catch (TransportException e) {
            throw new TransportException(CONFIG_INVALID, "the request for " + memberName
                    + " is not a valid identity certificate: " + e.getMessage());
        }
        BigInteger serial = serial(random);
        V3TBSCertificateGenerator g = new V3TBSCertificateGenerator();
        g.setSerialNumber(new ASN1Integer(serial));
        g.setSignature(TransportCertificate.ED25519);
        g.setIssuer(subject);
        g.setSubject(new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, memberName).build());
        Instant asked = now.plus(validity).truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = asked.isAfter(this.notAfter) ? this.notAfter : asked;
        g.setStartDate(time(now.minus(TransportCertificate.BACKDATE)));
        g.setEndDate(time(notAfter));
        g.setSubjectPublicKeyInfo(new SubjectPublicKeyInfo(TransportCertificate.ED25519,
                identity.ed25519PublicKey()));
        try {
            g.setExtensions(new Extensions(new Extension[] {
                    new Extension(Extension.basicConstraints, true, new BasicConstraints(false).getEncoded()),
                    new Extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature).getEncoded()),
                    new Extension(TransportCertificate.IDENTITY_EXTENSION, false,
                            new DEROctetString(identity.encoded()).getEncoded(ASN1Encoding.DER))}));
            TBSCertificate tbs = g.generateTBSCertificate();
            byte[] der = OrganisationCertificates.signed(tbs, key);
            return new IssuedCertificate(memberName, serial, identity.fingerprint(), notAfter,
                    OrganisationCertificates.pem(der, OrganisationCertificates.CERTIFICATE));
        } catch (IOException e) {
            throw new TransportException(CONFIG_INVALID, "cannot encode the certificate for " + memberName, e);
        }
    }

    /** A revocation list (PEM) revoking {@code revoked}, numbered {@code number}, current from {@code now}. */
    public byte[] revocationListPem(List<Revocation> revoked, long number, Instant now) throws TransportException {
        checkOpen();
        V2TBSCertListGenerator g = new V2TBSCertListGenerator();
        g.setSignature(TransportCertificate.ED25519);
        g.setIssuer(subject);
        g.setThisUpdate(time(now));
        g.setNextUpdate(time(now.plus(CRL_VALIDITY)));
        for (Revocation r : revoked) {
            g.addCRLEntry(new ASN1Integer(r.serial()), time(r.at()), org.bouncycastle.asn1.x509.CRLReason.unspecified);
        }
        try {
            g.setExtensions(new Extensions(new Extension(Extension.cRLNumber, false,
                    new CRLNumber(BigInteger.valueOf(number)).getEncoded())));
            return OrganisationCertificates.pem(OrganisationCertificates.signed(g.generateTBSCertList(), key),
                    OrganisationCertificates.CRL);
        } catch (IOException | RuntimeException e) {
            throw new TransportException(CONFIG_INVALID, "cannot encode the revocation list", e);
        }
    }

    /** Wipes our copy of the private key (best effort: see the class comment). */
    @Override
    public void close() {
        closed = true;
        Arrays.fill(seed, (byte) 0);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the CA key was wiped");
        }
    }

    /** Whether {@code name} is a name {@link #checkName} would accept. */
    public static boolean isPlainName(String name) {
        return name != null && NAME.matcher(name).matches() && name.equals(name.strip());
    }

    /**
     * Throws {@code CONFIG_INVALID} unless {@code name} is 1 to 64 letters, digits, spaces, dots, dashes,
     * underscores: the syntax of every name, including those certified before {@link #checkNewName}'s rules.
     */
    public static void checkName(String name, String what) throws TransportException {
        if (name == null || !NAME.matcher(name).matches() || !name.equals(name.strip())) {
            throw new TransportException(CONFIG_INVALID, "the " + what + " must be 1 to 64 letters, digits, spaces, "
                    + "dots, dashes or underscores, starting with a letter or digit");
        }
    }

    /**
     * {@link #checkName}, and what a name to be certified must also be: in Unicode normal form C, and written in
     * one script (or Latin with Han, Hiragana and Katakana, Bopomofo, or Hangul).
     */
    public static void checkNewName(String name, String what) throws TransportException {
        checkName(name, what);
        // Two spellings of one name, or a name dressed up as another with letters from a second script ("аlice"
        // with a Cyrillic а): the CA refuses both, so a certified name means what it shows (PROTOCOL.md 21.1).
        if (!Normalizer.isNormalized(name, Normalizer.Form.NFC)) {
            throw new TransportException(CONFIG_INVALID, "the " + what + " must be in Unicode normal form C"
                    + " (composed accents)");
        }
        Set<Character.UnicodeScript> scripts = EnumSet.noneOf(Character.UnicodeScript.class);
        name.codePoints().mapToObj(Character.UnicodeScript::of)
                .filter(sc -> sc != Character.UnicodeScript.COMMON && sc != Character.UnicodeScript.INHERITED)
                .forEach(scripts::add);
        if (scripts.size() > 1 && MIXABLE_SCRIPTS.stream().noneMatch(allowed -> allowed.containsAll(scripts))) {
            throw new TransportException(CONFIG_INVALID, "the " + what + " mixes the scripts " + scripts
                    + "; a name uses one script (Japanese, Chinese and Korean names may add Latin)");
        }
    }

    private static BigInteger serial(SecureRandom random) {
        byte[] b = new byte[SERIAL_LENGTH];
        random.nextBytes(b);
        b[0] &= 0x7f; // positive, and at most 16 bytes in DER (RFC 5280 allows 20)
        b[0] |= 0x40; // never shorter: serials print with the same width
        return new BigInteger(1, b);
    }

    private static Time time(Instant t) {
        return new Time(Date.from(t.truncatedTo(ChronoUnit.SECONDS)));
    }

    @Override
    public String toString() {
        return "OrganisationAuthority[" + name() + "]";
    }

    /** A certificate just issued. {@code pem} is the certificate for the member's {@code cert/member.crt}. */
    @SuppressWarnings("ArrayRecordComponent") // pem is copied in and out; equality is not used
    public record IssuedCertificate(String name, BigInteger serial, Fingerprint fingerprint, Instant notAfter,
                                    byte[] pem) {
        public IssuedCertificate {
            Objects.requireNonNull(name, "name");
            pem = pem.clone();
        }

        @Override
        public byte[] pem() {
            return pem.clone();
        }

        @Override
        public String toString() {
            return "IssuedCertificate[" + name + ", serial " + serial.toString(16) + ", " + fingerprint.shortForm() + "]";
        }
    }

    /** One revoked certificate: its serial and when it was revoked. */
    public record Revocation(BigInteger serial, Instant at) {
        public Revocation {
            Objects.requireNonNull(serial, "serial");
            Objects.requireNonNull(at, "at");
        }
    }
}
