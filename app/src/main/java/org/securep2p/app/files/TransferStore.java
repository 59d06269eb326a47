package org.securep2p.app.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.securep2p.app.store.AtomicFile;
import org.securep2p.app.store.SealedFormat;
import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transfers of both directions on disk (PROTOCOL.md §24.6): one sealed file per transfer,
 * {@code transfers/<hex file id>.xfer} (role {@code file-transfer}, context the hex file id, so a file moved to
 * another transfer's name does not open), replaced atomically and durably on every {@link #save}; beside it the
 * receiver's unsealed {@code .journal} ({@link #journalOf}, written by {@link ReceivingFile}). A file that does
 * not open is never overwritten by a load: {@link #loadAll} logs and skips it, {@link #load} throws.
 * Failures are {@link FileTransferException} with STORAGE_FAILED, or NO_SPACE when the disk is full.
 *
 * <p>Not its job: what a transfer's status means (the engine), nor the file's bytes.
 */
public final class TransferStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TransferStore.class);

    static final String ROLE = "file-transfer";
    static final String XFER = ".xfer";
    static final String JOURNAL = ".journal";
    private static final int VERSION = 1;
    private static final Pattern NAME = Pattern.compile("[0-9a-f]{32}\\.xfer");
    private static final int MAX_PATH_BYTES = 65_535;
    /** version, direction, peer, the largest OFFER body, status, path, and the most leaves there can be. */
    private static final int MAX_PLAIN = 1 + 1 + Fingerprint.LENGTH
            + (FileId.LENGTH + 8 + 2 + FileOffer.MAX_NAME_BYTES + 2 + FileOffer.MAX_MEDIA_TYPE_BYTES + 8 + 4
                    + 3 * FileOffer.HASH_LENGTH)
            + 1 + 2 + MAX_PATH_BYTES + 4 + FileOffer.MAX_CHUNK_COUNT * MerkleTree.HASH_LENGTH;
    private static final int MAX_FILE = MAX_PLAIN + SealedFormat.OVERHEAD;

    /** Which side of the transfer this one is. */
    public enum Direction {
        OUT(1), IN(2);

        private final int code;

        Direction(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        static Direction of(int code) throws CryptoException {
            for (Direction d : values()) {
                if (d.code == code) {
                    return d;
                }
            }
            throw bad("direction " + code);
        }
    }

    /**
     * Where a transfer stands; the codes are the file's. {@code TOLD}: received, kept, and the sender told; the
     * record stays only so that a repeated offer of the file is answered with DONE (§24.6).
     */
    public enum Status {
        OFFERED(1), ACCEPTED(2), DONE(3), CANCELLED(4), FAILED(5), TOLD(6);

        private final int code;

        Status(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        static Status of(int code) throws CryptoException {
            for (Status s : values()) {
                if (s.code == code) {
                    return s;
                }
            }
            throw bad("status " + code);
        }
    }

    /**
     * One transfer as stored: checked on construction (an outgoing transfer has exactly one 32-byte leaf per
     * chunk, an incoming one none). The leaves are copied in and out. Holds the offer's file key (wipe the offer
     * when done with it); {@code toString()} shows neither the key nor the path.
     */
    public record Transfer(Direction direction, Fingerprint peer, FileOffer offer, Status status, Path path,
            List<byte[]> leaves) {

        public Transfer {
            Objects.requireNonNull(direction, "direction");
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(offer, "offer");
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(leaves, "leaves");
            int expected = direction == Direction.OUT ? offer.chunkCount() : 0;
            if (leaves.size() != expected) {
                throw new IllegalArgumentException(direction + " transfer needs " + expected + " leaves, got "
                        + leaves.size());
            }
            List<byte[]> copy = new ArrayList<>(leaves.size());
            for (byte[] leaf : leaves) {
                if (leaf.length != MerkleTree.HASH_LENGTH) {
                    throw new IllegalArgumentException("a leaf is " + MerkleTree.HASH_LENGTH + " bytes");
                }
                copy.add(leaf.clone());
            }
            leaves = List.copyOf(copy);
        }

        /** Copies of the leaves, in chunk order. */
        @Override
        public List<byte[]> leaves() {
            return leaves.stream().map(byte[]::clone).toList();
        }

        public Transfer withStatus(Status s) {
            return new Transfer(direction, peer, offer, s, path, leaves);
        }

        public Transfer withPath(Path p) {
            return new Transfer(direction, peer, offer, status, p, leaves);
        }

        public FileId id() {
            return offer.id();
        }

        @Override
        public String toString() {
            return "Transfer[" + direction + ", " + peer.shortForm() + ", " + offer + ", " + status + "]";
        }
    }

    private final Path dir;
    private final SecretBytes key;
    private final SecureRandom random;

    /** Opens (creating it 0700 if missing) {@code transfersDir}; refuses one that others can write. */
    public TransferStore(Path transfersDir, SecretBytes storageKey, SecureRandom random) throws StoreException {
        this.dir = Objects.requireNonNull(transfersDir);
        this.random = Objects.requireNonNull(random);
        this.key = SealedFormat.copyKey(storageKey);
        AtomicFile.ensureDirectory(transfersDir);
    }

    /** The receiver's journal of {@code id}: {@code transfers/<hex id>.journal}. */
    public Path journalOf(FileId id) {
        return dir.resolve(id.hex() + JOURNAL);
    }

    /** When the transfer's file was last written; empty when there is none or it cannot be read. */
    public Optional<java.time.Instant> savedAt(FileId id) {
        try {
            return Optional.of(Files.getLastModifiedTime(fileOf(id)).toInstant());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Replaces the transfer's file, atomically and durably, before returning. */
    public synchronized void save(Transfer t) throws FileTransferException {
        byte[] plain = encode(t);
        byte[] sealed = SealedFormat.seal(ROLE, t.id().hex(), plain, key, random);
        Arrays.fill(plain, (byte) 0);
        try {
            AtomicFile.write(fileOf(t.id()), sealed);
        } catch (StoreException e) {
            if (DiskFull.isCause(e, dir, sealed.length)) {
                throw new FileTransferException(FileTransferException.Reason.NO_SPACE,
                        "the disk is full: transfer " + t.id() + " could not be saved", e);
            }
            throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED,
                    "could not save transfer " + t.id() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Every stored transfer. A file that does not open (corrupt, foreign, of another transfer's name) is logged
     * by name, left untouched and skipped: one bad file must not hide the others. Leftover temp files of an
     * interrupted save are removed.
     */
    public synchronized List<Transfer> loadAll() throws FileTransferException {
        List<Transfer> out = new ArrayList<>();
        try {
            AtomicFile.removeLeftoverTemps(dir, n -> NAME.matcher(n).matches());
        } catch (StoreException e) {
            LOG.warn("transfers: {}", e.getMessage());
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> NAME.matcher(p.getFileName().toString()).matches()).sorted().toList();
        } catch (IOException e) {
            throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED, "cannot list " + dir, e);
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            try {
                FileId id = FileId.parse(name.substring(0, name.length() - XFER.length()));
                read(id).ifPresent(out::add);
            } catch (CryptoException | StoreException e) {
                LOG.warn("transfer file {} does not open ({}); it was left untouched and skipped", name,
                        e.getMessage());
            }
        }
        return out;
    }

    /** The transfer {@code id}, if it has a file; a file that does not open is STORAGE_FAILED, left untouched. */
    public synchronized Optional<Transfer> load(FileId id) throws FileTransferException {
        try {
            return read(id);
        } catch (StoreException e) {
            throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED, "the transfer file "
                    + id + XFER + " does not open (" + e.getMessage() + "); it was left untouched", e);
        }
    }

    /** Deletes the transfer's file and its journal (durably); nothing to delete is not an error. */
    public synchronized void delete(FileId id) throws FileTransferException {
        try {
            AtomicFile.delete(fileOf(id));
            AtomicFile.delete(journalOf(id));
        } catch (StoreException e) {
            throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED,
                    "could not delete transfer " + id + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the transfer's journal only (durably): a kept file's record outlives it. */
    public synchronized void deleteJournal(FileId id) throws FileTransferException {
        try {
            AtomicFile.delete(journalOf(id));
        } catch (StoreException e) {
            throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED,
                    "could not delete the journal of transfer " + id + ": " + e.getMessage(), e);
        }
    }

    private Optional<Transfer> read(FileId id) throws StoreException {
        Path file = fileOf(id);
        Optional<byte[]> sealed = AtomicFile.read(file, MAX_FILE);
        if (sealed.isEmpty()) {
            return Optional.empty();
        }
        byte[] plain = SealedFormat.open(ROLE, id.hex(), sealed.get(), key, random, file.getFileName().toString());
        try {
            Transfer t = decode(plain);
            if (!t.id().equals(id)) {
                t.offer().wipe();
                throw new StoreException(StoreException.Reason.CORRUPT, file.getFileName() + ": another transfer");
            }
            return Optional.of(t);
        } catch (CryptoException e) {
            throw new StoreException(StoreException.Reason.CORRUPT, file.getFileName() + ": " + e.reason());
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** The plaintext of §24.6; holds the file key: the caller wipes it. */
    static byte[] encode(Transfer t) {
        byte[] path = t.path().toString().getBytes(StandardCharsets.UTF_8);
        // Empty: an incoming offer whose .part is not made yet (nothing is written before the user accepts).
        if (path.length > MAX_PATH_BYTES) {
            throw new IllegalArgumentException("path must be 0.." + MAX_PATH_BYTES + " bytes of UTF-8");
        }
        StrictWriter w = new StrictWriter().u8(VERSION).u8(t.direction().code()).bytes(t.peer().toBytes());
        t.offer().write(w);
        w.u8(t.status().code()).var16(path);
        if (t.direction() == Direction.OUT) {
            w.u32(t.leaves.size());
            for (byte[] leaf : t.leaves) {
                w.bytes(leaf);
            }
        }
        return w.toByteArrayThenWipe();
    }

    /** Strict: every length checked, unknown version, direction or status refused, no trailing bytes. */
    static Transfer decode(byte[] plain) throws CryptoException {
        StrictReader r = new StrictReader(plain, "transfer file");
        int version = r.u8("version");
        if (version != VERSION) {
            throw new CryptoException(CryptoException.Reason.UNKNOWN_VERSION, "transfer file version " + version);
        }
        Direction direction = Direction.of(r.u8("direction"));
        Fingerprint peer = Fingerprint.fromBytes(r.fixed(Fingerprint.LENGTH, "peer"));
        FileOffer offer = FileOffer.read(r);
        try {
            Status status = Status.of(r.u8("status"));
            Path path = path(r.var16(0, MAX_PATH_BYTES, "path"));
            List<byte[]> leaves = new ArrayList<>();
            if (direction == Direction.OUT) {
                int n = r.u32("leaf count");
                // Checked before anything is allocated for them.
                if (n != offer.chunkCount() || (long) n * MerkleTree.HASH_LENGTH != r.remaining()) {
                    throw bad("leaf count " + n);
                }
                for (int i = 0; i < n; i++) {
                    leaves.add(r.fixed(MerkleTree.HASH_LENGTH, "leaf"));
                }
            }
            r.expectEnd();
            return new Transfer(direction, peer, offer, status, path, leaves);
        } catch (CryptoException | RuntimeException e) {
            offer.wipe();
            throw e;
        }
    }

    private static Path path(byte[] utf8) throws CryptoException {
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(utf8)).toString();
            return Path.of(s);
        } catch (CharacterCodingException | InvalidPathException e) {
            throw bad("path");
        }
    }

    private Path fileOf(FileId id) {
        return dir.resolve(id.hex() + XFER);
    }

    private static CryptoException bad(String what) {
        return new CryptoException(CryptoException.Reason.BAD_ENCODING, "transfer file: " + what);
    }

    /** Wipes the storage key. */
    @Override
    public synchronized void close() {
        key.close();
    }
}
