package org.securep2p.relay.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.testing.Await;
import org.securep2p.crypto.testing.SeededRandom;

class TcpBalancerTest {

    /** Closed after each test, last opened first (the echo threads add their sockets too). */
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    /** A backend that writes its tag byte to each connection, then echoes everything back. */
    private InetSocketAddress echo(char tag) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        open.add(server);
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    Socket s = server.accept();
                    open.add(s);
                    Thread c = new Thread(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            out.write(tag);
                            in.transferTo(out);
                        } catch (IOException e) {
                            // the connection ended
                        }
                    }, "echo-" + tag);
                    c.setDaemon(true);
                    c.start();
                }
            } catch (IOException e) {
                // closed
            }
        }, "echo-accept-" + tag);
        t.setDaemon(true);
        t.start();
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /** A loopback port nobody listens on: connecting is refused. */
    private static InetSocketAddress refusing() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return (InetSocketAddress) s.getLocalSocketAddress();
        }
    }

    private TcpBalancer balancer(InetSocketAddress... backends) throws IOException {
        TcpBalancer b = TcpBalancer.start(List.of(backends));
        open.add(b);
        return b;
    }

    private Socket connect(TcpBalancer b) throws IOException {
        Socket s = new Socket();
        open.add(s);
        s.connect(b.address(), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    @Test
    void handsConnectionsToTheBackendsInTurnAndCopiesBothWaysIntact() throws Exception {
        TcpBalancer b = balancer(echo('A'), echo('B'));
        StringBuilder tags = new StringBuilder();
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Socket s = connect(b);
            tags.append((char) s.getInputStream().read());
            sockets.add(s);
        }
        assertThat(tags).hasToString("ABAB");
        assertThat(b.routes()).extracting(TcpBalancer.Route::backend).containsExactly(0, 1, 0, 1);
        assertThat(b.openConnections(0)).isEqualTo(2);

        // Much more than the balancer buffers, written while the echo comes back: flow control both ways.
        byte[] data = new byte[3 * 1024 * 1024];
        new SeededRandom("balancer").nextBytes(data);
        Socket s = sockets.get(1);
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            try {
                s.getOutputStream().write(data);
                s.shutdownOutput();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        byte[] back = s.getInputStream().readAllBytes();
        writing.get(30, TimeUnit.SECONDS);
        assertThat(back).isEqualTo(data);
    }

    @Test
    void skipsABackendThatRefusesConnections() throws Exception {
        TcpBalancer b = balancer(refusing(), echo('B'));
        for (int i = 0; i < 3; i++) {
            assertThat(connect(b).getInputStream().read()).isEqualTo('B');
        }
        assertThat(b.routes()).extracting(TcpBalancer.Route::backend).containsExactly(1, 1, 1);
    }

    @Test
    void closesTheClientWhenEveryBackendRefuses() throws Exception {
        TcpBalancer b = balancer(refusing(), refusing());
        assertThat(connect(b).getInputStream().read()).isEqualTo(-1);
        assertThat(b.routes()).extracting(TcpBalancer.Route::backend).containsExactly(-1);
    }

    @Test
    void aBackendTakenDownLosesItsConnectionsAndItsTurn() throws Exception {
        TcpBalancer b = balancer(echo('A'), echo('B'));
        Socket first = connect(b);
        assertThat(first.getInputStream().read()).isEqualTo('A');
        b.down(0);
        Await.until("the balancer resets the connection to A", Duration.ofSeconds(10),
                () -> b.openConnections(0) == 0);
        assertThat(endOrReset(first)).isTrue();
        assertThat(connect(b).getInputStream().read()).isEqualTo('B');
        assertThat(connect(b).getInputStream().read()).isEqualTo('B');
        b.up(0);
        assertThat(connect(b).getInputStream().read()).isEqualTo('A');
    }

    private static boolean endOrReset(Socket s) {
        try {
            return s.getInputStream().read() == -1;
        } catch (IOException e) {
            return true;
        }
    }
}
