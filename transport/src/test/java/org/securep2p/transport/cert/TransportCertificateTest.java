package org.securep2p.transport.cert;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.bc.BcEdECContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.transport.tls.TlsFixtures.Identity;
import org.securep2p.transport.TransportException;
import org.securep2p.transport.tls.TlsFixtures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.transport.TransportException.Reason.IDENTITY_MISMATCH;
import static org.securep2p.transport.TransportException.Reason.TLS_FAILED;

/**
 * The identity certificate: its shape, its storage in {@code cert/}, and the verifier that accepts exactly
 * the certificates that prove an identity. Broken certificates are built here with bcpkix.
 */
class TransportCertificateTest {

    private static Identity alice;
    private static Identity bob;

    @TempDir
    Path dir;

    @BeforeAll
    static void identities() {
        alice = TlsFixtures.identity();
        bob = TlsFixtures.identity();
    }

    @AfterAll
    static void wipe() {
        alice.keys.close();
        bob.keys.close();
    }

    private static void assertRefused(byte[] der, TransportException.Reason reason, String detail) {
        assertThatThrownBy(() -> TransportCertificate.verify(der, Optional.empty()))
                .isInstanceOf(TransportException.class)
                .satisfies(e -> assertThat(((TransportException) e).reason()).isEqualTo(reason))
                .hasMessageContaining(detail);
    }

    /** A certificate made with bcpkix: {@code subjectKey} as SPKI, the identity extension if given, signed by {@code signer}. */
    private static byte[] build(byte[] subjectKey, IdentityPublicKeys extension, boolean critical,
            ContentSigner signer) throws Exception {
        X500Name name = new X500Name("CN=securep2p test");
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(name, BigInteger.ONE,
                Date.from(Instant.parse("2026-01-01T00:00:00Z")), Date.from(Instant.parse("2099-01-01T00:00:00Z")),
                name, new SubjectPublicKeyInfo(TransportCertificate.ED25519, subjectKey));
        if (extension != null) {
            builder.addExtension(TransportCertificate.IDENTITY_EXTENSION, critical,
                    new DEROctetString(extension.encoded()));
        }
        return builder.build(signer).getEncoded();
    }

    /** bcpkix's signer interface over the key holder, which signs only TBSCertificates for its own key. */
    private static final class KeyHolderSigner implements ContentSigner {
        private final Identity identity;
        private final ByteArrayOutputStream tbs = new ByteArrayOutputStream();

        KeyHolderSigner(Identity identity) {
            this.identity = identity;
        }

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
            return TransportCertificate.ED25519;
        }

        @Override
        public OutputStream getOutputStream() {
            return tbs;
        }

