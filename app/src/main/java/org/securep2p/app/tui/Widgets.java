package org.securep2p.app.tui;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.securep2p.app.ChatEvent;

import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import com.googlecode.lanterna.TerminalPosition;

/** Drawing pieces several screens share: code blocks, QR codes, input fields, connection progress. */
final class Widgets {

    private Widgets() {
    }

    /** Code lines hold nothing but the code, so they can be copied from the terminal as they are. */
    static void codeBlock(Canvas c, String begin, String code, String end) {
        c.line(begin);
        for (String piece : Text.chunk(code, c.width)) {
            c.line(piece);
        }
        c.line(end);
    }

    static void qrIfRoom(Canvas c, String content, ErrorCorrectionLevel level) {
        List<String> qr;
        try {
            qr = QrBlocks.render(content, level);
        } catch (IllegalArgumentException e) {
            return;
        }
        int size = qr.get(0).length();
        if (size <= c.width && qr.size() + 1 <= c.remaining()) {
            c.blank();
            c.qr(qr, 0);
        } else {
            c.line("(A terminal of " + size + "x" + (c.row + qr.size() + 3) + " would show this as a QR code.)");
        }
    }

    /** A wrapped input field, showing the rows around the cursor; a focused field places the cursor. */
    static void field(Canvas c, LineEditor f, int maxRows, boolean focused) {
        field(c, f, maxRows, focused, "> ");
    }

    /**
     * As {@link #field(Canvas, LineEditor, int, boolean)}, its first row after {@code prompt} instead of "> ". Rows
     * are cut between clusters by columns, and the cursor stands in the column where its cluster begins.
     */
    static void field(Canvas c, LineEditor f, int maxRows, boolean focused, String prompt) {
        int indent = Math.min(prompt.length(), Math.max(0, c.width - 2));
        int w = Math.max(2, c.width - indent);
        String text = Text.clean(f.text());
        List<String> rows = new ArrayList<>();
        StringBuilder row = new StringBuilder();
        int cols = 0;
        int at = 0;
        int cursorRow = -1;
        int cursorCol = 0;
        for (String cluster : Text.clusters(text)) {
            int cw = Text.clusterWidth(cluster);
            if (cols + cw > w) {
                rows.add(row.toString());
                row.setLength(0);
                cols = 0;
            }
            if (cursorRow < 0 && at >= f.cursor()) {
                cursorRow = rows.size();
                cursorCol = cols;
            }
            row.append(cluster);
            cols += cw;
            at += cluster.length();
        }
        if (cursorRow < 0) {
            // At the end: after the last cluster, or at the start of a new row when the last one is full.
            if (cols >= w) {
                rows.add(row.toString());
                row.setLength(0);
                cols = 0;
            }
            cursorRow = rows.size();
            cursorCol = cols;
        }
        rows.add(row.toString());
        int first = Math.max(0, cursorRow - maxRows + 1);
        int last = Math.min(rows.size(), first + maxRows);
        for (int r = first; r < last; r++) {
            if (focused && r == cursorRow && c.row < c.limit) {
                c.cursor = new TerminalPosition(indent + cursorCol, c.row);
            }
            c.line((r == first ? prompt.substring(0, indent) : " ".repeat(indent)) + rows.get(r));
        }
    }

    /** The elapsed clock while {@code running}, then when each stage began and what it took. */
    static void progress(Canvas c, Progress progress, Clock clock, boolean running) {
        if (progress.start() != null && running) {
            c.line("Elapsed " + elapsed(Duration.between(progress.start(), clock.instant())));
        }
        // A stage lasts until the next one begins (ChatEvent.Progress): show when each began and what it took.
        List<ChatEvent.Progress> stages = new ArrayList<>(progress.stages());
        for (int i = 0; i < stages.size(); i++) {
            ChatEvent.Progress p = stages.get(i);
            String took = i + 1 < stages.size()
                    ? "took " + elapsed(stages.get(i + 1).elapsed().minus(p.elapsed())) : "…";
            String detail = p.detail() == null || p.detail().isBlank() ? "" : "  " + Text.clean(p.detail());
            c.line(String.format("  %-9s at %8s  %-12s%s", p.stage(), elapsed(p.elapsed()), took, detail));
        }
    }

    static String elapsed(Duration d) {
        if (d == null || d.isNegative()) {
            return "0.0 s";
        }
        long ms = d.toMillis();
        if (ms < 60_000) {
            return String.format("%d.%d s", ms / 1000, (ms % 1000) / 100);
        }
        return String.format("%d min %02d s", ms / 60_000, (ms % 60_000) / 1000);
    }

    /** The stages of one connection attempt, by stage, and when the attempt began. */
    static final class Progress {
        private final Map<ChatEvent.Stage, ChatEvent.Progress> stages =
                new EnumMap<>(ChatEvent.Stage.class);
        private Instant start;

        void restart(Instant now) {
            start = now;
            stages.clear();
        }

        void clear() {
            stages.clear();
        }

        void add(ChatEvent.Progress p) {
            stages.put(p.stage(), p);
        }

        boolean isEmpty() {
            return stages.isEmpty();
        }

        Instant start() {
            return start;
        }

        List<ChatEvent.Progress> stages() {
            return List.copyOf(stages.values());
        }
    }
}
