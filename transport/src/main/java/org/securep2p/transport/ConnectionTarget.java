package org.securep2p.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.Optional;

import static org.securep2p.transport.ConnectionCode.bad;

/**
 * What the user pasted to connect: either a {@link ConnectionCode} or a bare address ({@code host:port},
 * {@code 1.2.3.4:port}, {@code [2001:db8::1]:port}). A bare address carries no fingerprint, so trusting it is
 * trust on first use; telling the user so is the caller's job. Exactly one of {@link #code()} and
 * {@link #bareAddress()} is present.
 *
 * <p>Parsing never touches the network: an IP literal is parsed by hand into its bytes, and a host name is
 * checked for syntax only and kept unresolved ({@link InetSocketAddress#createUnresolved}), so it is resolved
 * later, when connecting, by whoever decides how.
 *
 * <p>What is tolerated around the text, because chat apps and people add it: whitespace (including
 * no-break and zero-width spaces), and any number of matched wrapping pairs: straight and typographic
 * quotes ({@code "} {@code '} {@code “”} {@code ‘’} {@code „“} {@code «»} {@code ‹›}), backticks (a
 * Markdown {@code `code`} or a fenced block) and angle brackets ({@code <...>}, as mail clients and
 * Slack wrap links), and inside them the marker lines printed around a code ({@link CodeMarkers}). Nothing else
 * is stripped: a lone quote, or a sentence around the code, is an error.
 */
public final class ConnectionTarget {

    /** Opening and closing characters of the wrappers stripped around the pasted text, pair by pair. */
    private static final String WRAP_OPEN = "\"'`<\u201C\u2018\u201E\u00AB\u2039";
    private static final String WRAP_CLOSE = "\"'`>\u201D\u2019\u201C\u00BB\u203A";

    /** RFC 1035's limits on a host name, so a pasted paragraph is not taken for one. */
    private static final int MAX_HOST_NAME = 253;
    private static final int MAX_LABEL = 63;
    /** The longest IPv6 text form: eight groups of four digits and seven colons, or the embedded-IPv4 form. */
    private static final int MAX_IPV6_TEXT = 45;

    /** What was pasted: a code or a bare address, exactly one of them (two nullable fields could say both). */
    private sealed interface Target permits Code, Bare {
    }

    private record Code(ConnectionCode code) implements Target {
        Code {
            Objects.requireNonNull(code, "code");
        }
    }

    private record Bare(InetSocketAddress address) implements Target {
        Bare {
            Objects.requireNonNull(address, "address");
        }
    }

    private final Target target;

    private ConnectionTarget(Target target) {
        this.target = target;
    }

    /**
     * Reads what was pasted: a text that starts with {@code sp2p} and has no ':' is a connection code; any
     * other is read as {@code host:port}.
     *
     * @throws TransportException {@code BAD_CODE} with a detail that says what is wrong (or
     *     {@code UNSUPPORTED_CODE_VERSION} for an intact code of another version)
     */
    public static ConnectionTarget parse(String pasted) throws TransportException {
        Objects.requireNonNull(pasted, "pasted");
        if (pasted.length() > ConnectionCode.MAX_TEXT_LENGTH) {
            throw bad("too long: " + pasted.length() + " characters, a code has at most "
                    + ConnectionCode.MAX_TEXT_LENGTH);
        }
        int from = 0;
        int to = pasted.length();
        while (true) {
            while (from < to && ConnectionCode.isBlank(pasted.charAt(from))) {
                from++;
            }
            while (to > from && ConnectionCode.isBlank(pasted.charAt(to - 1))) {
                to--;
            }
            int pair = to - from >= 2 ? WRAP_OPEN.indexOf(pasted.charAt(from)) : -1;
            if (pair < 0 || pasted.charAt(to - 1) != WRAP_CLOSE.charAt(pair)) {
                break;
            }
            from++;
            to--;
        }
        int[] inside = CodeMarkers.inside(pasted, from, to);
        from = inside[0];
        to = inside[1];
        if (from == to) {
            throw bad("empty: nothing was pasted");
        }
        String s = pasted.substring(from, to);
        if (s.regionMatches(true, 0, ConnectionCode.MAGIC, 0, ConnectionCode.MAGIC.length())
                && s.indexOf(':') < 0) {
            return new ConnectionTarget(new Code(ConnectionCode.parse(pasted, from, to)));
        }
        return new ConnectionTarget(new Bare(parseHostPort(pasted, from, to)));
    }

