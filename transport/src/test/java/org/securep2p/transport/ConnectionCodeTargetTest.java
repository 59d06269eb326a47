package org.securep2p.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.securep2p.transport.ConnectionCodeFixtures.detail;
import static org.securep2p.transport.ConnectionCodeFixtures.sampleCodes;
import static org.securep2p.transport.TransportException.Reason.BAD_CODE;

/**
 * {@link ConnectionTarget}: what the user pasted, a code or a bare {@code host:port}, read without touching the
 * network. (Named ConnectionCode* so that it runs with the connection-code tests.)
 */
class ConnectionCodeTargetTest {

    @Test
    void readsACode() throws Exception {
        for (ConnectionCode code : sampleCodes()) {
            ConnectionTarget t = ConnectionTarget.parse(code.text());
            assertThat(t.code()).contains(code);
            assertThat(t.bareAddress()).isEmpty();
            assertThat(t).isEqualTo(ConnectionTarget.parse(code.text().toLowerCase(java.util.Locale.ROOT)));
        }
    }

    @Test
    void stripsWhitespaceAndWrappersChatAppsAdd() throws Exception {
        ConnectionCode code = sampleCodes().get(0);
        String text = code.text();
        List<String> wrapped = List.of(
                "  " + text + "\n",
                "\"" + text + "\"",
                "'" + text + "'",
                "`" + text + "`",
                "```\n" + text + "\n```",
                "<" + text + ">",
                "\u201C" + text + "\u201D",
                "\u2018" + text + "\u2019",
                "\u201E" + text + "\u201C",
                "\u00AB " + text + " \u00BB",
                "\u2039" + text + "\u203A",
                "\u200B\u00A0`<" + text + ">`\u00A0",
                "\"" + text.replace("-", "\n") + "\"");
        for (String w : wrapped) {
            assertThat(ConnectionTarget.parse(w).code()).as(w).contains(code);
        }
    }

    @Test
    void rejectsUnmatchedWrapper() {
        String text = sampleCodes().get(0).text();
        assertThat(rejection("\"" + text).reason()).isEqualTo(BAD_CODE);
        assertThat(detail(rejection("`" + text + "'"))).isEqualTo("not a connection code or host:port");
    }

    @Test
    void reportsCodeErrorsWithPositionsInWhatWasPasted() {
        String text = sampleCodes().get(0).text();
        String pasted = "  \"" + text.substring(0, 10) + "U" + text.substring(11) + "\"";
        assertThat(detail(rejection(pasted))).startsWith("unexpected character 'U' at position 14:");
        assertThat(detail(rejection("`" + text.substring(0, text.length() - 3) + "`"))).startsWith(
                "truncated: 3 characters missing");
    }

    @Test
    void readsIpv4Literal() throws Exception {
        InetSocketAddress a = bare("203.0.113.9:4433");
        assertThat(a.isUnresolved()).isFalse();
        assertThat(a.getAddress().getAddress()).containsExactly(203, 0, 113, 9);
        assertThat(a.getPort()).isEqualTo(4433);
        assertThat(bare("127.0.0.1:1").getPort()).isEqualTo(1);
        assertThat(bare("255.255.255.254:65535").getPort()).isEqualTo(65535);
    }

