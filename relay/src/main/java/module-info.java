/**
 * securep2p's relay: a server that keeps one-way mailboxes of end-to-end encrypted items it cannot read, and the
 * client that talks to it, over WebSocket on TLS 1.3 pinned to the relay's key (PROTOCOL.md §22).
 * {@code org.securep2p.relay} is what a messenger uses (address, mailbox items, the client);
 * {@code org.securep2p.relay.server} is what {@code securep2p relay} starts.
 */
// PostgreSQL's driver ships no module descriptor, only an Automatic-Module-Name: requiring it is what it offers.
@SuppressWarnings("requires-automatic")
module org.securep2p.relay {
    requires org.securep2p.crypto;
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
    // The shared store of several instances (§23.5): PostgreSQL's driver (LISTEN/NOTIFY) and the pool. Flyway's
    // jar names no module at all (its name would come from the file name), so it is called reflectively from the
    // class path instead of required here: see PostgresDatabase.migrate.
    requires org.postgresql.jdbc;
    requires com.zaxxer.hikari;
    requires java.logging;
    requires org.slf4j;

    exports org.securep2p.relay;
    exports org.securep2p.relay.server;
}
