package org.securep2p.transport;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;

/**
 * One ICE candidate as a connection code carries it: a type and a UDP transport address with a literal IPv4
 * or IPv6 address and a port in 1..65535. A candidate never holds a host name, so nothing here ever resolves
 * a name, and the address is kept as its bytes: a host name or IPv6 scope attached to the
 * {@link InetAddress} it was made from is dropped (neither means anything to the peer).
 *
 * <p>Addresses that can never be a peer's transport address are refused: the unspecified address, multicast,
 * the IPv4 broadcast address, IPv4-mapped and IPv4-compatible IPv6 addresses (an IPv4 address
 * has one encoding: family 4) and IPv6 site-local addresses (deprecated by RFC 3879).
 *
 * <p>Loopback addresses are well-formed here: two peers on one machine (tests, benchmarks) need them. Whether
 * to probe one is policy: RFC 8445 section 5.1.1.1 says they "MUST NOT be included", and a pasted code must
 * not make us probe our own machine, so {@code IceSession} drops loopback candidates from a code unless the
 * local side itself runs in loopback-only mode.
 *
 * <p>Not its job: priorities, foundations or related addresses (ICE recomputes them), or choosing which
 * candidates to publish.
 */
public final class Candidate {

    /** The ICE candidate types (RFC 8445 section 5.1.1) a code carries. Peer-reflexive ones are learnt, not sent. */
    public enum Type {
        /** An address of one of the waiter's own interfaces; optional, since it reveals the local network. */
        HOST(1),
        /** The address a STUN server saw: the public side of the NAT. */
        SERVER_REFLEXIVE(2),
        /** An address allocated on a TURN relay. */
        RELAYED(3);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        int code() {
            return code;
        }

        /** The type with wire code {@code code}, or null. */
        static Type fromCode(int code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return null;
        }
    }

    /** Wire values of the address family: the IP version itself, so a hex dump reads naturally. */
    static final int FAMILY_IPV4 = 4;
    static final int FAMILY_IPV6 = 6;

    private final Type type;
    private final byte[] address;
    private final int port;
    private final InetSocketAddress socketAddress;

    private Candidate(Type type, byte[] address, int port) {
        this.type = type;
        this.address = address;
        this.port = port;
        try {
            // getByAddress with a 4- or 16-byte array builds the address without any lookup.
            this.socketAddress = new InetSocketAddress(InetAddress.getByAddress(address), port);
        } catch (UnknownHostException e) {
            throw new AssertionError("address length was checked", e);
        }
    }

    /**
     * A candidate of {@code type} at {@code address}, which must be resolved (a literal address), have a port
     * in 1..65535 and pass the address rules above.
     *
     * @throws IllegalArgumentException if it does not; the message says which rule
     */
    public static Candidate of(Type type, InetSocketAddress address) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("a candidate needs a literal IP address, not a host name");
        }
        byte[] bytes = address.getAddress().getAddress();
        String refusal = refusal(bytes, address.getPort());
        if (refusal != null) {
            throw new IllegalArgumentException(refusal);
        }
        return new Candidate(type, bytes, address.getPort());
    }

    /** Builds a decoded candidate whose address and port the caller has passed through {@link #refusal}. */
    static Candidate fromWire(Type type, byte[] address, int port) {
        if (refusal(address, port) != null) {
            throw new IllegalArgumentException("refused address: check refusal() first");
        }
        return new Candidate(Objects.requireNonNull(type, "type"), address.clone(), port);
    }

    /**
     * Why {@code address:port} cannot be a candidate, or null if it can. {@code address} is 4 or 16 bytes. One
     * rule set for {@link #of} and the parser, so a code we write is always a code we read.
     */
    public static String refusal(byte[] address, int port) {
        if (port < 1 || port > 0xFFFF) {
            return "port " + port + " outside 1..65535";
        }
        if (address.length == 4) {
            if (isAll(address, 0, 4, 0)) {
                return "unspecified address 0.0.0.0";
            }
            if (isAll(address, 0, 4, 0xFF)) {
                return "broadcast address 255.255.255.255";
            }
            if ((address[0] & 0xF0) == 0xE0) {
                return "multicast address";
            }
            return null;
        }
        if (address.length != 16) {
            throw new IllegalArgumentException("address must be 4 or 16 bytes");
        }
        if (isAll(address, 0, 16, 0)) {
            return "unspecified address ::";
        }
        if ((address[0] & 0xFF) == 0xFF) {
            return "multicast address";
        }
        if (isIpv4Mapped(address)) {
            return "IPv4-mapped IPv6 address (an IPv4 address has family 4)";
        }
        if (isAll(address, 0, 12, 0)) {
            return "IPv4-compatible IPv6 address (deprecated, RFC 4291)";
        }
        if ((address[0] & 0xFF) == 0xFE && (address[1] & 0xC0) == 0xC0) {
            return "IPv6 site-local address (deprecated, RFC 3879)";
        }
        return null;
    }

    private static boolean isIpv4Mapped(byte[] a) {
        return a.length == 16 && isAll(a, 0, 10, 0) && (a[10] & 0xFF) == 0xFF && (a[11] & 0xFF) == 0xFF;
    }

    private static boolean isAll(byte[] a, int from, int to, int value) {
        for (int i = from; i < to; i++) {
            if ((a[i] & 0xFF) != value) {
                return false;
            }
        }
        return true;
    }

    public Type type() {
        return type;
    }

    /** The transport address: always resolved (a literal address, never a name), without an IPv6 scope. */
    public InetSocketAddress address() {
        return socketAddress;
    }

    /** Whether the address is IPv6. */
    public boolean isIpv6() {
        return address.length == 16;
    }

    int family() {
        return address.length == 4 ? FAMILY_IPV4 : FAMILY_IPV6;
    }

    byte[] addressBytes() {
        return address.clone();
    }

    int port() {
        return port;
    }

    /**
     * Whether both name the same transport address, whatever their types. RFC 8445 section 5.1.3 removes
     * such redundant candidates, so a code carries each transport address once.
     */
    boolean sameTransportAddress(Candidate other) {
        return port == other.port && Arrays.equals(address, other.address);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Candidate c)) {
            return false;
        }
        return type == c.type && sameTransportAddress(c);
    }

    @Override
    public int hashCode() {
        return (type.hashCode() * 31 + Arrays.hashCode(address)) * 31 + port;
    }

    /** Type and address: addresses are not secret, and seeing them is how a connection problem is found. */
    @Override
    public String toString() {
        InetAddress a = socketAddress.getAddress();
        String host = a instanceof Inet4Address ? a.getHostAddress() : "[" + a.getHostAddress() + "]";
        return "Candidate[" + type + " " + host + ":" + port + "]";
    }
}
