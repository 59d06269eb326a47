package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LineEditorTest {

    private static LineEditor typed(String s) {
        LineEditor e = new LineEditor(100);
        for (int i = 0; i < s.length(); i++) {
            e.insert(s.charAt(i));
        }
        return e;
    }

    @Test
    void backspaceDeletesAWholeCluster() {
        LineEditor e = typed("a👩\u200D👩\u200D👧");
        e.backspace();
        assertThat(e.text()).isEqualTo("a");
        e = typed("xe\u0301");
        e.backspace();
        assertThat(e.text()).isEqualTo("x");
        e = typed("🇫🇷👍🏽");
        e.backspace();
        assertThat(e.text()).isEqualTo("🇫🇷");
    }

    @Test
    void arrowsMoveByClusterAndDeleteTakesTheClusterAfterTheCursor() {
        LineEditor e = typed("a👍🏽b");
        e.left();
        assertThat(e.cursor()).isEqualTo(5);
        e.left();
        assertThat(e.cursor()).isEqualTo(1);
        e.delete();
        assertThat(e.text()).isEqualTo("ab");
        e.right();
        assertThat(e.cursor()).isEqualTo(2);
        e.right();
        assertThat(e.cursor()).isEqualTo(2);
    }

    @Test
    void ctrlKeysEditAsAShellDoes() {
        LineEditor e = typed("send the  file now");
        e.deleteWordBefore();
        assertThat(e.text()).isEqualTo("send the  file ");
        e.deleteWordBefore();
        assertThat(e.text()).isEqualTo("send the  ");
        e.left();
        e.left();
        e.deleteToStart();
        assertThat(e.text()).isEqualTo("  ");
        assertThat(e.cursor()).isZero();
        e.end();
        assertThat(e.cursor()).isEqualTo(2);
        e.home();
        assertThat(e.cursor()).isZero();
    }

    @Test
    void upAndDownRecallEarlierLinesAndGiveBackTheLineBeingTyped() {
        LineEditor e = typed("one");
        assertThat(e.submit()).isEqualTo("one");
        "two 🙂".chars().forEach(c -> e.insert((char) c));
        e.submit();
        "draft".chars().forEach(c -> e.insert((char) c));
        assertThat(e.previous()).isTrue();
        assertThat(e.text()).isEqualTo("two 🙂");
        assertThat(e.previous()).isTrue();
        assertThat(e.text()).isEqualTo("one");
        assertThat(e.previous()).isFalse();
        assertThat(e.text()).isEqualTo("one");
        assertThat(e.next()).isTrue();
        assertThat(e.text()).isEqualTo("two 🙂");
        assertThat(e.next()).isTrue();
        assertThat(e.text()).isEqualTo("draft");
        assertThat(e.cursor()).isEqualTo(5);
        assertThat(e.next()).isFalse();
    }

    @Test
    void blankAndRepeatedLinesAreNotRecalledTwice() {
        LineEditor e = typed("same");
        e.submit();
        "same".chars().forEach(c -> e.insert((char) c));
        e.submit();
        e.submit();
        assertThat(e.previous()).isTrue();
        assertThat(e.previous()).isFalse();
    }

    @Test
    void aFullLineRefusesTheFirstHalfOfAnEmojiThatWouldNotFit() {
        LineEditor e = new LineEditor(3);
        e.insert('a');
        e.insert('b');
        assertThat(e.insert('\uD83D')).isFalse();
        assertThat(e.text()).isEqualTo("ab");
    }
}
