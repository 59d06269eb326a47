package org.securep2p.transport;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.InetSocketAddress;
import java.util.EnumSet;
import java.util.Optional;

/**
 * Coverage-guided fuzzing of what a user pastes: {@link ConnectionCode#parse} and {@link ConnectionTarget#parse}.
 * A pasted text either parses, and then survives a round trip through {@code text()}, or is refused with
 * {@code BAD_CODE} / {@code UNSUPPORTED_CODE_VERSION}; any other exception is a finding. Seeds (valid offers and
 * answers of every candidate mix, addresses, near misses) are in {@code ConnectionCodeFuzzInputs/}.
 */
class ConnectionCodeFuzz {

    private static final EnumSet<TransportException.Reason> CODE_REFUSALS =
            EnumSet.of(TransportException.Reason.BAD_CODE, TransportException.Reason.UNSUPPORTED_CODE_VERSION);

    @FuzzTest(maxDuration = "5m")
    void codeParsesAndRoundTripsOrIsRefused(byte[] input) throws TransportException {
        String text = new String(input, UTF_8);
        ConnectionCode code;
        try {
            code = ConnectionCode.parse(text);
        } catch (TransportException e) {
            assertThat(e.reason()).isIn(CODE_REFUSALS);
            return;
        }
        ConnectionCode again = ConnectionCode.parse(code.text());
        assertThat(again).isEqualTo(code);
        assertThat(again.text()).isEqualTo(code.text());
        assertThat(code.candidates()).isNotEmpty().hasSizeLessThanOrEqualTo(ConnectionCode.MAX_CANDIDATES);
    }

    @FuzzTest(maxDuration = "5m")
    void targetIsACodeOrAnAddressOrIsRefused(byte[] input) throws TransportException {
        String text = new String(input, UTF_8);
        ConnectionTarget target;
        try {
            target = ConnectionTarget.parse(text);
        } catch (TransportException e) {
            assertThat(e.reason()).isIn(CODE_REFUSALS);
            return;
        }
        Optional<ConnectionCode> code = target.code();
        Optional<InetSocketAddress> address = target.bareAddress();
        assertThat(code.isPresent()).isNotEqualTo(address.isPresent());
        if (code.isPresent()) {
            assertThat(ConnectionCode.parse(code.get().text())).isEqualTo(code.get());
            assertThat(ConnectionTarget.parse(code.get().text())).isEqualTo(target);
        } else {
            assertThat(address.get().getPort()).isBetween(1, 65535);
        }
    }
}
