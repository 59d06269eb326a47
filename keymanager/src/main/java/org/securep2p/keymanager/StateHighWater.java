package org.securep2p.keymanager;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The newest key state the key manager has made visible: its generation (one more with every write of
 * {@code identity.state}) and its three id counters (every prekey id ever issued is below its counter). Kept
 * where a restored home backup does not reach it (the OS keyring, {@link HighWaterStore}), so that an older
 * {@code identity.state} put back in place is recognised (PROTOCOL.md 17). Not secret.
 *
 * <p>Text form, the keyring value: {@code "v1 <generation> <nextSignedPreKeyId> <nextKemPreKeyId>
 * <nextOneTimePreKeyId>"}, decimal, single spaces; anything else is refused.
 */
record StateHighWater(long generation, int nextSignedPreKeyId, int nextKemPreKeyId, int nextOneTimePreKeyId) {

    private static final Pattern TEXT = Pattern.compile("v1 (0|[1-9][0-9]{0,17}) ([1-9][0-9]{0,9}) ([1-9][0-9]{0,9}) "
            + "([1-9][0-9]{0,9})");

    StateHighWater {
        if (generation < 0 || nextSignedPreKeyId < 1 || nextKemPreKeyId < 1 || nextOneTimePreKeyId < 1) {
            throw new IllegalArgumentException("generation and counters out of range");
        }
    }

    /** From a generation and {@code InMemoryPrivateKeys.idCounters()}. */
    static StateHighWater of(long generation, int[] counters) {
        return new StateHighWater(generation, counters[0], counters[1], counters[2]);
    }

    int[] counters() {
        return new int[] {nextSignedPreKeyId, nextKemPreKeyId, nextOneTimePreKeyId};
    }

    String encode() {
        return "v1 " + generation + " " + nextSignedPreKeyId + " " + nextKemPreKeyId + " " + nextOneTimePreKeyId;
    }

    /** The value {@link #encode()} wrote, or empty for anything else (the caller says it is damaged). */
    static Optional<StateHighWater> parse(String text) {
        Matcher m = TEXT.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new StateHighWater(Long.parseLong(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4))));
        } catch (IllegalArgumentException e) {
            // Above Integer.MAX_VALUE: not a value we wrote.
            return Optional.empty();
        }
    }
}
