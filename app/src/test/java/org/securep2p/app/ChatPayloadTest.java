package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

import org.junit.jupiter.api.Test;
import org.securep2p.app.files.CancelReason;
import org.securep2p.app.files.ChunkBitmap;
import org.securep2p.app.files.FileId;
import org.securep2p.app.files.FileMessage;
import org.securep2p.app.files.FileOffer;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.crypto.testing.SeededRandom;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.SendCapability;
import org.securep2p.relay.SigningKey;

/** The relay's payloads (PROTOCOL.md §22.5): MAILBOX, OFFER, ANSWER round-trip and are read strictly. */
class ChatPayloadTest {

    private static final String FP = "ab".repeat(32);

    private static SendCapability capability(byte[] id, byte[] seed, int port) throws Exception {
        return new SendCapability(RelayAddress.parse("wss://relay.example:" + port + "/#" + FP), MailboxId.of(id),
                SigningKey.fromSeed(seed));
    }

    @Property(tries = 200)
    void aMailboxRoundTripsWithItsAddressIdAndSeed(@ForAll @Size(32) byte[] id, @ForAll @Size(32) byte[] seed,
            @ForAll @IntRange(min = 1, max = 65_535) int port) throws Exception {
        SendCapability sent = capability(id, seed, port);
        byte[] encoded = ChatPayload.mailbox(sent).encode();
        ChatPayload p = ChatPayload.decode(encoded);
        assertThat(p.kind()).isEqualTo(ChatPayload.Kind.MAILBOX);
        SendCapability got = p.capability();
        assertThat(got.relay()).isEqualTo(sent.relay());
        assertThat(got.id()).isEqualTo(sent.id());
        assertThat(got.sendKey().seed()).isEqualTo(seed);
        p.wipe();
        // The payload's own seed is zeroed: a capability taken afterwards holds zeros.
        assertThat(p.capability().sendKey().seed()).containsOnly(0);
    }

    @Property(tries = 200)
    void anOfferAndAnAnswerRoundTrip(@ForAll @Size(16) byte[] offerId,
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long time,
            @ForAll @StringLength(min = 1, max = 1000) String code) throws Exception {
        String clean = new String(code.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        ChatPayload offer = ChatPayload.decode(ChatPayload.offer(offerId, Instant.ofEpochMilli(time), clean).encode());
        assertThat(offer.kind()).isEqualTo(ChatPayload.Kind.OFFER);
        assertThat(offer.offerId()).isEqualTo(offerId);
        assertThat(offer.time()).isEqualTo(Instant.ofEpochMilli(time));
        assertThat(offer.code()).isEqualTo(clean);
        ChatPayload answer = ChatPayload.decode(ChatPayload.answer(offerId, clean).encode());
        assertThat(answer.kind()).isEqualTo(ChatPayload.Kind.ANSWER);
        assertThat(answer.offerId()).isEqualTo(offerId);
        assertThat(answer.code()).isEqualTo(clean);
    }

    @Property(tries = 300)
    void everyTruncationOrExtensionIsRefused(@ForAll @Size(32) byte[] id, @ForAll @Size(32) byte[] seed,
            @ForAll @Size(16) byte[] offerId, @ForAll @IntRange(min = 0, max = 2) int which,
            @ForAll @IntRange(min = 0, max = 10_000) int cut) throws Exception {
        byte[] whole = switch (which) {
            case 0 -> ChatPayload.mailbox(capability(id, seed, 443)).encode();
            case 1 -> ChatPayload.offer(offerId, Instant.ofEpochMilli(5), "sp2p1o-code").encode();
            default -> ChatPayload.answer(offerId, "sp2p1a-answer").encode();
        };
        byte[] shorter = Arrays.copyOf(whole, cut % whole.length);
        assertThatThrownBy(() -> ChatPayload.decode(shorter)).isInstanceOf(CryptoException.class);
        byte[] longer = Arrays.copyOf(whole, whole.length + 1 + cut % 5);
        assertThatThrownBy(() -> ChatPayload.decode(longer)).isInstanceOf(CryptoException.class);
    }

    @Test
    void refusesAMailboxWhoseRelayAddressIsJunk() {
        for (String junk : new String[] {"http://relay:1/#" + FP, "wss://relay:1/", "wss://relay:0/#" + FP,
                "wss://relay:1/#" + FP.substring(2), "wss://re lay:1/#" + FP}) {
            byte[] raw = new StrictWriter().u8(ChatPayload.Kind.MAILBOX.code)
                    .var16(junk.getBytes(StandardCharsets.UTF_8)).bytes(new byte[32]).bytes(new byte[32]).toByteArray();
            assertThatThrownBy(() -> ChatPayload.decode(raw)).as(junk).isInstanceOf(CryptoException.class)
                    .satisfies(e -> assertThat(((CryptoException) e).reason())
                            .isEqualTo(CryptoException.Reason.BAD_ENCODING))
                    // Our parser's sentence, never the peer's text.
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(junk));
        }
    }

