package org.securep2p.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A team lead's CA and its members' homes, made with the real program's {@code ca} commands, for the
 * organisation-mode tests (headless and TUI).
 */
final class OrganisationLab {

    private final Path jar;
    private final Path passphraseFile;
    private final Path scratch;

    OrganisationLab(Path jar, Path passphraseFile, Path scratch) {
        this.jar = jar;
        this.passphraseFile = passphraseFile;
        this.scratch = scratch;
    }

    /** The output of a one-shot command of the program ({@code ca …}, or a start that must fail). */
    record Run(int exit, String out, String err) {
    }

    Run run(Path home, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "--home", home.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("SECUREP2P_PASSPHRASE_FILE", passphraseFile.toString());
        pb.environment().put("DBUS_SESSION_BUS_ADDRESS", "disabled:");
        Files.createDirectories(home);
        Files.createDirectories(scratch);
        Path out = Files.createTempFile(scratch, "out", ".txt");
        Path err = Files.createTempFile(scratch, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("securep2p " + String.join(" ", args) + " did not finish");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    Run ok(Path home, String... args) throws Exception {
        Run r = run(home, args);
        assertThat(r.exit()).as("securep2p %s\nout: %s\nerr: %s", String.join(" ", args), r.out(), r.err())
                .isZero();
        return r;
    }

    /** A lead's new CA named {@code caName} in {@code lead}; returns its certificate (cert/ca.crt). */
    Path newCa(Path lead, String caName) throws Exception {
        ok(lead, "ca", "init", caName);
        Path caCert = lead.resolve("cert/ca.crt");
        assertThat(caCert).exists();
        assertThat(lead.resolve("cert/ca.crl")).exists();
        return caCert;
    }

    /**
     * A new member's first start in organisation mode: refused for want of a member certificate, saying what to
     * do, after making {@code cert/identity.crt} (the request for the CA).
     */
    void firstStart(Path home, String name, Path caCert, Path config) throws Exception {
        Files.createDirectories(home);
        Files.copy(config, home.resolve("securep2p.conf"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Run r = run(home, "--json", "--name", name, "--trust", "ca:" + caCert);
        assertThat(r.exit()).as(r.err()).isNotZero();
        assertThat(r.err()).contains("member certificate").contains("identity.crt");
        assertThat(home.resolve("cert/identity.crt")).exists();
    }

    /** The lead issues to every {@code member name -> home} at once; each home gets its cert/member.crt. */
    void issue(Path lead, Map<String, Path> members) throws Exception {
        Path requests = lead.resolve("requests");
        Files.createDirectories(requests);
        List<String> args = new ArrayList<>(List.of("ca", "issue", "--requests", requests.toString()));
        for (Map.Entry<String, Path> m : members.entrySet()) {
            Files.copy(m.getValue().resolve("cert/identity.crt"), requests.resolve(m.getKey() + ".crt"));
            args.add(m.getKey());
        }
        Run r = ok(lead, args.toArray(String[]::new));
        for (Map.Entry<String, Path> m : members.entrySet()) {
            assertThat(r.out()).contains(m.getKey());
            Files.copy(lead.resolve("ca/issued/" + m.getKey() + ".crt"), m.getValue().resolve("cert/member.crt"));
        }
    }
}
