package org.securep2p.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** One real {@code securep2p --json} process driven over its stdin/stdout, for the app's *IT tests. */
final class JsonPeer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    final String name;
    final Path home;
    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<JsonNode> inbox = new LinkedBlockingQueue<>();
    final List<JsonNode> seen = new CopyOnWriteArrayList<>();
    private final AtomicInteger ids = new AtomicInteger();

    private JsonPeer(String name, Path home, Process process) {
        this.name = name;
        this.home = home;
        this.process = process;
        this.stdin = process.getOutputStream();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    JsonNode n = JSON.readTree(line);
                    seen.add(n);
                    inbox.add(n);
                }
            } catch (IOException e) {
                // The process ended.
            }
        }, "json-peer-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts the program with a home that has {@code conf} as securep2p.conf. */
    static JsonPeer start(Path jar, Path home, String name, String conf, Map<String, String> env, String... extra)
            throws IOException {
        Files.createDirectories(home);
        Files.writeString(home.resolve("securep2p.conf"), conf);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toAbsolutePath().toString(), "--json", "--home", home.toAbsolutePath().toString(),
                "--name", name));
        cmd.addAll(List.of(extra));
        // An empty working directory of its own: the program and its key-manager children must write only in
        // their home (tests check that this stays empty).
        Path workingDirectory = Files.createDirectories(workingDirectoryOf(home));
        ProcessBuilder b = new ProcessBuilder(cmd).directory(workingDirectory.toFile())
                .redirectError(home.resolve("stderr.txt").toFile());
        b.environment().putAll(env);
        return new JsonPeer(name, home, b.start());
    }

    /** The working directory {@link #start} gives the program whose home is {@code home}. */
    static Path workingDirectoryOf(Path home) {
        return home.resolveSibling(home.getFileName() + "-cwd");
    }

    long pid() {
        return process.pid();
    }

    Process process() {
        return process;
    }

    /** Sends a request; returns its id. */
    int call(String method, Map<String, Object> params) throws IOException {
        int id = ids.incrementAndGet();
        ObjectNode req = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
        req.set("params", JSON.valueToTree(params));
        synchronized (stdin) {
            stdin.write((JSON.writeValueAsString(req) + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }
        return id;
    }

    /** The response to request {@code id}. */
    JsonNode response(int id, long seconds) throws InterruptedException {
        return await(n -> n.path("id").isInt() && n.get("id").intValue() == id, seconds);
    }

    /** Calls and waits for the result; fails on an error response. */
    JsonNode result(String method, Map<String, Object> params, long seconds) throws IOException, InterruptedException {
        JsonNode r = response(call(method, params), seconds);
        if (!r.has("result")) {
            throw new AssertionError(name + ": " + method + " failed: " + r);
        }
        return r.get("result");
    }

    /** The next notification named {@code method} (skipping others). */
    JsonNode event(String method, long seconds) throws InterruptedException {
        return await(n -> method.equals(n.path("method").asText(null)), seconds).get("params");
    }

    JsonNode await(Predicate<JsonNode> p, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError(name + ": nothing matching within " + seconds + " s; last lines: " + tail());
            }
            JsonNode n = inbox.poll(left, TimeUnit.NANOSECONDS);
            if (n != null && p.test(n)) {
                return n;
            }
        }
    }

    String tail() {
        int from = Math.max(0, seen.size() - 12);
        return seen.subList(from, seen.size()).toString();
    }

    @Override
    public void close() {
        try {
            call("quit", Map.of());
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }
}
