package org.securep2p.transport;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.transport.ConnectionCodeFixtures.ALPHABET;
import static org.securep2p.transport.ConnectionCodeFixtures.Payload;
import static org.securep2p.transport.ConnectionCodeFixtures.allSix;
import static org.securep2p.transport.ConnectionCodeFixtures.answer;
import static org.securep2p.transport.ConnectionCodeFixtures.bodyOf;
import static org.securep2p.transport.ConnectionCodeFixtures.candidateMixes;
import static org.securep2p.transport.ConnectionCodeFixtures.detail;
import static org.securep2p.transport.ConnectionCodeFixtures.eightIpv6;
import static org.securep2p.transport.ConnectionCodeFixtures.envelope;
import static org.securep2p.transport.ConnectionCodeFixtures.fingerprint;
import static org.securep2p.transport.ConnectionCodeFixtures.offer;
import static org.securep2p.transport.ConnectionCodeFixtures.rejection;
import static org.securep2p.transport.ConnectionCodeFixtures.sampleCodes;
import static org.securep2p.transport.ConnectionCodeFixtures.seeded;
import static org.securep2p.transport.ConnectionCodeFixtures.srflx4;
import static org.securep2p.transport.ConnectionCodeFixtures.typical;
import static org.securep2p.transport.ConnectionCodeFixtures.validPayload;
import static org.securep2p.transport.TransportException.Reason.BAD_CODE;
import static org.securep2p.transport.TransportException.Reason.UNSUPPORTED_CODE_VERSION;

/** The connection code format of PROTOCOL.md section 11: round trips, every mutation, every rejection. */
class ConnectionCodeTest {

    private static final String CHECKSUM = ConnectionCode.CHECKSUM_MISMATCH;

    // ---- Round trips and the text's shape.

    @Test
    void roundTripsEveryKindLevelAndCandidateMix() throws Exception {
        int checked = 0;
        long seed = 100;
        for (SecurityLevel level : SecurityLevel.values()) {
            for (List<Candidate> mix : candidateMixes()) {
                for (boolean answerNeeded : new boolean[] {false, true}) {
                    ConnectionCode offer = offer(seed++, level, mix, answerNeeded);
                    assertRoundTrip(offer);
                    for (SecurityLevel answerLevel : SecurityLevel.values()) {
                        ConnectionCode answer = answer(offer, seed++, answerLevel, mix);
                        assertRoundTrip(answer);
                        assertThat(answer.answers(offer)).isTrue();
                        checked += 1;
                    }
                    checked += 1;
                }
            }
        }
        assertThat(checked).isEqualTo(3 * candidateMixes().size() * 2 * 4);
    }

    private static void assertRoundTrip(ConnectionCode code) throws TransportException {
        String text = code.text();
        ConnectionCode parsed = ConnectionCode.parse(text);
        assertThat(parsed).isEqualTo(code).hasSameHashCodeAs(code);
        assertThat(parsed.text()).isEqualTo(text);
        assertThat(parsed.kind()).isEqualTo(code.kind());
        assertThat(parsed.version()).isEqualTo(code.version()).isEqualTo(code.relay().isPresent() ? 2 : 1);
        assertThat(parsed.relay()).isEqualTo(code.relay());
        assertThat(parsed.identity()).isEqualTo(code.identity());
        assertThat(parsed.minimumLevel()).isEqualTo(code.minimumLevel());
        assertThat(parsed.credentials().ufrag()).isEqualTo(code.credentials().ufrag());
        assertThat(parsed.credentials().password()).isEqualTo(code.credentials().password());
        assertThat(parsed.candidates()).containsExactlyElementsOf(code.candidates());
        assertThat(parsed.answerNeeded()).isEqualTo(code.answerNeeded());
        assertThat(parsed.answeredUfrag()).isEqualTo(code.answeredUfrag());
        for (int i = 0; i < code.candidates().size(); i++) {
            assertThat(parsed.candidates().get(i).address()).isEqualTo(code.candidates().get(i).address());
            assertThat(parsed.candidates().get(i).type()).isEqualTo(code.candidates().get(i).type());
        }
    }

    /** What a dual-stack waiter on a LAN now puts in a code by default: both families, private and public. */
    @Test
    void aDualStackLanOfferCarriesBothFamiliesOfHostCandidates() throws TransportException {
        List<Candidate> lan = List.of(
                ConnectionCodeFixtures.candidate(Candidate.Type.HOST, "2001:db8:1::10", 40000),
                ConnectionCodeFixtures.candidate(Candidate.Type.SERVER_REFLEXIVE, "203.0.113.10", 40001),
                ConnectionCodeFixtures.candidate(Candidate.Type.HOST, "192.168.1.10", 40001),
                ConnectionCodeFixtures.candidate(Candidate.Type.HOST, "fd12:3456:789a::10", 40000),
                ConnectionCodeFixtures.candidate(Candidate.Type.HOST, "100.64.0.10", 40002));
        ConnectionCode code = offer(5, SecurityLevel.QUANTUM_RESISTANT, lan, true);
        assertRoundTrip(code);
        assertThat(ConnectionCode.parse(code.text()).candidates()).extracting(Candidate::isIpv6)
                .containsExactly(true, false, false, true, false);
    }

