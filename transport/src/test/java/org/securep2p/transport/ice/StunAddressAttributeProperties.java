package org.securep2p.transport.ice;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import static org.assertj.core.api.Assertions.assertThat;

/** OTHER-ADDRESS / RESPONSE-ORIGIN values from a server are untrusted bytes: never a throw, only exact layouts. */
class StunAddressAttributeProperties {

    @Property
    void arbitraryBytesNeverThrowAndOnlyExactLayoutsAreRead(@ForAll @Size(max = 40) byte[] value) {
        Optional<InetSocketAddress> a = StunAddressAttribute.parse(value);
        if (a.isPresent()) {
            int family = value[1];
            assertThat(value.length).isEqualTo(family == 1 ? 8 : 20);
            assertThat(a.get().getPort()).isEqualTo(((value[2] & 0xff) << 8) | (value[3] & 0xff)).isNotZero();
            assertThat(a.get().getAddress().getAddress()).isEqualTo(Arrays.copyOfRange(value, 4, value.length));
        }
    }

    @Property
    void everyWellFormedIpv4ValueIsRead(@ForAll byte reserved, @ForAll @IntRange(min = 1, max = 65535) int port,
            @ForAll @Size(4) byte[] address) {
        byte[] value = ByteBuffer.allocate(8).put(reserved).put((byte) 1).putShort((short) port).put(address).array();
        assertThat(StunAddressAttribute.parse(value)).hasValueSatisfying(a -> {
            assertThat(a.getPort()).isEqualTo(port);
            assertThat(a.getAddress().getAddress()).isEqualTo(address);
        });
    }
}
