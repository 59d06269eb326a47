/**
 * securep2p's transport: endpoint discovery (STUN/ICE through ice4j), connection codes, a reliable channel over
 * UDP, TLS 1.3 on top, and TURN relay. Exports only what callers use: the connector and its values
 * ({@code org.securep2p.transport}) and the certificates and organisation trust ({@code .cert}). The reliable
 * channel, the TLS channel and the ice4j adapter ({@code .reliable}, {@code .tls}, {@code .ice}) are public
 * only to each other; no ice4j or Bouncy Castle type leaks out of the exported packages' signatures.
 */
module org.securep2p.transport {
    // Connector, PeerConnection and TransportCertificate take and return Fingerprint, SecurityLevel,
    // PrivateKeyOperations and IdentityPublicKeys.
    requires transitive org.securep2p.crypto;
    // ice4j has no module descriptor: "ice4j" is its automatic module name (jar --describe-module).
    requires ice4j;
    // ice4j's Agent and Component report state changes as java.beans PropertyChangeEvents.
    requires java.desktop;
    // IceSupport quiets ice4j's java.util.logging output.
    requires java.logging;
    requires org.bouncycastle.provider;
    requires org.bouncycastle.tls;

    exports org.securep2p.transport;
    exports org.securep2p.transport.cert;
}
