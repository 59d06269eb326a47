package org.securep2p.app;

import java.util.Optional;

import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.PeerConnection;
import org.securep2p.transport.TransportException;

/**
 * The authenticated, ordered message pipe a {@link ChatSession} runs over: a {@link PeerConnection} in the
 * program, an in-memory pair in tests. Its peer identity and channel binding come from the TLS handshake.
 */
interface ChatChannel extends AutoCloseable {

    void send(byte[] message) throws TransportException;

    /** Blocks for the next message; CLOSED when the peer closed. */
    byte[] receive() throws TransportException;

    IdentityPublicKeys peerIdentity();

    SecurityLevel level();

    /** TLS exporter value both sides share; binds the chat handshake to this connection. */
    byte[] channelBinding();

    /** "direct" or "relayed". */
    String path();

    /** The peer's address as the user would type it, or empty. */
    String remoteAddress();

    /** In organisation mode, the peer's name as our CA certified it for {@link #peerIdentity()}. */
    default Optional<String> certifiedName() {
        return Optional.empty();
    }

    /** The TLS key exchange this connection ran (an ephemeral group: x25519 or X25519MLKEM768), or "". */
    default String keyExchange() {
        return "";
    }

    @Override
    void close();

    static ChatChannel of(PeerConnection connection, String remoteAddress) {
        return new ChatChannel() {
            @Override
            public void send(byte[] message) throws TransportException {
                connection.sendMessage(message);
            }

            @Override
            public byte[] receive() throws TransportException {
                return connection.receiveMessage();
            }

            @Override
            public IdentityPublicKeys peerIdentity() {
                return connection.peerIdentity();
            }

            @Override
            public SecurityLevel level() {
                return connection.level();
            }

            @Override
            public byte[] channelBinding() {
                return connection.channelBinding();
            }

            @Override
            public String path() {
                return connection.path() == PeerConnection.Path.RELAYED ? "relayed" : "direct";
            }

            @Override
            public String remoteAddress() {
                return remoteAddress;
            }

            @Override
            public Optional<String> certifiedName() {
                return connection.peerMemberName();
            }

            @Override
            public String keyExchange() {
                return connection.keyExchangeGroup();
            }

            @Override
            public void close() {
                connection.close();
            }

            @Override
            public String toString() {
                return "ChatChannel[" + connection + "]";
            }
        };
    }
}
