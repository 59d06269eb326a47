package org.securep2p.app.trust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.securep2p.app.store.AtomicFile;
import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;

import static org.securep2p.app.store.StoreException.Reason.CORRUPT;
import static org.securep2p.app.store.StoreException.Reason.LIMIT_REACHED;
import static org.securep2p.app.store.StoreException.Reason.REJECTED_IDENTITY;
import static org.securep2p.app.store.StoreException.Reason.STORAGE_FAILED;
import static org.securep2p.app.store.StoreException.Reason.UNKNOWN_PEER;
import static org.securep2p.app.store.StoreException.Reason.UNKNOWN_VERSION;

/**
 * The identities this user has met, {@code trusted_peers.json} in the home directory: versioned JSON
 * ({@code {"version":1,"peers":[...],"rejected":[...]}}, PROTOCOL.md section 19), rewritten whole through
 * {@link AtomicFile} by every mutation before it returns. A mutation that fails (I/O, a limit) changes
 * nothing, in memory or on disk. The file is read strictly: an unknown version is {@code UNKNOWN_VERSION},
 * anything else out of place (a missing, extra or duplicate field, a bad fingerprint or time, a repeated
 * identity) is {@code CORRUPT}, and the file is never overwritten because it could not be read: the caller
 * decides, and may {@link #moveAside} it. Thread-safe: one lock per store.
 *
 * <p>Not its job: deciding whom to trust. The app asks {@link #find} and {@link #isRejected}, shows the user
 * what changed, and records the user's decision here. The file holds no secret (fingerprints, names,
 * addresses, times), so it is not sealed; it is 0600 because it is still private.
 */
public final class TrustStore {

    static final String FILE_NAME = "trusted_peers.json";
    static final int VERSION = 1;
    /** Identities kept (trusted and rejected, each): far more than anyone talks to; bounds the file and lookups. */
    static final int MAX_PEERS = 10_000;
    /** The largest file written or read: 10,000 peers with several names each fit; a planted giant does not. */
    static final int MAX_FILE_BYTES = 8 << 20;

    private static final Set<String> ROOT_FIELDS = Set.of("version", "peers", "rejected");
    private static final Set<String> PEER_FIELDS = Set.of("fingerprint", "names", "firstSeen", "lastSeen",
            "lastAddress", "verified", "origin");
    private static final String REPLACES = "replaces";
    private static final Set<String> REJECTED_FIELDS = Set.of("fingerprint", "rejectedAt");
    private static final DateTimeFormatter ASIDE_TIME =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final Clock clock;
    /** Insertion order is first-recorded order, which is also the file's order. */
    private Map<Fingerprint, TrustedPeer> peers;
    private Map<Fingerprint, Instant> rejected;

    private TrustStore(Path file, Clock clock, Map<Fingerprint, TrustedPeer> peers,
            Map<Fingerprint, Instant> rejected) {
        this.file = file;
        this.clock = clock;
        this.peers = peers;
        this.rejected = rejected;
    }

