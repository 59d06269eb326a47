package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import com.sun.jna.Function;
import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;

import org.securep2p.keymanager.HardeningReport.Measure;

/**
 * Hardens the key-manager process where the OS allows, and reports what it achieved: the process is made
 * non-dumpable ({@code prctl(PR_SET_DUMPABLE, 0)}, read back with {@code PR_GET_DUMPABLE}), its core-file limit
 * is set to zero ({@code setrlimit(RLIMIT_CORE)}, read back), and its memory is locked against swapping
 * ({@code mlockall}, when permitted). Linux only, through JNA direct mapping of libc.
 *
 * <p>Guarantees: {@link #apply()} never throws and never stops the process: a measure the OS refuses, a
 * non-Linux OS or a JNA failure is reported as {@code UNAVAILABLE} with the reason. A measure is reported
 * {@code ACTIVE} only if the call succeeded (and, for the first two, the read-back agrees).
 *
 * <p>Not its job: wiping key buffers (every holder of a secret array wipes it after use); and it must not run in
 * the app's own JVM or a test JVM, where a non-dumpable process would also refuse jcmd and heap dumps.
 */
final class ProcessHardening {

    /** From linux/prctl.h. */
    static final int PR_GET_DUMPABLE = 3;
    static final int PR_SET_DUMPABLE = 4;
    /** From sys/mman.h: lock the pages mapped now, and every page mapped later. */
    static final int MCL_CURRENT = 1;
    static final int MCL_FUTURE = 2;
    /**
     * Linux 4.4+: lock each page when it is first touched instead of faulting in every mapped page up front. The
     * same guarantee (every page that ever holds data is locked before it holds it, so none reaches swap) without
     * making resident what was never used: the JDK's 130 MB module image, reserved heap, untouched stacks.
     */
    static final int MCL_ONFAULT = 4;
    /** From asm-generic/resource.h; the same on every Linux architecture the JDK runs on. */
    static final int RLIMIT_CORE = 4;
    static final int RLIMIT_MEMLOCK = 8;
    /** rlim_t's "no limit" on 64-bit Linux ((rlim_t) -1). */
    static final long RLIM_INFINITY = -1L;
    /** CAP_IPC_LOCK's bit in /proc/self/status CapEff: with it, RLIMIT_MEMLOCK does not apply. */
    static final int CAP_IPC_LOCK = 14;

    /** JNA's list of system library directories; set, it keeps JNA from asking ldconfig for it. */
    static final String JNA_PLATFORM_LIBRARY_PATH = "jna.platform.library.path";

    /** errno values (asm-generic/errno-base.h) that mlockall documents, to name them in the report. */
    private static final int EPERM = 1;
    private static final int EAGAIN = 11;
    private static final int ENOMEM = 12;
    private static final int EINVAL = 22;

    private ProcessHardening() {
    }

    /**
     * libc's four functions, called through JNA's {@link Function} (not direct mapping: {@code Native.register}
     * costs ~60 ms of a cold start in reflection and type mapping, for four calls made once). Loaded on first use
     * so that a missing libc or JNA surfaces as an error we catch, not as a failure to load
     * {@link ProcessHardening}. Each call sets errno-checking: a failure throws {@link LastErrorException}.
     * rlimit is {@code struct { rlim_t cur, max; }}, passed as a {@code long[2]} that JNA copies back (64-bit
     * only; {@link #apply()} checks).
     */
    private static final class Libc {
        private static final Function PRCTL = function("prctl");
        private static final Function MLOCKALL = function("mlockall");
        private static final Function SETRLIMIT = function("setrlimit");
        private static final Function GETRLIMIT = function("getrlimit");

        private static Function function(String name) {
            return Function.getFunction(Platform.C_LIBRARY_NAME, name, Function.THROW_LAST_ERROR);
        }

        static int prctl(int option, long arg2, long arg3, long arg4, long arg5) {
            return PRCTL.invokeInt(new Object[] {option, arg2, arg3, arg4, arg5});
        }

        static int mlockall(int flags) {
            return MLOCKALL.invokeInt(new Object[] {flags});
        }

        static int setrlimit(int resource, long[] rlimit) {
            return SETRLIMIT.invokeInt(new Object[] {resource, rlimit});
        }

        static int getrlimit(int resource, long[] rlimit) {
            return GETRLIMIT.invokeInt(new Object[] {resource, rlimit});
        }
    }

