package org.securep2p.ratchet;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Header} and {@link WireMessage} compare by value (every field), keep their hash codes consistent with
 * that, copy their arrays in and out, and print sizes, never bytes.
 */
class WireTypesTest {

    private static byte[] filled(int length, int b) {
        byte[] a = new byte[length];
        Arrays.fill(a, (byte) b);
        return a;
    }

    @Test
    void headersWithTheSameFieldsAreEqualAndAnyDifferingFieldMakesThemUnequal() {
        Header h = new Header(filled(32, 1), 3, 4, null, filled(1568, 2));
        Header same = new Header(filled(32, 1), 3, 4, null, filled(1568, 2));
        assertThat(h).isEqualTo(same).hasSameHashCodeAs(same);
        assertThat(h).isNotEqualTo(new Header(filled(32, 9), 3, 4, null, filled(1568, 2)));
        assertThat(h).isNotEqualTo(new Header(filled(32, 1), 4, 4, null, filled(1568, 2)));
        assertThat(h).isNotEqualTo(new Header(filled(32, 1), 3, 5, null, filled(1568, 2)));
        assertThat(h).isNotEqualTo(new Header(filled(32, 1), 3, 4, filled(1568, 3), filled(1568, 2)));
        assertThat(h).isNotEqualTo(new Header(filled(32, 1), 3, 4, null, null));
    }

    @Test
    void aHeaderDecodesToAnEqualHeader() throws Exception {
        Header h = new Header(filled(32, 1), 3, 4, filled(1568, 3), null);
        assertThat(Header.decode(h.encode(), true)).isEqualTo(h);
    }

    @Test
    void aHeaderIsNotChangedThroughTheArraysItWasGivenOrGave() {
        byte[] dh = filled(32, 1);
        Header h = new Header(dh, 0, 0, null, null);
        dh[0] = 9;
        h.dh()[1] = 9;
        assertThat(h.dh()).containsOnly(1);
    }

    @Test
    void headerToStringShowsNumbersNotKeys() {
        assertThat(new Header(filled(32, 0xAB), 3, 4, filled(1568, 0xCD), null).toString())
                .isEqualTo("Header[pn=3, n=4, KEM public key]");
    }

    @Test
    void wireMessagesCompareEveryFieldAndRoundTrip() throws Exception {
        WireMessage m = new WireMessage(SecurityLevel.ENHANCED, filled(40, 1), filled(32, 2), filled(20, 3));
        assertThat(WireMessage.decode(m.encode())).isEqualTo(m).hasSameHashCodeAs(m);
        assertThat(m).isNotEqualTo(new WireMessage(SecurityLevel.QUANTUM_RESISTANT, filled(40, 1), filled(32, 2),
                filled(20, 3)));
        assertThat(m).isNotEqualTo(new WireMessage(SecurityLevel.ENHANCED, filled(40, 9), filled(32, 2), filled(20, 3)));
        assertThat(m).isNotEqualTo(new WireMessage(SecurityLevel.ENHANCED, filled(40, 1), filled(32, 9), filled(20, 3)));
        assertThat(m).isNotEqualTo(new WireMessage(SecurityLevel.ENHANCED, filled(40, 1), filled(32, 2), filled(20, 9)));
        assertThat(m.toString()).isEqualTo("WireMessage[ENHANCED, header field 40 bytes, body 20 bytes]");
    }
}
