package org.securep2p.app;

import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

import org.securep2p.relay.Inbox;
import org.securep2p.relay.MemberCredential;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.RelayClient;
import org.securep2p.relay.RelayConnector;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.SendCapability;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real way to relays for the {@link RelayCourier}: one {@link RelayConnector} (pinned TLS, PROTOCOL.md §22.2)
 * and one connection per relay address. {@link #close()} closes them all. A connector that cannot even start
 * gives a client whose every request fails with the connector's sentence, so the messenger keeps working
 * peer-to-peer and says why.
 */
final class RelayConnections implements Function<RelayAddress, RelayClient>, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RelayConnections.class);

    private final SecureRandom random;
    private final Map<RelayAddress, RelayConnector> connectors = new ConcurrentHashMap<>();
    private final Optional<RelayAddress> own;
    private final byte[] createPassword;
    /** In organisation mode, what every relay connection presents (§23.2); an open relay does not ask for it. */
    private final Optional<MemberCredential> member;

    RelayConnections(SecureRandom random) {
        this(random, Optional.empty(), Optional.empty());
    }

    RelayConnections(SecureRandom random, Optional<RelayAddress> own, Optional<byte[]> createPassword) {
        this(random, own, createPassword, Optional.empty());
    }

    /**
     * {@code createPassword} goes to {@code own} only (the relay that keeps this side's inboxes, started with
     * {@code --create-password-file}); a contact's relay never sees it. Kept until {@link #close()}, then zeroed.
     * {@code member} (organisation mode) is presented to every relay that asks for a certificate.
     */
    RelayConnections(SecureRandom random, Optional<RelayAddress> own, Optional<byte[]> createPassword,
            Optional<MemberCredential> member) {
        this.random = random;
        this.member = member;
        this.own = own;
        this.createPassword = createPassword.map(byte[]::clone).orElseGet(() -> new byte[0]);
    }

    @Override
    public RelayClient apply(RelayAddress address) {
        try {
            RelayConnector c = connectors.computeIfAbsent(address, a -> {
                try {
                    Optional<byte[]> password = own.filter(a::equals).isPresent() && createPassword.length > 0
                            ? Optional.of(createPassword) : Optional.empty();
                    return RelayConnector.start(a, random, password, member);
                } catch (RelayException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            });
            return c.open();
        } catch (IllegalStateException e) {
            LOG.warn("relay client for {}:{} did not start: {}", address.host(), address.port(), e.getMessage());
            return new Broken(address, e.getMessage() == null ? "The relay client did not start." : e.getMessage());
        }
    }

    @Override
    public void close() {
        List.copyOf(connectors.values()).forEach(RelayConnector::close);
        connectors.clear();
        java.util.Arrays.fill(createPassword, (byte) 0);
    }

    /** A client that never connects: every request fails UNREACHABLE with the reason. */
    private record Broken(RelayAddress address, String why) implements RelayClient {
        private <T> CompletableFuture<T> fail() {
            return CompletableFuture.failedFuture(new RelayException(RelayException.Reason.UNREACHABLE, why));
        }

        @Override
        public CompletableFuture<Void> create(Inbox inbox) {
            return fail();
        }

        @Override
        public CompletableFuture<Long> post(SendCapability to, byte[] blob, int ttlSeconds) {
            return fail();
        }

        @Override
        public CompletableFuture<Void> subscribe(Inbox inbox, Consumer<Delivery> sink) {
            return fail();
        }

        @Override
        public CompletableFuture<Void> delete(Inbox inbox, long upTo) {
            return fail();
        }

        @Override
        public State state() {
            return State.UNREACHABLE;
        }

        @Override
        public void addStateListener(Consumer<State> listener) {
            // Never changes.
        }

        @Override
        public String lastProblem() {
            return why;
        }

        @Override
        public void close() {
            // Nothing open.
        }
    }
}
