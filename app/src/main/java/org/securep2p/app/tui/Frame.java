package org.securep2p.app.tui;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.securep2p.app.ChatEvent;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.TextColor;
import com.googlecode.lanterna.graphics.TextGraphics;
import com.googlecode.lanterna.screen.Screen;

/**
 * One frame of the TUI: the current screen or the overlay above it, the notice rows (red for an error) and the
 * status bar (level floor, key and memory protection, endpoint, NAT advice).
 *
 * <p>Not its job: deciding what to show (the {@link Tui} and the screens do).
 */
final class Frame {

    private Frame() {
    }


    /** Draws the whole frame; after a resize the old cursor may lie outside it, so it is dropped first. */
    static void draw(Tui tui, Screen terminal, boolean resized) throws IOException {
        Screen.RefreshType refresh = resized ? Screen.RefreshType.COMPLETE : Screen.RefreshType.AUTOMATIC;
        TerminalSize size = terminal.getTerminalSize();
        int width = size.getColumns();
        int height = size.getRows();
        terminal.clear();
        terminal.setCursorPosition(null);
        TextGraphics g = terminal.newTextGraphics();
        if (width < Tui.MIN_WIDTH || height < Tui.MIN_HEIGHT) {
            g.putString(0, 0, Text.fit("Terminal too small (" + Tui.MIN_WIDTH + "x" + Tui.MIN_HEIGHT + " needed)",
                    width));
            terminal.setCursorPosition(null);
            terminal.refresh(refresh);
            return;
        }
        List<String> status = statusLines(tui, width);
        String notice = tui.notice();
        int statusTop = height - status.size();
        // A notice wraps over a few rows: the Retry STUN screen's NAT advice is a whole sentence.
        List<String> noticeRows = notice == null ? List.of() : Text.wrap(notice, width);
        if (noticeRows.size() > Tui.NOTICE_ROWS) {
            noticeRows = noticeRows.subList(0, Tui.NOTICE_ROWS);
        }
        int contentBottom = statusTop - noticeRows.size();
        Canvas c = new Canvas(g, width, contentBottom);
        if (tui.overlay().isPresent()) {
            tui.overlay().get().draw(c);
        } else {
            tui.screen().draw(c);
        }
        if (notice != null) {
            TextGraphics n = terminal.newTextGraphics();
            if (tui.noticeIsError()) {
                n.setForegroundColor(TextColor.ANSI.RED);
            }
            for (int i = 0; i < noticeRows.size(); i++) {
                // Canvas.put, not putString: a notice may hold a contact's name with an emoji in it.
                Canvas.put(n, 0, contentBottom + i, Text.fit(noticeRows.get(i), width), SGR.BOLD);
            }
        }
        TextGraphics s = terminal.newTextGraphics();
        for (int i = 0; i < status.size(); i++) {
            String line = status.get(i);
            String fitted = Text.fit(line, width);
            Canvas.put(s, 0, statusTop + i, fitted + " ".repeat(Math.max(0, width - Text.width(fitted))), SGR.REVERSE);
        }
        terminal.setCursorPosition(c.cursor);
        terminal.refresh(refresh);
    }

    /** The status bar: level floor, key and memory protection, public endpoint, NAT advice; one or two rows. */
    static List<String> statusLines(Tui tui, int width) {
        List<String> parts = new ArrayList<>();
        parts.add("min level " + tui.floor());
        ChatEvent.Ready identity = tui.identity();
        ChatEvent.Endpoint endpoint = tui.endpoint();
        if (identity != null) {
            parts.add("keys: " + Text.clean(identity.keyProtection()));
            parts.add("memory protection: " + Text.clean(identity.memoryProtection()));
        } else {
            parts.add(tui.keys() instanceof Tui.Unavailable ? "keys: unavailable" : "keys: " + Tui.UNLOCKING);
        }
        if (endpoint != null && endpoint.endpoint() != null) {
            parts.add("endpoint " + Text.clean(endpoint.endpoint()));
            if (endpoint.natAdvice() != null && !endpoint.natAdvice().isBlank()) {
                parts.add(Text.clean(endpoint.natAdvice())); // the advice, never the machine-readable kind
            }
        } else {
            parts.add("endpoint unknown");
        }
        List<String> rows = new ArrayList<>();
        StringBuilder row = new StringBuilder();
        for (String p : parts) {
            if (row.length() > 0 && row.length() + 3 + p.length() > width) {
                rows.add(Text.fit(row.toString(), width));
                row.setLength(0);
            }
            row.append(row.length() == 0 ? "" : " | ").append(p);
        }
        rows.add(Text.fit(row.toString(), width));
        return rows.size() > 2 ? rows.subList(rows.size() - 2, rows.size()) : rows;
    }
}
