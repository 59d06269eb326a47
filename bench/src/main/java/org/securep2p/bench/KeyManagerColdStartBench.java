package org.securep2p.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.keymanager.KeyManagerProcess;

/**
 * Cold start of the key-manager process: wall-clock time from {@code KeyManagerProcess.start(socketDir, keyDir,
 * random, log)} being called until it returns, which is when the child has answered the first IPC call (HELLO,
 * with the identity); and, separately, the first PREKEY_BUNDLE after it. For each master-key protection (OS
 * keyring, passphrase), each case (first run: a new key directory, the identity is made; restore: the same
 * directory again) and with and without the child's class-data archive (PROTOCOL.md 18, start-up). Each row also
 * shows the child's own account of its median start (the "serving after" line it writes to its log: time from
 * {@code main} per phase; the rest of the wall-clock figure is the JVM's own start and the launcher's pipe).
 * Prints one table; wall-clock, so run it several times on a quiet machine and look at the spread.
 *
 * <p>Each protection and archive setting runs in its own worker JVM (same class path) because the child inherits
 * the launcher's environment: the passphrase worker gets {@code SECUREP2P_PASSPHRASE_FILE} and a session-bus
 * address that leads nowhere, so no keyring is used; the keyring worker inherits this JVM's environment, so run
 * the bench inside a session with an unlocked Secret Service (without one the keyring rows report the failure
 * and the passphrase rows still run). In each worker two untimed starts come first (a new key directory, then
 * its restore), so that the launcher's own class loading and the page cache are as in an app that has been
 * running for a while, and (with the archive) so that the restore's child makes this protection's archive when
 * it exits, as the app's second start does (a first run neither uses nor makes one); every timed start is a new
 * child JVM, which is what "cold" means here.
 *
 * <p>Run it with the app's distribution ({@code app/target/securep2p-app.jar}, whose manifest brings
 * {@code app/target/lib}), so that the child gets the class path the app's own children get: the same jars, with
 * the signature files of the signed ones removed by the app's build (PROTOCOL.md 18, start-up). Not with the
 * shaded {@code benchmarks.jar}, and not with {@code target/classes} directories, which class-data sharing cannot
 * use. The archive is made beside the first jar, in {@code bench/target}.
 * <pre>
 * mvn -B -o -q -pl core-crypto,ratchet,transport,keymanager,app,bench package -DskipTests
 * dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null;
 *     java -cp bench/target/securep2p-bench-0.1.0-SNAPSHOT.jar:app/target/securep2p-app.jar \
 *         org.securep2p.bench.KeyManagerColdStartBench 5'
 * </pre>
 */
public final class KeyManagerColdStartBench {

    static final String WORKER = "--worker";

