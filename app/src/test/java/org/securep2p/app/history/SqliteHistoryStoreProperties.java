package org.securep2p.app.history;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.app.history.HistoryTesting.T0;

/** What holds for every text: it reads back exactly, in order, after the store is closed and reopened. */
class SqliteHistoryStoreProperties {

    // jqwik does not inject @TempDir: one scratch directory for the container, one file per try.
    private static Path dir;
    private static int tries;

    @BeforeContainer
    static void makeDir() throws Exception {
        dir = Files.createTempDirectory("history-properties");
    }

    @AfterContainer
    static void removeDir() throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Property(tries = 100)
    void anyUnicodeTextsReadBackExactlyAndInOrder(@ForAll @Size(min = 1, max = 8) List<@From("texts") String> texts,
            @ForAll("fingerprints") byte[] fingerprint, @ForAll("keys") byte[] keyBytes) throws Exception {
        Path file = dir.resolve("h" + tries++ + ".db");
        Fingerprint peer = Fingerprint.fromBytes(fingerprint);
        List<String> ids = new ArrayList<>();
        try (SecretBytes key = SecretBytes.copyOf(keyBytes)) {
            try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
                for (int i = 0; i < texts.size(); i++) {
                    String id = HexFormat.of().formatHex(new byte[] {(byte) i, (byte) (i >> 8)});
                    ids.add(id);
                    HistoryMessage m = i % 2 == 0 ? HistoryMessage.sent(id, T0.plusSeconds(i), texts.get(i))
                            : HistoryMessage.received(id, T0.plusSeconds(i), texts.get(i));
                    assertThat(store.append(peer, m)).isTrue();
                }
            }
            try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
                List<HistoryMessage> page = store.page(peer, Optional.empty(), 100);
                assertThat(page).extracting(HistoryMessage::text).containsExactlyElementsOf(texts);
                assertThat(page).extracting(HistoryMessage::id).containsExactlyElementsOf(ids);
            }
        }
    }

    private static byte[] sample;
    private static byte[] sampleKey;
    private static Fingerprint samplePeer;

    /** A small database (a name, sent, received, delivered and failed messages) to damage byte by byte. */
    private static synchronized void makeSample() throws Exception {
        if (sample != null) {
            return;
        }
        HistoryTesting t = new HistoryTesting("damage sample");
        sampleKey = new byte[32];
        new java.security.SecureRandom().nextBytes(sampleKey);
        samplePeer = t.fingerprint();
        Path file = dir.resolve("sample.db");
        try (SecretBytes key = SecretBytes.copyOf(sampleKey);
                SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            store.setContactName(samplePeer, "bob");
            for (int i = 0; i < 20; i++) {
                String id = t.id();
                store.append(samplePeer, i % 2 == 0 ? HistoryMessage.sent(id, T0.plusSeconds(i), "text " + i)
                        : HistoryMessage.received(id, T0.plusSeconds(i), "text " + i));
                if (i % 4 == 0) {
                    store.updateDelivery(samplePeer, id, i % 8 == 0 ? HistoryMessage.Delivery.DELIVERED
                            : HistoryMessage.Delivery.FAILED, i % 8 == 0 ? Optional.empty() : Optional.of("no"));
                }
            }
        }
        sample = Files.readAllBytes(file);
    }

    /**
     * Any one byte of the file changed: every call either answers or throws HistoryException (never another
     * exception), and a file refused at open is left byte for byte. (A file that passes the checks is ours
     * under our key: SQLite may then rewrite its header, e.g. a damaged journal-mode byte.)
     */
    @Property(tries = 1000)
    void aDamagedFileIsReadOrRefusedButNeverCrashesNorIsWritten(@ForAll @IntRange(min = 0, max = 1 << 20) int at,
            @ForAll @IntRange(min = 1, max = 255) int xor) throws Exception {
        makeSample();
        byte[] damaged = sample.clone();
        damaged[at % damaged.length] ^= (byte) xor;
        Path file = dir.resolve("damaged" + tries++ + ".db");
        Files.write(file, damaged);
        boolean opened;
        try (SecretBytes key = SecretBytes.copyOf(sampleKey);
                SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
            List<Runnable> calls = List.of(
                    () -> call(store::conversations),
                    () -> call(() -> store.page(samplePeer, Optional.empty(), 100)),
                    () -> call(() -> store.contactName(samplePeer)),
                    () -> call(() -> store.contactNamed("bob")));
            calls.forEach(Runnable::run);
            opened = store.isOpen();
        }
        if (!opened) {
            assertThat(Files.readAllBytes(file)).as("byte %d ^ %d", at % damaged.length, xor).isEqualTo(damaged);
        }
        Files.delete(file);
    }

    private interface Call {
        Object run() throws Exception;
    }

    private static void call(Call c) {
        try {
            c.run();
        } catch (HistoryException expected) {
            // Refused with a reason: what a damaged file may get.
        } catch (Exception e) {
            throw new AssertionError("not a HistoryException: " + e, e);
        }
    }

    /** Any Unicode string (astral planes, combining marks, NUL, lone surrogates replaced by UTF-8) up to 300. */
    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.oneOf(
                Arbitraries.strings().all().ofMaxLength(300),
                Arbitraries.strings().withCharRange('\u0000', '\u007f').ofMaxLength(50),
                Arbitraries.integers().between(0x10000, 0x10FFFF).filter(Character::isValidCodePoint)
                        .list().ofMaxSize(20)
                        .map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size())))
                // A Java string with a lone surrogate has no UTF-8 form: the store keeps what UTF-8 can.
                .map(s -> new String(s.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        java.nio.charset.StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<byte[]> fingerprints() {
        return Arbitraries.bytes().array(byte[].class).ofSize(32);
    }

    @Provide
    Arbitrary<byte[]> keys() {
        return Arbitraries.bytes().array(byte[].class).ofSize(32);
    }
}
