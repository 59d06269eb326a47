package org.securep2p.keymanager;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.crypto.SecretBytes;

import static org.securep2p.keymanager.IpcException.Reason.UNSAFE_DIRECTORY;

/**
 * Serves a {@link PrivateKeyOperations} backend to local clients over a Unix domain socket, answering with
 * agreements, decapsulations and signatures, never with a private key.
 *
 * <p>Guarantees: the socket lives in a directory that is a real directory of mode 0700 owned by this process's
 * user (created so, or refused if it exists otherwise), and the socket file is 0600. A connection is served only
 * if its peer runs as this process's user (kernel-reported {@code SO_PEERCRED}) <em>and</em> its first frame is
 * a HELLO with this launch's token (compared in constant time); anything else is closed unanswered. After that,
 * a malformed, unknown or oversized request gets an error response (or, when the frame boundary is lost, the
 * connection is closed) and the server keeps serving this and every other connection. At most
 * {@link #MAX_CONNECTIONS} connections are served at once, each on its own thread.
 *
 * <p>Not its job: storing keys (the backend does) or deciding when the process ends ({@code KeyManagerMain}).
 */
public final class KeyManagerServer implements AutoCloseable {

    /** The socket file's name inside the socket directory. */
    public static final String SOCKET_FILE_NAME = "keymanager.sock";
    /**
     * The app holds one connection; a few more cover a reconnect racing a dying one and tools. The cap bounds
     * threads and memory a misbehaving same-user process can tie up.
     */
    public static final int MAX_CONNECTIONS = 8;
    /** A peer that connects must authenticate promptly, or it would hold one of the few slots forever. */
    static final long HELLO_TIMEOUT_MILLIS = 5_000;

    private static final Logger LOG = System.getLogger("org.securep2p.keymanager");
    private static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> SOCKET_MODE = PosixFilePermissions.fromString("rw-------");

    private final PrivateKeyOperations backend;
    /** Answers DERIVE_STORAGE_KEY; null where the key manager keeps no app storage secret (tests). */
    private volatile AppStorageKeys storageKeys;
    /** Fixed at launch; decides which storage-key purposes are answered. */
    private final KeyManagerRole role;
    private final byte[] token;
    private final Path socketPath;
    private final ServerSocketChannel server;
    private final UserPrincipal owner;
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService helloDeadlines;
    private final AtomicInteger refusedPeers = new AtomicInteger();
    private final AtomicInteger threadNumber = new AtomicInteger();
    private volatile boolean closed;