    @Test
    void textUsesOnlyCharactersChatAppsLeaveAlone() {
        for (ConnectionCode code : sampleCodes()) {
            String text = code.text();
            assertThat(text).matches("sp2p[12][oa](-[0-9A-HJKMNP-TV-Z]{5})*(-[0-9A-HJKMNP-TV-Z]{1,5})");
            assertThat(text).doesNotContainPattern("[_*~`'\"+/=\\s]");
            assertThat(text).startsWith("sp2p" + code.version()
                    + (code.kind() == ConnectionCode.Kind.OFFER ? "o-" : "a-"));
        }
    }

    @Test
    void printsTypicalAndLongestLength() {
        ConnectionCode typicalOffer = offer(1, SecurityLevel.QUANTUM_RESISTANT, typical(), false);
        ConnectionCode typicalAnswer = answer(typicalOffer, 2, SecurityLevel.QUANTUM_RESISTANT, typical());
        ConnectionCode longest = answer(typicalOffer, 3, SecurityLevel.QUANTUM_RESISTANT, eightIpv6());
        ConnectionCode shortest = offer(4, SecurityLevel.QUANTUM_RESISTANT, List.of(srflx4()), false);
        System.out.println("connection code, offer with 2 IPv4 + 1 IPv6 candidates: "
                + typicalOffer.text().length() + " characters: " + typicalOffer.text());
        System.out.println("connection code, answer with 2 IPv4 + 1 IPv6 candidates: "
                + typicalAnswer.text().length() + " characters");
        System.out.println("connection code, shortest (offer, 1 IPv4): " + shortest.text().length() + " characters");
        System.out.println("connection code, longest (answer, 8 IPv6): " + longest.text().length() + " characters");
        // The numbers PROTOCOL.md section 11 quotes.
        assertThat(typicalOffer.text()).hasSize(204);
        assertThat(typicalAnswer.text()).hasSize(216);
        assertThat(shortest.text()).hasSize(150);
        assertThat(longest.text()).hasSize(454);
        ConnectionCode withRelay = typicalOffer.withRelay(ConnectionCodeFixtures.RELAY);
        System.out.println("connection code, offer with 2 IPv4 + 1 IPv6 candidates and a 93-byte relay address: "
                + withRelay.text().length() + " characters");
        assertThat(withRelay.text()).hasSize(387);
        ConnectionCode fullest = offer(6, SecurityLevel.QUANTUM_RESISTANT, eightIpv6(), false);
        ConnectionCode fullestWithRelay = fullest.withRelay("x".repeat(fullest.relayRoom()));
        assertThat(ConnectionCodeFixtures.payloadOf(fullestWithRelay.text())).hasSize(ConnectionCode.MAX_PAYLOAD_BYTES);
        assertThat(fullestWithRelay.text()).hasSize(508);
    }

    // ---- Version 2: the maker's relay address (section 11.4).

    @Test
    void anOfferWithoutARelayIsStillVersionOneAndAsLongAsBefore() throws Exception {
        ConnectionCode offer = offer(1, SecurityLevel.QUANTUM_RESISTANT, typical(), false);
        assertThat(offer.version()).isEqualTo(1);
        assertThat(offer.relay()).isEmpty();
        assertThat(offer.text()).startsWith("sp2p1o-").hasSize(204);
    }

    @Test
    void anOfferCarriesItsMakersRelay() throws Exception {
        ConnectionCode offer = offer(1, SecurityLevel.QUANTUM_RESISTANT, typical(), true);
        ConnectionCode withRelay = offer.withRelay(ConnectionCodeFixtures.RELAY);
        assertThat(withRelay.version()).isEqualTo(2);
        assertThat(withRelay.text()).startsWith("sp2p2o-");
        ConnectionCode parsed = ConnectionCode.parse(withRelay.text());
        assertThat(parsed.relay()).contains(ConnectionCodeFixtures.RELAY);
        assertThat(parsed).isEqualTo(withRelay).isNotEqualTo(offer);
        assertRoundTrip(withRelay);
        // The relay changes nothing of what the connector dials and how an answer is matched.
        assertThat(parsed.candidates()).isEqualTo(offer.candidates());
        ConnectionCode answer = answer(parsed, 7, SecurityLevel.QUANTUM_RESISTANT, typical());
        assertThat(answer.answers(offer)).isTrue();
        assertThat(answer.version()).isEqualTo(1);
        assertThat(answer.relay()).isEmpty();
    }

    @Test
    void readsTheIndependentlyWrittenVersionTwo() throws Exception {
        Payload p = validPayload().version2("wss://[2001:db8::1]:8443/#" + "ab".repeat(32));
        String text = envelope("sp2p2o", p.toBytes());
        ConnectionCode parsed = ConnectionCode.parse(text);
        assertThat(parsed.relay()).contains("wss://[2001:db8::1]:8443/#" + "ab".repeat(32));
        assertThat(parsed.text()).isEqualTo(text);
        assertThat(ConnectionCode.encodeEnvelope(2, 'o', p.toBytes())).isEqualTo(text);
    }

