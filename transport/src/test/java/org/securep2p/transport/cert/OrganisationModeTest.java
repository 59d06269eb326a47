package org.securep2p.transport.cert;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

import org.bouncycastle.asn1.x509.Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.TransportException;
import org.securep2p.transport.tls.TlsFixtures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.transport.tls.TlsFixtures.CLOCK;

/** Organisation mode (PROTOCOL.md section 21): issuing, revoking, and what TLS then accepts and refuses. */
class OrganisationModeTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    @SuppressWarnings("TimeInStaticInitializer") // CLOCK is fixed: NOW is a constant, not the load time
    private static final Instant NOW = CLOCK.instant();
    private static final TlsFixtures.Identity ALICE = TlsFixtures.identity();
    private static final TlsFixtures.Identity BOB = TlsFixtures.identity();

    @TempDir
    Path dir;

    /** A CA in {@code dir/name}, its ca.crt and ca.crl written, nothing revoked. */
    private static Path ca(Path dir, OrganisationAuthority ca, List<OrganisationAuthority.Revocation> revoked)
            throws Exception {
        Files.createDirectories(dir);
        Files.write(dir.resolve("ca.crt"), ca.certificatePem());
        Files.write(dir.resolve("ca.crl"), ca.revocationListPem(revoked, 1, NOW));
        return dir.resolve("ca.crt");
    }

    private static byte[] request(TlsFixtures.Identity who) {
        return TransportCertificate.pem(who.certificate.der());
    }

    private TransportCertificate member(TlsFixtures.Identity who, OrganisationAuthority ca, OrganisationTrust trust,
            String name) throws Exception {
        Path file = dir.resolve(name + ".crt");
        Files.write(file, ca.issue(name, request(who), NOW, OrganisationAuthority.MEMBER_VALIDITY, RANDOM).pem());
        return TransportCertificate.loadMember(file, who.keys, trust);
    }

    private static TlsFixtures.Outcome[] handshake(TransportCertificate client, TlsFixtures.Identity clientKeys,
            TransportCertificate server, TlsFixtures.Identity serverKeys, SecurityLevel level) {
        return TlsFixtures.connect(
                TlsFixtures.side(new TlsFixtures.Identity(clientKeys.keys, client), Optional.empty(), level),
                TlsFixtures.side(new TlsFixtures.Identity(serverKeys.keys, server), Optional.empty(), level));
    }

    @Test
    void twoMembersOfOneCaConnectAndLearnEachOthersCertifiedName() throws Exception {
        try (OrganisationAuthority ca = OrganisationAuthority.create("Control", RANDOM, NOW)) {
            OrganisationTrust trust = OrganisationTrust.load(ca(dir.resolve("org"), ca, List.of()), CLOCK);
            assertThat(trust.authorityName()).isEqualTo("Control");
            TransportCertificate alice = member(ALICE, ca, trust, "Control-Alpha");
            TransportCertificate bob = member(BOB, ca, trust, "Control-Bravo");
            assertThat(alice.memberName()).contains("Control-Alpha");
            for (SecurityLevel level : SecurityLevel.values()) {
                TlsFixtures.Outcome[] o = handshake(alice, ALICE, bob, BOB, level);
                assertThat(o[0].channel().peerMemberName()).isEqualTo("Control-Bravo");
                assertThat(o[0].channel().peerIdentity()).isEqualTo(BOB.keys.identity());
                assertThat(o[1].channel().peerMemberName()).isEqualTo("Control-Alpha");
                assertThat(o[1].channel().peerIdentity()).isEqualTo(ALICE.keys.identity());
                o[0].channel().close();
                o[1].channel().close();
            }
        }
    }

    @Test
    void aCertificateFromAnotherCaIsRefusedNamingBothAuthorities() throws Exception {
        try (OrganisationAuthority ours = OrganisationAuthority.create("Control", RANDOM, NOW);
             OrganisationAuthority theirs = OrganisationAuthority.create("Mallory Corp", RANDOM, NOW)) {
            OrganisationTrust ourTrust = OrganisationTrust.load(ca(dir.resolve("ours"), ours, List.of()), CLOCK);
            OrganisationTrust theirTrust = OrganisationTrust.load(ca(dir.resolve("theirs"), theirs, List.of()), CLOCK);
            TransportCertificate alice = member(ALICE, ours, ourTrust, "Control-Alpha");
            TransportCertificate mallory = member(BOB, theirs, theirTrust, "Control-Bravo");
            // Alice (client) is shown Mallory's server certificate: refused, naming both authorities.
            TlsFixtures.Outcome[] o = handshake(alice, ALICE, mallory, BOB, SecurityLevel.STANDARD);
            TransportException refused = o[0].failure();
            assertThat(refused.reason()).isEqualTo(TransportException.Reason.CERTIFICATE_REFUSED);
            assertThat(refused.getMessage()).contains("\"Mallory Corp\"").contains("\"Control\"");
            assertThat(o[1].failure()).isNotNull();
        }
    }

    @Test
    void aCaThatCopiesOurCasNameButNotItsKeyIsRefused() throws Exception {
        try (OrganisationAuthority ours = OrganisationAuthority.create("Control", RANDOM, NOW);
             OrganisationAuthority forger = OrganisationAuthority.create("Control", RANDOM, NOW)) {
            OrganisationTrust trust = OrganisationTrust.load(ca(dir.resolve("ours"), ours, List.of()), CLOCK);
            byte[] forged = OrganisationCertificates.unpem(forger.issue("Control-Bravo", request(BOB), NOW,
                    OrganisationAuthority.MEMBER_VALIDITY, RANDOM).pem(), OrganisationCertificates.CERTIFICATE);
            assertThatThrownBy(() -> trust.verifyMember(forged, Optional.empty()))
                    .isInstanceOfSatisfying(TransportException.class, e -> {
                        assertThat(e.reason()).isEqualTo(TransportException.Reason.CERTIFICATE_REFUSED);
                        assertThat(e.getMessage()).contains("not signed by its key");
                    });
        }
    }

    @Test
    void aRevokedCertificateIsRefusedAndOthersStillConnect() throws Exception {
        try (OrganisationAuthority ca = OrganisationAuthority.create("Control", RANDOM, NOW)) {
            Path org = dir.resolve("org");
            OrganisationTrust before = OrganisationTrust.load(ca(org, ca, List.of()), CLOCK);
            OrganisationAuthority.IssuedCertificate bobs = ca.issue("Control-Bravo", request(BOB), NOW,
                    OrganisationAuthority.MEMBER_VALIDITY, RANDOM);
            byte[] bobDer = OrganisationCertificates.unpem(bobs.pem(), OrganisationCertificates.CERTIFICATE);
            assertThat(before.verifyMember(bobDer, Optional.empty()).name()).isEqualTo("Control-Bravo");
            ca(org, ca, List.of(new OrganisationAuthority.Revocation(bobs.serial(), NOW)));
            OrganisationTrust after = OrganisationTrust.load(org.resolve("ca.crt"), CLOCK);
            assertThat(after.revokedCount()).isEqualTo(1);
            assertThatThrownBy(() -> after.verifyMember(bobDer, Optional.empty()))
                    .isInstanceOfSatisfying(TransportException.class, e -> {
                        assertThat(e.reason()).isEqualTo(TransportException.Reason.CERTIFICATE_REFUSED);
                        assertThat(e.getMessage()).contains("revoked").contains("Control-Bravo");
                    });
            TransportCertificate alice = member(ALICE, ca, after, "Control-Alpha");
            Path bobFile = dir.resolve("bob.crt");
            Files.write(bobFile, bobs.pem());
            assertThatThrownBy(() -> TransportCertificate.loadMember(bobFile, BOB.keys, after))
                    .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.getMessage())
                            .contains("revoked"));
            // Bob still holding his certificate and presenting it is refused in the handshake.
            TransportCertificate bobStale = TransportCertificate.loadMember(bobFile, BOB.keys, before);
            TlsFixtures.Outcome[] o = handshake(bobStale, BOB, alice, ALICE, SecurityLevel.ENHANCED);
            assertThat(o[1].failure().reason()).isEqualTo(TransportException.Reason.CERTIFICATE_REFUSED);
            assertThat(o[1].failure().getMessage()).contains("revoked");
        }
    }

    @Test
    void expiredAndNotYetValidCertificatesAreRefused() throws Exception {
        try (OrganisationAuthority ca = OrganisationAuthority.create("Control", RANDOM, NOW)) {
            ca(dir.resolve("org"), ca, List.of());
            byte[] der = OrganisationCertificates.unpem(ca.issue("Control-Bravo", request(BOB), NOW,
                    Duration.ofDays(2), RANDOM).pem(), OrganisationCertificates.CERTIFICATE);
            OrganisationTrust later = OrganisationTrust.load(dir.resolve("org/ca.crt"),
                    Clock.fixed(NOW.plus(Duration.ofDays(3)), ZoneOffset.UTC));
            assertThatThrownBy(() -> later.verifyMember(der, Optional.empty()))
                    .hasMessageContaining("expired");
            byte[] future = OrganisationCertificates.unpem(ca.issue("Control-Bravo", request(BOB),
                    NOW.plus(Duration.ofDays(5)), Duration.ofDays(2), RANDOM).pem(), OrganisationCertificates.CERTIFICATE);
            OrganisationTrust now = OrganisationTrust.load(dir.resolve("org/ca.crt"), CLOCK);
            assertThatThrownBy(() -> now.verifyMember(future, Optional.empty()))
                    .hasMessageContaining("not valid before");
            assertThat(now.verifyMember(der, Optional.empty()).name()).isEqualTo("Control-Bravo");
        }
    }

    @Test
    void aStaleMissingOrForeignRevocationListStopsOrganisationMode() throws Exception {
        try (OrganisationAuthority ca = OrganisationAuthority.create("Control", RANDOM, NOW);
             OrganisationAuthority other = OrganisationAuthority.create("Other", RANDOM, NOW)) {
            Path caCert = ca(dir.resolve("org"), ca, List.of());
            Clock pastNextUpdate = Clock.fixed(NOW.plus(OrganisationAuthority.CRL_VALIDITY)
                    .plus(OrganisationTrust.CRL_GRACE).plusSeconds(1), ZoneOffset.UTC);
            assertThatThrownBy(() -> OrganisationTrust.load(caCert, pastNextUpdate))
                    .isInstanceOfSatisfying(TransportException.class, e -> {
                        assertThat(e.reason()).isEqualTo(TransportException.Reason.CONFIG_INVALID);
                        assertThat(e.getMessage()).contains("expired");
                    });
            Files.write(dir.resolve("org/ca.crl"), other.revocationListPem(List.of(), 1, NOW));
            assertThatThrownBy(() -> OrganisationTrust.load(caCert, CLOCK))
                    .hasMessageContaining("not signed by this CA");
            Files.delete(dir.resolve("org/ca.crl"));
            assertThatThrownBy(() -> OrganisationTrust.load(caCert, CLOCK))
                    .hasMessageContaining("ca.crl does not exist");
            Files.write(dir.resolve("org/ca.crl"), "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"
                    .getBytes(StandardCharsets.US_ASCII));
            assertThatThrownBy(() -> OrganisationTrust.load(caCert, CLOCK))
                    .isInstanceOfSatisfying(TransportException.class,
                            e -> assertThat(e.reason()).isEqualTo(TransportException.Reason.CONFIG_INVALID));
        }
    }

    @Test
    void theListNumberIsReadAndAListWithoutOneIsRefused() throws Exception {
        try (OrganisationAuthority ca = OrganisationAuthority.create("Control", RANDOM, NOW)) {
            Path caCert = ca(dir.resolve("org"), ca, List.of());
            Files.write(dir.resolve("org/ca.crl"), ca.revocationListPem(List.of(), 7, NOW));
            OrganisationTrust trust = OrganisationTrust.load(caCert, CLOCK);
            assertThat(trust.crlNumber()).isEqualTo(java.math.BigInteger.valueOf(7));
            assertThat(trust.authorityKeyHex()).hasSize(64);
            // Signed by the CA, current, but without the cRLNumber extension: it could not be ordered.
            org.bouncycastle.asn1.x509.V2TBSCertListGenerator g = new org.bouncycastle.asn1.x509.V2TBSCertListGenerator();
            g.setSignature(TransportCertificate.ED25519);
            g.setIssuer(Certificate.getInstance(OrganisationCertificates.unpem(ca.certificatePem(),
                    OrganisationCertificates.CERTIFICATE)).getSubject());
            g.setThisUpdate(new org.bouncycastle.asn1.x509.Time(java.util.Date.from(NOW)));
            g.setNextUpdate(new org.bouncycastle.asn1.x509.Time(java.util.Date.from(NOW.plus(Duration.ofDays(30)))));
            byte[] seed = ca.exportPrivateKey();
            byte[] unnumbered = OrganisationCertificates.signed(g.generateTBSCertList(),
                    new org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters(seed, 0));
            java.util.Arrays.fill(seed, (byte) 0);
            Files.write(dir.resolve("org/ca.crl"), OrganisationCertificates.pem(unnumbered, OrganisationCertificates.CRL));
            assertThatThrownBy(() -> OrganisationTrust.load(caCert, CLOCK)).hasMessageContaining("no valid list number");
        }
    }

    @Test
    void aMemberRunningPastItsListsNextUpdateRefusesPeersUntilRestarted() throws Exception {
        try (OrganisationAuthority ca = OrganisationAuthority.create("Control", RANDOM, NOW)) {
            Path caCert = ca(dir.resolve("org"), ca, List.of());
            java.util.concurrent.atomic.AtomicReference<Instant> now = new java.util.concurrent.atomic.AtomicReference<>(NOW);
            Clock moving = new Clock() {
                @Override
                public java.time.ZoneId getZone() {
                    return ZoneOffset.UTC;
                }

                @Override
                public Clock withZone(java.time.ZoneId zone) {
                    return this;
                }

                @Override
                public Instant instant() {
                    return now.get();
                }
            };
            OrganisationTrust trust = OrganisationTrust.load(caCert, moving);
            byte[] der = OrganisationCertificates.unpem(ca.issue("Control-Bravo", request(BOB), NOW,
                    OrganisationAuthority.MEMBER_VALIDITY, RANDOM).pem(), OrganisationCertificates.CERTIFICATE);
            assertThat(trust.verifyMember(der, Optional.empty()).name()).isEqualTo("Control-Bravo");
            now.set(NOW.plus(OrganisationAuthority.CRL_VALIDITY).plus(OrganisationTrust.CRL_GRACE).plusSeconds(1));
            assertThatThrownBy(() -> trust.verifyMember(der, Optional.empty()))
                    .isInstanceOfSatisfying(TransportException.class, e -> {
                        assertThat(e.reason()).isEqualTo(TransportException.Reason.CERTIFICATE_REFUSED);
                        assertThat(e.getMessage()).contains("revocation list").contains("fresh ca.crl");
                    });
        }
    }

    @Test
    void anUncheckedIssuerNameThatIsNotAPlainNameIsNotQuoted() throws Exception {
        try (OrganisationAuthority ours = OrganisationAuthority.create("Control", RANDOM, NOW)) {
            OrganisationTrust trust = OrganisationTrust.load(ca(dir.resolve("ours"), ours, List.of()), CLOCK);
            // A certificate issued by a "CA" whose name would forge a log line: BC's builders accept it,
            // our name check would not, so it is built by hand here.
            org.bouncycastle.asn1.x500.X500Name evil = new org.bouncycastle.asn1.x500.X500NameBuilder(
                    org.bouncycastle.asn1.x500.style.BCStyle.INSTANCE)
                    .addRDN(org.bouncycastle.asn1.x500.style.BCStyle.CN, "x\n2026 INFO new peer trusted").build();
            org.bouncycastle.asn1.x509.V3TBSCertificateGenerator g = new org.bouncycastle.asn1.x509.V3TBSCertificateGenerator();
            g.setSerialNumber(new org.bouncycastle.asn1.ASN1Integer(1));
            g.setSignature(TransportCertificate.ED25519);
            g.setIssuer(evil);
            g.setSubject(evil);
            g.setStartDate(new org.bouncycastle.asn1.x509.Time(java.util.Date.from(NOW.minusSeconds(60))));
            g.setEndDate(new org.bouncycastle.asn1.x509.Time(java.util.Date.from(NOW.plusSeconds(60))));
            g.setSubjectPublicKeyInfo(new org.bouncycastle.asn1.x509.SubjectPublicKeyInfo(TransportCertificate.ED25519,
                    BOB.keys.identity().ed25519PublicKey()));
            byte[] der = OrganisationCertificates.signed(g.generateTBSCertificate(),
                    new org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters(new byte[32], 0));
            assertThatThrownBy(() -> trust.verifyMember(der, Optional.empty()))
                    .isInstanceOfSatisfying(TransportException.class, e -> {
                        assertThat(e.reason()).isEqualTo(TransportException.Reason.CERTIFICATE_REFUSED);
                        assertThat(e.getMessage()).contains("issued by another CA").doesNotContain("\n");
                    });
        }
    }

    @Test
    void aMemberCertificateForAnotherIdentityIsNotLoadedAsOurs() throws Exception {
        try (OrganisationAuthority ca = OrganisationAuthority.create("Control", RANDOM, NOW)) {
            OrganisationTrust trust = OrganisationTrust.load(ca(dir.resolve("org"), ca, List.of()), CLOCK);
            Path file = dir.resolve("bob.crt");
            Files.write(file, ca.issue("Control-Bravo", request(BOB), NOW, OrganisationAuthority.MEMBER_VALIDITY,
                    RANDOM).pem());
            assertThatThrownBy(() -> TransportCertificate.loadMember(file, ALICE.keys, trust))
                    .isInstanceOfSatisfying(TransportException.class,
                            e -> assertThat(e.reason()).isEqualTo(TransportException.Reason.IDENTITY_MISMATCH));
        }
    }

    @Test
    void aSelfSignedPeerIsRefusedInOrganisationMode() throws Exception {
        try (OrganisationAuthority ca = OrganisationAuthority.create("Control", RANDOM, NOW)) {
            OrganisationTrust trust = OrganisationTrust.load(ca(dir.resolve("org"), ca, List.of()), CLOCK);
            TransportCertificate alice = member(ALICE, ca, trust, "Control-Alpha");
            TlsFixtures.Outcome[] o = handshake(alice, ALICE, BOB.certificate, BOB, SecurityLevel.STANDARD);
            assertThat(o[0].failure().reason()).isEqualTo(TransportException.Reason.CERTIFICATE_REFUSED);
        }
    }

    @Test
    void issuingRefusesBadNamesAndRequestsThatAreNotIdentityCertificates() throws Exception {
        try (OrganisationAuthority ca = OrganisationAuthority.create("Control", RANDOM, NOW)) {
            for (String bad : new String[] {"", " lead", "a/b", "x".repeat(65), "CN=evil,O=x"}) {
                assertThatThrownBy(() -> ca.issue(bad, request(BOB), NOW, Duration.ofDays(1), RANDOM))
                        .isInstanceOf(TransportException.class);
            }
            byte[] caAsRequest = ca.certificatePem();
            assertThatThrownBy(() -> ca.issue("Bravo", caAsRequest, NOW, Duration.ofDays(1), RANDOM))
                    .hasMessageContaining("not a valid identity certificate");
            assertThatThrownBy(() -> ca.issue("Bravo", "junk".getBytes(StandardCharsets.US_ASCII), NOW,
                    Duration.ofDays(1), RANDOM)).hasMessageContaining("not a PEM certificate");
        }
    }

    @Test
    void issuingRefusesLookAlikeNamesThatMixScriptsOrAreNotComposed() throws Exception {
        try (OrganisationAuthority ca = OrganisationAuthority.create("Control", RANDOM, NOW)) {
            // "аlice" with a Cyrillic а, "Bоb" with a Cyrillic о, "A\u0301na" with a combining accent.
            for (String lookAlike : new String[] {"\u0430lice", "B\u043Eb", "A\u0301na", "Control-\u0392ravo"}) {
                assertThatThrownBy(() -> ca.issue(lookAlike, request(BOB), NOW, Duration.ofDays(1), RANDOM))
                        .as(lookAlike).isInstanceOf(TransportException.class);
            }
            assertThatThrownBy(() -> OrganisationAuthority.create("C\u043Entrol", RANDOM, NOW))
                    .hasMessageContaining("mixes the scripts");
            // One script, whichever, is a name; so are the mixtures Japanese, Chinese and Korean names need.
            for (String fine : new String[] {"\u00C1na M\u00FCller", "\u0410\u043D\u043D\u0430",
                    "\u5C71\u7530 \u305F\u308D\u3046", "\u674E\u660E Li", "\uAE40\uBBFC\uC900 2"}) {
                assertThat(ca.issue(fine, request(BOB), NOW, Duration.ofDays(1), RANDOM).name()).isEqualTo(fine);
            }
        }
        // Stored names keep the old syntax check only: revoking a name certified earlier still works.
        OrganisationAuthority.checkName("\u0430lice", "member name");
    }

    @Test
    void aMemberCertificateNeverOutlivesItsCa() throws Exception {
        try (OrganisationAuthority ca = OrganisationAuthority.create("Control", RANDOM, NOW)) {
            Instant caEnd = NOW.plus(OrganisationAuthority.CA_VALIDITY).truncatedTo(ChronoUnit.SECONDS);
            Instant late = caEnd.minus(Duration.ofDays(10));
            OrganisationAuthority.IssuedCertificate issued = ca.issue("Control-Bravo", request(BOB), late,
                    OrganisationAuthority.MEMBER_VALIDITY, RANDOM);
            assertThat(issued.notAfter()).isEqualTo(caEnd);
            Certificate c = Certificate.getInstance(OrganisationCertificates.unpem(issued.pem(),
                    OrganisationCertificates.CERTIFICATE));
            assertThat(c.getEndDate().getDate().toInstant()).isEqualTo(caEnd);
            assertThat(ca.issue("Control-Bravo", request(BOB), NOW, Duration.ofDays(30), RANDOM).notAfter())
                    .isEqualTo(NOW.plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS));
            assertThatThrownBy(() -> ca.issue("Control-Bravo", request(BOB), caEnd, Duration.ofDays(1), RANDOM))
                    .hasMessageContaining("CA certificate expired");
        }
    }

    @Test
    void aRestoredCaIssuesCertificatesItsOldSelfVouchesFor() throws Exception {
        byte[] key;
        byte[] certificate;
        try (OrganisationAuthority ca = OrganisationAuthority.create("Control", RANDOM, NOW)) {
            key = ca.exportPrivateKey();
            certificate = ca.certificatePem();
            ca(dir.resolve("org"), ca, List.of());
        }
        OrganisationTrust trust = OrganisationTrust.load(dir.resolve("org/ca.crt"), CLOCK);
        try (OrganisationAuthority again = OrganisationAuthority.restore(key, certificate)) {
            assertThat(member(BOB, again, trust, "Control-Bravo").memberName()).contains("Control-Bravo");
        }
        key[0] ^= 1;
        assertThatThrownBy(() -> OrganisationAuthority.restore(key, certificate))
                .hasMessageContaining("does not belong");
    }
}
