package org.securep2p.relay.server;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.jetty.websocket.server.ServerUpgradeRequest;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.MemberDirectory;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.RelayFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What makes a relay an organisation relay (PROTOCOL.md §23.3–23.5): which member each connection is, the member
 * directory, this instance's presence, and chat requests carried to every connection of a member on every
 * instance through the {@link RelayBus}. Not its job: checking certificates (its {@link Authenticator} and
 * {@link Membership} do that, from the CA and its current list, §23.1), nor the wire ({@link RelayConnection}).
 * Thread-safe: connections open and close on Jetty's threads, the bus calls in on its own.
 */
final class Organisation implements AutoCloseable {

    /** How often this instance says it is alive (§23.5); its presence lapses after three missed beats. */
    static final Duration HEARTBEAT = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(Organisation.class);

    /**
     * Who a WebSocket upgrade comes from (§23.1): the member whose certificate the TLS handshake accepted, or empty
     * (the relay then refuses the upgrade). The mutual-TLS part reads it from the TLS session.
     */
    interface Authenticator {
        Optional<AuthenticatedMember> authenticate(ServerUpgradeRequest request);
    }

    /** Whether a member's certificate is current now: not expired, not in the CA's current list (§23.3). */
    interface Membership {
        boolean current(BigInteger serial, byte[] certificate, Instant now);
    }

    private final Authenticator authenticator;
    private final Membership membership;
    private final DirectoryStore directory;
    private final RelayBus bus;
    private final String instance;
    /** Set by {@link #start}: its {@link Members} are this instance's connections; a bus message wakes its pumps. */
    private volatile RelayContext context;

    Organisation(Authenticator authenticator, Membership membership, DirectoryStore directory, RelayBus bus,
            String instance) {
        this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
        this.membership = Objects.requireNonNull(membership, "membership");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.bus = Objects.requireNonNull(bus, "bus");
        this.instance = Objects.requireNonNull(instance, "instance");
    }

    /**
     * A relay that is its only instance: the directory in SQLite beside the mailboxes ({@link SqliteDirectoryStore}),
     * the in-process bus, and a fresh random instance id.
     */
    static Organisation sqlite(Path dataDir, Authenticator authenticator, Membership membership, SecureRandom random)
            throws IOException {
        byte[] id = new byte[8];
        random.nextBytes(id);
        return new Organisation(authenticator, membership, SqliteDirectoryStore.open(dataDir), new LocalRelayBus(),
                HexFormat.of().formatHex(id));
    }

    /** Forgets this instance's earlier rows, beats once and listens on the bus; the relay then beats every 5 s. */
    void start(RelayContext relay, Instant now) throws RelayException {
        this.context = relay;
        directory.forget(instance);
        directory.heartbeat(instance, now);
        bus.listen(new BusListener());
    }

    Optional<AuthenticatedMember> authenticate(ServerUpgradeRequest request) {
        return authenticator.authenticate(request);
    }

    /** This instance is alive at {@code now}; a failure is logged, and presence lapses if it lasts (§23.5). */
    void beat(Instant now) {
        try {
            directory.heartbeat(instance, now);
        } catch (RelayException | RuntimeException e) {
            LOG.warn("The relay could not record its heartbeat: {}", e.getMessage());
        }
    }

    /**
     * {@code c} authenticated as {@code member} is open: in this instance's {@link Members} and its presence. Under
     * this object's lock, so that the counts reach the store in the order they were taken.
     */
    void opened(RelayConnection c, AuthenticatedMember member) {
        synchronized (this) {
            writePresence(member.fingerprint(), context.members().add(member, c));
        }
    }

    /** {@code c} closed: no longer counted; the member is offline here once its last connection is gone. */
    void closed(RelayConnection c, AuthenticatedMember member) {
        synchronized (this) {
            writePresence(member.fingerprint(), context.members().remove(member, c));
        }
    }

    private void writePresence(byte[] fingerprint, int count) {
        try {
            directory.presence(instance, fingerprint, count);
        } catch (RelayException | RuntimeException e) {
            // The connection stands; others see a stale presence for this member until its next change.
            LOG.warn("The relay could not record a member's presence: {}", e.getMessage());
        }
    }

    /** Publishes {@code member} (the connection's own certificate) with {@code bundle}. */
    void publish(AuthenticatedMember member, byte[] bundle, Instant now) throws RelayException {
        directory.publish(member, bundle, now);
    }

