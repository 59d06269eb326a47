package org.securep2p.transport;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.CRC32C;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

import static org.securep2p.transport.TransportException.Reason.BAD_CODE;
import static org.securep2p.transport.TransportException.Reason.UNSUPPORTED_CODE_VERSION;

/**
 * A connection code: one copy-paste-safe line that tells the peer who we are (the identity fingerprint), how
 * to reach us (ICE credentials and candidates) and the lowest security level we accept. The waiter shows an
 * {@link Kind#OFFER}; the connector pastes it and, when the offer says the waiter's NAT filters unsolicited
 * packets ({@link #answerNeeded()}), shows an {@link Kind#ANSWER} for the waiter to paste, so both can punch
 * at once. The exact format is {@code docs/PROTOCOL.md} section 11.
 *
 * <p>Guarantees: {@link #parse} accepts exactly the texts {@link #text()} can produce, up to letter case, the
 * Crockford look-alikes (O for 0, I and L for 1) and separators (spaces, line breaks, dashes) anywhere after
 * the prefix; every other input is a {@link TransportException} whose detail says what is wrong (truncated and
 * by how many characters, a mistyped character, an unexpected character and where, a bad field), never another
 * exception. Every single mistyped character is detected, deterministically, by the CRC-32C.
 *
 * <p>Not its job: authenticity. The checksum catches accidents, not attackers; that the code really comes from
 * the peer is the job of the channel it was sent over, and the fingerprint it carries is what pins the peer in
 * the handshake. Nor does it choose candidates or levels: it carries what it is given.
 */
public final class ConnectionCode {

    /** Who made the code: the side that waits, or the side that connects and replies. */
    public enum Kind {
        /** The waiter's code, pasted by the connector. */
        OFFER(1, 'o'),
        /** The connector's reply to one offer, pasted by the waiter when its NAT filters unsolicited packets. */
        ANSWER(2, 'a');

        private final int code;
        private final char letter;

        Kind(int code, char letter) {
            this.code = code;
            this.letter = letter;
        }

        static Kind fromLetter(char letter) {
            for (Kind k : values()) {
                if (k.letter == letter) {
                    return k;
                }
            }
            return null;
        }
    }

    /** The newest version this build reads and writes; it writes 1 for a code without a relay (section 11.4). */
    public static final int VERSION = 2;
    /** The version of a code without a relay address: old readers read it, and it is no longer than before. */
    static final int VERSION_WITHOUT_RELAY = 1;
    /** The oldest version this build reads; an older one is a different error from an unknown newer one. */
    static final int OLDEST_READABLE_VERSION = 1;

    /**
     * At most this many candidates: a srflx and a relay per address family plus host addresses is 4 to 6 in
     * practice, and 8 IPv6 candidates make the longest code 454 characters, which still fits one chat message
     * (2 IPv4 and 1 IPv6 candidate make 204).
     */
    public static final int MAX_CANDIDATES = 8;

    /**
     * Longest text {@link #parse} looks at, separators and wrapping included. The longest code is 508 characters
     * (a full payload: version 2 with a relay address; the longest version-1 code has 454); this leaves room for a
     * chat app's line breaks and indentation while refusing a pasted document before any work is done on it.
     */
    static final int MAX_TEXT_LENGTH = 2048;

    /** Starts every code, of every version: says what the text is to a person who sees it in a chat. */
    static final String MAGIC = "sp2p";
    /** Version numbers have at most three digits in the prefix; a longer run is not a prefix at all. */
    static final int MAX_VERSION_DIGITS = 3;
    /** The text shows the payload in groups of this many characters, separated by '-'. */
    static final int GROUP_SIZE = 5;