    @Test
    void readsVersionTwoWithAnEmptyRelayFieldAsNoRelayAndKeepsItsText() throws Exception {
        for (Payload p : List.of(validPayload().version2(""), validPayload().answer().version2(""))) {
            String prefix = p.kind == 1 ? "sp2p2o" : "sp2p2a";
            String text = envelope(prefix, p.toBytes());
            ConnectionCode parsed = ConnectionCode.parse(text);
            assertThat(parsed.relay()).isEmpty();
            assertThat(parsed.version()).isEqualTo(2);
            // One code, one text: it is written back as it came, not as version 1.
            assertThat(parsed.text()).isEqualTo(text);
        }
    }

    @Test
    void rejectsAnAnswerCarryingARelay() {
        Payload p = validPayload().answer().version2(ConnectionCodeFixtures.RELAY);
        TransportException e = rejection(envelope("sp2p2a", p.toBytes()));
        assertThat(e.reason()).isEqualTo(BAD_CODE);
        assertThat(detail(e)).isEqualTo("an answer carries no relay address");
    }

    @Test
    void rejectsARelayFieldThatIsNotVisibleAscii() {
        for (String relay : List.of("wss://a b", "wss://a\u0000", "wss://\u00e9t\u00e9", "\u007f")) {
            TransportException e = rejection(envelope("sp2p2o", validPayload().version2(relay).toBytes()));
            assertThat(e.reason()).isEqualTo(BAD_CODE);
            assertThat(detail(e)).startsWith("relay address: byte ").endsWith(" is not visible ASCII");
        }
    }

    @Test
    void rejectsAVersionTwoPayloadCutInsideItsRelayField() {
        byte[] full = validPayload().version2(ConnectionCodeFixtures.RELAY).toBytes();
        for (int cut = 1; cut <= ConnectionCodeFixtures.RELAY.length() + 2; cut++) {
            byte[] shorter = java.util.Arrays.copyOf(full, full.length - cut);
            TransportException e = rejection(envelope("sp2p2o", shorter));
            assertThat(e.reason()).isEqualTo(BAD_CODE);
            assertThat(detail(e)).startsWith("payload: truncated at relay");
        }
        Payload trailing = validPayload().version2(ConnectionCodeFixtures.RELAY);
        trailing.trailing = new byte[] {0};
        assertThat(detail(rejection(envelope("sp2p2o", trailing.toBytes())))).isEqualTo("payload: 1 trailing bytes");
    }

