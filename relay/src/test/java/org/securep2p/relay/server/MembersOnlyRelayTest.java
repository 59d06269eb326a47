package org.securep2p.relay.server;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.util.io.pem.PemReader;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.testing.Await;
import org.securep2p.relay.Inbox;
import org.securep2p.relay.MemberCredential;
import org.securep2p.relay.PinnedTrust;
import org.securep2p.relay.RelayClient;
import org.securep2p.relay.RelayConnector;
import org.securep2p.transport.cert.OrganisationAuthority;
import org.securep2p.transport.cert.TransportCertificate;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An organisation relay lets in members only (PROTOCOL.md §23.1): mutual TLS against the CA and its current list,
 * refusals in the handshake with one logged line, the list reloaded when its file changes (never to a lower
 * number), and a revoked member's open connection closed. A relay without a CA stays open (§22).
 */
class MembersOnlyRelayTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final RelayConnector.Timeouts FAST = new RelayConnector.Timeouts(Duration.ofSeconds(5),
            Duration.ofSeconds(20), Duration.ofMillis(100), Duration.ofMillis(400));
    private static InMemoryPrivateKeys alpha;
    private static InMemoryPrivateKeys bravo;

    @TempDir
    Path dir;
    private OrganisationAuthority ca;
    private Path caCertificate;
    private RelayServer relay;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final List<Logger> loggers = new ArrayList<>();

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

    @BeforeEach
    void organisation() throws Exception {
        ca = OrganisationAuthority.create("Control", RANDOM, Instant.now());
        Path orgDir = Files.createDirectories(dir.resolve("org"));
        caCertificate = orgDir.resolve("ca.crt");
        Files.write(caCertificate, ca.certificatePem());
        writeList(1, List.of());
        log.start();
        for (Class<?> c : List.of(MemberTrustManager.class, RelayServer.class, MemberTrust.class)) {
            Logger l = (Logger) org.slf4j.LoggerFactory.getLogger(c);
            l.addAppender(log);
            loggers.add(l);
        }
    }

    @AfterEach
    void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        if (relay != null) {
            relay.close();
        }
        ca.close();
        loggers.forEach(l -> l.detachAppender(log));
    }

    private void writeList(long number, List<OrganisationAuthority.Revocation> revoked) throws Exception {
        Path crl = caCertificate.resolveSibling("ca.crl");
        Path tmp = caCertificate.resolveSibling("ca.crl.tmp");
        Files.write(tmp, ca.revocationListPem(revoked, number, Instant.now()));
        Files.move(tmp, crl, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] der(byte[] pem) throws Exception {
        try (PemReader r = new PemReader(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
            return r.readPemObject().getContent();
        }
    }

    private static byte[] identityRequest(InMemoryPrivateKeys keys) throws Exception {
        byte[] self = TransportCertificate.create(keys, Clock.systemUTC()).der();
        return ("-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes(
                StandardCharsets.US_ASCII)).encodeToString(self) + "\n-----END CERTIFICATE-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static OrganisationAuthority.IssuedCertificate issue(OrganisationAuthority by, InMemoryPrivateKeys keys,
            String name) throws Exception {
        return by.issue(name, identityRequest(keys), Instant.now(), OrganisationAuthority.MEMBER_VALIDITY, RANDOM);
    }

    private static Optional<MemberCredential> credential(InMemoryPrivateKeys keys, byte[] der) {
        return Optional.of(MemberCredential.of(List.of(der), keys::signTlsCertificateVerify));
    }

    private RelayServer start(Optional<Path> trust) throws Exception {
        relay = RelayServer.start(RelayConfig.defaults("127.0.0.1", 0, dir.resolve("relay")).withTrust(trust),
                RANDOM);
        return relay;
    }

    private RawRelayClient connect(Optional<MemberCredential> member) throws Exception {
        RawRelayClient c = RawRelayClient.connect(relay.address(),
                PinnedTrust.clientContext(relay.address(), RANDOM, member), true);
        closing.add(c);
        return c;
    }

    /** Waits for the relay's one line about a refused client, and returns it. */
    private String refusal(String containing) {
        return Await.value(() -> "a refusal line containing \"" + containing + "\" in " + lines(), WAIT,
                () -> lines().stream().filter(l -> l.startsWith("refused 127.0.0.1:") && l.contains(containing))
                        .findFirst());
    }

    private List<String> lines() {
        return new CopyOnWriteArrayList<>(log.list).stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void memberWithCurrentCertificateGetsInAsItsCertifiedName() throws Exception {
        start(Optional.of(caCertificate));
        OrganisationAuthority.IssuedCertificate cert = issue(ca, alpha, "Control-Alpha");
        connect(credential(alpha, der(cert.pem())));
        Await.until("the member's connection registered", WAIT, () -> relay.members().count() == 1);
        AuthenticatedMember m = relay.members().all().get(0).member().orElseThrow();
        assertThat(m.name()).isEqualTo("Control-Alpha");
        assertThat(m.fingerprint()).isEqualTo(alpha.identity().fingerprint().toBytes());
        assertThat(m.serial()).isEqualTo(cert.serial());
        assertThat(relay.members().connectionsOf(alpha.identity().fingerprint().toBytes())).hasSize(1);
    }

    @Test
    void refusesClientWithoutCertificateInTheHandshake() throws Exception {
        start(Optional.of(caCertificate));
        assertThatThrownBy(() -> connect(Optional.empty())).isInstanceOf(Exception.class);
        assertThat(refusal("no member certificate")).matches("refused 127\\.0\\.0\\.1:\\d+: no member certificate");
        assertThat(relay.connections()).isZero();
    }

    @Test
    void refusesMemberOfAnotherCaNamingIt() throws Exception {
        start(Optional.of(caCertificate));
        try (OrganisationAuthority mallory = OrganisationAuthority.create("Mallory Corp", RANDOM, Instant.now())) {
            byte[] foreign = der(issue(mallory, alpha, "Control-Alpha").pem());
            assertThatThrownBy(() -> connect(credential(alpha, foreign))).isInstanceOf(Exception.class);
        }
        refusal("issued by \"Mallory Corp\", not by your organisation's CA \"Control\"");
        assertThat(relay.connections()).isZero();
    }

    @Test
    void refusesSelfSignedCertificate() throws Exception {
        start(Optional.of(caCertificate));
        byte[] self = TransportCertificate.create(alpha, Clock.systemUTC()).der();
        assertThatThrownBy(() -> connect(credential(alpha, self))).isInstanceOf(Exception.class);
        refusal("not by your organisation's CA \"Control\"");
        assertThat(relay.connections()).isZero();
    }

    @Test
    void revokedMemberIsRefusedAndItsOpenConnectionClosed() throws Exception {
        start(Optional.of(caCertificate));
        OrganisationAuthority.IssuedCertificate a = issue(ca, alpha, "Control-Alpha");
        OrganisationAuthority.IssuedCertificate b = issue(ca, bravo, "Control-Bravo");
        RawRelayClient open = connect(credential(alpha, der(a.pem())));
        RawRelayClient other = connect(credential(bravo, der(b.pem())));
        Await.until("two members connected", WAIT, () -> relay.members().count() == 2);

        writeList(2, List.of(new OrganisationAuthority.Revocation(a.serial(), Instant.now())));
        // The next handshake looks at the file: Alpha is refused, and the new list closes its open connection.
        assertThatThrownBy(() -> connect(credential(alpha, der(a.pem())))).isInstanceOf(Exception.class);
        refusal("revoked");
        assertThat(open.closeCode()).isEqualTo(StatusCode.POLICY_VIOLATION);
        Await.until("Alpha gone", WAIT, () -> relay.members().count() == 1);
        assertThat(other.isOpen()).isTrue();
        connect(credential(bravo, der(b.pem()))); // Bravo still gets in
    }

    @Test
    void revocationClosesOpenConnectionWithoutAnyNewHandshake() throws Exception {
        start(Optional.of(caCertificate));
        OrganisationAuthority.IssuedCertificate a = issue(ca, alpha, "Control-Alpha");
        RawRelayClient open = connect(credential(alpha, der(a.pem())));
        writeList(2, List.of(new OrganisationAuthority.Revocation(a.serial(), Instant.now())));
        relay.checkRevocations(); // what the 5 s timer does
        assertThat(open.closeCode()).isEqualTo(StatusCode.POLICY_VIOLATION);
    }

    @Test
    void lowerNumberedListIsNotLoaded() throws Exception {
        writeList(5, List.of());
        start(Optional.of(caCertificate));
        OrganisationAuthority.IssuedCertificate a = issue(ca, alpha, "Control-Alpha");
        RawRelayClient open = connect(credential(alpha, der(a.pem())));
        writeList(4, List.of(new OrganisationAuthority.Revocation(a.serial(), Instant.now())));
        relay.checkRevocations();
        assertThat(lines()).anyMatch(l -> l.contains("its number 4 is lower than the loaded list's 5"));
        connect(credential(alpha, der(a.pem())));
        assertThat(open.isOpen()).isTrue();
        assertThat(relay.members().connectionsOf(alpha.identity().fingerprint().toBytes())).hasSize(2);
    }

    @Test
    void restartRefusesAListOlderThanOneLoadedBefore() throws Exception {
        start(Optional.of(caCertificate));
        writeList(3, List.of());
        relay.checkRevocations();
        relay.close();
        relay = null;
        writeList(2, List.of());
        assertThatThrownBy(() -> start(Optional.of(caCertificate))).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("number 2, but number 3 of this CA was loaded here before");
        writeList(3, List.of()); // the same number again is fine
        start(Optional.of(caCertificate));
    }

    @Test
    void doesNotStartWithoutTheListBesideTheCa() throws Exception {
        Files.delete(caCertificate.resolveSibling("ca.crl"));
        assertThatThrownBy(() -> start(Optional.of(caCertificate))).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("ca.crl");
    }

    @Test
    void openRelayStillAcceptsClientsWithoutCertificate() throws Exception {
        start(Optional.empty());
        connect(Optional.empty());
        // A member's client presents nothing to an open relay: it does not ask.
        connect(credential(alpha, der(issue(ca, alpha, "Control-Alpha").pem())));
        Await.until("both admitted", WAIT, () -> relay.connections() == 2);
        assertThat(relay.members().count()).isZero();
    }

    @Test
    void memberClientSignsCertificateVerifyThroughItsCallback() throws Exception {
        start(Optional.of(caCertificate));
        byte[] cert = der(issue(ca, alpha, "Control-Alpha").pem());
        List<byte[]> asked = new CopyOnWriteArrayList<>();
        // No key object: a callback over the in-memory key holder, as the app passes the key manager's.
        MemberCredential member = MemberCredential.of(List.of(cert), content -> {
            asked.add(content.clone());
            return alpha.signTlsCertificateVerify(content);
        });
        RelayConnector connector = RelayConnector.start(relay.address(), RANDOM, FAST, Optional.empty(),
                Optional.of(member));
        closing.add(connector);
        RelayClient client = connector.open();
        Inbox inbox = Inbox.generate(relay.address(), RANDOM);
        client.create(inbox).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(client.state()).isEqualTo(RelayClient.State.CONNECTED);
        assertThat(asked).isNotEmpty();
        assertThat(new String(asked.get(0), 64, 33, StandardCharsets.US_ASCII))
                .isEqualTo("TLS 1.3, client CertificateVerify");
        assertThat(relay.members().connectionsOf(alpha.identity().fingerprint().toBytes())).hasSize(1);
    }

    @Test
    void memberWhoseKeyHolderRefusesToSignDoesNotGetIn() throws Exception {
        start(Optional.of(caCertificate));
        byte[] cert = der(issue(ca, alpha, "Control-Alpha").pem());
        // Alpha's certificate with Bravo's key holder: CertificateVerify does not verify under the subject key.
        assertThatThrownBy(() -> connect(credential(bravo, cert))).isInstanceOf(Exception.class);
        assertThat(relay.members().count()).isZero();
    }
}
