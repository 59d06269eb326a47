package org.securep2p.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;

import org.securep2p.app.org.CaFolders;
import org.securep2p.app.org.OrganisationCa;
import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.keymanager.KeyManagerProcess;
import org.securep2p.keymanager.KeyManagerRole;
import org.securep2p.transport.cert.OrganisationAuthority;
import org.securep2p.transport.cert.OrganisationAuthority.IssuedCertificate;
import org.securep2p.transport.TransportException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code securep2p ca}: the team lead's organisation CA (PROTOCOL.md section 21): {@code init}, {@code issue},
 * {@code revoke}, {@code list} and {@code renew-crl}, on the CA state in the home ({@link OrganisationCa}).
 * The commands that sign get the storage key for role {@code ca} from the key-manager child, as the chat does,
 * hold the home's lock while they run (one writer per home: the register and the key manager's own files), and
 * close the key and the child before they return, whatever happens.
 *
 * <p>Not its job: the files and their rules ({@link OrganisationCa}); this class parses, asks for the key,
 * and prints.
 */
@Command(name = "ca", mixinStandardHelpOptions = true,
        description = "Your organisation's certificate authority: vouch for your members' identities and names.",
        subcommands = {CaCommand.Init.class, CaCommand.Issue.class, CaCommand.Revoke.class,
                CaCommand.ListCertificates.class, CaCommand.RenewCrl.class})
final class CaCommand implements Callable<Integer> {

    /** Member certificates outliving the CA's own certificate would be refused with it anyway. */
    static final int MAX_DAYS = 10 * 365;
    static final String STORAGE_KEY_PURPOSE = KeyManagerRole.CA_PURPOSE;

    /** Where a command gets the CA's storage key: the key-manager child in the program, a fixed key in tests. */
    @FunctionalInterface
    interface KeySource {
        /**
         * The storage key for role {@code ca}, with whatever produced it; closing the result wipes the key
         * and stops that.
         *
         * @throws AppException {@code KEY_MANAGER} saying why the key is not available
         */
        OpenKey open(Home home) throws AppException;
    }

    /** A storage key and its owner (the key-manager child), closed together: key first. */
    static final class OpenKey implements AutoCloseable {
        private final SecretBytes key;
        private final AutoCloseable owner;

        OpenKey(SecretBytes key, AutoCloseable owner) {
            this.key = Objects.requireNonNull(key, "key");
            this.owner = Objects.requireNonNull(owner, "owner");
        }

        SecretBytes key() {
            return key;
        }

        @Override
        public void close() {
            try {
                key.close();
            } finally {
                try {
                    owner.close();
                } catch (Exception ignored) {
                    // Best effort on the way out: the key is already wiped.
                }
            }
        }

        @Override
        public String toString() {
            return "OpenKey[" + key.length() + " bytes]";
        }
    }

    /** What a command does with the CA once the key is there. */
    @FunctionalInterface
    private interface Action {
        int run(OrganisationCa ca, PrintWriter out) throws StoreException;
    }

    @ParentCommand
    Main parent;

    @Spec
    CommandSpec spec;

    private final KeySource keys;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    /** For picocli: the key from the key-manager child. */
    CaCommand() {
        this(CaCommand::keyManagerKey, Clock.systemUTC());
    }

    /** Tests: another source of the storage key, and a clock. */
    CaCommand(KeySource keys, Clock clock) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Integer call() {
        err().println("securep2p ca: name a command: init, issue, revoke, list or renew-crl");
        spec.commandLine().usage(err());
        return Main.USAGE;
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }

    private PrintWriter err() {
        return spec.commandLine().getErr();
    }

    private Home home() {
        return parent.home();
    }

    /** True if every name is acceptable; otherwise false, the complaint printed. */
    private boolean namesValid(List<String> names, String what, boolean toCertify) {
        for (String name : names) {
            try {
                if (toCertify) {
                    OrganisationAuthority.checkNewName(name, what);
                } else {
                    OrganisationAuthority.checkName(name, what);
                }
            } catch (TransportException e) {
                err().println("securep2p ca: \"" + name + "\": " + e.getMessage());
                return false;
            }
        }
        return true;
    }

