package org.securep2p.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The relay's frame codec (PROTOCOL.md §22.3): round trips, strict refusals, request signatures. */
class RelayFrameTest {

    @Property
    void everyFrameRoundTrips(@ForAll("frames") RelayFrame frame) throws RelayException {
        byte[] wire = frame.encode();
        RelayFrame back = RelayFrame.decode(wire);
        assertThat(back.getClass()).isEqualTo(frame.getClass());
        assertThat(back.requestId()).isEqualTo(frame.requestId());
        assertThat(back.encode()).isEqualTo(wire);
    }

    @Property(tries = 200)
    void everyTruncationIsRefused(@ForAll("frames") RelayFrame frame) {
        byte[] wire = frame.encode();
        for (int n = 0; n < wire.length; n++) {
            byte[] cut = Arrays.copyOf(wire, n);
            assertThatThrownBy(() -> RelayFrame.decode(cut)).as("prefix of %d bytes", n)
                    .isInstanceOfSatisfying(RelayException.class,
                            e -> assertThat(e.reason()).isEqualTo(RelayException.Reason.BAD_FRAME));
        }
    }

    @Property
    void everyExtraByteIsRefused(@ForAll("frames") RelayFrame frame, @ForAll byte extra,
            @ForAll @IntRange(min = 1, max = 8) int count) {
        byte[] wire = frame.encode();
        byte[] longer = Arrays.copyOf(wire, wire.length + count);
        Arrays.fill(longer, wire.length, longer.length, extra);
        assertRefused(longer, RelayException.Reason.BAD_FRAME);
    }

    @Property
    void anUnknownVersionIsRefusedAsSuch(@ForAll("frames") RelayFrame frame, @ForAll byte version) {
        byte[] wire = frame.encode();
        wire[0] = version;
        if (version != RelayFrame.VERSION) {
            assertRefused(wire, RelayException.Reason.UNKNOWN_VERSION);
        }
    }

    @Property
    void anUnknownTypeIsRefused(@ForAll("frames") RelayFrame frame, @ForAll byte type) {
        byte[] wire = frame.encode();
        wire[1] = type;
        if (Arrays.stream(RelayFrame.Type.values()).noneMatch(t -> t.code() == (type & 0xFF))) {
            assertRefused(wire, RelayException.Reason.BAD_FRAME);
        }
    }

    @Test
    void aFrameOverTheLimitIsTooLargeBeforeItIsRead() {
        byte[] big = new byte[RelayFrame.MAX_FRAME + 1];
        big[0] = RelayFrame.VERSION;
        big[1] = (byte) RelayFrame.Type.POST.code();
        assertRefused(big, RelayException.Reason.TOO_LARGE);
    }

    @Test
    void theLargestDeliverFits() throws RelayException {
        RelayFrame.Deliver d = new RelayFrame.Deliver(7, MailboxId.of(new byte[32]), 1, 0,
                new byte[RelayFrame.MAX_BLOB]);
        byte[] wire = d.encode();
        assertThat(wire.length).isLessThanOrEqualTo(RelayFrame.MAX_FRAME);
        assertThat(RelayFrame.decode(wire).encode()).isEqualTo(wire);
    }

