package org.securep2p.relay.server;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.RelayException.Reason;
import org.securep2p.relay.RelayFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's WebSocket (PROTOCOL.md §22.3): sends the CHALLENGE, then reads frames one at a time (it asks Jetty
 * for the next only when it has answered the previous), checks each request (rate, version and form, increasing
 * id, signature), acts through the store and answers OK or ERROR. The ✱ reasons close the connection after the
 * ERROR is written. Never logs a mailbox id, a key or a blob. Public only because Jetty calls its listener
 * methods through a method-handle lookup, which needs a public class; nothing else can make one.
 */
public final class RelayConnection implements Session.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(RelayConnection.class);

    /** The connection's lifecycle: one state, moved forward only. */
    enum State { NEW, OPEN, CLOSING, CLOSED }

    private final RelayContext relay;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final Map<MailboxId, Subscription> subscriptions = new ConcurrentHashMap<>();
    private volatile Session session;
    private boolean admitted;
    private byte[] nonce;
    private TokenBucket bucket;
    /** The last request id accepted; frames are handled one at a time, so no lock. */
    private int lastRequestId;
    private byte[] pending = new byte[0];
    private int pendingLength;

    RelayConnection(RelayContext relay) {
        this.relay = relay;
    }

    RelayContext relay() {
        return relay;
    }

    @Override
    public void onWebSocketOpen(Session s) {
        session = s;
        if (!relay.admit()) {
            state.set(State.CLOSING);
            sendThenClose(new RelayFrame.Error(0, Reason.BUSY, detail(Reason.BUSY)), StatusCode.POLICY_VIOLATION);
            return;
        }
        admitted = true;
        nonce = new byte[RelayFrame.NONCE_LENGTH];
        relay.random().nextBytes(nonce);
        bucket = new TokenBucket(relay.config().requestsPerSecond(), relay.config().requestBurst(),
                relay.clock().millis());
        state.set(State.OPEN);
        long ttl = Math.min(Integer.MAX_VALUE, relay.config().maxTtl().toSeconds());
        send(new RelayFrame.Challenge(nonce, RelayFrame.MAX_BLOB, (int) ttl));
        s.demand();
    }

    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean fin, Callback callback) {
        int n = payload.remaining();
        if (state.get() != State.OPEN) {
            callback.succeed();
            return;
        }
        if ((long) pendingLength + n > RelayFrame.MAX_FRAME) {
            callback.succeed();
            int id = peekId(pending, pendingLength);
            pending = new byte[0];
            pendingLength = 0;
            refuse(id, Reason.TOO_LARGE, StatusCode.MESSAGE_TOO_LARGE);
            return;
        }
        if (pendingLength + n > pending.length) {
            pending = java.util.Arrays.copyOf(pending, Math.max(pendingLength + n, Math.min(RelayFrame.MAX_FRAME,
                    2 * pending.length)));
        }
        payload.get(pending, pendingLength, n);
        pendingLength += n;
        callback.succeed();
        if (fin) {
            byte[] frame = java.util.Arrays.copyOf(pending, pendingLength);
            pendingLength = 0;
            if (pending.length > 64 * 1024) {
                pending = new byte[0]; // a big message's buffer is not kept for the connection's life
            }
            handle(frame);
        }
        if (state.get() == State.OPEN) {
            session.demand();
        }
    }

    @Override
    public void onWebSocketPartialText(String payload, boolean fin) {
        // Binary only (§22.2): a text message is a client that speaks something else.
        if (state.compareAndSet(State.OPEN, State.CLOSING) || state.compareAndSet(State.NEW, State.CLOSING)) {
            cancelSubscriptions();
            session.close(StatusCode.BAD_DATA, "binary messages only", Callback.NOOP);
        }
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        LOG.debug("relay connection error: {}", cause.toString());
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
        try {
            State before = state.getAndSet(State.CLOSED);
            cancelSubscriptions();
            if (admitted && before != State.CLOSED) {
                relay.release();
            }
        } finally {
            // Jetty finishes the close only once told: even if the clean-up above threw.
            callback.succeed();
        }
    }

    private void handle(byte[] bytes) {
        int id = peekId(bytes, bytes.length);
        if (!bucket.tryTake(relay.clock().millis())) {
            refuse(id, Reason.RATE_LIMITED, StatusCode.POLICY_VIOLATION);
            return;
        }
        if (blobOverLimit(bytes)) {
            refuse(id, Reason.TOO_LARGE, StatusCode.POLICY_VIOLATION);
            return;
        }
        RelayFrame frame;
        try {
            frame = RelayFrame.decode(bytes);
        } catch (RelayException e) {
            refuse(id, e.reason(), StatusCode.POLICY_VIOLATION);
            return;
        }
        if (!(frame instanceof RelayFrame.Signed || frame instanceof RelayFrame.Ping)) {
            refuse(id, Reason.BAD_FRAME, StatusCode.POLICY_VIOLATION); // a relay-to-client type from a client
            return;
        }
        id = frame.requestId();
        if (id <= lastRequestId) {
            refuse(id, Reason.REPLAYED, StatusCode.POLICY_VIOLATION);
            return;
        }
        lastRequestId = id;
        try {
            if (frame instanceof RelayFrame.Ping) {
                send(new RelayFrame.Ok(id, 0));
            } else if (frame instanceof RelayFrame.Create c) {
                create(c);
            } else if (frame instanceof RelayFrame.Post p) {
                post(p);
            } else if (frame instanceof RelayFrame.Subscribe s) {
                subscribe(s);
            } else if (frame instanceof RelayFrame.Delete d) {
                delete(d);
            }
        } catch (RelayException e) {
            refuse(id, e.reason(), StatusCode.POLICY_VIOLATION);
        } catch (RuntimeException e) {
            // A bug or a store failure outside its contract: this request fails, the relay and its state stay.
            LOG.warn("A relay request failed: {}", e.toString());
            refuse(id, Reason.INTERNAL, StatusCode.SERVER_ERROR);
        }
    }

    private void create(RelayFrame.Create c) throws RelayException {
        verify(c, c.receiveKey());
        Optional<byte[]> password = relay.config().createPassword();
        if (password.isPresent() && !samePassword(password.get(), c.password())) {
            throw new RelayException(Reason.NOT_ALLOWED, detail(Reason.NOT_ALLOWED));
        }
        relay.store().create(c.mailbox(), c.receiveKey(), c.sendKey(), relay.clock().instant());
        send(new RelayFrame.Ok(c.requestId(), 0));
    }

    private void post(RelayFrame.Post p) throws RelayException {
        MailboxStore.Keys keys = keysOf(p.mailbox());
        verify(p, keys.sendKey());
        Instant now = relay.clock().instant();
        Duration ttl = Duration.ofSeconds(p.ttlSeconds());
        if (ttl.compareTo(relay.config().maxTtl()) > 0) {
            ttl = relay.config().maxTtl();
        }
        long sequence = relay.store().post(p.mailbox(), p.blob(), now, now.plus(ttl));
        send(new RelayFrame.Ok(p.requestId(), sequence));
        // Wakes the subscribers of every instance; on PostgreSQL the POST's own commit already did.
        relay.bus().posted(p.mailbox(), sequence);
    }

    private void subscribe(RelayFrame.Subscribe s) throws RelayException {
        MailboxStore.Keys keys = keysOf(s.mailbox());
        verify(s, keys.receiveKey());
        Subscription sub = new Subscription(this, s.mailbox(), s.requestId(), s.after());
        Subscription old = subscriptions.put(s.mailbox(), sub);
        if (old != null) {
            old.cancel();
            relay.unsubscribe(old);
        }
        // OK is queued before any DELIVER of this subscription; registering before the first read means a
        // commit from now on wakes the pump, and one before it is in the first read.
        send(new RelayFrame.Ok(s.requestId(), 0));
        relay.subscribe(sub);
        if (state.get() != State.OPEN) {
            sub.cancel();
            relay.unsubscribe(sub);
            return;
        }
        sub.wake();
    }

    private void delete(RelayFrame.Delete d) throws RelayException {
        MailboxStore.Keys keys = keysOf(d.mailbox());
        verify(d, keys.receiveKey());
        relay.store().delete(d.mailbox(), d.upTo());
        send(new RelayFrame.Ok(d.requestId(), 0));
    }

    /**
     * Constant time, length included: both sides are hashed first, because {@link MessageDigest#isEqual} returns
     * at once on a length mismatch and would tell a guesser the password's length.
     */
    static boolean samePassword(byte[] expected, byte[] offered) {
        try {
            MessageDigest a = MessageDigest.getInstance("SHA-256");
            MessageDigest b = MessageDigest.getInstance("SHA-256");
            return MessageDigest.isEqual(a.digest(expected), b.digest(offered));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        } finally {
            java.util.Arrays.fill(expected, (byte) 0); // both are this call's copies
            java.util.Arrays.fill(offered, (byte) 0);
        }
    }

    private MailboxStore.Keys keysOf(MailboxId mailbox) throws RelayException {
        return relay.store().keys(mailbox)
                .orElseThrow(() -> new RelayException(Reason.UNKNOWN_MAILBOX, detail(Reason.UNKNOWN_MAILBOX)));
    }

    private void verify(RelayFrame.Signed request, byte[] publicKey) throws RelayException {
        if (!request.verify(publicKey, nonce)) {
            throw new RelayException(Reason.BAD_SIGNATURE, detail(Reason.BAD_SIGNATURE));
        }
    }

    /** Writes {@code items} as DELIVERs of {@code sub}; {@code done} runs once the last is written. */
    void deliver(Subscription sub, List<MailboxStore.Item> items, Runnable done, Runnable failed) {
        Session s = session;
        AtomicInteger left = new AtomicInteger(items.size());
        Callback cb = Callback.from(() -> {
            if (left.decrementAndGet() == 0) {
                done.run();
            }
        }, t -> failed.run());
        for (MailboxStore.Item item : items) {
            RelayFrame.Deliver d = new RelayFrame.Deliver(sub.requestId(), sub.mailbox(), item.sequence(),
                    item.postedMillis(), item.blob());
            s.sendBinary(ByteBuffer.wrap(d.encode()), cb);
        }
    }

    /** The store failed under a subscription: the client must subscribe again. */
    void subscriptionFailed(Subscription sub) {
        relay.unsubscribe(sub);
        subscriptions.remove(sub.mailbox(), sub);
        send(new RelayFrame.Error(sub.requestId(), Reason.INTERNAL, detail(Reason.INTERNAL)));
    }

    private void refuse(int requestId, Reason reason, int closeCode) {
        RelayFrame.Error error = new RelayFrame.Error(requestId, reason, detail(reason));
        if (!reason.closesConnection()) {
            send(error);
            return;
        }
        if (state.compareAndSet(State.OPEN, State.CLOSING)) {
            cancelSubscriptions();
            sendThenClose(error, closeCode);
        }
    }

    private void send(RelayFrame frame) {
        session.sendBinary(ByteBuffer.wrap(frame.encode()), Callback.from(() -> { },
                t -> LOG.debug("relay send failed: {}", t.toString())));
    }

    private void sendThenClose(RelayFrame frame, int closeCode) {
        Session s = session;
        s.sendBinary(ByteBuffer.wrap(frame.encode()), Callback.from(
                () -> s.close(closeCode, "closed by the relay", Callback.NOOP), t -> s.disconnect()));
    }

    private void cancelSubscriptions() {
        for (Subscription sub : subscriptions.values()) {
            sub.cancel();
            relay.unsubscribe(sub);
        }
        subscriptions.clear();
    }

    /**
     * Whether {@code b} is a version-1 POST whose blob length field is over {@link RelayFrame#MAX_BLOB}: an item over
     * the relay's limit is TOO_LARGE (§22.3), which the strict decoder would only call a bad frame.
     */
    private static boolean blobOverLimit(byte[] b) {
        int at = 6 + MailboxId.LENGTH + 4; // head, mailbox, ttl
        if (b.length < at + 4 || b[0] != RelayFrame.VERSION || b[1] != RelayFrame.Type.POST.code()) {
            return false;
        }
        long length = ((b[at] & 0xFFL) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8)
                | (b[at + 3] & 0xFF);
        return length > RelayFrame.MAX_BLOB;
    }

    /** The request id of a frame too broken to decode, if it has one (0 otherwise). */
    private static int peekId(byte[] b, int length) {
        if (length < 6) {
            return 0;
        }
        int id = ((b[2] & 0xFF) << 24) | ((b[3] & 0xFF) << 16) | ((b[4] & 0xFF) << 8) | (b[5] & 0xFF);
        return Math.max(id, 0);
    }

    /** The ERROR detail: a fixed sentence per reason that never echoes input (§22.3). */
    static String detail(Reason reason) {
        return switch (reason) {
            case BAD_FRAME -> "The frame does not parse.";
            case UNKNOWN_VERSION -> "This relay speaks frame version 1.";
            case BAD_SIGNATURE -> "The request's signature does not verify.";
            case REPLAYED -> "The request id is not above the previous one.";
            case UNKNOWN_MAILBOX -> "No such mailbox on this relay.";
            case MAILBOX_EXISTS -> "That mailbox exists with other keys.";
            case QUOTA_EXCEEDED -> "The mailbox or the relay is full.";
            case RATE_LIMITED -> "Too many requests on this connection.";
            case TOO_LARGE -> "The message is over the relay's limit.";
            case NOT_ALLOWED -> "This relay creates mailboxes only with its password.";
            case BUSY -> "The relay is at its connection limit; try again later.";
            default -> "The relay could not store or read; nothing was changed.";
        };
    }

    @Override
    public String toString() {
        return "RelayConnection[" + state.get() + "]";
    }
}
