package org.securep2p.keymanager;

import java.nio.CharBuffer;
import java.util.List;
import java.util.Optional;

import com.nulabinc.zxcvbn.Feedback;
import com.nulabinc.zxcvbn.Strength;
import com.nulabinc.zxcvbn.Zxcvbn;

/**
 * Whether a new passphrase is strong enough to protect the keys: zxcvbn's score (Dropbox's estimator of how many
 * guesses an attacker with dictionaries, keyboard patterns, dates and substitutions needs; Java port
 * {@code com.nulab-inc:zxcvbn}) must be at least {@link #MIN_SCORE}. Only a passphrase being chosen is judged; an
 * existing one always opens its keys (PROTOCOL.md 15).
 *
 * <p>Not its job: stretching (Argon2id, {@link KdfParameters}) or remembering the passphrase. The passphrase is
 * measured through a {@link CharBuffer} over a copy of the caller's array (no String of it is made here; zxcvbn's
 * own matchers make substrings we cannot reach), and the copy is wiped.
 */
public final class PassphraseStrength {

    /**
     * zxcvbn's 3, "safely unguessable: moderate protection from offline slow-hash scenario" (fewer than 10^10
     * guesses is below it): the attacker who copies the key directory attacks Argon2id offline.
     */
    public static final int MIN_SCORE = 3;

    private PassphraseStrength() {
    }

    /**
     * Empty if {@code passphrase} scores at least {@link #MIN_SCORE}; otherwise the sentence telling the user why
     * not and what to do (zxcvbn's warning and suggestions). The array is left to the caller to wipe.
     */
    public static Optional<String> refusal(char[] passphrase) {
        // A copy: zxcvbn's wipe() clears the characters it was given, and the caller still needs them.
        char[] copy = passphrase.clone();
        Strength strength = new Zxcvbn().measure(CharBuffer.wrap(copy));
        try {
            if (strength.getScore() >= MIN_SCORE) {
                return Optional.empty();
            }
            Feedback feedback = strength.getFeedback();
            StringBuilder sentence = new StringBuilder("This passphrase is too easy to guess (strength ")
                    .append(strength.getScore()).append(" of 4, at least ").append(MIN_SCORE).append(" needed).");
            String warning = feedback.getWarning();
            if (warning != null && !warning.isBlank()) {
                sentence.append(' ').append(warning.strip());
                if (!warning.strip().endsWith(".")) {
                    sentence.append('.');
                }
            }
            List<String> suggestions = feedback.getSuggestions();
            for (String suggestion : suggestions) {
                sentence.append(' ').append(suggestion.strip());
            }
            return Optional.of(sentence.toString());
        } finally {
            strength.wipe();
            java.util.Arrays.fill(copy, '\0');
        }
    }
}
