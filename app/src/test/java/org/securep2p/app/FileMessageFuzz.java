package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.securep2p.app.files.FileMessage;
import org.securep2p.crypto.CryptoException;

/**
 * Coverage-guided fuzzing of {@link FileMessage#decode}, which reads every FILE payload a contact sends
 * (PROTOCOL.md §24.2; inside the ratchet, so from an authenticated, not a trusted, peer). Any input ends in a
 * {@link CryptoException} or a message that encodes back byte for byte and decodes to an equal one: one encoding
 * per message. Seeds in {@code FileMessageFuzzInputs/} are written by {@code files.FileFuzzSeeds}.
 */
class FileMessageFuzz {

    @FuzzTest(maxDuration = "5m")
    void decodesToWhatItEncodesOrIsRefused(byte[] encoded) throws CryptoException {
        FileMessage m;
        try {
            m = FileMessage.decode(encoded);
        } catch (CryptoException e) {
            assertThat(e.reason()).isNotNull();
            return;
        }
        byte[] again = m.encode();
        assertThat(again).isEqualTo(encoded);
        assertThat(FileMessage.decode(again)).isEqualTo(m);
    }
}
