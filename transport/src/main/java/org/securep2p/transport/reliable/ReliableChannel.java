package org.securep2p.transport.reliable;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.securep2p.transport.TransportException;

import static org.securep2p.transport.TransportException.Reason.BUFFER_FULL;
import static org.securep2p.transport.TransportException.Reason.CLOSED;
import static org.securep2p.transport.TransportException.Reason.IO_FAILED;
import static org.securep2p.transport.TransportException.Reason.PEER_CLOSED;
import static org.securep2p.transport.TransportException.Reason.PEER_TIMEOUT;

/**
 * An ordered, reliable byte stream in each direction over one {@link DatagramLink} (docs/PROTOCOL.md section
 * 13). Guarantees: the reader gets exactly the bytes the peer wrote, in order, or a {@link TransportException}
 * saying why not; a graceful close by the peer shows as end of stream (-1) after the last byte; a peer that
 * stops answering is detected within the dead-peer timeout ({@code PEER_TIMEOUT}); memory stays within the
 * configured buffers; malformed, foreign or contradictory datagrams are dropped and counted, never fatal.
 * Once {@link #installKeys} has been called (by TLS, the moment its handshake completes) every datagram we
 * send carries a tag, and a datagram whose tag fails, or an untagged one once the peer has shown it tags, is
 * dropped and counted without acting on any of it: after the handshake only the user, an authenticated
 * CLOSE, TLS above or the dead-peer timer can end the channel (docs/PROTOCOL.md 13.9).
 *
 * <p>Not its job: confidentiality (TLS 1.3 runs on top), choosing the path or filtering source addresses
 * (the link delivers only the ICE-selected peer's datagrams), or message framing.
 *
 * <p>Threads: one daemon I/O thread per channel receives, runs the timers and acknowledges; writers send
 * their data themselves, at once (no Nagle), so a small message costs no thread hand-off. All state is
 * guarded by one lock. The channel owns the link and closes it when it stops.
 */
public final class ReliableChannel implements Closeable {

    /** Datagrams read in one go before the I/O thread acknowledges them together. */
    private static final int RECEIVE_BATCH = 64;

    /** How long {@link #close()} waits for the I/O thread to finish after the channel stopped. */
    private static final long JOIN_MILLIS = 2_000;

    private static final AtomicInteger THREADS = new AtomicInteger();

    private enum State { OPEN, CLOSING, DONE }

    private final DatagramLink link;
    private final ReliableConfig config;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final Condition writable = lock.newCondition();
    private final ReliableSender sender;
    private final ReliableReceiver receiver;
    private final ReliableWire.Packet packet = new ReliableWire.Packet();
    private final byte[] tx = new byte[DatagramLink.MAX_DATAGRAM];
    private final Thread ioThread;
    private final InputStream in = ChannelStreams.input(new Streams());
    private final OutputStream out = ChannelStreams.output(new Streams());
    private final long keepaliveNanos;
    private final long deadPeerNanos;

    private State state = State.OPEN;
    private boolean closedLocally;
    private TransportException failure;
    private long lastReceived;
    private long lastSent;
    private long lastPing;
    private boolean keepaliveWanted;
    /** Set under lock when bytes became readable or the channel stopped; the I/O thread then calls the listener. */
    private boolean readerNotice;
    private volatile Runnable readListener;
    /** Our packet keys, from {@link #installKeys}; null while the handshake runs (nothing is tagged yet). */
    private ReliableAuth auth;
    /**
     * A packet with a valid tag has arrived: the peer has its keys, so nothing untagged can be from it any more.
     * Never set by a tagged packet that arrived before our keys (it could not be checked).
     */
    private boolean peerTags;

    private long packetsSent;
    private long packetsReceived;
    private long droppedMalformed;
    private long droppedForeign;
    private long droppedInvalid;
    private long droppedUnauthenticated;
    private long ignoredAcks;
    private long duplicatePackets;
    private long keepalivesSent;

    private ReliableChannel(DatagramLink link, ReliableConfig config) {
        this.link = Objects.requireNonNull(link, "link");
        this.config = Objects.requireNonNull(config, "config");
        ReliableRto rto = new ReliableRto(config.initialRto().toNanos(), config.minRto().toNanos(),
                config.maxRto().toNanos());
        ReliableCongestion cc = new ReliableCongestion(config.initialWindowPackets(), 2L * config.sendBuffer());
        this.sender = new ReliableSender(config.sendBuffer(), rto, cc);
        this.receiver = new ReliableReceiver(config.receiveWindow(), config.ackDelay().toNanos());
        this.keepaliveNanos = config.keepalive().toNanos();
        this.deadPeerNanos = config.deadPeer().toNanos();
        long now = System.nanoTime();
        this.lastReceived = now;
        this.lastSent = now;
        this.lastPing = now;
        this.ioThread = new Thread(this::ioLoop, "securep2p-reliable-" + THREADS.incrementAndGet());
        this.ioThread.setDaemon(true);
    }

