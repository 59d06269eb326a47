package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.securep2p.crypto.CryptoException;

/**
 * Coverage-guided fuzzing of {@link ChatFrame#decode}, which reads every frame the peer sends inside TLS (a peer
 * is authenticated, not trusted). Any input ends in a {@link CryptoException} or a frame that the frame's own
 * factory builds back byte for byte from the decoded fields: one encoding per frame, so no field is read
 * loosely. Seeds in {@code ChatFrameFuzzInputs/} were written by {@link ChatFrame}'s factories, and three
 * {@code seed-chunk-*} by hand around the CHUNK frame's in-place read (a length one short of or past the rest of
 * the frame, a chunk that stops short of its length).
 */
class ChatFrameFuzz {

    @FuzzTest(maxDuration = "5m")
    void decodesToWhatItsFactoryWritesOrIsRefused(byte[] encoded) {
        ChatFrame frame;
        try {
            frame = ChatFrame.decode(encoded);
        } catch (CryptoException e) {
            assertThat(e.reason()).isNotNull();
            return;
        }
        ChatFrame rebuilt = switch (frame.type()) {
            case HELLO -> ChatFrame.hello(frame.floor(), frame.username(), frame.sessionId());
            case BUNDLE -> ChatFrame.bundle(frame.blob());
            case INIT -> ChatFrame.init(frame.blob());
            case RATCHET -> ChatFrame.ratchet(frame.blob());
            case CLOSE -> ChatFrame.close(frame.closeReason(), frame.closeDetail());
            case CHUNK -> ChatFrame.chunk(frame.chunk());
            case CHUNK_ACK -> ChatFrame.chunkAck(frame.fileId(), frame.chunkIndex());
        };
        assertThat(rebuilt.encode()).isEqualTo(encoded);
    }
}
