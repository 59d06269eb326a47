package org.securep2p.relay.server;

import java.net.Socket;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

import org.securep2p.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The organisation relay's TLS trust (PROTOCOL.md §23.1): a client is let in only with exactly one certificate
 * that passes §21.2's checks 1 to 7 against the CA and the list in force (looked at again before each handshake).
 * A refusal fails the handshake (alert {@code certificate_unknown}) and logs one line with the remote address and
 * the reason; nothing else of it is kept. Not its job: the server's own key (the relay's identity) or clients
 * that send no certificate at all (TLS itself refuses them with {@code certificate_required}; the server logs
 * those from its handshake listener).
 */
final class MemberTrustManager extends X509ExtendedTrustManager {

    private static final Logger LOG = LoggerFactory.getLogger(MemberTrustManager.class);

    /** Marks a handshake failure already logged here, so the server's handshake listener does not log it again. */
    static final class MemberRefusedException extends CertificateException {
        private static final long serialVersionUID = 1L;

        MemberRefusedException(String reason) {
            super(reason);
        }
    }

    private final MemberTrust trust;

    MemberTrustManager(MemberTrust trust) {
        this.trust = trust;
    }

    private void check(X509Certificate[] chain, String remote) throws CertificateException {
        String reason;
        if (chain == null || chain.length != 1) {
            reason = "presented " + (chain == null ? 0 : chain.length) + " certificates, not one member certificate";
        } else {
            try {
                trust.verify(chain[0].getEncoded());
                return;
            } catch (CertificateEncodingException e) {
                reason = "the certificate does not encode";
            } catch (TransportException e) {
                reason = e.getMessage();
            }
        }
        LOG.info("refused {}: {}", remote, reason);
        throw new MemberRefusedException(reason);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, engine == null ? "?" : engine.getPeerHost() + ":" + engine.getPeerPort());
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain, socket == null ? "?" : String.valueOf(socket.getRemoteSocketAddress()));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, "?");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the relay trusts no server");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("the relay trusts no server");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("the relay trusts no server");
    }

    /** No CA names in the CertificateRequest: a member has one certificate, and the relay names no one. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
