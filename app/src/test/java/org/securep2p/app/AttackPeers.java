package org.securep2p.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.securep2p.crypto.testing.Await;

/**
 * The machinery of {@link AttackIT}: real {@code --json} processes of the packaged jar, a STUN-only coturn on
 * loopback, and a UDP proxy that sits between two peers and may rewrite, duplicate or cut datagrams.
 */
final class AttackPeers {

    static final ObjectMapper JSON = new ObjectMapper();

    private AttackPeers() {
    }

    static int freeUdpPort() {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A STUN-only coturn on 127.0.0.1, started in its own session and killed by pid. */
    static final class Stun implements AutoCloseable {
        final int port;
        private final Process process;

        Stun(Path dir) throws IOException, InterruptedException {
            requireTurnserver();
            Files.createDirectories(dir);
            this.port = freeUdpPort();
            process = new ProcessBuilder("setsid", "turnserver", "-n", "--listening-ip=127.0.0.1",
                    "--listening-port=" + port, "--stun-only", "--no-tls", "--no-dtls", "--no-tcp", "--no-cli",
                    "--log-file=" + dir.resolve("turn.log"), "--simple-log", "--no-stdout-log",
                    "--pidfile=" + dir.resolve("turn.pid"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("turn.out").toFile()).start();
            Thread.sleep(500); // time is the test: coturn exits at once on a bad setup and says nothing when it is up
            if (!process.isAlive()) {
                throw new IOException("coturn did not start: " + Files.readString(dir.resolve("turn.out")));
            }
        }

        private static void requireTurnserver() {
            boolean found = java.util.stream.Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                    .filter(d -> !d.isEmpty()).anyMatch(d -> Files.isExecutable(Path.of(d, "turnserver")));
            String message = "these tests need coturn's turnserver on the PATH as a STUN server on 127.0.0.1; install it"
                    + " (apt-get install coturn; ./test does), or skip with -Dsecurep2p.lab.skip=true";
            org.junit.jupiter.api.Assumptions.assumeTrue(found || !Boolean.getBoolean("securep2p.lab.skip"), message);
            if (!found) {
                throw new AssertionError(message);
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** One {@code java -jar securep2p-app.jar --json} process and everything it wrote on stdout. */
    static final class Peer implements AutoCloseable {
        final String name;
        final Path home;
        private final Process process;
        private final List<JsonNode> received = new CopyOnWriteArrayList<>();
        private final List<String> traffic = new CopyOnWriteArrayList<>();
        private final AtomicInteger ids = new AtomicInteger();
        private final OutputStream stdin;

        Peer(Path jar, Path home, String name, Path passphraseFile, int stunPort, String level, Integer port)
                throws IOException {
            this(jar, home, name, passphraseFile, stunPort, level, port, List.of());
        }

        /** With {@code extraArgs} appended to the command line (e.g. {@code --trust ca:PATH}). */
        Peer(Path jar, Path home, String name, Path passphraseFile, int stunPort, String level, Integer port,
                List<String> extraArgs) throws IOException {
            this.name = name;
            this.home = home;
            Files.createDirectories(home);
            Files.writeString(home.resolve("securep2p.conf"),
                    "stun.servers=127.0.0.1:" + stunPort + "\nhost.candidates=LOOPBACK_ONLY\n");
            List<String> cmd = new ArrayList<>(List.of("java", "-jar", jar.toString(), "--json", "--home",
                    home.toString(), "--name", name));
            if (level != null) {
                cmd.addAll(List.of("--level", level));
            }
            if (port != null) {
                cmd.addAll(List.of("--port", Integer.toString(port)));
            }
            cmd.addAll(extraArgs);
            ProcessBuilder pb = new ProcessBuilder(cmd);
            Map<String, String> env = pb.environment();
            env.put("SECUREP2P_PASSPHRASE_FILE", passphraseFile.toString());
            env.put("DBUS_SESSION_BUS_ADDRESS", "disabled:");
            pb.redirectError(home.resolve("stderr").toFile());
            process = pb.start();
            stdin = process.getOutputStream();
            Thread reader = new Thread(this::read, "peer-" + name);
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    traffic.add("<- " + line);
                    try {
                        received.add(JSON.readTree(line));
                    } catch (IOException e) {
                        traffic.add("!! not JSON");
                    }
                }
            } catch (IOException e) {
                traffic.add("!! stdout: " + e);
            }
            drained = true;
        }

        /** Sends a request; returns its id. */
        synchronized int request(String method, Map<String, String> params) {
            int id = ids.incrementAndGet();
            ObjectNode req = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
            ObjectNode p = req.putObject("params");
            params.forEach(p::put);
            String line = req.toString();
            traffic.add("-> " + line);
            try {
                stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                stdin.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(name + ": stdin closed", e);
            }
            return id;
        }

        /** The response to a request (result or error). */
        JsonNode call(String method, Map<String, String> params, Duration timeout) {
            int id = request(method, params);
            return await(m -> m.path("id").asInt(-1) == id && !m.has("method"), timeout, "response to " + method);
        }

        JsonNode call(String method, Map<String, String> params) {
            return call(method, params, Duration.ofSeconds(60));
        }

        /** The result of a call that must succeed. */
        JsonNode ok(String method, Map<String, String> params) {
            JsonNode r = call(method, params);
            if (!r.has("result")) {
                throw new AssertionError(name + ": " + method + " failed: " + r + "\n" + report());
            }
            return r.get("result");
        }

        int mark() {
            return received.size();
        }

        /** The first message at or after {@code from} that matches, waiting up to {@code timeout}. */
        JsonNode awaitFrom(int from, Predicate<JsonNode> p, Duration timeout, String what) {
            return Await.value(() -> name + ": " + what + "\n" + report(), timeout, () -> {
                // Read whether it had exited before looking, so a message it wrote just before exiting is seen.
                boolean gone = !process.isAlive() && exitedAndDrained();
                for (int i = from; i < received.size(); i++) {
                    if (p.test(received.get(i))) {
                        return Optional.of(received.get(i));
                    }
                }
                if (gone) {
                    throw new AssertionError(name + ": the process exited (" + process.exitValue() + ") with no "
                            + what + "\n" + report());
                }
                return Optional.empty();
            });
        }

        JsonNode await(Predicate<JsonNode> p, Duration timeout, String what) {
            return awaitFrom(0, p, timeout, what);
        }

        JsonNode awaitEvent(int from, String method, Duration timeout) {
            return awaitFrom(from, isEvent(method), timeout, "'" + method + "' notification");
        }

        List<JsonNode> events(int from, String method) {
            List<JsonNode> out = new ArrayList<>();
            for (int i = from; i < received.size(); i++) {
                if (isEvent(method).test(received.get(i))) {
                    out.add(received.get(i));
                }
            }
            return out;
        }

        private volatile boolean drained;

        private boolean exitedAndDrained() {
            return drained;
        }

        boolean alive() {
            return process.isAlive();
        }

        /** The JSON traffic and the logs' tails, for assertion messages. */
        String report() {
            StringBuilder b = new StringBuilder("--- ").append(name).append(" JSON traffic (tail) ---\n");
            List<String> t = new ArrayList<>(traffic);
            t.subList(0, Math.max(0, t.size() - 40)).clear();
            t.forEach(l -> b.append(l.length() > 600 ? l.substring(0, 600) + "…" : l).append('\n'));
            for (String log : List.of("logs/security.log", "logs/securep2p.log", "stderr")) {
                b.append("--- ").append(name).append(' ').append(log).append(" (tail) ---\n")
                        .append(tail(home.resolve(log), 25));
            }
            return b.toString();
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                try {
                    request("quit", Map.of());
                } catch (UncheckedIOException ignored) {
                    // already gone
                }
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    List<ProcessHandle> children = process.descendants().toList();
                    process.destroy();
                    if (!process.waitFor(5, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                    children.forEach(ProcessHandle::destroyForcibly);
                }
            }
        }
    }

    static Predicate<JsonNode> isEvent(String method) {
        return m -> method.equals(m.path("method").asText(null));
    }

    static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(none)\n";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return all.subList(Math.max(0, all.size() - lines), all.size()).stream()
                    .collect(Collectors.joining("\n", "", "\n"));
        } catch (IOException e) {
            return "(unreadable: " + e + ")\n";
        }
    }

    /** Every line of every {@code logs/*.log} under {@code home}. */
    static List<String> logLines(Path home) throws IOException {
        Path logs = home.resolve("logs");
        if (!Files.isDirectory(logs)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(logs)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                for (String l : Files.readAllLines(f, StandardCharsets.ISO_8859_1)) {
                    out.add(f.getFileName() + ": " + l);
                }
            }
        }
        return out;
    }

