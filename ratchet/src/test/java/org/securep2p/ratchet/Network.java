package org.securep2p.ratchet;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * An honest conversation over an unreliable network, driven by a jqwik-generated script: messages are sent in
 * both directions, delivered in any order, lost or delivered twice. Every step checks the ratchet against the
 * model: a delivered message decrypts to exactly its plaintext, a second delivery is refused as
 * {@code DUPLICATE} and changes nothing, and at ENHANCED and above Bob is refused {@code NOT_YET_SENDABLE} (and
 * changes nothing) until he has received a message.
 */
final class Network {

    /** What a script step does. {@code pick} chooses among the messages the step applies to. */
    enum Kind { ALICE_SENDS, BOB_SENDS, DELIVER, DUPLICATE, DROP, SAVE_ALICE, SAVE_BOB }

    record Step(Kind kind, int pick) {
        @Override
        public String toString() {
            return kind + (kind == Kind.ALICE_SENDS || kind == Kind.BOB_SENDS || kind == Kind.SAVE_ALICE
                    || kind == Kind.SAVE_BOB ? "" : "#" + pick);
        }
    }

    /**
     * Scripts of at most {@code maxSteps} steps. {@code saves} adds steps that replace a party's stored record with
     * a decoded copy of its encoding.
     */
    static Arbitrary<List<Step>> scripts(int maxSteps, boolean saves) {
        Arbitrary<Kind> kinds = saves
                ? Arbitraries.frequency(Tuple.of(5, Kind.ALICE_SENDS), Tuple.of(5, Kind.BOB_SENDS),
                        Tuple.of(8, Kind.DELIVER), Tuple.of(2, Kind.DUPLICATE), Tuple.of(2, Kind.DROP),
                        Tuple.of(2, Kind.SAVE_ALICE), Tuple.of(2, Kind.SAVE_BOB))
                : Arbitraries.frequency(Tuple.of(5, Kind.ALICE_SENDS), Tuple.of(5, Kind.BOB_SENDS),
                        Tuple.of(8, Kind.DELIVER), Tuple.of(2, Kind.DUPLICATE), Tuple.of(2, Kind.DROP));
        return Combinators.combine(kinds, Arbitraries.integers().between(0, 1 << 20)).as(Step::new).list()
                .ofMaxSize(maxSteps);
    }

    /** One message on the wire. */
    static final class Msg {
        final int id;
        final boolean fromAlice;
        final byte[] plaintext;
        final byte[] wire;
        boolean delivered;
        boolean dropped;

        Msg(int id, boolean fromAlice, byte[] plaintext, byte[] wire) {
            this.id = id;
            this.fromAlice = fromAlice;
            this.plaintext = plaintext;
            this.wire = wire;
        }

        boolean inFlight() {
            return !delivered && !dropped;
        }

        @Override
        public String toString() {
            return (fromAlice ? "A" : "B") + id;
        }
    }

    /** Sees every accepted operation, in order (the compromise properties' attacker follows the victim). */
    interface Observer {
        default void sent(Msg m) {
        }

        default void beforeDelivery(Msg m) {
        }

        default void delivered(Msg m) {
        }
    }

    final Peers peers;
    final long seed;
    /** Scripted sends beyond this are ignored (a script's explicit tail may send more). */
    final int maxScriptedSends;
    final boolean saves;
    final List<Msg> messages = new ArrayList<>();
    Observer observer = new Observer() {
    };
    boolean bobHasReceived;
    int scriptedSends;
    int savesDone;
    /** Statistics: distinct sending chains seen (one per party at STANDARD), messages delivered out of order. */
    final java.util.Set<String> sendingChains = new java.util.HashSet<>();
    int reordered;

    Network(Peers peers, long seed, int maxScriptedSends, boolean saves) {
        this.peers = peers;
        this.seed = seed;
        this.maxScriptedSends = maxScriptedSends;
        this.saves = saves;
    }

    Peer sender(Msg m) {
        return peers.peer(m.fromAlice);
    }

    Peer receiver(Msg m) {
        return peers.peer(!m.fromAlice);
    }

    boolean canSend(boolean alice) {
        return alice || bobHasReceived || !peers.responderWaits();
    }

    List<Msg> inFlight() {
        return messages.stream().filter(Msg::inFlight).toList();
    }

    List<Msg> delivered() {
        return messages.stream().filter(m -> m.delivered).toList();
    }

    void apply(List<Step> script) throws RatchetException {
        for (Step s : script) {
            apply(s);
        }
    }