    /** Applies every measure the OS allows; call first thing in the process, before any key exists. */
    static HardeningReport apply() {
        HardeningReport.Builder report = new HardeningReport.Builder();
        String os = System.getProperty("os.name", "unknown");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return report.unavailableRest("not Linux (" + os + ")").build();
        }
        // Without this property JNA's first library lookup runs "/sbin/ldconfig -p" to learn the system's library
        // paths: a child process of the key manager, and ~20 ms of its start. libc is found by dlopen without it.
        if (System.getProperty(JNA_PLATFORM_LIBRARY_PATH) == null) {
            System.setProperty(JNA_PLATFORM_LIBRARY_PATH, "");
        }
        try {
            Linux.apply(report);
        } catch (LinkageError | RuntimeException e) {
            // JNA missing from the class path, libc not found, a symbol absent: the process runs unhardened
            // and says so. (Every JNA type sits in Linux, Libc and NativeHeap, so that a missing JNA fails here,
            // catchably, and not when ProcessHardening itself is loaded and verified.)
            report.unavailableRest("native calls unavailable: " + e.getClass().getSimpleName());
        }
        return report.build();
    }

    /**
     * Returns the C heap's free memory to the OS ({@code malloc_trim(0)}, glibc): what the JIT's arenas and the
     * start's other native garbage left behind would otherwise stay resident (and, under mlockall, locked).
     * False where there is no such call (not Linux, not glibc, no JNA); never throws.
     */
    static boolean trimNativeHeap() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return false;
        }
        try {
            return NativeHeap.trim();
        } catch (LinkageError | RuntimeException e) {
            return false;
        }
    }

    /** Apart from {@link Libc}: a C library without malloc_trim (musl) must not cost the hardening itself. */
    private static final class NativeHeap {
        static boolean trim() {
            Function.getFunction(Platform.C_LIBRARY_NAME, "malloc_trim").invokeInt(new Object[] {0L});
            return true;
        }
    }

    /** PR_GET_DUMPABLE of this process: 0 after a successful {@link #apply()}, 1 for an ordinary process. */
    static int dumpable() {
        return Linux.dumpable();
    }

    /** The Linux measures; with {@link Libc} and {@link NativeHeap}, the only classes that name a JNA type. */
    private static final class Linux {

        private Linux() {
        }

        static void apply(HardeningReport.Builder report) {
            if (Native.LONG_SIZE != 8) {
                report.unavailableRest("32-bit JVM: rlimit layout not supported");
                return;
            }
            notDumpable(report);
            noCoreFile(report);
            lockMemory(report);
        }

        static int dumpable() {
            return Libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
        }

        private static void notDumpable(HardeningReport.Builder report) {
            try {
                Libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
            } catch (LastErrorException e) {
                report.unavailable(Measure.NOT_DUMPABLE, "prctl(PR_SET_DUMPABLE) refused: " + errno(e));
                return;
            }
            int now = dumpable();
            if (now == 0) {
                report.active(Measure.NOT_DUMPABLE, "prctl(PR_SET_DUMPABLE, 0), read back 0");
            } else {
                report.unavailable(Measure.NOT_DUMPABLE, "PR_GET_DUMPABLE still reads " + now);
            }
        }

        private static void noCoreFile(HardeningReport.Builder report) {
            // Both limits 0: the process cannot raise it again. It matters where the dumpable flag is overridden
            // (fs.suid_dumpable=2 dumps non-dumpable processes as root); a piped core_pattern ignores it.
            long[] limit = {0, 0};
            try {
                Libc.setrlimit(RLIMIT_CORE, limit);
                Libc.getrlimit(RLIMIT_CORE, limit);
            } catch (LastErrorException e) {
                report.unavailable(Measure.NO_CORE_FILE, "setrlimit(RLIMIT_CORE) refused: " + errno(e));
                return;
            }
            if (limit[0] == 0 && limit[1] == 0) {
                report.active(Measure.NO_CORE_FILE, "RLIMIT_CORE 0/0, read back");
            } else {
                report.unavailable(Measure.NO_CORE_FILE, "RLIMIT_CORE reads " + limit[0] + "/" + limit[1]);
            }
        }

        /**
         * MCL_FUTURE only when locking is unlimited (CAP_IPC_LOCK, or RLIMIT_MEMLOCK infinite): with a finite limit,
         * every later mapping (heap growth, a thread stack) counts against it and the JVM would die when one is
         * refused. With a finite limit MCL_CURRENT alone, which in practice fails too (a JVM maps gigabytes of
         * address space, far above the usual 8 MiB) and is then reported with the limit. Always with MCL_ONFAULT
         * where the kernel has it: the lock applies to each page as it is faulted in, so mapped but never touched
         * memory stays unpopulated (it was most of the child's resident memory, PROTOCOL.md 18).
         */
        private static void lockMemory(HardeningReport.Builder report) {
            long[] memlock = new long[2];
            Libc.getrlimit(RLIMIT_MEMLOCK, memlock);
            boolean unlimited = hasCapIpcLock() || memlock[0] == RLIM_INFINITY;
            int flags = unlimited ? MCL_CURRENT | MCL_FUTURE : MCL_CURRENT;
            boolean onFault = true;
            try {
                try {
                    Libc.mlockall(flags | MCL_ONFAULT);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() != EINVAL) {
                        throw e;
                    }
                    // A kernel older than 4.4 knows no MCL_ONFAULT: lock everything up front as before.
                    onFault = false;
                    Libc.mlockall(flags);
                }
            } catch (LastErrorException e) {
                int errno = e.getErrorCode();
                String why = errno == ENOMEM || errno == EPERM
                        ? "RLIMIT_MEMLOCK too low (" + limitText(memlock[0]) + ") and no CAP_IPC_LOCK"
                        : errno == EAGAIN ? "some pages could not be locked" : "unexpected error";
                report.unavailable(Measure.MEMORY_LOCKED, "mlockall refused: " + errno(e) + ", " + why);
                return;
            }
            String onFaultText = onFault ? " | MCL_ONFAULT" : "";
            report.active(Measure.MEMORY_LOCKED, unlimited ? "mlockall(MCL_CURRENT | MCL_FUTURE" + onFaultText + ")"
                    : "mlockall(MCL_CURRENT" + onFaultText
                            + ") only: later allocations are not locked (finite RLIMIT_MEMLOCK)");
        }

        private static boolean hasCapIpcLock() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("CapEff:")) {
                        long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
                        return (caps & (1L << CAP_IPC_LOCK)) != 0;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // Unknown: assume not, and take the safe path (MCL_CURRENT only).
            }
            return false;
        }

        private static String limitText(long bytes) {
            return bytes == RLIM_INFINITY ? "unlimited" : bytes + " bytes";
        }

        private static String errno(LastErrorException e) {
            int code = e.getErrorCode();
            String name = code == EPERM ? "EPERM" : code == EAGAIN ? "EAGAIN" : code == ENOMEM ? "ENOMEM" : null;
            return name != null ? name : String.format(Locale.ROOT, "errno %d", code);
        }
    }
}
