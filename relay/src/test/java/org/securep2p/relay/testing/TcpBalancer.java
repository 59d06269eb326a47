package org.securep2p.relay.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Several relay instances behind one address, for tests and benchmarks (PROTOCOL.md §23.5): a TCP balancer on
 * loopback that hands each accepted connection to the next live backend in turn (round robin) and copies bytes both
 * ways, so TLS passes through to the instance untouched, as HAProxy's {@code mode tcp} does. A backend that refuses
 * the connection is skipped for that connection (the next one in turn is tried); {@link #down(int)} takes a backend
 * out of the rotation and resets the connections it carries, as if that instance had died. Every connection's
 * route is recorded ({@link #routes()}), so a test can tell which instance a client reached.
 *
 * <p>Not its job: health checks, TLS, or fairness beyond round robin. One selector thread does all the I/O.
 */
public final class TcpBalancer implements AutoCloseable {

    /** Bytes buffered per direction of one connection; reading stops while the other side has not taken them. */
    static final int BUFFER = 64 * 1024;

    /** One accepted connection and the backend it was handed to (-1: every backend refused it). */
    public record Route(int clientPort, int backend) {
    }

    private final List<InetSocketAddress> backends;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Thread loop;
    /** 1 while a backend is out of the rotation. */
    private final AtomicIntegerArray down;
    /** Connections open now, per backend. */
    private final AtomicIntegerArray open;
    private final List<Route> routes = new CopyOnWriteArrayList<>();
    /** Work for the selector thread (it alone touches channels and keys). */
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Set<Pair> pairs = new HashSet<>();
    private int next;
    private volatile boolean closed;

    private TcpBalancer(List<InetSocketAddress> backends) throws IOException {
        this.backends = List.copyOf(backends);
        this.down = new AtomicIntegerArray(backends.size());
        this.open = new AtomicIntegerArray(backends.size());
        this.selector = Selector.open();
        this.server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        this.loop = new Thread(this::run, "tcp-balancer");
        loop.setDaemon(true);
    }

    /** Listens on a free loopback port in front of {@code backends} (at least one). */
    public static TcpBalancer start(List<InetSocketAddress> backends) throws IOException {
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("a balancer needs at least one backend");
        }
        TcpBalancer b = new TcpBalancer(backends);
        b.loop.start();
        return b;
    }

    /** The one address clients connect to. */
    public InetSocketAddress address() {
        try {
            return (InetSocketAddress) server.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException("the balancer is closed", e);
        }
    }

    /** Every connection accepted so far, in the order they were handed to a backend. */
    public List<Route> routes() {
        return List.copyOf(routes);
    }

    /** Connections to {@code backend} open now. */
    public int openConnections(int backend) {
        return open.get(backend);
    }

    /** Takes {@code backend} out of the rotation and resets every connection it carries (both sides see RST). */
    public void down(int backend) {
        Objects.checkIndex(backend, backends.size());
        down.set(backend, 1);
        submit(() -> {
            for (Pair p : List.copyOf(pairs)) {
                if (p.backendIndex == backend) {
                    p.reset();
                }
            }
        });
    }

    /** Puts {@code backend} back into the rotation. */
    public void up(int backend) {
        down.set(backend, 0);
    }

    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            loop.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void submit(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    private void run() {
        try {
            while (!closed) {
                selector.select();
                for (Runnable t = tasks.poll(); t != null; t = tasks.poll()) {
                    t.run();
                }
                for (var it = selector.selectedKeys().iterator(); it.hasNext();) {
                    SelectionKey key = it.next();
                    it.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.channel() == server) {
                        accept();
                    } else {
                        ((Pair) key.attachment()).ready(key);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("tcp-balancer: stopped: " + e);
        } finally {
            for (Pair p : List.copyOf(pairs)) {
                p.close();
            }
            try {
                server.close();
                selector.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    private void accept() throws IOException {
        for (SocketChannel client = server.accept(); client != null; client = server.accept()) {
            client.configureBlocking(false);
            client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Pair p = new Pair(client);
            pairs.add(p);
            p.dialNext();
        }
    }

    /** The next backend in turn that is in the rotation and not yet tried for this connection, or -1. */
    private int pick(Set<Integer> tried) {
        for (int i = 0; i < backends.size(); i++) {
            int b = (next + i) % backends.size();
            if (down.get(b) == 0 && !tried.contains(b)) {
                next = (b + 1) % backends.size();
                return b;
            }
        }
        return -1;
    }

    /** One client connection, the backend connection it is being or was handed to, and a buffer each way. */
    private final class Pair {
        final SocketChannel client;
        final Set<Integer> tried = new HashSet<>();
        final ByteBuffer up = ByteBuffer.allocate(BUFFER);
        final ByteBuffer downstream = ByteBuffer.allocate(BUFFER);
        SocketChannel backend;
        int backendIndex = -1;
        SelectionKey clientKey;
        SelectionKey backendKey;
        boolean clientEof;
        boolean backendEof;
        boolean connected;

        Pair(SocketChannel client) {
            this.client = client;
        }

        void dialNext() {
            int b = pick(tried);
            if (b < 0) {
                routes.add(new Route(port(client), -1));
                close();
                return;
            }
            tried.add(b);
            backendIndex = b;
            try {
                backend = SocketChannel.open();
                backend.configureBlocking(false);
                backend.setOption(StandardSocketOptions.TCP_NODELAY, true);
                if (backend.connect(backends.get(b))) {
                    established();
                } else {
                    backendKey = backend.register(selector, SelectionKey.OP_CONNECT, this);
                }
            } catch (IOException e) {
                retry();
            }
        }

        /** The backend refused (or failed): try the next one for this same client connection. */
        void retry() {
            closeQuietly(backend);
            backend = null;
            dialNext();
        }

        void established() throws IOException {
            connected = true;
            open.incrementAndGet(backendIndex);
            routes.add(new Route(port(client), backendIndex));
            clientKey = client.register(selector, SelectionKey.OP_READ, this);
            backendKey = backend.register(selector, SelectionKey.OP_READ, this);
        }

        void ready(SelectionKey key) {
            try {
                if (!connected) {
                    if (key.isConnectable()) {
                        backend.finishConnect();
                        established();
                    }
                    return;
                }
                if (key.isReadable()) {
                    if (key == clientKey) {
                        clientEof |= pump(client, up, backend);
                    } else {
                        backendEof |= pump(backend, downstream, client);
                    }
                }
                if (key.isValid() && key.isWritable()) {
                    if (key == clientKey) {
                        flush(downstream, client);
                    } else {
                        flush(up, backend);
                    }
                }
                interest();
            } catch (IOException e) {
                if (!connected) {
                    retry();
                } else {
                    reset();
                }
            }
        }

        /** Reads what {@code from} has into {@code buf} and writes what it can to {@code to}; true at end of stream. */
        private boolean pump(SocketChannel from, ByteBuffer buf, SocketChannel to) throws IOException {
            int n = from.read(buf);
            flush(buf, to);
            return n < 0;
        }

        private void flush(ByteBuffer buf, SocketChannel to) throws IOException {
            buf.flip();
            to.write(buf);
            buf.compact();
        }

        /** Reads only while there is room, writes only while there are bytes; half-closes once a side ended. */
        private void interest() throws IOException {
            if (clientEof && up.position() == 0 && backend.isOpen()) {
                backend.shutdownOutput();
            }
            if (backendEof && downstream.position() == 0 && client.isOpen()) {
                client.shutdownOutput();
            }
            if ((clientEof && backendEof && up.position() == 0 && downstream.position() == 0)) {
                close();
                return;
            }
            clientKey.interestOps((clientEof || !up.hasRemaining() ? 0 : SelectionKey.OP_READ)
                    | (downstream.position() > 0 ? SelectionKey.OP_WRITE : 0));
            backendKey.interestOps((backendEof || !downstream.hasRemaining() ? 0 : SelectionKey.OP_READ)
                    | (up.position() > 0 ? SelectionKey.OP_WRITE : 0));
        }

        /** Closes both sides with RST (SO_LINGER 0), as a dead instance's connections end. */
        void reset() {
            for (SocketChannel c : new SocketChannel[] {client, backend}) {
                if (c != null && c.isOpen()) {
                    try {
                        c.setOption(StandardSocketOptions.SO_LINGER, 0);
                    } catch (IOException e) {
                        // closing anyway
                    }
                }
            }
            close();
        }

        void close() {
            if (pairs.remove(this) && connected) {
                open.decrementAndGet(backendIndex);
            }
            closeQuietly(client);
            closeQuietly(backend);
        }

    }

    private static int port(SocketChannel c) {
        try {
            return ((InetSocketAddress) c.getRemoteAddress()).getPort();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static void closeQuietly(SocketChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }
}
