package org.securep2p.transport.ice;

import java.beans.PropertyChangeListener;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.Agent;
import org.ice4j.ice.CandidatePair;
import org.ice4j.ice.CandidateType;
import org.ice4j.ice.Component;
import org.ice4j.ice.IceMediaStream;
import org.ice4j.ice.HostCandidate;
import org.ice4j.ice.IceProcessingState;
import org.ice4j.ice.KeepAliveStrategy;
import org.ice4j.ice.LocalCandidate;
import org.ice4j.ice.NominationStrategy;
import org.ice4j.ice.RemoteCandidate;
import org.ice4j.ice.harvest.StunCandidateHarvester;
import org.ice4j.ice.harvest.TurnCandidateHarvester;
import org.ice4j.security.LongTermCredential;
import org.securep2p.transport.Candidate;
import org.securep2p.transport.IceCredentials;
import org.securep2p.transport.ServerAddress;
import org.securep2p.transport.TransportConfig;
import org.securep2p.transport.TransportException;
import org.securep2p.transport.reliable.DatagramLink;

import static org.securep2p.transport.TransportException.Reason.IO_FAILED;
import static org.securep2p.transport.TransportException.Reason.NO_ROUTE;
import static org.securep2p.transport.TransportException.Reason.PEER_TIMEOUT;
import static org.securep2p.transport.TransportException.Reason.RELAY_REFUSED;

/**
 * One ICE session through ice4j: gathers candidates (host, server-reflexive from the configured STUN servers,
 * relayed from the configured TURN server), runs the connectivity checks with the peer's candidates and hands
 * back the selected pair as a {@link DatagramLink}. The connector is the controlling agent.
 *
 * <p>Every ice4j type stays inside this class and {@link IceLink}. Not its job: authenticating the peer
 * (ICE credentials travel in the connection code and protect nothing; TLS pinned to the identity does).
 */
public final class IceSession implements AutoCloseable {

    private static final String STREAM = "securep2p";
    /** ICE type preferences, RFC 8445 section 5.1.2.2. */
    private static final int HOST_PREFERENCE = 126;
    private static final int SRFLX_PREFERENCE = 100;
    private static final int RELAY_PREFERENCE = 0;
    /** How long {@link #close()} waits for ice4j's free(), which can block when a relay candidate exists. */
    private static final long FREE_DEADLINE_MILLIS = 3_000;
    /** A connection code has room for this many candidates; the best ones are kept. */
    static final int MAX_ADVERTISED = 8;

    private static final AtomicInteger FREE_THREADS = new AtomicInteger();

    private final TransportConfig config;
    private final Agent agent;
    private final Component component;
    private final Set<InetAddress> turnServerAddresses = new HashSet<>();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile IceProcessingState finalState;
    private volatile boolean closed;

    private IceSession(TransportConfig config, boolean controlling, IceCredentials local) throws TransportException {
        IceSupport.init();
        this.config = config;
        this.agent = new CredentialedAgent(local);
        boolean ok = false;
        try {
            agent.setControlling(controlling);
            agent.setNominationStrategy(NominationStrategy.NOMINATE_FIRST_HOST_OR_REFLEXIVE_VALID);
            addHarvesters();
            IceMediaStream stream = agent.createMediaStream(STREAM);
            PropertyChangeListener listener = e -> {
                Object v = e.getNewValue();
                if (v == IceProcessingState.COMPLETED || v == IceProcessingState.TERMINATED
                        || v == IceProcessingState.FAILED) {
                    finalState = (IceProcessingState) v;
                    finished.countDown();
                }
            };
            agent.addStateChangeListener(listener);
            // Gathering happens here, synchronously; every STUN/TURN transaction is bounded by ice4j's harvest
            // timeout (application.conf) and its retransmission schedule.
            this.component = agent.createComponent(stream, 0, 0, 0, KeepAliveStrategy.SELECTED_ONLY, true);
            ok = true;
        } catch (IOException | RuntimeException e) {
            throw new TransportException(IO_FAILED, "cannot gather ICE candidates: " + e.getClass().getSimpleName(),
                    e);
        } finally {
            if (!ok) {
                freeInBackground(agent);
            }
        }
    }

