package org.securep2p.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The CPU time of one process's threads at one instant, summed per thread name without its trailing digits (so
 * {@code GC Thread#0} and {@code GC Thread#1} count as one group), read from Linux's
 * {@code /proc/<pid>/task/<tid>/stat}. Two snapshots give where a run's CPU went, which the process total alone
 * does not say. Elsewhere, and for a process that has ended, the snapshot is empty.
 *
 * <p>Linux truncates a thread's name to 15 characters. A thread that starts and ends between two snapshots is not
 * seen by either: {@link #since} puts what the process total says beyond the groups under {@link #ENDED}, with the
 * rounding of each thread's time to whole ticks.
 */
record ThreadCpu(Map<String, Long> millisByGroup) {

    /** The group for CPU time of threads that ended between two snapshots (and the rounding to ticks). */
    static final String ENDED = "(ended threads)";
    /** Linux reports thread CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture it runs Java on. */
    private static final long MILLIS_PER_TICK = 10;

    ThreadCpu {
        millisByGroup = Collections.unmodifiableMap(new TreeMap<>(millisByGroup));
    }

    /** The threads of {@code pid} now. */
    static ThreadCpu of(long pid) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        Map<String, Long> groups = new TreeMap<>();
        try (Stream<Path> list = Files.list(tasks)) {
            for (Path task : (Iterable<Path>) list::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (NoSuchFileException gone) {
                    continue;
                }
                // "tid (name) state ppid ...": the name may hold spaces and parentheses, so it ends at the last ')'.
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String[] fields = stat.substring(close + 2).split(" ", -1);
                // After the name, field 14 (utime) and 15 (stime) of proc(5) are the 12th and 13th.
                long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                groups.merge(stat.substring(open + 1, close).replaceAll("[0-9]+$", ""), ticks * MILLIS_PER_TICK,
                        Long::sum);
            }
        } catch (NoSuchFileException notLinuxOrEnded) {
            return new ThreadCpu(Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ThreadCpu(groups);
    }

    /**
     * The CPU each group spent since {@code before}, in milliseconds; {@code processMillis}, the process's own
     * total over the same span, gives the {@link #ENDED} share.
     */
    ThreadCpu since(ThreadCpu before, long processMillis) {
        Map<String, Long> spent = new TreeMap<>();
        millisByGroup.forEach((group, ms) -> spent.put(group, ms - before.millisByGroup.getOrDefault(group, 0L)));
        long seen = spent.values().stream().mapToLong(Long::longValue).sum();
        if (!millisByGroup.isEmpty() && processMillis > seen) {
            spent.put(ENDED, processMillis - seen);
        }
        return new ThreadCpu(spent);
    }

    /** The groups above {@code minMillis}, largest first, as "name ms/MiB" for {@code mib} MiB moved. */
    String perMiB(double mib, long minMillis) {
        if (millisByGroup.isEmpty()) {
            return "(no per-thread figures on this platform)";
        }
        return millisByGroup.entrySet().stream().filter(e -> e.getValue() > minMillis)
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                .map(e -> String.format(Locale.ROOT, "%s %.1f", e.getKey(), e.getValue() / mib))
                .collect(Collectors.joining(", "));
    }
}
