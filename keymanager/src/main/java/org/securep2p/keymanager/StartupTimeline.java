package org.securep2p.keymanager;

import java.util.Locale;

/**
 * Where one key-manager start spent its time: wall-clock marks taken on the main thread from the moment
 * {@code main} runs, printed as one log line once the process serves (the cold-start benchmark reads it, and a
 * user with a slow start can see which phase was slow).
 *
 * <p>Guarantees: the line holds phase names and milliseconds only, never key material. Not thread-safe; the
 * main thread alone marks.
 */
final class StartupTimeline {

    /** How the summary line starts, for whoever parses the log. */
    static final String PREFIX = "keymanager: serving after ";

    private final long origin = System.nanoTime();
    private final StringBuilder phases = new StringBuilder();
    private long last = origin;

    /** Closes the phase that ran since the previous mark (or since {@code main}) under {@code name}. */
    void mark(String name) {
        long now = System.nanoTime();
        phases.append(phases.length() == 0 ? "" : ", ").append(name).append(' ').append(millis(now - last));
        last = now;
    }

    /**
     * {@code "keymanager: serving after 412 ms: hardening 120, token 3, master key 150, ..."}: from {@code main} to
     * the last mark. The JVM's own start before {@code main} is not in it (Linux keeps process start times in
     * clock ticks since a boot time in whole seconds, too coarse to subtract); the benchmark measures it from
     * outside.
     */
    String summary() {
        return PREFIX + millis(last - origin) + " ms" + (phases.length() == 0 ? "" : ": " + phases);
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%d", Math.round(nanos / 1e6));
    }
}
