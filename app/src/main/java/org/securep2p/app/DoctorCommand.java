package org.securep2p.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.securep2p.app.doctor.Doctor;
import org.securep2p.app.doctor.DoctorReport;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.TransportConfig;
import org.securep2p.transport.TransportException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code securep2p [--home DIR] [--stun …] [--turn …] [--relay …] doctor [--json] [--timeout SECONDS]}: checks what
 * works on this machine and network with the settings a start would use, and says what to do ({@link Doctor}).
 * Prints one ✔/✗ line per check and the advice, or with {@code --json} the same as one JSON object. Exit 0 when
 * every check passed, 1 when one did not, 2 for bad settings.
 *
 * <p>Not its job: changing the home. It creates nothing there but the key manager's usual files when it opens
 * keys kept in the OS keyring.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Check key protection, the home, STUN, NAT, UDP, TURN, relays, IPv6 and the clock; say what"
                + " to do. Give the network options (--stun, --turn, --relay) before 'doctor'.")
final class DoctorCommand implements Callable<Integer> {

    @ParentCommand
    Main parent;

    @Option(names = "--json", description = "Print the report as one JSON object.")
    boolean json;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "The longest any one check may take (default 20).")
    int timeoutSeconds = 20;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (timeoutSeconds < 1 || timeoutSeconds > 600) {
            err.println("securep2p doctor: --timeout is 1..600 seconds");
            return Main.USAGE;
        }
        Home h = parent.home();
        try {
            // Before any logger exists: never a folder made in the working directory, nor a home made here.
            Path logs = Files.isDirectory(h.logs()) ? h.logs() : Files.createTempDirectory("securep2p-doctor-");
            System.setProperty("securep2p.logs", logs.toString());
            // ice4j reports through java.util.logging, which would print on the terminal: to the logs, as a start does.
            org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
            org.slf4j.bridge.SLF4JBridgeHandler.install();
        } catch (IOException e) {
            err.println("securep2p doctor: cannot make a folder for the logs: " + e.getMessage());
            return Main.FAILED;
        }
        Wiring.Options options = new Wiring.Options(h, "", SecurityLevel.DEFAULT, parent.stun, parent.turn,
                parent.turnUser, Optional.ofNullable(parent.turnPasswordFile), Optional.empty(), false,
                Optional.empty(), false, parent.relay);
        Doctor.Setup setup;
        try {
            setup = setup(options, organisationCa(h), Duration.ofSeconds(timeoutSeconds));
        } catch (TransportException | IOException | AppException e) {
            err.println("securep2p doctor: " + e.getMessage());
            return Main.USAGE;
        }
        DoctorReport report = Doctor.run(setup, new SecureRandom());
        out.print(json ? report.json() + System.lineSeparator() : report.text());
        out.flush();
        return report.ok() ? Main.OK : Main.FAILED;
    }

    /** What the doctor checks for a start with {@code o}: its transport settings, relays and organisation CA. */
    static Doctor.Setup setup(Wiring.Options o, Optional<Path> organisationCa, Duration bound)
            throws TransportException, IOException {
        TransportConfig config = Wiring.transportConfig(o);
        return new Doctor.Setup(o.home().root(), config, Wiring.relays(o), organisationCa, System.getenv(), bound);
    }

    /**
     * Registers the doctor of a start with {@code o} for the TUI's menu entry (settings that do not parse never
     * reach the TUI: the start stops first).
     */
    static void register(Wiring.Options o) {
        Doctor.register(() -> {
            try {
                return Doctor.run(setup(o, o.organisationCa(), TUI_BOUND), new SecureRandom());
            } catch (TransportException | IOException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        });
    }

    /** The bound of each check from the TUI: shorter than the command's, the user is looking at a screen. */
    static final Duration TUI_BOUND = Duration.ofSeconds(15);

    /** The CA certificate of organisation mode: {@code --trust ca:PATH}, else the profile's setting. */
    private Optional<Path> organisationCa(Home h) throws AppException {
        String trust = parent.trust;
        if (trust == null && Files.exists(h.profileFile())) {
            trust = Profile.load(h.profileFile()).trust().orElse(null);
        }
        if (trust == null || !trust.strip().startsWith(Profile.TRUST_CA_PREFIX)) {
            return Optional.empty();
        }
        return Optional.of(Path.of(trust.strip().substring(Profile.TRUST_CA_PREFIX.length())));
    }
}
