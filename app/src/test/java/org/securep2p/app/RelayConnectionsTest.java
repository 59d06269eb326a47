package org.securep2p.app;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.relay.Inbox;
import org.securep2p.relay.MemberCredential;
import org.securep2p.relay.server.RelayConfig;
import org.securep2p.relay.server.RelayServer;
import org.securep2p.transport.cert.OrganisationAuthority;
import org.securep2p.transport.cert.TransportCertificate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The messenger's relay clients present the member certificate in organisation mode (PROTOCOL.md §23.2). */
class RelayConnectionsTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    @Test
    void inOrganisationModeEveryRelayClientPresentsTheMemberCertificate() throws Exception {
        try (OrganisationAuthority ca = OrganisationAuthority.create("Control", RANDOM, Instant.now());
             InMemoryPrivateKeys keys = InMemoryPrivateKeys.generate(RANDOM, Clock.systemUTC(), 0, 0)) {
            Path caCertificate = Files.createDirectories(dir.resolve("org")).resolve("ca.crt");
            Files.write(caCertificate, ca.certificatePem());
            Files.write(caCertificate.resolveSibling("ca.crl"), ca.revocationListPem(List.of(), 1, Instant.now()));
            byte[] self = TransportCertificate.create(keys, Clock.systemUTC()).der();
            byte[] request = ("-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'})
                    .encodeToString(self) + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.US_ASCII);
            String pem = new String(ca.issue("Control-Alpha", request, Instant.now(),
                    OrganisationAuthority.MEMBER_VALIDITY, RANDOM).pem(), StandardCharsets.US_ASCII);
            byte[] member = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
            try (RelayServer relay = RelayServer.start(RelayConfig.defaults("127.0.0.1", 0, dir.resolve("relay"))
                    .withTrust(Optional.of(caCertificate)), RANDOM);
                 RelayConnections asMember = new RelayConnections(RANDOM, Optional.of(relay.address()),
                         Optional.empty(), Optional.of(MemberCredential.of(List.of(member),
                                 keys::signTlsCertificateVerify)));
                 RelayConnections outsider = new RelayConnections(RANDOM)) {
                asMember.apply(relay.address()).create(Inbox.generate(relay.address(), RANDOM))
                        .get(10, TimeUnit.SECONDS);
                assertThatThrownBy(() -> outsider.apply(relay.address())
                        .create(Inbox.generate(relay.address(), RANDOM)).get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class);
                assertThat(relay.connections()).isEqualTo(1);
            }
        }
    }
}