        @Override
        public byte[] getSignature() {
            try {
                return identity.keys.signTransportCertificate(tbs.toByteArray());
            } catch (CryptoException e) {
                throw new AssertionError(e);
            }
        }
    }

    @SuppressWarnings("JavaUtilDate") // Bouncy Castle's certificate builder takes a Date: the one place made
    private static Date date(long epochMillis) {
        return new Date(epochMillis);
    }

    private static Ed25519PrivateKeyParameters ed25519Key() {
        return new Ed25519PrivateKeyParameters(new SecureRandom());
    }

    private static ContentSigner ed25519Signer(Ed25519PrivateKeyParameters key) throws Exception {
        return new BcEdECContentSignerBuilder(TransportCertificate.ED25519).build(key);
    }

    @Test
    void isASelfSignedEd25519X509v3CertificateCarryingTheIdentity() throws Exception {
        byte[] der = alice.certificate.der();
        X509Certificate jdk = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
        jdk.verify(jdk.getPublicKey()); // an independent parser and verifier agree it is self-signed
        assertThat(jdk.getVersion()).isEqualTo(3);
        assertThat(jdk.getSigAlgName()).isEqualTo("Ed25519");
        assertThat(jdk.getSubjectX500Principal().getName())
                .isEqualTo("CN=securep2p " + alice.fingerprint().shortForm());
        assertThat(jdk.getNonCriticalExtensionOIDs()).containsExactly(TransportCertificate.IDENTITY_EXTENSION.getId());
        assertThat(jdk.getCriticalExtensionOIDs()).isNullOrEmpty();
        assertThat(jdk.getNotAfter().toInstant()).isEqualTo(Instant.parse("9999-12-31T23:59:59Z"));
        assertThat(jdk.getNotBefore().toInstant()).isEqualTo(TlsFixtures.CLOCK.instant().minus(TransportCertificate.BACKDATE));

        X509CertificateHolder holder = new X509CertificateHolder(der);
        assertThat(holder.getSubjectPublicKeyInfo().getPublicKeyData().getOctets())
                .isEqualTo(alice.keys.identity().ed25519PublicKey());
        byte[] value = holder.getExtension(TransportCertificate.IDENTITY_EXTENSION).getExtnValue().getOctets();
        assertThat(IdentityPublicKeys.decode(DEROctetString.getInstance(value).getOctets()))
                .isEqualTo(alice.keys.identity());
        assertThat(TransportCertificate.verify(der, alice.pin())).isEqualTo(alice.keys.identity());
        assertThat(alice.certificate.toString()).isEqualTo("TransportCertificate[" + alice.fingerprint().shortForm() + "]");
    }

    @Test
    void derIsReturnedAsACopy() {
        byte[] der = alice.certificate.der();
        der[0] ^= 1;
        assertThat(alice.certificate.der()).isNotEqualTo(der);
    }

    @Test
    void acceptsAnyWellFormedIdentityWithoutAPin() throws Exception {
        assertThat(TransportCertificate.verify(bob.certificate.der(), Optional.empty())).isEqualTo(bob.keys.identity());
    }

    @Test
    void refusesAWellFormedCertificateOfAnotherIdentityAsIdentityMismatch() {
        assertThatThrownBy(() -> TransportCertificate.verify(bob.certificate.der(), alice.pin()))
                .isInstanceOf(TransportException.class)
                .extracting(e -> ((TransportException) e).reason()).isEqualTo(IDENTITY_MISMATCH);
    }

    @Test
    void refusesACertificateWithoutTheIdentityExtension() throws Exception {
        Ed25519PrivateKeyParameters key = ed25519Key();
        assertRefused(build(key.generatePublicKey().getEncoded(), null, false, ed25519Signer(key)), TLS_FAILED,
                "no identity extension");
    }

    @Test
    void refusesAnIdentityExtensionThatIsNotTheSubjectKeysIdentity() throws Exception {
        // Mallory's own key, claiming Alice's identity: correctly self-signed, and still not Alice.
        Ed25519PrivateKeyParameters key = ed25519Key();
        assertRefused(build(key.generatePublicKey().getEncoded(), alice.keys.identity(), false, ed25519Signer(key)),
                TLS_FAILED, "not the Ed25519 key of the identity it carries");
    }

    @Test
    void refusesACertificateWhoseSelfSignatureDoesNotVerify() throws Exception {
        for (int i : new int[] {1, 20, 63}) {
            byte[] der = alice.certificate.der();
            der[der.length - i] ^= 0x40;
            assertRefused(der, TLS_FAILED, "self-signature does not verify");
        }
        // Signed by another key than the one it names.
        Ed25519PrivateKeyParameters other = ed25519Key();
        assertRefused(build(alice.keys.identity().ed25519PublicKey(), alice.keys.identity(), false,
                ed25519Signer(other)), TLS_FAILED, "self-signature does not verify");
    }

    @Test
    void refusesACertificateNotSignedWithEd25519() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair ec = generator.generateKeyPair();
        X500Name name = new X500Name("CN=securep2p test");
        byte[] der = new X509v3CertificateBuilder(name, BigInteger.ONE, date(0), date(4_000_000_000_000L),
                name, SubjectPublicKeyInfo.getInstance(ec.getPublic().getEncoded()))
                .addExtension(TransportCertificate.IDENTITY_EXTENSION, false, new DEROctetString(alice.keys.identity().encoded()))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(ec.getPrivate())).getEncoded();
        assertRefused(der, TLS_FAILED, "not signed with Ed25519");

        // The outer algorithm changed to Ed448 while the signed part still says Ed25519.
        Certificate good = Certificate.getInstance(alice.certificate.der());
        byte[] relabelled = new DERSequence(new ASN1Encodable[] {good.getTBSCertificate(),
                new AlgorithmIdentifier(new ASN1ObjectIdentifier("1.3.101.113")), good.getSignature()})
                .getEncoded(ASN1Encoding.DER);
        assertRefused(relabelled, TLS_FAILED, "not signed with Ed25519");
    }

    @Test
    void refusesACriticalExtensionItDoesNotProcess() throws Exception {
        Ed25519PrivateKeyParameters key = ed25519Key();
        assertRefused(build(key.generatePublicKey().getEncoded(), alice.keys.identity(), true, ed25519Signer(key)),
                TLS_FAILED, "critical extension");
        X500Name name = new X500Name("CN=securep2p test");
        byte[] der = new X509v3CertificateBuilder(name, BigInteger.ONE, date(0), date(4_000_000_000_000L),
                name, new SubjectPublicKeyInfo(TransportCertificate.ED25519, alice.keys.identity().ed25519PublicKey()))
                .addExtension(TransportCertificate.IDENTITY_EXTENSION, false, new DEROctetString(alice.keys.identity().encoded()))
                .addExtension(Extension.keyUsage, true, new DERBitString(new byte[] {(byte) 0x80}, 7))
                .build(new KeyHolderSigner(alice)).getEncoded();
        assertRefused(der, TLS_FAILED, "critical extension");
    }

    @Test
    void refusesAnIdentityExtensionThatDoesNotDecode() throws Exception {
        Ed25519PrivateKeyParameters key = ed25519Key();
        X500Name name = new X500Name("CN=securep2p test");
        byte[] truncated = Arrays.copyOf(alice.keys.identity().encoded(), 100);
        byte[] der = new X509v3CertificateBuilder(name, BigInteger.ONE, date(0), date(4_000_000_000_000L),
                name, new SubjectPublicKeyInfo(TransportCertificate.ED25519, key.generatePublicKey().getEncoded()))
                .addExtension(TransportCertificate.IDENTITY_EXTENSION, false, new DEROctetString(truncated))
                .build(ed25519Signer(key)).getEncoded();
        assertRefused(der, TLS_FAILED, "identity extension does not hold an identity");
    }

    @Test
    void refusesBytesThatAreNotExactlyOneDerCertificate() {
        byte[] good = alice.certificate.der();
        assertRefused(Arrays.copyOf(good, good.length + 1), TLS_FAILED, "does not parse");
        assertRefused(Arrays.copyOf(good, good.length - 1), TLS_FAILED, "does not parse");
        assertRefused(new byte[0], TLS_FAILED, "empty");
        assertRefused(new byte[TransportCertificate.MAX_CERTIFICATE_LENGTH + 1], TLS_FAILED, "larger than");
        assertRefused("not a certificate".getBytes(StandardCharsets.US_ASCII), TLS_FAILED, "does not parse");
        byte[] ber = new byte[good.length + 1];
        ber[0] = 0x30;
        ber[1] = (byte) (good[1] + 1); // one more length octet than DER allows
        System.arraycopy(good, 2, ber, 3, good.length - 2);
        assertRefused(ber, TLS_FAILED, "DER");
    }

    @Test
    void isCreatedOnceAndReloadedIdentically() throws Exception {
        Path certDir = dir.resolve("cert");
        TransportCertificate first = TransportCertificate.loadOrCreate(certDir, alice.keys, TlsFixtures.CLOCK);
        Path file = certDir.resolve("identity.crt");
        byte[] stored = Files.readAllBytes(file);
        assertThat(new String(stored, StandardCharsets.US_ASCII)).startsWith("-----BEGIN CERTIFICATE-----\n")
                .endsWith("-----END CERTIFICATE-----\n");
        assertThat(TransportCertificate.unpem(stored)).isEqualTo(first.der());

        // A later clock would give a different certificate: the same bytes prove it was loaded, not remade.
        TransportCertificate again = TransportCertificate.loadOrCreate(certDir, alice.keys,
                java.time.Clock.offset(TlsFixtures.CLOCK, java.time.Duration.ofDays(3)));
        assertThat(again.der()).isEqualTo(first.der());
        assertThat(again.identity()).isEqualTo(alice.keys.identity());
        assertThat(Files.readAllBytes(file)).isEqualTo(stored);
    }

    @Test
    void isRecreatedWhenTheStoredFileIsCorrupt() throws Exception {
        Path file = dir.resolve("identity.crt");
        for (byte[] corrupt : List.of("garbage".getBytes(StandardCharsets.US_ASCII), new byte[0],
                TransportCertificate.pem(new byte[] {1, 2, 3}),
                TransportCertificate.pem(flipLastByte(alice.certificate.der())),
                "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n".getBytes(StandardCharsets.US_ASCII),
                new byte[TransportCertificate.MAX_PEM_LENGTH + 1])) {
            Files.write(file, corrupt);
            TransportCertificate c = TransportCertificate.loadOrCreate(dir, alice.keys, TlsFixtures.CLOCK);
            assertThat(TransportCertificate.verify(c.der(), alice.pin())).isEqualTo(alice.keys.identity());
            assertThat(TransportCertificate.unpem(Files.readAllBytes(file))).isEqualTo(c.der());
        }
    }

    private static byte[] flipLastByte(byte[] der) {
        der[der.length - 1] ^= 1;
        return der;
    }

    @Test
    void isRecreatedWhenTheStoredCertificateIsForAnotherIdentity() throws Exception {
        TransportCertificate.loadOrCreate(dir, bob.keys, TlsFixtures.CLOCK);
        TransportCertificate c = TransportCertificate.loadOrCreate(dir, alice.keys, TlsFixtures.CLOCK);
        assertThat(c.identity()).isEqualTo(alice.keys.identity());
        assertThat(TransportCertificate.unpem(Files.readAllBytes(dir.resolve("identity.crt")))).isEqualTo(c.der());
    }

    @Test
    void isWrittenAtomicallyLeavingNoTemporaryFile() throws Exception {
        TransportCertificate.loadOrCreate(dir, alice.keys, TlsFixtures.CLOCK);
        Files.write(dir.resolve("identity.crt"), "corrupt".getBytes(StandardCharsets.US_ASCII));
        TransportCertificate.loadOrCreate(dir, alice.keys, TlsFixtures.CLOCK);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).collect(Collectors.toList()))
                    .containsExactly("identity.crt");
        }
    }

    @Test
    void aDirectoryWhereTheFileShouldBeIsAnIoFailureNotACrash() throws Exception {
        Files.createDirectories(dir.resolve("identity.crt").resolve("child"));
        assertThatThrownBy(() -> TransportCertificate.loadOrCreate(dir, alice.keys, TlsFixtures.CLOCK))
                .isInstanceOf(TransportException.class)
                .extracting(e -> ((TransportException) e).reason()).isEqualTo(TransportException.Reason.IO_FAILED);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.count()).as("no temporary file left behind").isEqualTo(1);
        }
    }
}
