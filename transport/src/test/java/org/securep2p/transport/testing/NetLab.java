package org.securep2p.transport.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
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
import org.junit.jupiter.api.Assumptions;

/**
 * One running network lab (see {@code transport/lab/README.md}): two peers A and B, possibly behind NAT
 * routers, and a public namespace with coturn as STUN server (two addresses) and TURN server. Built and torn
 * down by {@code transport/lab/netlab.sh}; this class names a unique prefix, parses the script's {@code env}
 * output, runs commands and JVMs inside the namespaces, and makes sure the lab is taken down: on
 * {@link #close()}, and from a shutdown hook if the test JVM ends without closing it.
 *
 * <p>Not its job: deciding what a test asserts, or any traffic itself; it never sends a packet.
 *
 * <pre>{@code
 * try (NetLab lab = NetLab.up(NetLab.Topology.EIM)) {
 *     Process a = lab.java(lab.nsA(), "org.securep2p.transport.SomeMain", List.of("..."));
 * }
 * }</pre>
 */
public final class NetLab implements AutoCloseable {

    /** The lab shapes; see the README for the diagrams. */
    public enum Topology {
        /** A, B and the servers on one segment, no NAT: the direct path must be found. */
        DIRECT,
        /** A and B each behind MASQUERADE (endpoint-independent mapping), unsolicited input dropped. */
        EIM,
        /** A and B each behind MASQUERADE --random-fully (a new port per destination): only TURN works. */
        SYMMETRIC,
        /** As EIM, but inbound UDP is forwarded to the host from anyone (endpoint-independent filtering). */
        FULLCONE,
        /**
         * A and B on one LAN behind ONE endpoint-independent NAT router that does not hairpin: their
         * server-reflexive candidates are useless to each other, only their private host addresses connect them.
         */
        SAMENAT,
        /**
         * SAMENAT's LAN run dual-stack: IPv6 (2001:db8:1::/64) routed without NAT through the same router,
         * coturn listening on IPv6 too. The only lab with IPv6.
         */
        LAN;

        public String scriptName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Set to true to skip (instead of fail) the lab tests on a machine that cannot run the lab. */
    public static final String SKIP_PROPERTY = "securep2p.lab.skip";
    /** The lab directory holding netlab.sh (transport's failsafe), or the script itself (app's failsafe). */
    public static final String DIR_PROPERTY = "securep2p.lab";

    /** Bring-up takes about half a second; the bound is for a loaded 2-core CI machine. */
    private static final Duration UP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration DOWN_TIMEOUT = Duration.ofSeconds(30);
    /** How long a started process gets after destroy() before destroyForcibly(). */
    private static final Duration DESTROY_GRACE = Duration.ofSeconds(2);
    /** Prefixes are "sp" + 6 random characters: 8 in all, the most netlab.sh allows. */
    private static final String PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final int PREFIX_RANDOM_CHARS = 6;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** netlab.sh's exit code when the prefix is taken; a new random prefix is tried, this many times in all. */
    private static final int EXIT_PREFIX_TAKEN = 3;
    private static final int PREFIX_ATTEMPTS = 3;

    /**
     * Options every lab JVM gets: ice4j must never probe the AWS metadata address (outside our namespaces)
     * nor any STUN server it was not given. Its STUN mapping harvesters default to no addresses; kept so.
     */
    public static final List<String> ICE4J_LAB_OPTIONS = List.of(
            "-Dice4j.harvest.mapping.aws.enabled=false",
            "-Dorg.ice4j.ice.harvest.DISABLE_AWS_HARVESTER=true");

    private final Path script;
    private final Topology topology;
    private final Map<String, String> env;
    private final List<Process> started = new ArrayList<>();
    private final Thread shutdownHook;
    private boolean closed;

    private NetLab(Path script, Topology topology, Map<String, String> env, Thread earlyHook) {
        this.script = script;
        this.topology = topology;
        this.env = env;
        this.shutdownHook = new Thread(this::tearDown, "netlab-close-" + prefix());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        Runtime.getRuntime().removeShutdownHook(earlyHook);
    }

