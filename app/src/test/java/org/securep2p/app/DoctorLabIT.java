package org.securep2p.app;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.securep2p.transport.testing.NetLab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Issue 21's doctor acceptance: the real {@code securep2p doctor --json} process, in peer A's namespace of the
 * network lab, against the lab's coturn (STUN with RFC 5780 on two addresses, and TURN), in the lab's
 * topologies: no NAT, a cone NAT (endpoint-independent mapping, filtering), a symmetric NAT without and with a
 * TURN server, and UDP blocked. Asserts each verdict, the NAT check's measured behaviour and the advice. Three
 * labs (DIRECT serves both no NAT and, blocked, no UDP; SYMMETRIC both TURN cases). The seconds each part took
 * are printed as {@code [DoctorLabIT …]} lines.
 *
 * <p>Needs what {@link HeadlessLabIT} needs: root, iproute2, iptables, coturn, and the packaged app.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DoctorLabIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    static Path jar;

    @BeforeAll
    static void requirements() {
        NetLab.requireAvailable();
        jar = LabPeerProcess.packagedJar();
    }

    @Test
    void noNatIsDirectAndBlockedUdpSaysUseARelay() throws Exception {
        long t0 = System.nanoTime();
        try (NetLab lab = NetLab.up(NetLab.Topology.DIRECT)) {
            JsonNode open = doctor(lab, "direct", true);
            assertEquals("DIRECT", open.get("verdict").asText(), "" + open);
            assertEquals("NONE/ENDPOINT_INDEPENDENT", check(open, "nat").get("details").get("behaviour").asText());
            assertTrue(check(open, "udp").get("ok").asBoolean());
            assertTrue(check(open, "turn:" + lab.env("TURN")).get("ok").asBoolean(), "" + open);
            assertTrue(check(open, "stun:" + lab.env("STUN1")).get("details").has("mapped"), "" + open);

            lab.blockUdp(lab.nsA());
            JsonNode blocked = doctor(lab, "blocked", true);
            assertEquals("UDP_BLOCKED", blocked.get("verdict").asText(), "" + blocked);
            assertFalse(check(blocked, "udp").get("ok").asBoolean());
            assertFalse(check(blocked, "turn:" + lab.env("TURN")).get("ok").asBoolean());
            assertTrue(blocked.get("advice").get(0).asText().contains("use a relay"), "" + blocked);
        }
        report("direct+blocked", "%.1f s", (System.nanoTime() - t0) / 1e9);
    }

    @Test
    void coneNatAsksForAnAnswerCode() throws Exception {
        long t0 = System.nanoTime();
        try (NetLab lab = NetLab.up(NetLab.Topology.EIM)) {
            JsonNode r = doctor(lab, "cone", false);
            assertEquals("ANSWER_CODE", r.get("verdict").asText(), "" + r);
            assertEquals("ENDPOINT_INDEPENDENT/ADDRESS_AND_PORT_DEPENDENT",
                    check(r, "nat").get("details").get("behaviour").asText(), "" + r);
            assertTrue(r.get("advice").get(0).asText().startsWith("Ask your peer for an answer code"), "" + r);
        }
        report("cone", "%.1f s", (System.nanoTime() - t0) / 1e9);
    }

    @Test
    void symmetricNatNeedsTurnAndGoesThroughIt() throws Exception {
        long t0 = System.nanoTime();
        try (NetLab lab = NetLab.up(NetLab.Topology.SYMMETRIC)) {
            JsonNode without = doctor(lab, "symmetric", false);
            assertEquals("NEEDS_TURN", without.get("verdict").asText(), "" + without);
            assertFalse(check(without, "nat").get("ok").asBoolean());
            assertTrue(without.get("advice").get(0).asText().startsWith("Configure a TURN server"), "" + without);

            JsonNode with = doctor(lab, "symmetric-turn", true);
            assertEquals("TURN", with.get("verdict").asText(), "" + with);
            JsonNode turn = check(with, "turn:" + lab.env("TURN"));
            assertTrue(turn.get("ok").asBoolean(), "" + with);
            assertTrue(turn.get("details").get("relayed").asText().startsWith(
                    lab.turn().getAddress().getHostAddress() + ":"), "" + with);
        }
        report("symmetric", "%.1f s", (System.nanoTime() - t0) / 1e9);
    }

    /** Runs {@code securep2p --home … doctor --json} in A's namespace with a fresh home, and parses its output. */
    private static JsonNode doctor(NetLab lab, String name, boolean withTurn) throws IOException, InterruptedException {
        Path home = Files.createTempDirectory("doctor-lab-" + name + "-");
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        List<String> conf = new ArrayList<>(List.of("stun.servers=" + lab.env("STUN1") + "," + lab.env("STUN2")));
        if (withTurn) {
            conf.addAll(List.of("turn.servers=" + lab.env("TURN"), "turn.username=" + lab.env("TURN_USER"),
                    "turn.password=" + lab.env("TURN_PASSWORD")));
        }
        Files.writeString(home.resolve("securep2p.conf"), String.join("\n", conf) + "\n", UTF_8);
        List<String> java = new ArrayList<>();
        java.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        java.addAll(LabPeerProcess.JVM_OPTIONS);
        java.addAll(List.of("-jar", jar.toString(), "--home", home.toString(), "doctor", "--json",
                "--timeout", "15"));
        ProcessBuilder pb = new ProcessBuilder(NetLab.inNamespace(lab.nsA(), java))
                .redirectError(ProcessBuilder.Redirect.appendTo(home.resolve("stderr.log").toFile()));
        pb.environment().put("DBUS_SESSION_BUS_ADDRESS", "disabled:");
        pb.environment().put("PATH", NetLab.searchPath());
        for (String k : List.of("SECUREP2P_STUN_SERVERS", "SECUREP2P_TURN_SERVERS", "SECUREP2P_TURN_USERNAME",
                "SECUREP2P_TURN_PASSWORD", "SECUREP2P_PASSPHRASE_FILE", "SECUREP2P_HOME")) {
            pb.environment().remove(k);
        }
        long t0 = System.nanoTime();
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "doctor did not end");
        String stdout = new String(out, UTF_8);
        int exit = p.exitValue();
        report(name, "doctor --json ran %.1f s, exit %d", (System.nanoTime() - t0) / 1e9, exit);
        assertTrue(exit == Main.OK || exit == Main.FAILED, "exit " + exit + ": " + stdout
                + Files.readString(home.resolve("stderr.log"), UTF_8));
        List<String> lines = stdout.lines().toList();
        assertEquals(1, lines.size(), "one JSON object on one line: " + stdout);
        JsonNode report = JSON.readTree(lines.get(0));
        assertEquals(report.get("ok").asBoolean() ? Main.OK : Main.FAILED, exit, stdout);
        return report;
    }

    private static JsonNode check(JsonNode report, String name) {
        for (JsonNode c : report.get("checks")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no check " + name + " in " + report);
    }

    static void report(String topic, String format, Object... args) {
        System.out.println("[DoctorLabIT " + topic + "] " + String.format(Locale.ROOT, format, args));
    }
}
