package org.securep2p.app;

import java.util.Optional;

import org.securep2p.app.history.ContactNames;

/**
 * Strings a peer chose (its HELLO name, a CLOSE detail): which may be a name at all, and how any of them is
 * written into a log line so it shows as what it is.
 *
 * <p>A name is shown to the user beside trust decisions, so it must look like what it is: no control or format
 * characters (U+202E, the right-to-left override, shows the rest of a name reversed; U+200B makes "bob" and
 * "bob" plus an invisible character two names), no line or paragraph separators (U+2028/2029 end a line in
 * many viewers), no unassigned, surrogate or private-use code points (they show as nothing or as anything),
 * 1 to {@link #MAX_NAME_BYTES} bytes of UTF-8.
 *
 * <p>Not its job: the JSON output (Jackson escapes there, see the headless server) or the TUI's rendering.
 */
final class PeerText {

    /** The HELLO name limit of PROTOCOL.md §20.1: fits a screen line and a trust-store name (§19.4). */
    static final int MAX_NAME_BYTES = ContactNames.MAX_NAME_BYTES;
    /** Code points of a peer string kept in one log line; the rest is cut, so one peer cannot flood a line. */
    static final int MAX_LOG_CODE_POINTS = 200;

    private PeerText() {
    }

    /** True for code points that display as themselves and cannot reorder, hide or break a line. */
    static boolean isPlain(int cp) {
        return ContactNames.isPlain(cp);
    }

    /** Why {@code name} may not be a peer's name, or empty when it may (one rule with the contact list's). */
    static Optional<String> nameProblem(String name) {
        return ContactNames.problem(name);
    }

    /**
     * {@code s} for a log line: every code point that {@link #isPlain is not plain}, and the backslash, written
     * as backslash-u and four hex digits (so an escape in the text cannot pass for one of ours), cut after
     * {@link #MAX_LOG_CODE_POINTS} code points with "…". The result is one line that reads left to right.
     */
    static String forLog(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder();
        int[] cps = s.codePoints().toArray();
        int n = Math.min(cps.length, MAX_LOG_CODE_POINTS);
        for (int i = 0; i < n; i++) {
            int cp = cps[i];
            if (cp == '\\' || !isPlain(cp)) {
                for (char c : Character.toChars(cp)) {
                    b.append(String.format("\\u%04X", (int) c));
                }
            } else {
                b.appendCodePoint(cp);
            }
        }
        if (cps.length > n) {
            b.append('…');
        }
        return b.toString();
    }
}
