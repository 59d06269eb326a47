package org.securep2p.transport.reliable;

import java.time.Duration;
import java.util.Objects;

import org.securep2p.transport.TransportException;

import static org.securep2p.transport.TransportException.Reason.CONFIG_INVALID;

/**
 * The settings of one {@link ReliableChannel}: buffer sizes and timers. Immutable and checked when built, so a
 * channel never starts with timers that contradict each other (a keepalive slower than the dead-peer timeout
 * would declare every idle peer dead). Defaults are chosen for an interactive messenger over the internet;
 * tests shrink the timers so that losses and timeouts play out in milliseconds.
 *
 * <p>Not its job: anything on the wire except the connection id, which both sides must be given equal.
 */
public final class ReliableConfig {

    /**
     * The smallest receive window a peer may configure, and so the data a sender may have outstanding before
     * it has heard the peer's first acknowledgement (which carries the real window). Both sides rely on it
     * without negotiation; 64 KiB lets the first TLS flights go out at once.
     */
    static final int MIN_RECEIVE_WINDOW = 64 * 1024;

    /**
     * Upper bound for either buffer: memory per connection stays below 2 × 64 MiB even when configured, and
     * offsets in the rings stay far from int overflow.
     */
    static final int MAX_BUFFER = 64 * 1024 * 1024;

    /**
     * Default send buffer and receive window: 4 MiB covers a 100 Mbit/s × 300 ms bandwidth-delay product, and
     * on loopback lets bulk transfers run without ever stopping for the window.
     */
    static final int DEFAULT_BUFFER = 4 * 1024 * 1024;

    /**
     * Initial congestion window in packets. RFC 6928 and RFC 9002 use 10 for shared internet bottlenecks;
     * we take 32 (about 37 KB) so that two full TLS records leave in the first round trip: a messenger's
     * bursts are small, and one connection per peer pair cannot flood a path for long before losses halve it.
     */
    static final int DEFAULT_INITIAL_WINDOW_PACKETS = 32;

    private final int connectionId;
    private final int sendBuffer;
    private final int receiveWindow;
    private final int initialWindowPackets;
    private final Duration initialRto;
    private final Duration minRto;
    private final Duration maxRto;
    private final Duration ackDelay;
    private final Duration keepalive;
    private final Duration deadPeer;
    private final Duration writeTimeout;
    private final Duration closeTimeout;
    private final Duration poll;

    private ReliableConfig(Builder b) {
        this.connectionId = b.connectionId;
        this.sendBuffer = b.sendBuffer;
        this.receiveWindow = b.receiveWindow;
        this.initialWindowPackets = b.initialWindowPackets;
        this.initialRto = b.initialRto;
        this.minRto = b.minRto;
        this.maxRto = b.maxRto;
        this.ackDelay = b.ackDelay;
        this.keepalive = b.keepalive;
        this.deadPeer = b.deadPeer;
        this.writeTimeout = b.writeTimeout;
        this.closeTimeout = b.closeTimeout;
        this.poll = b.poll;
    }

