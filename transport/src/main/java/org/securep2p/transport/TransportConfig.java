package org.securep2p.transport;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

import static org.securep2p.transport.TransportException.Reason.CONFIG_INVALID;

/**
 * Where to discover our public address, which relay to fall back on, and how long to wait. Immutable.
 *
 * <p>Sources, later ones winning: built-in defaults, a properties file, environment variables, then whatever
 * the caller sets on the {@link Builder} (command-line flags). The defaults name well-known public STUN
 * servers by host name for real users; tests always replace them with servers they started themselves.
 *
 * <p>The TURN password is a secret: it is never printed by {@link #toString()}.
 */
public final class TransportConfig {

    /** Public STUN servers, by name, used only when nothing else is configured. */
    public static final List<String> DEFAULT_STUN_SERVERS =
            List.of("stun.l.google.com:19302", "stun1.l.google.com:19302", "stun.cloudflare.com:3478");

    /** Environment variables read by {@link #load}; each takes a comma-separated list or one value. */
    public static final String ENV_STUN = "SECUREP2P_STUN_SERVERS";
    public static final String ENV_TURN = "SECUREP2P_TURN_SERVERS";
    public static final String ENV_TURN_USER = "SECUREP2P_TURN_USERNAME";
    public static final String ENV_TURN_PASSWORD = "SECUREP2P_TURN_PASSWORD";

    /**
     * The longest any {@code *.ms} setting may be: one day. Every wait is turned into a deadline of
     * {@code System.nanoTime() + Duration.toNanos()}; {@code toNanos()} throws {@link ArithmeticException} above
     * about 292 years, and the sum wraps around (a deadline in the past) well before that, so an oversized value
     * would fail later, inside a connection, instead of here with a sentence. No timer of ours needs more.
     */
    public static final long MAX_MILLIS = Duration.ofDays(1).toMillis();

    /**
     * Which of our own interface addresses we offer the peer as host candidates, and which of a pasted code's
     * candidates we probe.
     */
    public enum HostCandidates {
        /**
         * The default. Public addresses and those of private ranges (RFC 1918 10/8, 172.16/12, 192.168/16;
         * shared address space 100.64/10, RFC 6598; IPv6 unique local fc00::/7, RFC 4193), so that two peers on
         * one LAN or behind one NAT reach each other directly: a NAT that does not hairpin makes their
         * server-reflexive candidates useless to each other. A code then reveals the waiter's LAN address.
         * Loopback and link-local addresses are never offered. A code's candidates are probed as with
         * {@link #PUBLIC_ONLY}: a foreign LAN's private address costs a few STUN checks that lead nowhere.
         */
        LAN,
        /**
         * Only addresses that are not private, link-local or loopback: nothing about the local network leaves
         * this machine in a code (a peer behind the same NAT is then reached only through a relay or a NAT that
         * hairpins). A code's candidates at loopback, link-local, 0/8, multicast or this machine's own
         * addresses are not probed: a code cannot point us at ourselves or our link.
         */
        PUBLIC_ONLY,
        /**
         * Every interface address but loopback and link-local, and every candidate of a code is probed, this
         * machine's own addresses included: two homes on one machine.
         */
        ALL,
        /** Only 127.0.0.1 (tests and benchmarks on one machine); no STUN or TURN; only loopback is probed. */
        LOOPBACK_ONLY,
    }

    private final List<ServerAddress> stunServers;
    private final List<ServerAddress> turnServers;
    private final String turnUsername;
    private final String turnPassword;
    private final HostCandidates hostCandidates;
    private final boolean ipv6;
    private final Duration stunTimeout;
    private final Duration connectTimeout;
    private final Duration keepaliveInterval;
    private final Duration deadPeerTimeout;
    private final Duration setupTimeout;

    private TransportConfig(Builder b) {
        this.stunServers = List.copyOf(b.stunServers);
        this.turnServers = List.copyOf(b.turnServers);
        this.turnUsername = b.turnUsername;
        this.turnPassword = b.turnPassword;
        this.hostCandidates = b.hostCandidates;
        this.ipv6 = b.ipv6;
        this.stunTimeout = b.stunTimeout;
        this.connectTimeout = b.connectTimeout;
        this.keepaliveInterval = b.keepaliveInterval;
        this.deadPeerTimeout = b.deadPeerTimeout;
        this.setupTimeout = b.setupTimeout;
    }

