package org.securep2p.transport.reliable;

import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small user-space UDP proxy on loopback between two endpoints A and B that loses, duplicates, delays and
 * reorders datagrams (a reordered datagram is held back for {@link FaultyLink.Impairment#hold()} while later
 * ones pass), with seeded randomness. A sends to {@link #addressForA()} and receives from it; B likewise with
 * {@link #addressForB()}. Each side of the proxy only accepts datagrams from its own endpoint.
 *
 * <pre>{@code
 * try (ImpairmentProxy proxy = ImpairmentProxy.start(aAddress, bAddress, impairment, seed)) {
 *     // A connects to proxy.addressForA(), B to proxy.addressForB()
 * }
 * }</pre>
 *
 * <p>For tests only, and only on loopback: {@link #start} refuses other addresses.
 */
public final class ImpairmentProxy implements Closeable {

    /** Datagrams held back per direction at most; beyond that, new ones are dropped (tail drop). */
    static final int MAX_HELD = 8192;

    private static final int SOCKET_BUFFER = 4 * 1024 * 1024;

    private final DatagramSocket facingA;
    private final DatagramSocket facingB;
    private final Direction aToB;
    private final Direction bToA;
    private volatile boolean closed;

    private ImpairmentProxy(DatagramSocket facingA, DatagramSocket facingB, FaultyLink.Impairment imp, long seed) {
        this.facingA = facingA;
        this.facingB = facingB;
        this.aToB = new Direction("a>b", facingA, facingB, imp, new Random(seed));
        this.bToA = new Direction("b>a", facingB, facingA, imp, new Random(seed * 31 + 7));
    }

    /**
     * Starts forwarding between {@code a} and {@code b} (both loopback addresses) with the same impairment in
     * each direction and independent random streams derived from {@code seed}.
     */
    public static ImpairmentProxy start(InetSocketAddress a, InetSocketAddress b, FaultyLink.Impairment imp, long seed)
            throws IOException {
        if (!a.getAddress().isLoopbackAddress() || !b.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("the impairment proxy only forwards between loopback addresses");
        }
        DatagramSocket sa = socketFacing(a);
        DatagramSocket sb;
        try {
            sb = socketFacing(b);
        } catch (IOException | RuntimeException e) {
            sa.close();
            throw e;
        }
        ImpairmentProxy p = new ImpairmentProxy(sa, sb, imp, seed);
        p.aToB.thread.start();
        p.bToA.thread.start();
        return p;
    }

    private static DatagramSocket socketFacing(InetSocketAddress endpoint) throws IOException {
        InetAddress loopback = endpoint.getAddress();
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(loopback, 0));
        try {
            s.setReceiveBufferSize(SOCKET_BUFFER);
            s.setSendBufferSize(SOCKET_BUFFER);
            s.connect(endpoint);
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Where A sends (and what A should connect to); forwarded to B. */
    public InetSocketAddress addressForA() {
        return (InetSocketAddress) facingA.getLocalSocketAddress();
    }

    /** Where B sends; forwarded to A. */
    public InetSocketAddress addressForB() {
        return (InetSocketAddress) facingB.getLocalSocketAddress();
    }

    public FaultyLink.PathStats statsToB() {
        return aToB.stats();
    }

    public FaultyLink.PathStats statsToA() {
        return bToA.stats();
    }

    @Override
    public void close() {
        closed = true;
        facingA.close();
        facingB.close();
        try {
            aToB.thread.join(2_000);
            bToA.thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @SuppressWarnings("ArrayRecordComponent") // ordered by (at, seq) only, never compared by equals
    private record Held(long at, long seq, byte[] data) implements Comparable<Held> {
        @Override
        public int compareTo(Held o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** One direction: its own thread, receive side, send side and held queue. */
    private final class Direction {
        final Thread thread;
        private final DatagramSocket from;
        private final DatagramSocket to;
        private final FaultyLink.Impairment imp;
        private final Random random;
        private final PriorityQueue<Held> held = new PriorityQueue<>();
        private long seq;
        // Counted by this direction's thread, read by stats() from the test's thread.
        private final AtomicLong sent = new AtomicLong();
        private final AtomicLong lost = new AtomicLong();
        private final AtomicLong duplicated = new AtomicLong();
        private final AtomicLong reordered = new AtomicLong();
        private final AtomicLong tailDropped = new AtomicLong();

        Direction(String name, DatagramSocket from, DatagramSocket to, FaultyLink.Impairment imp, Random random) {
            this.from = from;
            this.to = to;
            this.imp = imp;
            this.random = random;
            this.thread = new Thread(this::run, "impairment-proxy-" + name);
            this.thread.setDaemon(true);
        }

        FaultyLink.PathStats stats() {
            return new FaultyLink.PathStats(sent.get(), lost.get(), duplicated.get(), reordered.get(),
                    tailDropped.get(), 0);
        }

        private void run() {
            byte[] buf = new byte[DatagramLink.MAX_DATAGRAM + 1];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            while (!closed) {
                try {
                    long now = System.nanoTime();
                    while (!held.isEmpty() && held.peek().at() - now <= 0) {
                        forward(held.poll().data());
                    }
                    int wait = held.isEmpty() ? 50
                            : (int) Math.max(1, (held.peek().at() - now + 999_999) / 1_000_000);
                    from.setSoTimeout(wait);
                    p.setLength(buf.length);
                    try {
                        from.receive(p);
                    } catch (SocketTimeoutException | PortUnreachableException e) {
                        continue;
                    }
                    impair(Arrays.copyOf(buf, p.getLength()), System.nanoTime());
                } catch (SocketException e) {
                    return; // closed
                } catch (IOException e) {
                    if (closed) {
                        return;
                    }
                }
            }
        }

        private void impair(byte[] data, long now) throws IOException {
            sent.incrementAndGet();
            if (random.nextDouble() < imp.loss()) {
                lost.incrementAndGet();
                return;
            }
            int copies = 1;
            if (random.nextDouble() < imp.duplicate()) {
                copies = 2;
                duplicated.incrementAndGet();
            }
            for (int i = 0; i < copies; i++) {
                long at = now + imp.delay().toNanos();
                if (random.nextDouble() < imp.reorder()) {
                    at += imp.hold().toNanos();
                    reordered.incrementAndGet();
                }
                if (at == now) {
                    forward(data);
                } else if (held.size() >= MAX_HELD) {
                    tailDropped.incrementAndGet();
                } else {
                    held.add(new Held(at, seq++, data));
                }
            }
        }

        private void forward(byte[] data) throws IOException {
            try {
                to.send(new DatagramPacket(data, data.length));
            } catch (PortUnreachableException e) {
                // The endpoint is not listening (yet or any more): the datagram is lost, as on a network.
            }
        }
    }
}
