package org.securep2p.transport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransportConfigTest {

    @Test
    void defaultsNamePublicStunServersByHostName() throws Exception {
        TransportConfig c = TransportConfig.builder().build();
        assertThat(c.stunServers()).isNotEmpty().allMatch(s -> s.host().matches("[a-z0-9.-]+\\.[a-z]+"));
        assertThat(c.hostCandidates()).isEqualTo(TransportConfig.HostCandidates.LAN);
        assertThat(c.keepaliveInterval()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void environmentOverridesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("transport.properties");
        Files.writeString(file, """
                stun.servers = a.example:1, b.example
                turn.servers=t.example:3478
                turn.username=u
                turn.password=file-secret
                host.candidates=all
                """);
        TransportConfig c = TransportConfig.load(Optional.of(file),
                Map.of(TransportConfig.ENV_STUN, "[2001:db8::1]:5000", TransportConfig.ENV_TURN_PASSWORD, "env-secret"))
                .build();
        assertThat(c.stunServers()).extracting(ServerAddress::toString).containsExactly("[2001:db8::1]:5000");
        assertThat(c.turnServers()).extracting(ServerAddress::toString).containsExactly("t.example:3478");
        assertThat(c.turnCredentials()).hasValueSatisfying(cr -> assertThat(cr[1]).isEqualTo("env-secret"));
        assertThat(c.hostCandidates()).isEqualTo(TransportConfig.HostCandidates.ALL);
        assertThat(c.toString()).doesNotContain("secret");
    }

    @ParameterizedTest
    @ValueSource(strings = {"LAN", "PUBLIC_ONLY", "public_only", "ALL", "LOOPBACK_ONLY"})
    void everyHostCandidatesModeCanBeNamedInTheFile(String mode, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("t.properties");
        Files.writeString(file, "host.candidates=" + mode + "\n");
        assertThat(TransportConfig.load(Optional.of(file), Map.of()).build().hostCandidates().name())
                .isEqualToIgnoringCase(mode);
        Files.writeString(file, "host.candidates=PRIVATE\n");
        assertThatThrownBy(() -> TransportConfig.load(Optional.of(file), Map.of()))
                .hasMessageContaining("must be LAN, PUBLIC_ONLY, ALL or LOOPBACK_ONLY");
    }

    @Test
    void rejectsUnknownSettings(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("t.properties");
        Files.writeString(file, "stun.server = a.example\n");
        assertThatThrownBy(() -> TransportConfig.load(Optional.of(file), Map.of()))
                .isInstanceOf(TransportException.class).hasMessageContaining("unknown setting 'stun.server'");
    }

    @Test
    void peerTimersComeFromTheFileAndMustLeaveRoomForTwoKeepalives(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("t.properties");
        Files.writeString(file, "keepalive.interval.ms=5000\ndead.peer.timeout.ms=120000\n");
        TransportConfig c = TransportConfig.load(Optional.of(file), Map.of()).build();
        assertThat(c.keepaliveInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.deadPeerTimeout()).isEqualTo(Duration.ofMinutes(2));
        Files.writeString(file, "dead.peer.timeout.ms=20000\n");
        assertThatThrownBy(() -> TransportConfig.load(Optional.of(file), Map.of()).build())
                .hasMessageContaining("at least twice keepalive.interval.ms (15000)");
        Files.writeString(file, "keepalive.interval.ms=-1\n");
        assertThatThrownBy(() -> TransportConfig.load(Optional.of(file), Map.of()))
                .hasMessageContaining("must be a positive number");
    }

    /**
     * Today's failure without the bound: the value loads, and the first connection's deadline
     * ({@code stunTimeout().toNanos()}, the reliable channel's {@code deadPeer().toNanos()}) throws
     * ArithmeticException deep inside a connection attempt.
     */
    @ParameterizedTest
    @ValueSource(strings = {"stun.timeout.ms", "connect.timeout.ms", "keepalive.interval.ms", "dead.peer.timeout.ms"})
    void refusesOversizedMillisecondSettingsAtLoadWithASentence(String key, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("t.properties");
        for (String value : new String[] {"9223372036854775807", "99999999999999999999", "86400001"}) {
            // Both peer timers large, so that only the bound can refuse (not the two-keepalives rule).
            Files.writeString(file, "keepalive.interval.ms=1000\ndead.peer.timeout.ms=" + TransportConfig.MAX_MILLIS
                    + "\n" + key + "=" + value + "\n");
            assertThatThrownBy(() -> TransportConfig.load(Optional.of(file), Map.of()).build()).as(value)
                    .isInstanceOf(TransportException.class)
                    .hasMessageContaining(key + " in " + file)
                    .hasMessageContaining("more than the maximum of 86400000 (one day)")
                    .satisfies(e -> assertThat(((TransportException) e).reason())
                            .isEqualTo(TransportException.Reason.CONFIG_INVALID));
        }
        // At the bound (the keepalive at half of it, since two must fit in the dead-peer timeout) it loads.
        long accepted = key.startsWith("keepalive") ? TransportConfig.MAX_MILLIS / 2 : TransportConfig.MAX_MILLIS;
        Files.writeString(file, "keepalive.interval.ms=1000\ndead.peer.timeout.ms=" + TransportConfig.MAX_MILLIS
                + "\n" + key + "=" + accepted + "\n");
        TransportConfig atTheBound = TransportConfig.load(Optional.of(file), Map.of()).build();
        for (Duration d : new Duration[] {atTheBound.stunTimeout(), atTheBound.connectTimeout(),
                atTheBound.keepaliveInterval(), atTheBound.deadPeerTimeout()}) {
            assertThat(System.nanoTime() + d.toNanos()).isGreaterThan(System.nanoTime());
        }
    }

    @Test
    void refusesOversizedTimersSetThroughTheBuilder() {
        assertThatThrownBy(() -> TransportConfig.builder().stunTimeout(Duration.ofMillis(Long.MAX_VALUE)).build())
                .isInstanceOf(TransportException.class)
                .hasMessage("CONFIG_INVALID: stun.timeout.ms is 9223372036854775807, more than the maximum of "
                        + "86400000 (one day)");
        assertThatThrownBy(() -> TransportConfig.builder().connectTimeout(Duration.ofSeconds(Long.MAX_VALUE)).build())
                .isInstanceOf(TransportException.class).hasMessageContaining("connect.timeout.ms is");
    }

    @Test
    void rejectsTurnWithoutCredentials() throws Exception {
        TransportConfig.Builder b = TransportConfig.builder().turnServers(
                java.util.List.of(ServerAddress.parse("t.example")));
        assertThatThrownBy(b::build).isInstanceOf(TransportException.class)
                .satisfies(e -> assertThat(((TransportException) e).reason())
                        .isEqualTo(TransportException.Reason.CONFIG_INVALID));
    }

    @Test
    void parsesServerAddresses() throws Exception {
        assertThat(ServerAddress.parse("stun:example.org").port()).isEqualTo(ServerAddress.DEFAULT_PORT);
        assertThat(ServerAddress.parse("[::1]:9").host()).isEqualTo("::1");
        assertThat(ServerAddress.parse("2001:db8::2").host()).isEqualTo("2001:db8::2");
        for (String bad : new String[] {"", "host:0", "host:70000", "host:x", "[::1", "[::1]x", "ho st", "a/b"}) {
            assertThatThrownBy(() -> ServerAddress.parse(bad)).as(bad).isInstanceOf(TransportException.class);
        }
    }
}