    /** Crockford's base32 alphabet: no I, L, O or U, so nothing is read as another symbol or a word. */
    static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /** The length byte and its complement, which lets a damaged length be told from a truncation. */
    static final int HEADER_BYTES = 2;
    /** CRC-32C, little-endian. */
    static final int CHECKSUM_BYTES = 4;
    /** The header's 16 bits need four characters; fewer and the length is not known yet. */
    static final int HEADER_CHARS = (HEADER_BYTES * 8 + 4) / 5;
    /** The length field is one byte; every version's payload fits in it. */
    static final int MAX_PAYLOAD_BYTES = 0xFF;
    /**
     * The longest relay address a code may carry, as the relay's own address text allows (PROTOCOL.md 22.2); the
     * payload's 255 bytes bound it further ({@link #relayRoom()}).
     */
    public static final int MAX_RELAY_BYTES = 340;

    /** Offer flag: the waiter's NAT filters packets from unknown sources, so the connector must answer. */
    static final int FLAG_ANSWER_NEEDED = 0x01;
    static final int KNOWN_FLAGS = FLAG_ANSWER_NEEDED;

    static final String CHECKSUM_MISMATCH = "checksum mismatch: a character was mistyped or changed";

    private static final int[] DECODE = new int[128];

    static {
        Arrays.fill(DECODE, -1);
        for (int i = 0; i < ALPHABET.length(); i++) {
            char c = ALPHABET.charAt(i);
            DECODE[c] = i;
            DECODE[Character.toLowerCase(c)] = i;
        }
        // Crockford's decoding of the letters it leaves out because they look like digits.
        DECODE['O'] = DECODE['o'] = 0;
        DECODE['I'] = DECODE['i'] = DECODE['L'] = DECODE['l'] = 1;
    }

    private final Kind kind;
    private final Fingerprint identity;
    private final SecurityLevel minimumLevel;
    private final IceCredentials credentials;
    private final List<Candidate> candidates;
    private final boolean answerNeeded;
    private final byte[] answeredUfrag;
    private final int version;
    /** Version 2 only: the maker's relay address (text, not parsed here), or null for none. */
    private final String relay;

    private ConnectionCode(Kind kind, Fingerprint identity, SecurityLevel minimumLevel, IceCredentials credentials,
            List<Candidate> candidates, boolean answerNeeded, byte[] answeredUfrag) {
        this(kind, identity, minimumLevel, credentials, candidates, answerNeeded, answeredUfrag,
                VERSION_WITHOUT_RELAY, null);
    }

    private ConnectionCode(Kind kind, Fingerprint identity, SecurityLevel minimumLevel, IceCredentials credentials,
            List<Candidate> candidates, boolean answerNeeded, byte[] answeredUfrag, int version, String relay) {
        this.version = version;
        this.relay = relay;
        this.kind = kind;
        this.identity = identity;
        this.minimumLevel = minimumLevel;
        this.credentials = credentials;
        this.candidates = candidates;
        this.answerNeeded = answerNeeded;
        this.answeredUfrag = answeredUfrag;
    }

    /**
     * The waiter's code.
     *
     * @param answerNeeded whether the waiter's NAT filters packets from sources it has not sent to (address-
     *     or port-dependent filtering), so the connector must show an answer code and both must punch
     * @throws IllegalArgumentException if there are no candidates, more than {@link #MAX_CANDIDATES}, or two
     *     with the same address and port
     */
    public static ConnectionCode offer(Fingerprint identity, SecurityLevel minimumLevel, IceCredentials credentials,
            List<Candidate> candidates, boolean answerNeeded) {
        return new ConnectionCode(Kind.OFFER, Objects.requireNonNull(identity, "identity"),
                Objects.requireNonNull(minimumLevel, "minimumLevel"),
                Objects.requireNonNull(credentials, "credentials"), checkedCandidates(candidates), answerNeeded,
                null);
    }