    @Test
    void readsBracketedIpv6Literal() throws Exception {
        assertThat(bare("[2001:db8::1]:443")).isEqualTo(
                new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 443));
        assertThat(bare("[::1]:9").getAddress().isLoopbackAddress()).isTrue();
        assertThat(bare("[::ffff:192.0.2.1]:80").getAddress().getHostAddress()).isEqualTo("192.0.2.1");
        assertThat(bare("[FE80::A:B]:80").getAddress().getHostAddress()).isEqualTo("fe80:0:0:0:0:0:a:b");
    }

    @Test
    void keepsHostNamesUnresolved() throws Exception {
        InetSocketAddress a = bare("peer.example.invalid:4433");
        assertThat(a.isUnresolved()).isTrue();
        assertThat(a.getHostString()).isEqualTo("peer.example.invalid");
        assertThat(a.getPort()).isEqualTo(4433);
        assertThat(bare("localhost:80").isUnresolved()).isTrue();
        assertThat(bare("xn--bcher-kva.example.:80").getHostString()).isEqualTo("xn--bcher-kva.example.");
        assertThat(bare("a1-b.c2:1").isUnresolved()).isTrue();
    }

    @Test
    void aHostNameStartingWithTheCodePrefixIsAHost() throws Exception {
        assertThat(bare("sp2p.example.org:443").getHostString()).isEqualTo("sp2p.example.org");
    }

    @Test
    void rejectsGarbage() {
        for (String garbage : new String[] {"hello world", "https://example.org/", "a b:80", "foo]:80",
                "\u00E9t\u00E9.example:80", "#!:80", "foo:bar:baz"}) {
            TransportException e = rejection(garbage);
            assertThat(e.reason()).isEqualTo(BAD_CODE);
            assertThat(detail(e)).as(garbage).isEqualTo("not a connection code or host:port");
        }
    }

    @Test
    void rejectsEmpty() {
        assertThat(detail(rejection(""))).isEqualTo("empty: nothing was pasted");
        assertThat(detail(rejection(" `` \n"))).isEqualTo("empty: nothing was pasted");
    }

    @Test
    void rejectsMissingPort() {
        assertThat(detail(rejection("example.org"))).isEqualTo("missing port: write host:port");
        assertThat(detail(rejection("192.0.2.1"))).isEqualTo("missing port: write host:port");
        assertThat(detail(rejection("example.org:"))).isEqualTo("missing port after ':'");
        assertThat(detail(rejection("[2001:db8::1]"))).isEqualTo("missing port: write [address]:port");
    }

    @Test
    void rejectsMissingHost() {
        assertThat(detail(rejection(":443"))).isEqualTo("missing host before ':'");
    }

    @Test
    void rejectsPortZero() {
        assertThat(detail(rejection("192.0.2.1:0"))).isEqualTo(
                "port 0 is not a destination: use a port from 1 to 65535");
        assertThat(detail(rejection("example.org:00000"))).startsWith("port 0 is not a destination");
    }

    @Test
    void rejectsPortOutOfRange() {
        assertThat(detail(rejection("192.0.2.1:65536"))).isEqualTo("port out of range: 65536 (1 to 65535)");
        assertThat(detail(rejection("192.0.2.1:99999999999"))).isEqualTo(
                "port out of range: 99999999999 (1 to 65535)");
    }

    @Test
    void rejectsNonNumericPort() {
        assertThat(detail(rejection("example.org:http"))).isEqualTo(
                "unexpected character 'h' at position 13: a port is a number from 1 to 65535");
        assertThat(detail(rejection("example.org:-1"))).startsWith("unexpected character '-' at position 13");
        assertThat(detail(rejection("example.org:+80"))).startsWith("unexpected character '+' at position 13");
        assertThat(detail(rejection("example.org:\u0663"))).startsWith("unexpected character U+0663");
    }

    @Test
    void rejectsMalformedIpv4() {
        for (String s : new String[] {"256.1.1.1:80", "1.2.3:80", "1.2.3.4.5:80", "01.2.3.4:80", "1..3.4:80",
                "1.2.3.4.:80", "1234.1.1.1:80"}) {
            assertThat(detail(rejection(s))).as(s).isEqualTo(
                    "not a valid IPv4 address: four numbers 0..255 separated by dots");
        }
    }

    @Test
    void rejectsUnbracketedIpv6() {
        assertThat(detail(rejection("2001:db8::1:443"))).isEqualTo(
                "an IPv6 address needs brackets: write [address]:port");
        assertThat(detail(rejection("::1:443"))).isEqualTo("an IPv6 address needs brackets: write [address]:port");
    }

    @Test
    void rejectsMalformedIpv6() {
        for (String s : new String[] {"[2001:db8::1::2]:80", "[12345::1]:80", "[fe80::1%eth0]:80", "[g::1]:80",
                "[1:2:3:4:5:6:7]:80", "[1:2:3:4:5:6:7:8:9]:80", "[]:80", "[:1::]:80", "[1.2.3.4]:80"}) {
            assertThat(detail(rejection(s))).as(s).isEqualTo("not a valid IPv6 address between '[' and ']'");
        }
        assertThat(detail(rejection("[2001:db8::1"))).isEqualTo(
                "missing ']' after the IPv6 address: write [address]:port");
        assertThat(detail(rejection("[2001:db8::1]443"))).isEqualTo(
                "unexpected character '4' at position 14: expected ':' and the port after ']'");
    }

    @Test
    void rejectsMalformedHostName() {
        for (String s : new String[] {"-peer.example:80", "peer-.example:80", "a..b:80", "peer.123:80",
                "x".repeat(64) + ".example:80", "exa_mple.org:80"}) {
            TransportException e = rejection(s);
            assertThat(e.reason()).isEqualTo(BAD_CODE);
            assertThat(detail(e)).as(s).isIn("not a connection code or host:port",
                    "not a valid host name: letters, digits and '-' in dot-separated labels of at most 63 "
                            + "characters, the last not all digits");
        }
    }

    @Test
    void rejectsUnspecifiedAndMulticastDestinations() {
        assertThat(detail(rejection("0.0.0.0:80"))).isEqualTo("the unspecified address 0.0.0.0 is not a destination");
        assertThat(detail(rejection("[::]:80"))).startsWith("the unspecified address");
        assertThat(detail(rejection("224.0.0.1:80"))).isEqualTo("a multicast address is not a peer");
        assertThat(detail(rejection("[ff02::1]:80"))).isEqualTo("a multicast address is not a peer");
    }

    @Test
    void rejectsInputLongerThanAnyCode() {
        assertThat(detail(rejection(" ".repeat(3000)))).startsWith("too long: 3000 characters");
    }

    @Test
    void ipv6ParserAgreesWithTheJdkOnValidForms() throws Exception {
        for (String s : new String[] {"::", "::1", "1::", "2001:db8::", "2001:db8:0:0:0:0:2:1", "2001:db8::2:1",
                "1:2:3:4:5:6:7:8", "1:2:3:4:5:6::8", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::ffff:1.2.3.4",
                "64:ff9b::192.0.2.33", "1:2:3:4:5:6:1.2.3.4", "FFFF:ffff::aBcD"}) {
            // The JDK parses these literals itself: strings with ':' are never looked up.
            assertThat(ConnectionTarget.parseIpv6(s)).as(s).isEqualTo(ipv6Bytes(s));
        }
    }

    private static byte[] ipv6Bytes(String literal) throws Exception {
        byte[] b = InetAddress.getByName(literal).getAddress();
        if (b.length == 16) {
            return b;
        }
        // The JDK turns ::ffff:a.b.c.d into an IPv4 address; the text form is still the mapped one.
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        System.arraycopy(b, 0, mapped, 12, 4);
        return mapped;
    }

    @Test
    void toStringOfACodeTargetHidesThePassword() throws Exception {
        ConnectionCode code = sampleCodes().get(0);
        assertThat(ConnectionTarget.parse(code.text()).toString()).doesNotContain(code.credentials().password());
        assertThat(ConnectionTarget.parse("peer.example:80").toString()).contains("peer.example");
    }

    private static InetSocketAddress bare(String pasted) throws TransportException {
        ConnectionTarget t = ConnectionTarget.parse(pasted);
        assertThat(t.code()).isEmpty();
        return t.bareAddress().orElseThrow();
    }

    private static TransportException rejection(String pasted) {
        TransportException e = catchThrowableOfType(TransportException.class, () -> ConnectionTarget.parse(pasted));
        assertThat(e).as("must reject %s", pasted).isNotNull();
        return e;
    }
}
