package org.securep2p.ratchet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.ratchet.RatchetException.Reason.BAD_MAC;
import static org.securep2p.ratchet.RatchetLimits.MAX_SKIP;
import static org.securep2p.ratchet.RatchetLimits.MAX_SKIPPED_KEYS;

/**
 * Bob receiving a {@link ChainFixture}'s chains in order, with a model of his skipped keys: the slots
 * {@code (chain, n)} in the order they were skipped.
 */
final class SkipModel {

    enum Kind { SAME_CHAIN, NEXT_CHAIN, LATE, TAMPERED }

    record Delivery(Kind kind, int pick) {
        @Override
        public String toString() {
            return kind + "#" + pick;
        }
    }

    static Arbitrary<List<Delivery>> deliveries(boolean tampering) {
        Arbitrary<Kind> kinds = tampering
                ? Arbitraries.frequency(Tuple.of(3, Kind.SAME_CHAIN), Tuple.of(3, Kind.NEXT_CHAIN),
                        Tuple.of(2, Kind.LATE), Tuple.of(3, Kind.TAMPERED))
                : Arbitraries.frequency(Tuple.of(3, Kind.SAME_CHAIN), Tuple.of(3, Kind.NEXT_CHAIN),
                        Tuple.of(4, Kind.LATE));
        // At most 30 deliveries: at QUANTUM_RESISTANT Bob then never reaches KEM_REKEY_MESSAGES between
        // ratchet steps, so he makes the fixture's KEM decisions.
        return Combinators.combine(kinds, Arbitraries.integers().between(0, 1 << 24)).as(Delivery::new).list()
                .ofMinSize(1).ofMaxSize(30);
    }

    final SecurityLevel level;
    final ChainFixture fixture;
    final boolean symmetric;
    final Peer bob;
    /** Decrypts the tampered messages, so that their refusal leaves Bob's seeded stream where it was. */
    final SessionCipher throwaway;
    /** Chain lengths as Bob sees them (STANDARD: one chain). */
    final int chains;
    final int length;
    final byte[][] chainIds;
    final LinkedHashSet<Long> skipped = new LinkedHashSet<>();
    int chain = -1;
    int recvN;
    int evicted;
    int tamperedWhileFull;

    SkipModel(SecurityLevel level, ChainFixture fixture) throws RatchetException {
        this.level = level;
        this.fixture = fixture;
        this.symmetric = level.ratchetMode() == SecurityLevel.RatchetMode.SYMMETRIC_KEY;
        MutableClock clock = ChainFixture.clock();
        this.bob = fixture.bob(clock);
        this.chains = fixture.aliceChains.size();
        this.length = fixture.aliceChains.get(0).size();
        this.chainIds = new byte[chains][];
        this.throwaway = new SessionCipher(bob.store, Peer.SESSION, Conversation.seeded(-1), clock);
    }

    static long slot(int chain, int n) {
        return (long) chain << 32 | n;
    }

    void apply(Delivery d) throws RatchetException {
        Kind kind = d.kind();
        int pick = d.pick();
        boolean canSame = chain >= 0 && recvN < length;
        boolean canNext = symmetric ? recvN < length : chain < chains - 1;
        if ((kind == Kind.SAME_CHAIN && !canSame) || (kind == Kind.NEXT_CHAIN && !canNext)) {
            kind = canSame || canNext ? Kind.valueOf(canNext ? "NEXT_CHAIN" : "SAME_CHAIN") : Kind.LATE;
        }
        if (kind == Kind.TAMPERED && !canSame && !canNext) {
            kind = Kind.LATE;
        }
        if (kind == Kind.LATE) {
            late(pick);
        } else {
            forward(kind, pick);
        }
        check();
    }