    /** Creates the agent and gathers local candidates (takes up to the STUN/TURN timeouts). */
    public static IceSession gather(TransportConfig config, boolean controlling, IceCredentials local)
            throws TransportException {
        return new IceSession(Objects.requireNonNull(config, "config"), controlling,
                Objects.requireNonNull(local, "local"));
    }

    private void addHarvesters() throws TransportException {
        if (config.hostCandidates() == TransportConfig.HostCandidates.LOOPBACK_ONLY) {
            agent.setUseDynamicPorts(false);
            agent.addCandidateHarvester(new LoopbackHarvester(InetAddress.getLoopbackAddress()));
            return;
        }
        long deadline = System.nanoTime() + config.stunTimeout().toNanos();
        for (ServerAddress s : config.stunServers()) {
            try {
                InetAddress a = IceSupport.resolve(s.host(), deadline);
                agent.addCandidateHarvester(
                        new StunCandidateHarvester(new TransportAddress(a, s.port(), Transport.UDP)));
            } catch (TransportException e) {
                // An unresolvable STUN server only costs its candidate; discovery reports it by name.
            }
        }
        String[] credentials = config.turnCredentials().orElse(null);
        for (ServerAddress s : config.turnServers()) {
            InetAddress a;
            try {
                a = IceSupport.resolve(s.host(), deadline);
            } catch (TransportException e) {
                throw new TransportException(RELAY_REFUSED, "cannot resolve TURN server " + s.host());
            }
            turnServerAddresses.add(a);
            agent.addCandidateHarvester(new TurnCandidateHarvester(new TransportAddress(a, s.port(), Transport.UDP),
                    new LongTermCredential(credentials[0], credentials[1])));
        }
    }

    /** True if a TURN server is configured but gave us no relayed candidate (down, or refused our credentials). */
    public boolean relayMissing() {
        return !config.turnServers().isEmpty() && component.getLocalCandidates().stream()
                .noneMatch(c -> c.getType() == CandidateType.RELAYED_CANDIDATE);
    }

    /**
     * The candidates to put in a connection code, in this order: public host candidates, server-reflexive, host
     * candidates of private ranges (those {@link TransportConfig#hostCandidates()} allows), relayed.
     */
    public List<Candidate> advertisedCandidates() {
        List<Candidate> relayed = new ArrayList<>();
        List<Candidate> reflexive = new ArrayList<>();
        List<Candidate> host = new ArrayList<>();
        List<Candidate> privateHost = new ArrayList<>();
        for (LocalCandidate c : component.getLocalCandidates()) {
            if (c.getTransport() != Transport.UDP) {
                continue;
            }
            InetSocketAddress a = new InetSocketAddress(c.getTransportAddress().getAddress(),
                    c.getTransportAddress().getPort());
            if (a.getAddress() instanceof Inet6Address && !config.ipv6()) {
                continue;
            }
            switch (c.getType()) {
                case RELAYED_CANDIDATE -> relayed.add(Candidate.of(Candidate.Type.RELAYED, a));
                case SERVER_REFLEXIVE_CANDIDATE -> reflexive.add(Candidate.of(Candidate.Type.SERVER_REFLEXIVE, a));
                case HOST_CANDIDATE -> {
                    if (offered(a.getAddress(), config.hostCandidates())) {
                        (isGlobal(a.getAddress()) ? host : privateHost).add(Candidate.of(Candidate.Type.HOST, a));
                    }
                }
                default -> {
                    // no other kind of candidate is offered
                }
            }
        }
        // Direct paths first: when the code is full, the relay is what survives (it works everywhere), so
        // keep one relayed candidate and fill the rest by preference. Private host addresses after the
        // reflexive ones: they only help a peer on the same LAN, and a machine with many virtual interfaces
        // (containers, VPNs) must not crowd the public ones out.
        List<Candidate> out = new ArrayList<>();
        out.addAll(host);
        out.addAll(reflexive);
        out.addAll(privateHost);
        out.addAll(relayed);
        if (out.size() > MAX_ADVERTISED) {
            List<Candidate> kept = new ArrayList<>(out.subList(0, MAX_ADVERTISED - (relayed.isEmpty() ? 0 : 1)));
            if (!relayed.isEmpty() && !kept.contains(relayed.get(0))) {
                kept.add(relayed.get(0));
            }
            out = kept;
        }
        return out;
    }