    /**
     * The connector's answer to {@code offer}; it carries the offer's ufrag so that the waiter can tell an
     * answer to another of its codes ({@link #answers}).
     *
     * @throws IllegalArgumentException if {@code offer} is not an offer, or the candidates break the rules of
     *     {@link #offer}
     */
    public static ConnectionCode answer(ConnectionCode offer, Fingerprint identity, SecurityLevel minimumLevel,
            IceCredentials credentials, List<Candidate> candidates) {
        Objects.requireNonNull(offer, "offer");
        if (offer.kind != Kind.OFFER) {
            throw new IllegalArgumentException("an answer answers an offer, not an answer");
        }
        return new ConnectionCode(Kind.ANSWER, Objects.requireNonNull(identity, "identity"),
                Objects.requireNonNull(minimumLevel, "minimumLevel"),
                Objects.requireNonNull(credentials, "credentials"), checkedCandidates(candidates), false,
                offer.credentials.ufragBytes());
    }

    /**
     * This offer with the maker's relay address in it (version 2, PROTOCOL.md 11.4), so that the connector can
     * share the relay from the first session on. The transport checks only the address's length and characters;
     * what it means is the app's business.
     *
     * @throws IllegalArgumentException if this is an answer, if {@code relay} is empty, longer than
     *     {@link #MAX_RELAY_BYTES} or not visible ASCII, or if it does not fit beside this code's candidates
     *     ({@link #relayRoom()})
     */
    public ConnectionCode withRelay(String relay) {
        Objects.requireNonNull(relay, "relay");
        if (kind != Kind.OFFER) {
            throw new IllegalArgumentException("only an offer carries a relay address");
        }
        String refusal = relayRefusal(relay);
        if (refusal != null) {
            throw new IllegalArgumentException(refusal);
        }
        if (relay.length() > relayRoom()) {
            throw new IllegalArgumentException("a relay address of " + relay.length() + " bytes does not fit beside "
                    + candidates.size() + " candidates (at most " + relayRoom() + ")");
        }
        return new ConnectionCode(kind, identity, minimumLevel, credentials, candidates, answerNeeded, answeredUfrag,
                VERSION, relay);
    }

    /**
     * How long a relay address {@link #withRelay} can add to this code: the room the payload's 255 bytes leave
     * beside its other fields and candidates, at most {@link #MAX_RELAY_BYTES}; 0 for an answer.
     */
    public int relayRoom() {
        if (kind != Kind.OFFER) {
            return 0;
        }
        int used = payloadWithoutRelay().length + 2;
        return Math.max(0, Math.min(MAX_RELAY_BYTES, MAX_PAYLOAD_BYTES - used));
    }

