package org.securep2p.keymanager;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * What {@link ProcessHardening} achieved in this process: for each {@link Measure}, {@link Status#ACTIVE} (done
 * and, where the OS lets us read it back, verified) or {@link Status#UNAVAILABLE} with a sentence saying why.
 * Immutable; every measure has an entry.
 *
 * <p>Guarantees: {@link #summary()} is one line for the security log and holds no key material (only measure
 * names, statuses and OS reasons such as errno names and limits).
 *
 * <p>Not its job: deciding whether a missing measure is acceptable; the key manager runs either way (the issue
 * asks for "memory protection: when available") and the report says what is missing.
 */
final class HardeningReport {

    /** The measures, in the order the summary lists them. */
    enum Measure {
        /** prctl(PR_SET_DUMPABLE, 0): no core dump, and no ptrace attach or /proc/pid/mem by same-uid processes. */
        NOT_DUMPABLE("not-dumpable"),
        /** setrlimit(RLIMIT_CORE, 0/0): no core file even where the dumpable flag is overridden. */
        NO_CORE_FILE("no-core-file"),
        /** mlockall: the key manager's pages are never written to swap. */
        MEMORY_LOCKED("memory-locked");

        private final String label;

        Measure(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }
    }

    enum Status { ACTIVE, UNAVAILABLE }

    private final Map<Measure, Status> status;
    private final Map<Measure, String> detail;

    private HardeningReport(Map<Measure, Status> status, Map<Measure, String> detail) {
        for (Measure m : Measure.values()) {
            if (!status.containsKey(m) || !detail.containsKey(m)) {
                throw new IllegalArgumentException("hardening report: no entry for " + m);
            }
        }
        this.status = new EnumMap<>(status);
        this.detail = new EnumMap<>(detail);
    }

    /** Collects one entry per measure; {@link #build()} refuses a report with a measure missing. */
    static final class Builder {
        private final Map<Measure, Status> status = new EnumMap<>(Measure.class);
        private final Map<Measure, String> detail = new EnumMap<>(Measure.class);

        Builder active(Measure m, String how) {
            return put(m, Status.ACTIVE, how);
        }

        Builder unavailable(Measure m, String why) {
            return put(m, Status.UNAVAILABLE, why);
        }

        /** Marks every measure not yet set as unavailable for {@code why} (not Linux, no JNA, ...). */
        Builder unavailableRest(String why) {
            for (Measure m : Measure.values()) {
                if (!status.containsKey(m)) {
                    unavailable(m, why);
                }
            }
            return this;
        }

        private Builder put(Measure m, Status s, String text) {
            status.put(Objects.requireNonNull(m, "measure"), s);
            detail.put(m, Objects.requireNonNull(text, "detail"));
            return this;
        }

        HardeningReport build() {
            return new HardeningReport(status, detail);
        }
    }

    Status status(Measure m) {
        return status.get(m);
    }

    /** How the measure was done, or why it is unavailable: a sentence for the user. */
    String detail(Measure m) {
        return detail.get(m);
    }

    boolean allActive() {
        return status.values().stream().allMatch(s -> s == Status.ACTIVE);
    }

    /** One line, e.g. {@code keymanager hardening: not-dumpable=ACTIVE; no-core-file=ACTIVE; memory-locked=UNAVAILABLE (mlockall refused: ...)}. */
    String summary() {
        StringJoiner line = new StringJoiner("; ", "keymanager hardening: ", "");
        for (Measure m : Measure.values()) {
            Status s = status.get(m);
            line.add(m.label() + "=" + s + (s == Status.ACTIVE ? "" : " (" + detail.get(m) + ")"));
        }
        return line.toString();
    }

    @Override
    public String toString() {
        return summary();
    }
}
