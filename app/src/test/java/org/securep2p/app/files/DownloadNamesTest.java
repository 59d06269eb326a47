package org.securep2p.app.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Names of received files (PROTOCOL.md §24.7): refused, sanitised, never replacing a file, never outside. */
class DownloadNamesTest {

    private static final Path DOWNLOADS = Path.of("/home/user/.securep2p/downloads");

    @TempDir
    Path downloads;

    @Test
    void refusesNamesThatTryToLeaveTheFolder() {
        for (String name : new String[] {".", "..", "../../etc/passwd", "a/b", "..\\..\\x", "a\\b", "a\0b", "/",
                "/etc/passwd", ""}) {
            assertThatThrownBy(() -> DownloadNames.check(name)).as(name).isInstanceOf(FileTransferException.class)
                    .satisfies(e -> assertThat(((FileTransferException) e).reason())
                            .isEqualTo(FileTransferException.Reason.BAD_NAME))
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("passwd"));
        }
        for (String name : new String[] {"...", "a..b", ".bashrc", "report.pdf", "\u202Eexe.txt"}) {
            assertThatCode(() -> DownloadNames.check(name)).as(name).doesNotThrowAnyException();
        }
    }

    @Test
    void sanitisesWhatTheFileSystemOrTheUserWouldMisread() {
        assertThat(DownloadNames.sanitise("a\u202Eexe.txt")).isEqualTo("a_exe.txt");
        assertThat(DownloadNames.sanitise(".bashrc")).isEqualTo("bashrc");
        assertThat(DownloadNames.sanitise(" . .hidden. . ")).isEqualTo("hidden");
        assertThat(DownloadNames.sanitise("line\nbreak\u2028\u2029tab\t.txt")).isEqualTo("line_break__tab_.txt");
        assertThat(DownloadNames.sanitise("zero\u200Bwidth\uE000\uD800.txt")).isEqualTo("zero_width__.txt");
        assertThat(DownloadNames.sanitise("...")).isEqualTo("file");
        assertThat(DownloadNames.sanitise(" ")).isEqualTo("file");
        assertThat(DownloadNames.sanitise("\uD83D\uDE00 party.jpg")).isEqualTo("\uD83D\uDE00 party.jpg");
        assertThat(DownloadNames.sanitise("r\u00E9sum\u00E9.pdf")).isEqualTo("r\u00E9sum\u00E9.pdf");
    }

    @Test
    void cutsLongNamesToTwoHundredBytesKeepingTheExtension() {
        String ascii = DownloadNames.sanitise("a".repeat(296) + ".pdf");
        assertThat(ascii).hasSize(200).endsWith(".pdf").startsWith("aaa");
        // 4-byte emoji: never cut inside one.
        String emoji = DownloadNames.sanitise("\uD83D\uDE00".repeat(75) + ".tar");
        assertThat(emoji.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(200);
        assertThat(emoji).endsWith(".tar").doesNotContain("_").isEqualTo("\uD83D\uDE00".repeat(49) + ".tar");
        String noExtension = DownloadNames.sanitise("\u00E9".repeat(150));
        assertThat(noExtension.getBytes(StandardCharsets.UTF_8)).hasSize(200);
        // A long "extension" is part of the name.
        String longTail = DownloadNames.sanitise("x." + "y".repeat(298));
        assertThat(longTail).hasSize(200).startsWith("x.");
    }

    @Property(tries = 2000)
    void anySanitisedNameIsOneSafeFileInTheFolder(@ForAll String offered) {
        try {
            DownloadNames.check(offered);
        } catch (FileTransferException e) {
            return;
        }
        String s = DownloadNames.sanitise(offered);
        assertThat(s).isNotEmpty().doesNotStartWith(".").doesNotStartWith(" ").doesNotEndWith(".")
                .doesNotEndWith(" ").doesNotContain("/").doesNotContain("\\").doesNotContain("\0");
        assertThat(s.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(200);
        assertThat(s.codePoints()).noneMatch(c -> switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED -> true;
            default -> false;
        });
        assertThat(DOWNLOADS.resolve(s).normalize().getParent()).isEqualTo(DOWNLOADS);
        assertThat(DownloadNames.sanitise(s)).isEqualTo(s);
    }

    @Test
    void reservesAPartAndFinishesUnderItsName() throws IOException {
        Path part = DownloadNames.reservePart(downloads, "report.pdf");
        assertThat(part).isEqualTo(downloads.resolve("report.pdf.part")).exists();
        Files.writeString(part, "content");
        Path done = DownloadNames.finish(part, downloads);
        assertThat(done).isEqualTo(downloads.resolve("report.pdf")).hasContent("content");
        assertThat(part).doesNotExist();
    }

    @Test
    void numbersAroundExistingFilesAndParts() throws IOException {
        Files.writeString(downloads.resolve("report.pdf"), "mine");
        Path second = DownloadNames.reservePart(downloads, "report.pdf");
        assertThat(second).isEqualTo(downloads.resolve("report (2).pdf.part"));
        Path third = DownloadNames.reservePart(downloads, "report.pdf");
        assertThat(third).isEqualTo(downloads.resolve("report (3).pdf.part"));
        Files.writeString(downloads.resolve("notes"), "x");
        assertThat(DownloadNames.reservePart(downloads, "notes")).isEqualTo(downloads.resolve("notes (2).part"));
        assertThat(downloads.resolve("report.pdf")).hasContent("mine");
    }

    @Test
    void finishingNeverReplacesAFileThatAppearedMeanwhile() throws IOException {
        Path part = DownloadNames.reservePart(downloads, "photo.jpg");
        Files.writeString(part, "received");
        Files.writeString(downloads.resolve("photo.jpg"), "mine");
        Files.writeString(downloads.resolve("photo (2).jpg"), "also mine");
        Path done = DownloadNames.finish(part, downloads);
        assertThat(done).isEqualTo(downloads.resolve("photo (3).jpg")).hasContent("received");
        assertThat(downloads.resolve("photo.jpg")).hasContent("mine");
        assertThat(downloads.resolve("photo (2).jpg")).hasContent("also mine");
        assertThat(part).doesNotExist();
        // A numbered part continues from its number.
        Path numbered = DownloadNames.reservePart(downloads, "photo.jpg");
        assertThat(numbered).isEqualTo(downloads.resolve("photo (4).jpg.part"));
        Files.writeString(downloads.resolve("photo (4).jpg"), "raced");
        assertThat(DownloadNames.finish(numbered, downloads)).isEqualTo(downloads.resolve("photo (5).jpg"));
        assertThat(downloads.resolve("photo (4).jpg")).hasContent("raced");
    }

    @Test
    void aPartIsNeverCreatedThroughALinkOrOutsideTheFolder() throws IOException {
        Path outside = Files.createTempFile("outside", ".txt");
        try {
            Files.createSymbolicLink(downloads.resolve("x.txt.part"), outside);
            Path part = DownloadNames.reservePart(downloads, "x.txt");
            assertThat(part).isEqualTo(downloads.resolve("x (2).txt.part"));
            assertThatThrownBy(() -> DownloadNames.reservePart(downloads, "../escape"))
                    .isInstanceOf(IOException.class);
            assertThatThrownBy(() -> DownloadNames.finish(outside, downloads)).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> DownloadNames.finish(downloads.resolve("sub/../../y.part"), downloads))
                    .isInstanceOf(IOException.class);
            assertThat(Files.readString(outside)).isEmpty();
        } finally {
            Files.delete(outside);
        }
    }
}