    @Test
    void rejectsAVersionOneCodeWithARelayField() {
        Payload p = validPayload().version2(ConnectionCodeFixtures.RELAY);
        p.version = 1;
        // Version 1 has no relay field: its bytes are trailing bytes.
        assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).startsWith("payload: ")
                .endsWith(" trailing bytes");
        Payload mixed = validPayload().version2(ConnectionCodeFixtures.RELAY);
        assertThat(detail(rejection(envelope("sp2p1o", mixed.toBytes())))).isEqualTo(
                "the payload says version 2 but the prefix says 1");
    }

    @Test
    void withRelayRefusesWhatNoReaderWouldAccept() {
        ConnectionCode offer = offer(1, SecurityLevel.QUANTUM_RESISTANT, typical(), false);
        ConnectionCode answer = answer(offer, 2, SecurityLevel.QUANTUM_RESISTANT, typical());
        assertThatThrownBy(() -> answer.withRelay(ConnectionCodeFixtures.RELAY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only an offer");
        assertThat(answer.relayRoom()).isZero();
        assertThatThrownBy(() -> offer.withRelay("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> offer.withRelay("wss://h:1/#\u00e9")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("visible ASCII");
        assertThatThrownBy(() -> offer.withRelay("x".repeat(offer.relayRoom() + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit");
        assertThat(offer.withRelay("x".repeat(offer.relayRoom())).relay()).isPresent();
        ConnectionCode shortest = offer(3, SecurityLevel.STANDARD, List.of(srflx4()), false);
        // The payload's one length byte bounds the relay field well below 340.
        assertThat(shortest.relayRoom()).isEqualTo(255 - 69 - 2);
    }

    @Test
    void productionEncoderAgreesWithTheIndependentOne() throws Exception {
        Payload p = validPayload();
        p.level = 2;
        p.flags = ConnectionCode.FLAG_ANSWER_NEEDED;
        p.ipv4(3, 198, 51, 100, 20, 3478);
        String independent = envelope("sp2p1o", p.toBytes());
        ConnectionCode parsed = ConnectionCode.parse(independent);
        assertThat(parsed.text()).isEqualTo(independent);
        assertThat(ConnectionCode.encodeEnvelope(1, 'o', p.toBytes())).isEqualTo(independent);
        assertThat(ConnectionCode.base32(p.toBytes())).isEqualTo(ConnectionCodeFixtures.base32(p.toBytes()));
    }

    @Test
    void documentedExampleIsExact() throws Exception {
        // PROTOCOL.md section 11.6: fingerprint bytes 00 01 .. 1F, ufrag 01..06, password 11..22, one srflx
        // candidate 203.0.113.7:49152, QUANTUM_RESISTANT, answer needed.
        byte[] fp = new byte[32];
        for (int i = 0; i < fp.length; i++) {
            fp[i] = (byte) i;
        }
        IceCredentials credentials = IceCredentials.fromBytes(ConnectionCodeFixtures.bytes(6, 1),
                ConnectionCodeFixtures.bytes(18, 0x11));
        ConnectionCode code = ConnectionCode.offer(fingerprint(fp), SecurityLevel.QUANTUM_RESISTANT, credentials,
                List.of(srflx4()), true);
        assertThat(code.text()).isEqualTo(DOCUMENTED_EXAMPLE);
        assertThat(credentials.ufrag()).isEqualTo("AQIDBAUG");
        assertThat(ConnectionCode.parse(DOCUMENTED_EXAMPLE)).isEqualTo(code);
    }

    static final String DOCUMENTED_EXAMPLE = "sp2p1o-8PX02-08304-0020G-30G2G-C1R81-450P3-0D1R7-H048J-2CA1A-"
            + "5GQ30-CHM6R-W3MF1-Y0820-C20A1-GH289-H858P-2WC1J-6GV3G-EHW7S-044H0-20G4S-C0721-Y003N-KV1RS";

    @Test
    void crc32cIsCastagnoli() {
        // The check value of CRC-32C (iSCSI, RFC 3720 appendix B.4): CRC of the ASCII digits "123456789".
        CRC32C crc = new CRC32C();
        crc.update("123456789".getBytes(StandardCharsets.US_ASCII));
        assertThat(crc.getValue()).isEqualTo(0xE3069283L);
    }

    // ---- Lenient where it costs nothing: case, look-alikes, separators, line breaks.

    @Test
    void acceptsAnyLetterCase() throws Exception {
        for (ConnectionCode code : sampleCodes()) {
            assertThat(ConnectionCode.parse(code.text().toLowerCase(java.util.Locale.ROOT))).isEqualTo(code);
            assertThat(ConnectionCode.parse(code.text().toUpperCase(java.util.Locale.ROOT))).isEqualTo(code);
        }
    }

    @Test
    void acceptsCrockfordLookAlikes() throws Exception {
        for (ConnectionCode code : sampleCodes()) {
            String text = code.text();
            String body = text.substring(7);
            String prefix = text.substring(0, 7);
            assertThat(ConnectionCode.parse(prefix + body.replace('0', 'O'))).isEqualTo(code);
            assertThat(ConnectionCode.parse(prefix + body.replace('0', 'o'))).isEqualTo(code);
            assertThat(ConnectionCode.parse(prefix + body.replace('1', 'I'))).isEqualTo(code);
            assertThat(ConnectionCode.parse(prefix + body.replace('1', 'l'))).isEqualTo(code);
            assertThat(ConnectionCode.parse(prefix + body.replace('1', 'L'))).isEqualTo(code);
            assertThat(ConnectionCode.parse(prefix + body.replace('1', 'i'))).isEqualTo(code);
        }
    }

    @Test
    void acceptsSeparatorsAndLineBreaksAnywhereAfterThePrefix() throws Exception {
        for (ConnectionCode code : sampleCodes()) {
            String text = code.text();
            String prefix = text.substring(0, 6);
            String compact = text.substring(6).replace("-", "");
            List<String> variants = List.of(
                    prefix + compact,
                    "  \t" + text + " \n",
                    text.replace("-", " "),
                    text.replace("-", "\n"),
                    text.replace("-", "\r\n"),
                    text.replace("-", "\u00A0"),
                    text.replace("-", "-\u200B"),
                    text.replace("-", "\u2013"),
                    text.replace("-", "\u2011"),
                    text.replace("-", " - "),
                    prefix + wrap(compact, 17, "\n"),
                    prefix + wrap(compact, 3, "-\u00AD"),
                    "\uFEFF" + text);
            for (String variant : variants) {
                assertThat(ConnectionCode.parse(variant)).as(variant).isEqualTo(code);
            }
        }
    }

    private static String wrap(String s, int width, String separator) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i += width) {
            sb.append(separator).append(s, i, Math.min(i + width, s.length()));
        }
        return sb.toString();
    }

    // ---- Every truncation, substitution, deletion and duplication is rejected.

    @Test
    void rejectsEveryTruncationAsTruncation() {
        int checked = 0;
        for (ConnectionCode code : sampleCodes()) {
            String text = code.text();
            int total = bodyChars(text);
            for (int length = 0; length < text.length(); length++) {
                String cut = text.substring(0, length);
                TransportException e = rejection(cut);
                assertThat(e.reason()).isEqualTo(BAD_CODE);
                if (length == 0) {
                    assertThat(detail(e)).startsWith("empty");
                    continue;
                }
                assertThat(detail(e)).as(cut).startsWith("truncated");
                int present = bodyChars(cut);
                if (present >= ConnectionCode.HEADER_CHARS) {
                    int missing = total - present;
                    assertThat(detail(e)).isEqualTo(
                            "truncated: " + missing + (missing == 1 ? " character" : " characters") + " missing");
                }
                checked++;
            }
        }
        System.out.println("truncations rejected: " + checked);
    }

    @Test
    void rejectsEverySingleCharacterSubstitutionByChecksum() {
        int checked = 0;
        for (ConnectionCode code : sampleCodes()) {
            String text = code.text();
            for (int i = 0; i < text.length(); i++) {
                char original = text.charAt(i);
                for (char replacement : (ALPHABET + ALPHABET.toLowerCase(java.util.Locale.ROOT)).toCharArray()) {
                    if (i >= 7 && original != '-' && value(replacement) == value(original)) {
                        continue; // the same symbol in another case: not a change
                    }
                    if (i < 7 && Character.toLowerCase(replacement) == Character.toLowerCase(original)) {
                        continue;
                    }
                    String mutated = text.substring(0, i) + replacement + text.substring(i + 1);
                    TransportException e = rejection(mutated);
                    assertThat(e.reason()).as(mutated).isEqualTo(BAD_CODE);
                    if (i >= 7 && original != '-') {
                        // A payload character: the CRC (or the length check, or the spare bits) must see it.
                        assertThat(detail(e)).as(mutated).isEqualTo(CHECKSUM);
                    } else if (i >= 4 && i < 6 && isDigit(replacement) == isDigit(original)) {
                        // Version digit for digit, kind letter for letter: a valid-looking prefix, but the CRC
                        // covers the prefix; and the version is checked only after the CRC.
                        assertThat(detail(e)).as(mutated).isEqualTo(CHECKSUM);
                    }
                    checked++;
                }
            }
        }
        System.out.println("single-character substitutions rejected: " + checked);
        assertThat(checked).isGreaterThan(4 * 150 * 60);
    }

    @Test
    void rejectsEveryDroppedCharacter() {
        int checked = 0;
        for (ConnectionCode code : sampleCodes()) {
            String text = code.text();
            for (int i = 0; i < text.length(); i++) {
                if (text.charAt(i) == '-') {
                    continue; // a separator: dropping it changes nothing, and must not
                }
                String mutated = text.substring(0, i) + text.substring(i + 1);
                assertThat(rejection(mutated).reason()).as(mutated).isEqualTo(BAD_CODE);
                checked++;
            }
        }
        System.out.println("dropped characters rejected: " + checked);
    }

    @Test
    void rejectsEveryDuplicatedCharacter() {
        for (ConnectionCode code : sampleCodes()) {
            String text = code.text();
            for (int i = 0; i < text.length(); i++) {
                if (text.charAt(i) == '-') {
                    continue;
                }
                String mutated = text.substring(0, i + 1) + text.charAt(i) + text.substring(i + 1);
                assertThat(rejection(mutated).reason()).as(mutated).isEqualTo(BAD_CODE);
            }
        }
    }

    @Test
    void rejectsAdjacentTransposition() {
        for (ConnectionCode code : sampleCodes()) {
            String text = code.text();
            for (int i = 7; i + 1 < text.length(); i++) {
                char a = text.charAt(i);
                char b = text.charAt(i + 1);
                if (a == b || a == '-' || b == '-') {
                    continue;
                }
                String mutated = text.substring(0, i) + b + a + text.substring(i + 2);
                TransportException e = rejection(mutated);
                assertThat(detail(e)).as(mutated).isEqualTo(CHECKSUM);
            }
        }
    }

    @Test
    void rejectsAppendedCharacterAsTooLong() {
        String text = sampleCodes().get(0).text();
        TransportException e = rejection(text + "7");
        assertThat(e.reason()).isEqualTo(BAD_CODE);
        assertThat(detail(e)).isEqualTo("too long: 1 character more than the code's length field says");
        assertThat(detail(rejection(text + "-" + text.substring(7)))).startsWith("too long: ");
    }

    private static int bodyChars(String text) {
        int n = 0;
        for (int i = 6; i < text.length(); i++) {
            if (text.charAt(i) != '-') {
                n++;
            }
        }
        return n;
    }

    private static int value(char c) {
        return ALPHABET.indexOf(Character.toUpperCase(c));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    // ---- One test per rejection of the envelope.

    @Test
    void rejectsEmptyInput() {
        assertThat(detail(rejection(""))).isEqualTo("empty: no code was pasted");
        assertThat(detail(rejection(" \n\t"))).isEqualTo("empty: no code was pasted");
    }

    @Test
    void rejectsTextWithoutThePrefix() {
        TransportException e = rejection("hello world");
        assertThat(e.reason()).isEqualTo(BAD_CODE);
        assertThat(detail(e)).isEqualTo("unexpected character 'h' at position 1: a connection code starts with sp2p");
        assertThat(detail(rejection("  sq2p1o-ABCDE"))).startsWith("unexpected character 'q' at position 4");
    }

    @Test
    void rejectsMissingVersion() {
        assertThat(detail(rejection("sp2po-ABCDE"))).isEqualTo(
                "unexpected character 'o' at position 5: expected the version number after sp2p");
    }

    @Test
    void rejectsOverlongVersionNumber() {
        assertThat(detail(rejection("sp2p1234o-ABCDE"))).startsWith("unexpected character '4' at position 8");
    }

    @Test
    void rejectsVersionWithLeadingZero() {
        // Even with a correct CRC: "sp2p01o" would be a second text for a version-1 code.
        assertThat(detail(rejection(envelope("sp2p01o", validPayload().toBytes())))).isEqualTo(
                "unexpected character '0' at position 5: a version number has no leading zeros");
    }

    @Test
    void rejectsMissingKindLetter() {
        assertThat(detail(rejection("sp2p1-ABCDE"))).isEqualTo(
                "unexpected character '-' at position 6: expected the kind letter (o or a) after the version number");
    }

    @Test
    void rejectsUnexpectedCharacterWithItsPosition() {
        String text = sampleCodes().get(0).text();
        for (char bad : "U_*~`'\"+/=!.:#".toCharArray()) {
            String mutated = text.substring(0, 12) + bad + text.substring(13);
            assertThat(detail(rejection(mutated))).startsWith("unexpected character '" + bad + "' at position 13:");
        }
        String withEmoji = text.substring(0, 20) + "\uD83D\uDE00" + text.substring(20);
        assertThat(detail(rejection(withEmoji))).startsWith("unexpected character U+1F600 at position 21:");
        assertThat(detail(rejection(text.substring(0, 20) + "\u0000"))).startsWith(
                "unexpected character U+0000 at position 21:");
    }

    @Test
    void rejectsOnlyThePrefix() {
        assertThat(detail(rejection("sp2p1o-"))).isEqualTo("truncated: only the prefix sp2p1o is there");
        assertThat(detail(rejection("sp2p1"))).isEqualTo("truncated: the code ends after its version number");
        assertThat(detail(rejection("sp2p"))).isEqualTo("truncated: the code ends after sp2p");
        assertThat(detail(rejection("sp2"))).isEqualTo("truncated: the code ends inside its sp2p prefix");
    }

    @Test
    void rejectsCodeCutInsideItsLengthField() {
        assertThat(detail(rejection("sp2p1o-ABC"))).isEqualTo("truncated: the code ends inside its length field");
    }

    @Test
    void rejectsDamagedLengthField() {
        byte[] payload = validPayload().toBytes();
        String good = envelope("sp2p1o", payload);
        // Replace the length byte's complement: the length no longer checks, so this is a changed character,
        // not a truncation of a shorter or longer code.
        byte[] body = bodyOf(good);
        body[1] ^= 0x40;
        String damaged = "sp2p1o-" + ConnectionCodeFixtures.group(ConnectionCodeFixtures.base32(body));
        assertThat(detail(rejection(damaged))).isEqualTo(CHECKSUM);
    }

    @Test
    void rejectsNonZeroSpareBits() {
        // 75 payload bytes: a body of 81 bytes in 130 characters, so the last character has 2 spare bits.
        String good = envelope("sp2p1a", validPayload().answer().toBytes());
        int spare = ConnectionCode.charsFor(bodyOf(good).length) * 5 - bodyOf(good).length * 8;
        assertThat(spare).isPositive();
        char last = good.charAt(good.length() - 1);
        char changed = ALPHABET.charAt(ALPHABET.indexOf(last) ^ 1);
        String mutated = good.substring(0, good.length() - 1) + changed;
        assertThat(detail(rejection(mutated))).isEqualTo(CHECKSUM);
    }

    @Test
    void rejectsChecksumMismatch() {
        String good = envelope("sp2p1o", validPayload().toBytes());
        byte[] body = bodyOf(good);
        body[body.length - 1] ^= 1;
        assertThat(detail(rejection("sp2p1o-" + ConnectionCodeFixtures.base32(body)))).isEqualTo(CHECKSUM);
    }

    @Test
    void rejectsInputLongerThanAnyCode() {
        String text = "sp2p1o-" + "A".repeat(ConnectionCode.MAX_TEXT_LENGTH);
        assertThat(detail(rejection(text))).startsWith("too long: ");
    }

    // ---- Versions: an intact code of another version is UNSUPPORTED_CODE_VERSION, older and newer told apart.

    @Test
    void rejectsUnknownVersion() {
        Payload p = validPayload();
        p.version = 3;
        TransportException e = rejection(envelope("sp2p3o", p.toBytes()));
        assertThat(e.reason()).isEqualTo(UNSUPPORTED_CODE_VERSION);
        assertThat(detail(e)).isEqualTo("code version 3 is newer than this build reads (up to 2): update securep2p");
        // A future version may change everything after the envelope: it is refused without being read.
        TransportException future = rejection(envelope("sp2p17z", new byte[] {(byte) 0xEE}));
        assertThat(future.reason()).isEqualTo(UNSUPPORTED_CODE_VERSION);
        assertThat(detail(future)).contains("newer");
    }

    @Test
    void rejectsOldVersion() {
        TransportException e = rejection(envelope("sp2p0o", validPayload().toBytes()));
        assertThat(e.reason()).isEqualTo(UNSUPPORTED_CODE_VERSION);
        assertThat(detail(e)).isEqualTo(
                "code version 0 is older than this build reads (1 to 2): the peer should update securep2p");
    }

    @Test
    void rejectsChangedVersionDigitAsChecksumNotAsVersion() {
        String text = sampleCodes().get(0).text();
        TransportException e = rejection("sp2p2" + text.substring(5));
        assertThat(e.reason()).isEqualTo(BAD_CODE);
        assertThat(detail(e)).isEqualTo(CHECKSUM);
    }

    @Test
    void rejectsVersionByteDifferentFromPrefix() {
        Payload p = validPayload();
        p.version = 7;
        assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).isEqualTo(
                "the payload says version 7 but the prefix says 1");
    }

    // ---- One test per rejection of the version-1 payload (correct CRC, so the inner check is what fires).

    @Test
    void rejectsUnknownKind() {
        TransportException e = rejection(envelope("sp2p1x", validPayload().toBytes()));
        assertThat(e.reason()).isEqualTo(BAD_CODE);
        assertThat(detail(e)).isEqualTo("unknown kind 'x': a code is an offer (o) or an answer (a)");
    }

    @Test
    void rejectsKindByteDifferentFromPrefix() {
        Payload p = validPayload();
        p.kind = 2;
        assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).isEqualTo(
                "the payload says kind 2 but the prefix says OFFER (1)");
        Payload unknown = validPayload();
        unknown.kind = 9;
        assertThat(detail(rejection(envelope("sp2p1o", unknown.toBytes())))).startsWith("the payload says kind 9");
    }

    @Test
    void rejectsUnknownSecurityLevel() {
        for (int level : new int[] {0, 4, 255}) {
            Payload p = validPayload();
            p.level = level;
            assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).isEqualTo("unknown security level " + level);
        }
    }

    @Test
    void rejectsUnknownFlags() {
        for (int flags : new int[] {0x02, 0x80, 0xFF}) {
            Payload p = validPayload();
            p.flags = flags;
            assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).startsWith("unknown flags 0x");
        }
    }

    @Test
    void rejectsAnswerNeededFlagInAnswer() {
        Payload p = validPayload().answer();
        p.flags = ConnectionCode.FLAG_ANSWER_NEEDED;
        assertThat(detail(rejection(envelope("sp2p1a", p.toBytes())))).isEqualTo(
                "the answer-needed flag is set in an answer");
    }

    @Test
    void rejectsTrailingBytes() {
        Payload p = validPayload();
        p.trailing = new byte[] {0};
        assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).isEqualTo("payload: 1 trailing bytes");
    }

    @Test
    void rejectsPayloadEndingInsideACandidate() {
        byte[] full = validPayload().toBytes();
        byte[] cut = java.util.Arrays.copyOf(full, full.length - 1);
        assertThat(detail(rejection(envelope("sp2p1o", cut)))).isEqualTo("payload: truncated at candidate 1 port");
        byte[] noCount = java.util.Arrays.copyOf(full, 4 + 32 + 24);
        assertThat(detail(rejection(envelope("sp2p1o", noCount)))).isEqualTo(
                "payload: truncated at candidate count");
    }

    @Test
    void rejectsAnswerWithoutOfferUfrag() {
        Payload p = validPayload();
        p.kind = 2;
        // No offer ufrag: the candidate bytes are read as one, and the payload ends early or misparses.
        assertThat(rejection(envelope("sp2p1a", p.toBytes())).reason()).isEqualTo(BAD_CODE);
    }

    @Test
    void rejectsUnknownCandidateType() {
        for (int type : new int[] {0, 4, 0xFF}) {
            Payload p = new Payload().ipv4(type, 203, 0, 113, 7, 1000);
            assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).isEqualTo(
                    "candidate 1: unknown type " + type);
        }
    }

    @Test
    void rejectsUnknownAddressFamily() {
        for (int family : new int[] {0, 5, 41}) {
            Payload p = new Payload().candidate(2, family, new byte[] {1, 2, 3, 4}, 1000);
            assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).isEqualTo(
                    "candidate 1: unknown address family " + family + " (4 or 6)");
        }
    }

    @Test
    void rejectsPortZero() {
        Payload p = validPayload().ipv4(2, 198, 51, 100, 1, 0);
        assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).isEqualTo(
                "candidate 2: port 0 outside 1..65535");
    }

    @Test
    void rejectsZeroCandidates() {
        assertThat(detail(rejection(envelope("sp2p1o", new Payload().toBytes())))).isEqualTo(
                "no candidates: a code needs at least one address");
    }

    @Test
    void rejectsTooManyCandidates() {
        Payload p = new Payload();
        for (int i = 1; i <= 9; i++) {
            p.ipv4(2, 203, 0, 113, i, 1000);
        }
        assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).isEqualTo(
                "too many candidates: 9 (at most 8)");
    }

    @Test
    void rejectsCandidateCountBeyondTheCandidates() {
        Payload p = validPayload();
        p.count = 2;
        assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).isEqualTo(
                "payload: truncated at candidate 2 type");
    }

    @Test
    void rejectsDuplicateCandidates() {
        Payload p = validPayload().ipv4(1, 203, 0, 113, 7, 49152);
        assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).isEqualTo(
                "duplicate candidates: candidate 2 has the address and port of candidate 1");
    }

    @Test
    void carriesLoopbackCandidatesForSameMachinePeers() throws TransportException {
        // Well-formed; whether to probe them is IceSession's policy (only in loopback-only mode).
        Payload p = new Payload().ipv4(1, 127, 0, 0, 1, 1000);
        ConnectionCode code = ConnectionCode.parse(envelope("sp2p1o", p.toBytes()));
        assertThat(code.candidates().get(0).address().getAddress().isLoopbackAddress()).isTrue();
    }

    @Test
    void rejectsUnspecifiedCandidateAddress() {
        Payload p = new Payload().ipv4(2, 0, 0, 0, 0, 1000);
        assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).isEqualTo(
                "candidate 1: unspecified address 0.0.0.0");
        Payload p6 = new Payload().candidate(2, 6, new byte[16], 1000);
        assertThat(detail(rejection(envelope("sp2p1o", p6.toBytes())))).isEqualTo(
                "candidate 1: unspecified address ::");
    }

    @Test
    void rejectsMulticastAndBroadcastCandidates() {
        Payload p = new Payload().ipv4(2, 224, 0, 0, 251, 5353);
        assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).isEqualTo("candidate 1: multicast address");
        Payload b = new Payload().ipv4(2, 255, 255, 255, 255, 1000);
        assertThat(detail(rejection(envelope("sp2p1o", b.toBytes())))).isEqualTo(
                "candidate 1: broadcast address 255.255.255.255");
    }

    @Test
    void rejectsIpv4MappedCandidate() {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 203, 0, 113, 7};
        Payload p = new Payload().candidate(2, 6, mapped, 1000);
        assertThat(detail(rejection(envelope("sp2p1o", p.toBytes())))).isEqualTo(
                "candidate 1: IPv4-mapped IPv6 address (an IPv4 address has family 4)");
    }

    // ---- The factories, answers() and what is never printed.

    @Test
    void answerMatchesOnlyItsOffer() {
        ConnectionCode offer = offer(1, SecurityLevel.QUANTUM_RESISTANT, typical(), true);
        ConnectionCode other = offer(2, SecurityLevel.QUANTUM_RESISTANT, typical(), true);
        ConnectionCode answer = answer(offer, 3, SecurityLevel.ENHANCED, allSix());
        assertThat(answer.answers(offer)).isTrue();
        assertThat(answer.answers(other)).isFalse();
        assertThat(offer.answers(offer)).isFalse();
        assertThat(answer.answers(answer)).isFalse();
        assertThat(answer.answeredUfrag()).contains(offer.credentials().ufrag());
        assertThat(offer.answeredUfrag()).isEmpty();
        assertThat(answer.answerNeeded()).isFalse();
    }

    @Test
    void factoriesRefuseBadCandidateLists() {
        ConnectionCode offer = offer(1, SecurityLevel.STANDARD, typical(), false);
        IceCredentials credentials = IceCredentials.generate(seeded(9));
        assertThatThrownBy(() -> offer(1, SecurityLevel.STANDARD, List.of(), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no candidates");
        List<Candidate> nine = new java.util.ArrayList<>(eightIpv6());
        nine.add(srflx4());
        assertThatThrownBy(() -> offer(1, SecurityLevel.STANDARD, nine, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too many candidates");
        Candidate sameAddressOtherType = ConnectionCodeFixtures.candidate(Candidate.Type.HOST, "203.0.113.7", 49152);
        assertThatThrownBy(() -> offer(1, SecurityLevel.STANDARD, List.of(srflx4(), sameAddressOtherType), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate");
        ConnectionCode answer = answer(offer, 2, SecurityLevel.STANDARD, typical());
        assertThatThrownBy(() -> ConnectionCode.answer(answer, fingerprint(1), SecurityLevel.STANDARD, credentials,
                typical())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void candidateListIsACopy() {
        List<Candidate> list = new java.util.ArrayList<>(typical());
        ConnectionCode code = offer(1, SecurityLevel.STANDARD, list, false);
        list.clear();
        assertThat(code.candidates()).hasSize(3);
        assertThatThrownBy(() -> code.candidates().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void toStringNeverShowsThePasswordOrTheCode() throws Exception {
        for (ConnectionCode code : sampleCodes()) {
            String s = code.toString();
            assertThat(s).doesNotContain(code.credentials().password());
            assertThat(s).doesNotContain(code.text().substring(7, 17));
            assertThat(s).contains(code.kind().toString()).contains(code.identity().shortForm());
            assertThat(ConnectionTarget.parse(code.text()).toString()).doesNotContain(code.credentials().password());
        }
    }
}
