package org.securep2p.ratchet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.ratchet.Conversation.text;

/** Examples of the ratchet at every level: conversation, loss and reordering, refusals leave state unchanged. */
class SessionCipherTest {

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void pingPongConversation(SecurityLevel level) throws Exception {
        Conversation c = new Conversation(level, 1);
        for (int i = 0; i < 12; i++) {
            assertThat(c.bob.decrypt(c.alice.encrypt(text("a" + i)))).isEqualTo(text("a" + i));
            assertThat(c.alice.decrypt(c.bob.encrypt(text("b" + i)))).isEqualTo(text("b" + i));
        }
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void outOfOrderAndLostMessages(SecurityLevel level) throws Exception {
        Conversation c = new Conversation(level, 2);
        c.bob.decrypt(c.alice.encrypt(text("hello")));
        List<byte[]> fromBob = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            fromBob.add(c.bob.encrypt(text("b" + i)));
        }
        Collections.reverse(fromBob);
        for (int i = 0; i < 10; i++) {
            if (i == 3) {
                continue; // lost
            }
            assertThat(c.alice.decrypt(fromBob.get(i))).isEqualTo(text("b" + (9 - i)));
        }
        byte[] late = c.alice.encrypt(text("late"));
        assertThat(c.bob.decrypt(c.alice.encrypt(text("next")))).isEqualTo(text("next"));
        assertThat(c.bob.decrypt(late)).isEqualTo(text("late"));
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void duplicateIsRefusedAndChangesNothing(SecurityLevel level) throws Exception {
        Conversation c = new Conversation(level, 3);
        byte[] m = c.alice.encrypt(text("once"));
        c.bob.decrypt(m);
        byte[] before = c.bobRecord();
        assertThatThrownBy(() -> c.bob.decrypt(m)).isInstanceOfSatisfying(RatchetException.class,
                e -> assertThat(e.reason()).isEqualTo(RatchetException.Reason.DUPLICATE));
        assertThat(c.bobRecord()).isEqualTo(before);
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void everyBitFlipIsRefusedAndChangesNothing(SecurityLevel level) throws Exception {
        Conversation c = new Conversation(level, 4);
        c.bob.decrypt(c.alice.encrypt(text("first")));
        byte[] m = c.bob.encrypt(text("flip me"));
        byte[] before = c.aliceRecord();
        for (int bit = 0; bit < 8 * m.length; bit++) {
            byte[] f = m.clone();
            f[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThatThrownBy(() -> c.alice.decrypt(f)).isInstanceOf(RatchetException.class);
        }
        assertThat(c.aliceRecord()).isEqualTo(before);
        assertThat(c.alice.decrypt(m)).isEqualTo(text("flip me"));
    }

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void recordRoundTripContinuesTheConversation(SecurityLevel level) throws Exception {
        Conversation c = new Conversation(level, 5);
        c.bob.decrypt(c.alice.encrypt(text("x")));
        byte[] fromBob = c.bob.encrypt(text("y"));
        SessionRecord copy = SessionRecord.decode(c.aliceRecord());
        assertThat(copy.encode()).isEqualTo(c.aliceRecord());
        c.aliceStore.store("bob", copy);
        assertThat(c.alice.decrypt(fromBob)).isEqualTo(text("y"));
    }
}
