package org.securep2p.app.tui;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A file path typed on the input line, as {@code /send} takes it: {@code ~} for the user's home, double or single
 * quotes around a path with spaces, relative paths relative to the working directory; and Tab completion of it
 * from the directory it names (the common start of the matches, a trailing {@code /} after a directory). Nothing
 * here touches a file but to list a directory.
 *
 * <p>Not its job: deciding whether the file may be sent (the messenger's, with a sentence).
 */
final class PathInput {

    /** A directory with more entries than this is not listed to the end: completion stays quick. */
    static final int MAX_ENTRIES = 10_000;

    /** What Tab did: the new argument text, and every match when several remain (a directory ends in "/"). */
    record Completion(String text, List<String> matches) {
        Completion {
            matches = List.copyOf(matches);
        }
    }

    private final Path home;
    private final Path workingDirectory;

    PathInput(Path home, Path workingDirectory) {
        this.home = home;
        this.workingDirectory = workingDirectory;
    }

    /**
     * The path {@code argument} names (quotes taken off, {@code ~} expanded, made absolute); empty when it names
     * none: blank, text after the closing quote, or not a path on this system.
     */
    Optional<Path> parse(String argument) {
        String a = argument.strip();
        if (a.isEmpty()) {
            return Optional.empty();
        }
        char first = a.charAt(0);
        String inner = a;
        if (first == '"' || first == '\'') {
            int close = a.indexOf(first, 1);
            if (close >= 0 && close != a.length() - 1) {
                return Optional.empty();
            }
            inner = close < 0 ? a.substring(1) : a.substring(1, close); // an open quote closes at the end
        }
        if (inner.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(resolve(inner).normalize());
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    /** Completes {@code argument} (the text after {@code /send }, or what the file prompt holds). */
    Completion complete(String argument) {
        String a = argument.stripLeading();
        char quote = !a.isEmpty() && (a.charAt(0) == '"' || a.charAt(0) == '\'') ? a.charAt(0) : 0;
        String inner = quote == 0 ? a : a.substring(1);
        if (quote != 0 && inner.endsWith(String.valueOf(quote))) {
            inner = inner.substring(0, inner.length() - 1);
        }
        if (inner.equals("~")) {
            return new Completion(quoted(quote, "~/", false), List.of());
        }
        int slash = inner.lastIndexOf('/');
        String dirText = inner.substring(0, slash + 1);
        String prefix = inner.substring(slash + 1);
        Path dir;
        try {
            dir = dirText.isEmpty() ? workingDirectory : resolve(dirText);
        } catch (InvalidPathException e) {
            return new Completion(argument, List.of());
        }
        List<String> names = new ArrayList<>();
        List<Boolean> directories = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            int seen = 0;
            for (Path entry : entries) {
                if (++seen > MAX_ENTRIES) {
                    break;
                }
                String name = entry.getFileName().toString();
                // Hidden entries only when asked for by their dot, as shells do.
                if (name.startsWith(prefix) && (!name.startsWith(".") || prefix.startsWith("."))) {
                    names.add(name);
                    directories.add(Files.isDirectory(entry));
                }
            }
        } catch (IOException | SecurityException e) {
            return new Completion(argument, List.of());
        }
        if (names.isEmpty()) {
            return new Completion(argument, List.of());
        }
        if (names.size() == 1) {
            boolean directory = directories.get(0);
            String done = dirText + names.get(0) + (directory ? "/" : "");
            return new Completion(quoted(quote, done, !directory), List.of());
        }
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            shown.add(names.get(i) + (directories.get(i) ? "/" : ""));
        }
        shown.sort(null);
        String common = names.get(0);
        for (String n : names) {
            common = commonStart(common, n);
        }
        return new Completion(quoted(quote, dirText + common, false), shown);
    }

    /**
     * The text to put back: in the quote the user opened, or in double quotes when it holds a space (so Enter
     * reads it as one path); closed only when it names one file, so typing may go on inside it otherwise.
     */
    private static String quoted(char quote, String path, boolean complete) {
        char q = quote != 0 ? quote : (path.indexOf(' ') >= 0 ? '"' : 0);
        if (q == 0) {
            return path;
        }
        return q + path + (complete ? String.valueOf(q) : "");
    }

    private Path resolve(String text) {
        if (text.equals("~")) {
            return home;
        }
        if (text.startsWith("~/")) {
            return home.resolve(text.substring(2));
        }
        Path p = Path.of(text);
        return p.isAbsolute() ? p : workingDirectory.resolve(p);
    }

    private static String commonStart(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        // Never split a surrogate pair: the half left over would not be a character.
        if (i > 0 && i < n && Character.isHighSurrogate(a.charAt(i - 1))) {
            i--;
        }
        return a.substring(0, i);
    }
}
