package org.securep2p.app.org;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
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
import org.securep2p.app.store.SealedFormat;
import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.transport.cert.OrganisationAuthority;
import org.securep2p.transport.cert.OrganisationAuthority.IssuedCertificate;
import org.securep2p.transport.cert.OrganisationAuthority.Revocation;
import org.securep2p.transport.TransportException;

import static org.securep2p.app.store.StoreException.Reason.CORRUPT;
import static org.securep2p.app.store.StoreException.Reason.DUPLICATE;
import static org.securep2p.app.store.StoreException.Reason.LIMIT_REACHED;
import static org.securep2p.app.store.StoreException.Reason.STORAGE_FAILED;
import static org.securep2p.app.store.StoreException.Reason.UNKNOWN_PEER;
import static org.securep2p.app.store.StoreException.Reason.UNKNOWN_VERSION;

/**
 * An organisation CA's state in a home directory (PROTOCOL.md section 21.3): the CA certificate
 * {@code cert/ca.crt} and revocation list {@code cert/ca.crl} that members receive, the CA's Ed25519 seed sealed
 * under the storage key in {@code ca/ca-key.sealed} (section 19.2, role {@code ca}), the register of issued
 * certificates {@code ca/register.json} and a copy of each issued certificate in {@code ca/issued/<NAME>.crt}.
 * Every file is written whole through {@link AtomicFile}; every operation checks everything it can before it
 * writes anything, and a file that cannot be read is reported and never overwritten. The seed is unsealed
 * only for the one operation that signs, and wiped afterwards.
 *
 * <p>Not its job: obtaining the storage key (the {@code ca} commands ask the key manager), locking the home
 * against a second writer (the commands hold the home's lock), or handing certificates to members.
 */
public final class OrganisationCa implements AutoCloseable {

    static final String SEALED_ROLE = "ca";
    static final int REGISTER_VERSION = 1;
    /** Certificates in the register, revoked ones included: far more than any team; bounds file and CRL. */
    static final int MAX_ENTRIES = 10_000;
    /** The largest register read: 10,000 entries of about 300 bytes. */
    static final int MAX_REGISTER_BYTES = 8 << 20;
    /** A member's identity.crt is about 3 KB; the transport refuses certificates over 16 KiB anyway. */
    static final int MAX_REQUEST_BYTES = 64 * 1024;
    /** The CA certificate as we write it is under 1 KB. */
    private static final int MAX_CA_CERTIFICATE_BYTES = 64 * 1024;
    /** The sealed 32-byte seed: 32 bytes plus the sealed-file overhead; anything larger is not ours. */
    private static final int MAX_SEALED_KEY_BYTES = 1024;
    private static final int SEED_LENGTH = 32;

    private static final Set<String> ROOT_FIELDS = Set.of("version", "crlNumber", "certificates");
    private static final Set<String> ENTRY_FIELDS = Set.of("name", "serial", "fingerprint", "notAfter", "revokedAt");
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** How a register entry stands now. */
    public enum Status {
        ACTIVE, REVOKED, EXPIRED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One issued certificate as the register records it; {@code revokedAt} is empty while it is not revoked. */
    public record Entry(String name, BigInteger serial, Fingerprint fingerprint, Instant notAfter,
                 Optional<Instant> revokedAt) {
        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(serial, "serial");
            Objects.requireNonNull(fingerprint, "fingerprint");
            Objects.requireNonNull(notAfter, "notAfter");
            Objects.requireNonNull(revokedAt, "revokedAt");
        }

        public Status status(Instant now) {
            if (revokedAt.isPresent()) {
                return Status.REVOKED;
            }
            return now.isAfter(notAfter) ? Status.EXPIRED : Status.ACTIVE;
        }

        public String serialHex() {
            return serial.toString(16);
        }

        Entry revoked(Instant at) {
            return new Entry(name, serial, fingerprint, notAfter, Optional.of(at));
        }
    }

    /** The register: the current list's number and every certificate ever issued, oldest first. */
    private record Register(long crlNumber, List<Entry> entries) {
        Register {
            entries = List.copyOf(entries);
        }

        List<Revocation> revocations() {
            List<Revocation> out = new ArrayList<>();
            for (Entry e : entries) {
                e.revokedAt().ifPresent(at -> out.add(new Revocation(e.serial(), at)));
            }
            return out;
        }
    }

    private final CaFolders home;
    private final SecretBytes storageKey;
    private final SecureRandom random;
    private final Clock clock;

