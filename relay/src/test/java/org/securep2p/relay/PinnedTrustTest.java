package org.securep2p.relay;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.SeededRandom;
import org.securep2p.relay.server.RelayIdentity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

class PinnedTrustTest {

    @TempDir
    static Path dir;
    static RelayIdentity relay;
    static RelayIdentity other;

    @BeforeAll
    static void identities() throws IOException {
        relay = RelayIdentity.loadOrCreate(dir.resolve("a"), new SeededRandom("relay a"), Clock.systemUTC());
        other = RelayIdentity.loadOrCreate(dir.resolve("b"), new SeededRandom("relay b"), Clock.systemUTC());
    }

    private static RelayAddress addressOf(RelayIdentity identity) {
        return new RelayAddress("relay.example", 443, identity.fingerprint());
    }

    private static SSLEngine serverEngine(RelayIdentity identity) {
        return identity.serverContext(new SecureRandom()).createSSLEngine();
    }

    @Test
    void acceptsExactlyTheKeyOfItsAddressOverTls13() throws Exception {
        SSLEngine client = PinnedTrust.clientContext(addressOf(relay), new SecureRandom()).createSSLEngine();
        SSLEngine server = serverEngine(relay);
        EngineHandshake.run(client, server);
        assertThat(client.getSession().getProtocol()).isEqualTo("TLSv1.3");
        assertThat(client.getSession().getCipherSuite()).isIn(RelayTlsProfile.CIPHER_SUITES);
        assertThat(PinnedTrust.fingerprint((java.security.cert.X509Certificate)
                client.getSession().getPeerCertificates()[0])).isEqualTo(relay.fingerprint());
    }

    @Test
    void refusesAnotherKeyWithTheWrongRelayKeySentence() {
        SSLEngine client = PinnedTrust.clientContext(addressOf(relay), new SecureRandom()).createSSLEngine();
        Throwable failure = catchThrowable(() -> EngineHandshake.run(client, serverEngine(other)));
        assertThat(failure).isInstanceOf(SSLException.class);
        assertThat(PinnedTrust.isWrongRelayKey(failure)).isTrue();
        Throwable cause = failure;
        while (!(cause instanceof PinnedTrust.WrongRelayKeyException)) {
            cause = cause.getCause();
        }
        assertThat(cause).hasMessage(
                "the relay at relay.example:443 presented another key than the one in its address");
    }

    @Test
    void aFailureForAnotherReasonIsNotAWrongKey() {
        assertThat(PinnedTrust.isWrongRelayKey(new SSLException("closed", new IOException("reset")))).isFalse();
        assertThat(PinnedTrust.isWrongRelayKey(null)).isFalse();
    }

    @Test
    void aClientOfferingOnlyTheHybridGroupCompletesTheHandshake() throws SSLException {
        EngineHandshake.run(clientOffering(List.of("X25519MLKEM768")), serverEngine(relay));
    }

    @Test
    void aClientOfferingOnlyX25519StillConnects() throws SSLException {
        EngineHandshake.run(clientOffering(List.of("x25519")), serverEngine(relay));
    }

    @Test
    void aClientOfferingNoneOfTheRelayGroupsIsRefused() {
        // Shows the server's groups are really restricted (BC's default list would accept secp256r1).
        assertThatThrownBy(() -> EngineHandshake.run(clientOffering(List.of("secp256r1")), serverEngine(relay)))
                .isInstanceOf(SSLException.class);
    }

    @Test
    void aClientOfTls12OnlyIsRefused() {
        SSLEngine client = clientOffering(RelayTlsProfile.NAMED_GROUPS);
        client.setEnabledProtocols(new String[] {"TLSv1.2"});
        client.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"});
        assertThatThrownBy(() -> EngineHandshake.run(client, serverEngine(relay))).isInstanceOf(SSLException.class);
    }

    private static SSLEngine clientOffering(List<String> groups) {
        SSLContext c = RelayTlsProfile.context(null, new TrustManager[] {PinnedTrust.trustManager(addressOf(relay))}, new SecureRandom(),
                groups);
        return c.createSSLEngine();
    }

}
