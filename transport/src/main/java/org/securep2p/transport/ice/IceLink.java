package org.securep2p.transport.ice;

import java.io.IOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.ice4j.ice.Component;
import org.ice4j.ice.HostCandidate;
import org.ice4j.ice.LocalCandidate;
import org.ice4j.socket.IceSocketWrapper;
import org.ice4j.socket.MultiplexingDatagramSocket;
import org.securep2p.transport.reliable.DatagramLink;
import org.securep2p.transport.reliable.UdpDatagramLink;

/**
 * The ICE-selected pair as a {@link DatagramLink}: sends through the pair's socket (straight to the peer, or
 * wrapped for the TURN relay) and receives application datagrams from the selected remote address only.
 * ice4j already keeps STUN traffic and unvalidated sources out of the component socket; the address check
 * here makes "only the validated peer" hold whatever ice4j does.
 *
 * <p>A direct pair can {@link #leaveIce leave ice4j} once the peer is authenticated: ice4j is freed and a UDP
 * socket of our own, bound to the same local address and port and connected to the same remote address,
 * carries the datagrams from then on (PROTOCOL.md section 14, "Leaving ICE"). The path on the wire does not
 * change; what goes is ice4j's chain of receive threads, which cost about a quarter of the CPU of a bulk
 * transfer. A relayed pair stays with ice4j, which keeps the TURN allocation alive.
 *
 * <p>A reader thread moves datagrams from ice4j's component socket into a bounded queue. ice4j's socket can
 * only wait in whole milliseconds (its timeout 0 means "forever"), and the reliable channel asks "anything
 * more?" with a zero timeout after every datagram: answered by ice4j, each such question cost a millisecond.
 */
public final class IceLink implements DatagramLink {

    /** Datagrams waiting for the reliable channel; beyond this they are dropped, as a full socket buffer would. */
    static final int QUEUE_CAPACITY = 4096;
    /**
     * Kernel receive buffer asked for on the host sockets below the pair (as {@link UdpDatagramLink} does):
     * ice4j leaves the default (about 200 KB on Linux), which a congestion window overflows whenever ice4j's
     * reader thread is descheduled for a moment, and every datagram dropped there costs a halved window.
     */
    static final int SOCKET_BUFFER = 4 * 1024 * 1024;
    /** How often the reader thread looks whether the link was closed. */
    private static final int READER_POLL_MILLIS = 200;
    /** While ice4j is being freed, how often receive looks whether our own socket is ready. */
    private static final int HANDOVER_POLL_MILLIS = 5;
    /** How long {@link #leaveIce} keeps trying to bind the port that ice4j is letting go of. */
    private static final long REBIND_DEADLINE_MILLIS = 2_000;
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Component component;
    private final MultiplexingDatagramSocket socket;
    private final InetSocketAddress remote;
    private final boolean relayed;
    /** The host candidate whose socket this pair sends from; null if relayed (then the link stays with ice4j). */
    private final HostCandidate localHost;
    /** Its address, which our own socket takes over. */
    private final InetSocketAddress localBase;
    private final BlockingQueue<byte[]> received = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread reader;
    private volatile boolean closed;
    /** Set once {@link #leaveIce} starts: ice4j's socket is closing and sends are dropped until {@link #own}. */
    private volatile boolean leaving;
    /** Our own socket on the pair's addresses, after {@link #leaveIce}. */
    private volatile UdpDatagramLink own;

    IceLink(Component component, InetSocketAddress remote, boolean relayed, HostCandidate localHost) {
        this.component = component;
        this.socket = component.getSocket();
        this.remote = remote;
        this.relayed = relayed;
        this.localHost = relayed ? null : localHost;
        this.localBase = this.localHost == null || this.localHost.getTransportAddress() == null ? null
                : new InetSocketAddress(this.localHost.getTransportAddress().getAddress(),
                        this.localHost.getTransportAddress().getPort());
        enlargeReceiveBuffers(component);
        this.reader = new Thread(this::readLoop, "securep2p-ice-link-" + THREADS.incrementAndGet());
        reader.setDaemon(true);
        reader.start();
    }

    /** Best effort: the kernel may cap the size (net.core.rmem_max), which only costs throughput. */
    private static void enlargeReceiveBuffers(Component component) {
        for (LocalCandidate c : component.getLocalCandidates()) {
            if (!(c instanceof HostCandidate host)) {
                continue;
            }
            try {
                // The candidate's own socket (ice4j reads it on its thread), not the component's view of it.
                IceSocketWrapper wrapper = host.getCandidateIceSocketWrapper();
                DatagramSocket s = wrapper == null ? null : wrapper.getUDPSocket();
                if (s != null && s.getReceiveBufferSize() < SOCKET_BUFFER) {
                    s.setReceiveBufferSize(SOCKET_BUFFER);
                }
            } catch (IOException | RuntimeException e) {
                // Keep the default buffer.
            }
        }
    }

