package org.securep2p.transport.tls;

import java.io.IOException;
import java.util.Hashtable;
import java.util.Objects;
import java.util.Optional;
import java.util.Vector;
import java.util.function.Supplier;

import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.DefaultTlsCredentialedSigner;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsExtensionsUtils;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCrypto;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.TransportException;
import org.securep2p.transport.cert.OrganisationTrust;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.reliable.ReliableAuth;

import static org.securep2p.transport.TransportException.Reason.CERTIFICATE_REFUSED;
import static org.securep2p.transport.TransportException.Reason.DOWNGRADE;
import static org.securep2p.transport.TransportException.Reason.IDENTITY_MISMATCH;
import static org.securep2p.transport.TransportException.Reason.TLS_FAILED;

/**
 * What both TLS peers check and present, and what they found out. Bouncy Castle calls in here from inside
 * the protocol object; every call runs under the owning {@link TlsChannel}'s lock, so the fields need no
 * further guard. A check that fails records a precise {@link TransportException} before throwing the alert,
 * because the alert alone would lose the reason (a pin mismatch and a malformed certificate both end in
 * a certificate alert).
 */
public final class TlsHandshakePolicy {

    final SecurityLevel level;
    final int namedGroup;
    final ProtocolName alpn;
    private final TlsCrypto crypto;
    private final PrivateKeyOperations keys;
    private final TransportCertificate certificate;
    /** Read when the peer's certificate is checked, not before: see {@link TlsChannel}'s pin supplier. */
    private final Supplier<Optional<Fingerprint>> pin;

    private TransportException failure;
    private IdentityPublicKeys peerIdentity;
    /** In organisation mode, the peer's name as our CA certified it. */
    private String peerMemberName;
    private byte[] channelBinding;
    /** Exported with the channel binding; taken (and wiped) by the channel that installs the packet keys. */
    private byte[] packetKeyMaterial;

    TlsHandshakePolicy(TlsCrypto crypto, PrivateKeyOperations keys, TransportCertificate certificate,
            Supplier<Optional<Fingerprint>> pin, SecurityLevel level) {
        this.crypto = crypto;
        this.keys = keys;
        this.certificate = certificate;
        this.pin = Objects.requireNonNull(pin, "pin");
        this.level = level;
        this.namedGroup = TlsProfile.namedGroup(level);
        this.alpn = TlsProfile.alpn(level);
    }

    /** Records {@code e} (the first one wins) and returns the alert to abort the handshake with. */
    TlsFatalAlert refuse(TransportException e, short alert) {
        if (failure == null) {
            failure = e;
        }
        return new TlsFatalAlert(alert, e.getMessage());
    }

    TransportException failure() {
        return failure;
    }

    IdentityPublicKeys peerIdentity() {
        return peerIdentity;
    }

    String peerMemberName() {
        return peerMemberName;
    }

    /** Whether the handshake completed: the channel binding exists only then. */
    boolean complete() {
        return channelBinding != null;
    }

    byte[] channelBinding() {
        return channelBinding;
    }

    /**
     * Called from the peers' {@code notifyHandshakeComplete}: the only moment Bouncy Castle can export keying
     * material, because it wipes the exporter secret right after, for forward secrecy.
     */
    void markComplete(TlsContext context) {
        // The packet keys first: complete() turns true with the channel binding, and the keys must be there then.
        packetKeyMaterial = context.exportKeyingMaterial(ReliableAuth.EXPORTER_LABEL, TlsUtils.EMPTY_BYTES,
                ReliableAuth.EXPORTER_BYTES);
        channelBinding = context.exportKeyingMaterial(TlsChannel.CHANNEL_BINDING_LABEL, TlsUtils.EMPTY_BYTES,
                TlsChannel.CHANNEL_BINDING_LENGTH);
    }

    /**
     * The reliable channel's packet-key material (PROTOCOL.md 13.9), handed over once: the caller owns and
     * wipes it; null before completion or after it was taken.
     */
    byte[] takePacketKeyMaterial() {
        byte[] m = packetKeyMaterial;
        packetKeyMaterial = null;
        return m;
    }

    /** Our certificate and the key holder as signer, for a Certificate message with {@code requestContext}. */
    TlsCredentialedSigner credentials(TlsContext context, byte[] requestContext) throws IOException {
        Certificate chain = new Certificate(requestContext, new CertificateEntry[] {
                new CertificateEntry(crypto.createCertificate(certificate.der()), null)});
        return new DefaultTlsCredentialedSigner(new TlsCryptoParameters(context), new TlsIdentitySigner(keys),
                chain, SignatureAndHashAlgorithm.ed25519);
    }