    /** The defaults, documented in docs/PROTOCOL.md section 13.7. */
    public static ReliableConfig defaults() {
        try {
            return builder().build();
        } catch (TransportException e) {
            throw new AssertionError("the defaults are valid", e);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these settings. */
    Builder toBuilder() {
        Builder b = new Builder();
        b.connectionId = connectionId;
        b.sendBuffer = sendBuffer;
        b.receiveWindow = receiveWindow;
        b.initialWindowPackets = initialWindowPackets;
        b.initialRto = initialRto;
        b.minRto = minRto;
        b.maxRto = maxRto;
        b.ackDelay = ackDelay;
        b.keepalive = keepalive;
        b.deadPeer = deadPeer;
        b.writeTimeout = writeTimeout;
        b.closeTimeout = closeTimeout;
        b.poll = poll;
        return b;
    }

    /** Carried in every datagram; datagrams with another id are dropped (a stale or foreign channel). */
    int connectionId() {
        return connectionId;
    }

    /** Bytes written but not yet acknowledged, at most; a writer blocks beyond it. */
    int sendBuffer() {
        return sendBuffer;
    }

    /** Bytes the peer may send beyond what our reader has consumed; also the receive buffer's bound. */
    int receiveWindow() {
        return receiveWindow;
    }

    int initialWindowPackets() {
        return initialWindowPackets;
    }

    Duration initialRto() {
        return initialRto;
    }

    Duration minRto() {
        return minRto;
    }

    Duration maxRto() {
        return maxRto;
    }

    Duration ackDelay() {
        return ackDelay;
    }

    Duration keepalive() {
        return keepalive;
    }

    Duration deadPeer() {
        return deadPeer;
    }

    Duration writeTimeout() {
        return writeTimeout;
    }

    Duration closeTimeout() {
        return closeTimeout;
    }

    Duration poll() {
        return poll;
    }

    @Override
    public String toString() {
        return "ReliableConfig[sendBuffer=" + sendBuffer + ", receiveWindow=" + receiveWindow
                + ", initialWindowPackets=" + initialWindowPackets + ", rto=" + initialRto + "/" + minRto + ".."
                + maxRto + ", ackDelay=" + ackDelay + ", keepalive=" + keepalive + ", deadPeer=" + deadPeer
                + ", writeTimeout=" + writeTimeout + ", closeTimeout=" + closeTimeout + ", poll=" + poll + "]";
    }

    /** Collects settings; {@link #build()} checks them together. */
    public static final class Builder {
        private int connectionId = 0;
        private int sendBuffer = DEFAULT_BUFFER;
        private int receiveWindow = DEFAULT_BUFFER;
        private int initialWindowPackets = DEFAULT_INITIAL_WINDOW_PACKETS;
        // RFC 6298 (2.1): 1 s before the first RTT sample.
        private Duration initialRto = Duration.ofSeconds(1);
        // RFC 6298 asks for 1 s; like QUIC's probe timeout (RFC 9002) we need no such floor, because packet
        // numbers make a spurious timeout cheap. 10 ms only absorbs scheduler jitter (PROTOCOL.md 13.4).
        private Duration minRto = Duration.ofMillis(10);
        // RFC 6298 (2.5): a maximum, if any, must be at least 60 s.
        private Duration maxRto = Duration.ofSeconds(60);
        private Duration ackDelay = Duration.ofMillis(1);
        private Duration keepalive = Duration.ofSeconds(15);
        private Duration deadPeer = Duration.ofSeconds(45);
        private Duration writeTimeout = Duration.ofSeconds(30);
        private Duration closeTimeout = Duration.ofSeconds(10);
        private Duration poll = Duration.ofMillis(10);

        private Builder() {
        }

        public Builder connectionId(int id) {
            this.connectionId = id;
            return this;
        }

        Builder sendBuffer(int bytes) {
            this.sendBuffer = bytes;
            return this;
        }

        Builder receiveWindow(int bytes) {
            this.receiveWindow = bytes;
            return this;
        }

        Builder initialWindowPackets(int packets) {
            this.initialWindowPackets = packets;
            return this;
        }

        Builder initialRto(Duration d) {
            this.initialRto = Objects.requireNonNull(d);
            return this;
        }

        Builder minRto(Duration d) {
            this.minRto = Objects.requireNonNull(d);
            return this;
        }

        Builder maxRto(Duration d) {
            this.maxRto = Objects.requireNonNull(d);
            return this;
        }

        Builder ackDelay(Duration d) {
            this.ackDelay = Objects.requireNonNull(d);
            return this;
        }

        public Builder keepalive(Duration d) {
            this.keepalive = Objects.requireNonNull(d);
            return this;
        }

        public Builder deadPeer(Duration d) {
            this.deadPeer = Objects.requireNonNull(d);
            return this;
        }

        Builder writeTimeout(Duration d) {
            this.writeTimeout = Objects.requireNonNull(d);
            return this;
        }

        Builder closeTimeout(Duration d) {
            this.closeTimeout = Objects.requireNonNull(d);
            return this;
        }

        /** Longest the I/O thread sleeps in one receive, bounding how late a timer armed by a writer fires. */
        Builder poll(Duration d) {
            this.poll = Objects.requireNonNull(d);
            return this;
        }

        public ReliableConfig build() throws TransportException {
            check(sendBuffer >= ReliableWire.MAX_STREAM_PAYLOAD && sendBuffer <= MAX_BUFFER,
                    "send buffer " + sendBuffer + " outside [" + ReliableWire.MAX_STREAM_PAYLOAD + ", "
                            + MAX_BUFFER + "]");
            check(receiveWindow >= MIN_RECEIVE_WINDOW && receiveWindow <= MAX_BUFFER,
                    "receive window " + receiveWindow + " outside [" + MIN_RECEIVE_WINDOW + ", " + MAX_BUFFER
                            + "]");
            check(initialWindowPackets >= ReliableCongestion.MIN_WINDOW_PACKETS && initialWindowPackets <= 1024,
                    "initial window " + initialWindowPackets + " packets outside ["
                            + ReliableCongestion.MIN_WINDOW_PACKETS + ", 1024]");
            check(positive(minRto) && minRto.compareTo(initialRto) <= 0 && initialRto.compareTo(maxRto) <= 0,
                    "RTO bounds must satisfy 0 < min ≤ initial ≤ max");
            check(positive(ackDelay) && ackDelay.compareTo(minRto) < 0,
                    "ack delay must be positive and below the minimum RTO, or every delayed ack times out");
            check(positive(poll) && poll.toMillis() >= 1, "poll interval must be at least 1 ms");
            check(positive(keepalive) && keepalive.multipliedBy(2).compareTo(deadPeer) <= 0,
                    "the dead-peer timeout must be at least two keepalive intervals");
            check(positive(writeTimeout) && positive(closeTimeout), "timeouts must be positive");
            return new ReliableConfig(this);
        }

        private static boolean positive(Duration d) {
            return !d.isNegative() && !d.isZero();
        }

        private static void check(boolean ok, String detail) throws TransportException {
            if (!ok) {
                throw new TransportException(CONFIG_INVALID, "reliable channel: " + detail);
            }
        }
    }
}
