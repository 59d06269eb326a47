package org.securep2p.crypto;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.CryptoException.Reason;
import org.securep2p.crypto.testing.SeededRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The two transport signing operations of {@link PrivateKeyOperations}: each signs exactly its one shape of
 * input (a TLS 1.3 CertificateVerify input, this identity's own TBSCertificate) and refuses every other
 * shape before signing.
 */
class TransportSigningTest {

    /** RFC 8410. */
    private static final ASN1ObjectIdentifier ID_X25519 = new ASN1ObjectIdentifier("1.3.101.110");
    private static final ASN1ObjectIdentifier ID_ED448 = new ASN1ObjectIdentifier("1.3.101.113");

    private static InMemoryPrivateKeys keys;
    private static InMemoryPrivateKeys other;

    @BeforeAll
    static void makeKeys() throws CryptoException {
        SeededRandom random = new SeededRandom("TransportSigningTest");
        keys = InMemoryPrivateKeys.generate(random, Parties.CLOCK, 0, 0);
        other = InMemoryPrivateKeys.generate(random, Parties.CLOCK, 0, 0);
    }

    @AfterAll
    static void wipeKeys() {
        keys.close();
        other.close();
    }

    private static byte[] certificateVerifyInput(String context, int hashLength) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < 64; i++) {
            out.write(0x20);
        }
        out.writeBytes(context.getBytes(StandardCharsets.US_ASCII));
        out.write(0);
        byte[] hash = new byte[hashLength];
        Arrays.fill(hash, (byte) 0xA5);
        out.writeBytes(hash);
        return out.toByteArray();
    }

    private static byte[] tbs(AlgorithmIdentifier signature, SubjectPublicKeyInfo spki) throws IOException {
        V3TBSCertificateGenerator g = new V3TBSCertificateGenerator();
        g.setSerialNumber(new ASN1Integer(7));
        g.setSignature(signature);
        g.setIssuer(new X500Name("CN=securep2p test"));
        g.setSubject(new X500Name("CN=securep2p test"));
        g.setStartDate(new Time(Date.from(Instant.parse("2026-01-01T00:00:00Z"))));
        g.setEndDate(new Time(Date.from(Instant.parse("2040-01-01T00:00:00Z"))));
        g.setSubjectPublicKeyInfo(spki);
        return g.generateTBSCertificate().getEncoded(ASN1Encoding.DER);
    }

    private static SubjectPublicKeyInfo ed25519Spki(IdentityPublicKeys identity) {
        return new SubjectPublicKeyInfo(new AlgorithmIdentifier(TransportSigning.ID_ED25519),
                identity.ed25519PublicKey());
    }

    private static final AlgorithmIdentifier ED25519 = new AlgorithmIdentifier(TransportSigning.ID_ED25519);

    private static void assertRefusedCertificateVerify(byte[] input) {
        assertThatThrownBy(() -> keys.signTlsCertificateVerify(input)).isInstanceOf(CryptoException.class)
                .extracting(e -> ((CryptoException) e).reason()).isEqualTo(Reason.UNSUPPORTED_PARAMETER);
    }

    private static void assertRefusedCertificate(byte[] input, Reason reason) {
        assertThatThrownBy(() -> keys.signTransportCertificate(input)).isInstanceOf(CryptoException.class)
                .extracting(e -> ((CryptoException) e).reason()).isEqualTo(reason);
    }

    @Test
    void signsServerAndClientCertificateVerifyInputsWithEitherHashLength() throws CryptoException {
        byte[] pk = keys.identity().ed25519PublicKey();
        for (String context : new String[] {TransportSigning.SERVER_CONTEXT, TransportSigning.CLIENT_CONTEXT}) {
            for (int hashLength : new int[] {32, 48}) {
                byte[] input = certificateVerifyInput(context, hashLength);
                byte[] signature = keys.signTlsCertificateVerify(input);
                assertThat(Ed25519.verify(pk, input, signature)).as("%s / %d", context, hashLength).isTrue();
            }
        }
    }

    @Test
    void identityGivesItsEd25519KeyAsACopy() {
        byte[] pk = keys.identity().ed25519PublicKey();
        assertThat(pk).hasSize(32).isEqualTo(keys.identity().ed25519());
        pk[0] ^= 1;
        assertThat(keys.identity().ed25519PublicKey()).isEqualTo(keys.identity().ed25519());
    }

    @Test
    void rejectsCertificateVerifyInputWithAnyChangedPrefixByte() {
        byte[] good = certificateVerifyInput(TransportSigning.SERVER_CONTEXT, 32);
        int prefix = 64 + TransportSigning.SERVER_CONTEXT.length() + 1;
        for (int i = 0; i < prefix; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x01;
            assertRefusedCertificateVerify(bad);
        }
    }

    @Test
    void rejectsCertificateVerifyInputWithAnotherContext() {
        for (String context : new String[] {"TLS 1.3, server CertificateVerifz", "TLS 1.2, client CertificateVerify",
                "TLS 1.3, SERVER CertificateVerify", "securep2p/v1/handshake/initiator"}) {
            assertRefusedCertificateVerify(certificateVerifyInput(context, 32));
        }
    }

    @Test
    void rejectsCertificateVerifyInputOfAnyOtherLength() {
        byte[] longest = certificateVerifyInput(TransportSigning.CLIENT_CONTEXT, 200);
        for (int length = 0; length <= longest.length; length++) {
            if (length == 130 || length == 146) {
                continue;
            }
            assertRefusedCertificateVerify(Arrays.copyOf(longest, length));
        }
        assertRefusedCertificateVerify(null);
    }

    @Test
    void rejectsACertificateGivenAsCertificateVerifyInput() throws IOException {
        assertRefusedCertificateVerify(tbs(ED25519, ed25519Spki(keys.identity())));
    }

    @Test
    void signsItsOwnTbsCertificate() throws Exception {
        byte[] tbs = tbs(ED25519, ed25519Spki(keys.identity()));
        byte[] signature = keys.signTransportCertificate(tbs);
        assertThat(Ed25519.verify(keys.identity().ed25519PublicKey(), tbs, signature)).isTrue();
    }

    @Test
    void rejectsTbsCertificateForAnotherIdentity() throws IOException {
        assertRefusedCertificate(tbs(ED25519, ed25519Spki(other.identity())), Reason.WRONG_KEY_TYPE);
    }

    @Test
    void rejectsTbsCertificateForAnotherKeyType() throws IOException {
        byte[] key = keys.identity().ed25519PublicKey();
        assertRefusedCertificate(tbs(ED25519, new SubjectPublicKeyInfo(
                new AlgorithmIdentifier(ID_X25519), key)), Reason.WRONG_KEY_TYPE);
        assertRefusedCertificate(tbs(ED25519, new SubjectPublicKeyInfo(
                new AlgorithmIdentifier(TransportSigning.ID_ED25519, DERNull.INSTANCE), key)),
                Reason.WRONG_KEY_TYPE);
    }

    @Test
    void rejectsTbsCertificateWithAnotherSignatureAlgorithm() throws IOException {
        SubjectPublicKeyInfo spki = ed25519Spki(keys.identity());
        assertRefusedCertificate(tbs(new AlgorithmIdentifier(ID_ED448), spki),
                Reason.UNSUPPORTED_PARAMETER);
        assertRefusedCertificate(tbs(new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256), spki),
                Reason.UNSUPPORTED_PARAMETER);
        assertRefusedCertificate(tbs(new AlgorithmIdentifier(TransportSigning.ID_ED25519, DERNull.INSTANCE),
                spki), Reason.UNSUPPORTED_PARAMETER);
    }

    @Test
    void rejectsBytesThatAreNotExactlyADerTbsCertificate() throws IOException {
        byte[] good = tbs(ED25519, ed25519Spki(keys.identity()));
        assertRefusedCertificate(Arrays.copyOf(good, good.length + 1), Reason.UNSUPPORTED_PARAMETER);
        assertRefusedCertificate(Arrays.copyOf(good, good.length - 1), Reason.UNSUPPORTED_PARAMETER);
        assertRefusedCertificate(new byte[0], Reason.UNSUPPORTED_PARAMETER);
        assertRefusedCertificate(null, Reason.UNSUPPORTED_PARAMETER);
        assertRefusedCertificate(new byte[TransportSigning.MAX_TBS_CERTIFICATE_LENGTH + 1],
                Reason.UNSUPPORTED_PARAMETER);
        assertRefusedCertificate(certificateVerifyInput(TransportSigning.SERVER_CONTEXT, 32),
                Reason.UNSUPPORTED_PARAMETER);
        assertRefusedCertificate("securep2p/v1/handshake/initiator-signature".getBytes(StandardCharsets.US_ASCII),
                Reason.UNSUPPORTED_PARAMETER);

        // The same SEQUENCE with a non-minimal (BER) length: parses, but is not the DER that would be signed.
        assertThat(good[1] & 0x80).as("long-form length").isEqualTo(0x80);
        byte[] ber = new byte[good.length + 1];
        ber[0] = 0x30;
        ber[1] = (byte) (good[1] + 1);
        ber[2] = 0;
        System.arraycopy(good, 2, ber, 3, good.length - 2);
        assertRefusedCertificate(ber, Reason.UNSUPPORTED_PARAMETER);
    }
}