    /** Why a relay address cannot be carried, or null: 1 to 340 characters of visible ASCII. */
    private static String relayRefusal(String relay) {
        if (relay.isEmpty() || relay.length() > MAX_RELAY_BYTES) {
            return "relay address: " + relay.length() + " bytes (1 to " + MAX_RELAY_BYTES + ")";
        }
        for (int i = 0; i < relay.length(); i++) {
            char c = relay.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                return "relay address: byte " + (i + 1) + " is not visible ASCII";
            }
        }
        return null;
    }

    private static List<Candidate> checkedCandidates(List<Candidate> candidates) {
        List<Candidate> copy = List.copyOf(Objects.requireNonNull(candidates, "candidates"));
        String refusal = candidateListRefusal(copy);
        if (refusal != null) {
            throw new IllegalArgumentException(refusal);
        }
        return copy;
    }

    /** Why a candidate list cannot be sent, or null. The factories and the parser share these rules. */
    private static String candidateListRefusal(List<Candidate> candidates) {
        if (candidates.isEmpty()) {
            return "no candidates: a code needs at least one address";
        }
        if (candidates.size() > MAX_CANDIDATES) {
            return "too many candidates: " + candidates.size() + " (at most " + MAX_CANDIDATES + ")";
        }
        for (int i = 0; i < candidates.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (candidates.get(i).sameTransportAddress(candidates.get(j))) {
                    return "duplicate candidates: candidate " + (i + 1) + " has the address and port of candidate "
                            + (j + 1);
                }
            }
        }
        return null;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * The code's version: 1, or 2 for a code with a relay field (a code this build makes has 2 exactly when it
     * carries a relay address; a parsed one keeps the version it was written in).
     */
    public int version() {
        return version;
    }

    /**
     * For an offer of version 2: the maker's relay address, as written (PROTOCOL.md 22.2's text; not parsed by
     * the transport). Empty otherwise.
     */
    public Optional<String> relay() {
        return Optional.ofNullable(relay);
    }

    /** The fingerprint of the identity that made the code: the handshake must prove exactly this identity. */
    public Fingerprint identity() {
        return identity;
    }

    /** The lowest security level the code's maker accepts. */
    public SecurityLevel minimumLevel() {
        return minimumLevel;
    }

    public IceCredentials credentials() {
        return credentials;
    }

    /** The candidates in the maker's order of preference; unmodifiable. */
    public List<Candidate> candidates() {
        return candidates;
    }

    /** For an offer: whether the connector must show an answer code. Always false for an answer. */
    public boolean answerNeeded() {
        return answerNeeded;
    }

    /** For an answer: the ICE ufrag of the offer it answers. Empty for an offer. */
    public Optional<String> answeredUfrag() {
        return answeredUfrag == null ? Optional.empty()
                : Optional.of(Base64.getEncoder().encodeToString(answeredUfrag));
    }

    /**
     * Whether this is an answer to {@code offer}: this is an answer, that is an offer, and this answer carries
     * that offer's ufrag. False means the pasted answer belongs to another code (an older one, or someone
     * else's).
     */
    public boolean answers(ConnectionCode offer) {
        Objects.requireNonNull(offer, "offer");
        return kind == Kind.ANSWER && offer.kind == Kind.OFFER
                && MessageDigest.isEqual(answeredUfrag, offer.credentials.ufragBytes());
    }

    /** The code as the user copies it, e.g. {@code sp2p1o-0F3KQ-...}: lower-case prefix, upper-case groups. */
    public String text() {
        return encodeEnvelope(version, kind.letter, payload());
    }

    private byte[] payload() {
        byte[] base = payloadWithoutRelay();
        if (version == VERSION_WITHOUT_RELAY) {
            return base;
        }
        return new StrictWriter().bytes(base)
                .var16(relay == null ? new byte[0] : relay.getBytes(StandardCharsets.US_ASCII)).toByteArray();
    }

    /** Version 1's fields (the version byte is this code's). */
    private byte[] payloadWithoutRelay() {
        StrictWriter w = new StrictWriter()
                .u8(version)
                .u8(kind.code)
                .u8(minimumLevel.code())
                .u8(answerNeeded ? FLAG_ANSWER_NEEDED : 0)
                .bytes(identity.toBytes())
                .bytes(credentials.ufragBytes())
                .bytes(credentials.passwordBytes());
        if (kind == Kind.ANSWER) {
            w.bytes(answeredUfrag);
        }
        w.u8(candidates.size());
        for (Candidate c : candidates) {
            w.u8(c.type().code()).u8(c.family()).bytes(c.addressBytes()).u16(c.port());
        }
        return w.toByteArray();
    }

    /**
     * Parses a pasted code. Surrounding whitespace is ignored, and so are spaces, line breaks and dashes (and
     * the Unicode look-alikes chat apps substitute) anywhere after the {@code sp2pNk} prefix, and the marker
     * lines a front end prints around a code ({@link CodeMarkers}).
     *
     * @throws TransportException {@code UNSUPPORTED_CODE_VERSION} for an intact code of another version (older
     *     and newer are told apart in the detail), {@code BAD_CODE} for anything else that is not a valid code
     */
    public static ConnectionCode parse(String text) throws TransportException {
        Objects.requireNonNull(text, "text");
        if (text.length() > MAX_TEXT_LENGTH) {
            throw bad("too long: " + text.length() + " characters, a code has at most " + MAX_TEXT_LENGTH);
        }
        int[] code = CodeMarkers.inside(text, 0, text.length());
        return parse(text, code[0], code[1]);
    }

    /** Parses {@code text[from, to)}; positions in errors count from the start of {@code text}, from 1. */
    static ConnectionCode parse(String text, int from, int to) throws TransportException {
        if (to - from > MAX_TEXT_LENGTH) {
            throw bad("too long: " + (to - from) + " characters, a code has at most " + MAX_TEXT_LENGTH);
        }
        Envelope envelope = Envelope.read(text, from, to);
        if (envelope.version < OLDEST_READABLE_VERSION) {
            throw new TransportException(UNSUPPORTED_CODE_VERSION, "code version " + envelope.version
                    + " is older than this build reads (" + OLDEST_READABLE_VERSION + " to " + VERSION
                    + "): the peer should update securep2p");
        }
        if (envelope.version > VERSION) {
            throw new TransportException(UNSUPPORTED_CODE_VERSION, "code version " + envelope.version
                    + " is newer than this build reads (up to " + VERSION + "): update securep2p");
        }
        return decode(envelope);
    }

    /** Version 1's payload, and for version 2 the relay field after it. */
    private static ConnectionCode decode(Envelope envelope) throws TransportException {
        Kind kind = Kind.fromLetter(envelope.kindLetter);
        if (kind == null) {
            throw bad("unknown kind '" + envelope.kindLetter + "': a code is an offer (o) or an answer (a)");
        }
        StrictReader r = new StrictReader(envelope.payload, "payload");
        try {
            int version = r.u8("version");
            if (version != envelope.version) {
                throw bad("the payload says version " + version + " but the prefix says " + envelope.version);
            }
            int kindCode = r.u8("kind");
            if (kindCode != kind.code) {
                throw bad("the payload says kind " + kindCode + " but the prefix says " + kind + " ("
                        + kind.code + ")");
            }
            int levelCode = r.u8("security level");
            SecurityLevel level = levelFromCode(levelCode);
            int flags = r.u8("flags");
            if ((flags & ~KNOWN_FLAGS) != 0) {
                throw bad("unknown flags 0x" + Integer.toHexString(flags & ~KNOWN_FLAGS));
            }
            boolean answerNeeded = (flags & FLAG_ANSWER_NEEDED) != 0;
            if (answerNeeded && kind == Kind.ANSWER) {
                throw bad("the answer-needed flag is set in an answer");
            }
            Fingerprint identity = Fingerprint.fromBytes(r.fixed(Fingerprint.LENGTH, "fingerprint"));
            IceCredentials credentials = IceCredentials.fromBytes(r.fixed(IceCredentials.UFRAG_BYTES, "ufrag"),
                    r.fixed(IceCredentials.PASSWORD_BYTES, "password"));
            byte[] answeredUfrag = kind == Kind.ANSWER ? r.fixed(IceCredentials.UFRAG_BYTES, "offer ufrag") : null;
            int count = r.u8("candidate count");
            if (count == 0) {
                throw bad("no candidates: a code needs at least one address");
            }
            if (count > MAX_CANDIDATES) {
                throw bad("too many candidates: " + count + " (at most " + MAX_CANDIDATES + ")");
            }
            List<Candidate> candidates = new ArrayList<>(count);
            for (int i = 1; i <= count; i++) {
                candidates.add(readCandidate(r, i));
            }
            String refusal = candidateListRefusal(candidates);
            if (refusal != null) {
                throw bad(refusal);
            }
            String relay = null;
            if (version >= 2) {
                byte[] field = r.var16(0, MAX_RELAY_BYTES, "relay");
                if (field.length > 0 && kind == Kind.ANSWER) {
                    throw bad("an answer carries no relay address");
                }
                if (field.length > 0) {
                    relay = new String(field, StandardCharsets.ISO_8859_1);
                    String relayProblem = relayRefusal(relay);
                    if (relayProblem != null) {
                        throw bad(relayProblem);
                    }
                }
            }
            r.expectEnd();
            return new ConnectionCode(kind, identity, level, credentials, List.copyOf(candidates), answerNeeded,
                    answeredUfrag, version, relay);
        } catch (CryptoException e) {
            // StrictReader's messages name a field and a count, never the bytes.
            throw new TransportException(BAD_CODE, stripReason(e), e);
        }
    }

    private static Candidate readCandidate(StrictReader r, int index) throws CryptoException, TransportException {
        String name = "candidate " + index;
        int typeCode = r.u8(name + " type");
        Candidate.Type type = Candidate.Type.fromCode(typeCode);
        if (type == null) {
            throw bad(name + ": unknown type " + typeCode);
        }
        int family = r.u8(name + " family");
        int addressLength;
        if (family == Candidate.FAMILY_IPV4) {
            addressLength = 4;
        } else if (family == Candidate.FAMILY_IPV6) {
            addressLength = 16;
        } else {
            throw bad(name + ": unknown address family " + family + " (4 or 6)");
        }
        byte[] address = r.fixed(addressLength, name + " address");
        int port = r.u16(name + " port");
        String refusal = Candidate.refusal(address, port);
        if (refusal != null) {
            throw bad(name + ": " + refusal);
        }
        return Candidate.fromWire(type, address, port);
    }

    private static SecurityLevel levelFromCode(int code) throws TransportException {
        try {
            return SecurityLevel.fromCode(code);
        } catch (CryptoException e) {
            throw bad("unknown security level " + code);
        }
    }

    private static String stripReason(CryptoException e) {
        String prefix = e.reason() + ": ";
        String m = e.getMessage();
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    static TransportException bad(String detail) {
        return new TransportException(BAD_CODE, detail);
    }

    // ---- The envelope: the same for every version, so any version's code can be checked and its version named.

    /**
     * {@code prefix || "-" || groups(base32(u8 n || u8 ~n || payload[n] || crc32c_le))}, where the CRC-32C
     * covers the prefix's ASCII (without the dash) and everything before it.
     */
    static String encodeEnvelope(int version, char kindLetter, byte[] payload) {
        if (payload.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("payload longer than " + MAX_PAYLOAD_BYTES + " bytes");
        }
        String prefix = MAGIC + version + kindLetter;
        byte[] body = new byte[HEADER_BYTES + payload.length + CHECKSUM_BYTES];
        body[0] = (byte) payload.length;
        body[1] = (byte) ~payload.length;
        System.arraycopy(payload, 0, body, HEADER_BYTES, payload.length);
        int crc = checksum(prefix, body, HEADER_BYTES + payload.length);
        int at = HEADER_BYTES + payload.length;
        // Little-endian, as a reflected CRC is sent: then the body is a CRC codeword bit for bit and the burst
        // guarantee covers errors that straddle the payload and the checksum too.
        for (int i = 0; i < CHECKSUM_BYTES; i++) {
            body[at + i] = (byte) (crc >>> (8 * i));
        }
        String chars = base32(body);
        StringBuilder sb = new StringBuilder(prefix.length() + chars.length() + chars.length() / GROUP_SIZE + 1);
        sb.append(prefix);
        for (int i = 0; i < chars.length(); i += GROUP_SIZE) {
            sb.append('-').append(chars, i, Math.min(i + GROUP_SIZE, chars.length()));
        }
        return sb.toString();
    }

    static int checksum(String prefix, byte[] body, int length) {
        CRC32C crc = new CRC32C();
        crc.update(prefix.getBytes(StandardCharsets.US_ASCII));
        crc.update(body, 0, length);
        return (int) crc.getValue();
    }

    /** Base32 without padding characters; the last character's spare low bits are zero. */
    static String base32(byte[] data) {
        StringBuilder sb = new StringBuilder(charsFor(data.length));
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xFF);
            bits += 8;
            while (bits >= 5) {
                sb.append(ALPHABET.charAt((buffer >>> (bits - 5)) & 0x1F));
                bits -= 5;
            }
        }
        if (bits > 0) {
            sb.append(ALPHABET.charAt((buffer << (5 - bits)) & 0x1F));
        }
        return sb.toString();
    }

    /** Characters that encode {@code bytes} bytes. */
    static int charsFor(int bytes) {
        return (bytes * 8 + 4) / 5;
    }

    /**
     * Characters with no meaning in a code: whitespace (including the no-break and zero-width spaces and the
     * soft hyphen that chat apps insert when they wrap lines) and the dash with its typographic look-alikes.
     */
    static boolean isSeparator(char c) {
        return c == '-' || isBlank(c)
                || c == '\u2010' || c == '\u2011' || c == '\u2012' || c == '\u2013' || c == '\u2014'
                || c == '\u2212';
    }

    /** Whitespace, visible or not; ConnectionTarget trims these around what was pasted. */
    static boolean isBlank(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c)
                || c == '\u200B' || c == '\u200C' || c == '\u200D' || c == '\u2060' || c == '\uFEFF'
                || c == '\u00AD';
    }

    /** A character for an error message: itself if it is visible ASCII, else its code point. */
    static String show(String text, int index) {
        char c = text.charAt(index);
        if (c > 0x20 && c < 0x7F) {
            return "'" + c + "'";
        }
        return String.format("U+%04X", text.codePointAt(index));
    }

    static TransportException unexpected(String text, int index, String expected) {
        return bad("unexpected character " + show(text, index) + " at position " + (index + 1) + ": " + expected);
    }

    /** The checked parts of an intact code of any version. */
    static final class Envelope {
        final int version;
        final char kindLetter;
        final byte[] payload;

        private Envelope(int version, char kindLetter, byte[] payload) {
            this.version = version;
            this.kindLetter = kindLetter;
            this.payload = payload;
        }

        /**
         * Reads the prefix strictly (its characters are positional), then the base32 body leniently (separators
         * anywhere), then checks in this order: characters, length header, character count (so a truncation is
         * reported as one, with the count of missing characters), spare bits and checksum.
         */
        static Envelope read(String text, int from, int to) throws TransportException {
            int i = from;
            while (i < to && isBlank(text.charAt(i))) {
                i++;
            }
            if (i == to) {
                throw bad("empty: no code was pasted");
            }
            for (int k = 0; k < MAGIC.length(); k++, i++) {
                if (i == to) {
                    throw bad("truncated: the code ends inside its " + MAGIC + " prefix");
                }
                if (Character.toLowerCase(text.charAt(i)) != MAGIC.charAt(k) || text.charAt(i) > 0x7F) {
                    throw unexpected(text, i, "a connection code starts with " + MAGIC);
                }
            }
            int version = 0;
            int digits = 0;
            StringBuilder prefix = new StringBuilder(MAGIC);
            while (i < to && isAsciiDigit(text.charAt(i))) {
                if (++digits > MAX_VERSION_DIGITS) {
                    throw unexpected(text, i, "the version number has at most " + MAX_VERSION_DIGITS + " digits");
                }
                version = version * 10 + (text.charAt(i) - '0');
                prefix.append(text.charAt(i));
                i++;
            }
            if (i == to) {
                throw bad(digits == 0 ? "truncated: the code ends after " + MAGIC
                        : "truncated: the code ends after its version number");
            }
            if (digits == 0) {
                throw unexpected(text, i, "expected the version number after " + MAGIC);
            }
            if (digits > 1 && text.charAt(i - digits) == '0') {
                // One version, one prefix: "sp2p01o" would be a second text for the same code.
                throw unexpected(text, i - digits, "a version number has no leading zeros");
            }
            char kindLetter = Character.toLowerCase(text.charAt(i));
            if (kindLetter < 'a' || kindLetter > 'z' || text.charAt(i) > 0x7F) {
                throw unexpected(text, i, "expected the kind letter (o or a) after the version number");
            }
            prefix.append(kindLetter);
            i++;

            int[] values = new int[to - i];
            int count = 0;
            for (; i < to; i++) {
                char c = text.charAt(i);
                if (isSeparator(c)) {
                    continue;
                }
                int v = c < 128 ? DECODE[c] : -1;
                if (v < 0) {
                    throw unexpected(text, i, "a code has only digits and the letters A to Z except U");
                }
                values[count++] = v;
            }
            if (count == 0) {
                throw bad("truncated: only the prefix " + prefix + " is there");
            }
            if (count < HEADER_CHARS) {
                throw bad("truncated: the code ends inside its length field");
            }
            int header = (values[0] << 15) | (values[1] << 10) | (values[2] << 5) | values[3];
            int length = (header >>> 12) & 0xFF;
            int lengthCheck = (header >>> 4) & 0xFF;
            if ((length ^ lengthCheck) != 0xFF) {
                throw bad(CHECKSUM_MISMATCH);
            }
            int bodyBytes = HEADER_BYTES + length + CHECKSUM_BYTES;
            int expected = charsFor(bodyBytes);
            if (count < expected) {
                int missing = expected - count;
                throw bad("truncated: " + missing + (missing == 1 ? " character" : " characters") + " missing");
            }
            if (count > expected) {
                int extra = count - expected;
                throw bad("too long: " + extra + (extra == 1 ? " character" : " characters")
                        + " more than the code's length field says");
            }
            byte[] body = new byte[bodyBytes];
            int buffer = 0;
            int bits = 0;
            int out = 0;
            for (int k = 0; k < count; k++) {
                buffer = (buffer << 5) | values[k];
                bits += 5;
                if (bits >= 8) {
                    body[out++] = (byte) (buffer >>> (bits - 8));
                    bits -= 8;
                }
            }
            // The spare bits of the last character are zero in a code we wrote; anything else is a changed
            // character the CRC cannot see, so it is reported as one.
            if ((buffer & ((1 << bits) - 1)) != 0) {
                throw bad(CHECKSUM_MISMATCH);
            }
            int at = HEADER_BYTES + length;
            int stored = 0;
            for (int k = CHECKSUM_BYTES - 1; k >= 0; k--) {
                stored = (stored << 8) | (body[at + k] & 0xFF);
            }
            if (stored != checksum(prefix.toString(), body, at)) {
                throw bad(CHECKSUM_MISMATCH);
            }
            byte[] payload = new byte[length];
            System.arraycopy(body, HEADER_BYTES, payload, 0, length);
            return new Envelope(version, kindLetter, payload);
        }

        private static boolean isAsciiDigit(char c) {
            return c >= '0' && c <= '9';
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ConnectionCode c)) {
            return false;
        }
        return kind == c.kind && identity.equals(c.identity) && minimumLevel == c.minimumLevel
                && credentials.equals(c.credentials) && candidates.equals(c.candidates)
                && answerNeeded == c.answerNeeded && MessageDigest.isEqual(answeredUfrag, c.answeredUfrag)
                && version == c.version && Objects.equals(relay, c.relay);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, identity, minimumLevel, credentials, candidates, answerNeeded, version, relay);
    }

    /** Kind, level, the fingerprint's short form and the candidate count; never the ICE password. */
    @Override
    public String toString() {
        return "ConnectionCode[" + kind + " v" + version + ", " + minimumLevel + ", identity "
                + identity.shortForm() + ", " + candidates.size() + " candidates"
                + (answerNeeded ? ", answer needed" : "") + (relay != null ? ", relay" : "") + "]";
    }
}
