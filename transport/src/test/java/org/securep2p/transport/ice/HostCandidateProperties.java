package org.securep2p.transport.ice;

import java.net.InetAddress;
import java.net.UnknownHostException;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.securep2p.transport.TransportConfig.HostCandidates;
import org.securep2p.transport.TransportConfig;

import static org.assertj.core.api.Assertions.assertThat;

/** Which of our own addresses each {@code host.candidates} mode offers, for every IPv4 and IPv6 address. */
class HostCandidateProperties {

    @Provide
    Arbitrary<InetAddress> addresses() {
        Arbitrary<byte[]> any = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofSize(4),
                Arbitraries.bytes().array(byte[].class).ofSize(16),
                // Bias towards the private ranges, which random bytes rarely hit.
                Arbitraries.of("10.", "172.16.", "172.31.", "192.168.", "100.64.", "100.127.", "fd", "fc")
                        .flatMap(p -> Arbitraries.bytes().array(byte[].class).ofSize(16)
                                .map(tail -> withPrefix(p, tail))));
        return any.map(HostCandidateProperties::byAddress);
    }

    @Property
    void theDefaultOffersEverythingPublicOnlyOffersAndThePrivateRangesBesides(@ForAll("addresses") InetAddress a) {
        boolean lan = IceSession.offered(a, HostCandidates.LAN);
        boolean publicOnly = IceSession.offered(a, HostCandidates.PUBLIC_ONLY);
        assertThat(lan).as("%s", a).isEqualTo(publicOnly || IceSession.isPrivate(a));
        assertThat(publicOnly && IceSession.isPrivate(a)).as("PUBLIC_ONLY offers a private address %s", a).isFalse();
    }

    @Property
    void loopbackLinkLocalMulticastAndUnspecifiedAreNeverOffered(@ForAll("addresses") InetAddress a) {
        if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isMulticastAddress() || a.isAnyLocalAddress()) {
            assertThat(IceSession.offered(a, HostCandidates.LAN)).as("%s", a).isFalse();
            assertThat(IceSession.offered(a, HostCandidates.PUBLIC_ONLY)).as("%s", a).isFalse();
        }
    }

    private static byte[] withPrefix(String prefix, byte[] tail) {
        if (prefix.endsWith(".")) {
            // "10." is one part, "172.16." two: the trailing dot ends the prefix, it opens no empty part.
            String[] parts = prefix.substring(0, prefix.length() - 1).split("\\.", -1);
            byte[] b = new byte[] {0, 0, tail[2], tail[3]};
            b[0] = (byte) Integer.parseInt(parts[0]);
            if (parts.length > 1) {
                b[1] = (byte) Integer.parseInt(parts[1]);
            } else {
                b[1] = tail[1];
            }
            return b;
        }
        byte[] b = tail.clone();
        b[0] = (byte) Integer.parseInt(prefix, 16);
        return b;
    }

    private static InetAddress byAddress(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
