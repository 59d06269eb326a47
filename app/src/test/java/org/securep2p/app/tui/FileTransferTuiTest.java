package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.AppException;
import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;

import com.googlecode.lanterna.input.KeyType;

/** File transfer in the conversation screen: /send, Tab, the offer prompt, /accept, /decline, /cancel, progress. */
class FileTransferTuiTest {

    static final String BOB = TuiTest.BOB;
    static final String ID = FakeMessenger.FILE_ID;
    static final String OTHER = "fedcba9876543210fedcba9876543210";
    static final long MIB = 1024 * 1024;

    private static String progressRow(String screen, String name) {
        return screen.lines().filter(l -> l.contains(name) && l.contains("%")).findFirst()
                .orElseThrow(() -> new AssertionError("no progress row for " + name + " in\n" + screen));
    }

    private static long count(String s, char c) {
        return s.chars().filter(x -> x == c).count();
    }

    @Test
    void progressEventsDrawTheBarWithPercentRateAndTimeLeftThenOneLineWhenDone() throws Exception {
        try (TuiHarness h = TuiTest.inChat(100, 30)) {
            h.messenger.emit(new ChatEvent.FileOffered(BOB, ID, "report.pdf", 10 * MIB, "application/pdf", true));
            h.awaitText("bob sends report.pdf (10.0 MiB, application/pdf): accepted by itself");
            h.messenger.emit(new ChatEvent.FileProgress(BOB, ID, MIB, 10 * MIB, 512 * 1024));
            String row = progressRow(h.awaitText(" 10%"), "report.pdf");
            // 9 MiB left at 0.5 MiB/s: 18 s.
            assertThat(row).startsWith(FileText.IN + " report.pdf").contains(" 10%  512.0 KiB/s  ~18 s")
                    .contains(ID.substring(0, 8));
            long bar = count(row, FileText.FULL) + count(row, FileText.EMPTY);
            assertThat(bar).isEqualTo(FileText.MAX_BAR);
            assertThat(count(row, FileText.FULL)).isEqualTo(bar / 10);

            h.messenger.emit(new ChatEvent.FileProgress(BOB, ID, 5 * MIB, 10 * MIB, 2 * MIB));
            row = progressRow(h.awaitText(" 50%"), "report.pdf");
            assertThat(row).contains(" 50%  2.0 MiB/s  ~3 s");
            assertThat(count(row, FileText.FULL)).isEqualTo(bar / 2);

            h.messenger.emit(new ChatEvent.FileProgress(BOB, ID, 10 * MIB - 1024, 10 * MIB, 0));
            row = progressRow(h.awaitText(" 99%"), "report.pdf");
            assertThat(row).doesNotContain("~"); // no rate, no guess

            String home = System.getProperty("user.home");
            h.messenger.emit(new ChatEvent.FileDone(BOB, ID, home + "/sp/downloads/report.pdf", "ab".repeat(32)));
            String s = h.awaitText(FileText.DONE + " report.pdf (10.0 MiB) saved to ~/sp/downloads/report.pdf");
            assertThat(s).doesNotContain("%").doesNotContain(String.valueOf(FileText.FULL));
        }
    }

