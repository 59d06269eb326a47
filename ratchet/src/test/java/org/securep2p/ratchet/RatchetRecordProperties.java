package org.securep2p.ratchet;

import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Group;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The stored record is the whole session: replacing a party's record, at any point of any conversation, with
 * {@code SessionRecord.decode(record.encode())} changes nothing that anyone can observe, and
 * {@code encode(decode(x)) == x} for every record a conversation reaches.
 *
 * <p>Each try runs the same script twice from the same handshake and seeds: once untouched, once with the
 * records round-tripped at the script's SAVE steps. Every wire message, every plaintext and, after every step,
 * both parties' records must be byte-for-byte identical in the two runs.
 */
@SuppressWarnings("ClassCanBeStatic") // jqwik runs a @Group only as an inner (non-static) class
class RatchetRecordProperties {

    @Group class Standard extends AtEachLevel.Standard implements Contract { }
    @Group class Enhanced extends AtEachLevel.Enhanced implements Contract { }
    @Group class QuantumResistant extends AtEachLevel.QuantumResistant implements Contract { }

    interface Contract extends AtEachLevel {

        @Provide
        default Arbitrary<List<Network.Step>> scriptsWithSaves() {
            return Network.scripts(60, true);
        }

        @Property
        default void aRecordRoundTripContinuesTheConversationIdentically(@ForAll long seed,
                @ForAll("scriptsWithSaves") List<Network.Step> script, @ForAll boolean newestFirst)
                throws Exception {
            Network untouched = new Network(Peers.start(level(), seed), seed, 24, false);
            Network saved = new Network(Peers.start(level(), seed), seed, 24, true);
            for (Network.Step step : script) {
                untouched.apply(step);
                saved.apply(step);
                assertIdentical(untouched, saved, step);
            }
            untouched.deliverAll(newestFirst);
            saved.deliverAll(newestFirst);
            untouched.roundTrip(false);
            saved.save(saved.peers.alice);
            saved.save(saved.peers.bob);
            saved.roundTrip(false);
            assertIdentical(untouched, saved, null);
            Statistics.label("saves").collect(saved.savesDone == 0 ? "0" : saved.savesDone < 5 ? "1-4" : ">=5");
        }
    }

    static void assertIdentical(Network untouched, Network saved, Network.Step after) {
        assertThat(saved.messages).hasSameSizeAs(untouched.messages);
        for (int i = 0; i < untouched.messages.size(); i++) {
            if (!Arrays.equals(saved.messages.get(i).wire, untouched.messages.get(i).wire)) {
                fail("wire message " + untouched.messages.get(i) + " differs after " + after);
            }
        }
        for (boolean alice : new boolean[] {true, false}) {
            byte[] expected = untouched.peers.peer(alice).record();
            byte[] actual = saved.peers.peer(alice).record();
            if (!Arrays.equals(expected, actual)) {
                fail((alice ? "alice" : "bob") + "'s record differs after " + after + ": "
                        + Peer.differences(expected, actual));
            }
        }
    }
}
