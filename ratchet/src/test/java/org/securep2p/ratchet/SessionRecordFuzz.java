package org.securep2p.ratchet;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of {@link SessionRecord#decode}, which reads a session back from storage (the file
 * store opens the sealed file first, so this sees only what the AEAD let through, but a record written by an
 * older or buggy build, or a damaged one, must still end in a {@link RatchetException}, never another
 * exception). A record that decodes encodes back to the same bytes: one encoding per session, so nothing
 * outside the known fields survives a load and store. Seeds in {@code SessionRecordFuzzInputs/} are records
 * of real conversations at every level, before and after messages and ratchet steps.
 */
class SessionRecordFuzz {

    @FuzzTest(maxDuration = "5m")
    void decodesToTheSameBytesOrIsRefused(byte[] encoded) {
        SessionRecord record;
        try {
            record = SessionRecord.decode(encoded);
        } catch (RatchetException e) {
            assertThat(e.reason()).isNotNull();
            return;
        }
        try {
            assertThat(record.encode()).isEqualTo(encoded);
        } finally {
            record.close();
        }
    }
}
