package org.securep2p.app.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of received files (PROTOCOL.md §24.7). A name that tries to leave the downloads folder is refused
 * ({@link #check}); any other is made safe for the file system ({@link #sanitise}); files are created without
 * ever replacing one ({@link #reservePart}, {@link #finish}), numbered on collision, and every path is checked to
 * stay directly inside the downloads folder.
 */
public final class DownloadNames {

    /** Bytes of UTF-8 a sanitised name holds at most (numbering and {@code .part} stay under NAME_MAX). */
    public static final int MAX_NAME_BYTES = 200;
    /** The suffix of a file being received. */
    public static final String PART = ".part";
    /** An extension longer than this is part of the name when a name is cut or numbered. */
    private static final int MAX_EXTENSION_BYTES = 20;
    /** Numbered names tried before giving up (a folder that full is someone's attack or mistake). */
    private static final int MAX_TRIES = 10_000;
    private static final Pattern NUMBERED = Pattern.compile("(.+) \\(([1-9][0-9]{0,3})\\)");

    private DownloadNames() {
    }

    /** BAD_NAME for {@code .}, {@code ..}, an empty name, or one containing {@code /}, {@code \} or NUL. */
    public static void check(String offered) throws FileTransferException {
        if (offered.isEmpty() || offered.equals(".") || offered.equals("..") || offered.indexOf('/') >= 0
                || offered.indexOf('\\') >= 0 || offered.indexOf('\0') >= 0) {
            throw new FileTransferException(FileTransferException.Reason.BAD_NAME,
                    "The offered file name tries to leave the downloads folder.");
        }
    }

    /**
     * The offered name made safe (§24.7): control, format, separator, surrogate, private-use and unassigned code
     * points become {@code _} (so do {@code /} and {@code \}, which {@link #check} refuses anyway), leading dots
     * and spaces and trailing dots and spaces are dropped, the result is cut to {@value #MAX_NAME_BYTES} bytes
     * of UTF-8 keeping its extension, and an empty result is {@code file}.
     */
    public static String sanitise(String offered) {
        StringBuilder b = new StringBuilder(offered.length());
        offered.codePoints().forEach(c -> b.appendCodePoint(unsafe(c) ? '_' : c));
        String s = trim(b.toString());
        if (utf8Length(s) > MAX_NAME_BYTES) {
            String[] parts = split(s);
            s = trim(cut(parts[0], MAX_NAME_BYTES - utf8Length(parts[1])) + parts[1]);
        }
        return s.isEmpty() ? "file" : s;
    }

    /**
     * Creates {@code NAME.part} in {@code downloads} exclusively, or {@code NAME (2).EXT.part}, {@code NAME
     * (3).EXT.part}… while the name or its {@code .part} exists, and returns the {@code .part} created.
     */
    public static Path reservePart(Path downloads, String sanitised) throws IOException {
        Path dir = downloads.normalize();
        String[] parts = split(sanitised);
        for (int n = 1; n <= MAX_TRIES; n++) {
            String name = numbered(parts, n);
            Path target = inside(dir, name);
            Path part = inside(dir, name + PART);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try {
                return Files.createFile(part);
            } catch (FileAlreadyExistsException e) {
                // Taken, perhaps by another transfer of the same name: the next number.
            }
        }
        throw new IOException("No free name for the received file in the downloads folder.");
    }

    /**
     * Moves {@code part} (a {@code .part} in {@code downloads}) to its name without {@code .part}, never replacing
     * an existing file: on collision the next numbered name. Returns the final path.
     */
    public static Path finish(Path part, Path downloads) throws IOException {
        Path dir = downloads.normalize();
        Path p = part.normalize();
        String partName = p.getFileName() == null ? "" : p.getFileName().toString();
        if (!dir.equals(p.getParent()) || !partName.endsWith(PART) || partName.length() == PART.length()) {
            throw new IOException("Not a received file's .part in the downloads folder.");
        }
        String[] parts = split(partName.substring(0, partName.length() - PART.length()));
        int first = 1;
        Matcher m = NUMBERED.matcher(parts[0]);
        if (m.matches() && Integer.parseInt(m.group(2)) >= 2) {
            // "x (2).txt" taken: "x (3).txt" rather than "x (2) (2).txt".
            parts = new String[] {m.group(1), parts[1]};
            first = Integer.parseInt(m.group(2));
        }
        for (int n = first; n < first + MAX_TRIES; n++) {
            Path target = inside(dir, numbered(parts, n));
            if (moveWithoutReplacing(p, target)) {
                syncDirectory(dir);
                return target;
            }
        }
        throw new IOException("No free name for the received file in the downloads folder.");
    }

    /**
     * {@code ATOMIC_MOVE} on Linux is rename(2), which replaces an existing file; a hard link fails instead, so
     * the link is the exclusive step and the rename only a fallback where links do not exist.
     */
    private static boolean moveWithoutReplacing(Path part, Path target) throws IOException {
        try {
            Files.createLink(target, part);
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (UnsupportedOperationException | IOException e) {
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException notAtomic) {
                throw new IOException("The downloads folder cannot rename files atomically.", notAtomic);
            }
            return true;
        }
        Files.delete(part);
        return true;
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException e) {
            // Some file systems do not sync a folder; the file itself was synced by the caller.
        }
    }

    private static boolean unsafe(int c) {
        if (c == '/' || c == '\\') {
            return true;
        }
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED -> true;
            default -> false;
        };
    }

    private static String trim(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && (s.charAt(start) == '.' || s.charAt(start) == ' ')) {
            start++;
        }
        while (end > start && (s.charAt(end - 1) == '.' || s.charAt(end - 1) == ' ')) {
            end--;
        }
        return s.substring(start, end);
    }

    /** {stem, extension}: the extension from the last dot when there is a stem before it and it is short. */
    private static String[] split(String name) {
        int dot = name.lastIndexOf('.');
        if (dot <= 0 || utf8Length(name.substring(dot)) > MAX_EXTENSION_BYTES) {
            return new String[] {name, ""};
        }
        return new String[] {name.substring(0, dot), name.substring(dot)};
    }

    private static String numbered(String[] parts, int n) {
        return n == 1 ? parts[0] + parts[1] : parts[0] + " (" + n + ")" + parts[1];
    }

    /** The longest prefix of {@code s} of whole code points within {@code maxBytes} of UTF-8. */
    private static String cut(String s, int maxBytes) {
        int bytes = 0;
        int i = 0;
        while (i < s.length()) {
            int c = s.codePointAt(i);
            int len = utf8Length(new String(Character.toChars(c)));
            if (bytes + len > maxBytes) {
                break;
            }
            bytes += len;
            i += Character.charCount(c);
        }
        return s.substring(0, i);
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** {@code dir/name}, which must be directly inside {@code dir}. */
    private static Path inside(Path dir, String name) throws IOException {
        Path p = dir.resolve(name).normalize();
        if (!p.startsWith(dir) || !dir.equals(p.getParent())) {
            throw new IOException("A received file's name would leave the downloads folder.");
        }
        return p;
    }
}
