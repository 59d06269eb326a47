package org.securep2p.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Relay addresses (PROTOCOL.md §22.2): {@code wss://HOST:PORT/#FINGERPRINT}, parsed strictly. */
class RelayAddressTest {

    private static final String FP = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    @Property
    void formatThenParseIsTheSameAddress(@ForAll("addresses") RelayAddress a) throws RelayException {
        RelayAddress back = RelayAddress.parse(a.toString());
        assertThat(back).isEqualTo(a);
        assertThat(back.toString()).isEqualTo(a.toString());
        assertThat(back.hashCode()).isEqualTo(a.hashCode());
    }

    @Property
    void anyTextEitherParsesAndRoundTripsOrIsRefusedWithASentence(@ForAll("nearMisses") String text) {
        try {
            RelayAddress a = RelayAddress.parse(text);
            assertThat(RelayAddress.parse(a.toString())).isEqualTo(a);
        } catch (RelayException e) {
            assertThat(e.getMessage()).endsWith(".").doesNotContain(FP);
        }
    }

    @Test
    void anIpv6HostIsInBrackets() throws RelayException {
        RelayAddress a = RelayAddress.parse("wss://[::1]:8443/#" + FP);
        assertThat(a.host()).isEqualTo("::1");
        assertThat(a.port()).isEqualTo(8443);
        assertThat(a.toString()).isEqualTo("wss://[::1]:8443/#" + FP);
        assertThat(a.webSocketUri()).isEqualTo("wss://[::1]:8443/v1");
    }

    @Test
    void upperCaseHexAndNoSlashAreAccepted() throws RelayException {
        RelayAddress a = RelayAddress.parse("wss://relay.example:443#" + FP.toUpperCase(java.util.Locale.ROOT));
        assertThat(a.fingerprint()).isEqualTo(HexFormat.of().parseHex(FP));
        assertThat(a.toString()).isEqualTo("wss://relay.example:443/#" + FP);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "wss://relay.example:443/|no #FINGERPRINT",
        "https://relay.example:443/#" + FP + "|starts with wss://",
        "http://relay.example:443/#" + FP + "|starts with wss://",
        "ws://relay.example:443/#" + FP + "|starts with wss://",
        "wss://relay.example/#" + FP + "|needs HOST:PORT",
        "wss://relay.example:0/#" + FP + "|port is 1..65535",
        "wss://relay.example:65536/#" + FP + "|port is 1..65535",
        "wss://relay.example:+443/#" + FP + "|port is not a number",
        "wss://relay.example:٤٤٣/#" + FP + "|port is not a number",
        "wss://relay.example:4a3/#" + FP + "|port is not a number",
        "wss://relay.example:443/#00112233|fingerprint is 64 hex digits",
        "wss://relay.example:443/#" + "٣" + "0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
                + "|fingerprint is 64 hex digits",
        "wss://::1:443/#" + FP + "|needs HOST:PORT",
        "wss://[::1]/#" + FP + "|needs HOST:PORT",
        "wss://user@relay.example:443/#" + FP + "|not a host name",
        "wss://relay.example:443/v1/#" + FP + "|port is not a number",
    })
    void aBadAddressIsRefusedWithASentence(String text, String sentence) {
        assertThatThrownBy(() -> RelayAddress.parse(text)).isInstanceOf(RelayException.class)
                .hasMessageContaining(sentence).hasMessageEndingWith(".");
    }

    @Test
    void matchesOnlyItsOwnFingerprint() throws RelayException {
        RelayAddress a = RelayAddress.parse("wss://127.0.0.1:1/#" + FP);
        byte[] fp = HexFormat.of().parseHex(FP);
        assertThat(a.matches(fp)).isTrue();
        fp[31] ^= 1;
        assertThat(a.matches(fp)).isFalse();
        assertThat(a.matches(null)).isFalse();
    }

    @Provide
    Arbitrary<RelayAddress> addresses() {
        Arbitrary<String> dns = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789-.")
                .ofMinLength(1).ofMaxLength(253);
        Arbitrary<String> ipv4 = Arbitraries.integers().between(0, 255).list().ofSize(4)
                .map(l -> String.join(".", l.stream().map(String::valueOf).toList()));
        Arbitrary<String> ipv6 = Arbitraries.integers().between(0, 0xffff).list().ofSize(8)
                .map(l -> String.join(":", l.stream().map(Integer::toHexString).toList()));
        Arbitrary<String> hosts = Arbitraries.oneOf(dns, ipv4, ipv6, Arbitraries.of("::1", "localhost", "fe80::1"));
        return Combinators.combine(hosts, Arbitraries.integers().between(1, 65_535),
                Arbitraries.bytes().array(byte[].class).ofSize(32)).as(RelayAddress::new);
    }

    /** Valid addresses with one character changed, dropped or added. */
    @Provide
    Arbitrary<String> nearMisses() {
        Arbitrary<Character> chars = Arbitraries.oneOf(Arbitraries.of(':', '/', '#', '[', ']', '@', ' ', '+', '٣'),
                Arbitraries.chars());
        return Combinators.combine(addresses().map(RelayAddress::toString), Arbitraries.integers().between(0, 400),
                chars, Arbitraries.integers().between(0, 2)).as((t, at, c, how) -> {
                    int i = at % (t.length() + 1);
                    return switch (how) {
                        case 0 -> t.substring(0, i) + c + t.substring(i);
                        case 1 -> i < t.length() ? t.substring(0, i) + t.substring(i + 1) : t;
                        default -> i < t.length() ? t.substring(0, i) + c + t.substring(i + 1) : t;
                    };
                });
    }
}