    @Test
    void theSenderSeesItsOutgoingTransferWithABarAndTheEndAsOneLine(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("notes.txt"), "x");
        try (TuiHarness h = TuiTest.inChat(100, 30)) {
            h.type("/send " + file + "\n");
            h.await(() -> h.messenger.called("sendFile " + BOB + " " + file), "sendFile");
            h.awaitText(FileText.OUT + " notes.txt offered, waiting for bob to accept");
            h.messenger.emit(new ChatEvent.FileProgress(BOB, ID, 3 * MIB, 4 * MIB, MIB));
            String row = progressRow(h.awaitText(" 75%"), "notes.txt");
            assertThat(row).startsWith(FileText.OUT + " notes.txt").contains("1.0 MiB/s  ~1 s");
            h.messenger.emit(new ChatEvent.FileFailed(BOB, ID, "The peer cancelled it."));
            String s = h.awaitText(FileText.FAILED + " notes.txt: The peer cancelled it.");
            assertThat(s).doesNotContain(" 75%");
        }
    }

    @Test
    void anOfferOpensAPromptAndAAcceptsIt() throws Exception {
        try (TuiHarness h = TuiTest.inChat(100, 30)) {
            h.messenger.emit(new ChatEvent.FileOffered(BOB, ID, "photo.jpg", 2_202_010, "image/jpeg", false));
            String s = h.awaitText("bob offers a file");
            assertThat(s).contains("photo.jpg", "2.1 MiB", "image/jpeg", ID, "a: accept   d: decline");
            h.type("a");
            h.await(() -> h.messenger.called("acceptFile " + ID), "acceptFile");
            s = h.awaitText("Accepted photo.jpg");
            assertThat(s).doesNotContain("a: accept").contains("Chat with bob");
            assertThat(h.messenger.callsSoFar()).noneMatch(c -> c.startsWith("declineFile"));
        }
    }

    @Test
    void anOfferPromptDeclinesWithDAndThePeersNameIsCleaned() throws Exception {
        try (TuiHarness h = TuiTest.inChat(100, 30)) {
            h.messenger.emit(new ChatEvent.FileOffered(BOB, ID, "evil\u202Egpj.exe", 10, "application/x\u001b", false));
            String s = h.awaitText("bob offers a file");
            assertThat(s).contains("evil?gpj.exe").doesNotContain("\u202E").doesNotContain("\u001b");
            h.type("d");
            h.await(() -> h.messenger.called("declineFile " + ID), "declineFile");
            h.awaitText(FileText.FAILED + " evil?gpj.exe: declined");
            // The engine's own report of the decline adds no second line.
            h.messenger.emit(new ChatEvent.FileFailed(BOB, ID, "Declined."));
            h.settle();
            assertThat(h.screen()).doesNotContain("Declined.");
            assertThat(h.messenger.callsSoFar()).noneMatch(c -> c.startsWith("acceptFile"));
        }
    }

    @Test
    void escapeLeavesTheOfferListedAndSlashAcceptOrDeclineAnswersIt() throws Exception {
        try (TuiHarness h = TuiTest.inChat(100, 30)) {
            h.messenger.emit(new ChatEvent.FileOffered(BOB, OTHER, "old.txt", 100, "text/plain", false));
            h.awaitText("bob offers a file");
            h.key(KeyType.Escape);
            h.awaitScreen(s -> !s.contains("a: accept")); // the next offer finds no dialog up
            h.messenger.emit(new ChatEvent.FileOffered(BOB, ID, "new.txt", 200, "text/plain", false));
            h.awaitText("bob offers a file");
            h.key(KeyType.Escape);
            String s = h.awaitText("Chat with bob");
            assertThat(s).contains("old.txt (100 B) offered: /accept, /decline  fedcba98")
                    .contains("new.txt (200 B) offered: /accept, /decline  01234567");
            h.type("/decline\n"); // the latest
            h.await(() -> h.messenger.called("declineFile " + ID), "declineFile new");
            h.awaitText(FileText.FAILED + " new.txt: declined");
            h.type("/accept fed\n"); // by the start of its id
            h.await(() -> h.messenger.called("acceptFile " + OTHER), "acceptFile old");
            h.type("/accept\n");
            h.awaitText("There is no file offer to answer here.");
            assertThat(h.messenger.callsSoFar()).filteredOn(c -> c.contains("File ")).containsExactly(
                    "declineFile " + ID, "acceptFile " + OTHER);
        }
    }

    @Test
    void aPromptWhoseOfferEndsMeanwhileGoesAway() throws Exception {
        try (TuiHarness h = TuiTest.inChat(100, 30)) {
            h.messenger.emit(new ChatEvent.FileOffered(BOB, ID, "gone.txt", 5, "text/plain", false));
            h.awaitText("a: accept");
            h.messenger.emit(new ChatEvent.FileFailed(BOB, ID, "The sender cancelled it."));
            String s = h.awaitText(FileText.FAILED + " gone.txt: The sender cancelled it.");
            assertThat(s).doesNotContain("a: accept").doesNotContain("offered: /accept");
            h.type("a"); // no prompt takes it: it is typed
            h.awaitText("> a");
            assertThat(h.messenger.callsSoFar()).noneMatch(c -> c.startsWith("acceptFile"));
        }
    }

    @Test
    void anOfferInAnotherConversationIsANoticeAndItsPromptOpensWithIt() throws Exception {
        try (TuiHarness h = ConversationsTest.twoConversations(100, 30)) {
            h.messenger.emit(new ChatEvent.FileOffered(ConversationsTest.CAROL, ID, "c.txt", 1, "text/plain", false));
            String s = h.awaitText("carol offers a file (Alt+2).");
            assertThat(s).contains("Chat with bob").doesNotContain("a: accept");
            h.alt('2');
            s = h.awaitText("a: accept");
            assertThat(s).contains("carol offers a file", "c.txt");
        }
    }

    @Test
    void slashCancelStopsTheLatestRunningTransferOrTheOneNamed() throws Exception {
        try (TuiHarness h = TuiTest.inChat(100, 30)) {
            h.type("/cancel\n");
            h.awaitText("No file transfer runs here.");
            h.messenger.emit(new ChatEvent.FileOffered(BOB, OTHER, "one.bin", 4 * MIB, "application/octet-stream",
                    true));
            h.messenger.emit(new ChatEvent.FileOffered(BOB, ID, "two.bin", 4 * MIB, "application/octet-stream",
                    true));
            h.messenger.emit(new ChatEvent.FileProgress(BOB, ID, MIB, 4 * MIB, MIB));
            h.awaitText(" 25%");
            h.type("/cancel\n");
            h.await(() -> h.messenger.called("cancelFile " + ID), "cancel the latest");
            h.type("/cancel FEDC\n");
            h.await(() -> h.messenger.called("cancelFile " + OTHER), "cancel by id");
            h.messenger.emit(new ChatEvent.FileFailed(BOB, ID, "Cancelled."));
            h.awaitText(FileText.FAILED + " two.bin: Cancelled.");
        }
    }

    @Test
    void tabCompletesTheCommonStartListsSeveralMatchesAndEndsADirectoryWithASlash(@TempDir Path dir)
            throws Exception {
        Files.writeString(dir.resolve("report-2025.pdf"), "a");
        Files.writeString(dir.resolve("report-2026.pdf"), "b");
        Files.writeString(dir.resolve("notes.txt"), "c");
        Files.createDirectory(dir.resolve("reports-old"));
        try (TuiHarness h = TuiTest.inChat(120, 30)) {
            h.type("/send " + dir + "/rep");
            h.key(KeyType.Tab);
            String s = h.awaitText("> /send " + dir + "/report\n");
            assertThat(s).contains("3 matches: report-2025.pdf  report-2026.pdf  reports-old/");
            h.type("s");
            h.key(KeyType.Tab);
            h.awaitText("> /send " + dir + "/reports-old/");
            h.key(KeyType.Escape);
            h.type("/send " + dir + "/no");
            h.key(KeyType.Tab);
            h.awaitText("> /send " + dir + "/notes.txt");
            h.enter();
            h.await(() -> h.messenger.called("sendFile " + BOB + " " + dir.resolve("notes.txt")), "sendFile");
            // Tab on a message is still a space.
            h.type("a");
            h.key(KeyType.Tab);
            h.type("b");
            h.awaitText("> a b");
        }
    }

    @Test
    void aQuotedPathWithSpacesIsOnePathAndTabQuotesOne(@TempDir Path dir) throws Exception {
        Path spaced = Files.writeString(dir.resolve("a b.txt"), "x");
        try (TuiHarness h = TuiTest.inChat(120, 30)) {
            h.type("/send \"" + spaced + "\"\n");
            h.await(() -> h.messenger.called("sendFile " + BOB + " " + spaced), "sendFile with a space");
            h.type("/send " + dir + "/a");
            h.key(KeyType.Tab);
            h.awaitText("> /send \"" + spaced + "\"");
            h.enter();
            h.await(() -> h.messenger.callsSoFar().stream().filter(c -> c.equals("sendFile " + BOB + " " + spaced))
                    .count() == 2, "the completed path sent");
        }
    }

    @Test
    void sendAloneAsksForThePathOnTheInputLine(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("only.txt"), "x");
        try (TuiHarness h = TuiTest.inChat(120, 30)) {
            h.type("/send\n");
            h.awaitText(ConversationScreen.FILE_PROMPT.strip());
            h.type(dir + "/on");
            h.key(KeyType.Tab);
            h.awaitText(ConversationScreen.FILE_PROMPT + file);
            h.enter();
            h.await(() -> h.messenger.called("sendFile " + BOB + " " + file), "sendFile from the prompt");
            String s = h.awaitScreen(x -> !x.contains(ConversationScreen.FILE_PROMPT));
            assertThat(s).contains("> ");
            assertThat(h.messenger.sent).isEmpty(); // the path was never sent as a message
        }
    }

    @Test
    void aRefusedFileIsALineInTheConversation() throws Exception {
        try (TuiHarness h = TuiTest.inChat(120, 30)) {
            h.messenger.fileFailure = new AppException(AppException.Reason.FILE_REFUSED, "It is over 2048 MiB.");
            h.type("/send /nowhere/big.iso\n");
            String s = h.awaitText(FileText.FAILED + " Cannot send big.iso: "
                    + AppException.Reason.FILE_REFUSED.sentence() + " It is over 2048 MiB.");
            assertThat(s).doesNotContain("offered, waiting");
        }
    }

    @Test
    void offersWaitingFromBeforeAStartAreListedAndPromptedWhenTheConversationOpens() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.messenger.transfers = List.of(new Messenger.TransferInfo(ID, BOB, "kept.txt", false, 0, 50, 0,
                    "asking", "/x/kept.txt.part"));
            h.messenger.emit(TuiTest.connected());
            String s = h.awaitText("a: accept");
            assertThat(s).contains("kept.txt");
        }
    }

    @Test
    void helpListsTheFileCommands() throws Exception {
        try (TuiHarness h = TuiTest.inChat(140, 40)) {
            h.type("/help\n");
            String s = h.awaitText("/cancel [ID]");
            assertThat(s).contains("/send PATH", "Tab completes", "/accept [ID], /decline [ID]");
        }
    }
}
