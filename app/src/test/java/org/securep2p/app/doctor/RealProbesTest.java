package org.securep2p.app.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.doctor.DoctorReport.Check;
import org.securep2p.transport.TransportConfig;

class RealProbesTest {

    @TempDir
    Path dir;

    private RealProbes probes(Path home, Map<String, String> env, Clock clock) throws Exception {
        TransportConfig config = TransportConfig.builder().stunServers(List.of()).build();
        return new RealProbes(new Doctor.Setup(home, config, List.of(), Optional.empty(), env, Duration.ofSeconds(5)),
                new SecureRandom(), clock);
    }

    private RealProbes probes(Path home) throws Exception {
        return probes(home, Map.of(), Clock.systemUTC());
    }

    @Test
    void aPrivateHomePasses() throws Exception {
        Path home = Files.createDirectory(dir.resolve("home"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Files.createDirectory(home.resolve("keys"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Check c = probes(home).home();
        assertTrue(c.ok(), c.sentence());
    }

    @Test
    void aKeysFolderOthersCanWriteFailsTheHomeCheck() throws Exception {
        Path home = Files.createDirectory(dir.resolve("home"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path keys = Files.createDirectory(home.resolve("keys"));
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwxrwxrwx"));
        Check c = probes(home).home();
        assertFalse(c.ok());
        assertTrue(c.sentence().contains(keys.toString()), c.sentence());
    }

    @Test
    void aMissingHomeIsMadeAtTheFirstStart() throws Exception {
        Check c = probes(dir.resolve("absent")).home();
        assertTrue(c.ok());
        assertTrue(c.sentence().contains("first start"), c.sentence());
    }

    @Test
    void aPassphraseFileOthersCanReadFailsTheKeyCheck() throws Exception {
        Path pass = Files.writeString(dir.resolve("pass"), "a passphrase");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-r--r--"));
        Check open = probes(dir, Map.of(RealProbes.PASSPHRASE_FILE, pass.toString()), Clock.systemUTC()).keys();
        assertFalse(open.ok());
        assertTrue(open.sentence().contains("chmod 600"), open.sentence());
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        Check closed = probes(dir, Map.of(RealProbes.PASSPHRASE_FILE, pass.toString()), Clock.systemUTC()).keys();
        assertTrue(closed.ok(), closed.sentence());
        assertEquals("passphrase-file", closed.details().get("mode"));
    }

    @Test
    void noKeysYetIsNotAFailure() throws Exception {
        Check c = probes(dir).keys();
        assertTrue(c.ok());
        assertTrue(c.sentence().startsWith("No keys yet"), c.sentence());
    }

    @Test
    void aClockBeforeTheBuildFails() throws Exception {
        Instant built = RealProbes.buildTime().orElseThrow();
        Clock early = Clock.fixed(built.minus(Duration.ofDays(400)), ZoneOffset.UTC);
        Check c = probes(dir, Map.of(), early).clock();
        assertFalse(c.ok());
        assertTrue(c.sentence().contains("before this program was built"), c.sentence());
        Check now = probes(dir, Map.of(), Clock.fixed(built.plus(Duration.ofDays(1)), ZoneOffset.UTC)).clock();
        assertTrue(now.ok(), now.sentence());
    }

    @Test
    void onlyGlobalIpv6AddressesCount() throws Exception {
        assertTrue(RealProbes.isGlobalIpv6(InetAddress.getByName("2001:db8:1::5")));
        for (String a : List.of("fe80::1", "fd00::1", "::1", "ff02::1", "192.0.2.1")) {
            assertFalse(RealProbes.isGlobalIpv6(InetAddress.getByName(a)), a);
        }
    }
}
