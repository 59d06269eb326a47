package org.securep2p.transport;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.ice4j.ResponseCollector;
import org.ice4j.StunResponseEvent;
import org.ice4j.StunTimeoutEvent;
import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.attribute.Attribute;
import org.ice4j.attribute.AttributeFactory;
import org.ice4j.attribute.OptionalAttribute;
import org.ice4j.attribute.XorMappedAddressAttribute;
import org.ice4j.message.Message;
import org.ice4j.message.MessageFactory;
import org.ice4j.message.Request;
import org.ice4j.message.Response;
import org.ice4j.socket.IceUdpSocketWrapper;
import org.ice4j.socket.SafeCloseDatagramSocket;
import org.ice4j.stack.StunStack;
import org.securep2p.transport.ice.IceSession;
import org.securep2p.transport.ice.IceSupport;
import org.securep2p.transport.ice.StunAddressAttribute;

/**
 * Asks the configured STUN servers, over one UDP socket per address family, what address our traffic comes
 * from, and measures what the NAT in front of us does ({@link NatBehaviour}). Where a server answers with
 * RFC 5780's OTHER-ADDRESS, its mapping tests (4.3) run on that same socket and its filtering tests (4.4,
 * CHANGE-REQUEST) on a second socket at the same time; otherwise the mapping is inferred by comparing two
 * servers' answers. Every request is bounded by {@link TransportConfig#stunTimeout()}, and an unanswered
 * filtering test, the expected outcome behind a filtering NAT, by the much shorter {@link #FILTERING_WAIT_MIN}
 * (or {@link #FILTERING_WAIT_AFTER_MAPPING} after the mapping answers): an unreachable server is a result,
 * never a hang.
 *
 * <p>Not its job: the candidates used for connecting (each ICE session gathers its own on its own sockets).
 */
public final class EndpointDiscovery {

    /**
     * How long a filtering test waits for its answer at least, counted from when the RFC 5780 tests are sent:
     * an answer normally comes after one round trip; this covers ice4j's first retransmissions (after 100 and
     * 300 ms) of a lost request. Silence after it means the NAT filtered the answer.
     */
    static final Duration FILTERING_WAIT_MIN = Duration.ofMillis(500);
    /**
     * On a slow path (or a cold, busy JVM) the filtering wait lasts until this long after the mapping tests'
     * answers instead, if that is later: they were sent at the same moment over the same path, so a filtering
     * answer that is coming at all comes about when they do; this covers one more retransmission.
     */
    static final Duration FILTERING_WAIT_AFTER_MAPPING = Duration.ofMillis(300);

    /**
     * What the NAT in front of us does to the source port, as far as two STUN servers can tell: the summary
     * of earlier versions, kept for logs and tests; {@link Report#natBehaviour()} is the measured picture and
     * the one whose advice the UI shows.
     */
    public enum NatMapping {
        /** The STUN servers see one of our own interface addresses. */
        NO_NAT("No NAT: direct connection likely."),
        /** Two servers saw the same public address and port: hole punching should work. */
        ENDPOINT_INDEPENDENT("The NAT keeps one public port: direct connection likely."),
        /** Two servers saw different ports: the NAT is symmetric and a relay will be needed. */
        ENDPOINT_DEPENDENT("The NAT changes ports per destination: a relay will be needed."),
        /** Only one server answered, so the mapping could not be compared. */
        UNKNOWN("Only one STUN server answered: NAT behaviour unknown."),
        /** No server answered. */
        UNREACHABLE(TransportException.Reason.STUN_UNREACHABLE.sentence());

        private final String advice;

        NatMapping(String advice) {
            this.advice = advice;
        }

        /** One sentence for the UI. */
        public String advice() {
            return advice;
        }
    }

    /** One server's answer: the address it saw, or why there is none. */
    public static final class ServerResult {
        private final ServerAddress server;
        private final InetSocketAddress mapped;
        private final String failure;
        /** RFC 5780's OTHER-ADDRESS, when the server sent a well-formed one. */
        private final InetSocketAddress other;
        /** Where the request went and from which socket, for the RFC 5780 tests that follow. */
        private final TransportAddress to;
        private final FamilySocket socket;

        private ServerResult(ServerAddress server, InetSocketAddress mapped, String failure) {
            this(server, mapped, failure, null, null, null);
        }

