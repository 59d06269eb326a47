package org.securep2p.crypto;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.crypto.SecurityLevel.ENHANCED;
import static org.securep2p.crypto.SecurityLevel.QUANTUM_RESISTANT;
import static org.securep2p.crypto.SecurityLevel.STANDARD;

/**
 * Every single-bit change of every field of a bundle and of an initial message is refused, with a reason
 * that fits the field (see {@link WireLayout}). Nothing a corrupted field causes is ever a success, and no
 * failure is anything but a {@link CryptoException}.
 */
class HandshakeBitFlipTest {

    private static final byte[] PAYLOAD = "first".getBytes(StandardCharsets.US_ASCII);

    @Test
    void everyBitFlipOfTheBundleIsRejected() throws Exception {
        Parties p = new Parties("bundle bit flips", 600, 0);
        byte[] layoutSample = p.bob.preKeyBundle().encode();
        WireLayout layout = WireLayout.bundle(layoutSample);
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (WireLayout.Field f : layout.fields()) {
            for (int bit = 0; bit < 8 * f.length(); bit++) {
                // A flip that reaches the responder's key agreement consumes the one-time prekey; the next
                // flip then starts from a fresh bundle of the same layout.
                PreKeyBundle offered = p.bob.preKeyBundle();
                byte[] flipped = offered.encode();
                flipped[f.offset() + bit / 8] ^= (byte) (1 << (bit % 8));
                CryptoException.Reason got = outcome(() -> {
                    PreKeyBundle received = PreKeyBundle.decode(flipped);
                    try (HandshakeResult a = p.handshake.initiate(p.alice, received, QUANTUM_RESISTANT, null,
                            PAYLOAD)) {
                        p.handshake.respond(p.bob, offered, a.initialMessage().orElseThrow(), STANDARD).close();
                    }
                });
                checked++;
                if (got == null || !f.allowed().contains(got)) {
                    failures.add(f.name() + " bit " + bit + ": " + (got == null ? "ACCEPTED" : got)
                            + " not in " + f.allowed());
                }
            }
        }
        assertThat(checked).isEqualTo(8 * layoutSample.length);
        assertThat(failures).as("bundle flips").isEmpty();
    }

    @Test
    void everyBitFlipOfTheQuantumResistantMessageIsRejected() throws Exception {
        // With a one-time prekey: at this level a forged message is refused by the transcript signature
        // before the prekey is consumed, so only payload flips consume one (a few hundred).
        flipEveryBitOfMessage(QUANTUM_RESISTANT, 600);
    }

    @Test
    void everyBitFlipOfTheEnhancedMessageIsRejected() throws Exception {
        // Without a one-time prekey: below QUANTUM_RESISTANT nothing is signed, so every forged message that
        // parses reaches key agreement and would consume one (as in X3DH). The one-time prekey id field is
        // covered at QUANTUM_RESISTANT.
        flipEveryBitOfMessage(ENHANCED, 0);
    }

    private static void flipEveryBitOfMessage(SecurityLevel level, int oneTimePreKeys) throws Exception {
        Parties p = new Parties("message bit flips " + level, oneTimePreKeys, 0);
        PreKeyBundle offered = p.bob.preKeyBundle();
        byte[] message = initiate(p, offered, level);
        WireLayout layout = WireLayout.initialMessage(message, level);
        boolean usesOneTimePreKey = layout.fields().stream().anyMatch(f -> f.name().equals("OPK id"));
        assertThat(usesOneTimePreKey).isEqualTo(oneTimePreKeys > 0);
        int expectedFlips = 8 * message.length;
        List<String> failures = new ArrayList<>();
        int checked = 0;
        int fields = layout.fields().size();
        for (int i = 0; i < fields; i++) {
            for (int bit = 0; bit < 8 * layout.fields().get(i).length(); bit++) {
                if (!p.bob.preKeyBundle().equals(offered)) {
                    // The last flip consumed the one-time prekey (it got as far as key agreement): start again
                    // from a fresh message. Its Falcon signature may differ in length, so re-read the layout.
                    offered = p.bob.preKeyBundle();
                    message = initiate(p, offered, level);
                    layout = WireLayout.initialMessage(message, level);
                    if (bit >= 8 * layout.fields().get(i).length()) {
                        break;
                    }
                }
                WireLayout.Field f = layout.fields().get(i);
                byte[] flipped = message.clone();
                flipped[f.offset() + bit / 8] ^= (byte) (1 << (bit % 8));
                PreKeyBundle bundle = offered;
                CryptoException.Reason got = outcome(() -> p.handshake.respond(p.bob, bundle,
                        InitialMessage.decode(flipped), level).close());
                checked++;
                if (got == null || !f.allowed().contains(got)) {
                    failures.add(f.name() + " bit " + bit + ": " + (got == null ? "ACCEPTED" : got)
                            + " not in " + f.allowed());
                }
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(expectedFlips - 8 * Falcon1024.MAX_SIGNATURE_LENGTH);
        assertThat(failures).as(level + " message flips").isEmpty();
    }

    private static byte[] initiate(Parties p, PreKeyBundle bundle, SecurityLevel level) throws CryptoException {
        try (HandshakeResult r = p.handshake.initiate(p.alice, bundle, level, null, PAYLOAD)) {
            return r.initialMessage().orElseThrow().encode();
        }
    }

    /** The reason the call failed with, or null if it succeeded. Any other throwable fails the test. */
    private static CryptoException.Reason outcome(HybridHandshakeTest.ThrowingCall call) throws Exception {
        try {
            call.run();
            return null;
        } catch (CryptoException e) {
            return e.reason();
        }
    }

    @Test
    void standardLevelIsCoveredByTheSameLayout() throws Exception {
        Parties p = new Parties("standard layout", 1, 0);
        byte[] m = initiate(p, p.bob.preKeyBundle(), STANDARD);
        assertThat(WireLayout.initialMessage(m, STANDARD).fields()).isNotEmpty();
    }
}