    static Path passphraseFile(Path dir, String passphrase) throws IOException {
        Files.createDirectories(dir);
        Path f = dir.resolve("passphrase");
        Files.writeString(f, passphrase + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    /**
     * A UDP proxy on 127.0.0.1: the first datagram's sender is the client; everything is relayed between it and
     * the target, through {@code toServer} and {@code toClient} (which return the datagrams to send: none, one,
     * or several).
     */
    static final class UdpProxy implements AutoCloseable {
        interface Filter {
            List<byte[]> apply(byte[] datagram);
        }

        final int port;
        final AtomicInteger rewrites = new AtomicInteger();
        final AtomicInteger datagrams = new AtomicInteger();
        private final DatagramSocket front;
        private final DatagramSocket back;
        private final InetSocketAddress target;
        private volatile SocketAddress client;
        private volatile boolean closed;
        private final Thread up;
        private final Thread down;

        UdpProxy(int targetPort, Filter toServer, Filter toClient) throws SocketException {
            front = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            back = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            front.setSoTimeout(200);
            back.setSoTimeout(200);
            port = front.getLocalPort();
            target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
            up = new Thread(() -> pump(front, true, toServer), "proxy-up");
            down = new Thread(() -> pump(back, false, toClient), "proxy-down");
            up.setDaemon(true);
            down.setDaemon(true);
            up.start();
            down.start();
        }

        private void pump(DatagramSocket in, boolean upstream, Filter filter) {
            byte[] buf = new byte[65536];
            while (!closed) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    in.receive(p);
                } catch (SocketTimeoutException e) {
                    continue;
                } catch (IOException e) {
                    return;
                }
                datagrams.incrementAndGet();
                byte[] data = java.util.Arrays.copyOfRange(p.getData(), p.getOffset(), p.getOffset() + p.getLength());
                SocketAddress dest;
                if (upstream) {
                    client = p.getSocketAddress();
                    dest = target;
                } else {
                    dest = client;
                    if (dest == null) {
                        continue;
                    }
                }
                for (byte[] out : filter.apply(data)) {
                    try {
                        (upstream ? back : front).send(new DatagramPacket(out, out.length, dest));
                    } catch (IOException e) {
                        // the peer may be gone; keep relaying
                    }
                }
            }
        }

        /** A filter that replaces every occurrence of {@code from} by {@code to} (same length), counting. */
        Filter rewriting(String from, String to) {
            byte[] f = from.getBytes(StandardCharsets.US_ASCII);
            byte[] t = to.getBytes(StandardCharsets.US_ASCII);
            if (f.length != t.length) {
                throw new IllegalArgumentException("same length only");
            }
            return d -> {
                for (int i = 0; i + f.length <= d.length; i++) {
                    if (java.util.Arrays.equals(d, i, i + f.length, f, 0, f.length)) {
                        System.arraycopy(t, 0, d, i, t.length);
                        rewrites.incrementAndGet();
                    }
                }
                return List.of(d);
            };
        }

        static Filter pass() {
            return d -> List.of(d);
        }

        static Filter of(UnaryOperator<byte[]> f) {
            return d -> List.of(f.apply(d));
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            front.close();
            back.close();
            up.join(2000);
            down.join(2000);
        }
    }
}
