package org.securep2p.relay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.relay.server.RelayServerTest.assertError;
import static org.securep2p.relay.server.RelayServerTest.assertOk;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.bouncycastle.util.io.pem.PemReader;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.relay.MemberCredential;
import org.securep2p.relay.MemberDirectory;
import org.securep2p.relay.PinnedTrust;
import org.securep2p.relay.RelayException.Reason;
import org.securep2p.relay.RelayFrame;
import org.securep2p.transport.cert.OrganisationAuthority;
import org.securep2p.transport.cert.TransportCertificate;

/**
 * The directory on a relay started with {@code --trust} (PROTOCOL.md §23.1, §23.3–23.4), members authenticated by
 * real mutual TLS: what a member publishes carries the certificate it authenticated with, requests are stamped with
 * it, and a member revoked in a newer list leaves the listing.
 */
@SuppressWarnings("try") // RawRelayClient.close() may be interrupted; these tests are never interrupted
class OrganisationDirectoryTlsTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static InMemoryPrivateKeys alpha;
    private static InMemoryPrivateKeys bravo;

    @TempDir
    Path dir;
    private OrganisationAuthority ca;
    private Path caCertificate;
    private RelayServer relay;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeAll
    static void keys() throws Exception {
        alpha = InMemoryPrivateKeys.generate(RANDOM, Clock.systemUTC(), 0, 0);
        bravo = InMemoryPrivateKeys.generate(RANDOM, Clock.systemUTC(), 0, 0);
    }

    @AfterAll
    static void wipe() {
        alpha.close();
        bravo.close();
    }

    @AfterEach
    void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        if (relay != null) {
            relay.close();
        }
        if (ca != null) {
            ca.close();
        }
    }

    private void organisation() throws Exception {
        ca = OrganisationAuthority.create("Control", RANDOM, Instant.now());
        Path orgDir = Files.createDirectories(dir.resolve("org"));
        caCertificate = orgDir.resolve("ca.crt");
        Files.write(caCertificate, ca.certificatePem());
        writeList(1, List.of());
        relay = RelayServer.start(RelayConfig.defaults("127.0.0.1", 0, dir.resolve("relay"))
                .withTrust(Optional.of(caCertificate)), RANDOM);
    }

    private void writeList(long number, List<OrganisationAuthority.Revocation> revoked) throws Exception {
        Path tmp = caCertificate.resolveSibling("ca.crl.tmp");
        Files.write(tmp, ca.revocationListPem(revoked, number, Instant.now()));
        Files.move(tmp, caCertificate.resolveSibling("ca.crl"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The member certificate (DER) the CA issues for {@code keys}' identity. */
    private OrganisationAuthority.IssuedCertificate issue(InMemoryPrivateKeys keys, String name) throws Exception {
        byte[] self = TransportCertificate.create(keys, Clock.systemUTC()).der();
        byte[] request = ("-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes(
                StandardCharsets.US_ASCII)).encodeToString(self) + "\n-----END CERTIFICATE-----\n")
                .getBytes(StandardCharsets.US_ASCII);
        return ca.issue(name, request, Instant.now(), OrganisationAuthority.MEMBER_VALIDITY, RANDOM);
    }

    private static byte[] der(OrganisationAuthority.IssuedCertificate cert) throws Exception {
        try (PemReader r = new PemReader(new StringReader(new String(cert.pem(), StandardCharsets.US_ASCII)))) {
            return r.readPemObject().getContent();
        }
    }

    private RawRelayClient connect(InMemoryPrivateKeys keys, byte[] der) throws Exception {
        RawRelayClient c = RawRelayClient.connect(relay.address(), PinnedTrust.clientContext(relay.address(), RANDOM,
                Optional.of(MemberCredential.of(List.of(der), keys::signTlsCertificateVerify))), true);
        closing.add(c);
        return c;
    }

    private static List<MemberDirectory.Listing> members(RawRelayClient c) throws Exception {
        c.send(new RelayFrame.Members(c.nextId()));
        RelayFrame f = c.next();
        assertThat(f).isInstanceOf(RelayFrame.MemberList.class);
        return ((RelayFrame.MemberList) f).members();
    }

    @Test
    void theDirectoryCarriesTheCertificatesMembersAuthenticatedWith() throws Exception {
        organisation();
        OrganisationAuthority.IssuedCertificate alphaCert = issue(alpha, "Control-Alpha");
        byte[] alphaDer = der(alphaCert);
        byte[] bravoDer = der(issue(bravo, "Control-Bravo"));
        RawRelayClient a = connect(alpha, alphaDer);
        RawRelayClient b = connect(bravo, bravoDer);

        a.send(new RelayFrame.Publish(a.nextId(), new byte[] {1, 2, 3}));
        assertOk(a.next(), 0);
        List<MemberDirectory.Listing> list = members(b);
        assertThat(list).hasSize(1);
        assertThat(list.get(0).name()).isEqualTo("Control-Alpha");
        assertThat(list.get(0).fingerprint()).isEqualTo(alpha.identity().fingerprint().toBytes());
        assertThat(list.get(0).online()).isTrue();
        b.send(new RelayFrame.Lookup(b.nextId(), alpha.identity().fingerprint().toBytes()));
        RelayFrame.Entry e = (RelayFrame.Entry) b.next();
        assertThat(e.certificate()).isEqualTo(alphaDer);
        assertThat(e.bundle()).isEqualTo(new byte[] {1, 2, 3});

        b.send(new RelayFrame.Request(b.nextId(), alpha.identity().fingerprint().toBytes(), new byte[] {7}));
        assertOk(b.next(), 0);
        RelayFrame.Incoming in = (RelayFrame.Incoming) a.next();
        assertThat(in.fromCertificate()).isEqualTo(bravoDer);

        // Alpha is revoked in a newer list: its connection closes and it leaves the listing.
        writeList(2, List.of(new OrganisationAuthority.Revocation(alphaCert.serial(), Instant.now())));
        relay.checkRevocations();
        assertThat(a.closeCode()).isEqualTo(StatusCode.POLICY_VIOLATION);
        assertThat(members(b)).isEmpty();
        b.send(new RelayFrame.Lookup(b.nextId(), alpha.identity().fingerprint().toBytes()));
        assertError(b.next(), Reason.UNKNOWN_MEMBER);
    }
}
