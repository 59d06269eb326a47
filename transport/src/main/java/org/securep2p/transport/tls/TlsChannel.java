package org.securep2p.transport.tls;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsProtocol;
import org.bouncycastle.tls.TlsServerProtocol;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.TransportException;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.reliable.ChannelStreams;
import org.securep2p.transport.reliable.ReliableAuth;
import org.securep2p.transport.reliable.ReliableChannel;

import static org.securep2p.transport.TransportException.Reason.CLOSED;
import static org.securep2p.transport.TransportException.Reason.IO_FAILED;
import static org.securep2p.transport.TransportException.Reason.PEER_CLOSED;
import static org.securep2p.transport.TransportException.Reason.TLS_FAILED;

/**
 * TLS 1.3 over a reliable byte stream, mutually authenticated with the two identities' Ed25519 certificates
 * and configured by {@link TlsProfile} for one security level (docs/PROTOCOL.md section 12). A channel
 * exists only after a completed handshake: the factories return it or throw. It guarantees that the peer
 * proved possession of the Ed25519 key of {@link #peerIdentity()} (equal to the pin, when one was given), and
 * that the bytes {@link #receive}d are exactly the bytes that peer sent, in order, until {@code -1} (its
 * close_notify) or an exception.
 *
 * <p>Not its job: deciding whom to trust without a pin (the caller gets {@link #peerIdentity()} and decides),
 * or the end-to-end handshake, which binds to this session through {@link #channelBinding()}.
 *
 * <p>Threading: one thread may {@link #send} while another {@link #receive}s; each call is atomic with
 * respect to others of its kind. Bouncy Castle's non-blocking protocol object is not thread-safe, so it is
 * touched only under {@code lock}, and never while blocking on a stream. Input: over a {@link ReliableChannel}
 * the handshake's input is taken by a daemon helper thread, because it makes the key holder sign (a key-manager
 * call that may block), which must never stall the reliable channel's I/O thread; after the handshake that
 * I/O thread hands the received bytes straight to the protocol (and a reader that drained the plaintext
 * takes more itself), so a record costs no thread hand-off; over any other stream a daemon reader thread
 * feeds it. Output: whoever holds {@code writeLock} copies the protocol's output to the output stream, in
 * order; output that input causes (handshake flights, alerts, key updates, the answer to close_notify) is
 * written by a daemon thread, never by the reliable channel's I/O thread, which must not block. Buffered
 * plaintext is bounded ({@link #MAX_BUFFERED_PLAINTEXT}); like any bounded duplex channel, two peers that both
 * only send and never receive will stall each other.
 */
public final class TlsChannel implements Closeable {

