package org.securep2p.app.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.crypto.testing.SeededRandom;

/** FILE messages (PROTOCOL.md §24.2): each type round-trips and is read strictly. */
class FileMessageTest {

    private static final SeededRandom RANDOM = new SeededRandom("file message test");

    @Property(tries = 200)
    void anOfferRoundTripsWithEveryFieldAndItsKey(@ForAll @LongRange(min = 0, max = 100_000_000_000L) long size,
            @ForAll @IntRange(min = FileOffer.MIN_CHUNK_SIZE, max = FileOffer.MAX_CHUNK_SIZE) int chunkSize,
            @ForAll @IntRange(min = 0, max = 1000) int seed) throws CryptoException {
        if (FileOffer.chunkCount(size, chunkSize) > FileOffer.MAX_CHUNK_COUNT) {
            return;
        }
        FileOffer sent = Offers.offer(new SeededRandom(seed), "r\u00E9sum\u00E9 \uD83D\uDE00.pdf", size, chunkSize);
        byte[] encoded = new FileMessage.Offer(sent).encode();
        FileMessage got = FileMessage.decode(encoded);
        assertThat(got).isInstanceOf(FileMessage.Offer.class).isEqualTo(new FileMessage.Offer(sent));
        FileOffer o = ((FileMessage.Offer) got).offer();
        assertThat(o.id()).isEqualTo(sent.id());
        assertThat(o.name()).isEqualTo(sent.name());
        assertThat(o.mediaType()).isEqualTo(sent.mediaType());
        assertThat(o.size()).isEqualTo(size);
        assertThat(o.chunkSize()).isEqualTo(chunkSize);
        assertThat(o.time()).isEqualTo(sent.time());
        assertThat(o.sha256()).isEqualTo(sent.sha256());
        assertThat(o.merkleRoot()).isEqualTo(sent.merkleRoot());
        assertThat(o.fileKey().copyBytes()).isEqualTo(sent.fileKey().copyBytes());
        assertThat(got.encode()).isEqualTo(encoded);
    }

    @Property(tries = 200)
    void haveDoneAndCancelRoundTrip(@ForAll @Size(16) byte[] id, @ForAll @Size(32) byte[] sha,
            @ForAll @IntRange(min = 0, max = 3000) int count, @ForAll @IntRange(min = 1, max = 8) int reason)
            throws CryptoException {
        FileId f = FileId.of(id);
        ChunkBitmap chunks = ChunkBitmap.empty(count);
        for (int i = 0; i < count; i += 3) {
            chunks = chunks.with(i);
        }
        for (FileMessage m : new FileMessage[] {new FileMessage.Have(f, chunks), new FileMessage.Done(f, sha),
                new FileMessage.Cancel(f, CancelReason.of(reason))}) {
            byte[] encoded = m.encode();
            assertThat(FileMessage.decode(encoded)).isEqualTo(m);
            assertThat(FileMessage.decode(encoded).encode()).isEqualTo(encoded);
            assertThat(FileMessage.decode(encoded).id()).isEqualTo(f);
        }
    }

    @Test
    void theLayoutIsTheProtocols() throws CryptoException {
        // §24.2 written out by hand: CANCEL(DECLINED) and DONE, HAVE of 10 chunks holding 0 and 9.
        byte[] id = new byte[16];
        Arrays.fill(id, (byte) 0x11);
        String hexId = "11".repeat(16);
        assertThat(HexFormat.of().formatHex(new FileMessage.Cancel(FileId.of(id), CancelReason.DECLINED).encode()))
                .isEqualTo("04" + hexId + "02");
        assertThat(HexFormat.of().formatHex(new FileMessage.Have(FileId.of(id), ChunkBitmap.empty(10).with(0).with(9))
                .encode())).isEqualTo("02" + hexId + "0000000a" + "00000002" + "8040");
        assertThat(HexFormat.of().formatHex(new FileMessage.Done(FileId.of(id), new byte[32]).encode()))
                .isEqualTo("03" + hexId + "00".repeat(32));
    }

    @Property(tries = 300)
    void everyTruncationOrExtensionIsRefused(@ForAll @IntRange(min = 0, max = 3) int which,
            @ForAll @IntRange(min = 0, max = 10_000) int cut) throws CryptoException {
        FileId id = FileId.random(RANDOM);
        byte[] whole = switch (which) {
            case 0 -> new FileMessage.Offer(Offers.offer(RANDOM, "a.txt", 100_000, 16_384)).encode();
            case 1 -> new FileMessage.Have(id, ChunkBitmap.full(20)).encode();
            case 2 -> new FileMessage.Done(id, new byte[32]).encode();
            default -> new FileMessage.Cancel(id, CancelReason.FAILED).encode();
        };
        byte[] shorter = Arrays.copyOf(whole, cut % whole.length);
        assertRefused(shorter);
        byte[] longer = Arrays.copyOf(whole, whole.length + 1 + cut % 5);
        assertRefused(longer);
    }