    /**
     * The CA state of {@code home}; nothing is read until an operation needs it. Copies {@code storageKey}
     * (32 bytes; the caller keeps and closes its own) and wipes the copy on {@link #close()}. Removes the temp
     * files a crash left beside the CA's own files.
     */
    public OrganisationCa(CaFolders home, SecretBytes storageKey, SecureRandom random, Clock clock)
            throws StoreException {
        this.home = Objects.requireNonNull(home, "home");
        this.random = Objects.requireNonNull(random, "random");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.storageKey = SealedFormat.copyKey(storageKey);
        removeLeftoverTemps(home);
    }

    static Path caDirectory(CaFolders home) {
        return home.root().resolve("ca");
    }

    static Path issuedDirectory(CaFolders home) {
        return caDirectory(home).resolve("issued");
    }

    public static Path sealedKeyFile(CaFolders home) {
        return caDirectory(home).resolve("ca-key.sealed");
    }

    static Path registerFile(CaFolders home) {
        return caDirectory(home).resolve("register.json");
    }

    public static Path certificateFile(CaFolders home) {
        return home.cert().resolve("ca.crt");
    }

    public static Path crlFile(CaFolders home) {
        return home.cert().resolve("ca.crl");
    }

    /** Where {@code issue} writes the certificate of {@code name}. */
    public Path issuedFile(String name) {
        return issuedDirectory(home).resolve(name + ".crt");
    }

    /**
     * Creates the CA named {@code caName}: a fresh key, its certificate, an empty revocation list (number 1)
     * and an empty register. Refused ({@code DUPLICATE}) if any of these files exists already, so an existing
     * CA (or a member's copy of their CA's certificate) is never replaced. The sealed key is written first: a
     * crash later leaves a key without a certificate, which the next {@code init} refuses to overwrite.
     */
    public void init(String caName) throws StoreException {
        checkNewName(caName, "CA name");
        for (Path existing : List.of(sealedKeyFile(home), certificateFile(home), crlFile(home), registerFile(home))) {
            if (Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
                throw new StoreException(DUPLICATE, existing + " already exists: this home already has a CA (or a"
                        + " member's copy of one). Nothing was changed; to start a new CA, use another --home.");
            }
        }
        AtomicFile.ensureDirectory(home.cert());
        AtomicFile.ensureDirectory(caDirectory(home));
        Instant now = clock.instant();
        try (OrganisationAuthority ca = OrganisationAuthority.create(caName, random, now)) {
            byte[] seed = ca.exportPrivateKey();
            try {
                AtomicFile.write(sealedKeyFile(home), SealedFormat.seal(SEALED_ROLE, "", seed, storageKey, random));
            } finally {
                Arrays.fill(seed, (byte) 0);
            }
            AtomicFile.write(certificateFile(home), ca.certificatePem());
            Register empty = new Register(1, List.of());
            AtomicFile.write(crlFile(home), crl(ca, empty, now));
            AtomicFile.write(registerFile(home), encode(empty));
        } catch (TransportException e) {
            // Only the name (checked above) or an encoding failure get here.
            throw new StoreException(STORAGE_FAILED, "the CA could not be created: " + e.getMessage(), e);
        }
    }

