package org.securep2p.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.ratchet.SessionRecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OutboxTest {

    static final Instant T0 = Instant.parse("2026-11-23T12:00:00.123456789Z");

    @TempDir
    Path home;

    private Path file;
    private SecretBytes key;
    private SecureRandom random;
    private Outbox outbox;

    @BeforeEach
    void open() throws Exception {
        file = home.resolve("outbox.sealed");
        key = TestSessions.key(1);
        random = TestSessions.seeded(5);
        outbox = Outbox.open(file, key, random);
    }

    @AfterEach
    void close() {
        outbox.close();
        key.close();
    }

    @Test
    void addedMessagesSurviveARestartInInsertionOrder() throws Exception {
        PendingMessage a = message("bob", 10);
        PendingMessage b = message("carol", 20);
        PendingMessage c = message("bob", 30);
        outbox.add(a);
        outbox.add(b);
        outbox.add(c);

        try (Outbox reopened = reopen()) {
            assertThat(reopened.pending()).containsExactly(a, b, c);
            assertThat(reopened.pending("bob")).containsExactly(a, c);
            assertThat(reopened.pending("dave")).isEmpty();
            assertThat(reopened.totalBytes()).isEqualTo(60);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void removeIsDurableAndReportsWhetherTheMessageWasQueued() throws Exception {
        PendingMessage a = message("bob", 10);
        PendingMessage b = message("bob", 10);
        outbox.add(a);
        outbox.add(b);

        assertThat(outbox.remove(a.id())).isTrue();
        assertThat(outbox.remove(a.id())).isFalse();
        try (Outbox reopened = reopen()) {
            assertThat(reopened.pending()).containsExactly(b);
        }
        assertThat(outbox.remove(b.id())).isTrue();
        try (Outbox reopened = reopen()) {
            assertThat(reopened.pending()).isEmpty();
            assertThat(reopened.totalBytes()).isZero();
        }
    }

    @Test
    void removeSessionRemovesOnlyThatSessionsMessages() throws Exception {
        PendingMessage a = message("bob", 10);
        PendingMessage b = message("carol", 10);
        PendingMessage c = message("bob", 10);
        outbox.add(a);
        outbox.add(b);
        outbox.add(c);

        assertThat(outbox.removeSession("bob")).isEqualTo(2);
        assertThat(outbox.removeSession("bob")).isZero();
        try (Outbox reopened = reopen()) {
            assertThat(reopened.pending()).containsExactly(b);
        }
    }

    @Test
    void refusesADuplicateIdAndKeepsTheFirst() throws Exception {
        PendingMessage a = message("bob", 10);
        outbox.add(a);
        PendingMessage twin = PendingMessage.of(a.id(), "carol", new byte[] {1}, T0);

        assertReason(() -> outbox.add(twin), StoreException.Reason.DUPLICATE);
        try (Outbox reopened = reopen()) {
            assertThat(reopened.pending()).containsExactly(a);
        }
    }

    @Test
    void refusesTheMessagePastTheCountLimitAndDropsNothing() throws Exception {
        List<PendingMessage> full = new ArrayList<>();
        for (int i = 0; i < Outbox.MAX_MESSAGES; i++) {
            full.add(message("bob", 1));
        }
        writeSealed(Outbox.encode(full));

        try (Outbox reopened = reopen()) {
            byte[] before = Files.readAllBytes(file);
            assertReason(() -> reopened.add(message("bob", 1)), StoreException.Reason.LIMIT_REACHED);
            assertThat(reopened.size()).isEqualTo(Outbox.MAX_MESSAGES);
            assertThat(Files.readAllBytes(file)).isEqualTo(before);
            assertThat(reopened.remove(full.get(0).id())).isTrue();
            reopened.add(message("bob", 1));
            assertThat(reopened.size()).isEqualTo(Outbox.MAX_MESSAGES);
        }
    }

    @Test
    void refusesTheMessagePastTheByteLimitAndDropsNothing() throws Exception {
        List<PendingMessage> full = new ArrayList<>();
        long total = 0;
        while (total < Outbox.MAX_TOTAL_BYTES) {
            PendingMessage m = message("bob", PendingMessage.MAX_WIRE_BYTES);
            full.add(m);
            total += m.wireLength();
        }
        assertThat(total).isEqualTo(Outbox.MAX_TOTAL_BYTES);
        writeSealed(Outbox.encode(full));

        try (Outbox reopened = reopen()) {
            assertThat(reopened.totalBytes()).isEqualTo(Outbox.MAX_TOTAL_BYTES);
            assertReason(() -> reopened.add(message("bob", 1)), StoreException.Reason.LIMIT_REACHED);
            assertThat(reopened.pending()).isEqualTo(full);
        }
    }

    @Test
    void refusesAFileSealedUnderAnotherKey() throws Exception {
        outbox.add(message("bob", 10));
        try (SecretBytes other = TestSessions.key(2)) {
            assertReason(() -> Outbox.open(file, other, random), StoreException.Reason.CORRUPT);
        }
    }

    @Test
    void tamperedFileIsRefusedAndLeftUntouched() throws Exception {
        outbox.add(message("bob", 10));
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= (byte) 0x80;
        Files.write(file, bytes);

        assertReason(this::reopen, StoreException.Reason.CORRUPT);
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
    }

    @Test
    void refusesUnknownVersion() throws Exception {
        outbox.add(message("bob", 10));
        byte[] bytes = Files.readAllBytes(file);
        bytes[4] = 9;
        Files.write(file, bytes);

        assertReason(this::reopen, StoreException.Reason.UNKNOWN_VERSION);
    }

    @Test
    void refusesUnknownQueueVersionInsideAnAuthenticFile() throws Exception {
        byte[] plain = Outbox.encode(List.of(message("bob", 3)));
        plain[0] = 2;
        writeSealed(plain);

        assertReason(this::reopen, StoreException.Reason.UNKNOWN_VERSION);
    }

    @Test
    void rejectsASessionFileInPlaceOfTheOutbox() throws Exception {
        Path sessions = home.resolve("sessions");
        try (FileSessionStore store = FileSessionStore.open(sessions, key, random);
                SessionRecord record = TestSessions.initiator(SecurityLevel.STANDARD)) {
            store.store("bob", record);
        }
        Files.copy(sessions.resolve("bob.session"), file);

        assertReason(this::reopen, StoreException.Reason.CORRUPT);
    }

    @Test
    void refusesAnAuthenticFileThatBreaksTheQueueLayout() throws Exception {
        PendingMessage m = message("bob", 3);
        byte[] one = Outbox.encode(List.of(m));
        byte[] twice = Outbox.encode(List.of(m, m));

        List<byte[]> broken = List.of(
                Arrays.copyOf(one, one.length + 1),
                Arrays.copyOf(one, one.length - 1),
                twice,
                new StrictWriter().u8(1).u32(Outbox.MAX_MESSAGES + 1).toByteArray(),
                new StrictWriter().u8(1).u32(2).bytes(Arrays.copyOfRange(one, 5, one.length)).toByteArray(),
                withNanos(one, 1_000_000_000),
                new byte[0]);
        for (byte[] plain : broken) {
            writeSealed(plain);
            assertReason(this::reopen, StoreException.Reason.CORRUPT);
        }
    }

    @Test
    void holdsNoWireBytesInTheClear() throws Exception {
        byte[] wire = new byte[64];
        Arrays.fill(wire, (byte) 0x42);
        outbox.add(PendingMessage.of(PendingMessage.newId(random), "bob", wire, T0));

        byte[] bytes = Files.readAllBytes(file);
        assertThat(FileSessionStoreTest.indexOf(bytes, Arrays.copyOf(wire, 16))).isEqualTo(-1);
        assertThat(FileSessionStoreTest.indexOf(bytes, "bob".getBytes())).isEqualTo(-1);
    }

    @Test
    void aFailedWriteChangesNothing() throws Exception {
        PendingMessage a = message("bob", 10);
        outbox.add(a);
        Files.delete(file);
        Files.delete(home);

        assertReason(() -> outbox.add(message("bob", 10)), StoreException.Reason.STORAGE_FAILED);
        assertReason(() -> outbox.remove(a.id()), StoreException.Reason.STORAGE_FAILED);
        assertThat(outbox.pending()).containsExactly(a);
        assertThat(outbox.totalBytes()).isEqualTo(10);
    }

    @Test
    void openRemovesTempFilesACrashLeftBehind() throws Exception {
        outbox.add(message("bob", 10));
        Path leftover = home.resolve(".outbox.sealed.98765.tmp");
        Files.write(leftover, new byte[] {1, 2, 3});

        try (Outbox reopened = reopen()) {
            assertThat(reopened.size()).isEqualTo(1);
        }
        assertThat(leftover).doesNotExist();
    }

    @Test
    void pendingMessageChecksItsFieldsAndCopiesItsBytes() {
        byte[] wire = {1, 2, 3};
        PendingMessage m = PendingMessage.of("0123456789abcdef0123456789abcdef", "bob", wire, T0);
        wire[0] = 9;
        m.wire()[1] = 9;
        assertThat(m.wire()).containsExactly(1, 2, 3);
        assertThat(m.toString()).isEqualTo("PendingMessage[0123456789abcdef0123456789abcdef, session bob, 3 bytes, "
                + T0 + "]");
        assertThat(PendingMessage.newId(random)).matches("[0-9a-f]{32}");

        for (String id : List.of("", "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcde",
                "0123456789abcdef0123456789abcdef0", "g123456789abcdef0123456789abcdef")) {
            assertThatThrownBy(() -> PendingMessage.of(id, "bob", new byte[] {1}, T0))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        String id = PendingMessage.newId(random);
        assertThatThrownBy(() -> PendingMessage.of(id, "../bob", new byte[] {1}, T0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PendingMessage.of(id, "bob", new byte[0], T0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PendingMessage.of(id, "bob", new byte[PendingMessage.MAX_WIRE_BYTES + 1], T0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PendingMessage.of(id, "bob", new byte[1], Instant.parse("1969-12-31T23:59:59Z")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private PendingMessage message(String session, int length) {
        byte[] wire = new byte[length];
        random.nextBytes(wire);
        return PendingMessage.of(PendingMessage.newId(random), session, wire, T0);
    }

    private Outbox reopen() throws StoreException {
        return Outbox.open(file, key, TestSessions.seeded(6));
    }

    private void writeSealed(byte[] plain) throws StoreException {
        AtomicFile.write(file, SealedFormat.seal(Outbox.ROLE, "", plain, key, random));
    }

    /** {@code one} (a queue of one message) with the message's nanoseconds replaced. */
    private static byte[] withNanos(byte[] one, long nanos) {
        byte[] copy = one.clone();
        int sessionLength = ((copy[5 + 16] & 0xFF) << 8) | (copy[5 + 17] & 0xFF);
        int at = 5 + 16 + 2 + sessionLength + 8;
        copy[at] = (byte) (nanos >>> 24);
        copy[at + 1] = (byte) (nanos >>> 16);
        copy[at + 2] = (byte) (nanos >>> 8);
        copy[at + 3] = (byte) nanos;
        return copy;
    }

    private static void assertReason(TrustStoreTest.ThrowingCall call, StoreException.Reason reason) {
        assertThatThrownBy(call::run).isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(((StoreException) e).reason()).isEqualTo(reason));
    }
}
