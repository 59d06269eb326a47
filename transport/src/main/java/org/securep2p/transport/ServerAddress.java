package org.securep2p.transport;

import java.util.Objects;

import static org.securep2p.transport.TransportException.Reason.CONFIG_INVALID;

/**
 * A STUN or TURN server as the user wrote it: a host name or literal address and a UDP port. Names are kept
 * as names (resolved only when used), so the settings show what the user chose.
 */
public final class ServerAddress {

    /** The IANA port for STUN and TURN over UDP. */
    public static final int DEFAULT_PORT = 3478;

    private final String host;
    private final int port;

    private ServerAddress(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /** Parses {@code host}, {@code host:port}, {@code [v6]:port} or a bare IPv6 literal. */
    public static ServerAddress parse(String text) throws TransportException {
        String s = Objects.requireNonNull(text, "text").trim();
        if (s.startsWith("stun:") || s.startsWith("turn:")) {
            s = s.substring(5);
        }
        if (s.isEmpty()) {
            throw new TransportException(CONFIG_INVALID, "empty server address");
        }
        String host;
        String portText = null;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new TransportException(CONFIG_INVALID, "unclosed '[' in server address '" + s + "'");
            }
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new TransportException(CONFIG_INVALID, "expected ':port' after ']' in '" + s + "'");
                }
                portText = rest.substring(1);
            }
        } else if (s.indexOf(':') != s.lastIndexOf(':')) {
            host = s; // a bare IPv6 literal
        } else {
            int colon = s.indexOf(':');
            host = colon < 0 ? s : s.substring(0, colon);
            portText = colon < 0 ? null : s.substring(colon + 1);
        }
        if (host.isEmpty() || !host.matches("[A-Za-z0-9.:%-]+")) {
            throw new TransportException(CONFIG_INVALID, "not a host name or address: '" + host + "'");
        }
        int port = DEFAULT_PORT;
        if (portText != null) {
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                throw new TransportException(CONFIG_INVALID, "port is not a number in '" + s + "'");
            }
            if (port < 1 || port > 65535) {
                throw new TransportException(CONFIG_INVALID, "port " + port + " is outside 1..65535");
            }
        }
        return new ServerAddress(host, port);
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ServerAddress a && a.host.equalsIgnoreCase(host) && a.port == port;
    }

    @Override
    public int hashCode() {
        return host.toLowerCase(java.util.Locale.ROOT).hashCode() * 31 + port;
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
