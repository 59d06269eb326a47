package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.securep2p.app.files.Chunk;
import org.securep2p.app.files.ChunkSealer;
import org.securep2p.app.files.FileFuzzSeeds;
import org.securep2p.app.files.FileOffer;
import org.securep2p.app.files.FileTransferException;
import org.securep2p.crypto.CryptoException;

/**
 * Coverage-guided fuzzing of what a receiver does with a chunk from the wire or a relay (PROTOCOL.md §24.3–24.4):
 * {@link Chunk#decode} ends in a {@link CryptoException} or a chunk that encodes back byte for byte, and
 * {@link ChunkSealer#open} against a fixed offer ends in a {@link FileTransferException} or the chunk's data of the
 * right length; no other exception escapes. Seeds in {@code ChunkFuzzInputs/} (every chunk of the offer, a wrong
 * path, a wrong length) are written by {@code files.FileFuzzSeeds}.
 */
class ChunkFuzz {

    private static final FileOffer OFFER = FileFuzzSeeds.offer();

    @FuzzTest(maxDuration = "5m")
    void opensOrIsRefusedWithAFileTransferReason(byte[] encoded) {
        Chunk c;
        try {
            c = Chunk.decode(encoded);
        } catch (CryptoException e) {
            assertThat(e.reason()).isEqualTo(CryptoException.Reason.BAD_ENCODING);
            return;
        }
        assertThat(c.encode()).isEqualTo(encoded);
        try {
            ChunkSealer.OpenedChunk opened = ChunkSealer.open(OFFER, c.index(), c.sealed());
            assertThat(opened.length()).isEqualTo(OFFER.chunkLength(c.index()));
        } catch (FileTransferException e) {
            assertThat(e.reason()).isIn(FileTransferException.Reason.BAD_INDEX, FileTransferException.Reason.BAD_CHUNK,
                    FileTransferException.Reason.BAD_PROOF);
        }
    }
}
