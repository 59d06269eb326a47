package org.securep2p.transport;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.transport.NatBehaviour.Reply.ANSWERED;
import static org.securep2p.transport.NatBehaviour.Reply.REFUSED;
import static org.securep2p.transport.NatBehaviour.Reply.SILENT;
import static org.securep2p.transport.NatBehaviourProperties.address;

/** The rows of RFC 5780's decision procedure that the lab's routers and common home NATs produce. */
class NatBehaviourTest {

    private static final NatBehaviour.Mapping NO_FALLBACK = NatBehaviour.Mapping.UNKNOWN;

    @Test
    void aHomeRouterKeepsItsPortButLetsInOnlyReplies() {
        NatBehaviour b = NatBehaviour.measured(address(0), false, Optional.of(address(0)), Optional.of(address(0)),
                SILENT, SILENT, NO_FALLBACK);
        assertThat(b.mapping()).isEqualTo(NatBehaviour.Mapping.ENDPOINT_INDEPENDENT);
        assertThat(b.filtering()).isEqualTo(NatBehaviour.Filtering.ADDRESS_AND_PORT_DEPENDENT);
        assertThat(b.answerNeeded()).contains(true);
        assertThat(b.relayNeeded()).isFalse();
        assertThat(b.advice()).isEqualTo("The other person must send an answer code back: your NAT only lets in "
                + "packets from addresses you have sent to.");
    }

    @Test
    void aFullConeNatNeedsOneCode() {
        NatBehaviour b = NatBehaviour.measured(address(0), false, Optional.of(address(0)), Optional.empty(),
                ANSWERED, SILENT, NO_FALLBACK);
        assertThat(b.filtering()).isEqualTo(NatBehaviour.Filtering.ENDPOINT_INDEPENDENT);
        assertThat(b.answerNeeded()).contains(false);
        assertThat(b.advice()).startsWith("One code is enough: your NAT keeps one public port");
    }

    @Test
    void anAddressRestrictedNatLetsInTheChangedPortOnly() {
        NatBehaviour b = NatBehaviour.measured(address(0), false, Optional.of(address(0)), Optional.empty(),
                SILENT, ANSWERED, NO_FALLBACK);
        assertThat(b.filtering()).isEqualTo(NatBehaviour.Filtering.ADDRESS_DEPENDENT);
        assertThat(b.answerNeeded()).contains(true);
    }

    @Test
    void aSymmetricNatGivesEachDestinationItsOwnPort() {
        // Test II: other address, new port; test III: other address and port, yet another port.
        NatBehaviour b = NatBehaviour.measured(address(0), false, Optional.of(address(1)), Optional.of(address(3)),
                SILENT, SILENT, NO_FALLBACK);
        assertThat(b.mapping()).isEqualTo(NatBehaviour.Mapping.ADDRESS_AND_PORT_DEPENDENT);
        assertThat(b.relayNeeded()).isTrue();
        assertThat(b.advice()).startsWith("A relay will be needed");
    }

    @Test
    void anAddressDependentMappingKeepsThePortPerAddress() {
        NatBehaviour b = NatBehaviour.measured(address(0), false, Optional.of(address(1)), Optional.of(address(1)),
                SILENT, SILENT, NO_FALLBACK);
        assertThat(b.mapping()).isEqualTo(NatBehaviour.Mapping.ADDRESS_DEPENDENT);
        assertThat(b.relayNeeded()).isTrue();
    }

    @Test
    void aServerThatIgnoresChangeRequestTellsNothingAboutFiltering() {
        NatBehaviour b = NatBehaviour.measured(address(0), true, Optional.of(address(0)), Optional.empty(),
                REFUSED, REFUSED, NO_FALLBACK);
        assertThat(b.mapping()).isEqualTo(NatBehaviour.Mapping.NONE);
        assertThat(b.filtering()).isEqualTo(NatBehaviour.Filtering.UNKNOWN);
        assertThat(b.answerNeeded()).isEmpty();
    }

    @Test
    void withoutRfc5780TheMappingIsInferredAndSaysSo() {
        NatBehaviour b = NatBehaviour.inferred(NatBehaviour.Mapping.ENDPOINT_DEPENDENT);
        assertThat(b.mappingMeasured()).isFalse();
        assertThat(b.filtering()).isEqualTo(NatBehaviour.Filtering.UNKNOWN);
        assertThat(b.advice()).isEqualTo("A relay will be needed: your NAT gives each destination its own port "
                + "(inferred from two STUN servers), so hole punching cannot work.");
        assertThat(NatBehaviour.inferred(NatBehaviour.Mapping.ENDPOINT_INDEPENDENT).advice())
                .contains("inferred from two STUN servers").contains("may have to send an answer code back");
    }

    @Test
    void unreachableSaysNoServerAnswered() {
        assertThat(NatBehaviour.unreachable().reachable()).isFalse();
        assertThat(NatBehaviour.unreachable().advice())
                .isEqualTo(TransportException.Reason.STUN_UNREACHABLE.sentence());
    }
}
