package org.securep2p.transport.reliable;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Objects;

/**
 * A {@link DatagramLink} over a UDP socket connected to one remote address: the kernel discards datagrams
 * from any other source, which is how this link accepts only its peer. Path kind "direct".
 *
 * <p>An ICMP "port unreachable" (the peer is not listening yet, or has gone) is treated as a lost datagram,
 * not a failure: the reliable channel retransmits and its dead-peer timer decides. Not its job: NAT
 * traversal or relaying (the ICE layer provides links for those).
 */
public final class UdpDatagramLink implements DatagramLink {

    private static final int OVERSIZED = -2;

    /** Kernel socket buffers asked for: a 4 MiB window of datagrams, as the reliable channel's default. */
    private static final int SOCKET_BUFFER = 4 * 1024 * 1024;

    private final DatagramChannel channel;
    private final Selector selector;
    private final Object sendLock = new Object();
    // Direct buffers: the JDK would copy a heap buffer through a temporary direct one anyway, and these
    // are allocated once rather than wrapped per datagram.
    private final ByteBuffer sendBuffer = ByteBuffer.allocateDirect(MAX_DATAGRAM);
    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(MAX_DATAGRAM + 1);

    private UdpDatagramLink(DatagramChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        // A congestion window arrives back to back; a small kernel buffer would drop the tail of every
        // burst. The kernel may cap this (net.core.rmem_max), which only costs throughput.
        channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
        channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
        this.selector = Selector.open();
        try {
            channel.register(selector, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            selector.close();
            throw e;
        }
    }

    /** Binds to {@code local} (port 0 for any) and connects to {@code remote}. */
    public static UdpDatagramLink connect(InetSocketAddress local, InetSocketAddress remote) throws IOException {
        Objects.requireNonNull(remote, "remote");
        DatagramChannel ch = DatagramChannel.open(remote.getAddress() instanceof java.net.Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            ch.bind(local);
            ch.connect(remote);
            return new UdpDatagramLink(ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Takes over a bound and connected channel (it is switched to non-blocking mode and closed with us). */
    public static UdpDatagramLink of(DatagramChannel connected) throws IOException {
        if (!connected.isConnected()) {
            throw new IOException("the datagram channel is not connected to a peer");
        }
        return new UdpDatagramLink(connected);
    }

    InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        if (len > MAX_DATAGRAM) {
            throw new IOException("datagram of " + len + " bytes exceeds " + MAX_DATAGRAM);
        }
        synchronized (sendLock) {
            sendBuffer.clear();
            sendBuffer.put(buf, off, len).flip();
            try {
                channel.write(sendBuffer);
            } catch (PortUnreachableException e) {
                // An earlier datagram bounced: the peer's port is closed for now. This one may still arrive.
            }
        }
    }

    @Override
    public int receive(byte[] buf, int timeoutMillis) throws IOException {
        if (buf.length < MAX_DATAGRAM) {
            throw new IllegalArgumentException("receive buffer smaller than " + MAX_DATAGRAM);
        }
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
            int n = tryReceive();
            if (n >= 0) {
                receiveBuffer.flip();
                receiveBuffer.get(buf, 0, n);
                return n;
            }
            if (n == OVERSIZED) {
                continue;
            }
            // Rounded up: a wait of 1 ms must block in select, not spin through it.
            long left = (deadline - System.nanoTime() + 999_999L) / 1_000_000L;
            if (left <= 0) {
                return -1;
            }
            try {
                selector.select(left);
            } catch (ClosedSelectorException e) {
                throw new IOException("link closed", e);
            }
            selector.selectedKeys().clear();
        }
    }

    /** A datagram's length, -1 if none is queued, or {@link #OVERSIZED} for one that was discarded. */
    private int tryReceive() throws IOException {
        // One byte more than the largest datagram: a longer datagram shows up as too long and is
        // discarded whole rather than cut to a prefix.
        receiveBuffer.clear();
        int n;
        try {
            n = channel.read(receiveBuffer);
        } catch (PortUnreachableException e) {
            return -1;
        }
        if (n > MAX_DATAGRAM) {
            return OVERSIZED;
        }
        // 0 means nothing queued, or an empty datagram, which is no packet either.
        return n > 0 ? n : -1;
    }

    @Override
    public String pathKind() {
        return "direct";
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // Nothing to do: the selector holds no data.
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing a UDP socket cannot lose anything we still need.
        }
    }
}
