package org.securep2p.keymanager;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.HandshakeResult;
import org.securep2p.crypto.HybridHandshake;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.InitialMessage;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Real child JVMs: the launcher, parent death, a killed child and restart, and a client of another uid. */
class KeyManagerProcessIT {

    /** Generous bound for a JVM to notice end of file and exit on a loaded 2-core machine. */
    private static final long EXIT_BOUND_SECONDS = 20;

    @TempDir
    Path temp;

    private final SecureRandom random = new SecureRandom();

    private void assertHandshakeWorks(KeyManagerClient bob) throws Exception {
        HybridHandshake handshake = new HybridHandshake(random, Clock.systemUTC());
        try (InMemoryPrivateKeys alice = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0)) {
            PreKeyBundle bundle = bob.preKeyBundle();
            try (HandshakeResult a = handshake.initiate(alice, bundle, SecurityLevel.QUANTUM_RESISTANT,
                    bob.identity().fingerprint(), new byte[] {1, 2, 3});
                    HandshakeResult b = handshake.respond(bob, bundle,
                            InitialMessage.decode(a.initialMessage().orElseThrow().encode()),
                            SecurityLevel.QUANTUM_RESISTANT)) {
                assertThat(a.sessionSecret().equalsConstantTime(b.sessionSecret())).isTrue();
            }
        }
    }

    @Test
    void handshakeThroughAChildAndItExitsByItselfWhenStdinCloses() throws Exception {
        KeyManagerProcess p = KeyManagerProcess.start(temp.resolve("km"), random);
        ProcessHandle child = ProcessHandle.of(p.pid()).orElseThrow();
        assertHandshakeWorks(p.client());
        p.close();
        assertThat(child.onExit().get(EXIT_BOUND_SECONDS, TimeUnit.SECONDS).isAlive()).isFalse();
        // 0, not 137: it left because stdin ended, not because close() had to kill it.
        assertThat(p.process().exitValue()).isEqualTo(0);
        assertThat(temp.resolve("km").resolve(KeyManagerServer.SOCKET_FILE_NAME)).doesNotExist();
    }

    @Test
    void childDoesNotOutliveAParentThatIsKilled() throws Exception {
        Process parent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), KeyManagerProcessParentMain.class.getName(),
                temp.resolve("km").toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String pidLine = new BufferedReader(new InputStreamReader(parent.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            ProcessHandle child = ProcessHandle.of(Long.parseLong(pidLine)).orElseThrow();
            assertThat(child.isAlive()).isTrue();
            parent.destroyForcibly().waitFor();
            // SIGKILL gives the parent no chance to clean up; the kernel closes its end of the child's stdin.
            child.onExit().get(EXIT_BOUND_SECONDS, TimeUnit.SECONDS);
            assertThat(child.isAlive()).isFalse();
        } finally {
            parent.destroyForcibly();
        }
    }

    @Test
    void killedChildIsDetectedAndRestartBringsItBack() throws Exception {
        try (KeyManagerProcess p = KeyManagerProcess.start(temp.resolve("km"), random)) {
            KeyManagerClient first = p.client();
            ProcessHandle.of(p.pid()).orElseThrow().destroyForcibly();
            p.process().waitFor(EXIT_BOUND_SECONDS, TimeUnit.SECONDS);
            assertThat(p.isAlive()).isFalse();
            assertThatThrownBy(first::preKeyBundle).isInstanceOf(KeyManagerClient.UnavailableException.class);
            p.restart();
            assertThat(p.isAlive()).isTrue();
            assertThat(p.client()).isNotSameAs(first);
            assertHandshakeWorks(p.client());
        }
    }

    /** The value columns of the {@code /proc/<pid>/limits} line starting with {@code name}, e.g. [0, 0, bytes]. */
    private static String[] limit(long pid, String name) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
            if (line.startsWith(name)) {
                return line.substring(name.length()).trim().split("\\s+");
            }
        }
        throw new AssertionError("no " + name + " in /proc/" + pid + "/limits");
    }

    private static long statusKb(long pid, String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
            }
        }
        throw new AssertionError("no " + field + " in /proc/" + pid + "/status");
    }

    /**
     * What a real launched child's hardening looks like from outside, in /proc (readable to us: same uid, root).
     * The core-file limit: the child's hard limit is 0 where ours is not, which only its own setrlimit can do
     * (a process can lower, never raise, and we did not). Memory locking: VmLck is non-zero exactly when the
     * child could lock (it inherits our CAP_IPC_LOCK or an unlimited RLIMIT_MEMLOCK).
     *
     * <p>The dumpable flag has no sound observable here. /proc shows it only as the owner of /proc/pid files
     * (root when non-dumpable), which is root either way for a root child; a reader with CAP_SYS_PTRACE is let
     * through regardless of it; a reader without CAP_SYS_PTRACE is refused by the capability check (the child's
     * permitted set is not a subset of the reader's) whether or not the child is dumpable. So it is checked
     * from inside, with PR_GET_DUMPABLE, in ProcessHardeningTest, and the same call sets it here.
     */
    @Test
    void launchedChildHasNoCoreFileLimitAndLocksMemoryWhenPermitted() throws Exception {
        if (!System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return;
        }
        long self = ProcessHandle.current().pid();
        try (KeyManagerProcess p = KeyManagerProcess.start(temp.resolve("km"), random)) {
            String[] childCore = limit(p.pid(), "Max core file size");
            assertThat(childCore[0]).isEqualTo("0");
            assertThat(childCore[1]).isEqualTo("0");
            if (!limit(self, "Max core file size")[1].equals("0")) {
                System.out.println("KeyManagerProcessIT: child's hard core limit 0, ours "
                        + limit(self, "Max core file size")[1] + ": the child lowered it");
            }
            boolean mayLock = limit(self, "Max locked memory")[0].equals("unlimited") || hasCapIpcLock();
            long locked = statusKb(p.pid(), "VmLck");
            System.out.println("KeyManagerProcessIT: child VmLck " + locked + " kB, may lock " + mayLock);
            assertThat(locked > 0).isEqualTo(mayLock);
            assertThat(statusKb(self, "VmLck")).as("the launcher itself is not hardened").isZero();
            assertHandshakeWorks(p.client());
        }
    }

    /** One malloc arena: each further one kept a few MiB resident and locked after the start (issue 15). */
    @Test
    void childRunsWithOneMallocArena() throws Exception {
        if (!System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return;
        }
        try (KeyManagerProcess p = KeyManagerProcess.start(temp.resolve("km"), random)) {
            byte[] environ = Files.readAllBytes(Path.of("/proc/" + p.pid() + "/environ"));
            assertThat(new String(environ, java.nio.charset.StandardCharsets.UTF_8).split("\0"))
                    .contains("MALLOC_ARENA_MAX=1");
        }
    }

    private static boolean hasCapIpcLock() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << ProcessHardening.CAP_IPC_LOCK))
                        != 0;
            }
        }
        return false;
    }

    /**
     * A JDK-only client, run as {@code nobody}: it gets the right token on stdin, so a refusal can only come
     * from the SO_PEERCRED uid check. Source-launch mode keeps it independent of the (root-only) class path.
     */
    private static final String FOREIGN_CLIENT = """
            import java.net.*; import java.nio.*; import java.nio.channels.*; import java.util.HexFormat;
            public class ForeignClient { public static void main(String[] a) throws Exception {
              byte[] token = HexFormat.of().parseHex(new String(System.in.readNBytes(64)));
              try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(a[0]));
                ByteBuffer hello = ByteBuffer.allocate(4 + 6 + 32).putInt(38).put((byte) 1).put((byte) 1)
                    .putInt(0).put(token).flip();
                try { while (hello.hasRemaining()) ch.write(hello); } catch (java.io.IOException e) { }
                int n; try { n = ch.read(ByteBuffer.allocate(64)); } catch (java.io.IOException e) { n = -1; }
                System.out.println(n < 0 ? "REFUSED" : "ANSWERED");
              } catch (java.io.IOException e) { System.out.println("CONNECT_FAILED " + e.getMessage()); }
            } }
            """;

    @Test
    void clientOfAnotherUidIsRefused() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            // setpriv --reuid needs root; this runs in CI and the dev container, which are root.
            return;
        }
        Path base = Files.createTempDirectory("km-uid");
        byte[] token = new byte[IpcCodec.TOKEN_LENGTH];
        random.nextBytes(token);
        try (InMemoryPrivateKeys keys = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0);
                KeyManagerServer server = KeyManagerServer.start(base.resolve("km"), token, keys)) {
            // Loosen the path on purpose, for this test only: with 0700/0600 the kernel already stops nobody at
            // connect() (EACCES), and we want to see the server's own SO_PEERCRED check refuse it.
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
            Files.setPosixFilePermissions(base.resolve("km"), PosixFilePermissions.fromString("rwx--x--x"));
            Files.setPosixFilePermissions(server.socketPath(), PosixFilePermissions.fromString("rw-rw-rw-"));
            Path source = base.resolve("ForeignClient.java");
            Files.writeString(source, FOREIGN_CLIENT);
            Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-r--r--"));
            Process client = new ProcessBuilder("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), source.toString(),
                    server.socketPath().toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (OutputStream in = client.getOutputStream()) {
                in.write(HexFormat.of().formatHex(token).getBytes(StandardCharsets.US_ASCII));
            }
            String out = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            assertThat(client.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(out).isEqualTo("REFUSED");
            assertThat(server.refusedPeers()).isEqualTo(1);
            // The same token from our own uid is served: the refusal was the uid, not the token.
            try (KeyManagerClient own = KeyManagerClient.connect(server.socketPath(), token)) {
                assertThat(own.identity()).isEqualTo(keys.identity());
            }
        } finally {
            try (var files = Files.walk(base)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
