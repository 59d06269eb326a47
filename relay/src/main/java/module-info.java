/**
 * securep2p's relay: a server that keeps one-way mailboxes of end-to-end encrypted items it cannot read, and the
 * client that talks to it, over WebSocket on TLS 1.3 pinned to the relay's key (PROTOCOL.md §22).
 * {@code org.securep2p.relay} is what a messenger uses (address, mailbox items, the client);
 * {@code org.securep2p.relay.server} is what {@code securep2p relay} starts.
 */
module org.securep2p.relay {
    requires org.securep2p.crypto;
    // An organisation relay checks member certificates with transport's OrganisationTrust (§23.1); the
    // dependency points relay → transport only.
    requires org.securep2p.transport;
    requires org.bouncycastle.provider;
    requires org.bouncycastle.util;
    requires org.bouncycastle.pkix;
    requires org.bouncycastle.tls;
    requires org.eclipse.jetty.server;
    requires org.eclipse.jetty.io;
    requires org.eclipse.jetty.util;
    // Transitive: Jetty calls our WebSocket listeners through a public lookup, so they are public types whose
    // methods take Session and Callback.
    requires transitive org.eclipse.jetty.websocket.api;
    requires org.eclipse.jetty.websocket.server;
    requires org.eclipse.jetty.websocket.client;
    requires org.xerial.sqlitejdbc;
    requires java.sql;
    requires java.logging;
    requires org.slf4j;

    exports org.securep2p.relay;
    exports org.securep2p.relay.server;
}
