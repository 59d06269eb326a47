package org.securep2p.transport.cert;

import java.time.Instant;

import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.transport.TransportException;

/**
 * Broken certificates for the TLS tests in another package. The steps they need stay package-private in
 * {@link TransportCertificate}, so the exported API shows no Bouncy Castle type and no unchecked constructor.
 */
public final class CertificateTesting {

    private CertificateTesting() {
    }

    /** A certificate as given, without any check. */
    public static TransportCertificate unchecked(byte[] der, IdentityPublicKeys identity) {
        return TransportCertificate.uncheckedForTests(der, identity);
    }

    /** The DER of a certificate for {@code subjectKey} that claims {@code identity}, signed by {@code keys}. */
    public static byte[] signedClaiming(PrivateKeyOperations keys, byte[] subjectKey, IdentityPublicKeys identity,
            Instant now) throws TransportException {
        return TransportCertificate.signedDer(keys, TransportCertificate.tbs(subjectKey, identity, now));
    }
}
