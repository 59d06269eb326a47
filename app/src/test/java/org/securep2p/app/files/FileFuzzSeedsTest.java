package org.securep2p.app.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.CryptoException;

/** The committed seed corpora of the file fuzz targets are what {@link FileFuzzSeeds} writes today. */
class FileFuzzSeedsTest {

    @Test
    void theMessageCorpusHoldsAValidMessageOfEveryTypeAndReason() throws IOException, CryptoException {
        int cancels = 0;
        for (Map.Entry<String, byte[]> e : FileFuzzSeeds.messages().entrySet()) {
            byte[] committed = resource("FileMessageFuzzInputs/decodesToWhatItEncodesOrIsRefused/" + e.getKey());
            assertThat(committed).as(e.getKey()).isEqualTo(e.getValue());
            FileMessage m = FileMessage.decode(committed);
            assertThat(m.encode()).isEqualTo(committed);
            cancels += m instanceof FileMessage.Cancel ? 1 : 0;
        }
        assertThat(cancels).isEqualTo(CancelReason.values().length);
    }

    @Test
    void theChunkCorpusOpensEveryChunkOfTheFixedOffer() throws IOException, CryptoException, FileTransferException {
        FileOffer offer = FileFuzzSeeds.offer();
        for (Map.Entry<String, byte[]> e : FileFuzzSeeds.chunks().entrySet()) {
            byte[] committed = resource("ChunkFuzzInputs/opensOrIsRefusedWithAFileTransferReason/" + e.getKey());
            assertThat(committed).as(e.getKey()).isEqualTo(e.getValue());
            Chunk c = Chunk.decode(committed);
            if (e.getKey().startsWith("seed-chunk-")) {
                assertThat(ChunkSealer.open(offer, c.index(), c.sealed()).length())
                        .isEqualTo(offer.chunkLength(c.index()));
            }
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = FileFuzzSeedsTest.class.getResourceAsStream("/org/securep2p/app/" + name)) {
            assertThat(in).as("seed %s is committed", name).isNotNull();
            return in.readAllBytes();
        }
    }
}
