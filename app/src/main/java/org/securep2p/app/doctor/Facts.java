package org.securep2p.app.doctor;

import java.util.List;
import java.util.Optional;

import org.securep2p.app.doctor.DoctorReport.Check;

/**
 * What the probes found, before any verdict: the input of {@link Verdicts}. The key, home, IPv6 and clock probes
 * judge themselves (their verdict needs nothing else); the network's findings are kept raw because the advice
 * combines them.
 */
record Facts(Check keys, Check home, Network network, List<Turn> turns, List<Relay> relays, Check ipv6,
        Check clock) {

    Facts {
        turns = List.copyOf(turns);
        relays = List.copyOf(relays);
    }

    /** One STUN server's answer: the address it saw (and its RFC 5780 alternate address), or why none. */
    record Stun(String server, Optional<String> mapped, Optional<String> other, String failure) {
    }

    /**
     * What the STUN servers told together: each server's answer, whether any answered, the NAT behaviour's
     * summary and advice ({@code NatBehaviour}), whether its mapping was measured, and its two derived flags.
     */
    record Network(List<Stun> servers, boolean reachable, String nat, boolean measured, boolean relayNeeded,
            Optional<Boolean> answerNeeded, String advice) {

        Network {
            servers = List.copyOf(servers);
        }

        /** No answer at all: every server unreachable with {@code why}. */
        static Network unanswered(List<String> servers, String why) {
            return new Network(servers.stream().map(s -> new Stun(s, Optional.empty(), Optional.empty(), why))
                    .toList(), false, "UNREACHABLE", false, false, Optional.empty(), why);
        }
    }

    /**
     * One TURN server: whether credentials are configured, whether it answered a STUN binding request (UDP
     * reaches it), and the relayed address it allocated, or the problem.
     */
    record Turn(String server, boolean credentials, boolean reachable, Optional<String> relayed, String problem) {
    }

    /** One relay: whether it was reached over pinned TLS, with the sentence saying how or why not. */
    record Relay(String address, boolean ok, String sentence) {
    }
}
