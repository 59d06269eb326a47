package org.securep2p.transport.tls;

import java.io.IOException;
import java.util.Hashtable;
import java.util.Vector;

import org.bouncycastle.tls.AbstractTlsClient;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.CertificateStatusRequest;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.TlsSession;
import org.bouncycastle.tls.crypto.TlsCrypto;
import org.bouncycastle.util.Integers;
import org.securep2p.transport.TransportException;

import static org.securep2p.transport.TransportException.Reason.TLS_FAILED;

/**
 * The client side of {@link TlsProfile}: offers exactly the level's version, suite, group, Ed25519 and ALPN
 * name, one key share, no PSK, no resumption, no OCSP; authenticates with the identity's certificate and
 * pins the server's through {@link TlsHandshakePolicy}.
 */
final class TlsClientPeer extends AbstractTlsClient {

    private final TlsHandshakePolicy policy;

    TlsClientPeer(TlsCrypto crypto, TlsHandshakePolicy policy) {
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
    @SuppressWarnings("rawtypes")
    protected Vector getSupportedGroups(Vector namedGroupRoles) {
        return TlsProfile.vectorOf(Integers.valueOf(policy.namedGroup));
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Vector getEarlyKeyShareGroups() {
        return TlsProfile.vectorOf(Integers.valueOf(policy.namedGroup));
    }

    @Override
    @SuppressWarnings("rawtypes")
    protected Vector getSupportedSignatureAlgorithms() {
        return TlsProfile.signatureAlgorithms();
    }

    @Override
    @SuppressWarnings("rawtypes")
    protected Vector getProtocolNames() {
        return TlsProfile.vectorOf(policy.alpn);
    }

    /** No OCSP: there is no CA, and the pin is the only trust. */
    @Override
    protected CertificateStatusRequest getCertificateStatusRequest() {
        return null;
    }

    /** No fake session id and ChangeCipherSpec: there are no middleboxes to please inside our channel. */
    @Override
    public boolean shouldUseCompatibilityMode() {
        return false;
    }

    @Override
    public TlsSession getSessionToResume() {
        return null;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Vector getExternalPSKs() {
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
    @SuppressWarnings("rawtypes")
    public void processServerExtensions(Hashtable serverExtensions) throws IOException {
        super.processServerExtensions(serverExtensions);
        policy.checkServerExtensions(serverExtensions);
    }

    @Override
    public TlsAuthentication getAuthentication() {
        return new TlsAuthentication() {
            @Override
            public void notifyServerCertificate(TlsServerCertificate serverCertificate) throws IOException {
                policy.checkPeerCertificate(serverCertificate.getCertificate());
            }

            @Override
            public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
                if (request.getSupportedSignatureAlgorithms() == null
                        || !request.getSupportedSignatureAlgorithms().contains(SignatureAndHashAlgorithm.ed25519)) {
                    throw policy.refuse(new TransportException(TLS_FAILED,
                            "the peer does not accept an Ed25519 client certificate"),
                            AlertDescription.handshake_failure);
                }
                return policy.credentials(context, request.getCertificateRequestContext());
            }
        };
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
        super.notifyHandshakeComplete();
        policy.markComplete(context);
    }
}
