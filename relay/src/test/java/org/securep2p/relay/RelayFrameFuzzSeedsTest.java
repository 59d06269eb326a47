package org.securep2p.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The committed seed corpus of {@link RelayFrameFuzz} is what {@link RelayFrameFuzzSeeds} writes today. */
class RelayFrameFuzzSeedsTest {

    @Test
    void theCorpusHoldsAValidFrameOfEveryType() throws IOException, RelayException {
        EnumSet<RelayFrame.Type> seen = EnumSet.noneOf(RelayFrame.Type.class);
        for (Map.Entry<String, byte[]> e : RelayFrameFuzzSeeds.frames().entrySet()) {
            byte[] committed = resource("frameDecodesToItsOwnBytesOrIsRefused/" + e.getKey());
            assertThat(committed).as(e.getKey()).isEqualTo(e.getValue());
            RelayFrame f = RelayFrame.decode(committed);
            String type = f.getClass().getSimpleName().toUpperCase(java.util.Locale.ROOT);
            seen.add(Arrays.stream(RelayFrame.Type.values()).filter(t -> t.name().replace("_", "").equals(type))
                    .findFirst().orElseThrow());
        }
        assertThat(seen).containsExactlyInAnyOrder(RelayFrame.Type.values());
    }

    @Test
    void theCorpusHoldsValidItems() throws IOException, RelayException {
        for (Map.Entry<String, byte[]> e : RelayFrameFuzzSeeds.items().entrySet()) {
            byte[] committed = resource("itemDecodesToItsOwnBytesOrIsRefused/" + e.getKey());
            assertThat(committed).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(MailboxItem.decode(committed).encode()).isEqualTo(committed);
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = RelayFrameFuzzSeedsTest.class.getResourceAsStream("RelayFrameFuzzInputs/" + name)) {
            assertThat(in).as("seed %s is committed", name).isNotNull();
            return in.readAllBytes();
        }
    }
}
