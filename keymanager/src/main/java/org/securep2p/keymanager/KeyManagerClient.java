package org.securep2p.keymanager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeTranscript;
import org.securep2p.crypto.HybridSignature;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictReader;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_PREKEY;
import static org.securep2p.crypto.CryptoException.Reason.UNSUPPORTED_PARAMETER;

/**
 * {@link PrivateKeyOperations} answered by the key-manager process over its Unix domain socket: the caller sees
 * the same results and the same {@link CryptoException} reasons as with an in-process implementation, while no
 * private key ever enters this process.
 *
 * <p>Failures of the channel itself (the key manager died, the connection broke, it answered something that
 * does not parse) are not key-holder refusals and cannot be a {@link CryptoException} reason; they surface as
 * the unchecked {@link UnavailableException}, after which this client is closed. The owner (the app, through
 * {@link KeyManagerProcess}) reports that and restarts the key manager.
 *
 * <p>Thread-safe: one request is in flight at a time (a lock spans each round trip), so responses cannot be
 * paired with the wrong request; each response must also echo its request's op and id. The identity is fetched
 * once, in the HELLO exchange, because {@link #identity()} cannot fail.
 */
public final class KeyManagerClient implements PrivateKeyOperations, AutoCloseable {

    /** The key manager could not be reached or answered outside the protocol; the client is now closed. */
    public static final class UnavailableException extends UncheckedIOException {

        private static final long serialVersionUID = 1L;

        UnavailableException(String message, IOException cause) {
            super(message, cause);
        }
    }

    private final Object lock = new Object();
    private final SocketChannel channel;
    private final IdentityPublicKeys identity;
    private int nextId = 1;
    /** Volatile, not under the lock: close() must be able to break a round trip blocked in a read. */
    private volatile boolean closed;

    private KeyManagerClient(SocketChannel channel, IdentityPublicKeys identity) {
        this.channel = channel;
        this.identity = identity;
    }