    /**
     * Issues one certificate per name in {@code names}, for the identity in {@code <requestsDir>/<NAME>.crt}
     * (the member's own {@code cert/identity.crt}), valid for {@code validity}. All or nothing: every name and
     * request is checked, and every certificate signed, before the first file is written; the certificate files
     * come first and the register last, in one write. Refused: a name given twice, a name or identity that
     * already holds an active certificate ({@code DUPLICATE}: revoke it first), a missing or invalid request.
     */
    public List<IssuedCertificate> issue(List<String> names, Path requestsDir, Duration validity) throws StoreException {
        Objects.requireNonNull(requestsDir, "requestsDir");
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no names to issue for");
        }
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity must be positive");
        }
        Register register = readRegister(home);
        if (register.entries().size() + names.size() > MAX_ENTRIES) {
            throw new StoreException(LIMIT_REACHED, "the register would hold more than " + MAX_ENTRIES
                    + " certificates; nothing was issued");
        }
        Instant now = clock.instant();
        Set<String> seen = new HashSet<>();
        List<byte[]> requests = new ArrayList<>();
        for (String name : names) {
            checkNewName(name, "member name");
            if (!seen.add(name)) {
                throw new StoreException(DUPLICATE, name + " is named twice; nothing was issued");
            }
            Optional<Entry> active = activeEntry(register, name, now);
            if (active.isPresent()) {
                throw new StoreException(DUPLICATE, name + " already holds an active certificate (serial "
                        + active.get().serialHex() + ", valid until " + active.get().notAfter()
                        + "); revoke it first with: securep2p ca revoke " + name + ". Nothing was issued");
            }
            Path request = requestsDir.resolve(name + ".crt");
            Optional<byte[]> bytes = AtomicFile.read(request, MAX_REQUEST_BYTES);
            if (bytes.isEmpty()) {
                throw new StoreException(UNKNOWN_PEER, "no request for " + name + " at " + request + ": copy the "
                        + "member's cert/identity.crt there as " + name + ".crt. Nothing was issued");
            }
            requests.add(bytes.get());
        }
        List<IssuedCertificate> issued = new ArrayList<>();
        try (OrganisationAuthority ca = unsealAuthority()) {
            Set<Fingerprint> identities = new HashSet<>();
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                IssuedCertificate c;
                try {
                    c = ca.issue(name, requests.get(i), now, validity, random);
                } catch (TransportException e) {
                    throw new StoreException(CORRUPT, requestsDir.resolve(name + ".crt") + ": " + e.getMessage()
                            + ". Nothing was issued");
                }
                // One identity, one active name: a second name would let one member act as two people.
                Optional<Entry> holder = register.entries().stream()
                        .filter(e -> e.fingerprint().equals(c.fingerprint()) && e.status(now) == Status.ACTIVE)
                        .findFirst();
                if (holder.isPresent() || !identities.add(c.fingerprint())) {
                    throw new StoreException(DUPLICATE, "the request for " + name + " is the identity "
                            + c.fingerprint().shortForm() + ", which "
                            + holder.map(h -> "already holds an active certificate as " + h.name()
                                    + "; revoke that first")
                                    .orElse("another request of this batch also is")
                            + ". Nothing was issued");
                }
                issued.add(c);
            }
        }
        AtomicFile.ensureDirectory(issuedDirectory(home));
        List<Entry> entries = new ArrayList<>(register.entries());
        for (IssuedCertificate c : issued) {
            AtomicFile.write(issuedFile(c.name()), c.pem());
            entries.add(new Entry(c.name(), c.serial(), c.fingerprint(), c.notAfter(), Optional.empty()));
        }
        AtomicFile.write(registerFile(home), encode(new Register(register.crlNumber(), entries)));
        return List.copyOf(issued);
    }

    /**
     * Revokes every certificate of {@code name} that is not revoked yet (normally the one current one; an
     * expired one is revoked too, which costs nothing), as of now, and writes a new revocation list with the
     * next number (register first, then list). Returns the entries as revoked. {@code UNKNOWN_PEER} if the register
     * has no certificate of that name, {@code DUPLICATE} if all of them are revoked already.
     */
    public List<Entry> revoke(String name) throws StoreException {
        checkName(name, "member name");
        Register register = readRegister(home);
        // Whole seconds: the revocation list carries no more, and the register should say the same date.
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        List<Entry> entries = new ArrayList<>();
        List<Entry> revoked = new ArrayList<>();
        boolean known = false;
        for (Entry e : register.entries()) {
            if (e.name().equals(name)) {
                known = true;
                if (e.revokedAt().isEmpty()) {
                    e = e.revoked(now);
                    revoked.add(e);
                }
            }
            entries.add(e);
        }
        if (!known) {
            throw new StoreException(UNKNOWN_PEER, "the register has no certificate issued to \"" + name
                    + "\" (see securep2p ca list; names are case-sensitive)");
        }
        if (revoked.isEmpty()) {
            throw new StoreException(DUPLICATE, "every certificate of " + name + " is revoked already (if the last"
                    + " revoke was interrupted, securep2p ca renew-crl writes the revocation list again)");
        }
        writeListAndRegister(new Register(register.crlNumber() + 1, entries), now);
        return List.copyOf(revoked);
    }

    /**
     * Writes a fresh revocation list (the same revocations, the next number, current for another
     * {@link OrganisationAuthority#CRL_VALIDITY}): members refuse a list past its next-update date. Returns
     * the new list's next-update date.
     */
    public Instant renewCrl() throws StoreException {
        Register register = readRegister(home);
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        writeListAndRegister(new Register(register.crlNumber() + 1, register.entries()), now);
        return now.plus(OrganisationAuthority.CRL_VALIDITY);
    }

    /** The register's entries, oldest first. */
    public List<Entry> list() throws StoreException {
        return list(home);
    }

    /** As {@link #list()}, without a storage key: the register is not secret, and listing needs no signing. */
    public static List<Entry> list(CaFolders home) throws StoreException {
        return readRegister(home).entries();
    }

    @Override
    public void close() {
        storageKey.close();
    }

    @Override
    public String toString() {
        return "OrganisationCa[" + home.root() + "]";
    }

    /**
     * The register first (it is the source of truth), then the list made from it. A crash between them leaves
     * a list that is behind the register, which {@link #renewCrl()} rewrites; the other order could lose a
     * revocation, since the next list is built from the register.
     */
    private void writeListAndRegister(Register next, Instant now) throws StoreException {
        byte[] list;
        try (OrganisationAuthority ca = unsealAuthority()) {
            list = crl(ca, next, now);
        }
        AtomicFile.write(registerFile(home), encode(next));
        AtomicFile.write(crlFile(home), list);
    }

    private static byte[] crl(OrganisationAuthority ca, Register register, Instant now) throws StoreException {
        try {
            return ca.revocationListPem(register.revocations(), register.crlNumber(), now);
        } catch (TransportException e) {
            throw new StoreException(STORAGE_FAILED, "the revocation list could not be made: " + e.getMessage(), e);
        }
    }

    /** Non-revoked and not expired: the certificate the member is using now. */
    private static Optional<Entry> activeEntry(Register register, String name, Instant now) {
        return register.entries().stream()
                .filter(e -> e.name().equals(name) && e.status(now) == Status.ACTIVE)
                .findFirst();
    }

    /** The CA with its key unsealed; the caller closes it, which wipes the key. */
    private OrganisationAuthority unsealAuthority() throws StoreException {
        Path keyFile = sealedKeyFile(home);
        Optional<byte[]> sealed = AtomicFile.read(keyFile, MAX_SEALED_KEY_BYTES);
        if (sealed.isEmpty()) {
            throw new StoreException(UNKNOWN_PEER, "no CA in " + home.root() + " (" + keyFile
                    + " is missing): create one with securep2p ca init NAME");
        }
        byte[] certificate = caCertificatePem(home);
        byte[] seed = SealedFormat.open(SEALED_ROLE, "", sealed.get(), storageKey, random, keyFile.toString());
        try {
            if (seed.length != SEED_LENGTH) {
                throw new StoreException(CORRUPT, keyFile + " does not hold an Ed25519 key");
            }
            return OrganisationAuthority.restore(seed, certificate);
        } catch (TransportException e) {
            throw new StoreException(CORRUPT, keyFile + " and " + certificateFile(home) + " do not belong together: "
                    + e.getMessage());
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    private static byte[] caCertificatePem(CaFolders home) throws StoreException {
        Path file = certificateFile(home);
        Optional<byte[]> pem = AtomicFile.read(file, MAX_CA_CERTIFICATE_BYTES);
        if (pem.isEmpty()) {
            throw new StoreException(UNKNOWN_PEER, "no CA certificate at " + file
                    + ": create a CA with securep2p ca init NAME");
        }
        return pem.get();
    }

    private static void checkName(String name, String what) {
        checkName(name, what, false);
    }

    private static void checkNewName(String name, String what) {
        checkName(name, what, true);
    }

    private static void checkName(String name, String what, boolean toCertify) {
        try {
            if (toCertify) {
                OrganisationAuthority.checkNewName(name, what);
            } else {
                OrganisationAuthority.checkName(name, what);
            }
        } catch (TransportException e) {
            // The commands check names first and answer with a usage error; reaching here is a caller's bug.
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    private static void removeLeftoverTemps(CaFolders home) throws StoreException {
        AtomicFile.removeLeftoverTemps(caDirectory(home), n -> n.equals("ca-key.sealed") || n.equals("register.json"));
        AtomicFile.removeLeftoverTemps(issuedDirectory(home), n -> n.endsWith(".crt"));
        AtomicFile.removeLeftoverTemps(home.cert(), n -> n.equals("ca.crt") || n.equals("ca.crl"));
    }

    // The register file.

    private static byte[] encode(Register register) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", REGISTER_VERSION);
        root.put("crlNumber", register.crlNumber());
        ArrayNode array = root.putArray("certificates");
        for (Entry e : register.entries()) {
            ObjectNode node = array.addObject();
            node.put("name", e.name());
            node.put("serial", e.serialHex());
            node.put("fingerprint", e.fingerprint().displayString());
            node.put("notAfter", e.notAfter().toString());
            if (e.revokedAt().isPresent()) {
                node.put("revokedAt", e.revokedAt().get().toString());
            } else {
                node.putNull("revokedAt");
            }
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("JSON tree could not be written", e);
        }
    }

    private static Register readRegister(CaFolders home) throws StoreException {
        Path file = registerFile(home);
        Optional<byte[]> bytes = AtomicFile.read(file, MAX_REGISTER_BYTES);
        if (bytes.isEmpty()) {
            throw new StoreException(UNKNOWN_PEER, "no CA register at " + file
                    + (Files.exists(sealedKeyFile(home)) ? " (the CA key exists: the register was lost; restore it "
                    + "from a backup)" : ": create a CA with securep2p ca init NAME"));
        }
        return parse(file, bytes.get());
    }

    private static Register parse(Path file, byte[] bytes) throws StoreException {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw corrupt(file, "is not valid JSON (" + e.getClass().getSimpleName() + ")");
        }
        if (root == null || !root.isObject()) {
            throw corrupt(file, "is not a JSON object");
        }
        JsonNode version = root.get("version");
        if (version == null || !version.isIntegralNumber() || !version.canConvertToInt()) {
            throw corrupt(file, "has no integer version");
        }
        if (version.intValue() != REGISTER_VERSION) {
            throw new StoreException(UNKNOWN_VERSION, file + " has register version " + version.asText());
        }
        fields(file, root, ROOT_FIELDS, "the top level");
        JsonNode number = root.get("crlNumber");
        if (!number.isIntegralNumber() || !number.canConvertToLong() || number.longValue() < 1) {
            throw corrupt(file, "has a crlNumber that is not a positive integer");
        }
        JsonNode array = root.get("certificates");
        if (!array.isArray()) {
            throw corrupt(file, "has certificates that are not an array");
        }
        if (array.size() > MAX_ENTRIES) {
            throw corrupt(file, "has more than " + MAX_ENTRIES + " certificates");
        }
        List<Entry> entries = new ArrayList<>();
        Map<BigInteger, String> serials = new LinkedHashMap<>();
        for (int i = 0; i < array.size(); i++) {
            Entry e = entry(file, array.get(i), "certificates[" + i + "]");
            if (serials.put(e.serial(), e.name()) != null) {
                throw corrupt(file, "lists the serial " + e.serialHex() + " twice");
            }
            entries.add(e);
        }
        return new Register(number.longValue(), entries);
    }

    private static Entry entry(Path file, JsonNode node, String where) throws StoreException {
        fields(file, node, ENTRY_FIELDS, where);
        String name = text(file, node, "name", where);
        try {
            OrganisationAuthority.checkName(name, "member name");
        } catch (TransportException e) {
            throw corrupt(file, "has a malformed name in " + where);
        }
        String serialText = text(file, node, "serial", where);
        BigInteger serial;
        try {
            // Lower-case hex without leading zeros only, as written: one serial, one spelling.
            serial = new BigInteger(serialText, 16);
        } catch (NumberFormatException e) {
            throw corrupt(file, "has a malformed serial in " + where);
        }
        if (serial.signum() <= 0 || !serial.toString(16).equals(serialText) || serial.bitLength() > 160) {
            throw corrupt(file, "has a malformed serial in " + where);
        }
        String fpText = text(file, node, "fingerprint", where);
        Fingerprint fingerprint;
        try {
            fingerprint = Fingerprint.parse(fpText);
        } catch (CryptoException e) {
            throw corrupt(file, "has a malformed fingerprint in " + where);
        }
        if (!fingerprint.displayString().equals(fpText)) {
            throw corrupt(file, "has a fingerprint not in display form in " + where);
        }
        Instant notAfter = instant(file, node, "notAfter", where);
        JsonNode revoked = node.get("revokedAt");
        Optional<Instant> revokedAt = revoked.isNull() ? Optional.empty()
                : Optional.of(instant(file, node, "revokedAt", where));
        return new Entry(name, serial, fingerprint, notAfter, revokedAt);
    }

    /** Exactly the {@code required} fields. */
    private static void fields(Path file, JsonNode node, Set<String> required, String where) throws StoreException {
        if (!node.isObject()) {
            throw corrupt(file, "has something other than an object at " + where);
        }
        for (String field : required) {
            if (!node.has(field)) {
                throw corrupt(file, "lacks the field " + field + " in " + where);
            }
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            if (!required.contains(it.next())) {
                throw corrupt(file, "has an unknown field in " + where);
            }
        }
    }

    private static String text(Path file, JsonNode node, String field, String where) throws StoreException {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw corrupt(file, "has a " + field + " that is not a string in " + where);
        }
        return value.textValue();
    }

    private static Instant instant(Path file, JsonNode node, String field, String where) throws StoreException {
        try {
            return Instant.parse(text(file, node, field, where));
        } catch (DateTimeParseException e) {
            throw corrupt(file, "has a malformed " + field + " in " + where);
        }
    }

    private static StoreException corrupt(Path file, String what) {
        return new StoreException(CORRUPT, file + " " + what + "; it was left untouched");
    }
}