        private ServerResult(ServerAddress server, InetSocketAddress mapped, String failure, InetSocketAddress other,
                TransportAddress to, FamilySocket socket) {
            this.server = server;
            this.mapped = mapped;
            this.failure = failure;
            this.other = other;
            this.to = to;
            this.socket = socket;
        }

        public ServerAddress server() {
            return server;
        }

        public Optional<InetSocketAddress> mappedAddress() {
            return Optional.ofNullable(mapped);
        }

        /** The server's alternate address (RFC 5780 OTHER-ADDRESS), if it named one. */
        public Optional<InetSocketAddress> otherAddress() {
            return Optional.ofNullable(other);
        }

        /** Why there is no mapped address ("no answer within 5 s", "cannot resolve host"...). */
        public Optional<String> failure() {
            return Optional.ofNullable(failure);
        }

        @Override
        public String toString() {
            return server + (mapped != null ? " -> " + mapped : " failed: " + failure);
        }
    }

    /** The outcome of one discovery run. */
    public static final class Report {
        private final List<ServerResult> results;
        private final NatMapping mapping;
        private final NatBehaviour behaviour;

        private Report(List<ServerResult> results, NatMapping mapping, NatBehaviour behaviour) {
            this.results = List.copyOf(results);
            this.mapping = mapping;
            this.behaviour = behaviour;
        }

        public List<ServerResult> results() {
            return results;
        }

        /** The mapping in the two-server terms of earlier versions (derived from the measurement if there is one). */
        public NatMapping natMapping() {
            return mapping;
        }

        /** What the NAT does, measured (RFC 5780) or inferred; its {@link NatBehaviour#advice() advice} is for the UI. */
        public NatBehaviour natBehaviour() {
            return behaviour;
        }

        /** The first public address a server reported, if any did. */
        public Optional<InetSocketAddress> publicAddress() {
            return results.stream().flatMap(r -> r.mappedAddress().stream()).findFirst();
        }

        public boolean reachable() {
            return mapping != NatMapping.UNREACHABLE;
        }

        @Override
        public String toString() {
            return "Report[" + behaviour.summary() + ", " + results + "]";
        }
    }

    private final TransportConfig config;

    public EndpointDiscovery(TransportConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        IceSupport.init();
    }

