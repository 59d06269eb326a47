package org.securep2p.app.doctor;

import java.io.IOException;
import java.io.InputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.securep2p.app.doctor.DoctorReport.Check;
import org.securep2p.app.store.AtomicFile;
import org.securep2p.keymanager.KeyManagerProcess;
import org.securep2p.keymanager.KeyManagerRole;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.RelayClient;
import org.securep2p.relay.RelayConnector;
import org.securep2p.relay.RelayException;
import org.securep2p.transport.EndpointDiscovery;
import org.securep2p.transport.NatBehaviour;
import org.securep2p.transport.ServerAddress;
import org.securep2p.transport.TransportConfig;
import org.securep2p.transport.TransportException;

/**
 * The doctor's real measurements: the transport's {@link EndpointDiscovery} (STUN, RFC 5780, TURN allocation),
 * the relay client's pinned TLS, a key-manager start with no one to ask for a passphrase, and the file system.
 * Each call may block up to the transport's own timeouts; {@link Doctor#diagnose} bounds them all.
 */
final class RealProbes implements Probes {

    /** The variable naming the passphrase file (the key manager's {@code PassphraseSource}). */
    static final String PASSPHRASE_FILE = "SECUREP2P_PASSPHRASE_FILE";
    /** A clock this far before the build is wrong, not a time-zone or a file-system rounding. */
    static final Duration BUILD_SLACK = Duration.ofDays(1);

    private final Doctor.Setup setup;
    private final SecureRandom random;
    private final Clock clock;

    RealProbes(Doctor.Setup setup, SecureRandom random, Clock clock) {
        this.setup = setup;
        this.random = random;
        this.clock = clock;
    }

    @Override
    public List<String> stunServers() {
        return setup.config().stunServers().stream().map(ServerAddress::toString).toList();
    }

    @Override
    public List<String> turnServers() {
        return setup.config().turnServers().stream().map(ServerAddress::toString).toList();
    }

    @Override
    public List<String> relays() {
        return setup.relays().stream().map(RealProbes::hostPort).toList();
    }

    // ---- keys ----------------------------------------------------------------------------------------------

    @Override
    public Check keys() {
        Path keys = setup.home().resolve("keys");
        String file = setup.environment().get(PASSPHRASE_FILE);
        if (file != null && !file.isEmpty()) {
            return passphraseFile(Path.of(file));
        }
        if (!holdsFiles(keys)) {
            return Check.pass("keys", "No keys yet: they are made, and protected, at the first start.");
        }
        if (!KeyManagerProcess.startAsksNoPassphrase(keys, setup.environment())) {
            return Check.pass("keys", "Your keys are sealed under a passphrase you type at each start; the doctor"
                    + " does not ask for it, so it did not open them.");
        }
        return keyring(keys);
    }