    /** A message ahead of Bob: in his chain, or (above STANDARD) the next chain; tampered if so told. */
    private void forward(Kind kind, int pick) throws RatchetException {
        boolean tamper = kind == Kind.TAMPERED;
        boolean next = kind == Kind.NEXT_CHAIN || (tamper && (pick % 2 == 0 ? chain < chains - 1 && !symmetric
                : !(chain >= 0 && recvN < length)));
        if (tamper) {
            pick /= 2;
        }
        int c;
        int n;
        List<Long> newlySkipped = new ArrayList<>();
        if (symmetric) {
            c = 0;
            int room = Math.min(length - recvN, MAX_SKIP + 1);
            n = next ? recvN + room - 1 - (pick % Math.min(room, 100)) : recvN + (pick % room);
            for (int i = recvN; i < n; i++) {
                newlySkipped.add(slot(0, i));
            }
        } else if (next) {
            c = chain + 1;
            n = pick % length;
            if (chain >= 0) {
                for (int i = recvN; i < length; i++) {
                    newlySkipped.add(slot(chain, i));
                }
            }
            for (int i = 0; i < n; i++) {
                newlySkipped.add(slot(c, i));
            }
        } else {
            c = chain;
            n = recvN + pick % (length - recvN);
            for (int i = recvN; i < n; i++) {
                newlySkipped.add(slot(c, i));
            }
        }
        byte[] wire = fixture.aliceChains.get(c).get(n);
        if (tamper) {
            if (skipped.size() + newlySkipped.size() > MAX_SKIPPED_KEYS) {
                tamperedWhileFull++;
            }
            byte[] flipped = RatchetProperties.flipBit(wire, RatchetProperties.Region.BODY, pick);
            RatchetException e = bob.refusesUnchanged(flipped, throwaway);
            assertThat(e.reason()).isEqualTo(BAD_MAC);
            return;
        }
        assertThat(bob.decrypt(wire)).as("message %d of chain %d", n, c).isEqualTo(ChainFixture.plaintext(c, n));
        skipped.addAll(newlySkipped);
        while (skipped.size() > MAX_SKIPPED_KEYS) {
            skipped.remove(skipped.iterator().next());
            evicted++;
        }
        if (c != chain) {
            chain = c;
            chainIds[c] = symmetric ? new byte[Kdf.KEY_LENGTH] : bob.state().recvHeaderKey.unsafeBytes().clone();
        }
        recvN = n + 1;
    }

    /** A message behind Bob: decrypted if the model holds its key, else refused with nothing changed. */
    private void late(int pick) throws RatchetException {
        if (chain < 0) {
            return;
        }
        long s;
        if (pick % 2 == 0 && !skipped.isEmpty()) {
            java.util.Iterator<Long> it = skipped.iterator();
            for (int i = pick / 2 % skipped.size(); i > 0; i--) {
                it.next();
            }
            s = it.next();
        } else {
            int c = pick / 2 % (chain + 1);
            int behind = c < chain ? length : recvN;
            s = slot(c, pick / 2 / (chain + 1) % behind);
        }
        int c = (int) (s >>> 32);
        int n = (int) s;
        byte[] wire = fixture.aliceChains.get(c).get(n);
        if (skipped.remove(s)) {
            assertThat(bob.decrypt(wire)).as("late message %d of chain %d", n, c)
                    .isEqualTo(ChainFixture.plaintext(c, n));
        } else {
            bob.refusesUnchanged(wire);
        }
    }

    /** Bob's skipped keys are the model's, in the model's order, and never more than MAX_SKIPPED_KEYS. */
    private void check() {
        SessionState s = bob.state();
        assertThat(s.skipped.size()).isLessThanOrEqualTo(MAX_SKIPPED_KEYS).isEqualTo(skipped.size());
        java.util.Iterator<Long> expected = skipped.iterator();
        int i = 0;
        for (SkippedKeys.Slot slot : s.skipped.entries().keySet()) {
            long e = expected.next();
            int c = (int) (e >>> 32);
            if (slot.n() != (int) e || !Arrays.equals(slot.chain().bytes(), chainIds[c])) {
                throw new AssertionError("skipped key " + i + " (oldest first) is message " + slot.n()
                        + " of another chain or number; the model has message " + (int) e + " of chain " + c);
            }
            i++;
        }
    }
}
