package org.securep2p.transport;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.ice.IceSession;
import org.securep2p.transport.reliable.DatagramLink;
import org.securep2p.transport.reliable.ReliableChannel;
import org.securep2p.transport.tls.TlsChannel;

import static org.securep2p.transport.TransportException.Reason.CLOSED;
import static org.securep2p.transport.TransportException.Reason.IO_FAILED;
import static org.securep2p.transport.TransportException.Reason.PROTOCOL_VIOLATION;

/**
 * An authenticated, encrypted, reliable channel to one peer: TLS 1.3 (ChaCha20-Poly1305, mutual Ed25519
 * certificates pinned to the peer's identity) over a reliable stream over the ICE-selected UDP path.
 *
 * <p>Guarantees: everything read came from {@link #peerIdentity()}, in order, exactly once; {@link #path()}
 * says truthfully whether a relay carries the traffic. Not its job: end-to-end message encryption (the
 * ratchet), or deciding whether the peer is trusted (the app, with the peer's identity and safety number).
 */
public final class PeerConnection implements AutoCloseable {

    /** How the datagrams travel. */
    public enum Path {
        /** Straight between the two peers (possibly through their NATs). */
        DIRECT,
        /** Through a TURN relay, which sees only TLS records. */
        RELAYED,
    }

    /** Largest message {@link #sendMessage} takes: a ratchet message with room to spare. */
    public static final int MAX_MESSAGE = 1 << 20;

    private final IceSession ice;
    private final DatagramLink link;
    private final ReliableChannel reliable;
    private final TlsChannel tls;
    private final Path path;
    private final Duration setupTime;
    private final DataInputStream messages;
    private final Object sendLock = new Object();

    PeerConnection(IceSession ice, DatagramLink link, ReliableChannel reliable, TlsChannel tls, boolean relayed,
            Duration setupTime) {
        this.ice = ice;
        this.link = link;
        this.reliable = reliable;
        this.tls = tls;
        this.path = relayed ? Path.RELAYED : Path.DIRECT;
        this.setupTime = Objects.requireNonNull(setupTime, "setupTime");
        this.messages = new DataInputStream(tls.inputStream());
    }

    /** The datagram link under the channel (tests look at how it is carried). */
    DatagramLink link() {
        return link;
    }

    public Path path() {
        return path;
    }

    /**
     * The address the peer's datagrams come from, where the connection is bound to one (taken by a fixed-port
     * listener, §14); empty for ICE connections, whose path may change. For showing and logging, never for trust.
     */
    public java.util.Optional<java.net.InetSocketAddress> fixedPeerAddress() {
        return link.fixedPeerAddress();
    }

    /** The identity whose certificate the peer proved it holds; equal to the pinned one when there was a pin. */
    public IdentityPublicKeys peerIdentity() {
        return tls.peerIdentity();
    }

    /**
     * In organisation mode (our certificate is a member certificate), the peer's name as our CA certified it
     * for {@link #peerIdentity()}; empty otherwise.
     */
    public Optional<String> peerMemberName() {
        return Optional.ofNullable(tls.peerMemberName());
    }

    public SecurityLevel level() {
        return tls.level();
    }

    /**
     * 32 bytes unique to this TLS session (RFC 9266 tls-exporter), for binding the end-to-end handshake to
     * this channel. A copy.
     */
    public byte[] channelBinding() {
        return tls.channelBinding();
    }

    /** "TLSv1.3". */
    public String tlsVersion() {
        return tls.negotiatedVersion();
    }

    /** "TLS_CHACHA20_POLY1305_SHA256". */
    public String cipherSuite() {
        return tls.negotiatedCipherSuite();
    }

    /** "x25519" or "X25519MLKEM768". */
    public String keyExchangeGroup() {
        return tls.negotiatedGroup();
    }

    /** From the start of connecting (gathering included) to a usable TLS channel. */
    public Duration setupTime() {
        return setupTime;
    }

    /** The decrypted byte stream from the peer; -1 after the peer closed gracefully. */
    public InputStream inputStream() {
        return tls.inputStream();
    }

    /** The byte stream to the peer; each write is encrypted and sent without delay. */
    public OutputStream outputStream() {
        return tls.outputStream();
    }

    /** Sends one message (up to {@link #MAX_MESSAGE} bytes) framed by its 4-byte length. */
    public void sendMessage(byte[] message) throws TransportException {
        if (message.length > MAX_MESSAGE) {
            throw new IllegalArgumentException("message of " + message.length + " bytes exceeds " + MAX_MESSAGE);
        }
        byte[] framed = new byte[4 + message.length];
        framed[0] = (byte) (message.length >>> 24);
        framed[1] = (byte) (message.length >>> 16);
        framed[2] = (byte) (message.length >>> 8);
        framed[3] = (byte) message.length;
        System.arraycopy(message, 0, framed, 4, message.length);
        synchronized (sendLock) {
            try {
                OutputStream out = tls.outputStream();
                out.write(framed);
                out.flush();
            } catch (IOException e) {
                throw failure(e);
            }
        }
    }

    /**
     * Waits for the next message. CLOSED when the peer closed gracefully; PROTOCOL_VIOLATION for a frame above
     * {@link #MAX_MESSAGE}; PEER_TIMEOUT and the others as the channel failed.
     */
    public byte[] receiveMessage() throws TransportException {
        try {
            int length = messages.readInt();
            if (length < 0 || length > MAX_MESSAGE) {
                throw new TransportException(PROTOCOL_VIOLATION, "peer sent a frame of " + length + " bytes");
            }
            byte[] m = new byte[length];
            messages.readFully(m);
            return m;
        } catch (EOFException e) {
            throw new TransportException(CLOSED, "the peer closed the connection");
        } catch (IOException e) {
            throw failure(e);
        }
    }

    private TransportException failure(IOException e) {
        return reliable.failure().orElseGet(() -> e.getCause() instanceof TransportException
                ? (TransportException) e.getCause()
                : new TransportException(IO_FAILED, "channel failed: " + e.getClass().getSimpleName(), e));
    }

    /** Closes gracefully (TLS close_notify, then the reliable channel's FIN), then frees the ICE session. */
    @Override
    public void close() {
        try {
            tls.close();
        } finally {
            try {
                reliable.close();
            } finally {
                link.close();
                if (ice != null) {
                    ice.close();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "PeerConnection[" + path + ", " + tls.level() + ", peer " + tls.peerIdentity().fingerprint().shortForm()
                + "]";
    }
}