    @Test
    void refusesUnknownTypesAndReasons() {
        byte[] id = new byte[16];
        for (int type : new int[] {0, 5, 255}) {
            assertRefused(new StrictWriter().u8(type).bytes(id).u8(1).toByteArray());
        }
        for (int reason : new int[] {0, 9, 255}) {
            assertRefused(new StrictWriter().u8(4).bytes(id).u8(reason).toByteArray());
        }
        assertRefused(new byte[0]);
    }

    @Test
    void refusesAHaveWhoseBitmapIsNotItsCount() {
        byte[] id = new byte[16];
        assertRefused(new StrictWriter().u8(2).bytes(id).u32(10).var32(new byte[1]).toByteArray());
        assertRefused(new StrictWriter().u8(2).bytes(id).u32(10).var32(new byte[3]).toByteArray());
        assertRefused(new StrictWriter().u8(2).bytes(id).u32(10).var32(new byte[] {0, 1}).toByteArray());
        int over = FileOffer.MAX_CHUNK_COUNT + 8;
        assertRefused(new StrictWriter().u8(2).bytes(id).u32(over).var32(new byte[over / 8]).toByteArray());
    }

    @Test
    void refusesAnOfferOutsideTheLimits() throws CryptoException {
        FileOffer good = Offers.offer(RANDOM, "a.txt", 1000, 16_384);
        byte[] base = new FileMessage.Offer(good).encode();
        // Offsets of §24.2: type 1, id 16, time 8, name var16 (2 + 5), media type var16 (2 + 24), size 8, chunk 4.
        int sizeAt = 1 + 16 + 8 + 7 + 2 + "application/octet-stream".length();
        int chunkAt = sizeAt + 8;
        byte[] smallChunk = base.clone();
        writeU32(smallChunk, chunkAt, FileOffer.MIN_CHUNK_SIZE - 1);
        assertRefused(smallChunk);
        byte[] bigChunk = base.clone();
        writeU32(bigChunk, chunkAt, FileOffer.MAX_CHUNK_SIZE + 1);
        assertRefused(bigChunk);
        byte[] tooMany = base.clone();
        long size = (long) FileOffer.MAX_CHUNK_COUNT * 16_384 + 1;
        for (int i = 0; i < 8; i++) {
            tooMany[sizeAt + i] = (byte) (size >>> (56 - 8 * i));
        }
        assertRefused(tooMany);
        byte[] badMedia = base.clone();
        badMedia[1 + 16 + 8 + 7 + 2] = ' ';
        assertRefused(badMedia);
        byte[] badName = base.clone();
        badName[1 + 16 + 8 + 2] = (byte) 0xC3;
        assertRefused(badName);
        assertThat(FileMessage.decode(base)).isEqualTo(new FileMessage.Offer(good));
    }

    @Test
    void neverShowsTheKey() throws CryptoException {
        FileOffer o = Offers.offer(RANDOM, "secret-plans.txt", 10, 16_384);
        String key = HexFormat.of().formatHex(o.fileKey().copyBytes());
        FileMessage m = new FileMessage.Offer(o);
        assertThat(m.toString()).doesNotContain(key).doesNotContain(key.substring(0, 8))
                .doesNotContain("secret-plans");
    }

    @Test
    void cancelReasonsHaveTheirCodesAndASentence() throws CryptoException {
        int code = 1;
        for (CancelReason r : CancelReason.values()) {
            assertThat(r.code()).isEqualTo(code++);
            assertThat(CancelReason.of(r.code())).isSameAs(r);
            assertThat(r.sentence()).endsWith(".").isNotBlank();
        }
        assertThat(CancelReason.DECLINED.sentence().getBytes(StandardCharsets.UTF_8)).isNotEmpty();
    }

    private static void writeU32(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    private static void assertRefused(byte[] encoded) {
        assertThatThrownBy(() -> FileMessage.decode(encoded)).isInstanceOf(CryptoException.class)
                .satisfies(e -> assertThat(((CryptoException) e).reason())
                        .isEqualTo(CryptoException.Reason.BAD_ENCODING));
    }
}
