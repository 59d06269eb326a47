package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.Fingerprint;

/** The transition table of {@link ConversationState}: what a link may become from where it is. */
class ConversationStateTest {

    private static final Fingerprint PEER = fingerprint();

    private static Fingerprint fingerprint() {
        try {
            return Fingerprint.fromBytes(new byte[Fingerprint.LENGTH]);
        } catch (org.securep2p.crypto.CryptoException e) {
            throw new AssertionError(e);
        }
    }

    // A session is never touched by the table; null stands in where the records require one.
    private static final ConversationState IDLE = new ConversationState.Idle();
    private static final ConversationState WAITING = new ConversationState.Waiting(Optional.empty());
    private static final ConversationState DIALLING = new ConversationState.Dialling(Optional.empty(),
            Optional.empty(), Optional.empty());
    private static final ConversationState CLOSED = new ConversationState.Closed(Optional.of(PEER));

    private static ConversationState deciding() {
        return new ConversationState.Deciding(PEER, session(), new CompletableFuture<>(), Optional.empty(),
                java.util.Set.of(Messenger.TrustDecision.ACCEPT));
    }

    private static ConversationState connected() {
        return new ConversationState.Connected(PEER, session(), Optional.empty());
    }

    private static ChatSession unused;

    /** A ChatSession that is never set up: the table only looks at the state's type. */
    private static synchronized ChatSession session() {
        if (unused == null) {
            try {
                java.security.SecureRandom random = new java.security.SecureRandom();
                org.securep2p.crypto.InMemoryPrivateKeys keys = org.securep2p.crypto.InMemoryPrivateKeys.generate(
                        random, TestSessions.CLOCK, 1, 1);
                MemoryChannels ch = new MemoryChannels(keys.identity(), keys.identity(),
                        org.securep2p.crypto.SecurityLevel.STANDARD, new byte[32]);
                unused = new ChatSession(ch.a, true, true, org.securep2p.crypto.SecurityLevel.STANDARD, "x", keys,
                        new ChatSession.Conversations() {
                            @Override
                            public Optional<Conversation> find(Fingerprint peer) {
                                return Optional.empty();
                            }

                            @Override
                            public Conversation create(Fingerprint peer, String name, byte[] id,
                                    org.securep2p.ratchet.SessionRecord record) {
                                throw new AssertionError("never set up");
                            }
                        }, (peer, name, address, code, certified) -> ChatEvent.TrustMode.KNOWN, e -> { },
                        random, TestSessions.CLOCK, 0);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        return unused;
    }

    @Provide
    Arbitrary<ConversationState> states() {
        return Arbitraries.of(List.of(IDLE, WAITING, DIALLING, deciding(), connected(), CLOSED));
    }

    @Property
    void nothingLeavesClosed(@ForAll("states") ConversationState to) {
        assertThat(ConversationState.allows(CLOSED, to)).isFalse();
    }

    @Property
    void everythingButClosedMayClose(@ForAll("states") ConversationState from) {
        assertThat(ConversationState.allows(from, CLOSED)).isEqualTo(!(from instanceof ConversationState.Closed));
    }

    @Property
    void nothingGoesBackToIdle(@ForAll("states") ConversationState from) {
        assertThat(ConversationState.allows(from, IDLE)).isFalse();
    }

    @Test
    void theLifecycleOfAWaitAndOfARedialledAddress() {
        // A wait: idle, waiting, the peer arrives (dialling), the user decides, dialling again, connected.
        assertThat(ConversationState.allows(IDLE, WAITING)).isTrue();
        assertThat(ConversationState.allows(WAITING, DIALLING)).isTrue();
        assertThat(ConversationState.allows(DIALLING, deciding())).isTrue();
        assertThat(ConversationState.allows(deciding(), DIALLING)).isTrue();
        assertThat(ConversationState.allows(DIALLING, connected())).isTrue();
        // A host:port conversation that dropped is dialled again.
        assertThat(ConversationState.allows(connected(), DIALLING)).isTrue();
        assertThat(ConversationState.allows(IDLE, DIALLING)).isTrue();
    }

    @Test
    void noShortcuts() {
        // A wait never connects without a set-up, a decision never skips it, nothing waits again.
        assertThat(ConversationState.allows(WAITING, connected())).isFalse();
        assertThat(ConversationState.allows(deciding(), connected())).isFalse();
        assertThat(ConversationState.allows(IDLE, connected())).isFalse();
        assertThat(ConversationState.allows(IDLE, deciding())).isFalse();
        assertThat(ConversationState.allows(DIALLING, WAITING)).isFalse();
        assertThat(ConversationState.allows(connected(), WAITING)).isFalse();
        assertThat(ConversationState.allows(WAITING, WAITING)).isFalse();
        assertThat(ConversationState.allows(connected(), connected())).isFalse();
    }

    @Test
    void labelsAndPeers() {
        assertThat(List.of(IDLE, WAITING, DIALLING, deciding(), connected(), CLOSED))
                .extracting(ConversationState::label)
                .containsExactly("idle", "waiting", "dialling", "deciding", "connected", "closed");
        assertThat(WAITING.about()).isEmpty();
        assertThat(connected().about()).contains(PEER);
        assertThat(CLOSED.about()).contains(PEER);
        assertThat(IDLE.active()).isFalse();
        assertThat(CLOSED.active()).isFalse();
        assertThat(WAITING.active()).isTrue();
    }
}
