package org.securep2p.relay.server;

import java.net.URI;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.PinnedTrust;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.RelayFrame;
import org.securep2p.relay.SigningKey;

/**
 * A test-side relay client that sends whatever bytes a test crafts and records every frame and the close: the
 * relay's behaviour is checked on the wire, not through the real client.
 */
public final class RawRelayClient implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(10);

    private final WebSocketClient ws;
    private final Session session;
    private final BlockingQueue<RelayFrame> frames;
    private final CompletableFuture<Integer> closed;
    private final byte[] nonce;
    private int nextId = 1;

    private RawRelayClient(WebSocketClient ws, Session session, byte[] nonce, Listener l) {
        this.ws = ws;
        this.session = session;
        this.nonce = nonce;
        this.frames = l.frames;
        this.closed = l.closed;
    }

    static RawRelayClient connect(RelayAddress address) throws Exception {
        return connect(address, PinnedTrust.clientContext(address, new SecureRandom()), true);
    }

    /** Connects with {@code tls}; when {@code expectChallenge}, waits for the CHALLENGE. */
    static RawRelayClient connect(RelayAddress address, SSLContext tls, boolean expectChallenge) throws Exception {
        SslContextFactory.Client ssl = new SslContextFactory.Client();
        ssl.setSslContext(tls);
        ssl.setEndpointIdentificationAlgorithm(null);
        ClientConnector cc = new ClientConnector();
        cc.setSslContextFactory(ssl);
        HttpClient http = new HttpClient(new HttpClientTransportOverHTTP(cc));
        WebSocketClient ws = new WebSocketClient(http);
        ws.setMaxBinaryMessageSize(RelayFrame.MAX_FRAME);
        ws.setMaxFrameSize(RelayFrame.MAX_FRAME);
        ws.start();
        Listener l = new Listener();
        Session s;
        try {
            s = ws.connect(l, URI.create(address.webSocketUri())).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            ws.stop();
            throw e;
        }
        byte[] nonce = new byte[RelayFrame.NONCE_LENGTH];
        if (expectChallenge) {
            RelayFrame first = l.frames.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            if (!(first instanceof RelayFrame.Challenge c)) {
                ws.stop();
                throw new AssertionError("expected a CHALLENGE first, got " + first);
            }
            nonce = c.nonce();
        }
        return new RawRelayClient(ws, s, nonce, l);
    }

    byte[] nonce() {
        return nonce.clone();
    }

    int nextId() {
        return nextId++;
    }

    void send(byte[] bytes) {
        session.sendBinary(ByteBuffer.wrap(bytes), Callback.NOOP);
    }

    void send(RelayFrame frame) {
        send(frame.encode());
    }

    void sendText(String text) {
        session.sendText(text, Callback.NOOP);
    }

    /** Sends {@code bytes} as fragments of {@code chunk} bytes. */
    void sendFragmented(byte[] bytes, int chunk) throws Exception {
        for (int off = 0; off < bytes.length; off += chunk) {
            int n = Math.min(chunk, bytes.length - off);
            CompletableFuture<Void> sent = new CompletableFuture<>();
            session.sendPartialBinary(ByteBuffer.wrap(bytes, off, n), off + n == bytes.length,
                    Callback.from(() -> sent.complete(null), sent::completeExceptionally));
            try {
                sent.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                return; // the relay closed on us: what the caller checks
            }
        }
    }

    /** The next frame received, failing the test if none comes in time. */
    RelayFrame next() throws InterruptedException {
        RelayFrame f = frames.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        if (f == null) {
            throw new AssertionError("no frame from the relay within " + WAIT);
        }
        return f;
    }

    /** A frame if one arrives within {@code wait}. */
    RelayFrame poll(Duration wait) throws InterruptedException {
        return frames.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The WebSocket close code once the connection closed. */
    int closeCode() throws Exception {
        return closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    boolean isOpen() {
        return session.isOpen();
    }

    // --- signed requests with this connection's nonce

    RelayFrame create(MailboxId id, SigningKey receive, SigningKey send, byte[] password) throws InterruptedException {
        send(RelayFrame.Create.sign(nextId(), id, receive, send.publicKey(), password, nonce));
        return next();
    }

    RelayFrame post(MailboxId id, SigningKey send, int ttl, byte[] blob) throws InterruptedException {
        send(RelayFrame.Post.sign(nextId(), id, ttl, blob, send, nonce));
        return next();
    }

    RelayFrame subscribe(MailboxId id, SigningKey receive, long after) throws InterruptedException {
        send(RelayFrame.Subscribe.sign(nextId(), id, after, receive, nonce));
        return next();
    }

    RelayFrame delete(MailboxId id, SigningKey receive, long upTo) throws InterruptedException {
        send(RelayFrame.Delete.sign(nextId(), id, upTo, receive, nonce));
        return next();
    }

    @Override
    public void close() throws Exception {
        try {
            session.close();
        } finally {
            ws.stop();
        }
    }

    public static final class Listener implements Session.Listener.AutoDemanding {
        final BlockingQueue<RelayFrame> frames = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            callback.succeed();
            try {
                RelayFrame f = RelayFrame.decode(b);
                frames.add(f);
            } catch (RelayException e) {
                throw new AssertionError("the relay sent a frame that does not decode", e);
            }
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason, Callback callback) {
            callback.succeed();
            closed.complete(statusCode);
        }
    }
}