    /**
     * Checks that this machine can run the lab: root, and ip, iptables, turnserver, ss, sysctl on the PATH,
     * and the script present. If not, throws an {@link AssertionError} naming every missing piece, so that
     * the lab tests fail; with {@code -Dsecurep2p.lab.skip=true} they are skipped instead (a JUnit assumption).
     */
    public static void requireAvailable() {
        List<String> missing = new ArrayList<>();
        if (!isRoot()) {
            missing.add("root (network namespaces and iptables need uid 0)");
        }
        // setsid: the app's lab peers run in their own process group, so a crash test can kill a whole peer.
        for (String tool : List.of("ip", "iptables", "turnserver", "ss", "sysctl", "setsid")) {
            if (findOnPath(tool).isEmpty()) {
                missing.add("'" + tool + "' on the PATH (" + packageOf(tool) + ")");
            }
        }
        Path script = scriptPath();
        if (!Files.isExecutable(script)) {
            missing.add("the lab script " + script + " (set -D" + DIR_PROPERTY + "=<dir of netlab.sh>)");
        }
        if (missing.isEmpty()) {
            return;
        }
        String message = "The network lab cannot run here; missing: " + String.join("; ", missing)
                + ". ./test installs the packages; run as root, or pass -D" + SKIP_PROPERTY
                + "=true to skip the lab tests.";
        if (Boolean.getBoolean(SKIP_PROPERTY)) {
            Assumptions.assumeTrue(false, message);
        }
        throw new AssertionError(message);
    }

    /** Builds a lab of the given shape under a fresh prefix; returns once coturn answers. */
    public static NetLab up(Topology topology) {
        requireAvailable();
        // The test JVM may run ice4j itself: the same rule as for the lab JVMs.
        System.setProperty("ice4j.harvest.mapping.aws.enabled", "false");
        Path script = scriptPath();
        for (int attempt = 1; ; attempt++) {
            String prefix = newPrefix();
            // From before the first namespace exists until close(): a JVM ending on the way still tears down.
            Thread earlyHook = new Thread(() -> down(script, prefix), "netlab-down-" + prefix);
            Runtime.getRuntime().addShutdownHook(earlyHook);
            Ran ran = run(List.of(script.toString(), "up", prefix, topology.scriptName()), UP_TIMEOUT,
                    Map.of("NETLAB_OWNER_PID", Long.toString(ProcessHandle.current().pid())));
            if (ran.exit() == EXIT_PREFIX_TAKEN && attempt < PREFIX_ATTEMPTS) {
                Runtime.getRuntime().removeShutdownHook(earlyHook); // someone else's lab: never take it down
                continue;
            }
            if (ran.exit() != 0) {
                Runtime.getRuntime().removeShutdownHook(earlyHook);
                if (ran.exit() != EXIT_PREFIX_TAKEN) {
                    // netlab.sh tears a failed bring-up down itself; once more in case it was killed on the way.
                    down(script, prefix);
                }
                throw new IllegalStateException("netlab.sh up " + prefix + " " + topology.scriptName()
                        + " failed (exit " + ran.exit() + "):\n" + ran.out() + ran.err());
            }
            return new NetLab(script, topology, parseEnv(ran.out()), earlyHook);
        }
    }

    // ---- what the lab looks like ----------------------------------------------------------------------

    public String prefix() {
        return env("PREFIX");
    }

    public Topology topology() {
        return topology;
    }

    /** The namespace holding the internet switch and coturn. */
    public String nsPublic() {
        return env("NS_PUBLIC");
    }

    public String nsA() {
        return env("NS_A");
    }

    public String nsB() {
        return env("NS_B");
    }

    /** A's NAT router, absent in {@link Topology#DIRECT}. */
    public Optional<String> nsRouterA() {
        return optionalEnv("NS_ROUTER_A");
    }

    public Optional<String> nsRouterB() {
        return optionalEnv("NS_ROUTER_B");
    }

