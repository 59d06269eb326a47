package org.securep2p.ratchet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.ratchet.Conversation.text;

/**
 * PROTOCOL.md 10.5: one received message makes the receiver try at most 18 header keys (the current chain's,
 * 16 earlier chains', the next chain's), even when every earlier chain still holds skipped keys.
 */
class HeaderTrialsTest {

    @ParameterizedTest
    @EnumSource(value = SecurityLevel.class, names = {"ENHANCED", "QUANTUM_RESISTANT"})
    void headerTrialsAreBoundedWithSixteenOldChainsHoldingSkippedKeys(SecurityLevel level) throws Exception {
        Conversation c = new Conversation(level, 81);
        byte[] firstKept = null;
        // Each round Alice sends two messages on a new chain, Bob gets only the second (so that chain keeps a
        // skipped key) and replies, which moves Alice to her next chain.
        for (int round = 0; round < RatchetLimits.MAX_OLD_RECEIVING_CHAINS + 1; round++) {
            c.alice.encrypt(text("lost " + round));
            byte[] kept = c.alice.encrypt(text("kept " + round));
            c.bob.decrypt(kept);
            firstKept = firstKept == null ? kept : firstKept;
            c.alice.decrypt(c.bob.encrypt(text("reply " + round)));
        }
        SessionState bob = c.bobStore.load("alice").orElseThrow().state;
        assertThat(bob.oldRecvHeaderKeys).hasSize(RatchetLimits.MAX_OLD_RECEIVING_CHAINS);
        assertThat(bob.skipped.chains()).hasSize(RatchetLimits.MAX_OLD_RECEIVING_CHAINS + 1);

        // A message that opens under none of Bob's header keys: every key is tried, each once.
        byte[] foreign = new Conversation(level, 82).alice.encrypt(text("not for bob"));
        assertThatThrownBy(() -> c.bob.decrypt(foreign)).isInstanceOfSatisfying(RatchetException.class,
                e -> assertThat(e.reason()).isEqualTo(RatchetException.Reason.BAD_MAC));
        assertThat(c.bob.headerTrialsOfLastDecrypt()).isEqualTo(RatchetLimits.MAX_HEADER_TRIALS).isEqualTo(18);

        // A replay of a remembered chain is still recognised, within the bound.
        byte[] replay = firstKept;
        assertThatThrownBy(() -> c.bob.decrypt(replay)).isInstanceOfSatisfying(RatchetException.class,
                e -> assertThat(e.reason()).isEqualTo(RatchetException.Reason.DUPLICATE));
        assertThat(c.bob.headerTrialsOfLastDecrypt()).isLessThanOrEqualTo(RatchetLimits.MAX_HEADER_TRIALS);
    }
}