    /**
     * Connects to {@code socketPath} and authenticates with the launch {@code token} (copied; the caller should
     * zero its array).
     *
     * @throws IOException if the socket cannot be reached or the key manager does not accept the token (it
     *                     closes the connection without an answer)
     */
    public static KeyManagerClient connect(Path socketPath, byte[] token) throws IOException {
        Objects.requireNonNull(socketPath, "socketPath");
        if (Objects.requireNonNull(token, "token").length != IpcCodec.TOKEN_LENGTH) {
            throw new IllegalArgumentException("token must be " + IpcCodec.TOKEN_LENGTH + " bytes");
        }
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socketPath));
            IpcRequest hello = IpcRequest.hello(0, token);
            byte[] frame = IpcCodec.encodeRequest(hello);
            hello.wipe();
            try {
                IpcCodec.writeFrame(channel, frame);
            } finally {
                Arrays.fill(frame, (byte) 0);
            }
            byte[] payload = IpcCodec.readFrame(channel).orElseThrow(() -> new IpcException(
                    IpcException.Reason.NOT_AUTHENTICATED, "key manager closed the connection: refused"));
            IdentityPublicKeys identity;
            try {
                identity = IpcCodec.readIdentity(IpcCodec.responseBody(payload, IpcOp.HELLO, 0));
            } catch (CryptoException e) {
                throw new IpcException(IpcException.Reason.REJECTED, "HELLO refused: " + e.getMessage(), e);
            }
            return new KeyManagerClient(channel, identity);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Whether this client can still send requests (false after {@link #close()} or a channel failure). */
    public boolean isOpen() {
        return !closed;
    }

    @Override
    public IdentityPublicKeys identity() {
        return identity;
    }

    @Override
    public PreKeyBundle preKeyBundle() throws CryptoException {
        return call(IpcRequest.empty(IpcOp.PREKEY_BUNDLE, 0), IpcCodec::readBundle);
    }

    @Override
    public SecretBytes agreeWithIdentityKey(byte[] peerPublicKey) throws CryptoException {
        checkX25519Key(peerPublicKey);
        return call(IpcRequest.bytes(IpcOp.AGREE_IDENTITY, 0, peerPublicKey), IpcCodec::readSecret);
    }

    @Override
    public SecretBytes agreeWithSignedPreKey(int signedPreKeyId, byte[] peerPublicKey) throws CryptoException {
        checkPreKeyId(signedPreKeyId);
        checkX25519Key(peerPublicKey);
        return call(IpcRequest.withKeyId(IpcOp.AGREE_SIGNED_PREKEY, 0, signedPreKeyId, peerPublicKey),
                IpcCodec::readSecret);
    }

    @Override
    public SecretBytes consumeOneTimePreKey(int oneTimePreKeyId, byte[] peerPublicKey) throws CryptoException {
        checkPreKeyId(oneTimePreKeyId);
        checkX25519Key(peerPublicKey);
        return call(IpcRequest.withKeyId(IpcOp.CONSUME_ONE_TIME_PREKEY, 0, oneTimePreKeyId, peerPublicKey),
                IpcCodec::readSecret);
    }

    @Override
    public SecretBytes decapsulate(int kemPreKeyId, byte[] ciphertext) throws CryptoException {
        checkPreKeyId(kemPreKeyId);
        if (ciphertext == null || ciphertext.length > IpcCodec.ML_KEM_1024_CIPHERTEXT_LENGTH) {
            throw new CryptoException(BAD_ENCODING, "ML-KEM-1024 ciphertext must be "
                    + IpcCodec.ML_KEM_1024_CIPHERTEXT_LENGTH + " bytes");
        }
        return call(IpcRequest.withKeyId(IpcOp.DECAPSULATE, 0, kemPreKeyId, ciphertext), IpcCodec::readSecret);
    }

    @Override
    public HybridSignature signHandshakeTranscript(HandshakeTranscript transcript) throws CryptoException {
        return call(IpcRequest.sign(0, transcript), IpcCodec::readSignature);
    }

    @Override
    public byte[] signTlsCertificateVerify(byte[] content) throws CryptoException {
        if (content == null || content.length > IpcCodec.MAX_CERTIFICATE_VERIFY_LENGTH) {
            throw new CryptoException(UNSUPPORTED_PARAMETER, "a TLS 1.3 CertificateVerify input is 130 or 146 bytes");
        }
        return call(IpcRequest.bytes(IpcOp.SIGN_TLS_CERTIFICATE_VERIFY, 0, content),
                IpcCodec::readEd25519Signature);
    }

    @Override
    public byte[] signTransportCertificate(byte[] tbsCertificateDer) throws CryptoException {
        if (tbsCertificateDer == null || tbsCertificateDer.length > IpcCodec.MAX_TBS_CERTIFICATE_LENGTH) {
            throw new CryptoException(UNSUPPORTED_PARAMETER, "TBSCertificate must be 1.."
                    + IpcCodec.MAX_TBS_CERTIFICATE_LENGTH + " bytes");
        }
        return call(IpcRequest.bytes(IpcOp.SIGN_TRANSPORT_CERTIFICATE, 0, tbsCertificateDer),
                IpcCodec::readEd25519Signature);
    }

    /**
     * The 32-byte key the app seals its own files with for {@code purpose} ({@code [a-z][a-z0-9-]{0,31}}):
     * derived in the key manager from a random secret it keeps sealed under the master key, the same on every
     * start. Not a private key: it leaves the key manager by design (PROTOCOL.md 16.4). The caller closes it.
     */
    public SecretBytes storageKey(String purpose) throws CryptoException {
        if (!AppStorageKeys.isValidPurpose(purpose)) {
            throw new IllegalArgumentException("purpose must match [a-z][a-z0-9-]{0,31}");
        }
        return call(IpcRequest.bytes(IpcOp.DERIVE_STORAGE_KEY, 0,
                purpose.getBytes(java.nio.charset.StandardCharsets.US_ASCII)), IpcCodec::readSecret);
    }

    /** The public identity as the key manager reports it now (a round trip; {@link #identity()} is cached). */
    IdentityPublicKeys fetchIdentity() throws CryptoException {
        return call(IpcRequest.empty(IpcOp.IDENTITY, 0), IpcCodec::readIdentity);
    }

    // What the key holder would refuse anyway but the wire cannot carry is refused here with the same reason.

    private static void checkX25519Key(byte[] key) throws CryptoException {
        if (key == null || key.length > IpcCodec.X25519_KEY_LENGTH) {
            throw new CryptoException(BAD_ENCODING, "X25519 public key must be " + IpcCodec.X25519_KEY_LENGTH
                    + " bytes");
        }
    }

    private static void checkPreKeyId(int id) throws CryptoException {
        if (id < 0) {
            throw new CryptoException(UNKNOWN_PREKEY, "no prekey " + id);
        }
    }

    private interface BodyReader<T> {
        T read(StrictReader body) throws IpcException;
    }

    /** One round trip. The request's id is replaced by the next one under the lock. */
    private <T> T call(IpcRequest template, BodyReader<T> reader) throws CryptoException {
        synchronized (lock) {
            if (closed) {
                throw new UnavailableException("key-manager client is closed",
                        new IpcException(IpcException.Reason.UNAVAILABLE, "client closed"));
            }
            int id = nextId;
            nextId = nextId == Integer.MAX_VALUE ? 1 : nextId + 1;
            IpcRequest request = withId(template, id);
            byte[] payload = null;
            try {
                IpcCodec.writeFrame(channel, IpcCodec.encodeRequest(request));
                Optional<byte[]> frame = IpcCodec.readFrame(channel);
                if (frame.isEmpty()) {
                    throw new IpcException(IpcException.Reason.UNAVAILABLE, "key manager closed the connection");
                }
                payload = frame.get();
                return reader.read(IpcCodec.responseBody(payload, request.op(), id));
            } catch (IOException e) {
                closeChannel();
                throw new UnavailableException("key manager unavailable: " + e.getMessage(), e);
            } finally {
                if (payload != null) {
                    // A response may carry a shared secret.
                    Arrays.fill(payload, (byte) 0);
                }
            }
        }
    }

    private static IpcRequest withId(IpcRequest t, int id) {
        return switch (t.op()) {
            case IDENTITY, PREKEY_BUNDLE -> IpcRequest.empty(t.op(), id);
            case AGREE_IDENTITY, SIGN_TLS_CERTIFICATE_VERIFY, SIGN_TRANSPORT_CERTIFICATE, DERIVE_STORAGE_KEY ->
                    IpcRequest.bytes(t.op(), id, t.dataUnsafe());
            case AGREE_SIGNED_PREKEY, CONSUME_ONE_TIME_PREKEY, DECAPSULATE ->
                    IpcRequest.withKeyId(t.op(), id, t.keyId(), t.dataUnsafe());
            case SIGN_HANDSHAKE_TRANSCRIPT -> IpcRequest.sign(id, t.transcript());
            default -> throw new IllegalStateException("not a request after HELLO: " + t.op());
        };
    }

    private void closeChannel() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // Nothing left to do with a channel that will not close.
        }
    }

    /** Closes the connection (failing a round trip in progress); the key manager keeps running. */
    @Override
    public void close() {
        closeChannel();
    }

    @Override
    public String toString() {
        return "KeyManagerClient[" + identity.fingerprint().shortForm() + "]";
    }
}
