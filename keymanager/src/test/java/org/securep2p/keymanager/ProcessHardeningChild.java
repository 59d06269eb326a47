package org.securep2p.keymanager;

import java.nio.file.Files;
import java.nio.file.Path;

import org.securep2p.keymanager.HardeningReport.Measure;

/**
 * The child JVM of {@link ProcessHardeningTest}: applies {@link ProcessHardening} to itself (never to the test
 * JVM, which must stay dumpable for jcmd and the heap-dump test), then prints what the report says next to what
 * the kernel says, one {@code key=value} per line: {@code <MEASURE>=<STATUS>} for each measure,
 * {@code summary=...}, {@code dumpable=} (PR_GET_DUMPABLE read afresh), {@code VmLck=} (kB, from
 * /proc/self/status) and {@code coreLimit=} (the "Max core file size" line of /proc/self/limits). With the
 * argument {@code report} it stops after the report (for a run without JNA, which cannot read anything back).
 */
final class ProcessHardeningChild {

    private ProcessHardeningChild() {
    }

    public static void main(String[] args) throws Exception {
        HardeningReport report = ProcessHardening.apply();
        for (Measure m : Measure.values()) {
            System.out.println(m + "=" + report.status(m));
        }
        System.out.println("summary=" + report.summary());
        if (args.length == 1 && args[0].equals("report")) {
            return;
        }
        System.out.println("dumpable=" + ProcessHardening.dumpable());
        // Allocate after locking: with MCL_FUTURE a JVM that cannot grow would die here, not pass silently.
        byte[][] churn = new byte[256][];
        for (int i = 0; i < churn.length; i++) {
            churn[i] = new byte[64 * 1024];
        }
        Thread t = new Thread(() -> System.out.println("thread=started"));
        t.start();
        t.join();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmLck:")) {
                System.out.println("VmLck=" + line.substring("VmLck:".length()).replace("kB", "").trim());
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max core file size")) {
                System.out.println("coreLimit=" + line.substring("Max core file size".length()).trim());
            }
        }
        System.out.println("churn=" + churn.length);
    }
}
