package org.securep2p.keymanager;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The terminal prompt a person answers (the app's, through PassphrasePrompt.console). */
class PassphrasePromptTest {

    private static PassphrasePrompt.Terminal typing(String... lines) {
        Deque<String> typed = new ArrayDeque<>(List.of(lines));
        return prompt -> typed.isEmpty() ? null : typed.removeFirst().toCharArray();
    }

    @Test
    void aWeakNewPassphraseIsRefusedWithZxcvbnsSentenceAndAskedAgain() {
        List<String> shown = new ArrayList<>();
        PassphrasePrompt prompt = PassphrasePrompt.terminal(
                typing("password1", "correct horse battery staple", "correct horse battery staple"), shown::add);
        assertThat(new String(prompt.ask(PassphrasePrompt.Request.NEW))).isEqualTo("correct horse battery staple");
        assertThat(shown).hasSize(1);
        assertThat(shown.get(0)).contains("too easy to guess").contains("very common password")
                .doesNotContain("password1");
    }

    @Test
    void threeWeakAnswersDecline() {
        PassphrasePrompt prompt = PassphrasePrompt.terminal(typing("abc", "123456", "qwerty", "x"), line -> { });
        assertThat(prompt.ask(PassphrasePrompt.Request.NEW)).isNull();
    }

    @Test
    void anExistingPassphraseIsNeverJudged() {
        PassphrasePrompt prompt = PassphrasePrompt.terminal(typing("pw"), line -> { });
        assertThat(new String(prompt.ask(PassphrasePrompt.Request.EXISTING))).isEqualTo("pw");
    }
}
