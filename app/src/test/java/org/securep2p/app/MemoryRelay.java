package org.securep2p.app;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import org.securep2p.relay.Inbox;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.RelayClient;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.SendCapability;

/**
 * A relay in memory for the courier's tests: mailboxes with their public keys, items numbered 1, 2, 3…, pushed to
 * subscribers on each client's own thread, deleted on request; it can be taken down (every request fails
 * UNREACHABLE, clients say so) and brought up again (clients say CONNECTED and renew their subscriptions), as the
 * {@link RelayClient} contract says a real client does.
 */
final class MemoryRelay {

    private static final class Box {
        final byte[] receivePublic;
        final byte[] sendPublic;
        final TreeMap<Long, byte[]> items = new TreeMap<>();
        long next = 1;

        Box(byte[] receivePublic, byte[] sendPublic) {
            this.receivePublic = receivePublic;
            this.sendPublic = sendPublic;
        }
    }

    private final Map<MailboxId, Box> boxes = new ConcurrentHashMap<>();
    private final List<Client> clients = new CopyOnWriteArrayList<>();
    private volatile boolean up = true;
    /** Every POST this relay committed, for the tests to count. */
    final List<byte[]> posted = new CopyOnWriteArrayList<>();

    RelayClient client(RelayAddress address) {
        Client c = new Client(address);
        clients.add(c);
        return c;
    }

    void down() {
        up = false;
        clients.forEach(c -> c.setState(RelayClient.State.UNREACHABLE));
    }

    void up() {
        up = true;
        clients.forEach(Client::reconnect);
    }

    /** Items waiting in a mailbox. */
    synchronized int waiting(MailboxId id) {
        Box b = boxes.get(id);
        return b == null ? 0 : b.items.size();
    }

    /** Puts a blob straight into a mailbox, as a hostile relay (or a broken client) could. */
    void inject(MailboxId id, byte[] blob) {
        Box b = boxes.get(id);
        List<Runnable> pushes;
        synchronized (this) {
            long seq = b.next++;
            b.items.put(seq, blob.clone());
            pushes = pushesFor(id);
        }
        pushes.forEach(Runnable::run);
    }

    private List<Runnable> pushesFor(MailboxId id) {
        List<Runnable> out = new ArrayList<>();
        for (Client c : clients) {
            for (Subscription s : c.subscriptions) {
                if (s.inbox.id().equals(id)) {
                    out.add(() -> c.push(s));
                }
            }
        }
        return out;
    }

    private static final class Subscription {
        final Inbox inbox;
        final Consumer<RelayClient.Delivery> sink;
        long delivered;

        Subscription(Inbox inbox, Consumer<RelayClient.Delivery> sink) {
            this.inbox = inbox;
            this.sink = sink;
        }
    }

    private final class Client implements RelayClient {
        final RelayAddress address;
        final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
        final List<Consumer<State>> listeners = new CopyOnWriteArrayList<>();
        final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "memory-relay-client");
            t.setDaemon(true);
            return t;
        });
        volatile State state = State.CONNECTED;

        Client(RelayAddress address) {
            this.address = address;
        }

        void setState(State s) {
            state = s;
            thread.execute(() -> listeners.forEach(l -> l.accept(s)));
        }

        void reconnect() {
            if (state == State.CLOSED) {
                return;
            }
            // A new connection: every subscription is renewed from the last item it delivered.
            setState(State.CONNECTED);
            subscriptions.forEach(this::push);
        }

        /** Delivers, on this client's thread, every item after the subscription's last one. */
        void push(Subscription s) {
            thread.execute(() -> {
                while (up && state == State.CONNECTED) {
                    Map.Entry<Long, byte[]> next;
                    synchronized (MemoryRelay.this) {
                        Box b = boxes.get(s.inbox.id());
                        next = b == null ? null : b.items.higherEntry(s.delivered);
                    }
                    if (next == null) {
                        return;
                    }
                    s.delivered = next.getKey();
                    s.sink.accept(new Delivery(s.inbox.id(), next.getKey(), Instant.now(), next.getValue()));
                }
            });
        }

        private <T> CompletableFuture<T> unreachable() {
            return CompletableFuture.failedFuture(new RelayException(RelayException.Reason.UNREACHABLE,
                    "The relay at " + address.host() + ":" + address.port() + " cannot be reached."));
        }

        @Override
        public RelayAddress address() {
            return address;
        }

        @Override
        public CompletableFuture<Void> create(Inbox inbox) {
            if (!up || state == State.CLOSED) {
                return unreachable();
            }
            synchronized (MemoryRelay.this) {
                Box b = boxes.get(inbox.id());
                if (b == null) {
                    boxes.put(inbox.id(), new Box(inbox.receiveKey().publicKey(), inbox.sendKey().publicKey()));
                } else if (!MessageDigest.isEqual(b.receivePublic, inbox.receiveKey().publicKey())
                        || !MessageDigest.isEqual(b.sendPublic, inbox.sendKey().publicKey())) {
                    return CompletableFuture.failedFuture(new RelayException(
                            RelayException.Reason.MAILBOX_EXISTS, "That mailbox exists with other keys."));
                }
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Long> post(SendCapability to, byte[] blob, int ttlSeconds) {
            if (!up || state == State.CLOSED) {
                return unreachable();
            }
            long seq;
            List<Runnable> pushes;
            synchronized (MemoryRelay.this) {
                Box b = boxes.get(to.id());
                if (b == null) {
                    return CompletableFuture.failedFuture(new RelayException(RelayException.Reason.UNKNOWN_MAILBOX,
                            "No such mailbox."));
                }
                if (!MessageDigest.isEqual(b.sendPublic, to.sendKey().publicKey())) {
                    return CompletableFuture.failedFuture(new RelayException(RelayException.Reason.BAD_SIGNATURE,
                            "The request's signature does not verify."));
                }
                seq = b.next++;
                b.items.put(seq, blob.clone());
                posted.add(blob.clone());
                pushes = pushesFor(to.id());
            }
            pushes.forEach(Runnable::run);
            return CompletableFuture.completedFuture(seq);
        }

        @Override
        public CompletableFuture<Void> subscribe(Inbox inbox, Consumer<Delivery> sink) {
            if (state == State.CLOSED) {
                return unreachable();
            }
            Subscription s = new Subscription(inbox, sink);
            subscriptions.add(s);
            push(s);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> delete(Inbox inbox, long upTo) {
            if (!up || state == State.CLOSED) {
                return unreachable();
            }
            synchronized (MemoryRelay.this) {
                Box b = boxes.get(inbox.id());
                if (b != null && MessageDigest.isEqual(b.receivePublic, inbox.receiveKey().publicKey())) {
                    b.items.headMap(upTo, true).clear();
                }
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public State state() {
            return state;
        }

        @Override
        public void addStateListener(Consumer<State> listener) {
            listeners.add(listener);
        }

        @Override
        public String lastProblem() {
            return up ? "" : "The relay cannot be reached.";
        }

        @Override
        public void close() {
            state = State.CLOSED;
            clients.remove(this);
            thread.shutdownNow();
        }
    }
}