    /**
     * Reads {@code file}, or starts empty if there is none (nothing is written until the first mutation).
     * Creates the parent directory 0700 if missing and removes temp files a crash left beside the file.
     */
    public static TrustStore open(Path file, Clock clock) throws StoreException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(clock, "clock");
        Path dir = file.toAbsolutePath().getParent();
        AtomicFile.ensureDirectory(dir);
        String name = file.getFileName().toString();
        AtomicFile.removeLeftoverTemps(dir, name::equals);
        Optional<byte[]> bytes = AtomicFile.read(file, MAX_FILE_BYTES);
        TrustStore store = new TrustStore(file, clock, new LinkedHashMap<>(), new LinkedHashMap<>());
        if (bytes.isPresent()) {
            store.parse(bytes.get());
        }
        return store;
    }

    /**
     * Renames an unreadable {@code file} to {@code <file>.corrupt-<yyyyMMddTHHmmssZ>} (with {@code -1},
     * {@code -2}... if that exists), so that {@link #open} starts empty and the old file stays for inspection.
     * Returns the new path.
     */
    static Path moveAside(Path file, Clock clock) throws StoreException {
        String base = file.getFileName() + ".corrupt-" + ASIDE_TIME.format(clock.instant());
        Path target = file.resolveSibling(base);
        for (int i = 1; Files.exists(target, LinkOption.NOFOLLOW_LINKS); i++) {
            if (i > 1000) {
                throw new StoreException(STORAGE_FAILED, "too many files named " + base + "-N");
            }
            target = file.resolveSibling(base + "-" + i);
        }
        AtomicFile.rename(file, target);
        return target;
    }

    Path file() {
        return file;
    }

    public synchronized Optional<TrustedPeer> find(Fingerprint fingerprint) {
        return Optional.ofNullable(peers.get(Objects.requireNonNull(fingerprint, "fingerprint")));
    }

    /** The most recently seen identity that presented {@code name}, if any. */
    public synchronized Optional<TrustedPeer> findByName(String name) {
        Objects.requireNonNull(name, "name");
        return peers.values().stream().filter(p -> p.names().contains(name))
                .max(Comparator.comparing(TrustedPeer::lastSeen));
    }

    /** The most recently seen identity whose last address is {@code address}; none for the empty address. */
    public synchronized Optional<TrustedPeer> findByAddress(String address) {
        Objects.requireNonNull(address, "address");
        if (address.isEmpty()) {
            return Optional.empty();
        }
        return peers.values().stream().filter(p -> p.lastAddress().equals(address))
                .max(Comparator.comparing(TrustedPeer::lastSeen));
    }

    /** Every trusted identity, in the order they were first recorded. */
    public synchronized List<TrustedPeer> all() {
        return List.copyOf(peers.values());
    }

    /**
     * Records a contact: a new identity is added (unverified, with {@code origin}); a known one gains
     * {@code name}, its last address (unless {@code address} is empty) and {@code lastSeen}, and keeps its
     * first origin. A rejected identity is refused with {@code REJECTED_IDENTITY}; past {@link #MAX_PEERS}
     * identities, a new one is {@code LIMIT_REACHED}.
     */
    public synchronized TrustedPeer recordSeen(Fingerprint fingerprint, String name, String address, TrustOrigin origin)
            throws StoreException {
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(origin, "origin");
        if (rejected.containsKey(fingerprint)) {
            throw new StoreException(REJECTED_IDENTITY, fingerprint.shortForm() + " was rejected by the user");
        }
        Map<Fingerprint, TrustedPeer> next = new LinkedHashMap<>(peers);
        TrustedPeer peer = seenIn(next, fingerprint, name, address, origin, null);
        commit(next, rejected);
        return peer;
    }

    /** Marks a known identity verified (the user compared the safety number) or not. */
    public synchronized TrustedPeer setVerified(Fingerprint fingerprint, boolean verified) throws StoreException {
        TrustedPeer peer = known(fingerprint).withVerified(verified);
        Map<Fingerprint, TrustedPeer> next = new LinkedHashMap<>(peers);
        next.put(fingerprint, peer);
        commit(next, rejected);
        return peer;
    }

    /** Forgets a trusted identity (it is then a stranger again, not rejected); false if it was not known. */
    public synchronized boolean untrust(Fingerprint fingerprint) throws StoreException {
        Objects.requireNonNull(fingerprint, "fingerprint");
        if (!peers.containsKey(fingerprint)) {
            return false;
        }
        Map<Fingerprint, TrustedPeer> next = new LinkedHashMap<>(peers);
        next.remove(fingerprint);
        commit(next, rejected);
        return true;
    }

    /**
     * The user accepted {@code newFingerprint} in place of the known {@code oldFingerprint} (a changed identity
     * behind a known name): the old entry is removed, and the new identity is recorded as seen with
     * {@code name} and {@code address}, unverified, remembering which identity it replaced. If the new identity
     * was already known it keeps its own record (and verification); a rejection of it is withdrawn, since the
     * user has now accepted it. {@code UNKNOWN_PEER} if the old identity is not trusted.
     */
    public synchronized TrustedPeer replaceIdentity(Fingerprint oldFingerprint, Fingerprint newFingerprint, String name,
            String address, TrustOrigin origin) throws StoreException {
        Objects.requireNonNull(newFingerprint, "newFingerprint");
        Objects.requireNonNull(origin, "origin");
        known(oldFingerprint);
        if (oldFingerprint.equals(newFingerprint)) {
            throw new IllegalArgumentException("old and new identity are the same");
        }
        Map<Fingerprint, TrustedPeer> nextPeers = new LinkedHashMap<>(peers);
        nextPeers.remove(oldFingerprint);
        Map<Fingerprint, Instant> nextRejected = new LinkedHashMap<>(rejected);
        nextRejected.remove(newFingerprint);
        TrustedPeer peer = seenIn(nextPeers, newFingerprint, name, address, origin, oldFingerprint);
        commit(nextPeers, nextRejected);
        return peer;
    }

    /**
     * The user refused {@code fingerprint}: it is remembered so that it is refused next time without asking
     * again ({@link #isRejected}, and {@link #recordSeen} fails with {@code REJECTED_IDENTITY}); a trusted entry
     * for it is removed. Rejecting twice keeps the first time.
     */
    public synchronized void reject(Fingerprint fingerprint) throws StoreException {
        Objects.requireNonNull(fingerprint, "fingerprint");
        if (rejected.containsKey(fingerprint) && !peers.containsKey(fingerprint)) {
            return;
        }
        Map<Fingerprint, TrustedPeer> nextPeers = new LinkedHashMap<>(peers);
        nextPeers.remove(fingerprint);
        Map<Fingerprint, Instant> nextRejected = new LinkedHashMap<>(rejected);
        nextRejected.putIfAbsent(fingerprint, clock.instant());
        if (nextRejected.size() > MAX_PEERS) {
            throw new StoreException(LIMIT_REACHED, "already " + MAX_PEERS + " rejected identities");
        }
        commit(nextPeers, nextRejected);
    }

    public synchronized boolean isRejected(Fingerprint fingerprint) {
        return rejected.containsKey(Objects.requireNonNull(fingerprint, "fingerprint"));
    }

    /** When the user rejected {@code fingerprint}, if they did. */
    synchronized Optional<Instant> rejectedAt(Fingerprint fingerprint) {
        return Optional.ofNullable(rejected.get(Objects.requireNonNull(fingerprint, "fingerprint")));
    }

    /** Withdraws a rejection (the identity is a stranger again); false if it was not rejected. */
    synchronized boolean withdrawRejection(Fingerprint fingerprint) throws StoreException {
        Objects.requireNonNull(fingerprint, "fingerprint");
        if (!rejected.containsKey(fingerprint)) {
            return false;
        }
        Map<Fingerprint, Instant> next = new LinkedHashMap<>(rejected);
        next.remove(fingerprint);
        commit(peers, next);
        return true;
    }

    @Override
    public String toString() {
        return "TrustStore[" + file + "]";
    }

    private TrustedPeer known(Fingerprint fingerprint) throws StoreException {
        TrustedPeer peer = peers.get(Objects.requireNonNull(fingerprint, "fingerprint"));
        if (peer == null) {
            throw new StoreException(UNKNOWN_PEER, fingerprint.shortForm() + " is not a trusted identity");
        }
        return peer;
    }

    private TrustedPeer seenIn(Map<Fingerprint, TrustedPeer> map, Fingerprint fingerprint, String name,
            String address, TrustOrigin origin, Fingerprint replaces) throws StoreException {
        Instant now = clock.instant();
        TrustedPeer old = map.get(fingerprint);
        if (old == null && map.size() >= MAX_PEERS) {
            throw new StoreException(LIMIT_REACHED, "already " + MAX_PEERS + " trusted identities");
        }
        // A known identity never gains a name another identity holds: findByName would then answer with it,
        // and a peer could take over a contact's name by merely using it (PROTOCOL.md §19.4).
        boolean heldByAnother = map.values().stream()
                .anyMatch(p -> !p.fingerprint().equals(fingerprint) && p.names().contains(name));
        TrustedPeer peer = old == null ? TrustedPeer.first(fingerprint, name, address, now, origin, replaces)
                : heldByAnother ? old.seenKeepingNames(address, now) : old.seen(name, address, now);
        map.put(fingerprint, peer);
        return peer;
    }

    /** Writes the new state durably, then adopts it; if the write fails, nothing has changed. */
    private void commit(Map<Fingerprint, TrustedPeer> nextPeers, Map<Fingerprint, Instant> nextRejected)
            throws StoreException {
        byte[] bytes = encode(nextPeers, nextRejected);
        if (bytes.length > MAX_FILE_BYTES) {
            throw new StoreException(LIMIT_REACHED, "the trust store would exceed " + MAX_FILE_BYTES + " bytes");
        }
        AtomicFile.write(file, bytes);
        peers = nextPeers;
        rejected = nextRejected;
    }

    static byte[] encode(Map<Fingerprint, TrustedPeer> peers, Map<Fingerprint, Instant> rejected) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", VERSION);
        ArrayNode peerArray = root.putArray("peers");
        for (TrustedPeer p : peers.values()) {
            ObjectNode node = peerArray.addObject();
            node.put("fingerprint", p.fingerprint().displayString());
            ArrayNode names = node.putArray("names");
            p.names().forEach(names::add);
            node.put("firstSeen", p.firstSeen().toString());
            node.put("lastSeen", p.lastSeen().toString());
            node.put("lastAddress", p.lastAddress());
            node.put("verified", p.verified());
            node.put("origin", p.origin().name());
            p.replaces().ifPresent(r -> node.put(REPLACES, r.displayString()));
        }
        ArrayNode rejectedArray = root.putArray("rejected");
        rejected.forEach((fp, at) -> rejectedArray.addObject().put("fingerprint", fp.displayString())
                .put("rejectedAt", at.toString()));
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("JSON tree could not be written", e);
        }
    }

    private void parse(byte[] bytes) throws StoreException {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            // Jackson's message quotes the offending input; the file holds no secret, but keep errors short.
            throw corrupt("is not valid JSON (" + e.getClass().getSimpleName() + ")");
        }
        if (root == null || !root.isObject()) {
            throw corrupt("is not a JSON object");
        }
        JsonNode version = root.get("version");
        if (version == null || !version.isIntegralNumber() || !version.canConvertToInt()) {
            throw corrupt("has no integer version");
        }
        if (version.intValue() != VERSION) {
            throw new StoreException(UNKNOWN_VERSION, file + " has trust store version " + version.asText());
        }
        fields(root, ROOT_FIELDS, Set.of(), "the top level");
        Map<Fingerprint, TrustedPeer> readPeers = new LinkedHashMap<>();
        for (JsonNode node : array(root, "peers", "the top level")) {
            TrustedPeer peer = peer(node, readPeers.size());
            if (readPeers.put(peer.fingerprint(), peer) != null) {
                throw corrupt("lists the identity " + peer.fingerprint().shortForm() + " twice");
            }
        }
        Map<Fingerprint, Instant> readRejected = new LinkedHashMap<>();
        JsonNode rejectedArray = array(root, "rejected", "the top level");
        for (int i = 0; i < rejectedArray.size(); i++) {
            JsonNode node = rejectedArray.get(i);
            String where = "rejected[" + i + "]";
            fields(node, REJECTED_FIELDS, Set.of(), where);
            Fingerprint fp = fingerprint(node, "fingerprint", where);
            if (readPeers.containsKey(fp) || readRejected.put(fp, instant(node, "rejectedAt", where)) != null) {
                throw corrupt("lists the identity " + fp.shortForm() + " twice");
            }
        }
        if (readPeers.size() > MAX_PEERS || readRejected.size() > MAX_PEERS) {
            throw corrupt("has more than " + MAX_PEERS + " identities in a list");
        }
        peers = readPeers;
        rejected = readRejected;
    }

    private TrustedPeer peer(JsonNode node, int index) throws StoreException {
        String where = "peers[" + index + "]";
        fields(node, PEER_FIELDS, Set.of(REPLACES), where);
        List<String> names = new ArrayList<>();
        for (JsonNode name : array(node, "names", where)) {
            if (!name.isTextual()) {
                throw corrupt("has a name that is not a string in " + where);
            }
            names.add(name.textValue());
        }
        JsonNode verified = node.get("verified");
        if (!verified.isBoolean()) {
            throw corrupt("has a verified flag that is not a boolean in " + where);
        }
        TrustOrigin origin;
        try {
            origin = TrustOrigin.valueOf(text(node, "origin", where));
        } catch (IllegalArgumentException e) {
            throw corrupt("has an unknown origin in " + where);
        }
        Fingerprint replaces = node.has(REPLACES) ? fingerprint(node, REPLACES, where) : null;
        try {
            return TrustedPeer.of(fingerprint(node, "fingerprint", where), names, instant(node, "firstSeen", where),
                    instant(node, "lastSeen", where), text(node, "lastAddress", where), verified.booleanValue(),
                    origin, replaces);
        } catch (IllegalArgumentException e) {
            throw corrupt("breaks a rule in " + where + ": " + e.getMessage());
        }
    }

    /** Exactly the {@code required} fields, plus any of {@code optional}. */
    private void fields(JsonNode node, Set<String> required, Set<String> optional, String where) throws StoreException {
        if (!node.isObject()) {
            throw corrupt("has something other than an object at " + where);
        }
        for (String field : required) {
            if (!node.has(field)) {
                throw corrupt("lacks the field " + field + " in " + where);
            }
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!required.contains(field) && !optional.contains(field)) {
                throw corrupt("has an unknown field in " + where);
            }
        }
    }

    private JsonNode array(JsonNode node, String field, String where) throws StoreException {
        JsonNode value = node.get(field);
        if (value == null || !value.isArray()) {
            throw corrupt("has a " + field + " that is not an array in " + where);
        }
        return value;
    }

    private String text(JsonNode node, String field, String where) throws StoreException {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw corrupt("has a " + field + " that is not a string in " + where);
        }
        return value.textValue();
    }

    /** Only the canonical display form is accepted, so one identity has one spelling in the file. */
    private Fingerprint fingerprint(JsonNode node, String field, String where) throws StoreException {
        String text = text(node, field, where);
        try {
            Fingerprint fp = Fingerprint.parse(text);
            if (!fp.displayString().equals(text)) {
                throw corrupt("has a " + field + " not in display form in " + where);
            }
            return fp;
        } catch (CryptoException e) {
            throw corrupt("has a malformed " + field + " in " + where);
        }
    }

    private Instant instant(JsonNode node, String field, String where) throws StoreException {
        try {
            return Instant.parse(text(node, field, where));
        } catch (DateTimeParseException e) {
            throw corrupt("has a malformed " + field + " in " + where);
        }
    }

    private StoreException corrupt(String what) {
        return new StoreException(CORRUPT, file + " " + what);
    }
}
