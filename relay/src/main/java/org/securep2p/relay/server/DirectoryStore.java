package org.securep2p.relay.server;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.securep2p.relay.MemberDirectory;
import org.securep2p.relay.RelayException;

/**
 * Where an organisation relay keeps its member directory and presence (PROTOCOL.md §23.3, §23.5), shared by every
 * instance on one database. Guarantees as {@link MailboxStore}'s: a call that returns has committed; one that throws
 * changed nothing (reason INTERNAL). Revocation is not its job: callers filter by the current list.
 */
interface DirectoryStore extends AutoCloseable {

    /** One stored entry with its member's name and fingerprint. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; never compared
    record Stored(String name, byte[] fingerprint, java.math.BigInteger serial, MemberDirectory.Entry entry) {
        public Stored {
            fingerprint = fingerprint.clone();
        }

        @Override
        public byte[] fingerprint() {
            return fingerprint.clone();
        }
    }

    /** Stores {@code member}'s entry, replacing an older one of the same fingerprint. */
    void publish(AuthenticatedMember member, byte[] bundle, Instant now) throws RelayException;

    /** Removes the entry of {@code fingerprint}, if any. */
    void unpublish(byte[] fingerprint) throws RelayException;

    /** Every entry, sorted by name then fingerprint. */
    List<Stored> entries() throws RelayException;

    /** The entry of {@code fingerprint}. */
    Optional<Stored> entry(byte[] fingerprint) throws RelayException;

    /** This instance now has {@code connections} authenticated connections of {@code fingerprint} (0 deletes). */
    void presence(String instance, byte[] fingerprint, int connections) throws RelayException;

    /** This instance is alive at {@code now}; at start, also forgets its earlier rows. */
    void heartbeat(String instance, Instant now) throws RelayException;

    /** Removes every row of {@code instance} (a clean stop, or a start). */
    void forget(String instance) throws RelayException;

    /** Fingerprints (as hex) with a connection on an instance whose heartbeat is at most 15 s before {@code now}. */
    java.util.Set<String> online(Instant now) throws RelayException;

    @Override
    void close();
}
