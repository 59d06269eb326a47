package org.securep2p.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.crypto.testing.SeededRandom;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.MailboxItem;

/** The tampering test double does what FileTransferIT relies on: one chunk altered, once, nothing else. */
class TamperingMailboxStoreTest {

    @TempDir
    Path data;

    final SeededRandom random = new SeededRandom("tampering");
    final Instant now = Instant.parse("2026-12-07T01:00:00Z");

    /** A blob laid out as a MailboxItem of kind {@code kind}, padded like one. */
    byte[] item(int kind, int bodyLength) {
        byte[] body = new byte[bodyLength];
        random.nextBytes(body);
        byte[] plain = new StrictWriter().u8(MailboxItem.VERSION).u8(kind).var32(body).toByteArray();
        return java.util.Arrays.copyOf(plain, MailboxItem.bucketFor(plain.length));
    }

    @Test
    void altersOnlyTheFirstChunkItemByOneByteOfItsBody() throws Exception {
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        try (TamperingMailboxStore store = new TamperingMailboxStore(SqliteMailboxStore.open(new RelayConfig(
                "127.0.0.1", 0, data, Duration.ofDays(21), 100, 16 << 20, 10, 10, 10, 10, Optional.empty())),
                new PrintStream(said, true, StandardCharsets.UTF_8))) {
            byte[] receive = new byte[32];
            byte[] send = new byte[32];
            random.nextBytes(receive);
            random.nextBytes(send);
            MailboxId box = MailboxId.random(random);
            store.create(box, receive, send, now);
            byte[] ratchet = item(MailboxItem.Kind.RATCHET.code(), 3000);
            byte[] chunk = item(TamperingMailboxStore.CHUNK_KIND, 100_000);
            byte[] second = item(TamperingMailboxStore.CHUNK_KIND, 100_000);
            Instant expires = now.plus(Duration.ofDays(1));
            store.post(box, ratchet, now, expires);
            store.post(box, chunk, now, expires);
            store.post(box, second, now, expires);
            var items = store.itemsAfter(box, 0, now, 10);
            assertThat(items).hasSize(3);
            assertThat(items.get(0).blob()).isEqualTo(ratchet);
            byte[] stored = items.get(1).blob();
            int differ = 0;
            int at = -1;
            for (int i = 0; i < chunk.length; i++) {
                if (stored[i] != chunk[i]) {
                    differ++;
                    at = i;
                }
            }
            assertThat(differ).isEqualTo(1);
            // Inside the body, past the chunk's file id (16), index (4) and sealed length (4).
            assertThat(at).isBetween(6 + 24, 6 + 100_000 - 1);
            assertThat(items.get(2).blob()).as("only once").isEqualTo(second);
            assertThat(said.toString(StandardCharsets.UTF_8)).startsWith("tampered: ");
        }
    }
}
