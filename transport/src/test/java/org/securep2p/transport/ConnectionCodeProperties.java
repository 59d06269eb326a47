package org.securep2p.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.transport.ConnectionCodeFixtures.ALPHABET;
import static org.securep2p.transport.ConnectionCodeFixtures.envelope;
import static org.securep2p.transport.ConnectionCodeFixtures.fingerprint;
import static org.securep2p.transport.ConnectionCodeFixtures.payloadOf;
import static org.securep2p.transport.TransportException.Reason.BAD_CODE;

/**
 * For all codes, {@code parse(text())} is the code; for all inputs, {@code parse} returns or throws
 * {@link TransportException}, nothing else; and every payload the parser accepts is canonical: re-encoding it
 * gives back the very text it came from, so one code has exactly one text (up to case and separators).
 */
class ConnectionCodeProperties {

    @Provide
    Arbitrary<ConnectionCode> codes() {
        Arbitrary<byte[]> fingerprints = Arbitraries.bytes().array(byte[].class).ofSize(32);
        Arbitrary<IceCredentials> credentials = Combinators.combine(
                Arbitraries.bytes().array(byte[].class).ofSize(6),
                Arbitraries.bytes().array(byte[].class).ofSize(18)).as(IceCredentials::fromBytes);
        Arbitrary<List<Candidate>> candidates = candidates().list().ofMinSize(1)
                .ofMaxSize(ConnectionCode.MAX_CANDIDATES).uniqueElements(Candidate::address);
        // A relay address of visible ASCII, cut to the room the code leaves (0: none, a version-1 code).
        Arbitrary<String> relays = Arbitraries.oneOf(Arbitraries.just(""),
                Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(ConnectionCode.MAX_RELAY_BYTES));
        return Combinators.combine(Arbitraries.of(ConnectionCode.Kind.class), Arbitraries.of(SecurityLevel.class),
                fingerprints, credentials, credentials, candidates, Arbitraries.of(true, false), relays)
                .as((kind, level, fp, own, offers, list, answerNeeded, relay) -> {
                    if (kind == ConnectionCode.Kind.OFFER) {
                        ConnectionCode offer = ConnectionCode.offer(fingerprint(fp), level, own, list, answerNeeded);
                        String fitted = relay.substring(0, Math.min(relay.length(), offer.relayRoom()));
                        return fitted.isEmpty() ? offer : offer.withRelay(fitted);
                    }
                    ConnectionCode offer = ConnectionCode.offer(fingerprint(new byte[32]), level, offers,
                            List.of(ConnectionCodeFixtures.srflx4()), false);
                    return ConnectionCode.answer(offer, fingerprint(fp), level, own, list);
                });
    }

