package org.securep2p.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RFC 5780's classification over every combination of test outcomes (three mapped addresses drawn from a set
 * of four, or missing; both filtering replies; own address or not; every fallback): it never throws, each half
 * follows the RFC's table, the answer-code decision follows from the filtering alone, and the advice never
 * shows an enum name.
 */
class NatBehaviourProperties {

    /** An enum constant's shape: two upper-case words joined by an underscore. */
    private static final Pattern ENUM_NAME = Pattern.compile("[A-Z]+_[A-Z_]+");

    @Provide
    Arbitrary<Optional<InetSocketAddress>> mapped() {
        // -1: the test got no answer.
        return Arbitraries.of(-1, 0, 1, 2, 3).map(i -> i < 0 ? Optional.empty() : Optional.of(address(i)));
    }

    static InetSocketAddress address(int i) {
        try {
            // Two public addresses and two ports: equal, address differs, port differs, both differ.
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 198, 51, 100, (byte) (i / 2)}),
                    40000 + i % 2);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Property(generation = GenerationMode.EXHAUSTIVE, tries = 20_000)
    void mappingFollowsRfc5780Section43(@ForAll("mapped") Optional<InetSocketAddress> t1,
            @ForAll("mapped") Optional<InetSocketAddress> t2, @ForAll("mapped") Optional<InetSocketAddress> t3,
            @ForAll boolean own, @ForAll NatBehaviour.Reply both, @ForAll NatBehaviour.Reply port,
            @ForAll NatBehaviour.Mapping fallback) {
        InetSocketAddress first = t1.orElse(address(0));
        NatBehaviour b = NatBehaviour.measured(first, own, t2, t3, both, port, fallback);
        assertThat(b.reachable()).isTrue();
        if (own) {
            assertThat(b.mapping()).isEqualTo(NatBehaviour.Mapping.NONE);
            assertThat(b.mappingMeasured()).isTrue();
        } else if (t2.isPresent() && t2.get().equals(first)) {
            assertThat(b.mapping()).isEqualTo(NatBehaviour.Mapping.ENDPOINT_INDEPENDENT);
        } else if (t2.isPresent() && t3.isPresent()) {
            assertThat(b.mapping()).isEqualTo(t3.get().equals(t2.get())
                    ? NatBehaviour.Mapping.ADDRESS_DEPENDENT : NatBehaviour.Mapping.ADDRESS_AND_PORT_DEPENDENT);
            assertThat(b.relayNeeded()).isTrue();
        } else {
            // A test without answer: the two-server inference stands in, and says so.
            assertThat(b.mapping()).isEqualTo(fallback);
            assertThat(b.mappingMeasured()).isFalse();
        }
    }

    @Property(generation = GenerationMode.EXHAUSTIVE)
    void filteringFollowsRfc5780Section44AndDecidesTheAnswerCode(@ForAll NatBehaviour.Reply both,
            @ForAll NatBehaviour.Reply port, @ForAll boolean own, @ForAll NatBehaviour.Mapping fallback) {
        NatBehaviour b = NatBehaviour.measured(address(0), own, Optional.of(address(0)), Optional.empty(), both,
                port, fallback);
        NatBehaviour.Filtering expected;
        if (both == NatBehaviour.Reply.ANSWERED) {
            expected = NatBehaviour.Filtering.ENDPOINT_INDEPENDENT;
        } else if (both == NatBehaviour.Reply.REFUSED || port == NatBehaviour.Reply.REFUSED) {
            expected = NatBehaviour.Filtering.UNKNOWN;
        } else if (port == NatBehaviour.Reply.ANSWERED) {
            expected = NatBehaviour.Filtering.ADDRESS_DEPENDENT;
        } else {
            expected = NatBehaviour.Filtering.ADDRESS_AND_PORT_DEPENDENT;
        }
        assertThat(b.filtering()).isEqualTo(expected);
        // The connector's first packets get in exactly when nothing filters by address: then one code is enough.
        assertThat(b.answerNeeded()).isEqualTo(expected == NatBehaviour.Filtering.UNKNOWN ? Optional.empty()
                : Optional.of(expected != NatBehaviour.Filtering.ENDPOINT_INDEPENDENT));
    }

    @Property(generation = GenerationMode.EXHAUSTIVE, tries = 5_000)
    void adviceIsASentenceNeverAnEnumName(@ForAll("mapped") Optional<InetSocketAddress> t2,
            @ForAll("mapped") Optional<InetSocketAddress> t3, @ForAll boolean own, @ForAll NatBehaviour.Reply both,
            @ForAll NatBehaviour.Reply port, @ForAll NatBehaviour.Mapping fallback) {
        for (NatBehaviour b : new NatBehaviour[] {
                NatBehaviour.measured(address(0), own, t2, t3, both, port, fallback),
                NatBehaviour.inferred(fallback), NatBehaviour.unreachable()}) {
            String advice = b.advice();
            assertThat(advice).isNotBlank().endsWith(".").doesNotContainPattern(ENUM_NAME);
            assertThat(Character.isUpperCase(advice.charAt(0))).isTrue();
            if (b.relayNeeded()) {
                assertThat(advice).startsWith("A relay will be needed");
            } else if (b.answerNeeded().orElse(false)) {
                assertThat(advice).startsWith("The other person must send an answer code back");
            } else if (b.answerNeeded().isPresent()) {
                assertThat(advice).startsWith("One code is enough");
            }
        }
    }
}
