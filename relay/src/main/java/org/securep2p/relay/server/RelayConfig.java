package org.securep2p.relay.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a relay is told (PROTOCOL.md §22.6): where it listens, where it keeps its key and its store, and its
 * limits. Command-line options override {@code relay.conf} in the data folder, which overrides
 * {@link #defaults}. The creation password, when set, is read from a file and never printed.
 */
public record RelayConfig(String host, int port, Path dataDir, Duration maxTtl, int mailboxMaxItems,
        long mailboxMaxBytes, int maxMailboxes, int requestsPerSecond, int requestBurst, int maxConnections,
        Optional<byte[]> createPassword) {

    public RelayConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dataDir, "dataDir");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port 0..65535 (0: any free port)");
        }
        if (maxTtl.isNegative() || maxTtl.isZero() || mailboxMaxItems < 1 || mailboxMaxBytes < 1
                || maxMailboxes < 1 || requestsPerSecond < 1 || requestBurst < 1 || maxConnections < 1) {
            throw new IllegalArgumentException("every relay limit must be positive");
        }
        createPassword = createPassword.map(byte[]::clone);
    }

    /** 21 days, 10,000 items and 64 MiB per mailbox, 1,000,000 mailboxes, 100 requests/s (burst 400) per
     * connection, 10,000 connections, anyone may create mailboxes. */
    public static RelayConfig defaults(String host, int port, Path dataDir) {
        return new RelayConfig(host, port, dataDir, Duration.ofDays(21), 10_000, 64L << 20, 1_000_000, 100, 400,
                10_000, Optional.empty());
    }

    @Override
    public String toString() {
        return "RelayConfig[" + host + ":" + port + ", data " + dataDir + ", ttl " + maxTtl + ", "
                + mailboxMaxItems + " items / " + mailboxMaxBytes + " bytes per mailbox, " + maxConnections
                + " connections, creation " + (createPassword.isPresent() ? "by password" : "open") + "]";
    }
}