    /** Runs {@code action} with the CA open under the home's lock; the key and its child closed in any case. */
    private int withCa(Action action) {
        Home h = home();
        try {
            h.createAll();
        } catch (IOException e) {
            err().println("securep2p ca: cannot use the home folder " + h.root() + ": " + e.getMessage());
            return Main.FAILED;
        }
        // The same lock as the chat's: a second key manager on the same keys/ would race the first one's writes.
        try (FileChannel lockChannel = FileChannel.open(h.root().resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                err().println("securep2p ca: another securep2p is running with the home folder " + h.root()
                        + "; stop it first (the ca commands use the same key manager).");
                return Main.FAILED;
            }
            try (OpenKey key = keys.open(h);
                 OrganisationCa ca = new OrganisationCa(h.caFolders(), key.key(), random, clock)) {
                return action.run(ca, out());
            } catch (AppException e) {
                err().println("securep2p ca: " + e.getMessage());
                return Main.FAILED;
            } catch (StoreException e) {
                err().println("securep2p ca: " + e.getMessage());
                return Main.FAILED;
            }
        } catch (IOException e) {
            err().println("securep2p ca: cannot lock the home folder " + h.root() + ": " + e.getMessage());
            return Main.FAILED;
        }
    }

    /** The production key source: the key-manager child, started as the chat starts it (see {@link Wiring}). */
    private static OpenKey keyManagerKey(Home h) throws AppException {
        // Before any logger exists: logback reads the folder from this property.
        System.setProperty("securep2p.logs", h.logs().toString());
        Path log = h.logs().resolve("keymanager.log");
        KeyManagerProcess process;
        try {
            // Started for the CA role: only such a key manager derives the "ca" storage key (PROTOCOL.md 16.4).
            process = KeyManagerProcess.start(h.socketDir(), h.keys(), new SecureRandom(), log,
                    TerminalPassphrase.ofConsole(() -> true), KeyManagerRole.CA);
        } catch (IOException e) {
            StringBuilder detail = new StringBuilder("It did not start: ").append(e.getMessage());
            KeyManagerDiagnostics.lastFailure(log).ifPresent(reason -> detail.append("\n  ").append(reason));
            detail.append("\n  ").append(TerminalPassphrase.HINT).append(" Details: ").append(log);
            throw new AppException(AppException.Reason.KEY_MANAGER, detail.toString(), e);
        }
        try {
            SupervisedKeys supervised = new SupervisedKeys(process, notice -> { });
            return new OpenKey(supervised.storageKey(STORAGE_KEY_PURPOSE), process);
        } catch (CryptoException | RuntimeException e) {
            process.close();
            throw new AppException(AppException.Reason.KEY_MANAGER, "It refused the CA's storage key: "
                    + e.getMessage(), e);
        }
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create the CA: its key (sealed like your other keys), cert/ca.crt and cert/ca.crl.")
    static final class Init implements Callable<Integer> {
        @ParentCommand
        CaCommand ca;

        @Parameters(paramLabel = "NAME", description = "The organisation's name, as members will see it.")
        String name;

        @Override
        public Integer call() {
            if (!ca.namesValid(List.of(name), "CA name", true)) {
                return Main.USAGE;
            }
            return ca.withCa((c, out) -> {
                c.init(name);
                CaFolders h = ca.home().caFolders();
                out.println("created CA \"" + name + "\": certificate " + OrganisationCa.certificateFile(h)
                        + ", revocation list " + OrganisationCa.crlFile(h));
                out.println("The CA key is sealed in " + OrganisationCa.sealedKeyFile(h) + "; back up the whole "
                        + "home folder. Next: collect each member's cert/identity.crt as NAME.crt and run "
                        + "securep2p ca issue NAME...");
                return Main.OK;
            });
        }
    }

    @Command(name = "issue", mixinStandardHelpOptions = true,
            description = "Issue member certificates, all or none, from the members' own cert/identity.crt.")
    static final class Issue implements Callable<Integer> {
        @ParentCommand
        CaCommand ca;

        @Parameters(paramLabel = "NAME", arity = "1..*",
                description = "Member names; each needs a request DIR/NAME.crt (the member's cert/identity.crt).")
        List<String> names;

        @Option(names = "--requests", paramLabel = "DIR", defaultValue = "",
                description = "Folder holding NAME.crt for each member (default: the working directory).")
        Path requests;

        @Option(names = "--days", paramLabel = "N", defaultValue = "365",
                description = "Days the certificates are valid (default: 365).")
        int days;

        @Override
        public Integer call() {
            if (days < 1 || days > MAX_DAYS) {
                ca.err().println("securep2p ca: --days must be 1.." + MAX_DAYS);
                return Main.USAGE;
            }
            if (!ca.namesValid(names, "member name", true)) {
                return Main.USAGE;
            }
            return ca.withCa((c, out) -> {
                List<IssuedCertificate> issued = c.issue(names, requests, Duration.ofDays(days));
                for (IssuedCertificate i : issued) {
                    out.println("issued " + i.name() + ": fingerprint " + i.fingerprint().displayString()
                            + ", valid until " + i.notAfter() + " -> " + c.issuedFile(i.name()));
                }
                out.println("Compare each fingerprint with the member's own (their safety-number screen) before "
                        + "handing out the certificate.");
                out.println("Give each member their certificate (save it as cert/member.crt in their home) together "
                        + "with cert/ca.crt and cert/ca.crl; they run with --trust ca:PATH/TO/ca.crt");
                return Main.OK;
            });
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke a member's certificate and write a new cert/ca.crl.")
    static final class Revoke implements Callable<Integer> {
        @ParentCommand
        CaCommand ca;

        @Parameters(paramLabel = "NAME", description = "The member whose certificate to revoke.")
        String name;

        @Override
        public Integer call() {
            if (!ca.namesValid(List.of(name), "member name", false)) {
                return Main.USAGE;
            }
            return ca.withCa((c, out) -> {
                for (OrganisationCa.Entry e : c.revoke(name)) {
                    out.println("revoked " + e.name() + ": serial " + e.serialHex() + ", fingerprint "
                            + e.fingerprint().displayString() + ", as of " + e.revokedAt().orElseThrow());
                }
                out.println("Give every member the new " + OrganisationCa.crlFile(ca.home().caFolders())
                        + ": until they have it (save it beside their ca.crt), they still accept " + name
                        + "'s certificate.");
                return Main.OK;
            });
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the certificates issued: name, status, expiry, serial, fingerprint.")
    static final class ListCertificates implements Callable<Integer> {
        @ParentCommand
        CaCommand ca;

        @Override
        public Integer call() {
            // The register holds no secret: no key, no key manager, no lock (files are replaced atomically).
            List<OrganisationCa.Entry> entries;
            try {
                entries = OrganisationCa.list(ca.home().caFolders());
            } catch (StoreException e) {
                ca.err().println("securep2p ca: " + e.getMessage());
                return Main.FAILED;
            }
            PrintWriter out = ca.out();
            if (entries.isEmpty()) {
                out.println("no certificates issued yet");
                return Main.OK;
            }
            Instant now = ca.clock.instant();
            for (OrganisationCa.Entry e : entries) {
                out.println(e.name() + "  " + e.status(now).label() + "  valid until " + e.notAfter()
                        + e.revokedAt().map(at -> "  revoked " + at).orElse("") + "  serial " + e.serialHex()
                        + "  fingerprint " + e.fingerprint().displayString());
            }
            return Main.OK;
        }
    }

    @Command(name = "renew-crl", mixinStandardHelpOptions = true,
            description = "Write a fresh cert/ca.crl: members refuse one older than 30 days.")
    static final class RenewCrl implements Callable<Integer> {
        @ParentCommand
        CaCommand ca;

        @Override
        public Integer call() {
            return ca.withCa((c, out) -> {
                Instant nextUpdate = c.renewCrl();
                out.println("wrote " + OrganisationCa.crlFile(ca.home().caFolders()) + ", current until " + nextUpdate
                        + "; give it to every member before then, and renew it again.");
                return Main.OK;
            });
        }
    }
}
