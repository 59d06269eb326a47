package org.securep2p.relay.server;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

import org.securep2p.relay.MailboxId;

/**
 * What every connection of one relay shares: its configuration, store, randomness, clock, the executor that runs
 * subscription pumps, the live subscriptions by mailbox, the count of admitted connections, and on an organisation
 * relay (§23.1) the CA trust and the open connections by member.
 */
final class RelayContext {

    private final RelayConfig config;
    private final MailboxStore store;
    private final SecureRandom random;
    private final Clock clock;
    private final Executor executor;
    private final ConcurrentHashMap<MailboxId, Set<Subscription>> subscribers = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final Members members = new Members();
    private final Optional<MemberTrust> trust;
    /** Present on an organisation relay (§23); an open relay answers its frames NOT_ALLOWED. */
    private final Optional<Organisation> organisation;

    /** An open relay's context. */
    RelayContext(RelayConfig config, MailboxStore store, SecureRandom random, Clock clock, Executor executor) {
        this(config, store, random, clock, executor, Optional.empty(), Optional.empty());
    }

    /**
     * An organisation relay's context when {@code organisation} is present: {@code trust} is the CA's (§23.1), empty
     * only in tests that assign members without mutual TLS.
     */
    RelayContext(RelayConfig config, MailboxStore store, SecureRandom random, Clock clock, Executor executor,
            Optional<MemberTrust> trust, Optional<Organisation> organisation) {
        this.trust = trust;
        this.config = config;
        this.store = store;
        this.random = random;
        this.clock = clock;
        this.executor = executor;
        this.organisation = organisation;
    }

    Optional<Organisation> organisation() {
        return organisation;
    }

    RelayConfig config() {
        return config;
    }

    MailboxStore store() {
        return store;
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

    /** The open authenticated connections by member (empty on an open relay). */
    Members members() {
        return members;
    }

    /** The CA trust of an organisation relay; empty on an open relay (§23.1). */
    Optional<MemberTrust> trust() {
        return trust;
    }

    /** Whether {@code member}'s certificate still passes the CA's checks against the list now in force. */
    boolean stillAccepted(AuthenticatedMember member) {
        if (trust.isEmpty()) {
            return true;
        }
        try {
            trust.get().verify(member.certificate());
            return true;
        } catch (org.securep2p.transport.TransportException e) {
            return false;
        }
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

    /** An item of {@code mailbox} was committed: every live subscriber looks. */
    void committed(MailboxId mailbox) {
        Set<Subscription> set = subscribers.get(mailbox);
        if (set != null) {
            for (Subscription s : set) {
                s.wake();
            }
        }
    }

    /** The bus may have missed commits: every live subscription looks at the store. */
    void wakeAll() {
        for (Set<Subscription> set : subscribers.values()) {
            for (Subscription s : set) {
                s.wake();
            }
        }
    }
}
