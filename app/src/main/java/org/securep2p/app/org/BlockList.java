package org.securep2p.app.org;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.securep2p.app.store.AtomicFile;
import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.transport.cert.OrganisationAuthority;

import static org.securep2p.app.store.StoreException.Reason.CORRUPT;
import static org.securep2p.app.store.StoreException.Reason.LIMIT_REACHED;
import static org.securep2p.app.store.StoreException.Reason.UNKNOWN_VERSION;

/**
 * The members whose chat requests this user does not want to see (PROTOCOL.md §23.4), in {@code org/blocked}:
 * {@code securep2p-blocked 1}, then one line {@code <fingerprint hex> <certified name>} per member. A request
 * from a blocked fingerprint is dropped (and logged by the caller), never shown.
 *
 * <p>Guarantees: every change is on disk (atomic write, fsync) before {@link #block} or {@link #unblock} returns,
 * and a change that fails leaves the list as it was, in memory and on disk; a damaged file is refused
 * ({@code CORRUPT}) at {@link #open}, never replaced. Not its job: resolving a name to a fingerprint (the
 * directory, checked) nor deciding who is a member.
 */
public final class BlockList {

    public static final String FILE_NAME = "blocked";
    private static final String HEADER = "securep2p-blocked";
    private static final int VERSION = 1;
    /** Far more than an organisation's members; bounds the file (each line at most 64 + 1 + 64 + 1 bytes). */
    static final int MAX_ENTRIES = 8192;
    private static final long MAX_BYTES = 2L * 1024 * 1024;
    private static final Pattern LINE = Pattern.compile("([0-9a-f]{64}) (.{1,64})");

    private final Path file;
    /** Fingerprint hex → name. Guarded by this. */
    private final Map<String, String> blocked;

    private BlockList(Path file, Map<String, String> blocked) {
        this.file = file;
        this.blocked = blocked;
    }

    /** The list in {@code dir/blocked} ({@code dir} made private if missing); empty if the file does not exist. */
    public static BlockList open(Path dir) throws StoreException {
        AtomicFile.ensureDirectory(Objects.requireNonNull(dir, "dir"));
        Path file = dir.resolve(FILE_NAME);
        AtomicFile.removeLeftoverTemps(dir, FILE_NAME::equals);
        return new BlockList(file, read(file));
    }

    public synchronized boolean isBlocked(Fingerprint member) {
        return blocked.containsKey(HexFormat.of().formatHex(member.toBytes()));
    }

    /** Blocks {@code member} (certified as {@code name}); already blocked: only the name is refreshed. */
    public synchronized void block(Fingerprint member, String name) throws StoreException {
        if (!OrganisationAuthority.isPlainName(name)) {
            throw new IllegalArgumentException("not a certified name");
        }
        String key = HexFormat.of().formatHex(member.toBytes());
        if (!blocked.containsKey(key) && blocked.size() >= MAX_ENTRIES) {
            throw new StoreException(LIMIT_REACHED, file + " already blocks " + MAX_ENTRIES + " members");
        }
        Map<String, String> next = new LinkedHashMap<>(blocked);
        next.put(key, name);
        write(next);
        blocked.put(key, name);
    }

    /** Unblocks every entry of {@code member}; returns whether there was one. */
    public synchronized boolean unblock(Fingerprint member) throws StoreException {
        String key = HexFormat.of().formatHex(member.toBytes());
        if (!blocked.containsKey(key)) {
            return false;
        }
        Map<String, String> next = new LinkedHashMap<>(blocked);
        next.remove(key);
        write(next);
        blocked.remove(key);
        return true;
    }

    /** Unblocks the entry named {@code name}, if any; returns its fingerprint's hex. */
    public synchronized java.util.Optional<String> unblockNamed(String name) throws StoreException {
        for (Map.Entry<String, String> e : blocked.entrySet()) {
            if (e.getValue().equals(name)) {
                String key = e.getKey();
                Map<String, String> next = new LinkedHashMap<>(blocked);
                next.remove(key);
                write(next);
                blocked.remove(key);
                return java.util.Optional.of(key);
            }
        }
        return java.util.Optional.empty();
    }

    /** Every blocked member: fingerprint hex and name, in the order they were blocked. */
    public synchronized List<Map.Entry<String, String>> entries() {
        return blocked.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue())).toList();
    }

    private void write(Map<String, String> entries) throws StoreException {
        StringBuilder b = new StringBuilder(HEADER).append(' ').append(VERSION).append('\n');
        entries.forEach((key, name) -> b.append(key).append(' ').append(name).append('\n'));
        AtomicFile.write(file, b.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> read(Path file) throws StoreException {
        Map<String, String> out = new LinkedHashMap<>();
        byte[] bytes = AtomicFile.read(file, MAX_BYTES).orElse(null);
        if (bytes == null) {
            return out;
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
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
        for (int i = 1; i < lines.length - 1; i++) {
            Matcher m = LINE.matcher(lines[i]);
            if (!m.matches() || !OrganisationAuthority.isPlainName(m.group(2))) {
                throw new StoreException(CORRUPT, file + " line " + (i + 1) + " is not '<fingerprint> <name>'");
            }
            if (out.put(m.group(1), m.group(2)) != null) {
                throw new StoreException(CORRUPT, file + " names one member twice");
            }
        }
        if (out.size() > MAX_ENTRIES) {
            throw new StoreException(CORRUPT, file + " blocks more than " + MAX_ENTRIES + " members");
        }
        return out;
    }

    @Override
    public synchronized String toString() {
        return "BlockList[" + blocked.size() + " blocked]";
    }
}