    /** The connection code, if that is what was pasted. */
    public Optional<ConnectionCode> code() {
        return target instanceof Code c ? Optional.of(c.code()) : Optional.empty();
    }

    /**
     * The bare address, if that is what was pasted: resolved if it was an IP literal, unresolved (never looked
     * up here) if it was a host name. The port is in 1..65535.
     */
    public Optional<InetSocketAddress> bareAddress() {
        return target instanceof Bare b ? Optional.of(b.address()) : Optional.empty();
    }

    private static InetSocketAddress parseHostPort(String text, int from, int to) throws TransportException {
        String host;
        int portStart;
        if (text.charAt(from) == '[') {
            int close = text.indexOf(']', from);
            if (close < 0 || close >= to) {
                throw bad("missing ']' after the IPv6 address: write [address]:port");
            }
            String literal = text.substring(from + 1, close);
            byte[] v6 = parseIpv6(literal);
            if (v6 == null) {
                throw bad("not a valid IPv6 address between '[' and ']'");
            }
            if (close + 1 == to) {
                throw bad("missing port: write [address]:port");
            }
            if (text.charAt(close + 1) != ':') {
                throw ConnectionCode.unexpected(text, close + 1, "expected ':' and the port after ']'");
            }
            return literalAddress(v6, parsePort(text, close + 2, to));
        }
        if (text.substring(from, to).contains("://")) {
            // A link (https://...) is not an address; its "port" would be reported as a bad number otherwise.
            throw bad("not a connection code or host:port");
        }
        int colon = text.lastIndexOf(':', to - 1);
        if (colon < from) {
            if (looksLikeHost(text.substring(from, to))) {
                throw bad("missing port: write host:port");
            }
            throw bad("not a connection code or host:port");
        }
        host = text.substring(from, colon);
        portStart = colon + 1;
        if (host.indexOf(':') >= 0) {
            if (parseIpv6(text.substring(from, to)) != null || parseIpv6(host) != null) {
                throw bad("an IPv6 address needs brackets: write [address]:port");
            }
            throw bad("not a connection code or host:port");
        }
        if (host.isEmpty()) {
            throw bad("missing host before ':'");
        }
        if (isDottedNumeric(host)) {
            byte[] v4 = parseIpv4(host);
            if (v4 == null) {
                throw bad("not a valid IPv4 address: four numbers 0..255 separated by dots");
            }
            return literalAddress(v4, parsePort(text, portStart, to));
        }
        if (!looksLikeHost(host)) {
            throw bad("not a connection code or host:port");
        }
        if (!isHostName(host)) {
            throw bad("not a valid host name: letters, digits and '-' in dot-separated labels of at most "
                    + MAX_LABEL + " characters, the last not all digits");
        }
        return InetSocketAddress.createUnresolved(host, parsePort(text, portStart, to));
    }

    private static InetSocketAddress literalAddress(byte[] address, int port) throws TransportException {
        InetAddress a;
        try {
            // A 4- or 16-byte array: no lookup happens.
            a = InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new AssertionError("address length was checked", e);
        }
        if (a.isAnyLocalAddress()) {
            throw bad("the unspecified address " + a.getHostAddress() + " is not a destination");
        }
        if (a.isMulticastAddress()) {
            throw bad("a multicast address is not a peer");
        }
        return new InetSocketAddress(a, port);
    }

