package org.securep2p.app.files;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

/**
 * What a file is and the key its chunks are sealed with (PROTOCOL.md §24.2, the OFFER body): checked on
 * construction against the limits of §24.1, so an instance always describes a transfer that can be carried.
 * The name is the sender's, as sent: it is checked and sanitised where a file is made ({@link DownloadNames}).
 * The file key is secret: {@link #fileKey()} hands out the holder's key (never copied into logs), {@link #wipe()}
 * zeroes it, and {@code toString()} never shows it.
 */
public final class FileOffer {

    public static final int MIN_CHUNK_SIZE = 16_384;
    /** Ours: a chunk and its envelope fill one 256 KiB relay bucket (§22.4). */
    public static final int MAX_CHUNK_SIZE = 245_760;
    /** So that a HAVE bitmap fits 64 KiB. */
    public static final int MAX_CHUNK_COUNT = 524_288;
    public static final int MAX_NAME_BYTES = 255;
    public static final int MAX_MEDIA_TYPE_BYTES = 127;
    public static final int HASH_LENGTH = 32;
    public static final int KEY_LENGTH = 32;

    private final FileId id;
    private final long timeMillis;
    private final String name;
    private final String mediaType;
    private final long size;
    private final int chunkSize;
    private final byte[] sha256;
    private final byte[] merkleRoot;
    private final SecretBytes fileKey;

    /**
     * Checks every limit of §24.1–24.2; copies the hashes and the key (the caller keeps and wipes its own).
     * BAD_ENCODING for anything out of range.
     */
    public FileOffer(FileId id, Instant time, String name, String mediaType, long size, int chunkSize,
            byte[] sha256, byte[] merkleRoot, SecretBytes fileKey) throws CryptoException {
        this.id = Objects.requireNonNull(id);
        this.timeMillis = Objects.requireNonNull(time).toEpochMilli();
        byte[] n = Objects.requireNonNull(name).getBytes(StandardCharsets.UTF_8);
        if (n.length < 1 || n.length > MAX_NAME_BYTES) {
            throw bad("name must be 1.." + MAX_NAME_BYTES + " bytes of UTF-8");
        }
        this.name = name;
        if (!isMediaType(Objects.requireNonNull(mediaType))) {
            throw bad("media type must be 1.." + MAX_MEDIA_TYPE_BYTES + " printable ASCII characters");
        }
        this.mediaType = mediaType;
        if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
            throw bad("chunk size out of range");
        }
        if (size < 0 || chunkCount(size, chunkSize) > MAX_CHUNK_COUNT) {
            throw bad("size out of range");
        }
        this.size = size;
        this.chunkSize = chunkSize;
        this.sha256 = fixed(sha256, HASH_LENGTH, "sha256");
        this.merkleRoot = fixed(merkleRoot, HASH_LENGTH, "merkle root");
        if (Objects.requireNonNull(fileKey).length() != KEY_LENGTH) {
            throw bad("file key must be 32 bytes");
        }
        byte[] k = fileKey.copyBytes();
        try {
            this.fileKey = SecretBytes.copyOf(k);
        } finally {
            java.util.Arrays.fill(k, (byte) 0);
        }
    }

    /** Reads an OFFER body (after the type byte) to its end; the reader's bytes holding the key are the caller's. */
    public static FileOffer read(StrictReader r) throws CryptoException {
        FileId id = FileId.of(r.fixed(FileId.LENGTH, "file id"));
        long time = r.u64("time");
        String name = utf8(r.var16(1, MAX_NAME_BYTES, "name"), "name");
        String mediaType = new String(r.var16(1, MAX_MEDIA_TYPE_BYTES, "media type"), StandardCharsets.US_ASCII);
        long size = r.u64("size");
        int chunkSize = r.u32("chunk size");
        byte[] sha = r.fixed(HASH_LENGTH, "sha256");
        byte[] root = r.fixed(HASH_LENGTH, "merkle root");
        byte[] key = r.fixed(KEY_LENGTH, "file key");
        try (SecretBytes k = SecretBytes.copyOf(key)) {
            if (time < 0) {
                throw bad("time out of range");
            }
            return new FileOffer(id, Instant.ofEpochMilli(time), name, mediaType, size, chunkSize, sha, root, k);
        } finally {
            java.util.Arrays.fill(key, (byte) 0);
        }
    }

    /** Writes the OFFER body (without the type byte); the writer then holds the key: wipe it when done. */
    public void write(StrictWriter w) {
        w.bytes(id.bytes()).u64(timeMillis).var16(name.getBytes(StandardCharsets.UTF_8))
                .var16(mediaType.getBytes(StandardCharsets.US_ASCII)).u64(size).u32(chunkSize).bytes(sha256)
                .bytes(merkleRoot);
        byte[] k = fileKey.copyBytes();
        try {
            w.bytes(k);
        } finally {
            java.util.Arrays.fill(k, (byte) 0);
        }
    }

    /** ceil(size / chunkSize); 0 for an empty file. */
    public static long chunkCount(long size, int chunkSize) {
        return size == 0 ? 0 : (size - 1) / chunkSize + 1;
    }

    public int chunkCount() {
        return (int) chunkCount(size, chunkSize);
    }

    /** The number of data bytes chunk {@code index} holds (the last one may be short). */
    public int chunkLength(int index) {
        if (index < 0 || index >= chunkCount()) {
            throw new IndexOutOfBoundsException(index);
        }
        return (int) Math.min(chunkSize, size - (long) index * chunkSize);
    }

    public FileId id() {
        return id;
    }

    public Instant time() {
        return Instant.ofEpochMilli(timeMillis);
    }

    /** The name as the sender wrote it: peer-chosen text, to be checked before use. */
    public String name() {
        return name;
    }

    public String mediaType() {
        return mediaType;
    }

    public long size() {
        return size;
    }

    public int chunkSize() {
        return chunkSize;
    }

    public byte[] sha256() {
        return sha256.clone();
    }

    public byte[] merkleRoot() {
        return merkleRoot.clone();
    }

    /** The offer's own key holder: do not close it; {@link #wipe()} does when the transfer is over. */
    public SecretBytes fileKey() {
        return fileKey;
    }

    public void wipe() {
        fileKey.close();
    }

    @Override
    public String toString() {
        // Never the key; the name is peer text and is left to the caller's escaping.
        return "FileOffer[" + id + ", " + size + " bytes, " + chunkCount() + " chunks]";
    }

    private static boolean isMediaType(String s) {
        if (s.isEmpty() || s.length() > MAX_MEDIA_TYPE_BYTES) {
            return false;
        }
        return s.chars().allMatch(c -> c >= 0x21 && c <= 0x7E);
    }

    private static byte[] fixed(byte[] b, int length, String field) throws CryptoException {
        if (Objects.requireNonNull(b, field).length != length) {
            throw bad(field + " must be " + length + " bytes");
        }
        return b.clone();
    }

    private static String utf8(byte[] body, String field) throws CryptoException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw bad(field + " is not UTF-8");
        }
    }

    private static CryptoException bad(String what) {
        return new CryptoException(CryptoException.Reason.BAD_ENCODING, "file offer: " + what);
    }
}
