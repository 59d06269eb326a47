package org.securep2p.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.EnumSet;

/**
 * Coverage-guided fuzzing of what a relay reads from anyone and a client reads from its relay:
 * {@link RelayFrame#decode} and {@link MailboxItem#decode}. Any input ends in a {@link RelayException} with a
 * codec reason, or in a value that encodes back to exactly the input (one encoding per frame and per item, so no
 * field is read loosely); no other exception may escape. Seeds in {@code RelayFrameFuzzInputs/} are valid frames
 * of every type and items of the small buckets, written by {@link RelayFrameFuzzSeeds}.
 */
class RelayFrameFuzz {

    private static final EnumSet<RelayException.Reason> CODEC_REFUSALS = EnumSet.of(RelayException.Reason.BAD_FRAME,
            RelayException.Reason.UNKNOWN_VERSION, RelayException.Reason.TOO_LARGE);

    @FuzzTest(maxDuration = "5m")
    void frameDecodesToItsOwnBytesOrIsRefused(byte[] input) {
        RelayFrame frame;
        try {
            frame = RelayFrame.decode(input);
        } catch (RelayException e) {
            assertThat(e.reason()).isIn(CODEC_REFUSALS);
            return;
        }
        assertThat(frame.encode()).isEqualTo(input);
        if (frame instanceof RelayFrame.Signed signed) {
            // Checking a signature with any key and nonce answers, it never throws.
            assertThat(signed.verify(new byte[SigningKey.PUBLIC_LENGTH], new byte[RelayFrame.NONCE_LENGTH]))
                    .isFalse();
        }
    }

    @FuzzTest(maxDuration = "5m")
    void itemDecodesToItsOwnBytesOrIsRefused(byte[] input) {
        MailboxItem item;
        try {
            item = MailboxItem.decode(input);
        } catch (RelayException e) {
            assertThat(e.reason()).isIn(CODEC_REFUSALS);
            return;
        }
        assertThat(item.encode()).isEqualTo(input);
    }
}
