package org.securep2p.relay;

import java.nio.ByteBuffer;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/** Runs a TLS handshake between two engines in memory (no sockets), for tests of contexts and trust. */
public final class EngineHandshake {

    private EngineHandshake() {
    }

    /** Drives both engines until each has finished its handshake; rethrows the first failure. */
    public static void run(SSLEngine client, SSLEngine server) throws SSLException {
        client.setUseClientMode(true);
        server.setUseClientMode(false);
        int size = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
        ByteBuffer toServer = ByteBuffer.allocate(4 * size);
        ByteBuffer toClient = ByteBuffer.allocate(4 * size);
        ByteBuffer app = ByteBuffer.allocate(4 * size);
        ByteBuffer empty = ByteBuffer.allocate(0);
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 200; round++) {
            step(client, empty, toServer, toClient, app);
            step(server, empty, toClient, toServer, app);
            if (done(client) && done(server)) {
                return;
            }
        }
        throw new SSLException("the handshake did not finish");
    }

    private static boolean done(SSLEngine e) {
        SSLEngineResult.HandshakeStatus s = e.getHandshakeStatus();
        return s == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING || s == SSLEngineResult.HandshakeStatus.FINISHED;
    }

    private static void step(SSLEngine e, ByteBuffer empty, ByteBuffer out, ByteBuffer in, ByteBuffer app)
            throws SSLException {
        for (int i = 0; i < 20; i++) {
            switch (e.getHandshakeStatus()) {
                case NEED_WRAP -> e.wrap(empty, out);
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                    in.flip();
                    SSLEngineResult r = e.unwrap(in, app);
                    in.compact();
                    app.clear();
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                        return;
                    }
                }
                case NEED_TASK -> {
                    Runnable t;
                    while ((t = e.getDelegatedTask()) != null) {
                        t.run();
                    }
                }
                default -> {
                    return;
                }
            }
        }
    }
}
