package org.securep2p.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.ratchet.RatchetException;
import org.securep2p.ratchet.SessionRecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The session file seals exactly the record: any valid id round-trips, and any single changed, removed or
 * added byte is refused (never a different record), leaving the file as it was.
 */
class FileSessionStoreProperties {

    private static Path scratch;
    private static Path dir;
    private static SecretBytes key;
    private static FileSessionStore store;
    private static byte[] sealed;
    private static byte[] encoded;

    @BeforeContainer
    static void setUp() throws Exception {
        scratch = Files.createTempDirectory("FileSessionStoreProperties");
        dir = scratch.resolve("sessions");
        key = TestSessions.key(1);
        store = FileSessionStore.open(dir, key, TestSessions.seeded(42));
        try (SessionRecord record = TestSessions.initiator(SecurityLevel.ENHANCED)) {
            encoded = record.encode();
            store.store("bob", record);
        }
        sealed = Files.readAllBytes(dir.resolve("bob.session"));
    }

    @AfterContainer
    static void tearDown() throws Exception {
        store.close();
        key.close();
        TestSessions.deleteTree(scratch);
    }

    @Property(tries = 200)
    void anyValidIdRoundTrips(@ForAll("ids") String id) throws Exception {
        try (SessionRecord record = SessionRecord.decode(encoded)) {
            store.store(id, record);
        }
        try (SessionRecord loaded = store.load(id).orElseThrow()) {
            assertThat(loaded.encode()).isEqualTo(encoded);
        }
        assertThat(store.list()).contains(id);
        assertThat(store.delete(id)).isTrue();
    }

    @Property
    void anySingleByteCorruptionIsRefused(@ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int position,
            @ForAll @IntRange(min = 1, max = 255) int xor) throws Exception {
        byte[] bytes = sealed.clone();
        bytes[position % bytes.length] ^= (byte) xor;
        assertRefusedAndUntouched(bytes);
    }

    @Property(tries = 300)
    void anyTruncationOrExtensionIsRefused(@ForAll @IntRange(min = 0, max = 200_000) int length) throws Exception {
        int n = length % (sealed.length + 64);
        if (n == sealed.length) {
            n++;
        }
        assertRefusedAndUntouched(Arrays.copyOf(sealed, n));
    }

    private static void assertRefusedAndUntouched(byte[] bytes) throws Exception {
        Path file = dir.resolve("damaged.session");
        Files.write(file, bytes);
        assertThatThrownBy(() -> store.load("damaged")).isInstanceOf(RatchetException.class)
                .satisfies(e -> assertThat(((RatchetException) e).reason())
                        .isIn(RatchetException.Reason.CORRUPT_STATE, RatchetException.Reason.UNKNOWN_VERSION));
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
    }

    @Provide
    Arbitrary<String> ids() {
        return Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z').withCharRange('0', '9')
                .withChars('_', '-').ofMinLength(1).ofMaxLength(64);
    }
}