    /** Every namespace of this lab. */
    public List<String> namespaces() {
        List<String> all = new ArrayList<>(List.of(nsPublic(), nsA(), nsB()));
        nsRouterA().ifPresent(all::add);
        nsRouterB().ifPresent(all::add);
        return all;
    }

    /** A's IPv6 address ({@link Topology#LAN} only). */
    public InetAddress address6A() {
        return inet(env("ADDR6_A"));
    }

    public InetAddress address6B() {
        return inet(env("ADDR6_B"));
    }

    /** coturn's first STUN address over IPv6 ({@link Topology#LAN} only). */
    public InetSocketAddress stun1v6() {
        return socketAddress(env("STUN1_6"));
    }

    public InetSocketAddress stun2v6() {
        return socketAddress(env("STUN2_6"));
    }

    /** A's own address (on its LAN behind NAT, on the internet segment in DIRECT). */
    public InetAddress addressA() {
        return inet(env("ADDR_A"));
    }

    public InetAddress addressB() {
        return inet(env("ADDR_B"));
    }

    /** The address A's traffic has on the internet: its router's WAN address, or A itself in DIRECT. */
    public InetAddress publicAddressA() {
        return inet(env("PUBLIC_A"));
    }

    public InetAddress publicAddressB() {
        return inet(env("PUBLIC_B"));
    }

    /** The first STUN server (also the TURN server). */
    public InetSocketAddress stun1() {
        return socketAddress(env("STUN1"));
    }

    /** A second STUN address of the same coturn, to tell endpoint-independent from symmetric mapping. */
    public InetSocketAddress stun2() {
        return socketAddress(env("STUN2"));
    }

    public InetSocketAddress turn() {
        return socketAddress(env("TURN"));
    }

    public String turnUser() {
        return env("TURN_USER");
    }

    /** Random per lab; a lab credential, never a real one. */
    public String turnPassword() {
        return env("TURN_PASSWORD");
    }

    public String turnRealm() {
        return env("TURN_REALM");
    }

    /** coturn's pid, to check that tear-down left no process behind. */
    public long coturnPid() {
        return Long.parseLong(env("COTURN_PID"));
    }

    /** coturn's log so far (for a failing test's message); empty once the lab is down. */
    public String coturnLog() {
        try {
            return Files.readString(Paths.get(env("COTURN_LOG")), UTF_8);
        } catch (IOException | IllegalStateException e) {
            return ""; // for a failing test's message: a lab without a log still lets the message be written
        }
    }

    // ---- running things inside ---------------------------------------------------------------------------

    /** Starts {@code command} inside {@code namespace}; the process is destroyed on {@link #close()}. */
    public synchronized Process exec(String namespace, List<String> command) {
        requireOpen();
        requireOwn(namespace);
        List<String> full = inNamespace(namespace, command);
        try {
            Process p = new ProcessBuilder(full).start();
            started.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + full, e);
        }
    }

    /** The command line that runs {@code command} inside {@code namespace}, for a caller starting it itself. */
    public static List<String> inNamespace(String namespace, List<String> command) {
        List<String> full = new ArrayList<>(List.of(tool("ip"), "netns", "exec", namespace));
        full.addAll(command);
        return full;
    }

    /**
     * Starts a JVM inside {@code namespace}: the same java binary as this one, the test runtime class path,
     * {@link #ICE4J_LAB_OPTIONS}, then {@code mainClass} and {@code args}.
     */
    public Process java(String namespace, String mainClass, List<String> args) {
        return java(namespace, List.of(), mainClass, args);
    }

    /** As {@link #java(String, String, List)}, with extra JVM options (e.g. -D properties). */
    public Process java(String namespace, List<String> jvmOptions, String mainClass, List<String> args) {
        return exec(namespace, javaCommand(jvmOptions, mainClass, args));
    }