    private KeyManagerColdStartBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals(WORKER)) {
            worker(args[1], Integer.parseInt(args[2]), Path.of(args[3]),
                    Boolean.parseBoolean(System.getProperty(KeyManagerProcess.CLASS_DATA_SHARING_PROPERTY)));
            return;
        }
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        String loadAtStart = Files.readString(Path.of("/proc/loadavg")).strip();
        Path work = Files.createTempDirectory("km-coldstart");
        List<String> rows = new ArrayList<>();
        try {
            for (String protection : List.of("keyring", "passphrase")) {
                for (boolean archive : List.of(false, true)) {
                    rows.addAll(runWorker(protection, archive, runs, work.resolve(protection + "-" + archive)));
                }
            }
        } finally {
            deleteTree(work);
        }
        System.out.printf(Locale.ROOT, "%nkey-manager cold start, %d runs each (ms; min/median/max: wall clock "
                + "until the first IPC call, HELLO, is answered; cpu: the child's CPU time (all threads) by then, "
                + "median; bundle: the first PREKEY_BUNDLE after it, median; archive: the child's class-data "
                + "archive; phases: the child's own account of the median start, from main)%n", runs);
        System.out.printf(Locale.ROOT, "%-11s %-10s %-8s %6s %6s %6s %6s %6s   %s%n", "protection", "case",
                "archive", "min", "median", "max", "cpu", "bundle", "phases of the median start");
        rows.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "load average at the start: %s; at the end: %s%n", loadAtStart,
                Files.readString(Path.of("/proc/loadavg")).strip());
    }

    private static List<String> runWorker(String protection, boolean archive, int runs, Path dir)
            throws Exception {
        Files.createDirectories(dir);
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-D" + KeyManagerProcess.CLASS_DATA_SHARING_PROPERTY + "=" + archive,
                "-cp", System.getProperty("java.class.path"), KeyManagerColdStartBench.class.getName(), WORKER,
                protection, Integer.toString(runs), dir.toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        if (protection.equals("passphrase")) {
            Path file = dir.resolve("passphrase");
            Files.writeString(file, "cold start bench passphrase\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            builder.environment().put("SECUREP2P_PASSPHRASE_FILE", file.toString());
            builder.environment().put("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + dir.resolve("no-bus"));
        }
        Process worker = builder.start();
        List<String> rows = new ArrayList<>();
        for (String line : new String(worker.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n", -1)) {
            if (line.startsWith("ROW ")) {
                rows.add(line.substring(4));
            }
        }
        int status = worker.waitFor();
        if (status != 0 || rows.isEmpty()) {
            rows.add(String.format(Locale.ROOT, "%-11s (worker failed with status %d; see its stderr above)",
                    protection, status));
        }
        return rows;
    }

    private static void worker(String protection, int runs, Path dir, boolean archive) throws Exception {
        SecureRandom random = new SecureRandom();
        // Untimed: a first start, and a restore whose child (with an archive) makes this protection's archive when
        // it exits (a new key directory's start makes none; PROTOCOL.md 18, memory).
        timeStart(dir.resolve("warm-up"), dir.resolve("warm-up-keys"), dir.resolve("warm-up.log"), random);
        timeStart(dir.resolve("warm-up-2"), dir.resolve("warm-up-keys"), dir.resolve("warm-up-2.log"), random);
        Start[] firstRun = new Start[runs];
        Start[] restore = new Start[runs];
        for (int i = 0; i < runs; i++) {
            Path keys = dir.resolve("keys-" + i);
            firstRun[i] = timeStart(dir.resolve("s" + i + "a"), keys, dir.resolve("s" + i + "a.log"), random);
            restore[i] = timeStart(dir.resolve("s" + i + "b"), keys, dir.resolve("s" + i + "b.log"), random);
        }
        String label = archive ? "yes" : "no";
        System.out.println("ROW " + row(protection, "first run", label, firstRun));
        System.out.println("ROW " + row(protection, "restore", label, restore));
        System.out.flush();
    }

    /** One timed start: wall clock to serving, to the first bundle, the child's CPU time, its phase line. */
    private record Start(long nanos, long bundleNanos, long cpuNanos, String phases) {
    }

    private static Start timeStart(Path socketDir, Path keyDir, Path log, SecureRandom random) throws Exception {
        long t0 = System.nanoTime();
        long t1;
        long t2;
        long cpu;
        try (KeyManagerProcess p = KeyManagerProcess.start(socketDir, keyDir, random, log)) {
            t1 = System.nanoTime();
            cpu = ProcessHandle.of(p.pid()).flatMap(h -> h.info().totalCpuDuration())
                    .map(Duration::toNanos).orElse(-1L);
            PreKeyBundle bundle = p.client().preKeyBundle();
            t2 = System.nanoTime();
            if (bundle == null) {
                throw new IllegalStateException("no bundle");
            }
        }
        String phases = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                .filter(l -> l.startsWith("keymanager: serving after ")).reduce((a, b) -> b)
                .map(l -> l.substring("keymanager: serving after ".length())).orElse("(no phase line in the log)");
        return new Start(t1 - t0, t2 - t1, cpu, phases);
    }

    private static String row(String protection, String what, String archive, Start[] samples) {
        Start[] byTime = samples.clone();
        Arrays.sort(byTime, Comparator.comparingLong(Start::nanos));
        long[] bundle = Arrays.stream(samples).mapToLong(Start::bundleNanos).sorted().toArray();
        long[] cpu = Arrays.stream(samples).mapToLong(Start::cpuNanos).sorted().toArray();
        Start median = byTime[byTime.length / 2];
        return String.format(Locale.ROOT, "%-11s %-10s %-8s %6s %6s %6s %6s %6s   %s", protection, what, archive,
                ms(byTime[0].nanos()), ms(median.nanos()), ms(byTime[byTime.length - 1].nanos()),
                ms(cpu[cpu.length / 2]), ms(bundle[bundle.length / 2]), median.phases());
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.0f", nanos / 1e6);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