    @Test
    void directoryFramesAtTheirBoundsRoundTripAndOneByteMoreIsRefused() throws RelayException {
        byte[] fp = new byte[32];
        String longest = "N".repeat(RelayFrame.MAX_NAME);
        List<RelayFrame> edges = List.of(
                new RelayFrame.Publish(1, new byte[RelayFrame.MAX_BUNDLE]),
                new RelayFrame.Request(1, fp, new byte[RelayFrame.MAX_PAYLOAD]),
                new RelayFrame.Entry(1, new byte[RelayFrame.MAX_CERTIFICATE], new byte[RelayFrame.MAX_BUNDLE], 0),
                new RelayFrame.Incoming(new byte[RelayFrame.MAX_CERTIFICATE], new byte[RelayFrame.MAX_PAYLOAD]),
                new RelayFrame.MemberList(1, java.util.Collections.nCopies(RelayFrame.MAX_MEMBERS,
                        new MemberDirectory.Listing(longest, fp, true))));
        for (RelayFrame f : edges) {
            byte[] wire = f.encode();
            assertThat(wire.length).isLessThanOrEqualTo(RelayFrame.MAX_FRAME);
            assertThat(RelayFrame.decode(wire).encode()).isEqualTo(wire);
        }
        // One byte over each bound, written by hand since no constructor builds it.
        assertRefused(withLength32(RelayFrame.Type.PUBLISH, 6, RelayFrame.MAX_BUNDLE + 1), RelayException.Reason.BAD_FRAME);
        byte[] request = new RelayFrame.Request(1, fp, new byte[1]).encode();
        byte[] longRequest = Arrays.copyOf(request, request.length - 1 + RelayFrame.MAX_PAYLOAD + 1);
        longRequest[6 + 32] = (byte) ((RelayFrame.MAX_PAYLOAD + 1) >> 8);
        longRequest[6 + 32 + 1] = (byte) (RelayFrame.MAX_PAYLOAD + 1);
        assertRefused(longRequest, RelayException.Reason.BAD_FRAME);
        byte[] list = new RelayFrame.MemberList(1, List.of()).encode();
        list[9] = (byte) 0x01; // count 8193 with no listings after it
        list[8] = (byte) 0x20;
        assertRefused(list, RelayException.Reason.BAD_FRAME);
    }

    private static byte[] withLength32(RelayFrame.Type type, int at, int length) {
        byte[] wire = new byte[at + 4 + length];
        wire[0] = RelayFrame.VERSION;
        wire[1] = (byte) type.code();
        wire[5] = 1;
        wire[at] = (byte) (length >>> 24);
        wire[at + 1] = (byte) (length >>> 16);
        wire[at + 2] = (byte) (length >>> 8);
        wire[at + 3] = (byte) length;
        return wire;
    }

