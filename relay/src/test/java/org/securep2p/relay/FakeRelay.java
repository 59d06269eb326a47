package org.securep2p.relay;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.securep2p.relay.server.RelayIdentity;

/**
 * A relay for client tests that can also misbehave: it speaks §22.3 over real TLS with a real {@link RelayIdentity},
 * keeps mailboxes in memory (no durability, no limits) and, when told, stays silent after its challenge or sends
 * no challenge at all. What the real relay does is tested against {@code RelayServer}; this one exists to make the
 * faults a real relay never makes on purpose.
 */
public final class FakeRelay implements AutoCloseable {

    /** How the fake answers. */
    enum Mode {
        /** As §22.3 says. */
        NORMAL,
        /** Challenges, then never answers. */
        SILENT,
        /** Accepts the WebSocket, never challenges. */
        NO_CHALLENGE
    }

    private final Server server;
    private final ServerConnector connector;
    private final RelayIdentity identity;
    private final SecureRandom random;
    volatile Mode mode = Mode.NORMAL;
    /** When set, SUBSCRIBE delivers from the first item whatever its {@code after} says (a relay that duplicates). */
    volatile boolean ignoreAfter;
    /** The item limit the challenge announces. */
    volatile int maxBlob = RelayFrame.MAX_BLOB;
    final AtomicInteger connections = new AtomicInteger();
    final List<RelayFrame> requests = new CopyOnWriteArrayList<>();
    private final Map<MailboxId, List<byte[]>> boxes = new HashMap<>();
    private final Map<MailboxId, Long> firstSequence = new HashMap<>();
    private final List<Conn> open = new CopyOnWriteArrayList<>();

    FakeRelay(Path dataDir, SecureRandom random, int port) throws Exception {
        this.random = random;
        this.identity = RelayIdentity.loadOrCreate(dataDir, random, Clock.systemUTC());
        server = new Server();
        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setSslContext(identity.serverContext(random));
        // No SNI host check: the certificate names no host, the client pins its key (§22.2).
        HttpConfiguration http = new HttpConfiguration();
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        http.addCustomizer(secure);
        connector = new ServerConnector(server, tls, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(WebSocketUpgradeHandler.from(server, c -> c.addMapping("/v1", (rq, rs, cb) -> new Conn())));
        server.start();
    }

    RelayAddress address() {
        return new RelayAddress("127.0.0.1", connector.getLocalPort(), identity.fingerprint());
    }

    int port() {
        return connector.getLocalPort();
    }

    /** Drops every open connection (as a relay restart does). */
    void dropAll() {
        for (Conn c : open) {
            c.session.disconnect();
        }
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException("the fake relay did not stop", e);
        }
    }

    /** Public: Jetty reaches listener methods through a public lookup. */
    public final class Conn implements Session.Listener.AutoDemanding {
        Session session;
        byte[] nonce = new byte[32];

        private Conn() {
        }

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
            open.add(this);
            connections.incrementAndGet();
            random.nextBytes(nonce);
            if (mode != Mode.NO_CHALLENGE) {
                send(new RelayFrame.Challenge(nonce, maxBlob, 86_400));
            }
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason, Callback callback) {
            callback.succeed();
            open.remove(this);
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            callback.succeed();
            RelayFrame f;
            try {
                f = RelayFrame.decode(b);
            } catch (RelayException e) {
                send(new RelayFrame.Error(0, e.reason(), "The frame does not parse."));
                session.close();
                return;
            }
            requests.add(f);
            if (mode == Mode.SILENT) {
                return;
            }
            synchronized (FakeRelay.this) {
                handle(f);
            }
        }

        private void handle(RelayFrame f) {
            int id = f.requestId();
            if (f instanceof RelayFrame.Ping) {
                send(new RelayFrame.Ok(id, 0));
            } else if (f instanceof RelayFrame.Create c) {
                if (!c.verify(c.receiveKey(), nonce)) {
                    send(new RelayFrame.Error(id, RelayException.Reason.BAD_SIGNATURE, "Bad signature."));
                    return;
                }
                boxes.putIfAbsent(c.mailbox(), new ArrayList<>());
                firstSequence.putIfAbsent(c.mailbox(), 1L);
                send(new RelayFrame.Ok(id, 0));
            } else if (f instanceof RelayFrame.Post p) {
                List<byte[]> box = boxes.get(p.mailbox());
                if (box == null) {
                    send(new RelayFrame.Error(id, RelayException.Reason.UNKNOWN_MAILBOX, "No such mailbox."));
                    return;
                }
                box.add(p.blob());
                long seq = firstSequence.get(p.mailbox()) + box.size() - 1;
                send(new RelayFrame.Ok(id, seq));
                for (Conn c : open) {
                    c.pushNew(p.mailbox(), seq, p.blob());
                }
            } else if (f instanceof RelayFrame.Subscribe s) {
                List<byte[]> box = boxes.get(s.mailbox());
                if (box == null) {
                    send(new RelayFrame.Error(id, RelayException.Reason.UNKNOWN_MAILBOX, "No such mailbox."));
                    return;
                }
                subscribed.put(s.mailbox(), id);
                send(new RelayFrame.Ok(id, 0));
                long first = firstSequence.get(s.mailbox());
                for (int i = 0; i < box.size(); i++) {
                    if (ignoreAfter || first + i > s.after()) {
                        send(new RelayFrame.Deliver(id, s.mailbox(), first + i, 1, box.get(i)));
                    }
                }
            } else if (f instanceof RelayFrame.Delete) {
                send(new RelayFrame.Ok(id, 0));
            }
        }

        private final Map<MailboxId, Integer> subscribed = new HashMap<>();

        void pushNew(MailboxId box, long seq, byte[] blob) {
            Integer sub = subscribed.get(box);
            if (sub != null) {
                send(new RelayFrame.Deliver(sub, box, seq, 1, blob));
            }
        }

        void send(RelayFrame f) {
            session.sendBinary(ByteBuffer.wrap(f.encode()), Callback.NOOP);
        }
    }
}