    private void readLoop() {
        byte[] buf = new byte[2048];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            socket.setSoTimeout(READER_POLL_MILLIS);
            while (!closed) {
                p.setData(buf, 0, buf.length);
                try {
                    socket.receive(p);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                if (remote.equals(p.getSocketAddress()) && p.getLength() <= MAX_DATAGRAM) {
                    received.offer(Arrays.copyOf(buf, p.getLength()));
                }
            }
        } catch (IOException e) {
            if (!leaving) {
                closed = true; // the ICE session was freed under us: receive reports the link closed
            }
        }
    }

    /**
     * Moves a direct pair off ice4j: closes ice4j's socket for the pair (which frees its port), binds a socket
     * of our own to the same local address and connects it to the pair's remote address, then lets
     * {@code releaseIce} free the rest of the ICE session (timers and threads; it need not wait for that).
     * Datagrams that arrive in between are lost, which the reliable channel repairs. Returns false, changing
     * nothing, for a relayed pair or one whose local address is unknown.
     *
     * @throws IOException if the port could not be taken over; the link is closed then
     */
    public boolean leaveIce(Runnable releaseIce) throws IOException {
        if (localBase == null || closed) {
            return false;
        }
        leaving = true;
        IceSocketWrapper iceSocket = localHost.getCandidateIceSocketWrapper();
        if (iceSocket != null) {
            iceSocket.close();
        }
        reader.interrupt();
        try {
            UdpDatagramLink path = bindWhenFree();
            own = path;
            if (closed) {
                path.close(); // closed while we were binding: do not leave the socket behind
            }
            return true;
        } catch (IOException e) {
            closed = true;
            throw e;
        } finally {
            releaseIce.run();
        }
    }

    /** Our socket on {@link #localBase}, retried while ice4j's socket still holds the port; closed on failure. */
    private UdpDatagramLink bindWhenFree() throws IOException {
        long deadline = System.nanoTime() + REBIND_DEADLINE_MILLIS * 1_000_000L;
        while (true) {
            DatagramChannel ch = DatagramChannel.open(localBase.getAddress() instanceof Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            try {
                ch.bind(localBase);
                ch.connect(remote);
                return UdpDatagramLink.of(ch);
            } catch (BindException e) {
                ch.close();
                if (System.nanoTime() > deadline) {
                    throw new IOException("ice4j did not release " + localBase + " in time", e);
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while taking over " + localBase, ie);
                }
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }
    }

    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        if (len > MAX_DATAGRAM) {
            throw new IllegalArgumentException("datagram of " + len + " bytes exceeds " + MAX_DATAGRAM);
        }
        if (closed) {
            throw new IOException("link closed");
        }
        UdpDatagramLink path = own;
        if (path != null) {
            path.send(buf, off, len);
        } else if (!leaving) {
            component.send(buf, off, len);
        }
        // else: between ice4j's socket and ours, a datagram is lost; the reliable channel sends it again.
    }

    @Override
    public int receive(byte[] buf, int timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + Math.max(0, timeoutMillis) * 1_000_000L;
        while (true) {
            // What ice4j delivered before the handover comes first.
            byte[] d = received.poll();
            if (d == null) {
                UdpDatagramLink path = own;
                if (path != null) {
                    return path.receive(buf, remainingMillis(deadline));
                }
                if (closed) {
                    throw new IOException("link closed");
                }
                int left = remainingMillis(deadline);
                if (left <= 0) {
                    return -1;
                }
                try {
                    d = received.poll(leaving ? Math.min(left, HANDOVER_POLL_MILLIS) : left, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
                if (d == null) {
                    continue;
                }
            }
            System.arraycopy(d, 0, buf, 0, d.length);
            return d.length;
        }
    }

    /** Whole milliseconds to {@code deadline}, rounded up so that a short wait still blocks. */
    private static int remainingMillis(long deadline) {
        long left = deadline - System.nanoTime();
        return left <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (left + 999_999L) / 1_000_000L);
    }

    @Override
    public String pathKind() {
        return relayed ? "relayed" : "direct";
    }

    boolean relayed() {
        return relayed;
    }

    /** The selected pair's remote address (the lab tests check which pair ICE chose). */
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    /** The local host address the pair sends from; null when relayed. */
    public InetSocketAddress localAddress() {
        return localBase;
    }

    /** True once the datagrams go through our own socket rather than ice4j's. */
    public boolean leftIce() {
        return own != null;
    }

    @Override
    public void close() {
        closed = true;
        reader.interrupt();
        UdpDatagramLink path = own;
        if (path != null) {
            path.close();
        }
    }

    @Override
    public String toString() {
        return "IceLink[" + pathKind() + "]";
    }
}
