package org.securep2p.bench;

import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 16: the memory of one securep2p process holding many conversations at once. Alice ({@code --json}, no
 * fixed port) connects with {@code host:port} to N peers (each its own process waiting on a port of its own),
 * then exchanges messages with each; her app JVM's and key manager's VmRSS/VmHWM are printed after start, after
 * the N connections and after the messages, one table.
 *
 * <p>Usage: {@code ConversationsMemoryBench <path to the securep2p launcher> [conversations (16)] [messages per
 * conversation each way (20)]}. Passphrase key protection (no keyring needed). Not its job: the peers' figures.
 */
public final class ConversationsMemoryBench {

    private ConversationsMemoryBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ConversationsMemoryBench <launcher> [conversations] [messages]");
            System.exit(2);
        }
        Path launcher = Path.of(args[0]).toAbsolutePath();
        int conversations = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int messages = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        Path dir = Files.createTempDirectory("securep2p-conversations-memory");
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "conversations memory bench passphrase 8812");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = new HashMap<>();
        env.put("SECUREP2P_PASSPHRASE_FILE", pass.toString());
        env.put("DBUS_SESSION_BUS_ADDRESS", "disabled:");
        String conf = "host.candidates=LOOPBACK_ONLY\nstun.servers=127.0.0.1:9\n";

        // Alice's first start creates her identity; the figures are of the start after it, as a returning user's.
        try (MemoryBench.Peer first = MemoryBench.Peer.start(launcher, dir.resolve("alice"), "alice", conf, env)) {
            first.await("\"method\":\"ready\"");
        }
        List<MemoryBench.Peer> peers = new ArrayList<>();
        List<String> rows = new ArrayList<>();
        try (MemoryBench.Peer alice = MemoryBench.Peer.start(launcher, dir.resolve("alice"), "alice", conf, env)) {
            alice.await("\"method\":\"ready\"");
            long keys = alice.keyManagerPid();
            rows.add(row("after start", 0, alice.pid(), keys));
            for (int i = 0; i < conversations; i++) {
                int port;
                try (DatagramSocket s = new DatagramSocket(0)) {
                    port = s.getLocalPort();
                }
                MemoryBench.Peer p = MemoryBench.Peer.start(launcher, dir.resolve("peer" + i), "peer" + i, conf, env,
                        "--port", String.valueOf(port));
                peers.add(p);
                p.await("\"method\":\"ready\"");
                p.call("wait", "{}");
                p.await("\"result\"");
                alice.call("connect", "{\"code\":\"127.0.0.1:" + port + "\"}");
                alice.await("\"result\"");
                alice.await("\"method\":\"connected\"");
                p.await("\"method\":\"connected\"");
            }
            rows.add(row("connected", conversations, alice.pid(), keys));
            Pattern sentId = Pattern.compile("\"result\":\\{\"id\":\"([^\"]+)\"");
            for (int m = 0; m < messages; m++) {
                for (int i = 0; i < conversations; i++) {
                    MemoryBench.Peer p = peers.get(i);
                    alice.call("send", "{\"peer\":\"peer" + i + "\",\"text\":\"memory bench message " + m + "\"}");
                    Matcher sent = sentId.matcher(alice.await("\"result\""));
                    if (!sent.find()) {
                        throw new IllegalStateException("alice: send to peer" + i + " failed");
                    }
                    p.call("send", "{\"text\":\"memory bench answer " + m + "\"}");
                    p.await("\"result\"");
                    alice.await("\"id\":\"" + sent.group(1) + "\"");
                }
            }
            rows.add(row("after messages", conversations, alice.pid(), keys));
        } finally {
            for (MemoryBench.Peer p : peers) {
                p.close();
            }
        }
        System.out.printf(Locale.ROOT, "%-15s %13s %12s %12s %14s %14s%n", "alice", "conversations", "app RSS",
                "app HWM", "keys RSS", "keys HWM");
        rows.forEach(System.out::println);
        System.out.println("(MiB from /proc/<pid>/status VmRSS and VmHWM of alice's app JVM and key manager; "
                + messages + " messages each way per conversation over loopback; passphrase protection; load average "
                + Files.readString(Path.of("/proc/loadavg")).trim() + ")");
    }

    private static String row(String when, int conversations, long app, long keys) throws Exception {
        long[] a = MemoryBench.status(app);
        long[] k = MemoryBench.status(keys);
        return String.format(Locale.ROOT, "%-15s %13d %12.1f %12.1f %14.1f %14.1f", when, conversations,
                a[0] / 1024.0, a[1] / 1024.0, k[0] / 1024.0, k[1] / 1024.0);
    }
}
