package org.securep2p.transport.tls;

import java.io.IOException;
import java.util.Hashtable;
import java.util.Vector;

import org.bouncycastle.tls.AbstractTlsServer;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsPSKExternal;
import org.bouncycastle.tls.TlsSession;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCrypto;

/**
 * The server side of {@link TlsProfile}: accepts only a ClientHello at its own level (checked before any
 * negotiation by {@link TlsHandshakePolicy#checkClientHello}), requires an Ed25519 client certificate and pins
 * it, presents the identity's certificate; no PSK, no resumption, no OCSP.
 */
final class TlsServerPeer extends AbstractTlsServer {

    private final TlsHandshakePolicy policy;

    TlsServerPeer(TlsCrypto crypto, TlsHandshakePolicy policy) {
        super(crypto);
        this.policy = policy;
    }

    TlsContext tlsContext() {
        return context;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return TlsProfile.VERSIONS;
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        return new int[] {TlsProfile.CIPHER_SUITE};
    }

    @Override
    public int[] getSupportedGroups() {
        return new int[] {policy.namedGroup};
    }

    @Override
    @SuppressWarnings("rawtypes")
    protected Vector getProtocolNames() {
        return TlsProfile.vectorOf(policy.alpn);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public void processClientExtensions(Hashtable clientExtensions) throws IOException {
        policy.checkClientHello(clientExtensions);
        super.processClientExtensions(clientExtensions);
    }

    @Override
    protected boolean allowCertificateStatus() {
        return false;
    }

    @Override
    public TlsCredentials getCredentials() throws IOException {
        return policy.credentials(context, TlsUtils.EMPTY_BYTES);
    }

    /** Mutual authentication: the client must prove its identity too. */
    @Override
    public CertificateRequest getCertificateRequest() throws IOException {
        return new CertificateRequest(TlsUtils.EMPTY_BYTES, TlsProfile.signatureAlgorithms(), null, null);
    }

    @Override
    public void notifyClientCertificate(Certificate clientCertificate) throws IOException {
        policy.checkPeerCertificate(clientCertificate);
    }

    @Override
    public TlsSession getSessionToResume(byte[] sessionID) {
        return null;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public TlsPSKExternal getExternalPSK(Vector identities) {
        return null;
    }

    @Override
    public int getMaxCertificateChainLength() {
        return 1;
    }

    @Override
    public int getMaxHandshakeMessageSize() {
        return TlsProfile.MAX_HANDSHAKE_MESSAGE;
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
        super.notifyHandshakeComplete();
        policy.markComplete(context);
    }
}
