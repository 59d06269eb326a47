package org.securep2p.ratchet;

import java.util.Arrays;
import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.ratchet.Conversation.text;

/**
 * Nothing leaves the cipher before its state is stored: when the store fails (a crash, a full disk), no
 * ciphertext or plaintext is released and the stored session is unchanged, so no message key can be used for
 * two messages. A replaced record's keys are wiped.
 */
class CrashSafetyTest {

    /** Delegates to a real store until told to fail. */
    static final class FlakyStore implements SessionStore {
        final InMemorySessionStore delegate = new InMemorySessionStore();
        boolean failing;

        @Override
        public Optional<SessionRecord> load(String sessionId) {
            return delegate.load(sessionId);
        }

        @Override
        public void store(String sessionId, SessionRecord record) throws RatchetException {
            if (failing) {
                throw new RatchetException(RatchetException.Reason.STORAGE_FAILED, "disk full (simulated)");
            }
            delegate.store(sessionId, record);
        }
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void failedStoreReleasesNoCiphertextAndKeepsTheSession(SecurityLevel level) throws Exception {
        Conversation c = new Conversation(level, 21);
        FlakyStore flaky = new FlakyStore();
        flaky.delegate.store("bob", c.aliceStore.load("bob").orElseThrow());
        SessionCipher alice = new SessionCipher(flaky, "bob", Conversation.seeded(99), Conversation.CLOCK);
        byte[] before = flaky.load("bob").orElseThrow().encode();

        flaky.failing = true;
        assertThatThrownBy(() -> alice.encrypt(text("never sent"))).isInstanceOfSatisfying(RatchetException.class,
                e -> assertThat(e.reason()).isEqualTo(RatchetException.Reason.STORAGE_FAILED));
        assertThat(flaky.load("bob").orElseThrow().encode()).isEqualTo(before);

        flaky.failing = false;
        assertThat(c.bob.decrypt(alice.encrypt(text("sent")))).isEqualTo(text("sent"));
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void failedStoreReleasesNoPlaintextAndTheMessageStaysReadable(SecurityLevel level) throws Exception {
        Conversation c = new Conversation(level, 22);
        FlakyStore flaky = new FlakyStore();
        flaky.delegate.store("alice", c.bobStore.load("alice").orElseThrow());
        SessionCipher bob = new SessionCipher(flaky, "alice", Conversation.seeded(98), Conversation.CLOCK);
        byte[] m = c.alice.encrypt(text("hello"));
        byte[] before = flaky.load("alice").orElseThrow().encode();

        flaky.failing = true;
        assertThatThrownBy(() -> bob.decrypt(m)).isInstanceOfSatisfying(RatchetException.class,
                e -> assertThat(e.reason()).isEqualTo(RatchetException.Reason.STORAGE_FAILED));
        assertThat(flaky.load("alice").orElseThrow().encode()).isEqualTo(before);

        flaky.failing = false;
        assertThat(bob.decrypt(m)).isEqualTo(text("hello"));
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void replacedRecordIsWiped(SecurityLevel level) throws Exception {
        Conversation c = new Conversation(level, 23);
        SessionRecord old = c.aliceStore.load("bob").orElseThrow();
        byte[] oldChainKey = old.state.sendChainKey.unsafeBytes();
        assertThat(oldChainKey).isNotEqualTo(new byte[oldChainKey.length]);
        c.alice.encrypt(text("advance"));
        assertThat(c.aliceStore.load("bob").orElseThrow()).isNotSameAs(old);
        assertThat(oldChainKey).as("the replaced sending chain key").isEqualTo(new byte[oldChainKey.length]);
        assertThat(Arrays.equals(c.aliceStore.load("bob").orElseThrow().state.sendChainKey.unsafeBytes(),
                new byte[oldChainKey.length])).isFalse();
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void corruptRecordIsCorruptStateNotMalformed(SecurityLevel level) throws Exception {
        Conversation c = new Conversation(level, 24);
        byte[] record = c.aliceRecord();
        for (int cut : new int[] {0, 1, record.length / 2, record.length - 1}) {
            assertThatThrownBy(() -> SessionRecord.decode(Arrays.copyOf(record, cut)))
                    .isInstanceOfSatisfying(RatchetException.class,
                            e -> assertThat(e.reason()).isIn(RatchetException.Reason.CORRUPT_STATE));
        }
        byte[] future = record.clone();
        future[0] = 2;
        assertThatThrownBy(() -> SessionRecord.decode(future)).isInstanceOfSatisfying(RatchetException.class,
                e -> assertThat(e.reason()).isEqualTo(RatchetException.Reason.UNKNOWN_VERSION));
    }
}
