package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThatCode;

import java.security.SecureRandom;
import java.time.Clock;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.SecurityLevel;

/**
 * The warm-up really runs the connection path: a throwaway loopback connection with TLS, a hybrid handshake and
 * a ratchet message each way, at every level. A warm-up that broke (and so warmed nothing) fails here instead
 * of only being logged at every start.
 */
class ConnectWarmupTest {

    @Test
    void runsAThrowawayConnectionAndHandshakeAtEveryLevel() {
        ConnectWarmup warmup = new ConnectWarmup(new SecureRandom(), Clock.systemUTC());
        for (SecurityLevel level : SecurityLevel.values()) {
            assertThatCode(() -> warmup.run(level)).as("warm-up at %s", level).doesNotThrowAnyException();
        }
    }
}
