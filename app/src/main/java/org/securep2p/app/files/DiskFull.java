package org.securep2p.app.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Tells a full disk (ENOSPC, or a quota: EDQUOT) from other storage failures, so that a transfer can end with
 * NO_SPACE (PROTOCOL.md §24.7) rather than a generic error. The JDK reports both as a bare {@link IOException}
 * whose message is the C library's {@code strerror}, which a localised system translates; so the English
 * messages are recognised first and, failing that, the file system is asked whether it still has room for what
 * was being written.
 */
final class DiskFull {

    private static final String[] MESSAGES = {"no space left on device", "disk quota exceeded"};

    private DiskFull() {
    }

    /**
     * Whether {@code failure} (or a cause of it) is a full disk, for a write of {@code needed} bytes at or under
     * {@code where}.
     */
    static boolean isCause(Throwable failure, Path where, long needed) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null) {
                String lower = m.toLowerCase(Locale.ROOT);
                for (String s : MESSAGES) {
                    if (lower.contains(s)) {
                        return true;
                    }
                }
            }
        }
        return usableSpace(where) < Math.max(1, needed);
    }

    /** The room left on {@code where}'s file system (its nearest existing ancestor's); unknown is plenty. */
    private static long usableSpace(Path where) {
        Path p = where.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null) {
            return Long.MAX_VALUE;
        }
        try {
            return Files.getFileStore(p).getUsableSpace();
        } catch (IOException | SecurityException e) {
            return Long.MAX_VALUE;
        }
    }
}
