package org.securep2p.transport;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.SeededRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Builders shared by the connection-code tests, including a second, independent writer of the PROTOCOL.md
 * section 11 layout (payload bytes by hand, base32 and CRC-32C from scratch): the rejection tests build
 * payloads with it so that the CRC is right and the inner checks are reached, and the agreement test holds the
 * production encoder to it.
 */
final class ConnectionCodeFixtures {

    static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    private ConnectionCodeFixtures() {
    }

    /** A SecureRandom whose output is fixed by {@code seed}, so every test is replayable (core-crypto's fixture). */
    static SecureRandom seeded(long seed) {
        return new SeededRandom(seed);
    }

    static Fingerprint fingerprint(int fill) {
        byte[] b = new byte[Fingerprint.LENGTH];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (fill + 7 * i);
        }
        return fingerprint(b);
    }

    static Fingerprint fingerprint(byte[] b) {
        try {
            return Fingerprint.fromBytes(b);
        } catch (CryptoException e) {
            throw new AssertionError(e);
        }
    }

    static Candidate candidate(Candidate.Type type, String literal, int port) {
        try {
            // Only literals are passed here, so getByName does not look anything up.
            return Candidate.of(type, new InetSocketAddress(InetAddress.getByName(literal), port));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static Candidate srflx4() {
        return candidate(Candidate.Type.SERVER_REFLEXIVE, "203.0.113.7", 49152);
    }

    static Candidate relay4() {
        return candidate(Candidate.Type.RELAYED, "198.51.100.20", 3478);
    }

    static Candidate srflx6() {
        return candidate(Candidate.Type.SERVER_REFLEXIVE, "2001:db8:85a3::8a2e:370:7334", 61000);
    }

    static Candidate host4() {
        return candidate(Candidate.Type.HOST, "192.168.1.23", 50000);
    }

    static Candidate host6() {
        return candidate(Candidate.Type.HOST, "fe80::1c2b:3aff:fe4d:5e6f", 50001);
    }

    static Candidate relay6() {
        return candidate(Candidate.Type.RELAYED, "2001:db8:ffff::1", 65535);
    }

    /** The typical mix the report quotes: two IPv4 candidates (srflx, relay) and one IPv6 (srflx). */
    static List<Candidate> typical() {
        return List.of(srflx4(), relay4(), srflx6());
    }

    /** Every type in both families. */
    static List<Candidate> allSix() {
        return List.of(host4(), host6(), srflx4(), srflx6(), relay4(), relay6());
    }

    /** The largest list: eight IPv6 relays. */
    static List<Candidate> eightIpv6() {
        List<Candidate> list = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            list.add(candidate(Candidate.Type.RELAYED, "2001:db8:ffff:ffff:ffff:ffff:ffff:" + Integer.toHexString(i),
                    65535 - i));
        }
        return list;
    }

    static List<List<Candidate>> candidateMixes() {
        return List.of(List.of(srflx4()), List.of(relay6()), typical(), allSix(), eightIpv6(),
                List.of(host4(), srflx4()));
    }

    static ConnectionCode offer(long seed, SecurityLevel level, List<Candidate> candidates, boolean answerNeeded) {
        return ConnectionCode.offer(fingerprint((int) seed), level, IceCredentials.generate(seeded(seed)), candidates,
                answerNeeded);
    }

    static ConnectionCode answer(ConnectionCode offer, long seed, SecurityLevel level, List<Candidate> candidates) {
        return ConnectionCode.answer(offer, fingerprint((int) seed + 99), level,
                IceCredentials.generate(seeded(seed)), candidates);
    }

    /** A handful of codes of every kind and level, for the exhaustive mutation tests. */
    static List<ConnectionCode> sampleCodes() {
        ConnectionCode typicalOffer = offer(1, SecurityLevel.QUANTUM_RESISTANT, typical(), false);
        return List.of(
                typicalOffer,
                offer(2, SecurityLevel.STANDARD, List.of(srflx4()), true),
                answer(typicalOffer, 3, SecurityLevel.ENHANCED, allSix()),
                answer(typicalOffer, 4, SecurityLevel.QUANTUM_RESISTANT, eightIpv6()),
                offer(5, SecurityLevel.QUANTUM_RESISTANT, typical(), true).withRelay(RELAY));
    }

    /** A relay address as PROTOCOL.md 22.2 writes it: 93 bytes, a typical one. */
    static final String RELAY = "wss://relay.example.org:443/#"
            + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    // ---- The independent writer of section 11.

    /** The payload of a code, field by field as PROTOCOL.md section 11.3 lists them. */
    static final class Payload {
        int version = 1;
        int kind = 1;
        int level = 3;
        int flags = 0;
        byte[] fingerprint = fingerprint(5).toBytes();
        byte[] ufrag = bytes(6, 0x11);
        byte[] password = bytes(18, 0x22);
        byte[] offerUfrag = null;
        Integer count = null;
        final List<byte[]> candidates = new ArrayList<>();
        byte[] trailing = new byte[0];
        /** Version 2's relay field, written after the candidates when set (its length first, big-endian). */
        byte[] relay = null;

        Payload version2(String relayText) {
            version = 2;
            relay = relayText.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            return this;
        }

        Payload candidate(int type, int family, byte[] address, int port) {
            ByteArrayOutputStream c = new ByteArrayOutputStream();
            c.write(type);
            c.write(family);
            c.writeBytes(address);
            c.write(port >>> 8);
            c.write(port);
            candidates.add(c.toByteArray());
            return this;
        }

        Payload ipv4(int type, int a, int b, int c, int d, int port) {
            return candidate(type, 4, new byte[] {(byte) a, (byte) b, (byte) c, (byte) d}, port);
        }

        Payload answer() {
            kind = 2;
            offerUfrag = bytes(6, 0x33);
            return this;
        }

        byte[] toBytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(version);
            out.write(kind);
            out.write(level);
            out.write(flags);
            out.writeBytes(fingerprint);
            out.writeBytes(ufrag);
            out.writeBytes(password);
            if (offerUfrag != null) {
                out.writeBytes(offerUfrag);
            }
            out.write(count != null ? count : candidates.size());
            for (byte[] c : candidates) {
                out.writeBytes(c);
            }
            if (relay != null) {
                out.write(relay.length >>> 8);
                out.write(relay.length);
                out.writeBytes(relay);
            }
            out.writeBytes(trailing);
            return out.toByteArray();
        }
    }

    /** A valid one-candidate offer payload to change one field of. */
    static Payload validPayload() {
        return new Payload().ipv4(2, 203, 0, 113, 7, 49152);
    }

    static byte[] bytes(int length, int fill) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (fill + i);
        }
        return b;
    }

    /** {@code prefix-GROUPS} with a correct length header and CRC-32C, written without the production code. */
    static String envelope(String prefix, byte[] payload) {
        byte[] body = new byte[payload.length + 6];
        body[0] = (byte) payload.length;
        body[1] = (byte) (0xFF - payload.length);
        System.arraycopy(payload, 0, body, 2, payload.length);
        CRC32C crc = new CRC32C();
        crc.update(prefix.getBytes(StandardCharsets.US_ASCII));
        crc.update(body, 0, payload.length + 2);
        long value = crc.getValue();
        for (int i = 0; i < 4; i++) {
            body[payload.length + 2 + i] = (byte) (value >>> (8 * i));
        }
        return prefix + "-" + group(base32(body));
    }

    /** RFC 4648 section 6 bit order with Crockford's symbols, bit by bit: slow and obviously right. */
    static String base32(byte[] data) {
        StringBuilder sb = new StringBuilder();
        int totalBits = data.length * 8;
        for (int start = 0; start < totalBits; start += 5) {
            int v = 0;
            for (int k = 0; k < 5; k++) {
                int bit = start + k;
                int b = bit < totalBits ? (data[bit / 8] >> (7 - bit % 8)) & 1 : 0;
                v = (v << 1) | b;
            }
            sb.append(ALPHABET.charAt(v));
        }
        return sb.toString();
    }

    static String group(String chars) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < chars.length(); i += 5) {
            if (i > 0) {
                sb.append('-');
            }
            sb.append(chars, i, Math.min(i + 5, chars.length()));
        }
        return sb.toString();
    }

    /** The body bytes (length header, payload, checksum) of a well-formed code text, decoded independently. */
    static byte[] bodyOf(String text) {
        String chars = text.substring(text.indexOf('-') + 1).replace("-", "");
        byte[] out = new byte[chars.length() * 5 / 8];
        for (int bit = 0; bit < out.length * 8; bit++) {
            int v = ALPHABET.indexOf(Character.toUpperCase(chars.charAt(bit / 5)));
            int b = (v >> (4 - bit % 5)) & 1;
            out[bit / 8] |= (byte) (b << (7 - bit % 8));
        }
        return out;
    }

    /** The payload of a well-formed code text: the body without its length header and checksum. */
    static byte[] payloadOf(String text) {
        byte[] body = bodyOf(text);
        return java.util.Arrays.copyOfRange(body, 2, body.length - 4);
    }

    /** Parses {@code text} expecting failure; returns the exception for the caller's checks on it. */
    static TransportException rejection(String text) {
        TransportException e = catchThrowableOfType(TransportException.class, () -> ConnectionCode.parse(text));
        assertThat(e).as("parse must reject %s", text).isNotNull();
        return e;
    }

    /** The detail of a rejection: the message without its "REASON: " prefix. */
    static String detail(TransportException e) {
        String m = e.getMessage();
        return m.substring(m.indexOf(": ") + 2);
    }
}
