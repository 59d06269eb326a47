package org.securep2p.transport;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * What the NAT (or firewall) in front of us does, in RFC 5780's terms: how it maps one local address towards
 * different destinations (section 4.3) and which outside sources it lets in (section 4.4). Measured where a
 * STUN server names an alternate address (OTHER-ADDRESS) and honours CHANGE-REQUEST; otherwise the mapping is
 * inferred by comparing what two servers saw and the filtering stays unknown. It gives the user one sentence
 * of {@link #advice() advice} and a connection code its {@link #answerNeeded() answer-needed} flag.
 *
 * <p>Not its job: running the tests ({@link EndpointDiscovery} does) or choosing candidates.
 */
public final class NatBehaviour {

    /** RFC 5780 4.3: does the public address we get depend on where we send to? */
    public enum Mapping {
        /** No NAT: the server saw one of our own interface addresses. */
        NONE,
        /** One public address and port towards every destination: hole punching can work. */
        ENDPOINT_INDEPENDENT,
        /** A new public port per destination address. */
        ADDRESS_DEPENDENT,
        /** A new public port per destination address and port ("symmetric"). */
        ADDRESS_AND_PORT_DEPENDENT,
        /**
         * Inferred only: two servers on different addresses saw different ports, which cannot tell
         * address-dependent from address-and-port-dependent mapping.
         */
        ENDPOINT_DEPENDENT,
        /** Not enough answers to tell. */
        UNKNOWN
    }

    /** RFC 5780 4.4: which outside sources may send to a public address we have used? */
    public enum Filtering {
        /** Anyone ("full cone"), or no filtering at all. */
        ENDPOINT_INDEPENDENT,
        /** Only addresses we have sent to, from any port. */
        ADDRESS_DEPENDENT,
        /** Only the exact address and port we have sent to. */
        ADDRESS_AND_PORT_DEPENDENT,
        /** Not measured: no server supports RFC 5780, or its answers did not fit. */
        UNKNOWN
    }

    /** How one filtering test (a request with CHANGE-REQUEST) ended. */
    enum Reply {
        /** Answered from exactly the changed address asked for. */
        ANSWERED,
        /** No answer before the filtering deadline: the expected outcome behind a filter. */
        SILENT,
        /** An error response, or an answer from an address other than the one asked for: tells nothing. */
        REFUSED
    }

    private static final NatBehaviour UNREACHABLE = new NatBehaviour(false, Mapping.UNKNOWN, false,
            Filtering.UNKNOWN);

    private final boolean reachable;
    private final Mapping mapping;
    private final boolean mappingMeasured;
    private final Filtering filtering;

    private NatBehaviour(boolean reachable, Mapping mapping, boolean mappingMeasured, Filtering filtering) {
        this.reachable = reachable;
        this.mapping = mapping;
        this.mappingMeasured = mappingMeasured;
        this.filtering = filtering;
    }

    /** No STUN server answered. */
    static NatBehaviour unreachable() {
        return UNREACHABLE;
    }

    /** Behaviour inferred without RFC 5780: the two-server mapping comparison, filtering unknown. */
    static NatBehaviour inferred(Mapping mapping) {
        return new NatBehaviour(true, Objects.requireNonNull(mapping, "mapping"), false, Filtering.UNKNOWN);
    }

    /**
     * RFC 5780's decision procedure as a pure function of the test outcomes. Mapping (4.3): test I's mapped
     * address on our own interface means no NAT; test II (alternate IP, primary port) giving the same mapped
     * address as test I means endpoint-independent; otherwise test III (alternate IP and port) giving the same
     * as test II means address-dependent, a third address address-and-port-dependent. Filtering (4.4): an answer
     * to "change IP and port" means endpoint-independent; else an answer to "change port" address-dependent;
     * else (both silent) address-and-port-dependent. A refused test or a missing answer leaves that half
     * unknown; {@code fallback} is then the inferred mapping.
     *
     * @param test1 test I's mapped address (the server answered with OTHER-ADDRESS)
     * @param ownAddress whether {@code test1} is one of this machine's interface addresses
     * @param test2 test II's mapped address, empty if it got no answer
     * @param test3 test III's mapped address, empty if it got no answer
     */
    static NatBehaviour measured(InetSocketAddress test1, boolean ownAddress, Optional<InetSocketAddress> test2,
            Optional<InetSocketAddress> test3, Reply changeAddressAndPort, Reply changePort, Mapping fallback) {
        Objects.requireNonNull(test1, "test1");
        Mapping mapping;
        if (ownAddress) {
            mapping = Mapping.NONE;
        } else if (test2.isEmpty()) {
            mapping = Mapping.UNKNOWN;
        } else if (test2.get().equals(test1)) {
            mapping = Mapping.ENDPOINT_INDEPENDENT;
        } else if (test3.isEmpty()) {
            mapping = Mapping.UNKNOWN;
        } else {
            mapping = test3.get().equals(test2.get()) ? Mapping.ADDRESS_DEPENDENT : Mapping.ADDRESS_AND_PORT_DEPENDENT;
        }
        boolean mappingMeasured = mapping != Mapping.UNKNOWN;
        if (!mappingMeasured) {
            mapping = Objects.requireNonNull(fallback, "fallback");
        }
        Filtering filtering;
        if (changeAddressAndPort == Reply.ANSWERED) {
            filtering = Filtering.ENDPOINT_INDEPENDENT;
        } else if (changeAddressAndPort == Reply.REFUSED) {
            filtering = Filtering.UNKNOWN;
        } else if (changePort == Reply.ANSWERED) {
            filtering = Filtering.ADDRESS_DEPENDENT;
        } else if (changePort == Reply.SILENT) {
            filtering = Filtering.ADDRESS_AND_PORT_DEPENDENT;
        } else {
            filtering = Filtering.UNKNOWN;
        }
        return new NatBehaviour(true, mapping, mappingMeasured, filtering);
    }

    /** Whether any STUN server answered at all. */
    public boolean reachable() {
        return reachable;
    }

    public Mapping mapping() {
        return mapping;
    }

    /** Whether {@link #mapping()} was measured with RFC 5780's tests (false: inferred from two servers). */
    public boolean mappingMeasured() {
        return mappingMeasured;
    }

    /** Measured filtering, or {@link Filtering#UNKNOWN}: filtering cannot be inferred. */
    public Filtering filtering() {
        return filtering;
    }

    /**
     * Whether the person who connects must send an answer code back: exactly when our filtering is measured as
     * address-dependent or address-and-port-dependent, so the connector's first packets are dropped until we
     * have sent to its address. Empty when filtering is unknown (the caller falls back to its own guess).
     */
    public Optional<Boolean> answerNeeded() {
        return switch (filtering) {
            case ENDPOINT_INDEPENDENT -> Optional.of(false);
            case ADDRESS_DEPENDENT, ADDRESS_AND_PORT_DEPENDENT -> Optional.of(true);
            default -> Optional.empty();
        };
    }

    /**
     * Whether hole punching cannot work and only a TURN relay will connect: the public port depends on the
     * destination, so the one a STUN server saw is useless to the peer.
     */
    public boolean relayNeeded() {
        return mapping == Mapping.ADDRESS_DEPENDENT || mapping == Mapping.ADDRESS_AND_PORT_DEPENDENT
                || mapping == Mapping.ENDPOINT_DEPENDENT;
    }

    /** One or two sentences for the user; never an enum name. */
    public String advice() {
        if (!reachable) {
            return TransportException.Reason.STUN_UNREACHABLE.sentence();
        }
        String inferred = mappingMeasured ? "" : " (inferred from two STUN servers)";
        if (relayNeeded()) {
            return "A relay will be needed: your NAT gives each destination its own port" + inferred
                    + ", so hole punching cannot work.";
        }
        return switch (filtering) {
            case ENDPOINT_INDEPENDENT -> mapping == Mapping.NONE
                    ? "One code is enough: you have a public address and nothing filters what the other person sends."
                    : "One code is enough: your NAT keeps one public port and lets the other person's packets in.";
            case ADDRESS_DEPENDENT, ADDRESS_AND_PORT_DEPENDENT -> "The other person must send an answer code back: "
                    + "your " + (mapping == Mapping.NONE ? "firewall" : "NAT")
                    + " only lets in packets from addresses you have sent to.";
            default -> unmeasuredFilteringAdvice(inferred);
        };
    }

    private String unmeasuredFilteringAdvice(String inferred) {
        return switch (mapping) {
            case NONE -> "No NAT: direct connection likely; its filtering could not be measured.";
            case ENDPOINT_INDEPENDENT -> "Your NAT keeps one public port" + inferred + "; its filtering could not be "
                    + "measured, so the other person may have to send an answer code back.";
            default -> "Only one STUN server answered and it cannot measure the NAT: NAT behaviour unknown.";
        };
    }

    /** Machine-readable summary for logs and the JSON mode, e.g. {@code ENDPOINT_INDEPENDENT/ADDRESS_DEPENDENT}. */
    public String summary() {
        if (!reachable) {
            return "UNREACHABLE";
        }
        return mapping + (mappingMeasured ? "" : "(inferred)") + "/" + filtering;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof NatBehaviour b)) {
            return false;
        }
        return reachable == b.reachable && mapping == b.mapping && mappingMeasured == b.mappingMeasured
                && filtering == b.filtering;
    }

    @Override
    public int hashCode() {
        return Objects.hash(reachable, mapping, mappingMeasured, filtering);
    }

    @Override
    public String toString() {
        return "NatBehaviour[" + summary() + "]";
    }
}
