package org.securep2p.transport;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
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

/**
 * The ICE-selected pair as a {@link DatagramLink}: sends through the pair's socket (straight to the peer, or
 * wrapped for the TURN relay) and receives application datagrams from the selected remote address only.
 * ice4j already keeps STUN traffic and unvalidated sources out of the component socket; the address check
 * here makes "only the validated peer" hold whatever ice4j does.
 *
 * <p>A reader thread moves datagrams from ice4j's component socket into a bounded queue. ice4j's socket can
 * only wait in whole milliseconds (its timeout 0 means "forever"), and the reliable channel asks "anything
 * more?" with a zero timeout after every datagram: answered by ice4j, each such question cost a millisecond.
 */
final class IceLink implements DatagramLink {

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
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Component component;
    private final MultiplexingDatagramSocket socket;
    private final InetSocketAddress remote;
    private final boolean relayed;
    private final BlockingQueue<byte[]> received = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread reader;
    private volatile boolean closed;

    IceLink(Component component, InetSocketAddress remote, boolean relayed) {
        this.component = component;
        this.socket = component.getSocket();
        this.remote = remote;
        this.relayed = relayed;
        enlargeReceiveBuffers(component);
        this.reader = new Thread(this::readLoop, "securep2p-ice-link-" + THREADS.incrementAndGet());
        reader.setDaemon(true);
        reader.start();
    }

    /** Best effort: the kernel may cap the size (net.core.rmem_max), which only costs throughput. */
    private static void enlargeReceiveBuffers(Component component) {
        for (LocalCandidate c : component.getLocalCandidates()) {
            if (!(c instanceof HostCandidate)) {
                continue;
            }
            try {
                // The candidate's own socket (ice4j reads it on its thread), not the component's view of it.
                IceSocketWrapper wrapper = ((HostCandidate) c).getCandidateIceSocketWrapper();
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
            closed = true; // the ICE session was freed under us: receive reports the link closed
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
        component.send(buf, off, len);
    }

    @Override
    public int receive(byte[] buf, int timeoutMillis) throws IOException {
        byte[] d;
        try {
            d = timeoutMillis <= 0 ? received.poll() : received.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
        if (d == null) {
            if (closed) {
                throw new IOException("link closed");
            }
            return -1;
        }
        System.arraycopy(d, 0, buf, 0, d.length);
        return d.length;
    }

    @Override
    public String pathKind() {
        return relayed ? "relayed" : "direct";
    }

    boolean relayed() {
        return relayed;
    }

    @Override
    public void close() {
        closed = true;
        reader.interrupt();
    }

    @Override
    public String toString() {
        return "IceLink[" + pathKind() + "]";
    }
}
