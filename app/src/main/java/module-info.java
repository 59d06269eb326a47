/**
 * securep2p's application: the command line, the terminal UI, the headless JSON-RPC mode, the trust store, the
 * organisation CA and the encrypted message history, wired over the transport, the ratchet and the key manager.
 * Exports only {@code org.securep2p.app.history}, which the benchmarks drive directly; everything else is used
 * through the command line. The runtime launch ({@code ./securep2p}) puts the jars on the class path, where this
 * descriptor is not read: it states and checks the boundaries at compile time.
 */
module org.securep2p.app {
    // SqliteHistoryStore takes and returns Fingerprint and SecretBytes.
    requires transitive org.securep2p.crypto;
    requires org.securep2p.ratchet;
    requires org.securep2p.transport;
    requires org.securep2p.keymanager;
    // The messenger's mailboxes (PROTOCOL.md §22.5-22.8) and the `securep2p relay` subcommand.
    requires org.securep2p.relay;
    requires com.googlecode.lanterna;
    // ICU4J (Text): grapheme clusters and East Asian width; "com.ibm.icu" is its automatic module name.
    requires com.ibm.icu;
    // zxing has no module descriptor: "com.google.zxing" is its automatic module name (jar --describe-module).
    requires com.google.zxing;
    requires info.picocli;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;
    // Wiring routes java.util.logging (ice4j's) into SLF4J.
    requires jul.to.slf4j;
    // The history database (HistoryDatabase, the only class that names SQLite or java.sql).
    requires java.sql;
    requires org.xerial.sqlitejdbc;

    exports org.securep2p.app.history;

    // picocli reads and sets the @Option and @Parameters fields of Main and CaCommand by reflection.
    opens org.securep2p.app to info.picocli;
}
