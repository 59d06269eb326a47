package org.securep2p.transport.ice;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;

/**
 * The two RFC 5780 attributes ice4j does not know, OTHER-ADDRESS (0x802C) and RESPONSE-ORIGIN (0x802B): ice4j
 * hands them over as opaque comprehension-optional attributes, and this reads their value, which has
 * MAPPED-ADDRESS's layout (RFC 8489 14.1: a reserved byte, family 0x01 or 0x02, port, then 4 or 16 address
 * bytes). Strict: a wrong length for the family, an unknown family or port 0 is no address at all, and the
 * caller then treats the server as one without RFC 5780.
 */
public final class StunAddressAttribute {

    /** RFC 5780 7.4: the server's alternate address and port. */
    public static final char OTHER_ADDRESS = 0x802C;
    /** RFC 5780 7.3: the address and port the response was sent from. */
    static final char RESPONSE_ORIGIN = 0x802B;

    private static final int FAMILY_IPV4 = 0x01;
    private static final int FAMILY_IPV6 = 0x02;
    private static final int HEADER = 4;

    private StunAddressAttribute() {
    }

    /** The address in an attribute value, or empty if the value is not a well-formed address. */
    public static Optional<InetSocketAddress> parse(byte[] value) {
        if (value == null || value.length < HEADER) {
            return Optional.empty();
        }
        // Byte 0 is reserved: RFC 8489 says it is ignored on receipt, so it is not checked.
        int family = value[1] & 0xff;
        int port = ((value[2] & 0xff) << 8) | (value[3] & 0xff);
        int length;
        if (family == FAMILY_IPV4) {
            length = 4;
        } else if (family == FAMILY_IPV6) {
            length = 16;
        } else {
            return Optional.empty();
        }
        if (value.length != HEADER + length || port == 0) {
            return Optional.empty();
        }
        byte[] address = Arrays.copyOfRange(value, HEADER, HEADER + length);
        try {
            // Inet6Address even for an IPv4-mapped value: the family is what the server said, not what
            // InetAddress.getByAddress would turn ::ffff:a.b.c.d into.
            return Optional.of(new InetSocketAddress(family == FAMILY_IPV6
                    ? Inet6Address.getByAddress(null, address, -1) : InetAddress.getByAddress(address), port));
        } catch (UnknownHostException e) {
            return Optional.empty(); // cannot happen for 4 or 16 bytes
        }
    }
}
