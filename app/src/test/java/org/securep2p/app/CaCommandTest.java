package org.securep2p.app;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.transport.cert.OrganisationTrust;
import org.securep2p.transport.cert.TransportCertificate;

import picocli.CommandLine;
import org.securep2p.crypto.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code securep2p ca ...} through picocli, with a fixed storage key in place of the key-manager child. */
class CaCommandTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Instant START = Instant.parse("2026-11-23T12:00:00Z");

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final MutableClock clock = new MutableClock(START);
    /** Every key the seam handed out, to check that each command wiped its own. */
    private final List<SecretBytes> handedOut = new ArrayList<>();
    private final AtomicInteger ownersClosed = new AtomicInteger();
    private CaCommand.KeySource keys;
    private Path home;
    private Path requests;

    @BeforeEach
    void setUp() throws Exception {
        home = dir.resolve("lead");
        requests = Files.createDirectories(dir.resolve("requests"));
        keys = h -> {
            byte[] k = new byte[32];
            java.util.Arrays.fill(k, (byte) 3);
            SecretBytes key = SecretBytes.copyOf(k);
            handedOut.add(key);
            return new CaCommand.OpenKey(key, ownersClosed::incrementAndGet);
        };
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        CommandLine cl = Main.commandLine(new Main(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        // Main may register the real command (key-manager child); the test's has the fixed key instead.
        if (cl.getSubcommands().containsKey("ca")) {
            cl.getCommandSpec().removeSubcommand("ca");
        }
        cl.addSubcommand("ca", new CaCommand(h -> keys.open(h), clock));
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        List<String> all = new ArrayList<>(List.of("--home", home.toString(), "ca"));
        all.addAll(List.of(args));
        return cl.execute(all.toArray(String[]::new));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private InMemoryPrivateKeys member(String name) throws Exception {
        InMemoryPrivateKeys k = InMemoryPrivateKeys.generate(RANDOM, clock, 0, 0);
        Path certDir = dir.resolve("member-" + name).resolve("cert");
        TransportCertificate.loadOrCreate(certDir, k, clock);
        Files.copy(certDir.resolve("identity.crt"), requests.resolve(name + ".crt"));
        return k;
    }

    @Test
    void initIssueListRevokeAndRenewPrintWhatTheLeadNeeds() throws Exception {
        InMemoryPrivateKeys alice = member("alice");
        InMemoryPrivateKeys bob = member("bob");

        assertThat(run("init", "Control")).as(err()).isEqualTo(Main.OK);
        assertThat(out()).contains("created CA \"Control\"", "ca.crt", "ca.crl", "ca-key.sealed");

        assertThat(run("issue", "--requests", requests.toString(), "--days", "30", "alice", "bob"))
                .as(err()).isEqualTo(Main.OK);
        Path issued = home.toAbsolutePath().resolve("ca").resolve("issued");
        String until = START.plus(java.time.Duration.ofDays(30)).toString();
        assertThat(out()).contains(
                "issued alice: fingerprint " + alice.identity().fingerprint().displayString() + ", valid until "
                        + until + " -> " + issued.resolve("alice.crt"),
                "issued bob: fingerprint " + bob.identity().fingerprint().displayString() + ", valid until "
                        + until + " -> " + issued.resolve("bob.crt"),
                "Give each member their certificate (save it as cert/member.crt in their home) together with "
                        + "cert/ca.crt and cert/ca.crl; they run with --trust ca:PATH/TO/ca.crt");
        OrganisationTrust trust = OrganisationTrust.load(home.resolve("cert/ca.crt"), clock);
        assertThat(TransportCertificate.loadMember(issued.resolve("alice.crt"), alice, trust).memberName())
                .contains("alice");

        assertThat(run("list")).isEqualTo(Main.OK);
        assertThat(out().lines().toList()).hasSize(2)
                .anySatisfy(l -> assertThat(l).startsWith("alice  active  valid until " + until))
                .anySatisfy(l -> assertThat(l).startsWith("bob  active"));

        assertThat(run("revoke", "alice")).as(err()).isEqualTo(Main.OK);
        assertThat(out()).contains("revoked alice: serial ", "ca.crl", "they still accept alice's certificate");
        assertThat(run("list")).isEqualTo(Main.OK);
        assertThat(out()).contains("alice  revoked", "bob  active");

        assertThat(run("renew-crl")).as(err()).isEqualTo(Main.OK);
        assertThat(out()).contains("wrote ", "ca.crl", "current until");

        // init, issue, revoke and renew-crl each took a key and gave it back wiped; list needs none.
        assertThat(handedOut).hasSize(4).allSatisfy(k -> assertThat(k.isDestroyed()).isTrue());
        assertThat(ownersClosed).hasValue(4);
    }

    @Test
    void refusalsExitWithFailedAndSayWhatToDo() throws Exception {
        member("alice");
        assertThat(run("issue", "--requests", requests.toString(), "alice")).isEqualTo(Main.FAILED);
        assertThat(err()).contains("ca init");

        assertThat(run("init", "Control")).isEqualTo(Main.OK);
        assertThat(run("init", "Control")).isEqualTo(Main.FAILED);
        assertThat(err()).contains("already exists");

        assertThat(run("issue", "--requests", requests.toString(), "alice")).isEqualTo(Main.OK);
        assertThat(run("issue", "--requests", requests.toString(), "alice")).isEqualTo(Main.FAILED);
        assertThat(err()).contains("securep2p ca revoke alice");

        assertThat(run("revoke", "carol")).isEqualTo(Main.FAILED);
        assertThat(err()).contains("carol");
        assertThat(handedOut).allSatisfy(k -> assertThat(k.isDestroyed()).isTrue());
    }

    @Test
    void badArgumentsAreUsageErrorsAndAskForNoKey() {
        assertThat(run()).isEqualTo(Main.USAGE);
        assertThat(err()).contains("init", "issue", "revoke", "list", "renew-crl");
        assertThat(run("issue")).isEqualTo(Main.USAGE);
        assertThat(run("issue", "--days", "0", "alice")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("--days");
        assertThat(run("issue", "../evil")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("member name");
        assertThat(run("init", " Control")).isEqualTo(Main.USAGE);
        assertThat(run("revoke")).isEqualTo(Main.USAGE);
        assertThat(run("frobnicate")).isEqualTo(Main.USAGE);
        assertThat(handedOut).isEmpty();
    }

    @Test
    void aKeyManagerThatIsNotAvailableIsReported() {
        keys = h -> {
            throw new AppException(AppException.Reason.KEY_MANAGER, "It did not start: test");
        };
        assertThat(run("init", "Control")).isEqualTo(Main.FAILED);
        assertThat(err()).contains("The key manager is not available.", "It did not start: test");
        assertThat(home.resolve("cert/ca.crt")).doesNotExist();
    }

    @Test
    void listBeforeInitFailsAndListAfterInitIsEmpty() {
        assertThat(run("list")).isEqualTo(Main.FAILED);
        assertThat(err()).contains("ca init");
        assertThat(run("init", "Control")).isEqualTo(Main.OK);
        assertThat(run("list")).isEqualTo(Main.OK);
        assertThat(out()).contains("no certificates issued yet");
    }
}
