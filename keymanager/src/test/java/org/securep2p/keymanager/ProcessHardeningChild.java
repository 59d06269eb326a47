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
        printMappings();
        System.out.println("churn=" + churn.length);
    }

    /**
     * From /proc/self/smaps: {@code unlockedResident=} the mappings that hold resident pages but are not locked
     * (VmFlags without {@code lo}; the kernel's own [vvar], [vdso] and [vsyscall] cannot be locked and are left
     * out), and the JDK's module image ({@code lib/modules}, mapped whole, read a little): its size and resident
     * kB, which show whether locking faulted in pages that were never used.
     */
    private static void printMappings() throws java.io.IOException {
        String name = null;
        long rss = 0;
        long size = 0;
        int unlockedResident = 0;
        long modulesSize = 0;
        long modulesRss = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 5 && f[0].contains("-") && !f[0].endsWith(":")) {
                name = f.length > 5 ? f[5] : "";
            } else if (f[0].equals("Size:")) {
                size = Long.parseLong(f[1]);
            } else if (f[0].equals("Rss:")) {
                rss = Long.parseLong(f[1]);
            } else if (f[0].equals("VmFlags:")) {
                boolean locked = java.util.Arrays.asList(f).contains("lo");
                if (rss > 0 && !locked && !name.equals("[vvar]") && !name.equals("[vdso]")
                        && !name.equals("[vsyscall]") && !name.equals("[vvar_vclock]")) {
                    unlockedResident++;
                }
                if (name.endsWith("/lib/modules")) {
                    modulesSize += size;
                    modulesRss += rss;
                }
            }
        }
        System.out.println("unlockedResident=" + unlockedResident);
        System.out.println("modulesSize=" + modulesSize);
        System.out.println("modulesRss=" + modulesRss);
    }
}