    /** A builder holding the built-in defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Defaults, then {@code file} if given (a properties file: {@code stun.servers}, {@code turn.servers},
     * {@code turn.username}, {@code turn.password}, {@code host.candidates}, {@code ipv6},
     * {@code stun.timeout.ms}, {@code connect.timeout.ms}), then the {@code SECUREP2P_*} variables in
     * {@code env}. The result can still be changed before {@link Builder#build()}.
     */
    public static Builder load(Optional<Path> file, Map<String, String> env) throws TransportException {
        Builder b = builder();
        if (file.isPresent()) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file.get(), StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | IllegalArgumentException e) {
                throw new TransportException(CONFIG_INVALID, "cannot read transport settings " + file.get(), e);
            }
            for (String key : p.stringPropertyNames()) {
                b.set(key, p.getProperty(key), "in " + file.get());
            }
        }
        b.setIfPresent("stun.servers", env.get(ENV_STUN), ENV_STUN);
        b.setIfPresent("turn.servers", env.get(ENV_TURN), ENV_TURN);
        b.setIfPresent("turn.username", env.get(ENV_TURN_USER), ENV_TURN_USER);
        b.setIfPresent("turn.password", env.get(ENV_TURN_PASSWORD), ENV_TURN_PASSWORD);
        return b;
    }

    public List<ServerAddress> stunServers() {
        return stunServers;
    }

    public List<ServerAddress> turnServers() {
        return turnServers;
    }

    /** TURN long-term credentials, when a TURN server is configured. */
    public Optional<String[]> turnCredentials() {
        return turnUsername == null ? Optional.empty() : Optional.of(new String[] {turnUsername, turnPassword});
    }

    public boolean hasTurnCredentials() {
        return turnUsername != null;
    }

    public HostCandidates hostCandidates() {
        return hostCandidates;
    }

    public boolean ipv6() {
        return ipv6;
    }

    public Duration stunTimeout() {
        return stunTimeout;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration keepaliveInterval() {
        return keepaliveInterval;
    }

    public Duration deadPeerTimeout() {
        return deadPeerTimeout;
    }

    /**
     * How long the chat set-up over a secure channel (HELLO, handshake, CONFIRM) may take before the app drops
     * the peer ({@code setup.timeout.ms}); read here because this is where securep2p.conf is parsed.
     */
    public Duration setupTimeout() {
        return setupTimeout;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.stunServers = new ArrayList<>(stunServers);
        b.turnServers = new ArrayList<>(turnServers);
        b.turnUsername = turnUsername;
        b.turnPassword = turnPassword;
        b.hostCandidates = hostCandidates;
        b.ipv6 = ipv6;
        b.stunTimeout = stunTimeout;
        b.connectTimeout = connectTimeout;
        b.keepaliveInterval = keepaliveInterval;
        b.deadPeerTimeout = deadPeerTimeout;
        b.setupTimeout = setupTimeout;
        return b;
    }

    @Override
    public String toString() {
        return "TransportConfig[stun=" + stunServers + ", turn=" + turnServers
                + (turnUsername != null ? " (user " + turnUsername + ", password set)" : "")
                + ", hostCandidates=" + hostCandidates + ", ipv6=" + ipv6 + "]";
    }

    /** Mutable, single-threaded; {@link #build()} checks the whole. */
    public static final class Builder {
        private List<ServerAddress> stunServers = new ArrayList<>();
        private List<ServerAddress> turnServers = new ArrayList<>();
        private String turnUsername;
        private String turnPassword;
        private HostCandidates hostCandidates = HostCandidates.LAN;
        private boolean ipv6 = true;
        private Duration stunTimeout = Duration.ofSeconds(5);
        private Duration connectTimeout = Duration.ofSeconds(30);
        private Duration keepaliveInterval = Duration.ofSeconds(15);
        private Duration deadPeerTimeout = Duration.ofSeconds(45);
        private Duration setupTimeout = Duration.ofSeconds(20);
        private boolean stunSet;

        private Builder() {
        }

        public Builder stunServers(List<ServerAddress> servers) {
            this.stunServers = new ArrayList<>(servers);
            this.stunSet = true;
            return this;
        }

        public Builder turnServers(List<ServerAddress> servers) {
            this.turnServers = new ArrayList<>(servers);
            return this;
        }

        public Builder turnCredentials(String username, String password) {
            this.turnUsername = Objects.requireNonNull(username, "username");
            this.turnPassword = Objects.requireNonNull(password, "password");
            return this;
        }

        public Builder hostCandidates(HostCandidates which) {
            this.hostCandidates = Objects.requireNonNull(which, "which");
            return this;
        }

        public Builder ipv6(boolean enabled) {
            this.ipv6 = enabled;
            return this;
        }

        public Builder stunTimeout(Duration d) {
            this.stunTimeout = positive(d, "STUN timeout");
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d, "connect timeout");
            return this;
        }

        /** Keepalive and dead-peer timers of the reliable channel (tests shorten them). */
        public Builder peerTimers(Duration keepalive, Duration deadPeer) {
            this.keepaliveInterval = positive(keepalive, "keepalive interval");
            this.deadPeerTimeout = positive(deadPeer, "dead-peer timeout");
            return this;
        }

        /** The app's chat set-up deadline (tests shorten it). */
        public Builder setupTimeout(Duration d) {
            this.setupTimeout = positive(d, "set-up timeout");
            return this;
        }

        private static Duration positive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive");
            }
            return d;
        }

        private void setIfPresent(String key, String value, String source) throws TransportException {
            if (value != null && !value.isBlank()) {
                set(key, value, "in " + source);
            }
        }

        private void set(String key, String value, String where) throws TransportException {
            String v = value.trim();
            switch (key) {
                case "stun.servers" -> stunServers(servers(v));
                case "turn.servers" -> turnServers(servers(v));
                case "turn.username" -> turnUsername = v;
                case "turn.password" -> turnPassword = v;
                case "host.candidates" -> {
                    try {
                        hostCandidates = HostCandidates.valueOf(v.toUpperCase(java.util.Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        throw new TransportException(CONFIG_INVALID, "host.candidates " + where
                                + " must be LAN, PUBLIC_ONLY, ALL or LOOPBACK_ONLY");
                    }
                }
                case "ipv6" -> ipv6 = Boolean.parseBoolean(v);
                case "stun.timeout.ms" -> stunTimeout = Duration.ofMillis(millis(v, key, where));
                case "connect.timeout.ms" -> connectTimeout = Duration.ofMillis(millis(v, key, where));
                case "keepalive.interval.ms" -> keepaliveInterval = Duration.ofMillis(millis(v, key, where));
                case "dead.peer.timeout.ms" -> deadPeerTimeout = Duration.ofMillis(millis(v, key, where));
                case "setup.timeout.ms" -> setupTimeout = Duration.ofMillis(millis(v, key, where));
                case "relay.servers", "relay.password_file", "files.max_mb", "files.auto_accept_mb" -> {
                    // The app's relays (PROTOCOL.md §22) and file limits (§24), read from the same file by the
                    // app itself.
                }
                default -> throw new TransportException(CONFIG_INVALID, "unknown setting '" + key + "' " + where);
            }
        }

        private static long millis(String v, String key, String where) throws TransportException {
            long ms;
            try {
                ms = Long.parseLong(v);
            } catch (NumberFormatException e) {
                // Too many digits for a long is also "too large", not "not a number".
                ms = v.matches("[0-9]{19,}") ? Long.MAX_VALUE : 0;
            }
            if (ms <= 0) {
                throw new TransportException(CONFIG_INVALID, key + " " + where + " must be a positive number");
            }
            checkMaximum(key, ms, where);
            return ms;
        }

        private static void checkMaximum(String key, long ms, String where) throws TransportException {
            if (ms > MAX_MILLIS) {
                throw new TransportException(CONFIG_INVALID, key + (where.isEmpty() ? "" : " " + where) + " is " + ms
                        + ", more than the maximum of " + MAX_MILLIS + " (one day)");
            }
        }

        /** {@code d} in milliseconds, saturating, so a huge Duration is reported rather than overflowing. */
        private static long saturatedMillis(Duration d) {
            try {
                return d.toMillis();
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }

        private static List<ServerAddress> servers(String list) throws TransportException {
            List<ServerAddress> out = new ArrayList<>();
            for (String part : list.split("[,\\s]+", -1)) {
                if (!part.isEmpty()) {
                    out.add(ServerAddress.parse(part));
                }
            }
            return out;
        }

        public TransportConfig build() throws TransportException {
            if (!stunSet && stunServers.isEmpty()) {
                for (String s : DEFAULT_STUN_SERVERS) {
                    stunServers.add(ServerAddress.parse(s));
                }
            }
            if (!turnServers.isEmpty() && (turnUsername == null || turnPassword == null)) {
                throw new TransportException(CONFIG_INVALID,
                        "a TURN server is configured without a username and password");
            }
            // Values set through the builder (command-line flags) meet the same bound as the file's.
            checkMaximum("stun.timeout.ms", saturatedMillis(stunTimeout), "");
            checkMaximum("connect.timeout.ms", saturatedMillis(connectTimeout), "");
            checkMaximum("keepalive.interval.ms", saturatedMillis(keepaliveInterval), "");
            checkMaximum("dead.peer.timeout.ms", saturatedMillis(deadPeerTimeout), "");
            // Two keepalives may be lost before the peer is declared dead (ReliableConfig checks the same).
            if (keepaliveInterval.multipliedBy(2).compareTo(deadPeerTimeout) > 0) {
                throw new TransportException(CONFIG_INVALID, "dead.peer.timeout.ms (" + deadPeerTimeout.toMillis()
                        + ") must be at least twice keepalive.interval.ms (" + keepaliveInterval.toMillis() + ")");
            }
            return new TransportConfig(this);
        }
    }
}