    @Test
    void emptyOrOutOfRangeDirectoryFieldsAreRefused() {
        byte[] fp = new byte[32];
        // An empty payload, certificate or bundle; an empty or 65-byte name; online neither 0 nor 1.
        byte[] request = new RelayFrame.Request(1, fp, new byte[] {7}).encode();
        assertRefused(lengthZero16(request, 6 + 32), RelayException.Reason.BAD_FRAME);
        byte[] listing = new RelayFrame.MemberList(1, List.of(new MemberDirectory.Listing("A", fp, false))).encode();
        byte[] badOnline = listing.clone();
        badOnline[badOnline.length - 1] = 2;
        assertRefused(badOnline, RelayException.Reason.BAD_FRAME);
        byte[] emptyName = new byte[listing.length - 1];
        System.arraycopy(listing, 0, emptyName, 0, 10);
        System.arraycopy(listing, 13, emptyName, 12, listing.length - 13);
        assertRefused(emptyName, RelayException.Reason.BAD_FRAME);
        byte[] badUtf8 = listing.clone();
        badUtf8[12] = (byte) 0xC3;
        assertRefused(badUtf8, RelayException.Reason.BAD_FRAME);
        byte[] incoming = new RelayFrame.Incoming(new byte[] {1}, new byte[] {2}).encode();
        incoming[5] = 9; // INCOMING is pushed, never an answer
        assertRefused(incoming, RelayException.Reason.BAD_FRAME);
        for (RelayFrame f : List.of(new RelayFrame.Unpublish(1), new RelayFrame.Members(1),
                new RelayFrame.Lookup(1, fp), new RelayFrame.Publish(1, new byte[1]))) {
            byte[] wire = f.encode();
            wire[5] = 0; // a request's id is at least 1
            assertRefused(wire, RelayException.Reason.BAD_FRAME);
        }
        assertThatThrownBy(() -> new RelayFrame.MemberList(1, List.of(new MemberDirectory.Listing("N".repeat(65), fp,
                true)))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayFrame.Publish(1, new byte[RelayFrame.MAX_BUNDLE + 1]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayFrame.Lookup(1, new byte[31])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayFrame.Request(1, fp, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] lengthZero16(byte[] wire, int at) {
        byte[] out = Arrays.copyOf(wire, at + 2);
        out[at] = 0;
        out[at + 1] = 0;
        return out;
    }

    @Test
    void aChallengeNamesNoRequestAndARequestNamesOne() {
        byte[] challenge = new RelayFrame.Challenge(new byte[32], 1, 1).encode();
        challenge[5] = 1;
        assertRefused(challenge, RelayException.Reason.BAD_FRAME);
        byte[] ping = new RelayFrame.Ping(1).encode();
        ping[5] = 0;
        assertRefused(ping, RelayException.Reason.BAD_FRAME);
    }

    @Test
    void anUnknownErrorCodeIsRefused() {
        byte[] wire = new RelayFrame.Error(3, RelayException.Reason.INTERNAL, "x").encode();
        wire[7] = 99;
        assertRefused(wire, RelayException.Reason.BAD_FRAME);
    }

    @Test
    void aDetailThatIsNotUtf8IsRefused() {
        byte[] wire = new RelayFrame.Error(3, RelayException.Reason.INTERNAL, "ab").encode();
        wire[wire.length - 1] = (byte) 0xC3;
        assertRefused(wire, RelayException.Reason.BAD_FRAME);
    }

    @Property
    void aLongDetailIsCutBetweenCharactersAndStillDecodes(@ForAll @IntRange(min = 0, max = 400) int length,
            @ForAll("characters") String unit) throws RelayException {
        String detail = unit.repeat(length);
        RelayFrame.Error e = new RelayFrame.Error(1, RelayException.Reason.QUOTA_EXCEEDED, detail);
        assertThat(e.detail().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(RelayFrame.MAX_DETAIL);
        assertThat(detail).startsWith(e.detail());
        RelayFrame.Error back = (RelayFrame.Error) RelayFrame.decode(e.encode());
        assertThat(back.detail()).isEqualTo(e.detail());
        assertThat(back.reason()).isEqualTo(RelayException.Reason.QUOTA_EXCEEDED);
    }

    @Property
    void aSignatureVerifiesOnlyWithItsKeyAndNonce(@ForAll("signed") SignedCase c, @ForAll("nonces") byte[] other) {
        RelayFrame.Signed frame = c.frame();
        assertThat(frame.verify(c.key().publicKey(), c.nonce())).isTrue();
        assertThat(frame.verify(c.otherKey().publicKey(), c.nonce())).isFalse();
        if (!Arrays.equals(other, c.nonce())) {
            assertThat(frame.verify(c.key().publicKey(), other)).isFalse();
        }
    }

    @Property(tries = 300)
    void aFlippedByteBreaksTheFrameOrItsSignature(@ForAll("signed") SignedCase c, @ForAll @IntRange(min = 0,
            max = 10_000) int where, @ForAll @IntRange(min = 1, max = 255) int mask) {
        byte[] wire = c.frame().encode();
        int i = where % wire.length;
        wire[i] ^= (byte) mask;
        RelayFrame flipped;
        try {
            flipped = RelayFrame.decode(wire);
        } catch (RelayException e) {
            return;
        }
        assertThat(flipped).isInstanceOf(RelayFrame.Signed.class);
        assertThat(((RelayFrame.Signed) flipped).verify(c.key().publicKey(), c.nonce())).as("byte %d flipped", i)
                .isFalse();
    }

    @Test
    void theSignedInputIsLabelNonceThenTheUnsignedFrame() {
        SigningKey k = SigningKey.fromSeed(new byte[32]);
        byte[] nonce = new byte[32];
        nonce[0] = 9;
        RelayFrame.Subscribe s = RelayFrame.Subscribe.sign(5, MailboxId.of(new byte[32]), 3, k, nonce);
        byte[] wire = s.encode();
        byte[] unsigned = Arrays.copyOf(wire, wire.length - 64);
        byte[] input = new byte[RelayFrame.SIGNATURE_LABEL.length + 32 + unsigned.length];
        System.arraycopy(RelayFrame.SIGNATURE_LABEL, 0, input, 0, RelayFrame.SIGNATURE_LABEL.length);
        System.arraycopy(nonce, 0, input, RelayFrame.SIGNATURE_LABEL.length, 32);
        System.arraycopy(unsigned, 0, input, RelayFrame.SIGNATURE_LABEL.length + 32, unsigned.length);
        assertThat(SigningKey.verify(k.publicKey(), input, s.signature())).isTrue();
        assertThat(new String(RelayFrame.SIGNATURE_LABEL, StandardCharsets.US_ASCII))
                .isEqualTo("securep2p/v1/relay/request\0");
    }

    @Test
    void framesThatCannotBeEncodedCannotBeBuilt() {
        byte[] sig = new byte[64];
        MailboxId id = MailboxId.of(new byte[32]);
        assertThatThrownBy(() -> new RelayFrame.Ok(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayFrame.Ok(1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayFrame.Challenge(new byte[32], 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayFrame.Deliver(1, id, 0, 0, new byte[1]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayFrame.Ping(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayFrame.Subscribe(0, id, 0, sig)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayFrame.Post(1, id, 1, new byte[0], sig))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayFrame.Error(1, RelayException.Reason.TIMEOUT, "x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void assertRefused(byte[] wire, RelayException.Reason reason) {
        assertThatThrownBy(() -> RelayFrame.decode(wire)).isInstanceOfSatisfying(RelayException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }

    /** A signed request with the key that signed it, another key and the nonce it was signed over. */
    @SuppressWarnings("ArrayRecordComponent") // test data, never compared
    record SignedCase(RelayFrame.Signed frame, SigningKey key, SigningKey otherKey, byte[] nonce) {
    }

    @Provide
    Arbitrary<String> characters() {
        return Arbitraries.of("a", "é", "€", "😀", "ß", "z");
    }

    @Provide
    Arbitrary<byte[]> nonces() {
        return Arbitraries.bytes().array(byte[].class).ofSize(32);
    }

    static Arbitrary<MailboxId> mailboxes() {
        return Arbitraries.bytes().array(byte[].class).ofSize(32).map(MailboxId::of);
    }

    static Arbitrary<SigningKey> keys() {
        return Arbitraries.bytes().array(byte[].class).ofSize(32).map(SigningKey::fromSeed);
    }

    static Arbitrary<byte[]> blobs() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(80);
    }

    static Arbitrary<Integer> requestIds() {
        return Arbitraries.integers().between(1, Integer.MAX_VALUE);
    }

    static Arbitrary<Long> u63() {
        return Arbitraries.longs().between(0, Long.MAX_VALUE);
    }

    @Provide
    Arbitrary<SignedCase> signed() {
        Arbitrary<byte[]> nonce = nonces();
        Arbitrary<Integer> kind = Arbitraries.integers().between(0, 3);
        return Combinators.combine(kind, keys(), keys(), nonce, mailboxes(), requestIds(), blobs(),
                Arbitraries.longs().between(1, Long.MAX_VALUE)).as((k, key, other, n, box, id, blob, number) -> {
                    RelayFrame.Signed f = switch (k) {
                        case 0 -> RelayFrame.Create.sign(id, box, key, other.publicKey(),
                                Arrays.copyOf(blob, Math.min(blob.length, RelayFrame.MAX_PASSWORD)), n);
                        case 1 -> RelayFrame.Post.sign(id, box, (int) (number % Integer.MAX_VALUE) + 1, blob, key, n);
                        case 2 -> RelayFrame.Subscribe.sign(id, box, number - 1, key, n);
                        default -> RelayFrame.Delete.sign(id, box, number, key, n);
                    };
                    return new SignedCase(f, key, other, n);
                }).filter(c -> !Arrays.equals(c.key().publicKey(), c.otherKey().publicKey()));
    }

    /** Every type of frame, with every field over its whole range (blobs kept short so properties stay fast). */
    @Provide
    static Arbitrary<RelayFrame> frames() {
        Arbitrary<Integer> answerIds = Arbitraries.integers().between(0, Integer.MAX_VALUE);
        Arbitrary<byte[]> sigs = Arbitraries.bytes().array(byte[].class).ofSize(64);
        Arbitrary<byte[]> keys = Arbitraries.bytes().array(byte[].class).ofSize(32);
        Arbitrary<RelayFrame> challenge = Combinators.combine(keys, Arbitraries.integers().between(1,
                Integer.MAX_VALUE), Arbitraries.integers().between(1, Integer.MAX_VALUE))
                .as(RelayFrame.Challenge::new);
        Arbitrary<RelayFrame> ok = Combinators.combine(answerIds, u63()).as(RelayFrame.Ok::new);
        Arbitrary<RelayException.Reason> wireReasons = Arbitraries.of(RelayException.Reason.class)
                .filter(r -> r.code() != 0);
        Arbitrary<RelayFrame> error = Combinators.combine(answerIds, wireReasons, Arbitraries.strings()
                .ofMaxLength(300)).as(RelayFrame.Error::new);
        Arbitrary<RelayFrame> deliver = Combinators.combine(answerIds, mailboxes(),
                Arbitraries.longs().between(1, Long.MAX_VALUE), u63(), blobs()).as(RelayFrame.Deliver::new);
        Arbitrary<RelayFrame> create = Combinators.combine(requestIds(), mailboxes(), keys, keys,
                Arbitraries.bytes().array(byte[].class).ofMaxSize(RelayFrame.MAX_PASSWORD), sigs)
                .as(RelayFrame.Create::new);
        Arbitrary<RelayFrame> post = Combinators.combine(requestIds(), mailboxes(),
                Arbitraries.integers().between(1, Integer.MAX_VALUE), blobs(), sigs).as(RelayFrame.Post::new);
        Arbitrary<RelayFrame> subscribe = Combinators.combine(requestIds(), mailboxes(), u63(), sigs)
                .as(RelayFrame.Subscribe::new);
        Arbitrary<RelayFrame> delete = Combinators.combine(requestIds(), mailboxes(),
                Arbitraries.longs().between(1, Long.MAX_VALUE), sigs).as(RelayFrame.Delete::new);
        Arbitrary<RelayFrame> ping = requestIds().map(RelayFrame.Ping::new);
        return Arbitraries.oneOf(challenge, ok, error, deliver, create, post, subscribe, delete, ping,
                Arbitraries.oneOf(memberFrames()));
    }

    /** The directory's frames (§23.3–23.4), byte strings kept short; a test of its own covers the bounds. */
    static List<Arbitrary<RelayFrame>> memberFrames() {
        Arbitrary<Integer> answerIds = Arbitraries.integers().between(0, Integer.MAX_VALUE);
        Arbitrary<byte[]> fingerprints = Arbitraries.bytes().array(byte[].class).ofSize(32);
        Arbitrary<byte[]> payloads = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(100);
        Arbitrary<String> names = Arbitraries.strings().ofMinLength(1).ofMaxLength(16)
                .filter(n -> n.getBytes(StandardCharsets.UTF_8).length <= RelayFrame.MAX_NAME
                        && StandardCharsets.UTF_8.newEncoder().canEncode(n));
        Arbitrary<MemberDirectory.Listing> listings = Combinators.combine(names, fingerprints, Arbitraries.of(true,
                false)).as(MemberDirectory.Listing::new);
        return List.of(
                Combinators.combine(requestIds(), payloads).as(RelayFrame.Publish::new),
                requestIds().map(RelayFrame.Unpublish::new),
                requestIds().map(RelayFrame.Members::new),
                Combinators.combine(requestIds(), fingerprints).as(RelayFrame.Lookup::new),
                Combinators.combine(requestIds(), fingerprints, payloads).as(RelayFrame.Request::new),
                Combinators.combine(answerIds, listings.list().ofMaxSize(5)).as(RelayFrame.MemberList::new),
                Combinators.combine(answerIds, payloads, payloads, u63()).as(RelayFrame.Entry::new),
                Combinators.combine(payloads, payloads).as(RelayFrame.Incoming::new));
    }
}
