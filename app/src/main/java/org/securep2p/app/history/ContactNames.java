package org.securep2p.app.history;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Optional;

/**
 * What a contact's local name may be and when two names are one (PROTOCOL.md §19.6): the peer-name rule of
 * §20.1, and equality after NFKC and case folding, so "Bob" and "bob", a composed and a decomposed "é", or
 * "ﬁona" and "fiona" cannot name two contacts.
 *
 * <p>Not its job: storing names (the unique keyed hash is {@link HistoryDatabase}'s).
 */
public final class ContactNames {

    /** The HELLO name limit of §20.1, so a name the peer announced can always be kept as the local name. */
    public static final int MAX_NAME_BYTES = 64;

    private ContactNames() {
    }

    /** The peer-name rule of §20.1: why {@code name} may not be a peer's or a contact's name, or empty. */
    public static Optional<String> problem(String name) {
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes < 1 || bytes > MAX_NAME_BYTES) {
            return Optional.of("a name is 1.." + MAX_NAME_BYTES + " bytes of UTF-8, not " + bytes);
        }
        int[] bad = name.codePoints().filter(cp -> !isPlain(cp)).limit(1).toArray();
        if (bad.length > 0) {
            return Optional.of(String.format("a name may not contain U+%04X (control, format, separator or"
                    + " unassigned character)", bad[0]));
        }
        return Optional.empty();
    }

    /** True for code points that display as themselves and cannot reorder, hide or break a line. */
    public static boolean isPlain(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.UNASSIGNED, Character.SURROGATE, Character.PRIVATE_USE -> false;
            default -> true;
        };
    }

    /**
     * Two names are one when they differ only in case (full case folding approximated by upper then lower
     * case: "Straße" is "STRASSE"), composition or compatibility form (NFKC: the "ﬁ" ligature is "fi",
     * full-width letters are ASCII), so a peer cannot announce such a look-alike of an existing contact.
     * Look-alikes across scripts (a Cyrillic "а" for a Latin "a") remain distinct names.
     */
    static String normalise(String strippedName) {
        String folded = Normalizer.normalize(strippedName, Normalizer.Form.NFKC).toUpperCase(Locale.ROOT)
                .toLowerCase(Locale.ROOT);
        // Case mapping can leave a string that is not NFKC again; normalise once more so equal names stay equal.
        return Normalizer.normalize(folded, Normalizer.Form.NFKC);
    }
}
