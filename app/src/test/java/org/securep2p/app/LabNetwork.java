package org.securep2p.app;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The app's own small handle on the transport's network lab ({@code transport/lab/netlab.sh}, described in
 * {@code transport/lab/README.md}): brings a lab up under a random prefix ({@code sp} + 6 characters), parses
 * its {@code env} lines, sets loss, and always takes it down again (on {@link #close()}, or from a shutdown
 * hook if the test JVM ends first). The app cannot use the transport's test classes, hence this copy of the
 * little it needs.
 */
final class LabNetwork implements AutoCloseable {

    enum Topology {
        DIRECT, EIM, SYMMETRIC, SAMENAT,
        /** samenat's one LAN, dual-stack: the only lab with IPv6 (env STUN1_6, ADDR6_A, ADDR6_B). */
        LAN;

        String scriptName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** failsafe passes the lab directory (securep2p.lab, root pom); a path of netlab.sh itself works too. */
    static final String SCRIPT_PROPERTY = "securep2p.lab";
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int EXIT_PREFIX_TAKEN = 3;

    private final Path script;
    private final Topology topology;
    private final Map<String, String> env;
    private final Thread hook;
    private boolean closed;

    private LabNetwork(Path script, Topology topology, Map<String, String> env, Thread hook) {
        this.script = script;
        this.topology = topology;
        this.env = env;
        this.hook = hook;
    }

    /** Fails with one message naming everything this machine lacks to run the lab. */
    static void requireAvailable() {
        List<String> missing = new ArrayList<>();
        if (!isRoot()) {
            missing.add("root (network namespaces and iptables need uid 0)");
        }
        for (String tool : List.of("ip", "iptables", "turnserver", "ss", "sysctl", "setsid")) {
            if (findOnPath(tool).isEmpty()) {
                missing.add("'" + tool + "' on the PATH (" + switch (tool) {
                    case "turnserver" -> "Debian package coturn";
                    case "iptables" -> "Debian package iptables";
                    case "sysctl" -> "Debian package procps";
                    case "setsid" -> "Debian package util-linux";
                    default -> "Debian package iproute2";
                } + ")");
            }
        }
        if (!Files.isExecutable(script())) {
            missing.add("the lab script " + script() + " (-D" + SCRIPT_PROPERTY + "=<directory of netlab.sh>)");
        }
        if (!missing.isEmpty()) {
            String message = "The network lab cannot run here; missing: " + String.join("; ", missing)
                    + ". ./test installs the packages; the lab needs root; -Dsecurep2p.lab.skip=true skips it.";
            org.junit.jupiter.api.Assumptions.assumeFalse(Boolean.getBoolean("securep2p.lab.skip"), message);
            throw new AssertionError(message);
        }
    }

    static LabNetwork up(Topology topology) {
        requireAvailable();
        Path script = script();
        for (int attempt = 1; ; attempt++) {
            String prefix = newPrefix();
            Thread hook = new Thread(() -> down(script, prefix), "lab-down-" + prefix);
            Runtime.getRuntime().addShutdownHook(hook);
            Ran ran = run(List.of(script.toString(), "up", prefix, topology.scriptName()),
                    Map.of("NETLAB_OWNER_PID", Long.toString(ProcessHandle.current().pid())));
            if (ran.exit() == 0) {
                return new LabNetwork(script, topology, parseEnv(ran.out()), hook);
            }
            Runtime.getRuntime().removeShutdownHook(hook);
            if (ran.exit() == EXIT_PREFIX_TAKEN && attempt < 3) {
                continue; // someone else's lab: never take it down
            }
            if (ran.exit() != EXIT_PREFIX_TAKEN) {
                down(script, prefix);
            }
            throw new IllegalStateException("netlab.sh up " + prefix + " " + topology.scriptName() + " failed (exit "
                    + ran.exit() + "):\n" + ran.out() + ran.err());
        }
    }

    String prefix() {
        return env("PREFIX");
    }

    Topology topology() {
        return topology;
    }

    String nsA() {
        return env("NS_A");
    }

    String nsB() {
        return env("NS_B");
    }

    String env(String key) {
        String v = env.get(key);
        if (v == null || v.isEmpty()) {
            throw new IllegalStateException("netlab.sh env has no " + key + ": " + env.keySet());
        }
        return v;
    }

    /** Drops {@code percent} of the UDP datagrams entering or leaving {@code ns} (a role: a, b, ra, rb, pub). */
    void loss(String ns, double percent) {
        script("loss", prefix(), ns, String.format(Locale.ROOT, "%.3f", percent));
    }

    /** SAMENAT, LAN: A and B drop IPv4 from each other; in LAN only IPv6 is left between them. */
    void isolateIpv4BetweenPeers() {
        script("isolate4", prefix());
    }

    void noLoss() {
        script("noloss", prefix());
    }

    /** The command line that runs {@code command} inside namespace {@code ns}. */
    static List<String> inNamespace(String ns, List<String> command) {
        List<String> full = new ArrayList<>(List.of(tool("ip"), "netns", "exec", ns));
        full.addAll(command);
        return full;
    }

    String coturnLog() {
        try {
            return Files.readString(Paths.get(env("COTURN_LOG")), UTF_8);
        } catch (IOException | IllegalStateException e) {
            return "";
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // A test interrupted by its timeout still takes its lab down.
        boolean interrupted = Thread.interrupted();
        try {
            down(script, prefix());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down: the hook runs down again, which is idempotent
        }
    }

    @Override
    public String toString() {
        return "lab " + env.get("PREFIX") + " (" + topology.scriptName() + ")";
    }

    private void script(String... args) {
        List<String> cmd = new ArrayList<>(List.of(script.toString()));
        cmd.addAll(List.of(args));
        Ran ran = run(cmd, Map.of());
        if (ran.exit() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + ran.exit() + "): " + ran.err());
        }
    }

    private static void down(Path script, String prefix) {
        Ran ran = run(List.of(script.toString(), "down", prefix), Map.of());
        if (ran.exit() != 0 || !ran.err().isBlank()) {
            System.err.println("netlab.sh down " + prefix + " (exit " + ran.exit() + "): " + ran.err());
        }
    }

    record Ran(int exit, String out, String err) {
    }

    /** Output to files, not pipes: coturn, left running by {@code up}, must not hold our reads open. */
    static Ran run(List<String> command, Map<String, String> extraEnv) {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("lab", ".out");
            err = Files.createTempFile("lab", ".err");
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().put("PATH", searchPath());
            pb.environment().putAll(extraEnv);
            Process p = pb.start();
            if (!p.waitFor(SCRIPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                return new Ran(-1, Files.readString(out, UTF_8), Files.readString(err, UTF_8) + " (timed out)");
            }
            return new Ran(p.exitValue(), Files.readString(out, UTF_8), Files.readString(err, UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        } finally {
            for (Path p : new Path[] {out, err}) {
                if (p != null) {
                    p.toFile().delete();
                }
            }
        }
    }

    static Path script() {
        String s = System.getProperty(SCRIPT_PROPERTY);
        if (s != null && !s.isBlank()) {
            Path p = Paths.get(s);
            return Files.isDirectory(p) ? p.resolve("netlab.sh") : p;
        }
        Path fromModule = Paths.get("..", "transport", "lab", "netlab.sh");
        return Files.exists(fromModule) ? fromModule.toAbsolutePath().normalize()
                : Paths.get("transport", "lab", "netlab.sh").toAbsolutePath();
    }

    private static Map<String, String> parseEnv(String out) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    private static String newPrefix() {
        StringBuilder sb = new StringBuilder("sp");
        for (int i = 0; i < 6; i++) {
            sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Paths.get("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    static String searchPath() {
        return System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + File.pathSeparator + "/usr/sbin"
                + File.pathSeparator + "/sbin";
    }

    static String tool(String name) {
        return findOnPath(name).map(Path::toString).orElse(name);
    }

    private static Optional<Path> findOnPath(String tool) {
        for (String dir : searchPath().split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Paths.get(dir, tool))) {
                return Optional.of(Paths.get(dir, tool));
            }
        }
        return Optional.empty();
    }
}
