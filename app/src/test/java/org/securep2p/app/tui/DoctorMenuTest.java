package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.doctor.Doctor;
import org.securep2p.transport.TransportConfig;

class DoctorMenuTest {

    @TempDir
    Path dir;

    @Test
    void hOnTheMenuShowsTheDoctorsReportAndAdvice() throws Exception {
        Path home = Files.createDirectory(dir.resolve("home"));
        // No server configured: the real probes answer at once, without any traffic.
        TransportConfig config = TransportConfig.builder().stunServers(List.of()).build();
        Doctor.register(() -> Doctor.run(new Doctor.Setup(home, config, List.of(), Optional.empty(), Map.of(),
                Duration.ofSeconds(5)), new SecureRandom()));
        try (TuiHarness h = new TuiHarness(110, 40)) {
            h.awaitText("h  Connection doctor");
            h.type("h");
            String s = h.awaitText("What to do:");
            assertThat(s).contains("✗ stun: No STUN server is configured.", "✔ home:",
                    "- Configure a STUN server", "Connection doctor: Configure a STUN server");
            h.type("x");
            h.awaitScreen(screen -> !screen.contains("What to do:"));
        }
    }
}