    /**
     * Whether the waiter should ask for an answer code: true unless one of our own addresses is public (or we
     * run on loopback), since a NAT in front of us will most likely drop the connector's first packets.
     */
    public boolean answerLikelyNeeded() {
        if (config.hostCandidates() == TransportConfig.HostCandidates.LOOPBACK_ONLY) {
            return false;
        }
        return component.getLocalCandidates().stream()
                .noneMatch(c -> c.getType() == CandidateType.HOST_CANDIDATE && c.getTransport() == Transport.UDP
                        && isGlobal(c.getTransportAddress().getAddress()));
    }

    /**
     * The candidates of a pasted code that we may probe, by {@link TransportConfig#hostCandidates()}: see
     * {@link #probeable(List, TransportConfig.HostCandidates, Set)}. BAD_CODE if nothing is left.
     */
    public static List<Candidate> probeable(TransportConfig config, List<Candidate> candidates) throws TransportException {
        TransportConfig.HostCandidates mode = config.hostCandidates();
        return probeable(candidates, mode,
                mode == TransportConfig.HostCandidates.LAN || mode == TransportConfig.HostCandidates.PUBLIC_ONLY
                        ? ownAddresses() : Set.of());
    }

    /**
     * A code is text anyone can write, so by default it must not make us send checks to our own machine or
     * its link: with {@code LAN} (the default) and {@code PUBLIC_ONLY}, loopback, link-local (169.254/16, fe80::/10), 0/8 ("this network"),
     * multicast and unspecified addresses and any of {@code own} (this machine's interface addresses) are
     * dropped. {@code ALL} (same machine or LAN, the user's choice) probes every candidate; {@code LOOPBACK_ONLY}
     * (tests and benchmarks on one machine) only loopback ones. BAD_CODE if candidates were given and none is
     * left, saying why.
     */
    public static List<Candidate> probeable(List<Candidate> candidates, TransportConfig.HostCandidates mode,
            Set<InetAddress> own) throws TransportException {
        List<Candidate> out = new ArrayList<>();
        for (Candidate c : candidates) {
            InetAddress a = c.address().getAddress();
            boolean keep;
            switch (mode) {
                case LOOPBACK_ONLY:
                    keep = a.isLoopbackAddress();
                    break;
                case ALL:
                    keep = true;
                    break;
                case LAN:
                case PUBLIC_ONLY:
                default:
                    // Private addresses stay: a code from a peer on our LAN needs them, and one from a foreign
                    // LAN only costs a few checks (authenticated STUN requests) towards addresses of our own
                    // LAN's range that do not answer or do not know the ICE credentials.
                    keep = !refusedByDefault(a) && !own.contains(a);
                    break;
            }
            if (keep) {
                out.add(c);
            }
        }
        if (out.isEmpty() && !candidates.isEmpty()) {
            throw new TransportException(TransportException.Reason.BAD_CODE,
                    mode == TransportConfig.HostCandidates.LOOPBACK_ONLY
                    ? "the code has no loopback address, but this side runs in loopback-only mode"
                    : "the code only holds addresses a code may not make us probe (loopback, link-local, 0/8, "
                            + "multicast, or this machine's own); to connect two homes on one machine, set "
                            + "host.candidates=ALL");
        }
        return out;
    }

    /** Never a peer's address unless the user allowed local ones: this machine, its link, or no host at all. */
    static boolean refusedByDefault(InetAddress a) {
        return refusedKind(a).isPresent();
    }

    /** The classes of address {@link #refusedByDefault} refuses. */
    public enum RefusedKind { LOOPBACK, LINK_LOCAL, MULTICAST, UNSPECIFIED, THIS_NETWORK }