    void unpublish(AuthenticatedMember member) throws RelayException {
        directory.unpublish(member.fingerprint());
    }

    /**
     * Every published member whose certificate is current, sorted by name then fingerprint, with presence on any
     * instance; at most {@link RelayFrame#MAX_MEMBERS} (the first ones in that order).
     */
    List<MemberDirectory.Listing> members(Instant now) throws RelayException {
        Set<String> online = directory.online(now);
        List<MemberDirectory.Listing> out = new ArrayList<>();
        for (DirectoryStore.Stored s : directory.entries()) {
            if (out.size() == RelayFrame.MAX_MEMBERS) {
                LOG.warn("The directory holds more than {} members; the list is cut there.", RelayFrame.MAX_MEMBERS);
                break;
            }
            if (!membership.current(s.serial(), s.entry().certificate(), now)) {
                continue;
            }
            int nameBytes = s.name().getBytes(StandardCharsets.UTF_8).length;
            if (nameBytes < 1 || nameBytes > RelayFrame.MAX_NAME) {
                continue; // a CA issues no such name (§21.1); the list cannot carry it
            }
            String fp = hex(s.fingerprint());
            out.add(new MemberDirectory.Listing(s.name(), s.fingerprint(), online.contains(fp)
                    || connectionsOf(s.fingerprint()) > 0));
        }
        return out;
    }

    /** The current entry of {@code fingerprint}, or UNKNOWN_MEMBER (none, or its certificate is no longer current). */
    MemberDirectory.Entry lookup(byte[] fingerprint, Instant now) throws RelayException {
        Optional<DirectoryStore.Stored> s = directory.entry(fingerprint);
        if (s.isEmpty() || !membership.current(s.get().serial(), s.get().entry().certificate(), now)) {
            throw new RelayException(RelayException.Reason.UNKNOWN_MEMBER, RelayConnection.detail(
                    RelayException.Reason.UNKNOWN_MEMBER));
        }
        return s.get().entry();
    }

    /**
     * Sends {@code payload} from {@code from} to every connection of the member {@code to} on every instance, stamped
     * with {@code from}'s certificate; NOT_ONLINE when no instance counts a connection of it.
     */
    void request(AuthenticatedMember from, byte[] to, byte[] payload, Instant now) throws RelayException {
        String target = hex(to);
        if (connectionsOf(to) == 0 && !directory.online(now).contains(target)) {
            throw new RelayException(RelayException.Reason.NOT_ONLINE, RelayConnection.detail(
                    RelayException.Reason.NOT_ONLINE));
        }
        bus.request(to, new RelayFrame.Incoming(from.certificate(), payload).encode());
    }

    /** Announces to every instance that {@code serial} was revoked: each closes that member's connections. */
    void revoked(BigInteger serial) {
        bus.revoked(serial);
    }

    /** How many connections of {@code fingerprint} this instance holds (tests). */
    int connectionsOf(byte[] fingerprint) {
        return context.members().connectionsOf(fingerprint).size();
    }

    DirectoryStore directory() {
        return directory;
    }

    String instance() {
        return instance;
    }

    /** Stops listening, removes this instance's presence (a clean stop, §23.5) and closes the store. */
    @Override
    public void close() {
        bus.close();
        try {
            directory.forget(instance);
        } catch (RelayException | RuntimeException e) {
            LOG.warn("The relay could not remove its presence rows: {}", e.getMessage());
        }
        directory.close();
    }

    private static String hex(byte[] fingerprint) {
        return HexFormat.of().formatHex(fingerprint);
    }

    /** What this instance hears from every instance, itself included. */
    private final class BusListener implements RelayBus.Listener {

        @Override
        public void posted(MailboxId mailbox, long sequence) {
            RelayContext c = context;
            if (c != null) {
                c.committed(mailbox);
            }
        }

        @Override
        public void request(byte[] fingerprint, byte[] incomingFrame) {
            for (RelayConnection c : context.members().connectionsOf(fingerprint)) {
                c.push(incomingFrame);
            }
        }

        @Override
        public void revoked(BigInteger serial) {
            for (RelayConnection c : context.members().all()) {
                if (c.member().map(m -> m.serial().equals(serial)).orElse(false)) {
                    c.closeRevoked();
                }
            }
        }

        @Override
        public void resynchronise() {
            RelayContext c = context;
            if (c != null) {
                c.wakeAll();
            }
        }
    }

    @Override
    public String toString() {
        return "Organisation[instance " + instance + "]";
    }
}
