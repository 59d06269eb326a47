package org.securep2p.app.tui;

import java.nio.file.Path;
import java.util.Locale;

/**
 * How file transfers read on the screen: sizes and rates in binary units, the time left, the progress bar and the
 * one row a running transfer takes. Pure functions of their arguments.
 *
 * <p>Not its job: cleaning peer text (the caller passes names through {@link Text#clean} first).
 */
final class FileText {

    static final char FULL = '█';
    static final char EMPTY = '░';
    static final String IN = "↓";
    static final String OUT = "↑";
    static final String DONE = "✔";
    static final String FAILED = "✘";
    /** Widest a bar gets; a narrow terminal gets a shorter one. */
    static final int MAX_BAR = 20;
    static final int MIN_BAR = 5;

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

    private FileText() {
    }

    /** "512 B", "2.1 MiB": one decimal from KiB up. */
    static String size(long bytes) {
        if (bytes < 1024) {
            return Math.max(0, bytes) + " B";
        }
        double v = bytes;
        int unit = 0;
        while (v >= 1024 && unit < UNITS.length - 1) {
            v /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, UNITS[unit]);
    }

    /** "512 B/s", "1.2 MiB/s". */
    static String rate(long bytesPerSecond) {
        return size(bytesPerSecond) + "/s";
    }

    /** Whole percent done, 0..100; an empty file is done at once. */
    static int percent(long bytes, long total) {
        if (total <= 0) {
            return 100;
        }
        return (int) Math.max(0, Math.min(100, Math.max(0, bytes) * 100 / total));
    }

    /** "~12 s", "~4 min", "~1 h 05 min" at {@code rate}; "" when nothing moves (no rate to go by). */
    static String timeLeft(long bytes, long total, long rate) {
        long remaining = Math.max(0, total - bytes);
        if (rate <= 0 || remaining == 0) {
            return "";
        }
        long seconds = (remaining + rate - 1) / rate; // rounded up: "~0 s" would read as done
        if (seconds < 60) {
            return "~" + seconds + " s";
        }
        long minutes = (seconds + 59) / 60;
        if (minutes < 60) {
            return "~" + minutes + " min";
        }
        return String.format(Locale.ROOT, "~%d h %02d min", minutes / 60, minutes % 60);
    }

    /** {@code width} cells, the done fraction filled. */
    static String bar(long bytes, long total, int width) {
        int w = Math.max(1, width);
        int filled = total <= 0 ? w : (int) Math.min(w, Math.max(0, bytes) * w / total);
        return String.valueOf(FULL).repeat(filled) + String.valueOf(EMPTY).repeat(w - filled);
    }

    /** The one row a running transfer takes in its conversation, at most {@code width} characters. */
    static String row(Transfers.Transfer t, String peerName, int width) {
        String arrow = t.outgoing ? OUT : IN;
        String name = Text.fit(t.name, 24);
        String id = "  " + t.shortId();
        if (t.asking()) {
            String got = t.bytes > 0 ? ", " + percent(t.bytes, t.total) + "% here already" : "";
            // The media type is in the offer's line and prompt: here the id must fit, /accept and /decline take it.
            return Text.fit(arrow + " " + name + " (" + size(t.total) + got + ") offered: /accept, /decline" + id,
                    width);
        }
        if ("offered".equals(t.state) && t.bytes == 0) {
            return Text.fit(arrow + " " + name + (t.total > 0 ? " (" + size(t.total) + ")" : "")
                    + " offered, waiting for " + peerName + " to accept" + id, width);
        }
        String left = timeLeft(t.bytes, t.total, t.rate);
        String moving = "waiting".equals(t.state) ? "waiting for a connection"
                : rate(t.rate) + (left.isEmpty() ? "" : "  " + left);
        String tail = String.format(Locale.ROOT, "%3d%%  %s", percent(t.bytes, t.total), moving);
        int bar = Math.max(MIN_BAR, Math.min(MAX_BAR, width - (arrow.length() + 1 + name.length() + 4
                + tail.length() + id.length())));
        return Text.fit(arrow + " " + name + "  " + bar(t.bytes, t.total, bar) + "  " + tail + id, width);
    }

    /** {@code path} with the user's home written {@code ~}, so the line says where the file is in few words. */
    static String where(String path, Path home) {
        String p = Text.clean(path);
        if (home == null) {
            return p;
        }
        String h = home.toString();
        if (h.length() > 1 && (p.equals(h) || p.startsWith(h + "/"))) {
            return "~" + p.substring(h.length());
        }
        return p;
    }

    /** The last element of {@code path}, or the path itself when it has none. */
    static String fileName(String path) {
        int slash = path.lastIndexOf('/');
        String name = slash >= 0 && slash < path.length() - 1 ? path.substring(slash + 1) : path;
        return Text.clean(name);
    }
}
