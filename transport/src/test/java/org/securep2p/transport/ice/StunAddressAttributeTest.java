package org.securep2p.transport.ice;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** OTHER-ADDRESS / RESPONSE-ORIGIN values: the two families read, every malformation refused. */
class StunAddressAttributeTest {

    @Test
    void readsAnIpv4Address() throws Exception {
        // The OTHER-ADDRESS coturn sends in the lab: 203.0.113.2:3479.
        byte[] v = {0, 1, 0x0d, (byte) 0x97, (byte) 203, 0, 113, 2};
        assertThat(StunAddressAttribute.parse(v))
                .contains(new InetSocketAddress(InetAddress.getByName("203.0.113.2"), 3479));
    }

    @Test
    void readsAnIpv6Address() throws Exception {
        byte[] v = new byte[20];
        v[1] = 2;
        v[2] = 0x0d;
        v[3] = (byte) 0x96;
        System.arraycopy(InetAddress.getByName("2001:db8::2").getAddress(), 0, v, 4, 16);
        assertThat(StunAddressAttribute.parse(v))
                .contains(new InetSocketAddress(InetAddress.getByName("2001:db8::2"), 3478));
    }

    @Test
    void keepsTheFamilyOfAnIpv4MappedIpv6Address() throws Exception {
        byte[] v = new byte[20];
        v[1] = 2;
        v[3] = 1;
        v[14] = (byte) 0xff;
        v[15] = (byte) 0xff;
        v[16] = (byte) 203;
        v[19] = 2;
        assertThat(StunAddressAttribute.parse(v)).hasValueSatisfying(
                a -> assertThat(a.getAddress()).isInstanceOf(java.net.Inet6Address.class));
    }

    @Test
    void ignoresTheReservedByte() {
        byte[] v = {(byte) 0xff, 1, 0x0d, (byte) 0x97, (byte) 203, 0, 113, 2};
        assertThat(StunAddressAttribute.parse(v)).isPresent();
    }

    @Test
    void rejectsAnUnknownFamily() {
        assertThat(StunAddressAttribute.parse(new byte[] {0, 3, 0x0d, (byte) 0x97, (byte) 203, 0, 113, 2}))
                .isEmpty();
    }

    @Test
    void rejectsALengthThatDoesNotFitTheFamily() {
        assertThat(StunAddressAttribute.parse(new byte[] {0, 1, 0x0d, (byte) 0x97, (byte) 203, 0, 113})).isEmpty();
        assertThat(StunAddressAttribute.parse(new byte[] {0, 1, 0x0d, (byte) 0x97, (byte) 203, 0, 113, 2, 0}))
                .isEmpty();
        byte[] v6AsV4 = new byte[20];
        v6AsV4[1] = 1;
        v6AsV4[3] = 1;
        assertThat(StunAddressAttribute.parse(v6AsV4)).isEmpty();
        byte[] v4AsV6 = {0, 2, 0x0d, (byte) 0x97, (byte) 203, 0, 113, 2};
        assertThat(StunAddressAttribute.parse(v4AsV6)).isEmpty();
    }

    @Test
    void rejectsPortZero() {
        assertThat(StunAddressAttribute.parse(new byte[] {0, 1, 0, 0, (byte) 203, 0, 113, 2})).isEmpty();
    }

    @Test
    void rejectsTooShortOrMissingValues() {
        assertThat(StunAddressAttribute.parse(null)).isEmpty();
        for (int n = 0; n < 4; n++) {
            assertThat(StunAddressAttribute.parse(new byte[n])).isEmpty();
        }
    }
}
