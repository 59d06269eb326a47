package org.securep2p.app.trust;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.securep2p.app.store.AtomicFile;
import org.securep2p.app.store.StoreException;

import static org.securep2p.app.store.StoreException.Reason.CORRUPT;
import static org.securep2p.app.store.StoreException.Reason.LIMIT_REACHED;
import static org.securep2p.app.store.StoreException.Reason.STALE;
import static org.securep2p.app.store.StoreException.Reason.UNKNOWN_VERSION;

/**
 * The highest revocation-list number this member has loaded from each organisation CA, in
 * {@code cert/crl-numbers}: a list with a lower number is refused (PROTOCOL.md 21.2). Without it, a stale copy
 * of {@code ca.crl} that is still within its 30 days would silently undo the revocations made since.
 *
 * <p>Guarantees: a new highest number is on disk (atomic write, fsync) before {@link #admit} returns, so the
 * list is used only once it is remembered; a damaged file is refused ({@code CORRUPT}), never replaced.
 * Format, one line each: {@code securep2p-crl-numbers 1}, then {@code <CA key hex> <decimal number>}.
 */
public final class SeenRevocationLists {

    public static final String FILE_NAME = "crl-numbers";
    private static final String HEADER = "securep2p-crl-numbers";
    private static final int VERSION = 1;
    /** More CAs than anyone joins; bounds the file (each line is at most 64 + 1 + 40 + 1 bytes). */
    static final int MAX_AUTHORITIES = 256;
    private static final long MAX_BYTES = 64 * 1024;
    private static final Pattern LINE = Pattern.compile("([0-9a-f]{64}) (0|[1-9][0-9]{0,39})");
    private static final Pattern KEY = Pattern.compile("[0-9a-f]{64}");

    private SeenRevocationLists() {
    }

    /**
     * Admits the list numbered {@code number} of the CA whose key is {@code authorityKeyHex}: refused with
     * {@code STALE} if a higher number was admitted before; remembered durably if it is the highest yet.
     */
    public static void admit(Path file, String authorityKeyHex, BigInteger number) throws StoreException {
        Objects.requireNonNull(file, "file");
        if (authorityKeyHex == null || !KEY.matcher(authorityKeyHex).matches()) {
            throw new IllegalArgumentException("not a CA key in hex");
        }
        if (number == null || number.signum() < 0 || number.bitLength() > 128) {
            throw new IllegalArgumentException("list number out of range");
        }
        Map<String, BigInteger> seen = read(file);
        BigInteger before = seen.get(authorityKeyHex);
        if (before != null && number.compareTo(before) < 0) {
            throw new StoreException(STALE, "the revocation list is number " + number + ", but number " + before
                    + " of this CA was loaded here before; get the current ca.crl from your CA (" + file
                    + " remembers the numbers)");
        }
        if (before != null && number.equals(before)) {
            return;
        }
        if (before == null && seen.size() >= MAX_AUTHORITIES) {
            throw new StoreException(LIMIT_REACHED, file + " already remembers " + MAX_AUTHORITIES + " CAs");
        }
        seen.put(authorityKeyHex, number);
        StringBuilder b = new StringBuilder(HEADER).append(' ').append(VERSION).append('\n');
        seen.forEach((key, n) -> b.append(key).append(' ').append(n).append('\n'));
        AtomicFile.write(file, b.toString().getBytes(StandardCharsets.US_ASCII));
    }

    private static Map<String, BigInteger> read(Path file) throws StoreException {
        Map<String, BigInteger> seen = new LinkedHashMap<>();
        byte[] bytes = AtomicFile.read(file, MAX_BYTES).orElse(null);
        if (bytes == null) {
            return seen;
        }
        String text = new String(bytes, StandardCharsets.US_ASCII);
        if (!text.endsWith("\n")) {
            throw new StoreException(CORRUPT, file + " does not end with a line end");
        }
        String[] lines = text.split("\n", -1);
        String[] header = lines[0].split(" ", -1);
        if (header.length != 2 || !header[0].equals(HEADER)) {
            throw new StoreException(CORRUPT, file + " does not start with '" + HEADER + " " + VERSION + "'");
        }
        if (!header[1].equals(Integer.toString(VERSION))) {
            throw new StoreException(UNKNOWN_VERSION, file + " has format version " + header[1]);
        }
        // The last element is the empty string after the final line end.
        for (int i = 1; i < lines.length - 1; i++) {
            Matcher m = LINE.matcher(lines[i]);
            if (!m.matches()) {
                throw new StoreException(CORRUPT, file + " line " + (i + 1) + " is not '<CA key> <number>'");
            }
            if (seen.put(m.group(1), new BigInteger(m.group(2))) != null) {
                throw new StoreException(CORRUPT, file + " names one CA twice");
            }
        }
        if (seen.size() > MAX_AUTHORITIES) {
            throw new StoreException(CORRUPT, file + " names more than " + MAX_AUTHORITIES + " CAs");
        }
        return seen;
    }
}
