package org.securep2p.transport;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.ice.IceLink;

/**
 * One peer of an integration test, run as its own JVM inside a lab network namespace. Talks to the test over
 * stdin/stdout in lines: it prints {@code CODE}, {@code ANSWER}, {@code CONNECTED k=v...}, {@code SENT} /
 * {@code RECEIVED bytes=N sha256=H}, {@code DONE} or {@code ERROR reason detail}; it reads {@code CODE text}
 * (connector) and {@code ANSWER text} (waiter).
 *
 * <p>Arguments: {@code waiter|connector|discover level bytes key=value...} with keys stun (comma list), turn, user,
 * password, host (LAN|PUBLIC_ONLY|ALL|LOOPBACK_ONLY; the product's default when absent), timeout (seconds).
 * {@code CONNECTED} names the selected pair's addresses: {@code local=} (none when relayed) and {@code remote=}.
 */
public final class LabPeer {

    private LabPeer() {
    }

    public static void main(String[] args) throws Exception {
        String role = args[0];
        SecurityLevel level = SecurityLevel.valueOf(args[1]);
        long bytes = Long.parseLong(args[2]);
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 3; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            opts.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        try {
            run(role, level, bytes, opts);
            System.out.println("DONE");
            System.out.flush();
            System.exit(0);
        } catch (TransportException e) {
            System.out.println("ERROR " + e.reason() + " " + e.getMessage());
            System.out.flush();
            System.exit(3);
        }
    }

    private static void run(String role, SecurityLevel level, long bytes, Map<String, String> opts)
            throws Exception {
        SecureRandom random = new SecureRandom();
        TransportConfig.Builder b = TransportConfig.builder()
                .stunServers(List.of())
                .stunTimeout(Duration.ofSeconds(3));
        if (opts.containsKey("host")) {
            b.hostCandidates(TransportConfig.HostCandidates.valueOf(opts.get("host")));
        }
        if (opts.containsKey("stun")) {
            b.stunServers(servers(opts.get("stun")));
        }
        if (opts.containsKey("turn")) {
            b.turnServers(servers(opts.get("turn"))).turnCredentials(opts.get("user"), opts.get("password"));
        }
        TransportConfig config = b.build();
        Duration timeout = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("timeout", "60")));
        if (role.equals("discover")) {
            // Twice: "retry STUN discovery" is simply another run, and must give the same answer.
            for (int i = 0; i < 2; i++) {
                long t0 = System.nanoTime();
                EndpointDiscovery.Report report = new EndpointDiscovery(config).discover();
                say("DISCOVERY mapping=" + report.natMapping() + " public="
                        + report.publicAddress().map(LabPeer::literal).orElse("none")
                        + " ms=" + (System.nanoTime() - t0) / 1_000_000 + " results=" + report.results().size()
                        + " behaviour=" + report.natBehaviour().mapping()
                        + (report.natBehaviour().mappingMeasured() ? "" : "(inferred)")
                        + "/" + report.natBehaviour().filtering()
                        + " answerNeeded=" + report.natBehaviour().answerNeeded().map(String::valueOf).orElse("unknown")
                        + " advice=" + report.natBehaviour().advice());
            }
            return;
        }
        Path certDir = Files.createTempDirectory("labpeer-cert");
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (InMemoryPrivateKeys keys = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 1, 1)) {
            TransportCertificate cert = TransportCertificate.loadOrCreate(certDir, keys, Clock.systemUTC());
            Connector connector = new Connector(config, keys, cert, random);
            PeerConnection pc;
            if (role.equals("waiter")) {
                Connector.Waiting waiting = connector.waitForPeer(level);
                say("CODE " + waiting.code().text());
                Thread answers = new Thread(() -> {
                    try {
                        String line;
                        while ((line = stdin.readLine()) != null) {
                            if (line.startsWith("ANSWER ")) {
                                waiting.acceptAnswer(ConnectionCode.parse(line.substring(7)));
                                say("ANSWER-ACCEPTED");
                            }
                        }
                    } catch (Exception e) {
                        say("ERROR answer " + e.getMessage());
                    }
                }, "answers");
                answers.setDaemon(true);
                answers.start();
                pc = waiting.awaitPeer(timeout);
            } else {
                String line = stdin.readLine();
                if (line == null || !line.startsWith("CODE ")) {
                    throw new IllegalStateException("expected CODE on stdin");
                }
                Connector.Dialing dialing = connector.dial(ConnectionCode.parse(line.substring(5)), level);
                say("ANSWER " + dialing.answerCode().text());
                pc = dialing.awaitPeer(timeout);
            }
            say("CONNECTED path=" + pc.path() + " version=" + pc.tlsVersion() + " suite=" + pc.cipherSuite()
                    + " group=" + pc.keyExchangeGroup() + " setupMs=" + pc.setupTime().toMillis()
                    + " binding=" + HexFormat.of().formatHex(pc.channelBinding())
                    + " peer=" + HexFormat.of().formatHex(pc.peerIdentity().fingerprint().toBytes())
                    + pairAddresses(pc));
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            if (role.equals("connector")) {
                OutputStream out = pc.outputStream();
                byte[] chunk = new byte[16 * 1024];
                for (long sent = 0; sent < bytes; sent += chunk.length) {
                    random.nextBytes(chunk);
                    int n = (int) Math.min(chunk.length, bytes - sent);
                    out.write(chunk, 0, n);
                    sha.update(chunk, 0, n);
                }
                out.flush();
                say("SENT bytes=" + bytes + " sha256=" + HexFormat.of().formatHex(sha.digest()));
                // The waiter confirms with one byte once it has everything, so closing loses nothing.
                int ack = pc.inputStream().read();
                if (ack != 1) {
                    throw new IllegalStateException("no confirmation from the waiter");
                }
            } else {
                InputStream in = pc.inputStream();
                byte[] buf = new byte[64 * 1024];
                long got = 0;
                while (got < bytes) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, bytes - got));
                    if (n < 0) {
                        break;
                    }
                    sha.update(buf, 0, n);
                    got += n;
                }
                say("RECEIVED bytes=" + got + " sha256=" + HexFormat.of().formatHex(sha.digest()));
                try {
                    pc.outputStream().write(1);
                    pc.outputStream().flush();
                    new DataInputStream(in).read(); // until the connector closes
                } catch (IOException e) {
                    // The connector closes as soon as it has the confirmation byte; this side's flush or read may
                    // then learn of the close before its own acknowledgement arrives. Everything was received
                    // (checked above), so a peer that closed is the expected end, not a failure.
                    if (!(e.getCause() instanceof TransportException t)
                            || t.reason() != TransportException.Reason.PEER_CLOSED) {
                        throw e;
                    }
                }
            }
            pc.close();
        }
    }

    /** " local=A remote=B" for an ICE link (bracketed IPv6, "none" when relayed), empty otherwise. */
    private static String pairAddresses(PeerConnection pc) {
        if (!(pc.link() instanceof IceLink)) {
            return "";
        }
        IceLink link = (IceLink) pc.link();
        return " local=" + (link.localAddress() == null ? "none" : literal(link.localAddress()))
                + " remote=" + literal(link.remoteAddress());
    }

    static String literal(java.net.InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        int scope = host.indexOf('%');
        host = scope < 0 ? host : host.substring(0, scope);
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static List<ServerAddress> servers(String list) throws TransportException {
        List<ServerAddress> out = new java.util.ArrayList<>();
        for (String s : list.split(",", -1)) {
            out.add(ServerAddress.parse(s));
        }
        return out;
    }

    static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
