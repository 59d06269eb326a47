package org.securep2p.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.securep2p.crypto.SecretBytes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The outbox file is the queue: any queue reads back equal and in order, and any single changed, removed or
 * added byte of the file is refused with a typed error, leaving the file as it was.
 */
class OutboxProperties {

    private static Path scratch;

    @BeforeContainer
    static void makeScratch() throws Exception {
        scratch = Files.createTempDirectory("OutboxProperties");
    }

    @AfterContainer
    static void removeScratch() throws Exception {
        TestSessions.deleteTree(scratch);
    }

    @Property(tries = 200)
    void anyQueueReadsBackEqualAndInOrder(@ForAll("queues") List<PendingMessage> queue) throws Exception {
        Path file = Files.createTempDirectory(scratch, "outbox-properties").resolve("outbox.sealed");
        try (SecretBytes key = TestSessions.key(3);
                Outbox outbox = Outbox.open(file, key, TestSessions.seeded(4))) {
            for (PendingMessage m : queue) {
                outbox.add(m);
            }
            try (Outbox reopened = Outbox.open(file, key, TestSessions.seeded(5))) {
                assertThat(reopened.pending()).isEqualTo(queue);
            }
        }
    }

    @Property(tries = 300)
    void anySingleByteCorruptionIsRefused(@ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int position,
            @ForAll @IntRange(min = 1, max = 255) int xor, @ForAll @IntRange(min = -1, max = 1) int lengthChange)
            throws Exception {
        Path file = Files.createTempDirectory(scratch, "outbox-corruption").resolve("outbox.sealed");
        try (SecretBytes key = TestSessions.key(3);
                Outbox outbox = Outbox.open(file, key, TestSessions.seeded(4))) {
            outbox.add(PendingMessage.of("00112233445566778899aabbccddeeff", "bob", new byte[] {1, 2, 3, 4, 5},
                    Instant.parse("2026-11-23T12:00:00Z")));
            outbox.add(PendingMessage.of("ffeeddccbbaa99887766554433221100", "carol", new byte[40],
                    Instant.parse("2026-11-23T12:00:01Z")));
            byte[] bytes = Files.readAllBytes(file);
            byte[] damaged = switch (lengthChange) {
                case -1 -> Arrays.copyOf(bytes, position % bytes.length);
                case 1 -> Arrays.copyOf(bytes, bytes.length + 1 + position % 16);
                default -> {
                    byte[] b = bytes.clone();
                    b[position % b.length] ^= (byte) xor;
                    yield b;
                }
            };
            Files.write(file, damaged);

            assertThatThrownBy(() -> Outbox.open(file, key, TestSessions.seeded(5))).isInstanceOf(StoreException.class)
                    .satisfies(e -> assertThat(((StoreException) e).reason())
                            .isIn(StoreException.Reason.CORRUPT, StoreException.Reason.UNKNOWN_VERSION));
            assertThat(Files.readAllBytes(file)).isEqualTo(damaged);
        }
    }

    @Provide
    Arbitrary<List<PendingMessage>> queues() {
        return messages().list().ofMaxSize(20).uniqueElements(PendingMessage::id);
    }

    private static Arbitrary<PendingMessage> messages() {
        Arbitrary<String> ids = Arbitraries.strings().withChars("0123456789abcdef").ofLength(32);
        Arbitrary<String> sessions = Arbitraries.strings().withCharRange('a', 'z').withChars('_', '-', '7')
                .ofMinLength(1).ofMaxLength(64);
        Arbitrary<byte[]> wires = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(300);
        Arbitrary<Instant> times = Combinators.combine(Arbitraries.longs().between(0, PendingMessage.MAX_EPOCH_SECOND),
                Arbitraries.integers().between(0, 999_999_999)).as(Instant::ofEpochSecond);
        return Combinators.combine(ids, sessions, wires, times).as(PendingMessage::of);
    }
}
