package org.securep2p.transport;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
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

import org.ice4j.ResponseCollector;
import org.ice4j.StunResponseEvent;
import org.ice4j.StunTimeoutEvent;
import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.attribute.Attribute;
import org.ice4j.attribute.XorMappedAddressAttribute;
import org.ice4j.message.Message;
import org.ice4j.message.MessageFactory;
import org.ice4j.message.Response;
import org.ice4j.socket.IceUdpSocketWrapper;
import org.ice4j.socket.SafeCloseDatagramSocket;
import org.ice4j.stack.StunStack;

/**
 * Asks the configured STUN servers, over one UDP socket per address family, what address our traffic comes
 * from, and compares their answers to tell the user whether a direct connection is likely. Every request is
 * bounded by {@link TransportConfig#stunTimeout()}: an unreachable server is a result, never a hang.
 *
 * <p>Not its job: the candidates used for connecting (each ICE session gathers its own on its own sockets).
 */
public final class EndpointDiscovery {

    /** What the NAT in front of us does to the source port, as far as two STUN servers can tell. */
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

        private ServerResult(ServerAddress server, InetSocketAddress mapped, String failure) {
            this.server = server;
            this.mapped = mapped;
            this.failure = failure;
        }

        public ServerAddress server() {
            return server;
        }

        public Optional<InetSocketAddress> mappedAddress() {
            return Optional.ofNullable(mapped);
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

        private Report(List<ServerResult> results, NatMapping mapping) {
            this.results = List.copyOf(results);
            this.mapping = mapping;
        }

        public List<ServerResult> results() {
            return results;
        }

        public NatMapping natMapping() {
            return mapping;
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
            return "Report[" + mapping + ", " + results + "]";
        }
    }

    private final TransportConfig config;

    public EndpointDiscovery(TransportConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        IceSupport.init();
    }

    /**
     * Runs discovery now; "retry STUN discovery" is simply another call. Takes at most about
     * {@code stunTimeout} (requests to all servers run at the same time).
     */
    public Report discover() {
        List<ServerAddress> servers = config.stunServers();
        List<ServerResult> results = new ArrayList<>();
        if (servers.isEmpty() || config.hostCandidates() == TransportConfig.HostCandidates.LOOPBACK_ONLY) {
            return new Report(results, NatMapping.UNREACHABLE);
        }
        long deadline = System.nanoTime() + config.stunTimeout().toNanos();
        List<CompletableFuture<ServerResult>> pending = new ArrayList<>();
        List<AutoCloseable> resources = new ArrayList<>();
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
                    stack.sendRequest(MessageFactory.createBindingRequest(), to, s.local, collector(server, f));
                } catch (IOException | RuntimeException e) {
                    f.complete(new ServerResult(server, null, "cannot send: " + e.getClass().getSimpleName()));
                }
            }
            for (int i = 0; i < pending.size(); i++) {
                results.add(await(pending.get(i), servers.get(i), deadline));
            }
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
        return new Report(results, classify(results));
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

    private static ResponseCollector collector(ServerAddress server, CompletableFuture<ServerResult> f) {
        return new ResponseCollector() {
            @Override
            public void processResponse(StunResponseEvent event) {
                Message m = event.getMessage();
                if (!(m instanceof Response) || !((Response) m).isSuccessResponse()) {
                    f.complete(new ServerResult(server, null, "error response"));
                    return;
                }
                XorMappedAddressAttribute xor =
                        (XorMappedAddressAttribute) m.getAttribute(Attribute.XOR_MAPPED_ADDRESS);
                if (xor == null) {
                    f.complete(new ServerResult(server, null, "answer without XOR-MAPPED-ADDRESS"));
                    return;
                }
                byte[] key = new byte[16];
                System.arraycopy(Message.MAGIC_COOKIE, 0, key, 0, 4);
                System.arraycopy(m.getTransactionID(), 0, key, 4, 12);
                TransportAddress mapped = xor.applyXor(key);
                f.complete(new ServerResult(server,
                        new InetSocketAddress(mapped.getAddress(), mapped.getPort()), null));
            }

            @Override
            public void processTimeout(StunTimeoutEvent event) {
                f.complete(new ServerResult(server, null, "no answer in time"));
            }
        };
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
