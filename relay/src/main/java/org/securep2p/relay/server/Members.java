package org.securep2p.relay.server;

import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open authenticated connections of this relay instance, by member (PROTOCOL.md §23.1): what routes a chat
 * request to "every connection of member X" (§23.4), counts presence (§23.5) and finds the connections to close
 * when a member's certificate is revoked. A connection is here from the WebSocket's open to its close. Not its
 * job: other instances' connections (the bus and the presence table), or deciding who is a member (the TLS
 * trust). Thread-safe.
 */
final class Members {

    private final ConcurrentHashMap<String, Set<RelayConnection>> byFingerprint = new ConcurrentHashMap<>();

    /** {@code connection} authenticated as {@code member} is open; returns its member's open connections now. */
    int add(AuthenticatedMember member, RelayConnection connection) {
        Set<RelayConnection> set = byFingerprint.compute(key(member.fingerprint()), (k, s) -> {
            Set<RelayConnection> n = s == null ? ConcurrentHashMap.newKeySet() : s;
            n.add(connection);
            return n;
        });
        return set.size();
    }

    /** {@code connection} of {@code member} closed; returns how many of its member's connections are left open. */
    int remove(AuthenticatedMember member, RelayConnection connection) {
        Set<RelayConnection> set = byFingerprint.computeIfPresent(key(member.fingerprint()), (k, s) -> {
            s.remove(connection);
            return s.isEmpty() ? null : s;
        });
        return set == null ? 0 : set.size();
    }

    /** The open connections of the member whose identity has {@code fingerprint} (32 bytes); empty if none. */
    List<RelayConnection> connectionsOf(byte[] fingerprint) {
        Set<RelayConnection> set = byFingerprint.get(key(fingerprint));
        return set == null ? List.of() : List.copyOf(set);
    }

    /** Every open authenticated connection (the revocation sweep looks at each). */
    List<RelayConnection> all() {
        return byFingerprint.values().stream().flatMap(Set::stream).toList();
    }

    /** Members with at least one open connection here. */
    int count() {
        return byFingerprint.size();
    }

    private static String key(byte[] fingerprint) {
        return HexFormat.of().formatHex(fingerprint);
    }

    @Override
    public String toString() {
        return "Members[" + byFingerprint.size() + " online]";
    }
}
