package org.securep2p.app.org;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.securep2p.crypto.CryptoException;

/**
 * Coverage-guided fuzzing of {@link ChatRequestPayload#decode}, which reads every chat request another member
 * sends through the organisation relay (PROTOCOL.md §23.4; the relay forwards it unread, so it is anybody's
 * bytes). Any input ends in a {@link CryptoException} with a reason, or a payload that encodes back byte for byte:
 * one encoding per payload, so no field is read loosely. Seeds in {@code ChatRequestPayloadFuzzInputs/} were
 * written by {@link ChatRequestPayload#encode}.
 */
class ChatRequestPayloadFuzz {

    @FuzzTest(maxDuration = "5m")
    void decodesToWhatItEncodesOrIsRefused(byte[] encoded) {
        ChatRequestPayload payload;
        try {
            payload = ChatRequestPayload.decode(encoded);
        } catch (CryptoException e) {
            assertThat(e.reason()).isNotNull();
            return;
        }
        assertThat(payload.encode()).isEqualTo(encoded);
    }
}