    /** A handshake is two round trips of a few KB; one that takes this long is not going to finish. */
    public static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);
    /** RFC 9266 tls-exporter: label, empty context, 32 bytes. */
    static final String CHANNEL_BINDING_LABEL = "EXPORTER-Channel-Binding";
    static final int CHANNEL_BINDING_LENGTH = 32;
    /** TLS's largest record plaintext (RFC 8446 5.1): each send step is one record, so output stays bounded. */
    static final int MAX_RECORD_PLAINTEXT = 1 << 14;
    /** Room for two full records with header and tag per read, so records rarely straddle reads. */
    static final int READ_CHUNK = 2 * (MAX_RECORD_PLAINTEXT + 256);
    /** Bytes copied from the protocol to the output stream per write: two full records. */
    static final int WRITE_CHUNK = READ_CHUNK;
    /**
     * The reader stops taking bytes from the channel while this much plaintext waits for the application, so
     * a slow receiver pushes back on the sender instead of growing memory; 1 MiB keeps a fast link busy.
     */
    static final int MAX_BUFFERED_PLAINTEXT = 1 << 20;
    /** close() sends close_notify but waits at most this long for a writer stuck on a peer that stopped reading. */
    static final long CLOSE_FLUSH_MILLIS = 1000;

    private final Role role;
    private final TlsProtocol protocol;
    private final TlsHandshakePolicy policy;
    private final Peer peer;
    private final InputStream in;
    private final OutputStream out;
    /** A reliable channel pushes its input ({@link Pushed}); any other stream is read by a thread. */
    private final Source source;
    /** Stream mode: reads {@code in}. Push mode: only writes the output that input causes. */
    private final Thread reader;

    /** Guards {@code protocol} and the state below; {@code changed} is signalled on every change of it. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private TransportException failure;
    private boolean established;
    private boolean peerClosed;
    private boolean closed;
    /** Push mode: the protocol has output the helper thread should write; signalled on {@code flushNeeded}. */
    private boolean flushWanted;
    private final Condition flushNeeded = lock.newCondition();
    /**
     * Push mode: false until the handshake has ended, and the reliable channel's I/O thread then only
     * {@linkplain #inputArrived wakes} the helper thread, which takes the input: handshake messages make Bouncy
     * Castle sign our CertificateVerify, a key-manager call over IPC that may take seconds (a restart, a
     * passphrase prompt), and meanwhile the I/O thread must go on acknowledging and running its timers. It must
     * not even wait for {@code lock}, which the signing holds. True afterwards: records are decrypted on the
     * I/O thread, with no hand-off.
     */
    private volatile boolean inputOnIoThread;
    /** Push mode, during the handshake: released when input arrives or the channel stops; never blocks. */
    private final Semaphore inputArrived = new Semaphore(0);
    /** Counted down once the handshake has ended: established, failed or closed. Waited on without {@code lock}. */
    private final CountDownLatch handshakeOver = new CountDownLatch(1);
    /** Push mode, under lock: input was left in the reliable channel because plaintext reached the bound. */
    private boolean inputHeldBack;
    private final byte[] pushBuffer;

    /** Serializes writes to {@code out}; the holder drains the protocol's output in order. Never taken under lock. */
    private final ReentrantLock writeLock = new ReentrantLock();
    private final byte[] writeBuffer = new byte[WRITE_CHUNK];

    /** Set once, under lock, when the handshake completes; read without lock afterwards. */
    private volatile Session session;

    private final InputStream inputStream = ChannelStreams.input(new OwnStreams());
    private final OutputStream outputStream = ChannelStreams.output(new OwnStreams());

    /** What the handshake settled; immutable. */
    private static final class Session {
        final IdentityPublicKeys peerIdentity;
        final byte[] channelBinding;
        final String version;
        final String cipherSuite;
        final String group;
        /** The peer's name as our organisation's CA certified it; null outside organisation mode. */
        final String peerMemberName;

        Session(IdentityPublicKeys peerIdentity, byte[] channelBinding, String version, String cipherSuite,
                String group, String peerMemberName) {
            this.peerMemberName = peerMemberName;
            this.peerIdentity = peerIdentity;
            this.channelBinding = channelBinding;
            this.version = version;
            this.cipherSuite = cipherSuite;
            this.group = group;
        }
    }

    /** Which end of the handshake a channel is. */
    public enum Role {
        CLIENT, SERVER;

        @Override
        public String toString() {
            return this == CLIENT ? "client" : "server";
        }
    }

    /** What TLS runs over: a pair of streams, or a reliable channel that pushes its input. */
    private sealed interface Source permits Streams, Pushed {
        InputStream in();

        OutputStream out();
    }

    /** Any streams: a daemon thread reads {@code in}. */
    private record Streams(InputStream in, OutputStream out) implements Source {
        Streams {
            Objects.requireNonNull(in, "in");
            Objects.requireNonNull(out, "out");
        }
    }

    /** A reliable channel: its I/O thread pushes the input, and the handshake installs its packet keys. */
    private record Pushed(ReliableChannel channel, InputStream in, OutputStream out) implements Source {
        Pushed(ReliableChannel channel) {
            this(channel, channel.inputStream(), channel.outputStream());
        }
    }

    /** Bouncy Castle's peer and protocol object of one role: a client peer never meets a server protocol. */
    private sealed interface Peer permits ClientSide, ServerSide {
        TlsProtocol protocol();

        /** The context, which Bouncy Castle hands to the peer object only. */
        TlsContext context();

        /** Starts the handshake: the client's first flight, or the server's wait for it. */
        void start() throws IOException;
    }

    private record ClientSide(TlsClientPeer peer, TlsClientProtocol protocol) implements Peer {
        @Override
        public TlsContext context() {
            return peer.tlsContext();
        }

        @Override
        public void start() throws IOException {
            protocol.connect(peer);
        }
    }

    private record ServerSide(TlsServerPeer peer, TlsServerProtocol protocol) implements Peer {
        @Override
        public TlsContext context() {
            return peer.tlsContext();
        }

        @Override
        public void start() throws IOException {
            protocol.accept(peer);
        }
    }

    private TlsChannel(Role role, Source source, BcTlsCrypto crypto, TlsHandshakePolicy policy) {
        this.role = role;
        this.in = source.in();
        this.out = source.out();
        this.source = source;
        this.pushBuffer = source instanceof Pushed ? new byte[READ_CHUNK] : null;
        this.policy = policy;
        peer = role == Role.CLIENT
                ? new ClientSide(new TlsClientPeer(crypto, policy), new TlsClientProtocol())
                : new ServerSide(new TlsServerPeer(crypto, policy), new TlsServerProtocol());
        protocol = peer.protocol();
        reader = source instanceof Pushed
                ? new Thread(this::flushLoop, "securep2p-tls-output-" + role)
                : new Thread(this::readLoop, "securep2p-tls-reader-" + role);
        reader.setDaemon(true);
    }

    /**
     * Runs the client side of the handshake over {@code in}/{@code out} and returns the established channel.
     *
     * @param pinnedPeer the server's identity fingerprint; empty to accept any well-formed identity
     *        certificate (trust on first use: check {@link #peerIdentity()} before trusting the peer)
     * @throws TransportException {@code IDENTITY_MISMATCH} if the server is not the pinned identity;
     *         {@code DOWNGRADE} if it runs another level; {@code TLS_FAILED} for any other refused handshake
     *         or after {@link #HANDSHAKE_TIMEOUT}; {@code PEER_CLOSED} or the stream's own reason if the
     *         channel below fails. The streams are closed on failure.
     */
    static TlsChannel client(InputStream in, OutputStream out, PrivateKeyOperations keys,
            TransportCertificate cert, Optional<Fingerprint> pinnedPeer, SecurityLevel level, SecureRandom random)
            throws TransportException {
        return open(Role.CLIENT, in, out, keys, cert, pinnedPeer, level, random, HANDSHAKE_TIMEOUT);
    }

    /** The server side of {@link #client}; the same parameters and failures, the pin being the client's. */
    static TlsChannel server(InputStream in, OutputStream out, PrivateKeyOperations keys,
            TransportCertificate cert, Optional<Fingerprint> pinnedPeer, SecurityLevel level, SecureRandom random)
            throws TransportException {
        return open(Role.SERVER, in, out, keys, cert, pinnedPeer, level, random, HANDSHAKE_TIMEOUT);
    }

    /** {@link #client} or {@link #server} with another handshake timeout. */
    public static TlsChannel open(Role role, InputStream in, OutputStream out, PrivateKeyOperations keys,
            TransportCertificate cert, Optional<Fingerprint> pinnedPeer, SecurityLevel level, SecureRandom random,
            Duration handshakeTimeout) throws TransportException {
        Objects.requireNonNull(pinnedPeer, "pinnedPeer");
        return open(role, new Streams(in, out), keys, cert, () -> pinnedPeer, level, random,
                handshakeTimeout);
    }

    /**
     * {@link #open} over a reliable channel, whose I/O thread then hands its received bytes straight to TLS
     * (no reader thread, no stream hand-off). The channel is closed with this one.
     */
    public static TlsChannel open(Role role, ReliableChannel reliable, PrivateKeyOperations keys,
            TransportCertificate cert, Optional<Fingerprint> pinnedPeer, SecurityLevel level, SecureRandom random,
            Duration handshakeTimeout) throws TransportException {
        Objects.requireNonNull(pinnedPeer, "pinnedPeer");
        return open(role, reliable, keys, cert, () -> pinnedPeer, level, random, handshakeTimeout);
    }

    /**
     * As above, with the pin read when the peer's certificate is checked rather than now: the waiter of a
     * connection code learns its peer's identity from an answer code that may be pasted while it waits.
     */
    public static TlsChannel open(Role role, ReliableChannel reliable, PrivateKeyOperations keys,
            TransportCertificate cert, Supplier<Optional<Fingerprint>> pinnedPeer, SecurityLevel level,
            SecureRandom random, Duration handshakeTimeout) throws TransportException {
        Objects.requireNonNull(reliable, "reliable");
        return open(role, new Pushed(reliable), keys, cert, pinnedPeer, level, random, handshakeTimeout);
    }

    private static TlsChannel open(Role role, Source source, PrivateKeyOperations keys, TransportCertificate cert,
            Supplier<Optional<Fingerprint>> pinnedPeer, SecurityLevel level, SecureRandom random,
            Duration handshakeTimeout) throws TransportException {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(pinnedPeer, "pinnedPeer");
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(random, "random");
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshake timeout must be positive");
        }
        if (!cert.identity().equals(keys.identity())) {
            throw new IllegalArgumentException("the certificate is not for the key holder's identity");
        }
        BcTlsCrypto crypto = new TlsRecordCrypto(random);
        if (!TlsProfile.supports(crypto, level)) {
            throw new TransportException(TLS_FAILED, "the TLS library here cannot do "
                    + TlsProfile.groupName(TlsProfile.namedGroup(level)));
        }
        TlsChannel channel = new TlsChannel(role, source, crypto,
                new TlsHandshakePolicy(crypto, keys, cert, pinnedPeer, level));
        channel.handshake(handshakeTimeout);
        return channel;
    }

    private void handshake(Duration timeout) throws TransportException {
        lock.lock();
        try {
            peer.start();
        } catch (IOException | RuntimeException e) {
            fail(TlsFailures.map(e, policy.failure(), false));
        } finally {
            lock.unlock();
        }
        // The reader also writes the first flight, so that a stream that blocks is bounded by the timeout too.
        boolean readerStarted = failureOrNull() == null;
        if (readerStarted) {
            reader.start();
            if (source instanceof Pushed pushed) {
                pushed.channel().onReadable(this::onReadable);
                inputArrived.release(); // bytes that arrived before the listener was set
            }
        }
        boolean gaveUp = false;
        TransportException givenUp = null;
        try {
            // Not a wait on the condition "changed": waking from it needs the lock, which a key holder that
            // does not answer holds (inside Bouncy Castle, signing) for as long as it likes.
            if (!handshakeOver.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                gaveUp = true;
                givenUp = new TransportException(TLS_FAILED, "TLS handshake timed out after "
                        + timeout.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            gaveUp = true;
            givenUp = new TransportException(IO_FAILED, "interrupted during the TLS handshake");
        }
        if (gaveUp) {
            if (!lock.tryLock()) {
                // The helper is inside the protocol, most likely in a key-holder call that has not returned:
                // abandon the channel without waiting for it (no alert: the protocol is busy). Closing the
                // streams releases the peer; the helper fails as soon as the call returns (sooner if the call
                // heeds the interrupt).
                reader.interrupt();
                closeStreams();
                throw givenUp;
            }
            try {
                fail(givenUp);
            } finally {
                lock.unlock();
            }
        }
        TransportException f = failureOrNull();
        if (f == null) {
            return;
        }
        if (readerStarted && !gaveUp) {
            // The reader failed: let it send the alert that tells the peer why before the streams close.
            try {
                reader.join(CLOSE_FLUSH_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Closing also unblocks a reader still waiting on the stream.
        closeStreams();
        throw f;
    }

    /**
     * Reader thread: writes the first flight, then stream → protocol until close, failure or the peer's
     * close_notify. Past the first flight it never blocks on {@code writeLock}: output it produces then is
     * written by whoever holds the lock.
     */
    private void readLoop() {
        byte[] buffer = new byte[READ_CHUNK];
        try {
            flushOutput(true);
            while (true) {
                lock.lock();
                try {
                    while (!stopped() && protocol.getAvailableInputBytes() >= MAX_BUFFERED_PLAINTEXT) {
                        changed.await();
                    }
                    if (stopped()) {
                        return;
                    }
                } finally {
                    lock.unlock();
                }
                int n = in.read(buffer, 0, buffer.length);
                boolean outputPending;
                lock.lock();
                try {
                    if (stopped()) {
                        return;
                    }
                    if (n < 0) {
                        fail(TlsFailures.endOfStream(established));
                        return;
                    }
                    try {
                        protocol.offerInput(buffer, 0, n);
                        afterInput();
                    } catch (IOException | RuntimeException e) {
                        fail(TlsFailures.map(e, policy.failure(), established));
                    }
                    changed.signalAll();
                    outputPending = protocol.getAvailableOutputBytes() > 0;
                } finally {
                    lock.unlock();
                }
                if (outputPending) {
                    flushOutput(false);
                }
            }
        } catch (IOException e) {
            streamFailed(e);
        } catch (InterruptedException e) {
            // Only close() interrupts the reader.
        } finally {
            loopEnded();
        }
    }

    /** The reader's and the helper's failure path: a stream that failed under them fails the channel. */
    private void streamFailed(IOException e) {
        lock.lock();
        try {
            // After our close or the peer's close_notify the stream may go away under us: that is no failure.
            if (!closed && !peerClosed) {
                fail(TlsFailures.stream(e));
            }
        } finally {
            lock.unlock();
        }
    }

    /** The reader's and the helper's last step: on failure, send the queued alert and close the streams. */
    private void loopEnded() {
        if (failureOrNull() != null) {
            // Tell the peer why (the alert Bouncy Castle queued), then release both sides of the stream.
            try {
                flushOutput(false);
            } catch (IOException e) {
                // The channel is already failed; the peer will see the stream end instead.
            }
            closeStreams();
        }
    }

    /**
     * Push mode: moves the reliable channel's received bytes into the protocol until none are left or the
     * plaintext bound is reached. Runs on the helper thread during the handshake, then on the reliable
     * channel's I/O thread (its listener), and on a reader that drained the plaintext; never blocks and never
     * writes to the stream.
     */
    private void pump() {
        lock.lock();
        try {
            pumpLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Under lock: {@link #pump}. */
    private void pumpLocked() {
        boolean took = false;
        inputHeldBack = false;
        while (!stopped()) {
            if (protocol.getAvailableInputBytes() >= MAX_BUFFERED_PLAINTEXT) {
                inputHeldBack = true;
                break;
            }
            int n;
            try {
                n = ((Pushed) source).channel().read(pushBuffer, 0, pushBuffer.length, 0);
            } catch (TransportException e) {
                // After our close the channel below goes away under us: that is no failure.
                if (!closed) {
                    fail(e);
                }
                break;
            }
            if (n == 0) {
                break;
            }
            took = true;
            if (n < 0) {
                fail(TlsFailures.endOfStream(established));
                break;
            }
            try {
                protocol.offerInput(pushBuffer, 0, n);
                afterInput();
            } catch (IOException | RuntimeException e) {
                fail(TlsFailures.map(e, policy.failure(), established));
            }
        }
        if (took) {
            changed.signalAll();
        }
        if (protocol.getAvailableOutputBytes() > 0 || stopped()) {
            flushWanted = true;
            flushNeeded.signalAll();
        }
    }

    /** Push mode: the reliable channel's listener, on its I/O thread. Never blocks (see {@link #inputOnIoThread}). */
    private void onReadable() {
        if (inputOnIoThread) {
            pump();
        } else {
            inputArrived.release();
        }
    }

    /**
     * Push mode's helper thread, until the handshake ends: takes the input and writes the flights it causes,
     * so that the key manager is called here and never on the reliable channel's I/O thread. Then hands input
     * over to the I/O thread, and takes once more what arrived while it was switching.
     */
    private void handshakeInputLoop() throws IOException, InterruptedException {
        while (true) {
            // Drained before reading: input that arrives after the read below leaves a permit, so none is missed.
            inputArrived.drainPermits();
            boolean over;
            lock.lock();
            try {
                pumpLocked();
                over = established || stopped();
            } finally {
                lock.unlock();
            }
            flushOutput(true);
            if (over) {
                break;
            }
            inputArrived.acquire();
        }
        inputOnIoThread = true;
        pump();
    }

    /**
     * Push mode's helper thread: writes the first flight, then whatever output input caused (the reliable
     * channel's I/O thread must not block on a write), until close, failure or the peer's close_notify; on
     * failure it sends the queued alert and closes the streams, as the stream mode's reader does.
     */
    private void flushLoop() {
        try {
            flushOutput(true);
            handshakeInputLoop();
            while (true) {
                boolean stop;
                lock.lock();
                try {
                    while (!flushWanted && !stopped()) {
                        flushNeeded.await();
                    }
                    flushWanted = false;
                    stop = stopped();
                } finally {
                    lock.unlock();
                }
                flushOutput(true);
                if (stop) {
                    return;
                }
            }
        } catch (IOException e) {
            streamFailed(e);
        } catch (InterruptedException e) {
            // Only close() interrupts this thread.
        } finally {
            loopEnded();
        }
    }

    /** Under lock, after the protocol took input: notices the end of the handshake and the peer's close. */
    private void afterInput() {
        if (!established && policy.complete()) {
            establish();
        }
        if (protocol.isClosed() && failure == null) {
            if (established) {
                peerClosed = true;
            } else {
                fail(new TransportException(PEER_CLOSED, "the peer closed the connection during the TLS handshake"));
            }
        }
    }

    /** Under lock: checks what was negotiated against the profile and records the session. */
    private void establish() {
        TlsContext context = peer.context();
        byte[] packetKeys = policy.takePacketKeyMaterial();
        SecurityParameters parameters = context.getSecurityParametersConnection();
        ProtocolVersion version = parameters.getNegotiatedVersion();
        int suite = parameters.getCipherSuite();
        int group = parameters.getNegotiatedGroup();
        // Bouncy Castle enforces the profile already; checking again costs nothing and catches a library change.
        // Forward secrecy: every session runs its own ephemeral (EC)DHE or hybrid KEM exchange; we offer no
        // PSK and issue no tickets, and a resumed session would mean that changed underneath us.
        if (!ProtocolVersion.TLSv13.equals(version) || suite != TlsProfile.CIPHER_SUITE
                || group != policy.namedGroup || policy.peerIdentity() == null || parameters.isResumedSession()
                || parameters.getPSKIdentity() != null) {
            Arrays.fill(packetKeys, (byte) 0);
            fail(new TransportException(TLS_FAILED, "negotiated " + TlsProfile.versionName(version) + " "
                    + TlsProfile.cipherSuiteName(suite) + " " + TlsProfile.groupName(group)
                    + ", which is not the profile of " + policy.level));
            return;
        }
        if (source instanceof Pushed pushed) {
            // Before any output of ours leaves: the client's Finished, written after this, goes out tagged
            // (PROTOCOL.md 13.9). fromExporter wipes the exported bytes.
            pushed.channel().installKeys(ReliableAuth.fromExporter(packetKeys, role == Role.CLIENT));
        } else {
            Arrays.fill(packetKeys, (byte) 0);
        }
        session = new Session(policy.peerIdentity(), policy.channelBinding(), TlsProfile.VERSION_NAME,
                TlsProfile.CIPHER_SUITE_NAME, TlsProfile.groupName(group), policy.peerMemberName());
        established = true;
        handshakeOver.countDown();
    }

    /**
     * Sends {@code len} bytes; returns once they are written to the stream below (which may block while the
     * peer is not reading).
     *
     * @throws TransportException {@code CLOSED} after {@link #close}; {@code PEER_CLOSED} after the peer's
     *         close_notify; the channel's failure if it has failed
     */
    void send(byte[] b, int off, int len) throws TransportException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            checkWritable();
            return;
        }
        writeLock.lock();
        try {
            while (len > 0) {
                int chunk = Math.min(len, MAX_RECORD_PLAINTEXT);
                TransportException refused = null;
                lock.lock();
                try {
                    checkWritable();
                    protocol.writeApplicationData(b, off, chunk);
                } catch (IOException | RuntimeException e) {
                    refused = fail(TlsFailures.map(e, null, true));
                } finally {
                    lock.unlock();
                }
                if (refused != null) {
                    // The protocol object is dead; release the peer and our reader.
                    closeStreams();
                    throw refused;
                }
                drainOutput();
                off += chunk;
                len -= chunk;
            }
        } catch (IOException e) {
            throw writeFailed(e);
        } finally {
            writeLock.unlock();
        }
        try {
            if (hasPendingOutput()) {
                flushOutput(false);
            }
        } catch (IOException e) {
            throw writeFailed(e);
        }
    }

    /** The stream below refused a write: because we closed it meanwhile, or because it failed. */
    private TransportException writeFailed(IOException e) {
        lock.lock();
        try {
            if (closed) {
                return new TransportException(CLOSED, "the TLS channel was closed during the send");
            }
        } finally {
            lock.unlock();
        }
        return failAndClose(TlsFailures.stream(e));
    }

    /** Under lock. */
    private void checkWritable() throws TransportException {
        if (closed) {
            throw new TransportException(CLOSED, "the TLS channel was closed");
        }
        if (failure != null) {
            throw failure;
        }
        if (peerClosed) {
            throw new TransportException(PEER_CLOSED, "the peer closed the TLS channel");
        }
    }

    /**
     * Copies received bytes into {@code b}, waiting up to {@code timeoutMillis} (0: don't wait) for some.
     * Returns how many (at least 1), 0 if none came in time, or -1 once the peer has closed (close_notify)
     * and everything it sent has been read.
     *
     * @throws TransportException {@code CLOSED} after {@link #close}; the channel's failure once the bytes
     *         received before it have been read; {@code IO_FAILED} if interrupted while waiting
     */
    int receive(byte[] b, int off, int len, long timeoutMillis) throws TransportException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (timeoutMillis < 0) {
            throw new IllegalArgumentException("timeout must not be negative");
        }
        long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    throw new TransportException(CLOSED, "the TLS channel was closed");
                }
                int available = protocol.getAvailableInputBytes();
                if (available > 0) {
                    if (len == 0) {
                        return 0;
                    }
                    int n = protocol.readInput(b, off, Math.min(len, available));
                    if (source instanceof Pushed) {
                        if (inputHeldBack) {
                            pumpLocked();
                        }
                    } else if (available >= MAX_BUFFERED_PLAINTEXT) {
                        changed.signalAll();
                    }
                    return n;
                }
                if (failure != null) {
                    throw failure;
                }
                if (peerClosed) {
                    return -1;
                }
                if (nanos <= 0 || len == 0) {
                    return 0;
                }
                nanos = changed.awaitNanos(nanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException(IO_FAILED, "interrupted while waiting for data");
        } finally {
            lock.unlock();
        }
    }

    /** Sends close_notify (waiting at most {@link #CLOSE_FLUSH_MILLIS} to do so) and closes both streams. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            inputArrived.release();
            handshakeOver.countDown();
            if (failure == null && !protocol.isClosed()) {
                try {
                    protocol.close();
                } catch (IOException | RuntimeException e) {
                    // Closing anyway; the peer will see the stream end without close_notify.
                }
            }
            changed.signalAll();
            flushNeeded.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            if (writeLock.tryLock(CLOSE_FLUSH_MILLIS, TimeUnit.MILLISECONDS)) {
                try {
                    drainOutput();
                } finally {
                    writeLock.unlock();
                }
            }
        } catch (IOException e) {
            // The stream below already failed; nothing more to tell the peer.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeStreams();
        reader.interrupt();
    }

    /**
     * Copies the protocol's pending output to {@code out}, in order. {@code wait}: take {@code writeLock}
     * even if another thread holds it; otherwise leave the output to that thread, which looks again after
     * releasing it. Never called with {@code lock} held.
     */
    private void flushOutput(boolean wait) throws IOException {
        boolean mayWait = wait;
        while (true) {
            if (mayWait) {
                writeLock.lock();
            } else if (!writeLock.tryLock()) {
                return;
            }
            try {
                drainOutput();
            } finally {
                writeLock.unlock();
            }
            // Output queued by a thread whose tryLock failed after our last look is now ours to write.
            if (!hasPendingOutput()) {
                return;
            }
            mayWait = false;
        }
    }

    /** With writeLock held: protocol output → out, then flush. */
    private void drainOutput() throws IOException {
        boolean wrote = false;
        while (true) {
            int n;
            lock.lock();
            try {
                n = protocol.readOutput(writeBuffer, 0, writeBuffer.length);
            } finally {
                lock.unlock();
            }
            if (n <= 0) {
                break;
            }
            out.write(writeBuffer, 0, n);
            wrote = true;
        }
        if (wrote) {
            out.flush();
        }
    }

    private boolean hasPendingOutput() {
        lock.lock();
        try {
            return protocol.getAvailableOutputBytes() > 0;
        } finally {
            lock.unlock();
        }
    }

    /** Under lock: records the first failure and wakes every waiter. Returns the failure in force. */
    private TransportException fail(TransportException e) {
        if (failure == null) {
            failure = e;
        }
        changed.signalAll();
        flushNeeded.signalAll();
        inputArrived.release();
        handshakeOver.countDown();
        return failure;
    }

    private TransportException failLocked(TransportException e) {
        lock.lock();
        try {
            return fail(e);
        } finally {
            lock.unlock();
        }
    }

    private TransportException failAndClose(TransportException e) {
        TransportException f = failLocked(e);
        closeStreams();
        return f;
    }

    private TransportException failureOrNull() {
        lock.lock();
        try {
            return failure;
        } finally {
            lock.unlock();
        }
    }

    /** Under lock: the reader has nothing more to do. */
    private boolean stopped() {
        return closed || failure != null || peerClosed;
    }

    private void closeStreams() {
        try {
            out.close();
        } catch (IOException | RuntimeException e) {
            // Closing is best effort; the other stream must still be closed.
        }
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            // As above.
        }
    }

    /** 32 bytes (RFC 9266 tls-exporter) that only this TLS session has: the end-to-end handshake binds to it. */
    public byte[] channelBinding() {
        return session.channelBinding.clone();
    }

    /** The identity the peer's certificate proved, with the peer holding its Ed25519 key. */
    public IdentityPublicKeys peerIdentity() {
        return session.peerIdentity;
    }

    /** In organisation mode, the peer's name from its member certificate; null otherwise. */
    public String peerMemberName() {
        return session.peerMemberName;
    }

    public String negotiatedVersion() {
        return session.version;
    }

    public String negotiatedCipherSuite() {
        return session.cipherSuite;
    }

    public String negotiatedGroup() {
        return session.group;
    }

    public SecurityLevel level() {
        return policy.level;
    }

    /** Received bytes as a stream: reads block without limit; -1 after the peer's close_notify. */
    public InputStream inputStream() {
        return inputStream;
    }

    /** {@link #send} as a stream; flush does nothing because every write is sent at once. */
    public OutputStream outputStream() {
        return outputStream;
    }

    @Override
    public String toString() {
        Session s = session;
        return "TlsChannel[" + role + ", " + policy.level
                + (s == null ? "" : ", peer " + s.peerIdentity.fingerprint().shortForm()) + "]";
    }

    private static IOException asIOException(TransportException e) {
        return e.reason() == IO_FAILED && Thread.currentThread().isInterrupted()
                ? (IOException) new InterruptedIOException(e.getMessage()).initCause(e)
                : new IOException(e.getMessage(), e);
    }

    /** What the shared stream adapter reads and writes: this channel, blocking without a timeout. */
    private final class OwnStreams implements ChannelStreams.Channel {
        @Override
        public int readBlocking(byte[] b, int off, int len) throws TransportException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            int n;
            do {
                n = receive(b, off, len, Long.MAX_VALUE);
            } while (n == 0);
            return n;
        }

        @Override
        public int available() {
            lock.lock();
            try {
                return closed ? 0 : protocol.getAvailableInputBytes();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws TransportException {
            send(b, off, len);
        }

        @Override
        public void close() {
            TlsChannel.this.close();
        }

        @Override
        public IOException asIOException(TransportException e) {
            return TlsChannel.asIOException(e);
        }
    }
}
