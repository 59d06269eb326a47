package org.securep2p.transport;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.securep2p.transport.reliable.DatagramLink;
import org.securep2p.transport.reliable.ReliableWire;

/**
 * One bound UDP socket shared by several peers. Each datagram goes to the {@link Link} of its (source address,
 * connection id); a datagram that matches no link opens a new one only if {@link Connector#opensBareConnection}
 * says it is the start of a dialer's stream and both bounds have room: at most {@code maxConnections} links in
 * all, of which at most {@code maxHalfOpen} not yet {@link Link#markEstablished established}. Everything else is
 * dropped and counted. A link's slot is freed when the link is closed (its reliable channel closes it when it
 * ends).
 *
 * <p>Guarantees: nothing a datagram carries can make this class allocate beyond the bounds (one copied
 * datagram per queued packet, {@link #LINK_BACKLOG} per link) or throw on the receiving thread; a source never
 * receives another link's datagrams. Not its job: authentication (the reliable channel's tag and TLS), or
 * following a peer whose address changes (a new address is a new, unknown source; PROTOCOL.md 14).
 */
final class UdpDemux implements AutoCloseable {

    /** Datagrams queued per link before the newest is dropped: about 600 KB, a loss the peer repairs. */
    static final int LINK_BACKLOG = 512;
    /** Kernel receive buffer asked for, as a single link's: a burst from several peers lands in it at once. */
    private static final int SOCKET_BUFFER = 4 * 1024 * 1024;

    /** The socket's lifecycle: taking new peers, only serving the links it has, or released. */
    enum State { OPEN, DRAINING, CLOSED }

    /** Where a link's datagrams come from: the peer's address and the connection id in their header. */
    record Key(InetSocketAddress source, int connectionId) { }

    /** A link's lifecycle: in its handshake (counted against the half-open bound), in use, or closed. */
    enum LinkState { HALF_OPEN, ESTABLISHED, CLOSED }

    /** What was dropped and what is open; a snapshot. */
    record Counts(int links, int halfOpen, long strays, long overLimit, long backlogDrops) { }

    private final DatagramChannel channel;
    private final int maxConnections;
    private final int maxHalfOpen;
    private final Consumer<Link> onOpen;
    private final Runnable onStopped;
    private final Object lock = new Object();
    private final Map<Key, Link> links = new HashMap<>();
    private final Thread thread;
    // Guarded by lock.
    private State state = State.OPEN;
    private int halfOpen;
    private long strays;
    private long overLimit;
    private long backlogDrops;

    private UdpDemux(DatagramChannel channel, int maxConnections, int maxHalfOpen, Consumer<Link> onOpen,
            Runnable onStopped) {
        this.channel = channel;
        this.maxConnections = maxConnections;
        this.maxHalfOpen = maxHalfOpen;
        this.onOpen = onOpen;
        this.onStopped = onStopped;
        this.thread = new Thread(this::run, "securep2p-listener-" + port());
        thread.setDaemon(true);
    }

    /**
     * Binds UDP {@code port} (0: any) on all addresses and starts receiving. {@code onOpen} is called on the
     * receiving thread with each new link, its first datagram already queued, and must not block;
     * {@code onStopped} once the socket is released.
     */
    static UdpDemux bind(int port, int maxConnections, int maxHalfOpen, Consumer<Link> onOpen, Runnable onStopped)
            throws IOException {
        if (maxConnections < 1 || maxHalfOpen < 1 || maxHalfOpen > maxConnections) {
            throw new IllegalArgumentException("bounds " + maxConnections + "/" + maxHalfOpen);
        }
        DatagramChannel ch = DatagramChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            ch.bind(new InetSocketAddress(port));
            UdpDemux demux = new UdpDemux(ch, maxConnections, maxHalfOpen, Objects.requireNonNull(onOpen),
                    Objects.requireNonNull(onStopped));
            demux.thread.start();
            return demux;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    int port() {
        try {
            return ((InetSocketAddress) channel.getLocalAddress()).getPort();
        } catch (IOException e) {
            return -1;
        }
    }

    State state() {
        synchronized (lock) {
            return state;
        }
    }

    Counts counts() {
        synchronized (lock) {
            return new Counts(links.size(), halfOpen, strays, overLimit, backlogDrops);
        }
    }

    /**
     * Takes no new peer from now on and closes the half-open links; established links keep the socket until
     * the last of them is closed, then it is released.
     */
    @Override
    public void close() {
        List<Link> abandoned = new ArrayList<>();
        synchronized (lock) {
            if (state != State.OPEN) {
                return;
            }
            state = State.DRAINING;
            for (Link link : links.values()) {
                if (link.state == LinkState.HALF_OPEN) {
                    abandoned.add(link);
                }
            }
        }
        // Outside the loop over the map: closing a link removes it.
        for (Link link : abandoned) {
            link.close();
        }
        releaseIfDrained();
    }

    /** Releases the socket now: every link's next receive fails, so its channel ends. */
    void closeNow() {
        List<Link> all;
        synchronized (lock) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.DRAINING;
            all = new ArrayList<>(links.values());
        }
        for (Link link : all) {
            link.close();
        }
        releaseIfDrained();
    }

    private void releaseIfDrained() {
        synchronized (lock) {
            if (state != State.DRAINING || !links.isEmpty()) {
                return;
            }
            state = State.CLOSED;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // Nothing is lost by a failed close of a UDP socket; the receiving thread ends either way.
        }
    }