    private static int parsePort(String text, int from, int to) throws TransportException {
        if (from == to) {
            throw bad("missing port after ':'");
        }
        int port = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw ConnectionCode.unexpected(text, i, "a port is a number from 1 to 65535");
            }
            if (i - from >= 5) {
                throw bad("port out of range: " + text.substring(from, to) + " (1 to 65535)");
            }
            port = port * 10 + (c - '0');
        }
        if (port == 0) {
            throw bad("port 0 is not a destination: use a port from 1 to 65535");
        }
        if (port > 0xFFFF) {
            throw bad("port out of range: " + port + " (1 to 65535)");
        }
        return port;
    }

    /** Whether it is made only of host-name and IP-literal characters: then an error can be specific. */
    private static boolean looksLikeHost(String s) {
        if (s.isEmpty() || s.length() > MAX_HOST_NAME + 1) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(isAsciiLetterOrDigit(c) || c == '-' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDottedNumeric(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c == '.' || (c >= '0' && c <= '9'))) {
                return false;
            }
        }
        return true;
    }

    /**
     * RFC 1123 host name syntax: labels of 1..63 letters, digits and inner hyphens, at most 253 characters, an
     * optional final dot; the last label is not all digits (RFC 3696 section 2), so that "1.2.3" or "1.2.3.4.5"
     * is never taken for a name.
     */
    private static boolean isHostName(String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (h.isEmpty() || h.length() > MAX_HOST_NAME) {
            return false;
        }
        String[] labels = h.split("\\.", -1);
        for (String label : labels) {
            if (label.isEmpty() || label.length() > MAX_LABEL
                    || label.charAt(0) == '-' || label.charAt(label.length() - 1) == '-') {
                return false;
            }
        }
        return !isDottedNumeric(labels[labels.length - 1]);
    }

    /** Dotted decimal, exactly four parts of 0..255 with no leading zeros (which some parsers read as octal). */
    static byte[] parseIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0') || !isDottedNumeric(p)
                    || p.indexOf('.') >= 0) {
                return null;
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return null;
            }
            out[i] = (byte) v;
        }
        return out;
    }

    /**
     * RFC 4291 section 2.2 text forms: eight groups of 1..4 hex digits, at most one "::" standing for one or
     * more zero groups, and optionally a dotted IPv4 address as the last 32 bits. No zone ("%eth0"): a zone
     * names one of our interfaces and means nothing in a pasted address.
     */
    static byte[] parseIpv6(String s) {
        if (s.isEmpty() || s.length() > MAX_IPV6_TEXT) {
            return null;
        }
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        int[] head = gap >= 0 ? groups(s.substring(0, gap), false) : groups(s, true);
        int[] tail = gap >= 0 ? groups(s.substring(gap + 2), true) : new int[0];
        if (head == null || tail == null) {
            return null;
        }
        int used = head.length + tail.length;
        if (gap >= 0 ? used > 7 : used != 8) {
            return null;
        }
        byte[] out = new byte[16];
        for (int i = 0; i < head.length; i++) {
            out[2 * i] = (byte) (head[i] >>> 8);
            out[2 * i + 1] = (byte) head[i];
        }
        int base = 8 - tail.length;
        for (int i = 0; i < tail.length; i++) {
            out[2 * (base + i)] = (byte) (tail[i] >>> 8);
            out[2 * (base + i) + 1] = (byte) tail[i];
        }
        return out;
    }

    /** The 16-bit groups of a colon-separated run, an embedded IPv4 address counting as two; null if invalid. */
    private static int[] groups(String run, boolean ipv4Allowed) {
        if (run.isEmpty()) {
            return new int[0];
        }
        String[] parts = run.split(":", -1);
        boolean endsInIpv4 = ipv4Allowed && parts[parts.length - 1].indexOf('.') >= 0;
        int[] out = new int[parts.length + (endsInIpv4 ? 1 : 0)];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (endsInIpv4 && i == parts.length - 1) {
                byte[] v4 = parseIpv4(p);
                if (v4 == null) {
                    return null;
                }
                out[i] = ((v4[0] & 0xFF) << 8) | (v4[1] & 0xFF);
                out[i + 1] = ((v4[2] & 0xFF) << 8) | (v4[3] & 0xFF);
                continue;
            }
            if (p.isEmpty() || p.length() > 4) {
                return null;
            }
            int v = 0;
            for (int k = 0; k < p.length(); k++) {
                int d = Character.digit(p.charAt(k), 16);
                if (d < 0 || p.charAt(k) > 0x7F) {
                    return null;
                }
                v = (v << 4) | d;
            }
            out[i] = v;
        }
        return out;
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ConnectionTarget t)) {
            return false;
        }
        return code().equals(t.code()) && bareAddress().equals(t.bareAddress());
    }

    @Override
    public int hashCode() {
        // The same value as before the sealed type: the hash of the (code, address) pair, one of them null.
        return Objects.hash(code().orElse(null), bareAddress().orElse(null));
    }

    /** The code's summary (never its password) or the bare address. */
    @Override
    public String toString() {
        return target instanceof Code c ? "ConnectionTarget[" + c.code() + "]"
                : "ConnectionTarget[" + ((Bare) target).address() + "]";
    }
}