    private static Check passphraseFile(Path file) {
        Map<String, String> d = Map.of("mode", "passphrase-file", "file", file.toString());
        if (!Files.isReadable(file)) {
            return new Check("keys", false, "Passphrase-file mode, but " + PASSPHRASE_FILE + " names " + file
                    + ", which cannot be read.", d);
        }
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            boolean others = mode.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"));
            if (others) {
                return new Check("keys", false, "Passphrase-file mode, but others may read or write " + file
                        + ": chmod 600 it.", d);
            }
        } catch (UnsupportedOperationException e) {
            // Not POSIX: readable is all that can be said, and the sentence says no more.
            return new Check("keys", true, "Passphrase-file mode: the keys open with the passphrase in " + file
                    + " (this file system keeps no permissions to check).", d);
        } catch (IOException e) {
            return new Check("keys", false, "Passphrase-file mode, but who may read " + file
                    + " could not be checked: " + e.getMessage(), d);
        }
        return new Check("keys", true, "Passphrase-file mode: the keys open with the passphrase in " + file
                + ", which only you can read.", d);
    }

    /**
     * Keys in the OS keyring: opened by a key-manager child that may not ask for a passphrase. While another
     * securep2p holds the home, its key manager's own report is read instead: a second child on the same keys
     * is never started.
     */
    private Check keyring(Path keys) {
        Path log = setup.home().resolve("logs").resolve("keymanager.log");
        try (FileChannel channel = FileChannel.open(setup.home().resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this very process (the TUI) holds the home
            }
            if (lock == null) {
                Optional<String> line = lastLine(log, "keymanager: keys protected by ");
                return line.map(l -> new Check("keys", true, "securep2p is running with this home; its key manager"
                        + " reported: " + l.substring("keymanager: ".length()) + ".", Map.of("mode", "keyring")))
                        .orElseGet(() -> new Check("keys", false, "securep2p is running with this home and its key"
                                + " manager has not reported yet.", Map.of("mode", "keyring")));
            }
            // The least-privileged role: this child is only started and stopped, never asked for a key.
            Path doctorLog = setup.home().resolve("logs").resolve("doctor-keymanager.log");
            try (KeyManagerProcess process = KeyManagerProcess.start(keys.resolve("run"), keys, random, doctorLog,
                    null, KeyManagerRole.CA)) {
                return new Check("keys", true, "The OS keyring is reachable and unlocked: the key manager opened"
                        + " your keys with it.", Map.of("mode", "keyring"));
            } catch (IOException e) {
                String reason = lastLine(doctorLog, "keymanager: cannot serve: ")
                        .map(l -> l.substring("keymanager: cannot serve: ".length())).orElse(e.getMessage());
                String hint = reason.contains("KEYRING_LOCKED") ? " Unlock your keyring (log in to the desktop"
                        + " session) and try again." : "";
                return new Check("keys", false, "The key manager could not open your keys with the OS keyring: "
                        + reason + "." + hint, Map.of("mode", "keyring"));
            } finally {
                lock.release();
            }
        } catch (IOException e) {
            return Check.fail("keys", "Cannot lock the home to check the keys: " + e.getMessage() + ".");
        }
    }

    private static boolean holdsFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (var s = Files.list(dir)) {
            return s.anyMatch(Files::isRegularFile);
        } catch (IOException e) {
            return true; // unreadable: let the key manager say why
        }
    }

    private static Optional<String> lastLine(Path log, String prefix) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            Collections.reverse(lines);
            return lines.stream().filter(l -> l.startsWith(prefix)).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    // ---- home ----------------------------------------------------------------------------------------------

    @Override
    public Check home() {
        Path root = setup.home();
        Map<String, String> d = Map.of("path", root.toString());
        if (!Files.exists(root)) {
            return new Check("home", true, "No home at " + root + " yet: it is made private at the first start.", d);
        }
        List<String> problems = new ArrayList<>();
        for (String sub : List.of("", "keys", "cert", "logs", "conversations")) {
            Path dir = sub.isEmpty() ? root : root.resolve(sub);
            if (!Files.exists(dir)) {
                continue;
            }
            try {
                AtomicFile.checkOwnedAndPrivate(dir);
            } catch (IOException e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            return new Check("home", false, String.join("; ", problems) + ".", d);
        }
        return new Check("home", true, "The home " + root + " and its private folders are yours, and no one else"
                + " can write to them.", d);
    }

    // ---- network -------------------------------------------------------------------------------------------

    @Override
    public Facts.Network network() {
        EndpointDiscovery.Report r = new EndpointDiscovery(setup.config()).discover();
        List<Facts.Stun> servers = new ArrayList<>();
        for (EndpointDiscovery.ServerResult s : r.results()) {
            servers.add(new Facts.Stun(s.server().toString(), s.mappedAddress().map(RealProbes::hostPort),
                    s.otherAddress().map(RealProbes::hostPort), s.failure().orElse("no answer")));
        }
        NatBehaviour b = r.natBehaviour();
        return new Facts.Network(servers, r.reachable(), b.summary(), b.mappingMeasured(), b.relayNeeded(),
                b.answerNeeded(), b.advice());
    }

    @Override
    public Facts.Turn turn(int index) {
        TransportConfig config = setup.config();
        ServerAddress server = config.turnServers().get(index);
        if (!config.hasTurnCredentials()) {
            return new Facts.Turn(server.toString(), false, false, Optional.empty(), "no credentials");
        }
        try {
            // A TURN server answers STUN binding requests: whether UDP reaches it, told apart from a refusal.
            TransportConfig binding = config.toBuilder().stunServers(List.of(server)).turnServers(List.of()).build();
            EndpointDiscovery.Report r = new EndpointDiscovery(binding).discover();
            if (!r.reachable()) {
                String why = r.results().stream().flatMap(x -> x.failure().stream()).findFirst().orElse("no answer");
                return new Facts.Turn(server.toString(), true, false, Optional.empty(), why);
            }
            Optional<InetSocketAddress> relayed = new EndpointDiscovery(config).allocateRelay(server, random);
            return new Facts.Turn(server.toString(), true, true, relayed.map(RealProbes::hostPort),
                    relayed.isPresent() ? "" : "no allocation");
        } catch (TransportException e) {
            return new Facts.Turn(server.toString(), true, false, Optional.empty(), e.getMessage());
        }
    }

    @Override
    public Facts.Relay relay(int index) {
        RelayAddress address = setup.relays().get(index);
        String name = hostPort(address);
        try (RelayConnector connector = RelayConnector.start(address, random);
                RelayClient client = connector.open()) {
            CompletableFuture<RelayClient.State> settled = new CompletableFuture<>();
            client.addStateListener(s -> {
                if (s == RelayClient.State.CONNECTED || s == RelayClient.State.UNREACHABLE) {
                    settled.complete(s);
                }
            });
            RelayClient.State now = client.state();
            if (now == RelayClient.State.CONNECTED || now == RelayClient.State.UNREACHABLE) {
                settled.complete(now);
            }
            RelayClient.State state = settled.get(setup.bound().toMillis(), TimeUnit.MILLISECONDS);
            if (state == RelayClient.State.CONNECTED) {
                return new Facts.Relay(name, true, "Reached over TLS; its certificate matches the pinned"
                        + " fingerprint.");
            }
            return new Facts.Relay(name, false, "Not reached: " + client.lastProblem());
        } catch (RelayException | ExecutionException | TimeoutException e) {
            return new Facts.Relay(name, false, "Not reached: " + (e.getMessage() != null ? e.getMessage()
                    : "no answer in time") + ".");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Facts.Relay(name, false, "Not reached: interrupted.");
        } catch (Exception e) {
            // close() of the client or connector: the verdict above stands, but there is none to return here.
            return new Facts.Relay(name, false, "Not reached: " + e.getClass().getSimpleName() + ".");
        }
    }

    // ---- IPv6 and clock ------------------------------------------------------------------------------------

    @Override
    public Check ipv6() {
        if (!setup.config().ipv6()) {
            return new Check("ipv6", true, "IPv6 is turned off in the settings: only IPv4 is used.",
                    Map.of("enabled", "false"));
        }
        Optional<InetAddress> global = Optional.empty();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp() || nif.isLoopback()) {
                    continue;
                }
                global = global.or(() -> Collections.list(nif.getInetAddresses()).stream()
                        .filter(RealProbes::isGlobalIpv6).findFirst());
            }
        } catch (SocketException e) {
            return Check.fail("ipv6", "Cannot list the network interfaces: " + e.getMessage() + ".");
        }
        if (global.isPresent()) {
            String a = global.get().getHostAddress().replaceFirst("%.*$", "");
            return new Check("ipv6", true, "This machine has a global IPv6 address (" + a + "): peers on IPv6 can"
                    + " reach it without a NAT.", Map.of("enabled", "true", "address", a));
        }
        return new Check("ipv6", false, "No global IPv6 address: only IPv4 is used (fine where IPv4 works).",
                Map.of("enabled", "true"));
    }

    static boolean isGlobalIpv6(InetAddress a) {
        if (!(a instanceof Inet6Address)) {
            return false;
        }
        // fc00::/7 (unique local) is as private as 10/8.
        boolean uniqueLocal = (a.getAddress()[0] & 0xfe) == 0xfc;
        return !a.isLinkLocalAddress() && !a.isSiteLocalAddress() && !a.isLoopbackAddress()
                && !a.isMulticastAddress() && !a.isAnyLocalAddress() && !uniqueLocal;
    }

    /**
     * The clock against what this machine can know without asking anyone: not before this program was built,
     * and within the validity of the home's certificates (its own, the organisation CA's and the member
     * certificate). No network time source is asked: the servers the doctor talks to do not tell the time.
     */
    @Override
    public Check clock() {
        Instant now = clock.instant();
        Map<String, String> d = new LinkedHashMap<>();
        d.put("now", now.toString());
        List<String> problems = new ArrayList<>();
        Optional<Instant> built = buildTime();
        built.ifPresent(b -> d.put("built", b.toString()));
        if (built.isPresent() && now.isBefore(built.get().minus(BUILD_SLACK))) {
            problems.add("before this program was built (" + built.get() + ")");
        }
        List<Path> certificates = new ArrayList<>();
        Path cert = setup.home().resolve("cert");
        certificates.add(cert.resolve("identity.crt"));
        certificates.add(cert.resolve("member.crt"));
        setup.organisationCa().ifPresent(certificates::add);
        int checked = 0;
        for (Path p : certificates) {
            Optional<X509Certificate> c = certificate(p);
            if (c.isEmpty()) {
                continue;
            }
            checked++;
            Instant from = c.get().getNotBefore().toInstant();
            Instant until = c.get().getNotAfter().toInstant();
            if (now.isBefore(from) || now.isAfter(until)) {
                problems.add("outside the validity of " + p + " (" + from + " to " + until + ")");
            }
        }
        d.put("certificates", Integer.toString(checked));
        if (!problems.isEmpty()) {
            return new Check("clock", false, "Your clock says " + now + ", which is " + String.join(" and ",
                    problems) + ".", d);
        }
        return new Check("clock", true, "Plausible: " + now + " is not before this program's build"
                + built.map(b -> " (" + b.toString().substring(0, 10) + ")").orElse(" (unknown)")
                + (checked == 0 ? "; the home has no certificate to compare with" : " and within the validity of "
                        + checked + " certificate(s) in the home") + "; no time server was asked.", d);
    }

    /** When the class files were built: the jar entry's time in the packaged program, the file's in a build tree. */
    static Optional<Instant> buildTime() {
        URL self = RealProbes.class.getResource("RealProbes.class");
        if (self == null) {
            return Optional.empty();
        }
        try {
            long t = self.openConnection().getLastModified();
            return t > 0 ? Optional.of(Instant.ofEpochMilli(t)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<X509Certificate> certificate(Path p) {
        if (!Files.isRegularFile(p)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(p)) {
            return Optional.of((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        } catch (IOException | CertificateException | ClassCastException e) {
            return Optional.empty();
        }
    }

    static String hostPort(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static String hostPort(RelayAddress a) {
        String host = a.host();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.port();
    }
}
