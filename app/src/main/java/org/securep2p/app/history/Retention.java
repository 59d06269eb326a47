package org.securep2p.app.history;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * How long the history keeps messages: {@link #forever()}, a number of days, or {@link #off()} (nothing is
 * stored). The value of {@code history.retention} in {@code profile.properties}, read by {@link #parse}.
 *
 * <p>Guarantees: immutable; {@link #toString()} is the profile spelling, which {@link #parse} reads back.
 * Not its job: deleting anything ({@link HistoryStore#expire}).
 */
public final class Retention {

    /** The longest retention in days, about a century: past that a number is a typo, not a policy. */
    public static final int MAX_DAYS = 36_500;

    private static final Retention FOREVER = new Retention(Kind.FOREVER, 0);
    private static final Retention OFF = new Retention(Kind.OFF, 0);

    private enum Kind { FOREVER, DAYS, OFF }

    private final Kind kind;
    private final int days;

    private Retention(Kind kind, int days) {
        this.kind = kind;
        this.days = days;
    }

    /** Messages are kept until the user clears them (the default). */
    public static Retention forever() {
        return FOREVER;
    }

    /** Nothing is stored: appends are accepted and dropped, {@link HistoryStore#expire} deletes all messages. */
    public static Retention off() {
        return OFF;
    }

    /** Messages older than {@code days} days (1..{@link #MAX_DAYS}) are deleted by {@link HistoryStore#expire}. */
    public static Retention days(int days) {
        if (days < 1 || days > MAX_DAYS) {
            throw new IllegalArgumentException("retention must be 1.." + MAX_DAYS + " days, not " + days);
        }
        return new Retention(Kind.DAYS, days);
    }

    /**
     * Reads a profile value: {@code forever}, {@code off} (case-insensitive, surrounding blanks ignored) or a
     * whole number of days 1..{@link #MAX_DAYS} in ASCII digits. Anything else is refused with
     * {@link HistoryException.Reason#INVALID_ARGUMENT} and a sentence naming the accepted values.
     */
    public static Retention parse(String value) throws HistoryException {
        String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        if (v.equals("forever")) {
            return FOREVER;
        }
        if (v.equals("off")) {
            return OFF;
        }
        // ASCII digits only: Integer.parseInt would also take "+7" and Arabic-Indic digits.
        if (!v.isEmpty() && v.length() <= 5 && v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= MAX_DAYS) {
                return new Retention(Kind.DAYS, n);
            }
        }
        throw new HistoryException(HistoryException.Reason.INVALID_ARGUMENT, "history.retention must be 'forever',"
                + " 'off' or a number of days from 1 to " + MAX_DAYS + ", not '" + shortForError(value) + "'");
    }

    /** True when nothing may be stored. */
    public boolean isOff() {
        return kind == Kind.OFF;
    }

    /** The number of days kept, empty for forever and off. */
    public Optional<Integer> days() {
        return kind == Kind.DAYS ? Optional.of(days) : Optional.empty();
    }

    /**
     * The instant before which messages are deleted at {@code now}: empty for forever; for off, a point after
     * every possible message time (everything goes).
     */
    Optional<Instant> cutoff(Instant now) {
        return switch (kind) {
            case FOREVER -> Optional.empty();
            case OFF -> Optional.of(Instant.ofEpochMilli(Long.MAX_VALUE));
            default -> Optional.of(now.minus(Duration.ofDays(days)));
        };
    }

    /** A profile value is the user's own, but is cut so that a pasted file cannot flood the message. */
    private static String shortForError(String value) {
        if (value == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        value.codePoints().limit(40).forEach(cp -> sb.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Retention r && r.kind == kind && r.days == days;
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + days;
    }

    @Override
    public String toString() {
        return kind == Kind.DAYS ? Integer.toString(days) : kind.name().toLowerCase(Locale.ROOT);
    }
}
