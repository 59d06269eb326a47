package org.securep2p.ratchet;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.securep2p.crypto.MlKem1024KeyPair;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.crypto.X25519KeyPair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.ratchet.Conversation.text;

/**
 * docs/PROTOCOL.md 10.7: a record whose fields contradict its level or each other is {@code CORRUPT_STATE}.
 * Each try takes a real record (with skipped keys, an earlier receiving chain and, at QUANTUM_RESISTANT, a KEM
 * step behind it), changes one field so that it contradicts the level (a field STANDARD does not have, a
 * double-ratchet field missing, KEM fields below QUANTUM_RESISTANT, a transcript hash of the other level's
 * length, skipped keys of an unknown chain, a KEM step in the future) and re-encodes it.
 */
class RecordConsistencyProperties {

    /** One field, changed so that it contradicts the level it is applied at. */
    enum Mutation {
        ROOT_KEY, DH_SELF, DH_REMOTE, SEND_HEADER_KEY, RECV_HEADER_KEY, NEXT_SEND_HEADER_KEY, NEXT_RECV_HEADER_KEY,
        OLD_HEADER_KEYS, PREVIOUS_SEND_N, KEM_SELF, KEM_REMOTE_KEY, KEM_CIPHERTEXT, KEM_ADVERTISE, KEM_COUNTER,
        LAST_KEM_STEP, TRANSCRIPT_HASH_LENGTH, SKIPPED_KEY_OF_UNKNOWN_CHAIN;

        boolean appliesTo(SecurityLevel level) {
            return switch (this) {
                case DH_REMOTE, PREVIOUS_SEND_N -> level == SecurityLevel.STANDARD;
                case KEM_REMOTE_KEY, KEM_CIPHERTEXT, KEM_ADVERTISE, KEM_COUNTER ->
                        level != SecurityLevel.QUANTUM_RESISTANT;
                default -> true;
            };
        }
    }

    private static final Map<SecurityLevel, byte[]> RECORDS = new EnumMap<>(SecurityLevel.class);

