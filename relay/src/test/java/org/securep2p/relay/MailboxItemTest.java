package org.securep2p.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.testing.SeededRandom;

/** Mailbox items (PROTOCOL.md §22.4): padded to the smallest bucket, one encoding per item, strict decoding. */
class MailboxItemTest {

    @Property(tries = 300)
    void everyItemRoundTripsInTheSmallestBucket(@ForAll("bodies") byte[] body) throws RelayException {
        MailboxItem item = new MailboxItem(MailboxItem.Kind.RATCHET, body);
        byte[] blob = item.encode();
        assertThat(blob.length).isEqualTo(MailboxItem.bucketFor(body.length + 6));
        int smaller = Arrays.stream(MailboxItem.BUCKETS).filter(b -> b < blob.length).max().orElse(0);
        assertThat(body.length + 6).isGreaterThan(smaller);
        MailboxItem back = MailboxItem.decode(blob);
        assertThat(back).isEqualTo(item);
        assertThat(back.encode()).isEqualTo(blob);
    }

    @Property(tries = 300)
    void nonZeroPaddingIsRefused(@ForAll("smallBodies") byte[] body, @ForAll @IntRange(min = 0, max = 1 << 20) int at,
            @ForAll @IntRange(min = 1, max = 255) int value) {
        byte[] blob = new MailboxItem(MailboxItem.Kind.RATCHET, body).encode();
        int padStart = body.length + 6;
        int i = padStart + at % (blob.length - padStart);
        blob[i] = (byte) value;
        assertRefused(blob, RelayException.Reason.BAD_FRAME);
    }

    @Property(tries = 300)
    void aBlobOfAnotherSizeIsRefused(@ForAll("smallBodies") byte[] body, @ForAll @IntRange(min = -64, max = 64)
            int delta) {
        byte[] blob = new MailboxItem(MailboxItem.Kind.RATCHET, body).encode();
        if (delta != 0) {
            assertRefused(Arrays.copyOf(blob, blob.length + delta), RelayException.Reason.BAD_FRAME);
        }
    }

    @Test
    void anItemPaddedToALargerBucketIsRefused() {
        byte[] blob = new MailboxItem(MailboxItem.Kind.RATCHET, new byte[] {1, 2, 3}).encode();
        assertRefused(Arrays.copyOf(blob, MailboxItem.BUCKETS[1]), RelayException.Reason.BAD_FRAME);
    }

    @Property
    void anUnknownVersionOrKindIsRefused(@ForAll("smallBodies") byte[] body, @ForAll byte b) {
        byte[] blob = new MailboxItem(MailboxItem.Kind.RATCHET, body).encode();
        byte[] version = blob.clone();
        version[0] = b;
        if (b != MailboxItem.VERSION) {
            assertRefused(version, RelayException.Reason.UNKNOWN_VERSION);
        }
        byte[] kind = blob.clone();
        kind[1] = b;
        if (Arrays.stream(MailboxItem.Kind.values()).noneMatch(k -> k.code() == (b & 0xFF))) {
            assertRefused(kind, RelayException.Reason.BAD_FRAME);
        }
    }

    @Property(tries = 100)
    void aChunkItemRoundTripsItsBodyUntouched(@ForAll("bodies") byte[] body) throws RelayException {
        // §22.4: kind 2 carries a file's sealed chunk (§24.3); the relay module neither reads nor changes it.
        MailboxItem item = new MailboxItem(MailboxItem.Kind.CHUNK, body);
        byte[] blob = item.encode();
        assertThat(blob[1]).isEqualTo((byte) 2);
        MailboxItem back = MailboxItem.decode(blob);
        assertThat(back.kind()).isEqualTo(MailboxItem.Kind.CHUNK);
        assertThat(back.body()).isEqualTo(body);
        assertThat(back).isNotEqualTo(new MailboxItem(MailboxItem.Kind.RATCHET, body));
    }

    @Test
    void theKindsHaveTheirProtocolCodes() {
        assertThat(MailboxItem.Kind.RATCHET.code()).isEqualTo(1);
        assertThat(MailboxItem.Kind.CHUNK.code()).isEqualTo(2);
        assertThat(MailboxItem.Kind.values()).hasSize(2);
    }

    @Property
    void aBodyLengthOutOfRangeIsRefused(@ForAll("smallBodies") byte[] body, @ForAll int length) {
        byte[] blob = new MailboxItem(MailboxItem.Kind.RATCHET, body).encode();
        if (length == body.length) {
            return;
        }
        blob[2] = (byte) (length >>> 24);
        blob[3] = (byte) (length >>> 16);
        blob[4] = (byte) (length >>> 8);
        blob[5] = (byte) length;
        // A shorter length leaves body bytes as padding (non-zero unless the body ends in zeros), a longer one
        // claims padding as body; either way the item has another encoding than this blob.
        try {
            MailboxItem other = MailboxItem.decode(blob);
            assertThat(other.encode()).isEqualTo(blob);
        } catch (RelayException e) {
            assertThat(e.reason()).isEqualTo(RelayException.Reason.BAD_FRAME);
        }
    }

    @Test
    void theLargestBodyFillsTheTopBucketAndOneMoreIsRefused() throws RelayException {
        byte[] blob = new MailboxItem(MailboxItem.Kind.RATCHET, new byte[MailboxItem.MAX_BODY]).encode();
        assertThat(blob.length).isEqualTo(RelayFrame.MAX_BLOB);
        assertThat(MailboxItem.decode(blob).body()).hasSize(MailboxItem.MAX_BODY);
        assertThatThrownBy(() -> new MailboxItem(MailboxItem.Kind.RATCHET, new byte[MailboxItem.MAX_BODY + 1]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MailboxItem(MailboxItem.Kind.RATCHET, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toStringShowsNoBody() {
        assertThat(new MailboxItem(MailboxItem.Kind.RATCHET, "secret text".getBytes(java.nio.charset.StandardCharsets
                .UTF_8)).toString()).doesNotContain("secret").contains("11 bytes");
    }

    private static void assertRefused(byte[] blob, RelayException.Reason reason) {
        assertThatThrownBy(() -> MailboxItem.decode(blob)).isInstanceOfSatisfying(RelayException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }

    /** Bodies of every size class, the sizes at each bucket's edge included. */
    @Provide
    Arbitrary<byte[]> bodies() {
        Arbitrary<Integer> edges = Arbitraries.of(Arrays.stream(MailboxItem.BUCKETS).boxed().toList())
                .flatMap(b -> Arbitraries.integers().between(-7, 1).map(d -> b - 6 + d))
                .filter(n -> n >= 1 && n <= MailboxItem.MAX_BODY);
        Arbitrary<Integer> any = Arbitraries.integers().between(1, MailboxItem.MAX_BODY);
        // Filled from a seeded stream: a megabyte drawn byte by byte from jqwik would take seconds per try.
        return Combinators.combine(Arbitraries.oneOf(edges, any, Arbitraries.integers().between(1, 100)),
                Arbitraries.longs()).as((n, seed) -> {
                    byte[] b = new byte[n];
                    new SeededRandom(seed).nextBytes(b);
                    return b;
                });
    }

    @Provide
    Arbitrary<byte[]> smallBodies() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(5000);
    }
}