    /**
     * Starts a channel over {@code link}, which it now owns. There is no handshake: both sides start sending
     * at once and must be configured with the same connection id.
     */
    public static ReliableChannel open(DatagramLink link, ReliableConfig config) {
        ReliableChannel c = new ReliableChannel(link, config);
        c.ioThread.start();
        return c;
    }

    /**
     * Queues {@code len} bytes and sends what congestion and flow control allow at once. Blocks while the
     * send buffer is full; if no byte could be queued for the write timeout, throws {@code BUFFER_FULL} (bytes
     * queued before stay queued). Throws the channel's failure if it has failed, {@code CLOSED} after close.
     */
    public void write(byte[] b, int off, int len) throws TransportException {
        Objects.checkFromIndexSize(off, len, b.length);
        lock.lock();
        try {
            long deadline = 0;
            boolean waiting = false;
            while (true) {
                ensureWritable();
                int n = sender.accept(b, off, len);
                off += n;
                len -= n;
                long now = System.nanoTime();
                if (n > 0) {
                    flush(now);
                    waiting = false;
                }
                if (len == 0) {
                    return;
                }
                if (!waiting) {
                    waiting = true;
                    deadline = now + config.writeTimeout().toNanos();
                }
                long left = deadline - now;
                if (left <= 0) {
                    throw new TransportException(BUFFER_FULL, "reliable channel: send buffer of "
                            + config.sendBuffer() + " bytes still full after " + config.writeTimeout().toMillis()
                            + " ms; the peer is not reading");
                }
                writable.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException(IO_FAILED, "reliable channel: interrupted while writing", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reads up to {@code len} bytes, waiting up to {@code timeoutMillis} for the first. Returns how many were
     * read, 0 on timeout (or if {@code len} is 0), -1 at the end of the peer's stream. Bytes that arrived
     * before a failure are still delivered; then the failure is thrown.
     */
    public int read(byte[] b, int off, int len, long timeoutMillis) throws TransportException {
        return read(b, off, len, TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis)), false);
    }

    /**
     * Registers the consumer that the I/O thread calls (outside the lock, after each batch of datagrams) when
     * bytes became readable, the peer's stream ended or the channel stopped; it reads with a zero timeout.
     * It runs on the I/O thread, so it must never block: in particular it must not {@link #write}, which
     * can wait for acknowledgements only that thread processes. Lets TLS take its input without a thread of
     * its own (docs/PROTOCOL.md 13.8).
     */
    public void onReadable(Runnable listener) {
        this.readListener = Objects.requireNonNull(listener, "listener");
    }

    /** A blocking {@link InputStream} over {@link #read}; closing it closes the channel. */
    public InputStream inputStream() {
        return in;
    }

    /** A blocking {@link OutputStream} over {@link #write}; {@code flush()} is free (writes go out at once). */
    public OutputStream outputStream() {
        return out;
    }

    /**
     * Graceful close: ends our stream (FIN) after everything written, waits up to the close timeout until all
     * of it is acknowledged, acknowledges what the peer sent, tells the peer (GOODBYE) and releases the link.
     * If the peer does not acknowledge in time the channel is aborted and {@link #failure()} says
     * {@code PEER_TIMEOUT}. Bytes the peer sends after this are not read. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (state == State.OPEN) {
                state = State.CLOSING;
                sender.queueFin();
                long now = System.nanoTime();
                flush(now);
                long deadline = now + config.closeTimeout().toNanos();
                while (state == State.CLOSING && !sender.allAcked()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    writable.awaitNanos(left);
                }
                if (state == State.CLOSING) {
                    now = System.nanoTime();
                    if (sender.allAcked()) {
                        if (receiver.ackPending()) {
                            sendAck(now);
                        }
                        // Twice: nothing acknowledges it, and one lost datagram should not leave the peer to
                        // find out by its dead-peer timer.
                        sendClose(ReliableWire.CLOSE_GOODBYE, now);
                        sendClose(ReliableWire.CLOSE_GOODBYE, now);
                    } else {
                        sendClose(ReliableWire.CLOSE_ABORT, now);
                        record(new TransportException(PEER_TIMEOUT, "reliable channel: the peer did not acknowledge "
                                + sender.buffered() + " bytes and the end of stream within "
                                + config.closeTimeout().toMillis() + " ms of close"));
                    }
                    stop();
                }
            }
            closedLocally = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (state != State.DONE) {
                sendClose(ReliableWire.CLOSE_ABORT, System.nanoTime());
                record(new TransportException(CLOSED, "reliable channel: interrupted while closing"));
                stop();
            }
            closedLocally = true;
        } finally {
            lock.unlock();
        }
        join();
    }

    /** Stops at once: tells the peer (ABORT, best effort), fails pending and later calls with CLOSED. */
    public void abort(String why) {
        lock.lock();
        try {
            if (state != State.DONE) {
                sendClose(ReliableWire.CLOSE_ABORT, System.nanoTime());
                record(new TransportException(CLOSED, "reliable channel aborted: " + why));
                stop();
            }
            closedLocally = true;
        } finally {
            lock.unlock();
        }
        join();
    }

    /**
     * Installs the packet keys: from now on every datagram we send is tagged, an untagged CLOSE is never acted
     * on, and once a packet with a valid tag arrives every untagged one is dropped (PROTOCOL.md 13.9). Called
     * once, by TLS when its handshake completes; a second call is refused, since a peer tagging with the first
     * keys would fail every check.
     */
    public void installKeys(ReliableAuth keys) {
        Objects.requireNonNull(keys, "keys");
        lock.lock();
        try {
            if (auth != null) {
                throw new IllegalStateException("reliable channel: packet keys already installed");
            }
            auth = keys;
        } finally {
            lock.unlock();
        }
    }

    /** Why the channel stopped working, if it did other than by our own graceful close. */
    public Optional<TransportException> failure() {
        lock.lock();
        try {
            return Optional.ofNullable(failure);
        } finally {
            lock.unlock();
        }
    }

    public ReliableStats stats() {
        lock.lock();
        try {
            ReliableRto rto = sender.rtoEstimator();
            return new ReliableStats(packetsSent, packetsReceived, sender.retransmissions(),
                    sender.thresholdLosses(), sender.rtoExpirations(), droppedMalformed, droppedForeign,
                    droppedInvalid, duplicatePackets + receiver.duplicates(), keepalivesSent,
                    rto.srtt() < 0 ? -1 : rto.srtt() / 1_000, rto.rto() / 1_000_000,
                    sender.congestion().window(), sender.bytesInFlight(), sender.buffered(),
                    droppedUnauthenticated, ignoredAcks, auth != null, peerTags);
        } finally {
            lock.unlock();
        }
    }

    /** The link's path kind ("direct", "relayed", ...). */
    String pathKind() {
        return link.pathKind();
    }

    /** Whether the I/O thread has finished (for tests checking that nothing leaks). */
    boolean ioThreadFinished() {
        return !ioThread.isAlive();
    }

    // ---------------------------------------------------------------------------------------------------

    private int read(byte[] b, int off, int len, long timeoutNanos, boolean forever) throws TransportException {
        Objects.checkFromIndexSize(off, len, b.length);
        lock.lock();
        try {
            long deadline = System.nanoTime() + timeoutNanos;
            while (true) {
                if (closedLocally) {
                    throw new TransportException(CLOSED, "reliable channel: read after close");
                }
                if (len == 0) {
                    return 0;
                }
                int n = receiver.read(b, off, len);
                if (n > 0) {
                    if (state != State.DONE) {
                        long now = System.nanoTime();
                        if (receiver.ackDue(now)) {
                            flush(now);
                        }
                    }
                    return n;
                }
                if (receiver.atEnd()) {
                    return -1;
                }
                if (state == State.DONE) {
                    throw failure != null ? failure : new TransportException(CLOSED, "reliable channel closed");
                }
                long left = forever ? Long.MAX_VALUE : deadline - System.nanoTime();
                if (left <= 0) {
                    return 0;
                }
                readable.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException(IO_FAILED, "reliable channel: interrupted while reading", e);
        } finally {
            lock.unlock();
        }
    }

    private void ensureWritable() throws TransportException {
        if (state == State.DONE && failure != null && !closedLocally) {
            throw failure;
        }
        if (state != State.OPEN) {
            throw new TransportException(CLOSED, "reliable channel: write after close");
        }
    }

    private void ioLoop() {
        // One byte spare per buffer, so that a link can tell an oversized datagram from a full one.
        byte[][] rx = new byte[RECEIVE_BATCH][DatagramLink.MAX_DATAGRAM + 1];
        int[] lengths = new int[RECEIVE_BATCH];
        try {
            while (true) {
                int wait;
                lock.lock();
                try {
                    if (state == State.DONE) {
                        return;
                    }
                    wait = waitMillis(System.nanoTime());
                } finally {
                    lock.unlock();
                }
                // Receive a batch outside the lock, then handle it under one acquisition: writers and
                // readers contend with the I/O thread once per batch, not once per datagram.
                int count = 0;
                int n = link.receive(rx[0], wait);
                while (n >= 0) {
                    lengths[count++] = n;
                    n = count < RECEIVE_BATCH ? link.receive(rx[count], 0) : -1;
                }
                boolean notice;
                lock.lock();
                try {
                    if (state == State.DONE) {
                        return;
                    }
                    long now = System.nanoTime();
                    for (int i = 0; i < count && state != State.DONE; i++) {
                        onDatagram(rx[i], lengths[i], now);
                    }
                    if (state != State.DONE) {
                        onTimers(now);
                    }
                    if (state != State.DONE) {
                        flush(now);
                    }
                    notice = readerNotice;
                    readerNotice = false;
                } finally {
                    lock.unlock();
                }
                if (notice) {
                    notifyReader();
                }
            }
        } catch (IOException | RuntimeException e) {
            lock.lock();
            try {
                if (state != State.DONE) {
                    record(new TransportException(IO_FAILED, "reliable channel: the datagram link failed: "
                            + e.getClass().getSimpleName(), e));
                    stop();
                }
            } finally {
                lock.unlock();
            }
        } finally {
            link.close();
            // The consumer learns that the channel stopped (its reads now end or fail).
            notifyReader();
        }
    }

    private void notifyReader() {
        Runnable listener = readListener;
        if (listener != null) {
            listener.run();
        }
    }

    /** How long the I/O thread may wait for a datagram: until the next timer, at most the poll interval. */
    private int waitMillis(long now) {
        long deadline = Math.min(sender.nextDeadline(), receiver.nextDeadline());
        deadline = earlier(deadline, lastReceived + deadPeerNanos);
        if (!sender.elicitingInFlight()) {
            deadline = earlier(deadline, Math.min(lastSent, Math.max(lastReceived, lastPing)) + keepaliveNanos);
        }
        long poll = config.poll().toMillis();
        if (deadline == Long.MAX_VALUE) {
            return (int) poll;
        }
        long millis = (deadline - now + 999_999) / 1_000_000;
        // At least 1 ms: a due timer is handled right after, and a zero wait must never become a busy loop.
        return (int) Math.max(1, Math.min(poll, millis));
    }

    private static long earlier(long a, long b) {
        return a == Long.MAX_VALUE || b - a < 0 ? b : a;
    }

    private void onDatagram(byte[] buf, int len, long now) {
        ReliableWire.Verdict v = ReliableWire.decode(buf, len, packet);
        if (v != ReliableWire.Verdict.OK) {
            droppedMalformed++;
            return;
        }
        if (packet.connectionId != config.connectionId()) {
            droppedForeign++;
            return;
        }
        if (!authentic(buf, len)) {
            droppedUnauthenticated++;
            return;
        }
        int check = receiver.check(packet);
        if (check == ReliableReceiver.INVALID) {
            droppedInvalid++;
            return;
        }
        if (packet.type == ReliableWire.TYPE_CLOSE) {
            packetsReceived++;
            onPeerClose(packet.closeCode);
            return;
        }
        lastReceived = now;
        if (receiver.seen(packet.number)) {
            duplicatePackets++;
            receiver.onDuplicate();
            return;
        }
        if (check == ReliableReceiver.NO_ROOM) {
            droppedInvalid++;
            return;
        }
        packetsReceived++;
        if (!sender.ackPlausible(packet)) {
            // It names a packet we never sent: the block is wrong, not necessarily the stream bytes beside it.
            ignoredAcks++;
        } else if (sender.onAck(packet, now)) {
            writable.signalAll();
        }
        if (receiver.apply(packet, buf, now)) {
            readable.signalAll();
            readerNotice = true;
        }
    }

    /**
     * The switch-over (PROTOCOL.md 13.9). Before our keys nothing can be checked: a tag is set aside unread
     * and the packet is as unauthenticated as the handshake it belongs to. With keys, a tag must verify, and
     * an untagged packet is accepted only while the peer may still lack its keys, and never as a CLOSE.
     */
    private boolean authentic(byte[] buf, int len) {
        if (auth == null) {
            return true;
        }
        if (packet.tagged) {
            if (!auth.verify(buf, len)) {
                return false;
            }
            peerTags = true;
            return true;
        }
        return !peerTags && packet.type != ReliableWire.TYPE_CLOSE;
    }

    private void onPeerClose(int code) {
        if (code == ReliableWire.CLOSE_GOODBYE) {
            if (state == State.CLOSING && sender.allAcked()) {
                return; // our close() completes on its own
            }
            record(new TransportException(PEER_CLOSED, "reliable channel: the peer closed the channel"
                    + (receiver.complete() ? "" : " before its stream ended")));
        } else {
            record(new TransportException(PEER_CLOSED, "reliable channel: the peer aborted the channel"));
        }
        stop();
    }

    private void onTimers(long now) {
        if (now - lastReceived >= deadPeerNanos) {
            sendClose(ReliableWire.CLOSE_ABORT, now);
            record(new TransportException(PEER_TIMEOUT, "reliable channel: nothing received from the peer for "
                    + config.deadPeer().toMillis() + " ms (" + sender.bytesInFlight() + " bytes in flight, RTO "
                    + sender.rtoEstimator().rto() / 1_000_000 + " ms after " + sender.rtoExpirations()
                    + " expirations)"));
            stop();
            return;
        }
        sender.onTimer(now);
        if (!sender.elicitingInFlight()
                && (now - lastSent >= keepaliveNanos
                    || (now - lastReceived >= keepaliveNanos && now - lastPing >= keepaliveNanos))) {
            keepaliveWanted = true;
        }
    }

    /** Sends what is due: an urgent multi-range ACK, data, a PING, a plain ACK. Caller holds the lock. */
    private void flush(long now) {
        if (state == State.DONE) {
            return;
        }
        if (receiver.ackDue(now) && receiver.packetRanges() > 1) {
            // Data packets carry few ranges; the sender's loss detection needs them all now.
            sendAck(now);
        }
        int len;
        while ((len = sender.prepare()) >= 0) {
            long pn = sender.takePacketNumber();
            int pos = ReliableWire.writeHeader(tx, ReliableWire.TYPE_DATA, config.connectionId(), pn);
            pos = receiver.writeAck(tx, pos, ReliableWire.rangesFitting(len));
            pos = sender.writeChosen(tx, pos, pn, now);
            send(pos, now);
        }
        boolean probe = sender.takeProbe();
        if ((keepaliveWanted || probe) && sender.canTrack()) {
            if (keepaliveWanted) {
                keepalivesSent++;
            }
            keepaliveWanted = false;
            long pn = sender.takePacketNumber();
            int pos = ReliableWire.writeHeader(tx, ReliableWire.TYPE_PING, config.connectionId(), pn);
            pos = receiver.writeAck(tx, pos, ReliableWire.MAX_ACK_RANGES);
            sender.trackPing(pn, pos, now);
            lastPing = now;
            send(pos, now);
        }
        if (receiver.ackDue(now)) {
            sendAck(now);
        }
        sender.armProbeIfBlocked(now);
    }

    private void sendAck(long now) {
        long pn = sender.takePacketNumber();
        int pos = ReliableWire.writeHeader(tx, ReliableWire.TYPE_ACK, config.connectionId(), pn);
        pos = receiver.writeAck(tx, pos, ReliableWire.MAX_ACK_RANGES);
        send(pos, now);
    }

    private void sendClose(int code, long now) {
        int pos = ReliableWire.writeClose(tx, config.connectionId(), sender.takePacketNumber(), code);
        send(pos, now);
    }

    private void send(int len, long now) {
        if (auth != null) {
            ReliableWire.markTagged(tx);
            len = auth.tag(tx, len);
        }
        try {
            link.send(tx, 0, len);
            packetsSent++;
            lastSent = now;
        } catch (IOException e) {
            // A refused or dropped send is a lost datagram: retransmission and the dead-peer timer handle it.
        }
    }

    /** Keeps the first failure: it is the cause, later ones are consequences. */
    private void record(TransportException e) {
        if (failure == null) {
            failure = e;
        }
    }

    private void stop() {
        state = State.DONE;
        readerNotice = true;
        readable.signalAll();
        writable.signalAll();
    }

    private void join() {
        if (Thread.currentThread() == ioThread) {
            return;
        }
        try {
            ioThread.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What the shared stream adapter reads and writes: this channel, blocking without a timeout. */
    private final class Streams implements ChannelStreams.Channel {
        @Override
        public int readBlocking(byte[] b, int off, int len) throws TransportException {
            return read(b, off, len, 0, true);
        }

        @Override
        public int available() {
            lock.lock();
            try {
                return closedLocally ? 0 : receiver.available();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws TransportException {
            ReliableChannel.this.write(b, off, len);
        }

        @Override
        public void close() {
            ReliableChannel.this.close();
        }
    }
}
