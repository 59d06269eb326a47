package org.securep2p.transport;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.transport.ConnectionCodeFixtures.candidate;

/** Candidate's rules: literal addresses only, ports 1..65535, no address that can never be a peer's. */
class CandidateTest {

    @Test
    void keepsTypeAddressAndPort() throws Exception {
        Candidate c = candidate(Candidate.Type.RELAYED, "2001:db8::5", 3478);
        assertThat(c.type()).isEqualTo(Candidate.Type.RELAYED);
        assertThat(c.address()).isEqualTo(new InetSocketAddress(InetAddress.getByName("2001:db8::5"), 3478));
        assertThat(c.address().isUnresolved()).isFalse();
        assertThat(c.isIpv6()).isTrue();
        assertThat(candidate(Candidate.Type.HOST, "10.0.0.2", 1).isIpv6()).isFalse();
        assertThat(c.toString()).isEqualTo("Candidate[RELAYED [2001:db8:0:0:0:0:0:5]:3478]");
        assertThat(candidate(Candidate.Type.HOST, "10.0.0.2", 1).toString()).isEqualTo("Candidate[HOST 10.0.0.2:1]");
    }

    @Test
    void equalityIsTypeAddressAndPort() {
        Candidate a = candidate(Candidate.Type.HOST, "192.0.2.1", 4000);
        assertThat(a).isEqualTo(candidate(Candidate.Type.HOST, "192.0.2.1", 4000))
                .hasSameHashCodeAs(candidate(Candidate.Type.HOST, "192.0.2.1", 4000));
        assertThat(a).isNotEqualTo(candidate(Candidate.Type.SERVER_REFLEXIVE, "192.0.2.1", 4000));
        assertThat(a).isNotEqualTo(candidate(Candidate.Type.HOST, "192.0.2.1", 4001));
        assertThat(a).isNotEqualTo(candidate(Candidate.Type.HOST, "192.0.2.2", 4000));
        assertThat(a.sameTransportAddress(candidate(Candidate.Type.RELAYED, "192.0.2.1", 4000))).isTrue();
    }

    @Test
    void dropsHostNameAndScopeOfTheAddress() throws Exception {
        byte[] linkLocal = InetAddress.getByName("fe80::1").getAddress();
        Inet6Address scoped = Inet6Address.getByAddress("peer.example", linkLocal, 3);
        Candidate c = Candidate.of(Candidate.Type.HOST, new InetSocketAddress(scoped, 5000));
        assertThat(((Inet6Address) c.address().getAddress()).getScopeId()).isZero();
        assertThat(c).isEqualTo(candidate(Candidate.Type.HOST, "fe80::1", 5000));
        InetAddress named = InetAddress.getByAddress("peer.example", new byte[] {(byte) 192, 0, 2, 9});
        assertThat(Candidate.of(Candidate.Type.HOST, new InetSocketAddress(named, 5000)))
                .isEqualTo(candidate(Candidate.Type.HOST, "192.0.2.9", 5000));
    }

    @Test
    void rejectsUnresolvedAddress() {
        InetSocketAddress unresolved = InetSocketAddress.createUnresolved("peer.example", 80);
        assertThatThrownBy(() -> Candidate.of(Candidate.Type.HOST, unresolved))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("literal IP address");
    }

    @Test
    void rejectsPortZero() {
        assertThatThrownBy(() -> candidate(Candidate.Type.HOST, "192.0.2.1", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("port 0 outside 1..65535");
    }

    @Test
    void rejectsAddressesThatAreNeverAPeer() {
        String[][] cases = {
            {"0.0.0.0", "unspecified address 0.0.0.0"},
            {"255.255.255.255", "broadcast address 255.255.255.255"},
            {"224.0.0.251", "multicast address"},
            {"239.1.2.3", "multicast address"},
            {"::", "unspecified address ::"},
            {"ff02::1", "multicast address"},
            {"::192.0.2.1", "IPv4-compatible IPv6 address (deprecated, RFC 4291)"},
            {"fec0::1", "IPv6 site-local address (deprecated, RFC 3879)"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> candidate(Candidate.Type.HOST, c[0], 1000)).as(c[0])
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(c[1]);
        }
    }

    @Test
    void rejectsIpv4MappedIpv6Address() throws Exception {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 192, 0, 2, 1};
        // Inet6Address.getByAddress keeps the mapped form (InetAddress.getByAddress would turn it into IPv4).
        Inet6Address a = Inet6Address.getByAddress(null, mapped, -1);
        assertThatThrownBy(() -> Candidate.of(Candidate.Type.HOST, new InetSocketAddress(a, 1000)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IPv4-mapped");
    }

    @Test
    void acceptsPrivateAndLinkLocalAddresses() {
        // Host candidates are LAN addresses; they are refused only by choice, never by the format.
        for (String literal : new String[] {"10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.1.1", "fe80::1",
                "fd00::1", "100.64.0.1"}) {
            assertThat(candidate(Candidate.Type.HOST, literal, 65535).address().getPort()).isEqualTo(65535);
        }
    }

    @Test
    void typeCodesAreStable() {
        assertThat(Candidate.Type.HOST.code()).isEqualTo(1);
        assertThat(Candidate.Type.SERVER_REFLEXIVE.code()).isEqualTo(2);
        assertThat(Candidate.Type.RELAYED.code()).isEqualTo(3);
        assertThat(Candidate.Type.fromCode(0)).isNull();
        assertThat(Candidate.Type.fromCode(4)).isNull();
    }
}
