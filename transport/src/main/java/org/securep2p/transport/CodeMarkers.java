package org.securep2p.transport;

import static org.securep2p.transport.ConnectionCode.bad;

/**
 * The marker lines a front end prints around a code so that a person sees where it starts and ends
 * ({@code -----BEGIN CONNECTION CODE-----} ... {@code -----END CONNECTION CODE-----}, and the same with
 * {@code ANSWER}). A person who selects the whole block copies them too, so the parsers read past them: an exact
 * BEGIN marker at the start of what was pasted and an exact END marker at its end are skipped, each on its own
 * (a selection often misses one of them), and when both are there they must name the same kind of code.
 *
 * <p>Guarantees: only the exact marker texts, in upper case as printed, are skipped, and only at the ends;
 * everything else is left where it is, so the code's parser still refuses it. A marker carries no meaning, so
 * skipping it changes nothing about what a code says.
 */
public final class CodeMarkers {

    /** Printed before an offer (the waiter's connection code). */
    public static final String CONNECTION_BEGIN = "-----BEGIN CONNECTION CODE-----";
    /** Printed after an offer. */
    public static final String CONNECTION_END = "-----END CONNECTION CODE-----";
    /** Printed before an answer code. */
    public static final String ANSWER_BEGIN = "-----BEGIN ANSWER CODE-----";
    /** Printed after an answer code. */
    public static final String ANSWER_END = "-----END ANSWER CODE-----";

    private static final String[] BEGINS = {CONNECTION_BEGIN, ANSWER_BEGIN};
    private static final String[] ENDS = {CONNECTION_END, ANSWER_END};

    private CodeMarkers() {
    }

    /**
     * The part of {@code text[from, to)} inside the markers, as {@code {from, to}}, blanks around it trimmed; the
     * range itself (trimmed) when there are none.
     *
     * @throws TransportException {@code BAD_CODE} when a BEGIN and an END marker of different kinds are both there
     */
    static int[] inside(String text, int from, int to) throws TransportException {
        int[] r = trimmed(text, from, to);
        int begin = -1;
        for (int k = 0; k < BEGINS.length; k++) {
            if (text.startsWith(BEGINS[k], r[0]) && r[0] + BEGINS[k].length() <= r[1]) {
                begin = k;
                r = trimmed(text, r[0] + BEGINS[k].length(), r[1]);
                break;
            }
        }
        int end = -1;
        for (int k = 0; k < ENDS.length; k++) {
            int at = r[1] - ENDS[k].length();
            if (at >= r[0] && text.startsWith(ENDS[k], at)) {
                end = k;
                r = trimmed(text, r[0], at);
                break;
            }
        }
        if (begin >= 0 && end >= 0 && begin != end) {
            throw bad("the markers do not match: " + BEGINS[begin] + " ends with " + ENDS[end]);
        }
        return r;
    }

    private static int[] trimmed(String text, int from, int to) {
        int f = from;
        int t = to;
        while (f < t && ConnectionCode.isBlank(text.charAt(f))) {
            f++;
        }
        while (t > f && ConnectionCode.isBlank(text.charAt(t - 1))) {
            t--;
        }
        return new int[] {f, t};
    }
}