    /** The command line for a JVM like this one; also for child JVMs outside the lab. */
    public static List<String> javaCommand(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(ICE4J_LAB_OPTIONS);
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Drops {@code percent} of the UDP datagrams entering or leaving {@code namespace} (iptables statistic in
     * the raw table, before conntrack); 0 removes the loss. For a router or the public namespace this covers
     * everything they forward, both ways. A namespace's own datagrams are dropped where they arrive at the
     * next hop, so a "lost" send still succeeds for the sender, as real loss does.
     */
    public void setLoss(String namespace, double percent) {
        requireOpen();
        requireOwn(namespace);
        if (!(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException("percent must be within 0..100: " + percent);
        }
        script("loss", prefix(), namespace, String.format(Locale.ROOT, "%.3f", percent));
    }

    /**
     * {@link Topology#SAMENAT} and {@link Topology#LAN}: A and B drop every IPv4 datagram from each other (in
     * their INPUT chains), so in LAN only IPv6 connects them; replies from the internet still come in.
     */
    public void isolateIpv4BetweenPeers() {
        requireOpen();
        script("isolate4", prefix());
    }

    /**
     * Makes {@code peer}'s network block UDP ({@code netlab.sh block-udp}): every UDP datagram entering or leaving
     * that peer ({@link #nsA()} or {@link #nsB()}) is dropped silently, STUN and TURN included, while TCP
     * passes. Sends still succeed for the sender, as on a real network that filters UDP. Not for {@link
     * Topology#LAN} (its IPv6 would stay open): the script refuses it.
     */
    public void blockUdp(String peer) {
        script("block-udp", prefix(), peerRole(peer));
    }

    /** Lifts {@link #blockUdp(String)}; loss rules are separate and stay as they are. */
    public void unblockUdp(String peer) {
        script("unblock-udp", prefix(), peerRole(peer));
    }

    private String peerRole(String peer) {
        requireOpen();
        if (peer.equals(nsA())) {
            return "a";
        }
        if (peer.equals(nsB())) {
            return "b";
        }
        throw new IllegalArgumentException(peer + " is not a peer (A or B) of " + this);
    }

    /** Runs the lab script with these arguments and returns its output; throws if it fails. */
    private String script(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(script.toString());
        cmd.addAll(List.of(args));
        Ran ran = run(cmd, UP_TIMEOUT, Map.of());
        if (ran.exit() != 0) {
            throw new IllegalStateException(
                    String.join(" ", cmd) + " failed (exit " + ran.exit() + "): " + ran.err());
        }
        return ran.out();
    }

    /** Destroys every started process, then takes the lab down (namespaces, veths, coturn). Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // A test interrupted by its timeout still takes its lab down: the waits in tearDown need the flag clear.
        boolean interrupted = Thread.interrupted();
        try {
            tearDown();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down; the hook may run too, tearDown is idempotent.
        }
    }

    @Override
    public String toString() {
        return "NetLab[" + prefix() + " " + topology.scriptName() + "]";
    }

    private void tearDown() {
        List<Process> processes;
        synchronized (this) {
            closed = true;
            processes = new ArrayList<>(started);
        }
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        long deadline = System.nanoTime() + DESTROY_GRACE.toNanos();
        for (Process p : processes) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        // netlab.sh down kills whatever is left in the namespaces (including grandchildren of ip netns exec).
        down(script, prefix());
    }

    private static void down(Path script, String prefix) {
        Ran ran = run(List.of(script.toString(), "down", prefix), DOWN_TIMEOUT, Map.of());
        if (ran.exit() != 0 || !ran.err().isBlank()) {
            System.err.println("netlab.sh down " + prefix + " (exit " + ran.exit() + "): " + ran.err());
        }
    }

    private synchronized void requireOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private void requireOwn(String namespace) {
        if (!namespaces().contains(namespace)) {
            throw new IllegalArgumentException(namespace + " is not a namespace of " + this);
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    /** The result of a command run to completion. */
    public record Ran(int exit, String out, String err) {
    }

    /**
     * Runs a command to completion (killing it after {@code timeout}). Output goes to temporary files, not
     * pipes: a background process the command leaves running (coturn) must not hold our reads open.
     */
    public static Ran run(List<String> command, Duration timeout, Map<String, String> extraEnv) {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("netlab", ".out");
            err = Files.createTempFile("netlab", ".err");
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().put("PATH", searchPath());
            pb.environment().putAll(extraEnv);
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                return new Ran(-1, Files.readString(out, UTF_8),
                        Files.readString(err, UTF_8) + "\n(timed out after " + timeout + ")");
            }
            return new Ran(p.exitValue(), Files.readString(out, UTF_8), Files.readString(err, UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** Namespaces this machine has now (whoever made them). */
    public static List<String> existingNamespaces() {
        Ran ran = run(List.of(tool("ip"), "netns", "list"), Duration.ofSeconds(10), Map.of());
        List<String> names = new ArrayList<>();
        for (String line : ran.out().split("\n", -1)) {
            if (!line.isBlank()) {
                names.add(line.trim().split("\\s+", -1)[0]);
            }
        }
        return names;
    }

    /** Whether a process runs; a zombie (exited, not yet reaped by its parent) does not. */
    public static boolean isRunning(long pid) {
        try {
            String stat = Files.readString(Paths.get("/proc/" + pid + "/stat"), UTF_8);
            String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
            return !state.equals("Z") && !state.equals("X");
        } catch (IOException | StringIndexOutOfBoundsException e) {
            return false;
        }
    }

    public static Path scriptPath() {
        String dir = System.getProperty(DIR_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            Path p = Paths.get(dir);
            return Files.isDirectory(p) ? p.resolve("netlab.sh") : p;
        }
        // Run from an IDE without failsafe's property: transport, a sibling module or the repository root as
        // working directory.
        List<Path> candidates = List.of(Paths.get("lab", "netlab.sh"), Paths.get("..", "transport", "lab", "netlab.sh"));
        for (Path candidate : candidates) {
            if (Files.exists(candidate)) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        return Paths.get("transport", "lab", "netlab.sh").toAbsolutePath();
    }

    private static Map<String, String> parseEnv(String out) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : out.split("\n", -1)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    /** The raw value of one of netlab.sh's {@code env} lines (e.g. {@code STUN1} as host:port); throws if absent. */
    public String env(String key) {
        String value = env.get(key);
        if (value == null || value.isEmpty()) {
            throw new IllegalStateException("netlab.sh env has no " + key + ": " + env.keySet());
        }
        return value;
    }

    private Optional<String> optionalEnv(String key) {
        return Optional.ofNullable(env.get(key)).filter(v -> !v.isEmpty());
    }

    private static String newPrefix() {
        StringBuilder sb = new StringBuilder("sp");
        for (int i = 0; i < PREFIX_RANDOM_CHARS; i++) {
            sb.append(PREFIX_ALPHABET.charAt(RANDOM.nextInt(PREFIX_ALPHABET.length())));
        }
        return sb.toString();
    }

    private static InetAddress inet(String literal) {
        try {
            return InetAddress.getByName(literal); // an IP literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalStateException("not an address: " + literal, e);
        }
    }

    private static InetSocketAddress socketAddress(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(inet(hostPort.substring(0, colon)),
                Integer.parseInt(hostPort.substring(colon + 1)));
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** The PATH plus the sbin directories, where ip, iptables and sysctl live but a non-login PATH may miss. */
    public static String searchPath() {
        return System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + File.pathSeparator + "/usr/sbin"
                + File.pathSeparator + "/sbin";
    }

    /** The absolute path of {@code name} on {@link #searchPath()}, or the bare name if it is not there. */
    public static String tool(String name) {
        return findOnPath(name).map(Path::toString).orElse(name);
    }

    private static Optional<Path> findOnPath(String tool) {
        for (String dir : searchPath().split(File.pathSeparator, -1)) {
            if (!dir.isEmpty() && Files.isExecutable(Paths.get(dir, tool))) {
                return Optional.of(Paths.get(dir, tool));
            }
        }
        return Optional.empty();
    }

    private static String packageOf(String tool) {
        return switch (tool) {
            case "turnserver" -> "Debian package coturn";
            case "iptables" -> "Debian package iptables";
            case "sysctl" -> "Debian package procps";
            case "setsid" -> "Debian package util-linux";
            default -> "Debian package iproute2";
        };
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // A temp file left behind is harmless.
            }
        }
    }
}