    @Test
    void refusesAnEmptyOrOversizedOrNonUtf8Code() {
        byte[] id = new byte[16];
        for (byte[] code : new byte[][] {new byte[0], new byte[4097], {(byte) 0xC3}}) {
            byte[] offer = new StrictWriter().u8(ChatPayload.Kind.OFFER.code).bytes(id).u64(1).var16(code)
                    .toByteArray();
            byte[] answer = new StrictWriter().u8(ChatPayload.Kind.ANSWER.code).bytes(id).var16(code).toByteArray();
            assertThatThrownBy(() -> ChatPayload.decode(offer)).isInstanceOf(CryptoException.class);
            assertThatThrownBy(() -> ChatPayload.decode(answer)).isInstanceOf(CryptoException.class);
        }
        assertThatThrownBy(() -> ChatPayload.offer(id, Instant.EPOCH, "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChatPayload.answer(new byte[15], "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void neverShowsTheSeed() throws Exception {
        byte[] seed = new byte[32];
        Arrays.fill(seed, (byte) 0x5A);
        ChatPayload p = ChatPayload.decode(ChatPayload.mailbox(capability(new byte[32], seed, 443)).encode());
        assertThat(p.toString()).doesNotContain("5a").doesNotContain("5A").doesNotContain(HexFormat.of().formatHex(seed));
        assertThat(p.capability().toString()).doesNotContain(HexFormat.of().formatHex(seed));
    }

    @Test
    void aFileMessageRoundTripsInsideAFilePayload() throws Exception {
        SeededRandom random = new SeededRandom("chat payload file");
        FileId id = FileId.random(random);
        byte[] key = new byte[32];
        random.nextBytes(key);
        FileOffer offer;
        try (SecretBytes k = SecretBytes.copyOf(key)) {
            offer = new FileOffer(id, Instant.ofEpochMilli(7), "a.txt", "text/plain", 5, 16_384, new byte[32],
                    new byte[32], k);
        }
        for (FileMessage m : List.of(new FileMessage.Offer(offer), new FileMessage.Have(id, ChunkBitmap.empty(1)),
                new FileMessage.Done(id, new byte[32]), new FileMessage.Cancel(id, CancelReason.DECLINED))) {
            byte[] encoded = ChatPayload.file(m).encode();
            assertThat(encoded[0]).isEqualTo((byte) 7);
            ChatPayload p = ChatPayload.decode(encoded);
            assertThat(p.kind()).isEqualTo(ChatPayload.Kind.FILE);
            assertThat(p.fileMessage()).isEqualTo(m);
            assertThat(p.encode()).isEqualTo(encoded);
        }
    }

    @Test
    void wipingAFileOfferPayloadWipesItsKey() throws Exception {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 0x5A);
        FileOffer offer;
        try (SecretBytes k = SecretBytes.copyOf(key)) {
            offer = new FileOffer(FileId.of(new byte[16]), Instant.EPOCH, "a.txt", "text/plain", 5, 16_384,
                    new byte[32], new byte[32], k);
        }
        ChatPayload p = ChatPayload.decode(ChatPayload.file(new FileMessage.Offer(offer)).encode());
        FileOffer got = ((FileMessage.Offer) p.fileMessage()).offer();
        assertThat(got.fileKey().copyBytes()).isEqualTo(key);
        assertThat(p.toString()).doesNotContain("5a").doesNotContain("5A");
        p.wipe();
        assertThat(got.fileKey().isDestroyed()).isTrue();
    }

    @Test
    void aBadFileMessageIsABadPayload() {
        byte[] id = new byte[16];
        for (byte[] raw : List.of(
                new StrictWriter().u8(7).var32(new byte[0]).toByteArray(),
                new StrictWriter().u8(7).var32(new StrictWriter().u8(4).bytes(id).u8(9).toByteArray()).toByteArray(),
                new StrictWriter().u8(7).var32(new StrictWriter().u8(9).bytes(id).u8(1).toByteArray()).toByteArray(),
                new StrictWriter().u8(7).var32(new StrictWriter().u8(4).bytes(id).u8(1).toByteArray()).u8(0)
                        .toByteArray(),
                new StrictWriter().u8(7).var32(new byte[ChatPayload.MAX_FILE_MESSAGE + 1]).toByteArray(),
                new StrictWriter().u8(8).toByteArray())) {
            assertThatThrownBy(() -> ChatPayload.decode(raw)).isInstanceOf(CryptoException.class)
                    .satisfies(e -> assertThat(((CryptoException) e).reason())
                            .isEqualTo(CryptoException.Reason.BAD_ENCODING));
        }
    }
}