    private void run() {
        // One byte more than a peer of ours ever sends, so an oversized datagram is seen as such.
        ByteBuffer rx = ByteBuffer.allocateDirect(DatagramLink.MAX_DATAGRAM + 1);
        byte[] datagram = new byte[DatagramLink.MAX_DATAGRAM + 1];
        ReliableWire.Packet decoded = new ReliableWire.Packet();
        try {
            while (true) {
                rx.clear();
                SocketAddress from;
                try {
                    from = channel.receive(rx);
                } catch (ClosedChannelException e) {
                    return;
                }
                int n = rx.position();
                if (from == null) {
                    continue;
                }
                rx.flip();
                rx.get(datagram, 0, n);
                deliver((InetSocketAddress) from, datagram, n, decoded);
            }
        } catch (IOException | RuntimeException e) {
            // The socket itself failed (not a peer's datagram: those cannot throw here); links cannot go on.
            closeNow();
        } finally {
            synchronized (lock) {
                state = State.CLOSED;
            }
            try {
                channel.close();
            } catch (IOException ignored) {
                // already failed
            }
            onStopped.run();
        }
    }

    /** Routes one received datagram; package-private so the fuzz test can drive it without a socket. */
    void deliver(InetSocketAddress from, byte[] datagram, int n, ReliableWire.Packet decoded) {
        if (n < ReliableWire.HEADER_BYTES || n > DatagramLink.MAX_DATAGRAM) {
            synchronized (lock) {
                strays++;
            }
            return;
        }
        Key key = new Key(from, connectionId(datagram));
        Link link;
        boolean opened = false;
        synchronized (lock) {
            link = links.get(key);
            if (link == null) {
                if (state != State.OPEN || !Connector.opensBareConnection(datagram, n, decoded)) {
                    strays++;
                    return;
                }
                if (halfOpen >= maxHalfOpen || links.size() >= maxConnections) {
                    overLimit++;
                    return;
                }
                link = new Link(key);
                links.put(key, link);
                halfOpen++;
                opened = true;
            }
        }
        if (!link.inbox.offer(Arrays.copyOf(datagram, n))) {
            synchronized (lock) {
                backlogDrops++;
            }
        }
        if (opened) {
            try {
                onOpen.accept(link);
            } catch (RuntimeException e) {
                link.close();
            }
        }
    }

    /** The header's connection id (bytes 2..5, ReliableWire's layout), read before any full decode. */
    private static int connectionId(byte[] d) {
        return ((d[2] & 0xff) << 24) | ((d[3] & 0xff) << 16) | ((d[4] & 0xff) << 8) | (d[5] & 0xff);
    }

    /**
     * One peer's share of the socket: its queued datagrams, and sends to its address. Path kind "direct".
     */
    final class Link implements DatagramLink {
        private final Key key;
        private final ArrayBlockingQueue<byte[]> inbox = new ArrayBlockingQueue<>(LINK_BACKLOG);
        private final Object sendLock = new Object();
        private final ByteBuffer sendBuffer = ByteBuffer.allocateDirect(MAX_DATAGRAM);
        // Changed under UdpDemux.this.lock; read without it by receive and send.
        private volatile LinkState state = LinkState.HALF_OPEN;

        private Link(Key key) {
            this.key = key;
        }

        Key key() {
            return key;
        }

        @Override
        public java.util.Optional<InetSocketAddress> fixedPeerAddress() {
            return java.util.Optional.of(key.source());
        }

        LinkState state() {
            return state;
        }

        /** Moves the link from the half-open count to the established; false if it was closed meanwhile. */
        boolean markEstablished() {
            synchronized (lock) {
                if (state == LinkState.HALF_OPEN) {
                    state = LinkState.ESTABLISHED;
                    halfOpen--;
                }
                return state == LinkState.ESTABLISHED;
            }
        }

        @Override
        public void send(byte[] buf, int off, int len) throws IOException {
            if (len > MAX_DATAGRAM) {
                throw new IOException("datagram of " + len + " bytes exceeds " + MAX_DATAGRAM);
            }
            if (state == LinkState.CLOSED) {
                throw new IOException("link closed");
            }
            synchronized (sendLock) {
                sendBuffer.clear();
                sendBuffer.put(buf, off, len).flip();
                channel.send(sendBuffer, key.source());
            }
        }

        @Override
        public int receive(byte[] buf, int timeoutMillis) throws IOException {
            if (buf.length < MAX_DATAGRAM) {
                throw new IllegalArgumentException("receive buffer smaller than " + MAX_DATAGRAM);
            }
            if (state == LinkState.CLOSED) {
                throw new IOException("link closed");
            }
            byte[] d;
            try {
                d = timeoutMillis <= 0 ? inbox.poll() : inbox.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while receiving");
            }
            if (d == null) {
                // A close during the wait is seen by the next call; the reliable channel waits at most 10 ms.
                return -1;
            }
            System.arraycopy(d, 0, buf, 0, d.length);
            return d.length;
        }

        @Override
        public String pathKind() {
            return "direct";
        }

        /** Frees this link's slot (idempotent); the last link of a closed listener releases the socket. */
        @Override
        public void close() {
            synchronized (lock) {
                if (state == LinkState.CLOSED) {
                    return;
                }
                if (state == LinkState.HALF_OPEN) {
                    halfOpen--;
                }
                state = LinkState.CLOSED;
                links.remove(key, this);
            }
            inbox.clear();
            releaseIfDrained();
        }

        @Override
        public String toString() {
            return "UdpDemux.Link[" + state + "]";
        }
    }
}