    Arbitrary<Candidate> candidates() {
        Arbitrary<byte[]> addresses = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofSize(4),
                Arbitraries.bytes().array(byte[].class).ofSize(16))
                .filter(a -> Candidate.refusal(a, 1) == null);
        return Combinators.combine(Arbitraries.of(Candidate.Type.class), addresses,
                Arbitraries.integers().between(1, 65535))
                .as((type, address, port) -> Candidate.of(type, new InetSocketAddress(byAddress(address), port)));
    }

    private static InetAddress byAddress(byte[] address) {
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Property
    void textRoundTrips(@ForAll("codes") ConnectionCode code) throws Exception {
        String text = code.text();
        assertThat(text.length()).isLessThanOrEqualTo(code.relay().isPresent() ? 508 : 454);
        ConnectionCode parsed = ConnectionCode.parse(text);
        assertThat(parsed).isEqualTo(code);
        assertThat(parsed.text()).isEqualTo(text);
        assertThat(ConnectionCode.parse(text.toLowerCase(Locale.ROOT))).isEqualTo(code);
        assertThat(ConnectionTarget.parse(text).code()).contains(code);
        Statistics.label("candidates").collect(code.candidates().size());
        Statistics.label("version").collect(code.version());
    }

    @Property
    void separatorsAnywhereAfterThePrefixChangeNothing(@ForAll("codes") ConnectionCode code, @ForAll long seed)
            throws Exception {
        Random random = new Random(seed);
        String[] separators = {"", "-", " ", "\n", "\r\n", "\t", "\u00A0", "\u200B", "\u2013"};
        String text = code.text();
        StringBuilder sb = new StringBuilder(text.substring(0, 6));
        for (int i = 6; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '-') {
                sb.append(c);
            }
            sb.append(separators[random.nextInt(separators.length)]);
        }
        assertThat(ConnectionCode.parse(sb.toString())).isEqualTo(code);
    }

    @Property
    void randomEditsAreRejectedUnlessTheyOnlyTouchSeparators(@ForAll("codes") ConnectionCode code,
            @ForAll long seed, @ForAll @IntRange(min = 1, max = 4) int edits) {
        Random random = new Random(seed);
        StringBuilder sb = new StringBuilder(code.text());
        for (int k = 0; k < edits; k++) {
            int i = random.nextInt(sb.length());
            char c = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
            switch (random.nextInt(3)) {
                case 0 -> sb.setCharAt(i, c);
                case 1 -> sb.deleteCharAt(i);
                default -> sb.insert(i, c);
            }
        }
        String edited = sb.toString();
        try {
            ConnectionCode parsed = ConnectionCode.parse(edited);
            // Accepted only if no symbol changed: the edits cancelled out or touched only separators.
            assertThat(parsed).isEqualTo(code);
            Statistics.label("outcome").collect("harmless");
        } catch (TransportException e) {
            assertThat(e.reason()).isIn(BAD_CODE, TransportException.Reason.UNSUPPORTED_CODE_VERSION);
            Statistics.label("outcome").collect("rejected");
        }
    }

    @Property
    void everyAcceptedPayloadIsCanonical(@ForAll("codes") ConnectionCode code, @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 3) int mutations) {
        Random random = new Random(seed);
        byte[] payload = payloadOf(code.text());
        for (int k = 0; k < mutations; k++) {
            int i = random.nextInt(payload.length);
            switch (random.nextInt(4)) {
                case 0 -> payload[i] = (byte) random.nextInt(256);
                case 1 -> payload[i] = (byte) random.nextInt(10); // small values reach type, family and count
                case 2 -> payload = Arrays.copyOf(payload, i);
                default -> {
                    payload = Arrays.copyOf(payload, Math.min(payload.length + 1, ConnectionCode.MAX_PAYLOAD_BYTES));
                    payload[payload.length - 1] = (byte) random.nextInt(256);
                }
            }
            if (payload.length == 0) {
                break;
            }
        }
        String prefix = "sp2p" + code.version() + (code.kind() == ConnectionCode.Kind.OFFER ? "o" : "a");
        String text = envelope(prefix, payload);
        try {
            assertThat(ConnectionCode.parse(text).text()).isEqualTo(text);
            Statistics.label("outcome").collect("accepted");
        } catch (TransportException e) {
            assertThat(e.reason()).isEqualTo(BAD_CODE);
            Statistics.label("outcome").collect("rejected");
        }
    }

    @Property
    void everyTruncatedPayloadIsRefused(@ForAll("codes") ConnectionCode code) {
        byte[] payload = payloadOf(code.text());
        String prefix = "sp2p" + code.version() + (code.kind() == ConnectionCode.Kind.OFFER ? "o" : "a");
        for (int k = 0; k < payload.length; k++) {
            String text = envelope(prefix, Arrays.copyOf(payload, k));
            try {
                ConnectionCode.parse(text);
                throw new AssertionError("a payload cut to " + k + " of " + payload.length + " bytes was read");
            } catch (TransportException e) {
                assertThat(e.reason()).isEqualTo(BAD_CODE);
            }
        }
    }

    @Property
    void anyStringIsParsedOrRejectedWithTransportException(@ForAll String pasted) {
        parseOrReject(pasted);
    }

    @Provide
    Arbitrary<String> codeLikeNoise() {
        Arbitrary<String> prefixes = Arbitraries.of("sp2p1o-", "sp2p1a-", "SP2P1O", "sp2p2o-", "sp2p", "sp2p1x-",
                "\"sp2p1o-", "", "[", "[::1]:", "example.org:", "1.2.3.4:");
        Arbitrary<String> noise = Arbitraries.strings().withChars(ALPHABET + "-oOiIlLuU \n:[].%_*\"'`<>\u00A0")
                .ofMaxLength(500);
        return Combinators.combine(prefixes, noise).as(String::concat);
    }

    @Property
    void codeLikeNoiseIsParsedOrRejectedWithTransportException(@ForAll("codeLikeNoise") String pasted) {
        parseOrReject(pasted);
    }

    private static void parseOrReject(String pasted) {
        // Anything but a TransportException escapes and fails the property.
        try {
            ConnectionCode.parse(pasted);
            Statistics.label("code").collect("accepted");
        } catch (TransportException e) {
            Statistics.label("code").collect(e.reason());
        }
        try {
            ConnectionTarget.parse(pasted);
            Statistics.label("target").collect("accepted");
        } catch (TransportException e) {
            Statistics.label("target").collect(e.reason());
        }
    }
}
