package org.securep2p.app;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.securep2p.crypto.testing.Await;
import org.securep2p.transport.testing.NetLab;

/**
 * One {@code securep2p --json} peer running inside a lab namespace, driven over its JSON-RPC stdin/stdout.
 * Started under {@code setsid}, so the peer's JVM leads its own process group (with the key-manager child in
 * it) and {@link #killHard()} can SIGKILL all of it at once, as a crash would.
 *
 * <p>Records, in arrival order, every notification (with its arrival time), every response, and for the
 * message flow: the texts received, the message ids our {@code send} requests were answered with, and the ids
 * reported {@code delivered}. Requests are written without waiting for their answers (the server answers in
 * order), so a sender can keep the peer's queue full.
 */
final class LabPeerProcess implements AutoCloseable {

    /**
     * The packaged app the lab ITs run as real processes: {@code -Dsecurep2p.jar} (failsafe passes it), else
     * {@code target/securep2p-app.jar}; the test fails at once when it is missing.
     */
    static Path packagedJar() {
        Path jar = Paths.get(System.getProperty("securep2p.jar", "target/securep2p-app.jar")).toAbsolutePath();
        assertThat(jar).as("the packaged app (run after package; failsafe passes -Dsecurep2p.jar)").isRegularFile();
        return jar;
    }

    /** Options every peer JVM gets: ice4j must never probe the AWS metadata address (outside the lab). */
    static final List<String> JVM_OPTIONS = List.of("-Dice4j.harvest.mapping.aws.enabled=false",
            "-Dorg.ice4j.ice.harvest.DISABLE_AWS_HARVESTER=true", "-XX:+UseSerialGC", "-Xss512k");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A notification as it arrived. */
    record Event(long nanos, String method, JsonNode params) {
    }

    private final String namespace;
    private final Path home;
    private final String name;
    private final Path jar;
    private final Path passphraseFile;
    private final Object lock = new Object();

    private Process process;
    private OutputStream stdin;
    private Thread reader;
    private int nextRequestId;
    /** Incarnation of the process: events of an earlier one are kept but told apart. */
    private int generation;

    // All guarded by lock.
    private final List<Event> events = new ArrayList<>();
    private final Map<Integer, JsonNode> responses = new HashMap<>();
    private final Map<Integer, String> sendRequests = new HashMap<>();
    /** request id → the generation it was written to; and the generations whose process has exited. */
    private final Map<Integer, Integer> requestGeneration = new HashMap<>();
    private final java.util.Set<Integer> exited = new java.util.HashSet<>();
    /** message id → text, in the order the answers came. */
    private final Map<String, String> sentIds = new LinkedHashMap<>();
    private final List<String> received = new ArrayList<>();
    private final List<String> delivered = new ArrayList<>();
    /** Ids reported {@code relayed} (posted to the contact's inbox at the relay, issue 18), in order. */
    private final List<String> relayed = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();

    /** Command-line options after {@code --name} (e.g. {@code --relay ADDRESS}), at every start. */
    private final List<String> options;
    /** JVM options after {@link #JVM_OPTIONS} (e.g. a log level a test reads), at every start. */
    private final List<String> jvmOptions;

    LabPeerProcess(String namespace, Path home, String name, Path jar, Path passphraseFile) {
        this(namespace, home, name, jar, passphraseFile, List.of());
    }

    LabPeerProcess(String namespace, Path home, String name, Path jar, Path passphraseFile, List<String> options) {
        this(namespace, home, name, jar, passphraseFile, options, List.of());
    }

    LabPeerProcess(String namespace, Path home, String name, Path jar, Path passphraseFile, List<String> options,
            List<String> jvmOptions) {
        this.jvmOptions = List.copyOf(jvmOptions);
        this.namespace = namespace;
        this.home = home;
        this.name = name;
        this.jar = jar;
        this.passphraseFile = passphraseFile;
        this.options = List.copyOf(options);
    }

