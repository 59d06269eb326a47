package org.securep2p.transport.cert;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;

import org.securep2p.transport.TransportException;
import org.securep2p.transport.tls.TlsFixtures;

/**
 * Coverage-guided fuzzing of the certificate checks that see a peer's or an organisation's bytes: the peer's
 * transport certificate ({@link TransportCertificate#verify}), the organisation's CA certificate and revocation
 * list ({@link OrganisationTrust}, which parses the CRL), and a member certificate checked against them
 * ({@link OrganisationTrust#verifyMember}). Every input ends in a {@link TransportException} of the documented
 * reasons, or in acceptance, within a bounded time (Bouncy Castle's ASN.1 parser is under these checks);
 * never in another exception. The fixed CA, revocation list and clock of the checks are in
 * {@code CertificateFuzzInputs/fixtures/}; the seeds are a real transport certificate, a member certificate
 * issued by that CA, the CA certificate and the revocation list.
 */
class CertificateFuzz {

    /** Far above what a check takes (milliseconds), far below what a pathological input would. */
    private static final Duration BOUND = Duration.ofSeconds(5);
    private static final Clock CLOCK = TlsFixtures.CLOCK;
    private static final byte[] CA = fixture("ca.der");
    private static final byte[] CRL = fixture("crl.der");
    private static final OrganisationTrust TRUST;

    static {
        try {
            TRUST = OrganisationTrust.of(CA, CRL, CLOCK);
        } catch (TransportException e) {
            throw new AssertionError("the fixtures no longer make a valid organisation", e);
        }
    }

    @FuzzTest(maxDuration = "5m")
    void transportCertificateIsVerifiedOrRefused(byte[] der) {
        long start = System.nanoTime();
        try {
            TransportCertificate.verify(der, Optional.empty());
        } catch (TransportException e) {
            assertThat(e.reason()).isIn(EnumSet.of(TransportException.Reason.TLS_FAILED,
                    TransportException.Reason.IDENTITY_MISMATCH));
        }
        assertBounded(start);
    }

    /** The first byte says which of the two is replaced by the rest: 0 the CA certificate, 1 the CRL. */
    @FuzzTest(maxDuration = "5m")
    void organisationLoadsOrIsRefused(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] fuzzed = Arrays.copyOfRange(input, 1, input.length);
        boolean replaceCa = (input[0] & 1) == 0;
        long start = System.nanoTime();
        try {
            OrganisationTrust trust = OrganisationTrust.of(replaceCa ? fuzzed : CA, replaceCa ? CRL : fuzzed, CLOCK);
            assertThat(trust.revokedCount()).isNotNegative();
            assertThat(trust.crlNumber().signum()).isNotNegative();
        } catch (TransportException e) {
            assertThat(e.reason()).isEqualTo(TransportException.Reason.CONFIG_INVALID);
        }
        assertBounded(start);
    }

    @FuzzTest(maxDuration = "5m")
    void memberCertificateIsVerifiedOrRefused(byte[] der) {
        long start = System.nanoTime();
        try {
            OrganisationTrust.CertifiedMember member = TRUST.verifyMember(der, Optional.empty());
            assertThat(member.name()).isNotEmpty();
        } catch (TransportException e) {
            assertThat(e.reason()).isIn(EnumSet.of(TransportException.Reason.CERTIFICATE_REFUSED,
                    TransportException.Reason.IDENTITY_MISMATCH));
        }
        assertBounded(start);
    }

    private static void assertBounded(long start) {
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(BOUND);
    }

    private static byte[] fixture(String name) {
        try (InputStream in = CertificateFuzz.class.getResourceAsStream("CertificateFuzzInputs/fixtures/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
