package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.securep2p.app.ChatEvent;

import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.input.KeyType;

/**
 * Issue 21 on the virtual terminal: a conversation shows text as people write it in the right cells, and its input
 * line edits by cluster, recalls earlier lines and takes the shell's Ctrl keys. (The virtual terminal re-splits
 * clusters by JDK 17's rules, so ZWJ sequences, flags and skin tones are checked on the screen buffer in
 * {@link CanvasTest}.)
 */
class ConversationTextTest {

    /** The cells of a row, a wide character's right half as "". */
    private static List<String> cells(TuiHarness h, int row) {
        List<String> out = new ArrayList<>();
        int columns = h.terminal.getTerminalSize().getColumns();
        for (int col = 0; col < columns; col++) {
            String cell = h.terminal.getCharacter(col, row).getCharacterString();
            boolean rightHalf = col > 0 && !out.get(col - 1).isEmpty()
                    && h.terminal.getCharacter(col - 1, row).isDoubleWidth();
            out.add(rightHalf ? "" : cell);
        }
        return out;
    }

    private static int rowStartingWith(TuiHarness h, String start) {
        List<String> lines = h.screen().lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(start)) {
                return i;
            }
        }
        throw new AssertionError("no row starts with " + start + ":\n" + h.screen());
    }

    @Test
    void aReceivedMessageWithEmojiCjkHebrewAndAnAccentIsDrawnCellByCell() throws Exception {
        try (TuiHarness h = TuiTest.inChat(60, 20)) {
            h.messenger.emit(new ChatEvent.MessageReceived(TuiTest.BOB, "bob", "🙂中!שלום e\u0301", "p1",
                    TuiHarness.NOW));
            h.awaitText("14:05 bob: ");
            h.await(() -> h.screen().contains("שלום"), "the message drawn");
            int row = rowStartingWith(h, "14:05 bob: ");
            // The accented e ends the row: the virtual terminal takes any cluster of two chars as wide.
            List<String> cells = cells(h, row).subList("14:05 bob: ".length(), "14:05 bob: ".length() + 11);
            assertThat(cells).containsExactly("🙂", "", "中", "", "!", "ש", "ל", "ו", "ם", " ", "e\u0301");
        }
    }

    @Test
    void aLongMessageOfWideCharactersWrapsWithoutLosingAny() throws Exception {
        try (TuiHarness h = TuiTest.inChat(40, 20)) {
            String text = "中".repeat(45);
            h.messenger.emit(new ChatEvent.MessageReceived(TuiTest.BOB, "bob", text, "p1", TuiHarness.NOW));
            // The virtual terminal repeats a wide character in its second cell: 45 of them show as 90.
            String screen = h.awaitScreen(s -> s.chars().filter(c -> c == '中').count() == 90);
            assertThat(screen.lines().filter(l -> l.contains("中"))).hasSize(3).noneMatch(l -> l.contains("…"));
        }
    }

    @Test
    void theCursorFollowsColumnsAndMovesByCluster() throws Exception {
        try (TuiHarness h = TuiTest.inChat(60, 20)) {
            h.type("a中🙂");
            h.awaitText("> a中中🙂🙂");
            int row = h.screen().lines().toList().indexOf("> a中中🙂🙂");
            h.await(() -> h.terminal.getCursorPosition().equals(new TerminalPosition(7, row)), "cursor after a中🙂");
            h.key(KeyType.ArrowLeft);
            h.await(() -> h.terminal.getCursorPosition().equals(new TerminalPosition(5, row)), "left over 🙂");
            h.key(KeyType.Backspace);
            h.await(() -> h.terminal.getCursorPosition().equals(new TerminalPosition(3, row)), "中 deleted");
            h.enter();
            h.await(() -> h.messenger.sent.contains("a🙂"), "a🙂 sent whole");
        }
    }

    @Test
    void upAndDownRecallThisConversationsLinesAndKeepTheOneBeingTyped() throws Exception {
        try (TuiHarness h = TuiTest.inChat(60, 20)) {
            h.type("first 🇫🇷\n");
            h.await(() -> h.messenger.sent.contains("first 🇫🇷"), "first sent");
            h.type("second\n");
            h.await(() -> h.messenger.sent.contains("second"), "second sent");
            h.type("draft");
            h.key(KeyType.ArrowUp);
            h.awaitScreen(s -> s.lines().anyMatch(l -> l.equals("> second")));
            h.key(KeyType.ArrowUp);
            h.awaitScreen(s -> s.lines().anyMatch(l -> l.startsWith("> first ")));
            h.key(KeyType.ArrowDown);
            h.key(KeyType.ArrowDown);
            h.awaitScreen(s -> s.lines().anyMatch(l -> l.equals("> draft")));
            h.key(KeyType.ArrowUp);
            h.enter();
            h.await(() -> new ArrayList<>(h.messenger.sent).stream().filter("second"::equals).count() == 2, "second sent again");
        }
    }

    @Test
    void ctrlKeysEditTheInputLineAsAShellDoes() throws Exception {
        try (TuiHarness h = TuiTest.inChat(60, 20)) {
            h.type("hello brave world");
            h.ctrl('w');
            h.awaitScreen(s -> s.lines().anyMatch(l -> l.equals("> hello brave")));
            h.ctrl('a');
            h.type("oh ");
            h.awaitScreen(s -> s.lines().anyMatch(l -> l.equals("> oh hello brave")));
            h.ctrl('e');
            h.type("!");
            h.key(KeyType.ArrowLeft);
            h.ctrl('u');
            h.awaitScreen(s -> s.lines().anyMatch(l -> l.equals("> !")));
            h.enter();
            h.await(() -> h.messenger.sent.contains("!"), "what was left sent");
        }
    }
}
