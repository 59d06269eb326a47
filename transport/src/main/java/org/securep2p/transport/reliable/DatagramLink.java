package org.securep2p.transport.reliable;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * An unreliable, unordered datagram path to exactly one peer: the ICE-selected pair (direct or relayed), a
 * plain UDP socket in tests, or a fault-injecting wrapper. Datagrams from any other source are dropped below
 * this interface. Not its job: ordering, retransmission or encryption.
 */
public interface DatagramLink extends Closeable {

    /** Largest payload {@link #send} takes; the reliable channel never fragments above it. */
    int MAX_DATAGRAM = 1200;

    /** Sends one datagram of {@code len ≤ MAX_DATAGRAM} bytes; may be silently lost. */
    void send(byte[] buf, int off, int len) throws IOException;

    /**
     * Waits up to {@code timeoutMillis} (0 = don't wait) for one datagram from the peer and copies it into
     * {@code buf} (which holds at least MAX_DATAGRAM bytes). Returns its length, or -1 on timeout.
     */
    int receive(byte[] buf, int timeoutMillis) throws IOException;

    /** "direct" / "relayed" / "loopback": what the UI shows; never an address. */
    String pathKind();

    /**
     * Where the peer's datagrams come from, when this link is bound to one address (a fixed-port listener's
     * link); empty where the path may move (ICE) or is carried by something else.
     */
    default Optional<InetSocketAddress> fixedPeerAddress() {
        return Optional.empty();
    }

    @Override
    void close();
}
