package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;
import org.securep2p.relay.RelayAddress;

import picocli.CommandLine;

/** {@code securep2p relay} and the client's relay options. */
class RelayCommandTest {

    @TempDir
    Path dir;

    /** Thread-safe enough for one writer and a polling reader. */
    private static final class Output extends StringWriter {
        @Override
        public synchronized String toString() {
            return super.toString();
        }
    }

    @Test
    void printsItsAddressRunsUntilStoppedAndKeepsEverythingUnderItsDataFolder() throws Exception {
        RelayCommand command = new RelayCommand();
        Output out = new Output();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out, true));
        Output err = new Output();
        cl.setErr(new PrintWriter(err, true));
        Path data = dir.resolve("relay-data");
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute("--listen", "127.0.0.1:0",
                "--data", data.toString()));
        String line = Await.value(() -> "the relay's address line; stderr: " + err + "; exit " + exit,
                Duration.ofSeconds(30),
                () -> out.toString().lines().filter(l -> l.startsWith("relay: ")).findFirst());
        RelayAddress address = RelayAddress.parse(line.substring("relay: ".length()));
        assertThat(address.host()).isEqualTo("127.0.0.1");
        assertThat(address.port()).isPositive();
        assertThat(exit).isNotDone();
        command.stop();
        assertThat(exit.get(10, TimeUnit.SECONDS)).isEqualTo(Main.OK);
        // Its key stays under --data, so the same address comes back at the next start.
        try (Stream<Path> files = Files.list(data)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).contains("relay-key.pem");
        }
    }

    @Test
    void aStoreThatCannotBeReachedIsOneSentenceAndAFailure() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new RelayCommand());
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute("--listen", "127.0.0.1:0", "--data", dir.resolve("d").toString(), "--store",
                "postgresql://127.0.0.1:" + closed + "/relay?user=relay")).isEqualTo(Main.FAILED);
        assertThat(err.toString()).startsWith("securep2p relay: could not start: The relay's database at 127.0.0.1:"
                + closed + "/relay cannot be reached as relay").hasLineCount(1);
    }

    @Test
    void aStorePasswordFileOthersMayReadIsRefusedAndNeverPrinted() throws Exception {
        Path pw = dir.resolve("pw");
        Files.writeString(pw, "hunter2-Secret\n");
        Files.setPosixFilePermissions(pw, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new RelayCommand());
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute("--listen", "127.0.0.1:0", "--data", dir.resolve("d").toString(), "--store",
                "postgresql://127.0.0.1:5432/relay?user=relay", "--store-password-file", pw.toString()))
                .isEqualTo(Main.USAGE);
        assertThat(err.toString()).contains("may be read by others").doesNotContain("hunter2");
    }

    @Test
    void aBadListenAddressIsAUsageErrorThatSaysWhy() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new RelayCommand());
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute("--listen", "nohostport", "--data", dir.toString())).isEqualTo(Main.USAGE);
        assertThat(err.toString()).contains("HOST:PORT");
    }

    @Test
    void aBadRelayAddressIsAUsageErrorWithTheParsersSentence() throws Exception {
        Home home = new Home(dir.resolve("home"));
        home.createAll();
        Wiring.Options o = new Wiring.Options(home, "alice", org.securep2p.crypto.SecurityLevel.STANDARD, List.of(),
                List.of(), null, java.util.Optional.empty(), java.util.Optional.empty(), true,
                java.util.Optional.empty(), false, List.of("wss://relay.example:443/"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Wiring.run(o, new java.io.ByteArrayInputStream(new byte[0]), new PrintStream(
                new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), new PrintStream(err, true,
                        StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(Main.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("#FINGERPRINT");
    }

    @Test
    void relaysComeFromTheOptionsThenTheConfFileWithoutRepeats() throws Exception {
        Home home = new Home(dir.resolve("home"));
        home.createAll();
        String a = "wss://a.example:443/#" + "11".repeat(32);
        String b = "wss://b.example:8443/#" + "22".repeat(32);
        Files.writeString(home.configFile(), "relay.servers = " + b + " , " + a + "\n");
        Wiring.Options o = new Wiring.Options(home, "alice", org.securep2p.crypto.SecurityLevel.STANDARD, List.of(),
                List.of(), null, java.util.Optional.empty(), java.util.Optional.empty(), true,
                java.util.Optional.empty(), false, List.of(a));
        assertThat(Wiring.relays(o)).containsExactly(RelayAddress.parse(a), RelayAddress.parse(b));
        // The transport's reader of the same file passes over the relay's setting.
        assertThat(Wiring.transportConfig(o)).isNotNull();
    }

    @Test
    void theFirstRelaysCreationPasswordComesFromTheFileTheConfNames() throws Exception {
        Home home = new Home(dir.resolve("home"));
        home.createAll();
        Wiring.Options o = new Wiring.Options(home, "alice", org.securep2p.crypto.SecurityLevel.STANDARD, List.of(),
                List.of(), null, java.util.Optional.empty(), java.util.Optional.empty(), true,
                java.util.Optional.empty(), false, List.of());
        assertThat(Wiring.relayPassword(o)).isEmpty();
        Path file = dir.resolve("relay-password");
        Files.writeString(file, "owners only\n");
        Files.writeString(home.configFile(), "relay.password_file = " + file + "\n");
        assertThat(Wiring.relayPassword(o)).hasValueSatisfying(
                b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("owners only"));
        // The transport's reader of the same file passes over the setting.
        assertThat(Wiring.transportConfig(o)).isNotNull();
        Files.writeString(file, "\n");
        assertThatThrownBy(() -> Wiring.relayPassword(o)).hasMessageContaining("is empty");
        Files.delete(file);
        assertThatThrownBy(() -> Wiring.relayPassword(o)).hasMessageContaining("cannot read");
    }
}