    String name() {
        return name;
    }

    Path home() {
        return home;
    }

    /** Starts (or restarts, with the same home) the peer; returns once it has sent {@code ready}. */
    void start(Duration timeout) {
        List<String> java = new ArrayList<>();
        java.add(javaBinary());
        java.addAll(JVM_OPTIONS);
        java.addAll(jvmOptions);
        java.addAll(List.of("-jar", jar.toString(), "--json", "--home", home.toString(), "--name", name));
        java.addAll(options);
        List<String> cmd = new ArrayList<>();
        cmd.add(NetLab.tool("setsid"));
        cmd.addAll(NetLab.inNamespace(namespace, java));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.appendTo(home.resolve("stderr.log").toFile()));
        pb.environment().put("SECUREP2P_PASSPHRASE_FILE", passphraseFile.toString());
        pb.environment().put("DBUS_SESSION_BUS_ADDRESS", "disabled:");
        pb.environment().put("PATH", NetLab.searchPath());
        for (String k : List.of("SECUREP2P_STUN_SERVERS", "SECUREP2P_TURN_SERVERS", "SECUREP2P_TURN_USERNAME",
                "SECUREP2P_TURN_PASSWORD")) {
            pb.environment().remove(k);
        }
        int gen;
        synchronized (lock) {
            gen = ++generation;
            generationStart = events.size();
        }
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + cmd, e);
        }
        stdin = process.getOutputStream();
        Process p = process;
        reader = new Thread(() -> readLoop(p, gen), "lab-peer-" + name + "-" + gen);
        reader.setDaemon(true);
        reader.start();
        awaitEvent(e -> e.method().equals("ready"), eventsOfThisGeneration(), timeout, "ready");
    }

    private int eventsOfThisGeneration() {
        synchronized (lock) {
            return generationStart;
        }
    }

    private int generationStart;

    private void readLoop(Process p, int gen) {
        // The whole JSON-RPC output is kept in the home (for a failing run's post-mortem).
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8));
                java.io.Writer transcript = Files.newBufferedWriter(home.resolve("stdout.jsonl"), UTF_8,
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)) {
            String line;
            while ((line = r.readLine()) != null) {
                transcript.write(System.currentTimeMillis() + " " + line + "\n");
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (IOException e) {
                    synchronized (lock) {
                        errors.add("not JSON: " + line);
                    }
                    continue;
                }
                onLine(n);
            }
        } catch (IOException e) {
            // the process died
        }
        synchronized (lock) {
            exited.add(gen);
            events.add(new Event(System.nanoTime(), "(exit)", JSON.createObjectNode()));
            lock.notifyAll();
        }
    }

    private void onLine(JsonNode n) {
        synchronized (lock) {
            if (n.has("method")) {
                String method = n.get("method").asText();
                JsonNode params = n.path("params");
                events.add(new Event(System.nanoTime(), method, params));
                switch (method) {
                    case "message" -> received.add(params.path("text").asText());
                    case "delivered" -> delivered.add(params.path("id").asText());
                    case "relayed" -> relayed.add(params.path("id").asText());
                    default -> {
                    }
                }
            } else if (n.has("id")) {
                int id = n.get("id").asInt();
                responses.put(id, n);
                String text = sendRequests.get(id);
                if (text != null) {
                    if (n.has("result")) {
                        sentIds.put(n.get("result").get("id").asText(), text);
                    } else {
                        errors.add("send '" + text + "' failed: " + n.get("error"));
                    }
                }
            }
            lock.notifyAll();
        }
    }

    /** Writes a request and returns its id without waiting for the answer. */
    int request(String method, Map<String, String> params) {
        ObjectNode p = JSON.createObjectNode();
        params.forEach(p::put);
        return request(method, p);
    }

    /** As above with any JSON params (numbers too). */
    int request(String method, ObjectNode p) {
        ObjectNode req = JSON.createObjectNode().put("jsonrpc", "2.0");
        req.set("params", p);
        req.put("method", method);
        int id;
        synchronized (lock) {
            id = ++nextRequestId;
            requestGeneration.put(id, generation);
            if (method.equals("send")) {
                sendRequests.put(id, p.path("text").asText());
            }
        }
        req.put("id", id);
        try {
            byte[] line = (JSON.writeValueAsString(req) + "\n").getBytes(UTF_8);
            synchronized (this) {
                stdin.write(line);
                stdin.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": cannot write " + method + " (has the peer exited?)", e);
        }
        return id;
    }

    /** A request and its answer; fails on an error answer. */
    JsonNode call(String method, Map<String, String> params, Duration timeout) {
        int id = request(method, params);
        JsonNode r = awaitResponse(id, timeout);
        if (!r.has("result")) {
            throw new AssertionError(name + ": " + method + " " + params + " failed: " + r);
        }
        return r.get("result");
    }

    /**
     * Every text of the conversation with {@code peer} (a fingerprint or a name) in this peer's history, oldest
     * first, read page by page ({@code history}, issue 16).
     */
    List<String> historyTexts(String peer, Duration timeout) {
        List<String> out = new ArrayList<>();
        Long before = null;
        while (true) {
            ObjectNode p = JSON.createObjectNode().put("peer", peer).put("limit", 1000);
            if (before != null) {
                p.put("before", before);
            }
            JsonNode r = awaitResponse(request("history", p), timeout);
            if (!r.has("result")) {
                throw new AssertionError(name + ": history failed: " + r);
            }
            JsonNode page = r.get("result");
            List<String> texts = new ArrayList<>();
            page.forEach(m -> texts.add(m.get("text").asText()));
            out.addAll(0, texts);
            if (page.size() < 1000) {
                return out;
            }
            before = page.get(0).get("position").asLong();
        }
    }

    /** This peer's fingerprint, from its last {@code ready}. */
    String fingerprint() {
        synchronized (lock) {
            for (int i = events.size() - 1; i >= 0; i--) {
                if (events.get(i).method().equals("ready")) {
                    return events.get(i).params().get("fingerprint").asText();
                }
            }
        }
        throw new AssertionError(name + ": no ready event");
    }

    JsonNode awaitResponse(int id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!responses.containsKey(id)) {
                if (exited.contains(requestGeneration.get(id))) {
                    throw new UncheckedIOException(new IOException(name + " exited before answering request " + id));
                }
                waitUntil(deadline, () -> name + ": no answer to request " + id);
            }
            return responses.get(id);
        }
    }

    /** Writes a {@code send} without waiting for its answer. */
    int sendAsync(String text) {
        return request("send", Map.of("text", text));
    }

    /** The number of events so far: pass it to {@link #awaitEvent} to look only at later ones. */
    int mark() {
        synchronized (lock) {
            return events.size();
        }
    }

    /** The first event at or after index {@code from} that matches, waiting for it. */
    Event awaitEvent(Predicate<Event> match, int from, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            int i = from;
            while (true) {
                for (; i < events.size(); i++) {
                    if (match.test(events.get(i))) {
                        return events.get(i);
                    }
                }
                waitUntil(deadline, () -> name + ": no " + what + " within " + timeout + "; recent events: "
                        + recentEvents(15));
            }
        }
    }

    /** Waits until {@code condition} (evaluated under the lock) holds. */
    void awaitCondition(java.util.function.BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!condition.getAsBoolean()) {
                waitUntil(deadline, () -> name + ": " + what + " not reached within " + timeout + "; recent events: "
                        + recentEvents(15));
            }
        }
    }

    @SuppressWarnings("WaitNotInLoop") // one step of the callers' loops, which re-check their condition
    private void waitUntil(long deadline, java.util.function.Supplier<String> message) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new AssertionError(message.get());
        }
        try {
            lock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(name + ": interrupted");
        }
    }

    List<Event> events(int from) {
        synchronized (lock) {
            return List.copyOf(events.subList(from, events.size()));
        }
    }

    String recentEvents(int n) {
        synchronized (lock) {
            StringBuilder b = new StringBuilder();
            int from = Math.max(0, events.size() - n);
            for (Event e : events.subList(from, events.size())) {
                if (e.method().equals("message") || e.method().equals("delivered")) {
                    continue;
                }
                b.append("\n  ").append(e.method()).append(' ').append(e.params());
            }
            return b + "\n  (" + received.size() + " received, " + sentIds.size() + " sent, " + delivered.size()
                    + " delivered)";
        }
    }

    /** Texts of the {@code message} notifications, in arrival order. */
    List<String> received() {
        synchronized (lock) {
            return List.copyOf(received);
        }
    }

    int receivedCount() {
        synchronized (lock) {
            return received.size();
        }
    }

    /** message id → text for every answered {@code send}, in answer order. */
    Map<String, String> sentIds() {
        synchronized (lock) {
            return new LinkedHashMap<>(sentIds);
        }
    }

    int sentCount() {
        synchronized (lock) {
            return sentIds.size();
        }
    }

    List<String> delivered() {
        synchronized (lock) {
            return List.copyOf(delivered);
        }
    }

    List<String> relayed() {
        synchronized (lock) {
            return List.copyOf(relayed);
        }
    }

    List<String> errors() {
        synchronized (lock) {
            return List.copyOf(errors);
        }
    }

    /** The peer's JVM pid and its descendants (the key manager). */
    List<ProcessHandle> processTree() {
        List<ProcessHandle> all = new ArrayList<>();
        if (process != null) {
            all.add(process.toHandle());
            process.toHandle().descendants().forEach(all::add);
        }
        return all;
    }

    long pid() {
        return process.pid();
    }

    /**
     * SIGKILLs the peer's whole process group (its JVM and the key-manager child) and waits until every one of
     * them is gone; returns what was killed, for the report.
     */
    List<ProcessHandle> killHard() {
        List<ProcessHandle> tree = processTree();
        long pgid = processGroup(process.pid());
        if (pgid != process.pid()) {
            throw new AssertionError(name + ": pid " + process.pid() + " does not lead its process group (" + pgid
                    + "); setsid did not work");
        }
        NetLab.Ran ran = NetLab.run(List.of("kill", "-KILL", "--", "-" + pgid), Duration.ofSeconds(60), Map.of());
        if (ran.exit() != 0) {
            throw new AssertionError("kill -KILL -" + pgid + " failed: " + ran.err());
        }
        Await.until(() -> name + ": the end of its whole process group after SIGKILL; survived: " + tree.stream()
                .filter(ProcessHandle::isAlive).map(h -> h.pid() + " " + h.info().command().orElse("")).toList(),
                Duration.ofSeconds(10), () -> tree.stream().noneMatch(ProcessHandle::isAlive));
        try {
            reader.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return tree;
    }

    static long processGroup(long pid) {
        try {
            String stat = Files.readString(Paths.get("/proc/" + pid + "/stat"), UTF_8);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
            return Long.parseLong(f[2]);
        } catch (IOException e) {
            return -1;
        }
    }

    /** Asks the peer to quit; kills it if it has not exited in a few seconds. */
    @Override
    public void close() {
        if (process == null || !process.isAlive()) {
            return;
        }
        try {
            request("quit", Map.of());
            stdin.close();
        } catch (RuntimeException | IOException e) {
            // exiting anyway
        }
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** Sleeps for pacing only (a lab sender's gap between messages); a condition is awaited with Await. */
    static void sleep(long ms) {
        try {
            Thread.sleep(ms); // time is the test: callers pace traffic, they do not wait for an event
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    private static String javaBinary() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }
}
