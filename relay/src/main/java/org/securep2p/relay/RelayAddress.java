package org.securep2p.relay;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a relay is and which key it must present: {@code wss://HOST:PORT/#FINGERPRINT}, the fingerprint being the
 * SHA-256 of the DER SubjectPublicKeyInfo of the relay's TLS key in 64 lower-case hex digits (PROTOCOL.md §22.2).
 * A client connects to nothing that does not present exactly that key. Immutable; equal addresses name the same
 * host, port and key.
 */
public final class RelayAddress {

    /** Longest accepted text form (a host name is at most 253 characters). */
    public static final int MAX_TEXT = 340;
    public static final int FINGERPRINT_LENGTH = 32;

    private final String host;
    private final int port;
    private final byte[] fingerprint;

    public RelayAddress(String host, int port, byte[] fingerprint) {
        this.host = Objects.requireNonNull(host, "host");
        if (!validHost(host)) {
            throw new IllegalArgumentException("a relay host is 1..253 characters, no space, '/', '@', '#' or ']'");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("a relay port is 1..65535");
        }
        if (fingerprint == null || fingerprint.length != FINGERPRINT_LENGTH) {
            throw new IllegalArgumentException("a relay fingerprint is 32 bytes");
        }
        this.port = port;
        this.fingerprint = fingerprint.clone();
    }

    /**
     * Reads {@code wss://HOST:PORT/#FINGERPRINT} (an IPv6 host in brackets; upper-case hex accepted). Anything else,
     * including a missing fingerprint, is refused with a sentence saying what is wrong.
     */
    public static RelayAddress parse(String text) throws RelayException {
        if (text == null || text.isEmpty() || text.length() > MAX_TEXT) {
            throw bad("a relay address is wss://HOST:PORT/#FINGERPRINT");
        }
        String t = text.trim();
        if (!t.regionMatches(true, 0, "wss://", 0, 6)) {
            throw bad("a relay address starts with wss:// (the relay speaks only TLS)");
        }
        int hash = t.indexOf('#');
        if (hash < 0) {
            throw bad("the relay address has no #FINGERPRINT: ask the relay's owner for the full address it printed");
        }
        String authority = t.substring(6, hash);
        if (authority.endsWith("/")) {
            authority = authority.substring(0, authority.length() - 1);
        }
        String fp = t.substring(hash + 1).toLowerCase(Locale.ROOT);
        // ASCII only: Character.digit also accepts other scripts' digits, which HexFormat then refuses unchecked.
        if (fp.length() != 2 * FINGERPRINT_LENGTH
                || !fp.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw bad("the relay fingerprint is 64 hex digits");
        }
        String host;
        String portText;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0 || close + 1 >= authority.length() || authority.charAt(close + 1) != ':') {
                throw bad("a relay address needs HOST:PORT");
            }
            host = authority.substring(1, close);
            portText = authority.substring(close + 2);
        } else {
            int colon = authority.lastIndexOf(':');
            if (colon <= 0 || authority.indexOf(':') != colon) {
                throw bad("a relay address needs HOST:PORT");
            }
            host = authority.substring(0, colon);
            portText = authority.substring(colon + 1);
        }
        if (!validHost(host)) {
            throw bad("the relay host is not a host name or address");
        }
        // Digits only, at most 5: parseInt alone would take "+443" and other scripts' digits.
        if (portText.isEmpty() || portText.length() > 5 || !portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad("the relay port is not a number");
        }
        int port = Integer.parseInt(portText);
        if (port < 1 || port > 65_535) {
            throw bad("the relay port is 1..65535");
        }
        return new RelayAddress(host, port, HexFormat.of().parseHex(fp));
    }

    private static boolean validHost(String host) {
        return !host.isEmpty() && host.length() <= 253
                && host.chars().noneMatch(c -> c <= ' ' || c == '/' || c == '@' || c == '#' || c == ']' || c == '['
                        || c == 0x7f);
    }

    private static RelayException bad(String sentence) {
        return new RelayException(RelayException.Reason.BAD_FRAME, sentence + ".");
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** SHA-256 of the relay's TLS SubjectPublicKeyInfo. */
    public byte[] fingerprint() {
        return fingerprint.clone();
    }

    /** Whether {@code spkiSha256} is this relay's key (constant time). */
    public boolean matches(byte[] spkiSha256) {
        return spkiSha256 != null && MessageDigest.isEqual(fingerprint, spkiSha256);
    }

    /** The WebSocket URI the client opens (without the fingerprint, which is not sent). */
    public String webSocketUri() {
        return "wss://" + hostForUri() + ":" + port + "/v1";
    }

    private String hostForUri() {
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    /** The text form {@link #parse} reads back. */
    @Override
    public String toString() {
        return "wss://" + hostForUri() + ":" + port + "/#" + HexFormat.of().formatHex(fingerprint);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RelayAddress other && port == other.port && host.equalsIgnoreCase(other.host)
                && MessageDigest.isEqual(fingerprint, other.fingerprint);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host.toLowerCase(Locale.ROOT), port, java.util.Arrays.hashCode(fingerprint));
    }
}
