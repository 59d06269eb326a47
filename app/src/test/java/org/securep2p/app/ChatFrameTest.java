package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

import org.junit.jupiter.api.Test;
import org.securep2p.app.files.Chunk;
import org.securep2p.app.files.FileId;
import org.securep2p.app.files.FileOffer;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictWriter;

class ChatFrameTest {

    /** A HELLO as a peer could send it, bypassing the factory's own check. */
    static byte[] rawHello(String name) {
        return new StrictWriter().u8(ChatFrame.VERSION).u8(ChatFrame.Type.HELLO.code)
                .u8(SecurityLevel.STANDARD.code()).var16(name.getBytes(StandardCharsets.UTF_8)).u8(0).toByteArray();
    }

    @Test
    void refusesHelloNamesThatCouldPassForAnotherOrBreakALine() {
        List<String> names = List.of("a\u202Eb", "bob\u200B", "\u2066bob\u2069", "bo\u2028b", "bob\u2029", "bob\u0085",
                "bob\u007F", "bob\u0378", "bob\uE000", "x".repeat(65), "\u00E9".repeat(33));
        for (String name : names) {
            assertThatThrownBy(() -> ChatFrame.decode(rawHello(name))).as(name).isInstanceOf(CryptoException.class)
                    .satisfies(e -> assertThat(((CryptoException) e).reason())
                            .isEqualTo(CryptoException.Reason.BAD_ENCODING));
            assertThatThrownBy(() -> ChatFrame.hello(SecurityLevel.STANDARD, name, Optional.empty())).as(name)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void acceptsOrdinaryNamesInAnyScript() throws Exception {
        for (String name : List.of("bob", "Zo\u00EB", "\u0645\u0631\u064A\u0645", "\u674E\u96F7", "a b", "\uD83D\uDE00",
                "x".repeat(64))) {
            assertThat(ChatFrame.decode(rawHello(name)).username()).isEqualTo(name);
        }
    }

    @Property(tries = 500)
    void aHelloNameDecodesExactlyWhenThePeerTextRuleAllowsIt(@ForAll @StringLength(min = 1, max = 40) String name) {
        String sent = new String(name.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        try {
            assertThat(ChatFrame.decode(rawHello(sent)).username()).isEqualTo(sent);
            assertThat(PeerText.nameProblem(sent)).isEmpty();
        } catch (CryptoException e) {
            assertThat(PeerText.nameProblem(sent)).isPresent();
        }
    }

    @Property(tries = 200)
    void aChunkAndItsAckRoundTrip(@ForAll @Size(16) byte[] id,
            @ForAll @IntRange(min = 0, max = FileOffer.MAX_CHUNK_COUNT - 1) int index,
            @ForAll @Size(min = Chunk.MIN_SEALED, max = 2000) byte[] sealed) throws CryptoException {
        Chunk c = new Chunk(FileId.of(id), index, sealed);
        byte[] encoded = ChatFrame.chunk(c).encode();
        ChatFrame frame = ChatFrame.decode(encoded);
        // A received chunk frame keeps no bytes of its own: what it gives back is built again, and is the same.
        assertThat(frame.encode()).isEqualTo(encoded);
        assertThat(frame.wireBytes()).isEqualTo(encoded);
        assertThat(frame.type()).isEqualTo(ChatFrame.Type.CHUNK);
        assertThat(frame.chunk()).isEqualTo(c);
        assertThat(frame.fileId()).isEqualTo(c.id());
        assertThat(frame.chunkIndex()).isEqualTo(index);
        ChatFrame ack = ChatFrame.decode(ChatFrame.chunkAck(FileId.of(id), index).encode());
        assertThat(ack.type()).isEqualTo(ChatFrame.Type.CHUNK_ACK);
        assertThat(ack.fileId()).isEqualTo(FileId.of(id));
        assertThat(ack.chunkIndex()).isEqualTo(index);
    }

    @Test
    void theChunkFramesAreTheProtocols() throws CryptoException {
        // §24.3 by hand: CHUNK 6 : var32 chunk, CHUNK_ACK 7 : file_id || u32 index.
        byte[] id = new byte[16];
        id[0] = 9;
        byte[] sealed = new byte[Chunk.MIN_SEALED];
        byte[] chunk = new StrictWriter().bytes(id).u32(3).var32(sealed).toByteArray();
        assertThat(ChatFrame.chunk(new Chunk(FileId.of(id), 3, sealed)).encode())
                .isEqualTo(new StrictWriter().u8(1).u8(6).var32(chunk).toByteArray());
        assertThat(ChatFrame.chunkAck(FileId.of(id), 3).encode())
                .isEqualTo(new StrictWriter().u8(1).u8(7).bytes(id).u32(3).toByteArray());
    }

    @Test
    void refusesBadChunkFrames() {
        byte[] id = new byte[16];
        byte[] goodChunk = new StrictWriter().bytes(id).u32(0).var32(new byte[Chunk.MIN_SEALED]).toByteArray();
        for (byte[] raw : List.of(
                new StrictWriter().u8(1).u8(6).var32(new byte[0]).toByteArray(),
                new StrictWriter().u8(1).u8(6).var32(new StrictWriter().bytes(id).u32(0)
                        .var32(new byte[Chunk.MIN_SEALED - 1]).toByteArray()).toByteArray(),
                new StrictWriter().u8(1).u8(6).var32(new StrictWriter().bytes(id).u32(FileOffer.MAX_CHUNK_COUNT)
                        .var32(new byte[Chunk.MIN_SEALED]).toByteArray()).toByteArray(),
                new StrictWriter().u8(1).u8(6).var32(goodChunk).u8(0).toByteArray(),
                // The chunk is read in place: its frame length must be exactly the rest of the frame, and the
                // chunk must fill it.
                new StrictWriter().u8(1).u8(6).u32(goodChunk.length - 1).bytes(goodChunk).toByteArray(),
                new StrictWriter().u8(1).u8(6).u32(goodChunk.length + 1).bytes(goodChunk).toByteArray(),
                new StrictWriter().u8(1).u8(6).var32(new StrictWriter().bytes(goodChunk).u8(0).toByteArray())
                        .toByteArray(),
                new StrictWriter().u8(1).u8(7).bytes(id).u32(FileOffer.MAX_CHUNK_COUNT).toByteArray(),
                new StrictWriter().u8(1).u8(7).bytes(id).u32(0).u8(0).toByteArray(),
                new StrictWriter().u8(1).u8(7).bytes(new byte[15]).u32(0).toByteArray(),
                new StrictWriter().u8(1).u8(8).toByteArray())) {
            assertThatThrownBy(() -> ChatFrame.decode(raw)).isInstanceOf(CryptoException.class)
                    .satisfies(e -> assertThat(((CryptoException) e).reason())
                            .isEqualTo(CryptoException.Reason.BAD_ENCODING));
        }
    }
}