    /**
     * Runs discovery now; "retry STUN discovery" is simply another call. Takes at most about
     * {@code stunTimeout} (requests to all servers run at the same time); behind a filtering NAT the RFC 5780
     * filtering tests add about {@link #FILTERING_WAIT_MIN} after the first answer.
     */
    public Report discover() {
        List<ServerAddress> servers = config.stunServers();
        List<ServerResult> results = new ArrayList<>();
        if (servers.isEmpty() || config.hostCandidates() == TransportConfig.HostCandidates.LOOPBACK_ONLY) {
            return new Report(results, NatMapping.UNREACHABLE, NatBehaviour.unreachable());
        }
        long start = System.nanoTime();
        long deadline = start + config.stunTimeout().toNanos();
        List<CompletableFuture<ServerResult>> pending = new ArrayList<>();
        List<AutoCloseable> resources = new ArrayList<>();
        // The first answer that names a usable alternate address: the RFC 5780 tests run against that server.
        CompletableFuture<ServerResult> capable = new CompletableFuture<>();
        StunStack stack = new StunStack();
        try {
            FamilySocket v4 = null;
            FamilySocket v6 = null;
            for (ServerAddress server : servers) {
                CompletableFuture<ServerResult> f = new CompletableFuture<>();
                pending.add(f);
                InetAddress address;
                try {
                    address = IceSupport.resolve(server.host(), deadline);
                } catch (TransportException e) {
                    f.complete(new ServerResult(server, null, "cannot resolve " + server.host()));
                    continue;
                }
                boolean six = address instanceof Inet6Address;
                if (six && !config.ipv6()) {
                    f.complete(new ServerResult(server, null, "IPv6 is disabled"));
                    continue;
                }
                try {
                    FamilySocket s = six ? v6 : v4;
                    if (s == null) {
                        s = new FamilySocket(stack, six);
                        resources.add(s);
                        if (six) {
                            v6 = s;
                        } else {
                            v4 = s;
                        }
                    }
                    TransportAddress to = new TransportAddress(address, server.port(), Transport.UDP);
                    stack.sendRequest(MessageFactory.createBindingRequest(), to, s.local,
                            bindingCollector(server, to, s, f, capable));
                } catch (IOException | RuntimeException e) {
                    f.complete(new ServerResult(server, null, "cannot send: " + e.getClass().getSimpleName()));
                }
            }
            // Start the RFC 5780 tests as soon as one server proves able, without waiting for slower servers.
            awaitAny(capable, CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])), deadline);
            Rfc5780Tests tests = null;
            if (capable.isDone()) {
                tests = Rfc5780Tests.start(stack, capable.join(), deadline, resources);
            }
            for (int i = 0; i < pending.size(); i++) {
                results.add(await(pending.get(i), servers.get(i), deadline));
            }
            NatMapping inferred = classify(results);
            if (inferred == NatMapping.UNREACHABLE) {
                return new Report(results, inferred, NatBehaviour.unreachable());
            }
            if (tests == null) {
                return new Report(results, inferred, NatBehaviour.inferred(behaviourOf(inferred)));
            }
            NatBehaviour measured = tests.finish(behaviourOf(inferred));
            return new Report(results, measured.mappingMeasured() ? mappingOf(measured) : inferred, measured);
        } finally {
            stack.shutDown();
            for (AutoCloseable c : resources) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // closing a UDP socket cannot fail in a way that matters here
                }
            }
        }
    }

    /**
     * Asks the TURN server {@code turn} for one relay allocation with this configuration's TURN credentials, as a
     * connection attempt would (ice4j's TURN harvester), and releases it at once: the relayed address, or empty
     * when none was allocated (the server did not answer, or refused the credentials or the allocation). Bounded
     * by ice4j's harvest timeout; gathers no STUN candidate. For {@code securep2p doctor}.
     *
     * @throws TransportException CONFIG_INVALID when no TURN credentials are configured; RELAY_REFUSED when the
     *         host does not resolve
     */
    public Optional<InetSocketAddress> allocateRelay(ServerAddress turn, java.security.SecureRandom random)
            throws TransportException {
        Objects.requireNonNull(turn, "turn");
        TransportConfig only = config.toBuilder().stunServers(List.of()).turnServers(List.of(turn)).build();
        try (IceSession session = IceSession.gather(only, true, IceCredentials.generate(random))) {
            return session.advertisedCandidates().stream().filter(c -> c.type() == Candidate.Type.RELAYED)
                    .map(Candidate::address).findFirst();
        }
    }

    private static NatBehaviour.Mapping behaviourOf(NatMapping inferred) {
        return switch (inferred) {
            case NO_NAT -> NatBehaviour.Mapping.NONE;
            case ENDPOINT_INDEPENDENT -> NatBehaviour.Mapping.ENDPOINT_INDEPENDENT;
            case ENDPOINT_DEPENDENT -> NatBehaviour.Mapping.ENDPOINT_DEPENDENT;
            default -> NatBehaviour.Mapping.UNKNOWN;
        };
    }

    private static NatMapping mappingOf(NatBehaviour measured) {
        return switch (measured.mapping()) {
            case NONE -> NatMapping.NO_NAT;
            case ENDPOINT_INDEPENDENT -> NatMapping.ENDPOINT_INDEPENDENT;
            case UNKNOWN -> NatMapping.UNKNOWN;
            default -> NatMapping.ENDPOINT_DEPENDENT;
        };
    }

    private static void awaitAny(CompletableFuture<?> a, CompletableFuture<?> b, long deadline) {
        try {
            CompletableFuture.anyOf(a, b).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // the per-server awaits that follow report each server's own outcome
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ServerResult await(CompletableFuture<ServerResult> f, ServerAddress server, long deadline) {
        long left = Math.max(0, deadline - System.nanoTime());
        try {
            return f.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return new ServerResult(server, null, "no answer in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ServerResult(server, null, "interrupted");
        } catch (ExecutionException e) {
            return new ServerResult(server, null, "failed");
        }
    }

    /** The mapped address of a success response, or empty: not a success, or no XOR-MAPPED-ADDRESS. */
    private static Optional<InetSocketAddress> mappedAddress(StunResponseEvent event) {
        Message m = event.getMessage();
        if (!(m instanceof Response r) || !r.isSuccessResponse()
                || !Arrays.equals(m.getTransactionID(), event.getRequest().getTransactionID())) {
            return Optional.empty();
        }
        Attribute a = m.getAttribute(Attribute.XOR_MAPPED_ADDRESS);
        if (!(a instanceof XorMappedAddressAttribute xor)) {
            return Optional.empty();
        }
        byte[] key = new byte[16];
        System.arraycopy(Message.MAGIC_COOKIE, 0, key, 0, 4);
        System.arraycopy(m.getTransactionID(), 0, key, 4, 12);
        TransportAddress mapped = xor.applyXor(key);
        return Optional.of(new InetSocketAddress(mapped.getAddress(), mapped.getPort()));
    }

    /**
     * The server's OTHER-ADDRESS if it is usable for RFC 5780's tests: well formed, differing from the server's
     * address in both address and port (RFC 5780 4.1), and a target we may send to ({@link #mayTest}).
     */
    static Optional<InetSocketAddress> usableOtherAddress(Message m, InetSocketAddress primary) {
        Attribute a = m.getAttribute(StunAddressAttribute.OTHER_ADDRESS);
        if (!(a instanceof OptionalAttribute attribute)) {
            return Optional.empty();
        }
        Optional<InetSocketAddress> other = StunAddressAttribute.parse(attribute.getBody())
                .filter(o -> !o.getAddress().equals(primary.getAddress()) && o.getPort() != primary.getPort());
        if (other.isEmpty()) {
            return other;
        }
        Set<InetAddress> own;
        try {
            own = IceSession.ownAddresses();
        } catch (TransportException e) {
            return Optional.empty(); // refusing is safer than testing blind: the behaviour is then inferred
        }
        return other.filter(o -> mayTest(o.getAddress(), primary.getAddress(), own));
    }

    /**
     * Whether RFC 5780's tests may go to {@code other}, the OTHER-ADDRESS named by the server at {@code server}.
     * The server (or anyone on its path) writes that address, so it gets the refusal a pasted code's candidates
     * get ({@link IceSession#refusedByDefault}, or one of {@code own}, this machine's addresses), unless the
     * server itself is in that same class (a STUN server on loopback or on this machine, in tests). It must be
     * of the server's family, and not an IPv4-mapped IPv6 address (IPv4 in disguise, which a
     * dual-stack socket would send to over IPv4 without any of these checks).
     */
    static boolean mayTest(InetAddress other, InetAddress server, Set<InetAddress> own) {
        if (other.getClass() != server.getClass() || embedsIpv4(other)) {
            return false;
        }
        Optional<IceSession.RefusedKind> kind = IceSession.refusedKind(other);
        if (kind.isPresent()) {
            return kind.equals(IceSession.refusedKind(server));
        }
        return !own.contains(other) || own.contains(server);
    }

    /** ::ffff:a.b.c.d */
    private static boolean embedsIpv4(InetAddress a) {
        if (!(a instanceof Inet6Address)) {
            return false;
        }
        byte[] b = a.getAddress();
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }

    private static ResponseCollector bindingCollector(ServerAddress server, TransportAddress to, FamilySocket socket,
            CompletableFuture<ServerResult> f, CompletableFuture<ServerResult> capable) {
        return new ResponseCollector() {
            @Override
            public void processResponse(StunResponseEvent event) {
                Message m = event.getMessage();
                if (!(m instanceof Response response) || !response.isSuccessResponse()) {
                    f.complete(new ServerResult(server, null, "error response"));
                    return;
                }
                Optional<InetSocketAddress> mapped = mappedAddress(event);
                if (mapped.isEmpty()) {
                    f.complete(new ServerResult(server, null, "answer without XOR-MAPPED-ADDRESS"));
                    return;
                }
                InetSocketAddress other = usableOtherAddress(m, to).orElse(null);
                ServerResult r = new ServerResult(server, mapped.get(), null, other, to, socket);
                // capable first: once every server's result is in, discover() must find the RFC 5780 server
                // already named, or it would fall back to inferring (seen on a cold first run).
                if (other != null) {
                    capable.complete(r);
                }
                f.complete(r);
            }

            @Override
            public void processTimeout(StunTimeoutEvent event) {
                f.complete(new ServerResult(server, null, "no answer in time"));
            }
        };
    }

    /**
     * RFC 5780's tests II and III (mapping, on test I's socket) and the two filtering tests (on a fresh socket,
     * so that the mapping tests' packets to the alternate address open no hole that would let a filtered answer
     * in), all sent at once against the server whose test I answer named an alternate address.
     */
    private static final class Rfc5780Tests {
        private final ServerResult primary;
        private final CompletableFuture<Optional<InetSocketAddress>> test2 = new CompletableFuture<>();
        private final CompletableFuture<Optional<InetSocketAddress>> test3 = new CompletableFuture<>();
        private final CompletableFuture<NatBehaviour.Reply> changeBoth = new CompletableFuture<>();
        private final CompletableFuture<NatBehaviour.Reply> changePort = new CompletableFuture<>();
        /** When the last mapping answer (tests II and III) came in: it measures the round trip on a warm stack. */
        private final AtomicLong lastMappingAnswer = new AtomicLong();
        private final long deadline;
        private final long started;

        private Rfc5780Tests(ServerResult primary, long deadline, long started) {
            this.primary = primary;
            this.deadline = deadline;
            this.started = started;
        }

        static Rfc5780Tests start(StunStack stack, ServerResult primary, long deadline,
                List<AutoCloseable> resources) {
            Rfc5780Tests t = new Rfc5780Tests(primary, deadline, System.nanoTime());
            InetAddress otherIp = primary.other.getAddress();
            TransportAddress changedIp = new TransportAddress(otherIp, primary.to.getPort(), Transport.UDP);
            TransportAddress changedBoth = new TransportAddress(otherIp, primary.other.getPort(), Transport.UDP);
            TransportAddress changedPort = new TransportAddress(primary.to.getAddress(), primary.other.getPort(),
                    Transport.UDP);
            t.send(stack, MessageFactory.createBindingRequest(), changedIp, primary.socket, t.mappingCollector(t.test2),
                    () -> t.test2.complete(Optional.empty()));
            t.send(stack, MessageFactory.createBindingRequest(), changedBoth, primary.socket,
                    t.mappingCollector(t.test3), () -> t.test3.complete(Optional.empty()));
            FamilySocket filtering;
            try {
                filtering = new FamilySocket(stack, primary.to.getAddress() instanceof Inet6Address);
                resources.add(filtering);
            } catch (IOException e) {
                t.changeBoth.complete(NatBehaviour.Reply.REFUSED);
                t.changePort.complete(NatBehaviour.Reply.REFUSED);
                return t;
            }
            t.send(stack, changeRequest(true, true), primary.to, filtering,
                    t.filteringCollector(t.changeBoth, changedBoth),
                    () -> t.changeBoth.complete(NatBehaviour.Reply.REFUSED));
            t.send(stack, changeRequest(false, true), primary.to, filtering,
                    t.filteringCollector(t.changePort, changedPort),
                    () -> t.changePort.complete(NatBehaviour.Reply.REFUSED));
            return t;
        }

        private static Request changeRequest(boolean changeIp, boolean changePort) {
            Request r = MessageFactory.createBindingRequest();
            r.putAttribute(AttributeFactory.createChangeRequestAttribute(changeIp, changePort));
            return r;
        }

        private void send(StunStack stack, Request request, TransportAddress to, FamilySocket from,
                ResponseCollector collector, Runnable failed) {
            try {
                stack.sendRequest(request, to, from.local, collector);
            } catch (IOException | RuntimeException e) {
                failed.run();
            }
        }

        private ResponseCollector mappingCollector(CompletableFuture<Optional<InetSocketAddress>> f) {
            return new ResponseCollector() {
                @Override
                public void processResponse(StunResponseEvent event) {
                    lastMappingAnswer.accumulateAndGet(System.nanoTime(), Math::max);
                    f.complete(mappedAddress(event));
                }

                @Override
                public void processTimeout(StunTimeoutEvent event) {
                    f.complete(Optional.empty());
                }
            };
        }

        /**
         * An answer counts only if it is a success and came from exactly the changed address asked for: a server
         * that ignores CHANGE-REQUEST answers from its primary address, which says nothing about filtering.
         */
        private ResponseCollector filteringCollector(CompletableFuture<NatBehaviour.Reply> f,
                InetSocketAddress expectedSource) {
            return new ResponseCollector() {
                @Override
                public void processResponse(StunResponseEvent event) {
                    TransportAddress source = event.getRemoteAddress();
                    boolean fromChanged = source != null && source.getAddress().equals(expectedSource.getAddress())
                            && source.getPort() == expectedSource.getPort();
                    f.complete(mappedAddress(event).isPresent() && fromChanged
                            ? NatBehaviour.Reply.ANSWERED : NatBehaviour.Reply.REFUSED);
                }

                @Override
                public void processTimeout(StunTimeoutEvent event) {
                    f.complete(NatBehaviour.Reply.SILENT);
                }
            };
        }

        NatBehaviour finish(NatBehaviour.Mapping fallback) {
            Optional<InetSocketAddress> second = awaitOr(test2, deadline, Optional.empty());
            Optional<InetSocketAddress> third = awaitOr(test3, deadline, Optional.empty());
            // The filtering answers are awaited only a short while: silence is a result. The mapping tests were
            // sent at the same moment over the same path, so when their answers came (not test I's, which
            // includes the STUN stack's start) says when a filtering answer would.
            long answered = lastMappingAnswer.get();
            long filteringDeadline = started + FILTERING_WAIT_MIN.toNanos();
            if (answered != 0) {
                filteringDeadline = Math.max(filteringDeadline, answered + FILTERING_WAIT_AFTER_MAPPING.toNanos());
            }
            filteringDeadline = Math.min(deadline, filteringDeadline);
            NatBehaviour.Reply both = awaitOr(changeBoth, filteringDeadline, NatBehaviour.Reply.SILENT);
            NatBehaviour.Reply port = both == NatBehaviour.Reply.ANSWERED ? NatBehaviour.Reply.SILENT
                    : awaitOr(changePort, filteringDeadline, NatBehaviour.Reply.SILENT);
            return NatBehaviour.measured(primary.mapped, isLocalInterfaceAddress(primary.mapped.getAddress()),
                    second, third, both, port, fallback);
        }

        private static <T> T awaitOr(CompletableFuture<T> f, long until, T otherwise) {
            try {
                return f.get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                return otherwise;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return otherwise;
            }
        }
    }

    static NatMapping classify(List<ServerResult> results) {
        Set<InetSocketAddress> seen = new LinkedHashSet<>();
        int answered = 0;
        for (ServerResult r : results) {
            if (r.mapped != null) {
                answered++;
                seen.add(r.mapped);
            }
        }
        if (answered == 0) {
            return NatMapping.UNREACHABLE;
        }
        for (InetSocketAddress a : seen) {
            if (isLocalInterfaceAddress(a.getAddress())) {
                return NatMapping.NO_NAT;
            }
        }
        // Compare per family: an IPv6 answer never equals an IPv4 one.
        boolean differ = false;
        boolean compared = false;
        for (Class<?> family : List.of(Inet4Address.class, Inet6Address.class)) {
            List<InetSocketAddress> same = new ArrayList<>();
            int count = 0;
            for (ServerResult r : results) {
                if (r.mapped != null && family.isInstance(r.mapped.getAddress())) {
                    count++;
                    if (!same.contains(r.mapped)) {
                        same.add(r.mapped);
                    }
                }
            }
            if (count >= 2) {
                compared = true;
                differ |= same.size() > 1;
            }
        }
        if (!compared) {
            return NatMapping.UNKNOWN;
        }
        return differ ? NatMapping.ENDPOINT_DEPENDENT : NatMapping.ENDPOINT_INDEPENDENT;
    }

    private static boolean isLocalInterfaceAddress(InetAddress address) {
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a.equals(address)) {
                        return true;
                    }
                }
            }
        } catch (SocketException e) {
            return false;
        }
        return false;
    }

    /** A wildcard-bound UDP socket of one family, registered with the STUN stack. */
    private static final class FamilySocket implements AutoCloseable {
        final IceUdpSocketWrapper wrapper;
        final TransportAddress local;
        final StunStack stack;

        FamilySocket(StunStack stack, boolean ipv6) throws IOException {
            InetAddress any = InetAddress.getByName(ipv6 ? "::" : "0.0.0.0");
            DatagramSocket socket = new SafeCloseDatagramSocket(new InetSocketAddress(any, 0));
            this.wrapper = new IceUdpSocketWrapper(socket);
            // The key ice4j files the socket under: exactly what its NetAccessManager computes.
            this.local = new TransportAddress(wrapper.getLocalAddress(), wrapper.getLocalPort(), Transport.UDP);
            this.stack = stack;
            stack.addSocket(wrapper);
        }

        @Override
        public void close() {
            stack.removeSocket(local);
            wrapper.close();
        }
    }
}
