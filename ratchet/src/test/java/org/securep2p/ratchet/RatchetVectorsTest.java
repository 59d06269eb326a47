package org.securep2p.ratchet;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The published ratchet vectors ({@code docs/vectors/ratchet-v2.txt}): a scripted conversation at each level,
 * from a fixed seed, with every wire message, is exactly what this code produces, and every published
 * message parses. Regenerate after an intended protocol change with
 * {@code -Dsecurep2p.regenerateVectors=true}.
 */
class RatchetVectorsTest {

    static final Path FILE = Path.of("..", "docs", "vectors", "ratchet-v2.txt");
    /** Who sends each message: a run, a reply, a burst delivered out of order, and a reply again. */
    static final String SCRIPT = "AABBBAAB";
    /** Delivery order of the script's messages (indices), so skipped keys appear in the vectors. */
    static final int[] DELIVERY = {0, 1, 4, 2, 3, 5, 6, 7};

    @Test
    void publishedVectorsAreReproducedFromTheirSeed() throws Exception {
        String generated = generate();
        if (Boolean.getBoolean("securep2p.regenerateVectors")) {
            Files.writeString(FILE, generated, StandardCharsets.US_ASCII);
        }
        assertThat(Files.readString(FILE, StandardCharsets.US_ASCII)).isEqualTo(generated);
    }

    @Test
    void everyPublishedMessageParses() throws Exception {
        int messages = 0;
        for (String line : Files.readAllLines(FILE, StandardCharsets.US_ASCII)) {
            if (line.startsWith("wire_")) {
                WireMessage m = WireMessage.decode(Hex.decode(line.substring(line.indexOf(" = ") + 3)));
                assertThat(m.encode()).isEqualTo(Hex.decode(line.substring(line.indexOf(" = ") + 3)));
                messages++;
            }
        }
        assertThat(messages).isEqualTo(3 * SCRIPT.length());
    }

    static String generate() throws Exception {
        StringBuilder out = new StringBuilder()
                .append("# securep2p ratchet test vectors, record version 1, message version 2 (docs/PROTOCOL.md, section 10).\n")
                .append("# Per level: the session records right after the handshake (which contain every key: test data\n")
                .append("# only), then a scripted conversation. Messages are numbered in sending order; they are\n")
                .append("# delivered in the order ").append(java.util.Arrays.toString(DELIVERY))
                .append(". Randomness: SHA1PRNG seeded with the level's seed (OpenJDK), clock ")
                .append(Conversation.CLOCK.instant()).append(".\n");
        for (SecurityLevel level : SecurityLevel.values()) {
            long seed = 1000L + level.code();
            Conversation c = new Conversation(level, seed);
            out.append("\nlevel = ").append(level.name()).append('\n')
                    .append("seed = ").append(seed).append('\n')
                    .append("alice_record = ").append(Hex.toHexString(c.aliceRecord())).append('\n')
                    .append("bob_record = ").append(Hex.toHexString(c.bobRecord())).append('\n');
            byte[][] wire = new byte[SCRIPT.length()][];
            // Bob cannot send before Alice's first message has arrived, so deliver as we go where needed.
            int delivered = 0;
            for (int i = 0; i < SCRIPT.length(); i++) {
                boolean fromAlice = SCRIPT.charAt(i) == 'A';
                byte[] plaintext = ("message " + i + " from " + (fromAlice ? "alice" : "bob"))
                        .getBytes(StandardCharsets.US_ASCII);
                while (!fromAlice && delivered < SCRIPT.length() && DELIVERY[delivered] < i) {
                    deliver(c, wire, DELIVERY[delivered++]);
                }
                wire[i] = (fromAlice ? c.alice : c.bob).encrypt(plaintext);
                out.append("plaintext_").append(i).append(" = ").append(Hex.toHexString(plaintext)).append('\n')
                        .append("wire_").append(i).append(" = ").append(Hex.toHexString(wire[i])).append('\n');
            }
            while (delivered < SCRIPT.length()) {
                deliver(c, wire, DELIVERY[delivered++]);
            }
        }
        return out.toString();
    }

    private static void deliver(Conversation c, byte[][] wire, int i) throws RatchetException {
        byte[] plain = (SCRIPT.charAt(i) == 'A' ? c.bob : c.alice).decrypt(wire[i]);
        if (!new String(plain, StandardCharsets.US_ASCII).startsWith("message " + i + " ")) {
            throw new AssertionError("vector conversation failed at message " + i);
        }
    }
}
