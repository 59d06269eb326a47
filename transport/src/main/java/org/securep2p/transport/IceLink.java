package org.securep2p.transport;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;

import org.ice4j.ice.Component;
import org.ice4j.socket.MultiplexingDatagramSocket;

/**
 * The ICE-selected pair as a {@link DatagramLink}: sends through the pair's socket (straight to the peer, or
 * wrapped for the TURN relay) and receives application datagrams from the selected remote address only.
 * ice4j already keeps STUN traffic and unvalidated sources out of the component socket; the address check
 * here makes "only the validated peer" hold whatever ice4j does.
 */
final class IceLink implements DatagramLink {

    private final Component component;
    private final MultiplexingDatagramSocket socket;
    private final InetSocketAddress remote;
    private final boolean relayed;
    private final DatagramPacket receivePacket = new DatagramPacket(new byte[0], 0);
    private volatile boolean closed;
    private int currentTimeout = -1;

    IceLink(Component component, InetSocketAddress remote, boolean relayed) {
        this.component = component;
        this.socket = component.getSocket();
        this.remote = remote;
        this.relayed = relayed;
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

    /** Called from the reliable channel's single I/O thread only. */
    @Override
    public int receive(byte[] buf, int timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!closed) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            int wait = (int) Math.max(1, left);
            if (wait != currentTimeout) {
                socket.setSoTimeout(wait);
                currentTimeout = wait;
            }
            receivePacket.setData(buf, 0, buf.length);
            try {
                socket.receive(receivePacket);
            } catch (SocketTimeoutException e) {
                return -1;
            }
            if (remote.equals(receivePacket.getSocketAddress())) {
                return receivePacket.getLength();
            }
            if (left <= 0) {
                return -1;
            }
        }
        throw new IOException("link closed");
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
    }

    @Override
    public String toString() {
        return "IceLink[" + pathKind() + "]";
    }
}
