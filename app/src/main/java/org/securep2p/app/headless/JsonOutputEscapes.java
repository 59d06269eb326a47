package org.securep2p.app.headless;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;

/**
 * What the headless output writes as a {@code \}{@code uXXXX} escape beyond JSON's own rule: DEL, and every
 * control, format (the bidi overrides U+202A..U+202E and isolates U+2066..U+2069, zero-width characters), line
 * or paragraph separator (U+2028, U+2029), unassigned or private-use character of the Basic Multilingual Plane.
 *
 * <p>Why: names and texts in the output are chosen by the peer. JSON allows these characters raw, so a client that
 * logs or prints the line (or embeds it in JavaScript, where U+2028 ends a line) would show the line reordered,
 * split or with hidden characters. Escaped, the line is plain ASCII-safe text wherever it is shown, and a JSON
 * parser still reads back exactly the string the peer sent.
 */
final class JsonOutputEscapes extends CharacterEscapes {

    private static final long serialVersionUID = 1L;

    private final int[] ascii;

    JsonOutputEscapes() {
        ascii = standardAsciiEscapesForJSON();
        ascii[0x7F] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
        return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
        return mustEscape(ch) ? new SerializedString(String.format("\\u%04X", ch)) : null;
    }

    /** For one UTF-16 unit above ASCII (surrogate halves are left as they are: they form the pairs). */
    static boolean mustEscape(int ch) {
        return switch (Character.getType(ch)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.UNASSIGNED, Character.PRIVATE_USE -> true;
            default -> false;
        };
    }
}