    /**
     * Which refused class {@code a} is in, or empty if it is not refused by default. EndpointDiscovery uses it to
     * accept a STUN server's alternate address of the server's own class (a test server on loopback).
     */
    public static java.util.Optional<RefusedKind> refusedKind(InetAddress a) {
        RefusedKind kind = null;
        if (a.isLoopbackAddress()) {
            kind = RefusedKind.LOOPBACK;
        } else if (a.isLinkLocalAddress()) {
            kind = RefusedKind.LINK_LOCAL;
        } else if (a.isMulticastAddress()) {
            kind = RefusedKind.MULTICAST;
        } else if (a.isAnyLocalAddress()) {
            kind = RefusedKind.UNSPECIFIED;
        } else if (a instanceof Inet4Address && a.getAddress()[0] == 0) {
            kind = RefusedKind.THIS_NETWORK;
        }
        return java.util.Optional.ofNullable(kind);
    }

    /**
     * Every address of every interface of this machine, up or down, without IPv6 scope (InetAddress equality
     * then compares the bytes alone). IO_FAILED if the list cannot be read: refusing is safer than probing
     * blind.
     */
    public static Set<InetAddress> ownAddresses() throws TransportException {
        Set<InetAddress> out = new HashSet<>();
        try {
            Enumeration<NetworkInterface> interfaces = NetworkInterface.getNetworkInterfaces();
            while (interfaces != null && interfaces.hasMoreElements()) {
                Enumeration<InetAddress> addresses = interfaces.nextElement().getInetAddresses();
                while (addresses.hasMoreElements()) {
                    out.add(InetAddress.getByAddress(addresses.nextElement().getAddress()));
                }
            }
        } catch (IOException e) {
            throw new TransportException(IO_FAILED, "cannot list this machine's addresses to check a code's "
                    + "candidates: " + e.getMessage(), e);
        }
        return out;
    }

    /** Whether our own interface address {@code a} goes into a code as a host candidate in {@code mode}. */
    static boolean offered(InetAddress a, TransportConfig.HostCandidates mode) {
        switch (mode) {
            case LOOPBACK_ONLY:
                return a.isLoopbackAddress();
            case ALL:
                return !a.isLoopbackAddress() && !a.isLinkLocalAddress();
            case LAN:
                return isGlobal(a) || isPrivate(a);
            case PUBLIC_ONLY:
            default:
                return isGlobal(a);
        }
    }

