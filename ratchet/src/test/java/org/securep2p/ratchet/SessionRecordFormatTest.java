package org.securep2p.ratchet;

import java.security.MessageDigest;
import java.util.Map;

import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stored session record's bytes, pinned in the middle of a conversation (a skipped key in an earlier
 * chain, old header keys, a KEM step at QUANTUM_RESISTANT), so a refactoring of the state cannot change the
 * format a stored session was written in. The published vectors pin only the records right after the
 * handshake. Pinned as SHA-256 of each record (a record at QUANTUM_RESISTANT is several kilobytes).
 */
class SessionRecordFormatTest {

    private static final Map<SecurityLevel, String[]> PINNED = Map.of(
            SecurityLevel.STANDARD, new String[] {
                "e06b0fb9c578423d1171b38c6179feba1d9d93038f288bcdc65975711e3f3c68",
                "4f542645d3b9c291004dbb8318269c6679ba3a8a4a390424d41506cec2d47d7f"},
            SecurityLevel.ENHANCED, new String[] {
                "3b496a92fd4ba35dfeb0fa58c7fd08017fce83ec593b592554fbb3a62391a32f",
                "64e744a87f97c5d1c9850f1ea9a12f85fd71329793ab1d24d01b51db6d285de8"},
            SecurityLevel.QUANTUM_RESISTANT, new String[] {
                "d33248a890a82953aee1efd256a1a7210514fa4df85b25df6c2bf441f9a4f9b6",
                "19534a0c56d14a4e8ce20d9ce32f8b94091e767a9964b6d1c573049dec91ff8b"});

    @ParameterizedTest
    @EnumSource(SecurityLevel.class)
    void recordBytesInTheMiddleOfAConversationAreThoseOfRecordVersionOne(SecurityLevel level) throws Exception {
        Conversation c = new Conversation(level, 3000 + level.code());
        byte[] a0 = c.alice.encrypt(Conversation.text("a0"));
        c.alice.encrypt(Conversation.text("a1 (never delivered: its key stays skipped)"));
        byte[] a2 = c.alice.encrypt(Conversation.text("a2"));
        c.bob.decrypt(a0);
        c.bob.decrypt(a2);
        c.alice.decrypt(c.bob.encrypt(Conversation.text("b0")));
        c.alice.decrypt(c.bob.encrypt(Conversation.text("b1")));
        c.bob.decrypt(c.alice.encrypt(Conversation.text("a3")));
        byte[] alice = c.aliceRecord();
        byte[] bob = c.bobRecord();

        assertThat(SessionRecord.decode(alice, Conversation.CLOCK).encode()).isEqualTo(alice);
        assertThat(SessionRecord.decode(bob, Conversation.CLOCK).encode()).isEqualTo(bob);
        assertThat(new String[] {sha256(alice), sha256(bob)}).containsExactly(PINNED.get(level));
    }

    private static String sha256(byte[] b) throws Exception {
        return Hex.toHexString(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