    private KeyManagerServer(PrivateKeyOperations backend, byte[] token, Path socketPath, ServerSocketChannel server,
            UserPrincipal owner, KeyManagerRole role) {
        this.backend = backend;
        this.role = role;
        this.token = token;
        this.socketPath = socketPath;
        this.server = server;
        this.owner = owner;
        this.helloDeadlines = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "keymanager-hello-timer"));
    }

    /**
     * Prepares {@code socketDirectory} (created 0700, or checked to be a 0700 directory of ours), binds
     * {@value #SOCKET_FILE_NAME} in it with mode 0600 (replacing a stale socket there) and starts accepting.
     * The token is copied; the caller should zero its array.
     *
     * @throws IOException if the directory is unsafe (exists with other permissions or another owner, or is a
     *                     link), or the socket cannot be bound
     */
    public static KeyManagerServer start(Path socketDirectory, byte[] token, PrivateKeyOperations backend)
            throws IOException {
        return start(socketDirectory, token, backend, null);
    }

    /**
     * As {@link #start(Path, byte[], PrivateKeyOperations)}, also answering DERIVE_STORAGE_KEY from
     * {@code storageKeys} for the {@link KeyManagerRole#CHAT} role.
     */
    static KeyManagerServer start(Path socketDirectory, byte[] token, PrivateKeyOperations backend,
            AppStorageKeys storageKeys) throws IOException {
        return start(socketDirectory, token, backend, storageKeys, KeyManagerRole.CHAT);
    }

    /** As above, answering only the storage-key purposes {@code role} allows. */
    static KeyManagerServer start(Path socketDirectory, byte[] token, PrivateKeyOperations backend,
            AppStorageKeys storageKeys, KeyManagerRole role) throws IOException {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(backend, "backend");
        if (Objects.requireNonNull(token, "token").length != IpcCodec.TOKEN_LENGTH) {
            throw new IllegalArgumentException("token must be " + IpcCodec.TOKEN_LENGTH + " bytes");
        }
        Path dir = socketDirectory.toAbsolutePath();
        prepareDirectory(dir);
        Path socketPath = dir.resolve(SOCKET_FILE_NAME);
        Files.deleteIfExists(socketPath);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socketPath));
            // Between bind and this chmod the socket has the umask's mode, but only our user can traverse dir.
            Files.setPosixFilePermissions(socketPath, SOCKET_MODE);
            // The kernel stamps a new file with the creating process's effective uid, the id SO_PEERCRED reports
            // for a peer; the JDK's UserPrincipal compares by that uid. So this is "our user", without parsing
            // /proc or calling native code.
            UserPrincipal owner = Files.getOwner(socketPath, LinkOption.NOFOLLOW_LINKS);
            if (!Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).equals(owner)) {
                throw new IpcException(UNSAFE_DIRECTORY, "socket directory " + dir + " belongs to another user");
            }
            KeyManagerServer s = new KeyManagerServer(backend, token.clone(), socketPath, server, owner, role);
            s.storageKeys = storageKeys;
            daemon(s::acceptLoop, "keymanager-accept").start();
            return s;
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(socketPath);
            throw e;
        }
    }

    /** Creates {@code dir} with mode 0700, or accepts an existing one only if it is exactly that. */
    static void prepareDirectory(Path dir) throws IOException {
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            // The umask can only remove bits, so the directory is created no looser than 0700; set it exactly.
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIRECTORY_MODE));
            Files.setPosixFilePermissions(dir, DIRECTORY_MODE);
            return;
        }
        if (!attributes.isDirectory() || attributes.isSymbolicLink()) {
            throw new IpcException(UNSAFE_DIRECTORY, dir + " exists and is not a directory");
        }
        if (!attributes.permissions().equals(DIRECTORY_MODE)) {
            throw new IpcException(UNSAFE_DIRECTORY, dir + " has mode "
                    + PosixFilePermissions.toString(attributes.permissions()) + ", not rwx------");
        }
    }

    /** The socket clients connect to. */
    public Path socketPath() {
        return socketPath;
    }

    /** How many connections were refused for a wrong uid, a wrong token or a missing HELLO (for tests). */
    int refusedPeers() {
        return refusedPeers.get();
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                LOG.log(Level.WARNING, "accept failed: " + e.getClass().getSimpleName());
                continue;
            }
            if (!slots.tryAcquire()) {
                LOG.log(Level.WARNING, "refused a connection: " + MAX_CONNECTIONS + " already open");
                closeQuietly(ch);
                continue;
            }
            connections.add(ch);
            if (closed) {
                closeQuietly(ch);
            }
            daemon(() -> serve(ch), "keymanager-connection-" + threadNumber.incrementAndGet()).start();
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (!owner.equals(peer.user())) {
                refusedPeers.incrementAndGet();
                LOG.log(Level.WARNING, "refused a connection from user " + peer.user().getName()
                        + ": only " + owner.getName() + " may connect");
                return;
            }
            ScheduledFuture<?> deadline = helloDeadlines.schedule(() -> closeQuietly(ch), HELLO_TIMEOUT_MILLIS,
                    TimeUnit.MILLISECONDS);
            boolean authenticated;
            try {
                authenticated = authenticate(ch);
            } finally {
                deadline.cancel(false);
            }
            if (!authenticated) {
                refusedPeers.incrementAndGet();
                LOG.log(Level.WARNING, "refused a connection: no valid HELLO");
                return;
            }
            requestLoop(ch);
        } catch (IOException e) {
            // A peer that vanishes or sends a broken stream costs only its own connection.
            LOG.log(Level.DEBUG, "connection ended: " + e.getMessage());
        } finally {
            connections.remove(ch);
            slots.release();
        }
    }

    /** Reads the first frame: it must be a well-formed HELLO carrying this launch's token. */
    private boolean authenticate(SocketChannel ch) throws IOException {
        byte[] payload;
        try {
            Optional<byte[]> frame = IpcCodec.readFrame(ch);
            if (frame.isEmpty()) {
                return false;
            }
            payload = frame.get();
        } catch (IpcException e) {
            return false;
        }
        IpcRequest hello;
        try {
            hello = IpcCodec.decodeRequest(payload);
        } catch (IpcException e) {
            return false;
        } finally {
            Arrays.fill(payload, (byte) 0);
        }
        try {
            if (hello.op() != IpcOp.HELLO || !MessageDigest.isEqual(hello.dataUnsafe(), token)) {
                return false;
            }
        } finally {
            hello.wipe();
        }
        IpcCodec.writeFrame(ch, IpcCodec.okResponse(IpcOp.HELLO, hello.id(),
                IpcCodec.identityBody(backend.identity())));
        return true;
    }

    private void requestLoop(SocketChannel ch) throws IOException {
        while (!closed) {
            Optional<byte[]> frame;
            try {
                frame = IpcCodec.readFrame(ch);
            } catch (IpcException e) {
                // The frame boundary is lost (or never was): say why if we can, then drop the connection.
                IpcCodec.Status status = e.reason() == IpcException.Reason.FRAME_TOO_LARGE
                        ? IpcCodec.Status.FRAME_TOO_LARGE : IpcCodec.Status.MALFORMED_REQUEST;
                if (e.reason() != IpcException.Reason.TRUNCATED) {
                    IpcCodec.writeFrame(ch, IpcCodec.errorResponse(0, 0, status, 0, e.getMessage()));
                }
                return;
            }
            if (frame.isEmpty()) {
                return;
            }
            byte[] response = handle(frame.get());
            try {
                IpcCodec.writeFrame(ch, response);
            } finally {
                Arrays.fill(response, (byte) 0);
            }
        }
    }

    /** One request to one response frame; never throws for anything the peer sent. */
    byte[] handle(byte[] payload) {
        int op = IpcCodec.opCode(payload);
        int id = IpcCodec.requestId(payload);
        IpcRequest request;
        try {
            request = IpcCodec.decodeRequest(payload);
        } catch (IpcException e) {
            IpcCodec.Status status = switch (e.reason()) {
                case UNKNOWN_OP -> IpcCodec.Status.UNKNOWN_OP;
                case UNKNOWN_VERSION -> IpcCodec.Status.UNKNOWN_VERSION;
                default -> IpcCodec.Status.MALFORMED_REQUEST;
            };
            return IpcCodec.errorResponse(op, id, status, 0, e.getMessage());
        } finally {
            Arrays.fill(payload, (byte) 0);
        }
        if (request.op() == IpcOp.HELLO) {
            request.wipe();
            return IpcCodec.errorResponse(op, id, IpcCodec.Status.MALFORMED_REQUEST, 0,
                    "HELLO is only valid as the first frame");
        }
        try {
            return IpcCodec.okResponse(request.op(), id, execute(request));
        } catch (CryptoException e) {
            // core-crypto's messages name fields and sizes only, so they may cross the socket.
            return IpcCodec.errorResponse(op, id, IpcCodec.Status.CRYPTO_ERROR,
                    IpcCodec.cryptoReasonCode(e.reason()), e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "backend failed on " + request.op() + ": " + e.getClass().getName());
            return IpcCodec.errorResponse(op, id, IpcCodec.Status.INTERNAL_ERROR, 0, "internal error");
        } finally {
            request.wipe();
        }
    }

    private byte[] execute(IpcRequest request) throws CryptoException {
        switch (request.op()) {
            case IDENTITY -> {
                return IpcCodec.identityBody(backend.identity());
            }
            case PREKEY_BUNDLE -> {
                return IpcCodec.bundleBody(backend.preKeyBundle());
            }
            case AGREE_IDENTITY -> {
                try (SecretBytes s = backend.agreeWithIdentityKey(request.data())) {
                    return IpcCodec.secretBody(s);
                }
            }
            case AGREE_SIGNED_PREKEY -> {
                try (SecretBytes s = backend.agreeWithSignedPreKey(request.keyId(), request.data())) {
                    return IpcCodec.secretBody(s);
                }
            }
            case CONSUME_ONE_TIME_PREKEY -> {
                try (SecretBytes s = backend.consumeOneTimePreKey(request.keyId(), request.data())) {
                    return IpcCodec.secretBody(s);
                }
            }
            case DECAPSULATE -> {
                try (SecretBytes s = backend.decapsulate(request.keyId(), request.data())) {
                    return IpcCodec.secretBody(s);
                }
            }
            case SIGN_HANDSHAKE_TRANSCRIPT -> {
                return IpcCodec.signatureBody(backend.signHandshakeTranscript(request.transcript()));
            }
            case SIGN_TLS_CERTIFICATE_VERIFY -> {
                return IpcCodec.ed25519SignatureBody(backend.signTlsCertificateVerify(request.data()));
            }
            case SIGN_TRANSPORT_CERTIFICATE -> {
                return IpcCodec.ed25519SignatureBody(backend.signTransportCertificate(request.data()));
            }
            case DERIVE_STORAGE_KEY -> {
                if (storageKeys == null) {
                    throw new CryptoException(CryptoException.Reason.UNSUPPORTED_PARAMETER,
                            "this key manager keeps no app storage secret");
                }
                String purpose = new String(request.data(), java.nio.charset.StandardCharsets.US_ASCII);
                // The role came from the parent at launch, not from this request, so a client cannot lie about it.
                if (!role.mayDerive(purpose)) {
                    throw new CryptoException(CryptoException.Reason.UNSUPPORTED_PARAMETER, "a key manager started "
                            + "for the " + role + " role does not derive this storage-key purpose");
                }
                try (SecretBytes k = storageKeys.derive(purpose)) {
                    return IpcCodec.secretBody(k);
                }
            }
            default -> throw new IllegalStateException("unhandled op " + request.op());
        }
    }

    /** Stops accepting, closes every connection, removes the socket file and zeroes the token. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        connections.forEach(KeyManagerServer::closeQuietly);
        helloDeadlines.shutdownNow();
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remove " + socketPath + ": " + e.getClass().getSimpleName());
        }
        Arrays.fill(token, (byte) 0);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // Closing is best effort: the peer may already be gone.
        }
    }

    @Override
    public String toString() {
        return "KeyManagerServer[" + socketPath + "]";
    }
}