    /** Accepts exactly one certificate that proves an identity (and the pinned one, if pinned). */
    void checkPeerCertificate(Certificate chain) throws IOException {
        if (chain == null || chain.isEmpty()) {
            throw refuse(new TransportException(TLS_FAILED, "the peer sent no certificate"),
                    AlertDescription.certificate_required);
        }
        if (chain.getLength() != 1) {
            throw refuse(new TransportException(TLS_FAILED, "the peer sent " + chain.getLength()
                    + " certificates; exactly one is allowed"), AlertDescription.bad_certificate);
        }
        Optional<OrganisationTrust> organisation = certificate.organisation();
        Optional<Fingerprint> pin = Objects.requireNonNull(this.pin.get(), "pin");
        try {
            byte[] der = chain.getCertificateAt(0).getEncoded();
            if (organisation.isPresent()) {
                // Organisation mode: only a certificate from our CA, for whom it names (section 21).
                OrganisationTrust.CertifiedMember member = organisation.get().verifyMember(der, pin);
                peerIdentity = member.identity();
                peerMemberName = member.name();
            } else {
                peerIdentity = TransportCertificate.verify(der, pin);
            }
        } catch (TransportException e) {
            throw refuse(e, e.reason() == IDENTITY_MISMATCH || e.reason() == CERTIFICATE_REFUSED
                    ? AlertDescription.certificate_unknown : AlertDescription.bad_certificate);
        } catch (RuntimeException e) {
            // The checks catch the parser's exceptions; anything left is still a certificate we cannot accept.
            throw refuse(new TransportException(TLS_FAILED, "the peer's certificate could not be checked: "
                    + e.getClass().getSimpleName()), AlertDescription.bad_certificate);
        }
    }

    /**
     * The server's check of a ClientHello against its level, before Bouncy Castle negotiates anything: the
     * client's ALPN name must be this level's, and it must offer this level's group and Ed25519. A client at
     * another level is told so with {@code insufficient_security}, which it reports as {@code DOWNGRADE}.
     */
    @SuppressWarnings("rawtypes") // Bouncy Castle's TLS API uses raw collections.
    void checkClientHello(Hashtable clientExtensions) throws IOException {
        Vector names = TlsExtensionsUtils.getALPNExtensionClient(clientExtensions);
        if (names == null || !names.contains(alpn)) {
            SecurityLevel peerLevel = null;
            for (int i = 0; names != null && i < names.size() && peerLevel == null; i++) {
                peerLevel = TlsProfile.levelOf((ProtocolName) names.elementAt(i));
            }
            if (peerLevel == null) {
                throw refuse(new TransportException(TLS_FAILED, "the peer is not a securep2p peer (no "
                        + TlsProfile.ALPN_PREFIX + " ALPN name)"), AlertDescription.no_application_protocol);
            }
            throw refuse(levelMismatch(peerLevel.name()), AlertDescription.insufficient_security);
        }
        int[] groups = TlsExtensionsUtils.getSupportedGroupsExtension(clientExtensions);
        boolean offersGroup = false;
        for (int i = 0; groups != null && i < groups.length; i++) {
            offersGroup |= groups[i] == namedGroup;
        }
        if (!offersGroup) {
            throw refuse(levelMismatch("a level without " + TlsProfile.groupName(namedGroup)),
                    AlertDescription.insufficient_security);
        }
        Vector signatureAlgorithms = TlsExtensionsUtils.getSignatureAlgorithmsExtension(clientExtensions);
        if (signatureAlgorithms == null || !signatureAlgorithms.contains(SignatureAndHashAlgorithm.ed25519)) {
            throw refuse(new TransportException(TLS_FAILED, "the peer does not accept Ed25519 signatures"),
                    AlertDescription.handshake_failure);
        }
    }

    /** The client's check that the server confirmed this level (its ALPN answer). */
    @SuppressWarnings("rawtypes")
    void checkServerExtensions(Hashtable serverExtensions) throws IOException {
        ProtocolName selected = serverExtensions == null ? null
                : TlsExtensionsUtils.getALPNExtensionServer(serverExtensions);
        if (!alpn.equals(selected)) {
            throw refuse(new TransportException(TLS_FAILED, "the peer did not confirm security level " + level),
                    AlertDescription.no_application_protocol);
        }
    }

    private TransportException levelMismatch(String peerLevel) {
        return new TransportException(DOWNGRADE, "the peer runs " + peerLevel + ", this side " + level
                + "; both must use the same level");
    }
}