    void apply(Step step) throws RatchetException {
        switch (step.kind()) {
            case ALICE_SENDS, BOB_SENDS -> {
                if (scriptedSends < maxScriptedSends) {
                    scriptedSends++;
                    trySend(step.kind() == Kind.ALICE_SENDS);
                }
            }
            case DELIVER -> {
                List<Msg> f = inFlight();
                if (!f.isEmpty()) {
                    deliver(f.get(step.pick() % f.size()));
                }
            }
            case DUPLICATE -> {
                List<Msg> d = delivered();
                if (!d.isEmpty()) {
                    redeliver(d.get(step.pick() % d.size()));
                }
            }
            case DROP -> {
                List<Msg> f = inFlight();
                if (!f.isEmpty()) {
                    f.get(step.pick() % f.size()).dropped = true;
                }
            }
            case SAVE_ALICE, SAVE_BOB -> {
                if (saves) {
                    save(peers.peer(step.kind() == Kind.SAVE_ALICE));
                }
            }
        }
    }

    /** A message from Alice or Bob; null (after checking the refusal) if Bob may not send yet. */
    Msg trySend(boolean fromAlice) throws RatchetException {
        Peer sender = peers.peer(fromAlice);
        if (!canSend(fromAlice)) {
            byte[] before = sender.record();
            assertThatThrownBy(() -> sender.encrypt(new byte[1])).isInstanceOfSatisfying(RatchetException.class,
                    e -> assertThat(e.reason()).isEqualTo(RatchetException.Reason.NOT_YET_SENDABLE));
            sender.assertUnchanged(before, "responder's record after NOT_YET_SENDABLE");
            return null;
        }
        return send(fromAlice);
    }

    Msg send(boolean fromAlice) throws RatchetException {
        int id = messages.size();
        byte[] plaintext = plaintext(id, fromAlice);
        Peer sender = peers.peer(fromAlice);
        Msg m = new Msg(id, fromAlice, plaintext, sender.encrypt(plaintext));
        messages.add(m);
        SessionState s = sender.state();
        sendingChains.add((fromAlice ? "A" : "B") + (s.dhSelf == null ? "" : java.util.Arrays.toString(s.dhSelf.publicKey())));
        observer.sent(m);
        return m;
    }

    /** A distinct plaintext per message (its sender and number, then 0..47 bytes from the seed). */
    private byte[] plaintext(int id, boolean fromAlice) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + id);
        byte[] tag = ((fromAlice ? "A" : "B") + id + ":").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[tag.length + r.nextInt(48)];
        System.arraycopy(tag, 0, out, 0, tag.length);
        for (int i = tag.length; i < out.length; i++) {
            out[i] = (byte) r.nextInt(256);
        }
        return out;
    }

    void deliver(Msg m) {
        assertThat(m.delivered).as("%s is delivered once", m).isFalse();
        observer.beforeDelivery(m);
        Peer receiver = receiver(m);
        byte[] plaintext;
        try {
            plaintext = receiver.decrypt(m.wire);
        } catch (RatchetException e) {
            throw new AssertionError(receiver.name + " refused " + m + " (sent messages: " + messages + ")", e);
        }
        assertThat(plaintext).as("plaintext of %s", m).isEqualTo(m.plaintext);
        if (messages.stream().anyMatch(o -> o.delivered && o.fromAlice == m.fromAlice && o.id > m.id)) {
            reordered++;
        }
        m.delivered = true;
        if (m.fromAlice) {
            bobHasReceived = true;
        }
        observer.delivered(m);
    }

    /** A second delivery of {@code m}: {@code DUPLICATE}, and nothing changes. */
    void redeliver(Msg m) {
        RatchetException e = receiver(m).refusesUnchanged(m.wire);
        assertThat(e.reason()).as("second delivery of %s", m).isEqualTo(RatchetException.Reason.DUPLICATE);
    }

    /** Replaces {@code p}'s record with a decoded copy of its encoding, which must re-encode identically. */
    void save(Peer p) throws RatchetException {
        byte[] encoded = p.record();
        SessionRecord copy = SessionRecord.decode(encoded, peers.clock);
        if (!java.util.Arrays.equals(copy.encode(), encoded)) {
            fail("encode(decode(x)) != x for " + p.name + "'s record: " + Peer.differences(encoded, copy.encode()));
        }
        p.replaceRecord(copy);
        savesDone++;
    }

    /** Delivers every message still in flight, oldest or newest first. */
    void deliverAll(boolean newestFirst) {
        List<Msg> f = new ArrayList<>(inFlight());
        if (newestFirst) {
            java.util.Collections.reverse(f);
        }
        f.forEach(this::deliver);
    }

    /** Delivers every delivered message again: each is a {@code DUPLICATE} that changes nothing. */
    void redeliverAll() {
        delivered().forEach(this::redeliver);
    }

    /** One message each way, delivered at once, starting with {@code first} if it may send. */
    void roundTrip(boolean first) throws RatchetException {
        boolean a = canSend(first) ? first : !first;
        deliver(send(a));
        deliver(send(!a));
    }

    void failWith(String what) {
        fail(what + " (messages: " + messages + ")");
    }
}