    /** Bob's record after a lost message, a reply and one more message: every kind of field is in use. */
    static synchronized byte[] record(SecurityLevel level) {
        return RECORDS.computeIfAbsent(level, l -> {
            try {
                Conversation c = new Conversation(l, 71);
                c.alice.encrypt(text("lost 0"));
                c.alice.encrypt(text("lost 1"));
                c.bob.decrypt(c.alice.encrypt(text("two")));
                c.alice.decrypt(c.bob.encrypt(text("reply")));
                c.bob.decrypt(c.alice.encrypt(text("three")));
                return c.bobRecord();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Provide
    Arbitrary<Tuple.Tuple2<SecurityLevel, Mutation>> mutations() {
        return Combinators.combine(Arbitraries.of(SecurityLevel.class), Arbitraries.of(Mutation.class))
                .as(Tuple::of).filter(t -> t.get2().appliesTo(t.get1()));
    }

    @Property(tries = 300)
    void everyFieldThatContradictsTheLevelIsCorruptState(@ForAll("mutations") Tuple.Tuple2<SecurityLevel, Mutation> m,
            @ForAll long seed) throws Exception {
        SecurityLevel level = m.get1();
        byte[] valid = record(level);
        SessionState s = SessionState.decode(valid, Conversation.CLOCK);
        assertThat(s.skipped.size()).as("the fixture has skipped keys").isPositive();
        byte[] mutated = mutate(s, m.get2(), new SplittableRandom(seed));
        assertThat(mutated).isNotEqualTo(valid);
        assertThatThrownBy(() -> SessionRecord.decode(mutated, Conversation.CLOCK))
                .as("%s at %s, seed %d", m.get2(), level, seed)
                .isInstanceOfSatisfying(RatchetException.class,
                        e -> assertThat(e.reason()).isEqualTo(RatchetException.Reason.CORRUPT_STATE));
    }

    @Property(tries = 3)
    void theUnchangedRecordsDecode(@ForAll SecurityLevel level) throws Exception {
        assertThat(SessionRecord.decode(record(level), Conversation.CLOCK).encode()).isEqualTo(record(level));
    }

    private static byte[] mutate(SessionState s, Mutation m, SplittableRandom r) {
        boolean standard = !s.headerEncrypted();
        boolean quantum = s.kemSteps();
        java.security.SecureRandom random = Conversation.seeded(r.nextLong());
        switch (m) {
            case ROOT_KEY -> s.rootKey = standard ? new RootKey(bytes(r, 32)) : null;
            case DH_SELF -> s.dhSelf = standard ? X25519KeyPair.generate(random) : null;
            case DH_REMOTE -> s.dhRemote = bytes(r, 32);
            case SEND_HEADER_KEY -> s.sendHeaderKey = standard ? new HeaderKey(bytes(r, 32)) : null;
            case RECV_HEADER_KEY -> s.recvHeaderKey = standard ? new HeaderKey(bytes(r, 32)) : null;
            case NEXT_SEND_HEADER_KEY -> s.nextSendHeaderKey = standard ? new HeaderKey(bytes(r, 32)) : null;
            case NEXT_RECV_HEADER_KEY -> s.nextRecvHeaderKey = standard ? new HeaderKey(bytes(r, 32)) : null;
            case OLD_HEADER_KEYS -> {
                List<HeaderKey> old = new ArrayList<>(s.oldRecvHeaderKeys);
                int add = standard ? 1 + r.nextInt(3) : RatchetLimits.MAX_OLD_RECEIVING_CHAINS + 1 - old.size();
                for (int i = 0; i < add; i++) {
                    old.add(new HeaderKey(bytes(r, 32)));
                }
                s.oldRecvHeaderKeys = old;
            }
            case PREVIOUS_SEND_N -> s.previousSendN = 1 + r.nextInt(1000);
            case KEM_SELF -> s.kemSelf = quantum ? null : MlKem1024KeyPair.generate(random);
            case KEM_REMOTE_KEY -> s.kemRemotePublicKey = MlKem1024KeyPair.generate(random).publicKey();
            case KEM_CIPHERTEXT -> s.sendKemCiphertext = bytes(r, MlKem1024KeyPair.CIPHERTEXT_LENGTH);
            case KEM_ADVERTISE -> s.sendKemPublicKey = true;
            case KEM_COUNTER -> s.messagesSinceKemStep = 1 + r.nextInt(100);
            case LAST_KEM_STEP -> s.lastKemStepAt = quantum
                    ? SessionRecord.now(Conversation.CLOCK) + RatchetLimits.MAX_CLOCK_STEP_BACK.toSeconds() + 1
                            + r.nextInt(1_000_000)
                    : r.nextLong(SessionRecord.now(Conversation.CLOCK));
            case TRANSCRIPT_HASH_LENGTH -> {
                byte[] encoded = s.encode();
                int length = ((encoded[3] & 0xFF) << 8) | (encoded[4] & 0xFF);
                byte[] rest = Arrays.copyOfRange(encoded, 5 + length, encoded.length);
                byte[] other = bytes(r, length == 32 ? 64 : 32);
                return new StrictWriter().bytes(Arrays.copyOf(encoded, 3)).var16(other).bytes(rest).toByteArray();
            }
            case SKIPPED_KEY_OF_UNKNOWN_CHAIN -> s.skipped = s.skipped.plus(List.of(new AbstractMap.SimpleEntry<>(
                    new SkippedKeys.Slot(new SkippedKeys.Key(bytes(r, 32)), r.nextInt(1000)), new MessageKey(bytes(r, 32)))),
                    s.skipped);
            default -> throw new AssertionError(m);
        }
        return s.encode();
    }

    private static byte[] bytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }
}
