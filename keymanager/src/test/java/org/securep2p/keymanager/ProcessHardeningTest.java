package org.securep2p.keymanager;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.securep2p.keymanager.HardeningReport.Measure;
import org.securep2p.keymanager.HardeningReport.Status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link ProcessHardening} in a child JVM (hardening the test JVM itself would make it refuse jcmd and heap
 * dumps for the rest of the run), checked against what the kernel reports for that child.
 */
class ProcessHardeningTest {

    /** A cold JVM on a loaded 2-core machine; only a bound against hanging, not a performance claim. */
    private static final long CHILD_BOUND_SECONDS = 120;

    private static boolean linux() {
        return System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux");
    }

    private static Map<String, String> runChild(List<String> prefix) throws Exception {
        return runChild(prefix, System.getProperty("java.class.path"));
    }

    private static Map<String, String> runChild(List<String> prefix, String classPath, String... args)
            throws Exception {
        List<String> command = new ArrayList<>(prefix);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The key manager's own JVM options, so that MCL_FUTURE is tried under the heap it really runs with.
        command.add("-XX:+UseSerialGC");
        command.add("-Xmx64m");
        command.add("-cp");
        command.add(classPath);
        command.add(ProcessHardeningChild.class.getName());
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        child.getOutputStream().close();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(CHILD_BOUND_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("child output:\n%s", out).isEqualTo(0);
        Map<String, String> values = new HashMap<>();
        for (String line : out.lines().toList()) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        System.out.println("ProcessHardeningTest child " + prefix + ": " + values.get("summary"));
        return values;
    }

    private static void assertReportMatchesKernel(Map<String, String> child) {
        // The child allocated 16 MiB and started a thread after locking: it survived MCL_FUTURE if it was used.
        assertThat(child.get("churn")).isEqualTo("256");
        assertThat(child.get("thread")).isEqualTo("started");
        assertThat(child.get(Measure.NOT_DUMPABLE.name())).isEqualTo("ACTIVE");
        assertThat(child.get("dumpable")).isEqualTo("0");
        assertThat(child.get(Measure.NO_CORE_FILE.name())).isEqualTo("ACTIVE");
        assertThat(child.get("coreLimit")).startsWith("0").matches("0\\s+0\\s+bytes");
        long locked = Long.parseLong(child.get("VmLck"));
        boolean active = "ACTIVE".equals(child.get(Measure.MEMORY_LOCKED.name()));
        assertThat(locked > 0).as("VmLck %d kB vs report %s", locked, child.get("summary")).isEqualTo(active);
        if (active) {
            // Every page that holds anything is locked (the 16 MiB and the thread made after locking too) ...
            assertThat(child.get("unlockedResident")).as("resident mappings not locked").isEqualTo("0");
            // ... and locking faulted in nothing that was never used (MCL_ONFAULT): of the JDK's module image,
            // mapped whole (~130 MB), the JVM reads a few MB; plain mlockall made all of it resident.
            long modulesSize = Long.parseLong(child.get("modulesSize"));
            long modulesRss = Long.parseLong(child.get("modulesRss"));
            System.out.println("ProcessHardeningTest: lib/modules resident " + modulesRss + " of " + modulesSize
                    + " kB");
            assertThat(modulesSize).as("the JDK maps its module image").isGreaterThan(0);
            assertThat(modulesRss).as("resident kB of lib/modules").isLessThan(modulesSize / 4);
        }
    }

    @Test
    void hardenedChildIsNotDumpableAndItsReportMatchesTheKernel() throws Exception {
        assumeTrue(linux(), "prctl, mlockall and /proc are Linux");
        assertReportMatchesKernel(runChild(List.of()));
    }

    /**
     * Without CAP_IPC_LOCK and with a 64 KiB lock limit, mlockall must be refused and reported so, while the
     * other measures still hold. Needs root (to drop a capability from the bounding set) and util-linux.
     */
    @Test
    void refusedMlockallIsReportedAndNotFatal() throws Exception {
        assumeTrue(linux() && "root".equals(System.getProperty("user.name")), "needs root on Linux");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")) && Files.isExecutable(Path.of("/usr/bin/prlimit")),
                "needs setpriv and prlimit");
        Map<String, String> child = runChild(List.of("/usr/bin/prlimit", "--memlock=65536",
                "/usr/bin/setpriv", "--bounding-set=-ipc_lock", "--inh-caps=-ipc_lock"));
        assertReportMatchesKernel(child);
        assertThat(child.get(Measure.MEMORY_LOCKED.name())).isEqualTo("UNAVAILABLE");
        assertThat(child.get("summary")).contains("mlockall refused").contains("RLIMIT_MEMLOCK too low (65536 bytes)");
    }

    @Test
    void summaryNamesEveryMeasureAndTheReasonForWhatIsMissing() {
        HardeningReport report = new HardeningReport.Builder()
                .active(Measure.NOT_DUMPABLE, "done")
                .unavailable(Measure.MEMORY_LOCKED, "mlockall refused: ENOMEM")
                .unavailableRest("not Linux")
                .build();
        assertThat(report.status(Measure.NOT_DUMPABLE)).isEqualTo(Status.ACTIVE);
        assertThat(report.status(Measure.NO_CORE_FILE)).isEqualTo(Status.UNAVAILABLE);
        assertThat(report.allActive()).isFalse();
        assertThat(report.summary()).isEqualTo("keymanager hardening: not-dumpable=ACTIVE; "
                + "no-core-file=UNAVAILABLE (not Linux); memory-locked=UNAVAILABLE (mlockall refused: ENOMEM)");
        assertThat(report.summary()).doesNotContain("\n");
    }

    @Test
    void reportWithAMeasureMissingIsRefused() {
        assertThatThrownBy(() -> new HardeningReport.Builder().active(Measure.NOT_DUMPABLE, "done").build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void withoutJnaEveryMeasureIsUnavailableAndTheProcessRuns() throws Exception {
        assumeTrue(linux(), "the Linux path is the one that loads JNA");
        String classPath = String.join(java.io.File.pathSeparator, java.util.Arrays.stream(
                System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(entry -> !Path.of(entry).getFileName().toString().startsWith("jna")).toList());
        assertThat(classPath).isNotEqualTo(System.getProperty("java.class.path"));
        Map<String, String> child = runChildReportOnly(classPath);
        for (Measure m : Measure.values()) {
            assertThat(child.get(m.name())).isEqualTo("UNAVAILABLE");
        }
        assertThat(child.get("summary")).contains("native calls unavailable: NoClassDefFoundError");
    }

    /** The child with {@code report} as its argument stops after the report: without JNA it cannot read back. */
    private static Map<String, String> runChildReportOnly(String classPath) throws Exception {
        return runChild(List.of(), classPath, "report");
    }
}