    /**
     * A private-range address: RFC 1918 (10/8, 172.16/12, 192.168/16), shared address space 100.64/10
     * (RFC 6598: carrier-grade NAT, and overlay networks such as Tailscale's) or IPv6 unique local fc00::/7
     * (RFC 4193). Reachable only within one site, so worth offering to a peer that may share it.
     */
    static boolean isPrivate(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first == 10 || (first == 172 && second >= 16 && second < 32) || (first == 192 && second == 168)
                    || (first == 100 && second >= 64 && second < 128);
        }
        return (b[0] & 0xfe) == 0xfc;
    }

    /** Not loopback, link-local, private (RFC 1918, ULA fc00::/7), carrier-grade NAT (100.64/10) or any-local. */
    static boolean isGlobal(InetAddress a) {
        if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return false;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return !(first == 100 && second >= 64 && second < 128) && first != 0;
        }
        return (b[0] & 0xfe) != 0xfc;
    }

    /**
     * Sets the peer's credentials and candidates (possibly none: the waiter of a one-code connection learns the
     * connector's address from its checks) and starts the connectivity checks.
     */
    public void start(IceCredentials remote, List<Candidate> remoteCandidates) {
        IceMediaStream stream = agent.getStream(STREAM);
        stream.setRemoteUfrag(remote.ufrag());
        stream.setRemotePassword(remote.password());
        for (RemoteCandidate rc : toRemote(remoteCandidates)) {
            component.addRemoteCandidate(rc);
        }
        agent.startConnectivityEstablishment();
    }

    /** Adds candidates that arrived after the checks started (the connector's answer code). */
    public void addRemoteCandidates(List<Candidate> candidates) {
        for (RemoteCandidate rc : toRemote(candidates)) {
            component.addUpdateRemoteCandidates(rc);
        }
        component.updateRemoteCandidates();
    }

    private List<RemoteCandidate> toRemote(List<Candidate> candidates) {
        List<RemoteCandidate> out = new ArrayList<>();
        int index = 0;
        for (Candidate c : candidates) {
            CandidateType type;
            int preference;
            switch (c.type()) {
                case HOST:
                    type = CandidateType.HOST_CANDIDATE;
                    preference = HOST_PREFERENCE;
                    break;
                case SERVER_REFLEXIVE:
                    type = CandidateType.SERVER_REFLEXIVE_CANDIDATE;
                    preference = SRFLX_PREFERENCE;
                    break;
                case RELAYED:
                default:
                    type = CandidateType.RELAYED_CANDIDATE;
                    preference = RELAY_PREFERENCE;
                    break;
            }
            // RFC 8445 5.1.2.1: the code lists candidates best first, so its order gives the local preference.
            long priority = ((long) preference << 24) + ((long) (65535 - index) << 8) + (256 - 1);
            TransportAddress address = new TransportAddress(c.address().getAddress(), c.address().getPort(),
                    Transport.UDP);
            out.add(new RemoteCandidate(address, component, type, c.type().name().charAt(0) + "" + index,
                    priority, null));
            index++;
        }
        return out;
    }

    /**
     * Waits for the checks to select a pair, at most {@code timeout}. NO_ROUTE if they failed, RELAY_REFUSED if
     * they failed and the configured relay gave us no candidate, PEER_TIMEOUT if the peer never showed up.
     */
    public IceLink awaitLink(Duration timeout) throws TransportException {
        try {
            if (!finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new TransportException(PEER_TIMEOUT, "no connectivity check succeeded within "
                        + timeout.toSeconds() + " s" + (relayMissing() ? "; the TURN relay gave us no address" : ""));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException(NO_ROUTE, "interrupted while connecting");
        }
        CandidatePair pair = component.getSelectedPair();
        if (finalState == IceProcessingState.FAILED || pair == null) {
            if (relayMissing()) {
                throw new TransportException(RELAY_REFUSED,
                        "every connectivity check failed and the TURN relay gave us no address");
            }
            throw new TransportException(NO_ROUTE, "every connectivity check failed");
        }
        InetSocketAddress remote = pair.getRemoteCandidate().getTransportAddress();
        boolean relayed = pair.getLocalCandidate().getType() == CandidateType.RELAYED_CANDIDATE
                || pair.getRemoteCandidate().getType() == CandidateType.RELAYED_CANDIDATE
                // The peer's relay learnt from its checks shows up as peer-reflexive; it is still a relay.
                || turnServerAddresses.contains(remote.getAddress());
        return new IceLink(component, new InetSocketAddress(remote.getAddress(), remote.getPort()), relayed,
                relayed ? null : hostBase(pair.getLocalCandidate()));
    }

    /**
     * The host candidate whose socket a local candidate sends from: itself, or a reflexive candidate's base
     * (RFC 8445 section 5.1.1.1); null if ice4j does not say.
     */
    private static HostCandidate hostBase(LocalCandidate candidate) {
        LocalCandidate base = candidate.getBase() == null ? candidate : candidate.getBase();
        return base instanceof HostCandidate host ? host : null;
    }

    /** Frees ice4j's sockets and threads on a thread of its own, without waiting for it. */
    public void releaseInBackground() {
        if (closed) {
            return;
        }
        closed = true;
        Thread t = new Thread(agent::free, "securep2p-ice-free-" + FREE_THREADS.incrementAndGet());
        t.setDaemon(true);
        t.start();
    }

    /** Frees ice4j's sockets and threads off the caller's thread, never waiting more than a few seconds. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        freeInBackground(agent);
    }

    private static void freeInBackground(Agent agent) {
        Thread t = new Thread(agent::free, "securep2p-ice-free-" + FREE_THREADS.incrementAndGet());
        t.setDaemon(true);
        t.start();
        try {
            t.join(FREE_DEADLINE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An ice4j Agent whose ICE credentials are ours (from our SecureRandom, carried in the connection code). */
    private static final class CredentialedAgent extends Agent {
        private final IceCredentials credentials;

        CredentialedAgent(IceCredentials credentials) {
            this.credentials = credentials;
        }

        @Override
        public String getLocalUfrag() {
            return credentials.ufrag();
        }

        @Override
        public String getLocalPassword() {
            return credentials.password();
        }

        @Override
        public String toString() {
            // Agent#toString prints the ICE password.
            return "IceAgent[" + credentials.ufrag() + "]";
        }
    }
}
