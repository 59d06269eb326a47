package org.securep2p.relay.server;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

import org.securep2p.relay.MailboxId;

/**
 * What every connection of one relay shares: its configuration, store, bus, randomness, clock, the executor that
 * runs subscription pumps, the live subscriptions by mailbox, and the count of admitted connections. It is the
 * bus's listener: a commit announced on the bus (by this instance or another on the same database, PROTOCOL.md
 * §23.5) wakes the subscriptions of that mailbox, which read the store; so does {@link #wakeAll()}, every 5 s and
 * after the bus missed messages.
 */
final class RelayContext implements RelayBus.Listener {

    private final RelayConfig config;
    private final MailboxStore store;
    private final RelayBus bus;
    private final java.util.Optional<DirectoryStore> directory;
    private final String instance;
    private final SecureRandom random;
    private final Clock clock;
    private final Executor executor;
    private final ConcurrentHashMap<MailboxId, Set<Subscription>> subscribers = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();

    RelayContext(RelayConfig config, MailboxStore store, RelayBus bus, java.util.Optional<DirectoryStore> directory,
            String instance, SecureRandom random, Clock clock, Executor executor) {
        this.config = config;
        this.store = store;
        this.bus = bus;
        this.directory = directory;
        this.instance = instance;
        this.random = random;
        this.clock = clock;
        this.executor = executor;
    }

    RelayConfig config() {
        return config;
    }

    MailboxStore store() {
        return store;
    }

    RelayBus bus() {
        return bus;
    }

    /** The member directory and presence of an organisation relay (§23.3, §23.5). */
    java.util.Optional<DirectoryStore> directory() {
        return directory;
    }

    /** This instance's random id, for its presence rows (§23.5). */
    String instance() {
        return instance;
    }

    SecureRandom random() {
        return random;
    }

    Clock clock() {
        return clock;
    }

    Executor executor() {
        return executor;
    }

    /** Counts a new connection unless the relay is at its cap; false means BUSY. */
    boolean admit() {
        int max = config.maxConnections();
        while (true) {
            int n = connections.get();
            if (n >= max) {
                return false;
            }
            if (connections.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void release() {
        connections.decrementAndGet();
    }

    int connections() {
        return connections.get();
    }

    void subscribe(Subscription s) {
        subscribers.computeIfAbsent(s.mailbox(), k -> ConcurrentHashMap.newKeySet()).add(s);
    }

    void unsubscribe(Subscription s) {
        subscribers.computeIfPresent(s.mailbox(), (k, set) -> {
            set.remove(s);
            return set.isEmpty() ? null : set;
        });
    }

    /** An item of {@code mailbox} was committed (here or on another instance): every live subscriber looks. */
    @Override
    public void posted(MailboxId mailbox, long sequence) {
        Set<Subscription> set = subscribers.get(mailbox);
        if (set != null) {
            for (Subscription s : set) {
                s.wake();
            }
        }
    }

    @Override
    public void request(byte[] fingerprint, byte[] incomingFrame) {
        // Chat requests (§23.4) are routed by the organisation relay's connections; an open relay has none.
    }

    @Override
    public void revoked(java.math.BigInteger serial) {
        // Revocations (§23.1) close member connections; an open relay has none.
    }

    /** The bus may have missed commits: every subscription re-reads the store. */
    @Override
    public void resynchronise() {
        wakeAll();
    }

    /** Every live subscription looks at the store (every 5 s, PROTOCOL.md §23.5: a lost hint costs latency only). */
    void wakeAll() {
        for (Set<Subscription> set : subscribers.values()) {
            for (Subscription s : set) {
                s.wake();
            }
        }
    }
}
