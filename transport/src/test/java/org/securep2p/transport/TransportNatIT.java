package org.securep2p.transport;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.testing.NetLab;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real peers (separate JVMs in network namespaces) connect through the lab and move 10 MB of random
 * data over TLS: (a) no NAT, (b) both behind endpoint-independent-mapping NATs that drop unsolicited input
 * (hole punching with the answer code), (c) both behind symmetric NATs (relayed through coturn). The waiter's
 * code asks for an answer code exactly where its measured filtering drops strangers (b, c), and the answer is
 * pasted only then. Each asserts
 * the path used and that the bytes arrived intact (SHA-256 of what was sent equals what was received).
 */
class TransportNatIT {

    static final long BYTES = 10L * 1024 * 1024;
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final Duration TRANSFER = Duration.ofMinutes(4);
    private static final List<String> PEER_JVM = List.of("-XX:+UseSerialGC", "-Xmx256m");

    @BeforeEach
    void labAvailable() {
        NetLab.requireAvailable();
    }

    @Test
    void connectsDirectlyWithoutNatOnOneCode() throws Exception {
        try (NetLab lab = NetLab.up(NetLab.Topology.DIRECT)) {
            Result r = transfer(lab, SecurityLevel.QUANTUM_RESISTANT, false);
            assertThat(r.path).isEqualTo("DIRECT");
            assertThat(r.group).isEqualTo("X25519MLKEM768");
        }
    }

    @Test
    void punchesThroughEndpointIndependentNats() throws Exception {
        try (NetLab lab = NetLab.up(NetLab.Topology.EIM)) {
            Result r = transfer(lab, SecurityLevel.ENHANCED, true);
            assertThat(r.path).isEqualTo("DIRECT");
            assertThat(r.group).isEqualTo("x25519");
        }
    }

    @Test
    void connectsDirectlyOnOneCodeThroughFullConeNats() throws Exception {
        // Measured endpoint-independent filtering: the code does not ask for an answer although the waiter has
        // no public host address, and the connector's first checks get in.
        try (NetLab lab = NetLab.up(NetLab.Topology.FULLCONE)) {
            Result r = transfer(lab, SecurityLevel.STANDARD, false);
            assertThat(r.path).isEqualTo("DIRECT");
        }
    }

    @Test
    void relaysThroughTurnBetweenSymmetricNats() throws Exception {
        try (NetLab lab = NetLab.up(NetLab.Topology.SYMMETRIC)) {
            Result r = transfer(lab, SecurityLevel.QUANTUM_RESISTANT, true);
            assertThat(r.path).isEqualTo("RELAYED");
            assertThat(r.group).isEqualTo("X25519MLKEM768");
        }
    }

    /** What both sides reported. */
    static final class Result {
        String path;
        String group;
        long waiterSetupMillis;
        long connectorSetupMillis;
    }

    static List<String> peerArgs(NetLab lab, String role, SecurityLevel level) {
        List<String> args = new ArrayList<>(List.of(role, level.name(), Long.toString(BYTES),
                "stun=" + hostPort(lab.stun1()) + "," + hostPort(lab.stun2()),
                "turn=" + hostPort(lab.turn()), "user=" + lab.turnUser(), "password=" + lab.turnPassword(),
                "host=PUBLIC_ONLY", "timeout=60"));
        return args;
    }

    static String hostPort(java.net.InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /**
     * @param answerNeeded what the waiter's code must say about an answer code, from the filtering its
     *     discovery measured (RFC 5780) behind the lab's router; the answer is pasted exactly when the code asks
     */
    static Result transfer(NetLab lab, SecurityLevel level, boolean answerNeeded) throws Exception {
        NetLabProcess waiter = NetLabProcess.of("waiter",
                lab.java(lab.nsA(), PEER_JVM, LabPeer.class.getName(), peerArgs(lab, "waiter", level)));
        String code = waiter.requireLine("CODE ", STEP);
        boolean pasteAnswer = ConnectionCode.parse(code.substring("CODE ".length())).answerNeeded();
        assertThat(pasteAnswer).as("the code's answer-needed flag\n%s", waiter.transcript()).isEqualTo(answerNeeded);
        NetLabProcess connector = NetLabProcess.of("connector",
                lab.java(lab.nsB(), PEER_JVM, LabPeer.class.getName(), peerArgs(lab, "connector", level)));
        tell(connector, code);
        String answer = connector.requireLine("ANSWER ", STEP);
        if (pasteAnswer) {
            tell(waiter, answer);
        }
        String wc = waiter.requireLine("CONNECTED ", STEP);
        String cc = connector.requireLine("CONNECTED ", STEP);
        String sent = connector.requireLine("SENT ", TRANSFER);
        String received = waiter.requireLine("RECEIVED ", TRANSFER);
        assertThat(field(received, "sha256")).as("SHA-256 of the 10 MB\n%s%s", waiter.transcript(),
                connector.transcript()).isEqualTo(field(sent, "sha256"));
        assertThat(field(received, "bytes")).isEqualTo(Long.toString(BYTES));
        // Both exits first, then both transcripts in any failure: one side's failure is often the other's doing.
        int waiterExit = waiter.awaitExit(STEP);
        int connectorExit = connector.awaitExit(STEP);
        String both = waiter.transcript() + connector.transcript();
        assertThat(waiterExit).as("waiter's exit status\n%s", both).isZero();
        assertThat(connectorExit).as("connector's exit status\n%s", both).isZero();
        // Both sides agree on everything TLS negotiated, and each pinned the other.
        for (String key : List.of("path", "version", "suite", "group", "binding")) {
            assertThat(field(wc, key)).as(key).isEqualTo(field(cc, key));
        }
        assertThat(field(cc, "version")).isEqualTo("TLSv1.3");
        assertThat(field(cc, "suite")).isEqualTo("TLS_CHACHA20_POLY1305_SHA256");
        Result r = new Result();
        r.path = field(cc, "path");
        r.group = field(cc, "group");
        r.waiterSetupMillis = Long.parseLong(field(wc, "setupMs"));
        r.connectorSetupMillis = Long.parseLong(field(cc, "setupMs"));
        System.out.printf("%s: path=%s group=%s connector connect-to-TLS %d ms, waiter from gathering %d ms%n",
                lab.topology(), r.path, r.group, r.connectorSetupMillis, r.waiterSetupMillis);
        return r;
    }

    static void tell(NetLabProcess p, String line) throws IOException {
        OutputStream in = p.process().getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    static String field(String line, String key) {
        for (String part : line.split(" ", -1)) {
            if (part.startsWith(key + "=")) {
                return part.substring(key.length() + 1);
            }
        }
        throw new AssertionError("no " + key + " in: " + line);
    }
}
