package org.securep2p.transport;

import java.util.Base64;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.transport.ConnectionCodeFixtures.seeded;

/** ICE credentials: RFC 8445 lengths and characters, random from the injected source, password never shown. */
class IceCredentialsTest {

    @Test
    void ufragAndPasswordAreIceStringsOfTheRightLength() {
        for (long seed = 0; seed < 200; seed++) {
            IceCredentials c = IceCredentials.generate(seeded(seed));
            // RFC 8445 section 15.4: ice-char = ALPHA / DIGIT / "+" / "/"; ufrag 4..256, password 22..256.
            assertThat(c.ufrag()).hasSize(8).matches("[A-Za-z0-9+/]{8}");
            assertThat(c.password()).hasSize(24).matches("[A-Za-z0-9+/]{24}");
            assertThat(Base64.getDecoder().decode(c.ufrag())).isEqualTo(c.ufragBytes());
            assertThat(Base64.getDecoder().decode(c.password())).isEqualTo(c.passwordBytes());
        }
    }

    @Test
    void comesFromTheInjectedRandom() {
        assertThat(IceCredentials.generate(seeded(7))).isEqualTo(IceCredentials.generate(seeded(7)));
        Set<String> ufrags = new HashSet<>();
        for (long seed = 0; seed < 100; seed++) {
            ufrags.add(IceCredentials.generate(seeded(seed)).ufrag());
        }
        assertThat(ufrags).hasSize(100);
    }

    @Test
    void knownAnswer() {
        IceCredentials c = IceCredentials.fromBytes(ConnectionCodeFixtures.bytes(6, 1),
                ConnectionCodeFixtures.bytes(18, 0x11));
        assertThat(c.ufrag()).isEqualTo("AQIDBAUG");
        assertThat(c.password()).isEqualTo("ERITFBUWFxgZGhscHR4fICEi");
    }

    @Test
    void toStringShowsUfragButNeverThePassword() {
        IceCredentials c = IceCredentials.generate(seeded(3));
        assertThat(c.toString()).contains(c.ufrag()).doesNotContain(c.password());
    }

    @Test
    void equalityNeedsBothParts() {
        IceCredentials a = IceCredentials.fromBytes(ConnectionCodeFixtures.bytes(6, 1),
                ConnectionCodeFixtures.bytes(18, 0x11));
        assertThat(a).isEqualTo(IceCredentials.fromBytes(ConnectionCodeFixtures.bytes(6, 1),
                ConnectionCodeFixtures.bytes(18, 0x11)));
        assertThat(a).isNotEqualTo(IceCredentials.fromBytes(ConnectionCodeFixtures.bytes(6, 1),
                ConnectionCodeFixtures.bytes(18, 0x12)));
        assertThat(a).isNotEqualTo(IceCredentials.fromBytes(ConnectionCodeFixtures.bytes(6, 2),
                ConnectionCodeFixtures.bytes(18, 0x11)));
    }

    @Test
    void copiesBytesInAndOut() {
        byte[] ufrag = ConnectionCodeFixtures.bytes(6, 1);
        IceCredentials c = IceCredentials.fromBytes(ufrag, ConnectionCodeFixtures.bytes(18, 0x11));
        ufrag[0] = 99;
        c.ufragBytes()[1] = 99;
        assertThat(c.ufrag()).isEqualTo("AQIDBAUG");
    }

    @Test
    void rejectsWrongLengths() {
        assertThatThrownBy(() -> IceCredentials.fromBytes(new byte[5], new byte[18]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IceCredentials.fromBytes(new byte[6], new byte[16]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void connectorCredentialsAreDerivedFromTheOfferAlone() {
        IceCredentials offer = IceCredentials.generate(new java.security.SecureRandom());
        IceCredentials a = IceCredentials.derivedForConnector(offer);
        IceCredentials b = IceCredentials.derivedForConnector(IceCredentials.fromBytes(offer.ufragBytes(),
                offer.passwordBytes()));
        assertThat(a.ufrag()).isEqualTo(b.ufrag());
        assertThat(a.password()).isEqualTo(b.password());
        assertThat(a.password()).isNotEqualTo(offer.password());
        assertThat(a.ufrag()).isNotEqualTo(offer.ufrag());
    }
}
