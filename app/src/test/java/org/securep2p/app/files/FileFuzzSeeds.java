package org.securep2p.app.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.testing.SeededRandom;

/**
 * The fixed offer {@code ChunkFuzz} opens chunks against, and the seed corpora of {@code FileMessageFuzz} and
 * {@code ChunkFuzz}, all from a fixed seed so that a rerun writes the same files. Run from the module folder with
 * the test class path: {@code java org.securep2p.app.files.FileFuzzSeeds}.
 */
public final class FileFuzzSeeds {

    static final Path DIR = Path.of("src/test/resources/org/securep2p/app");
    /** Three full chunks and a short fourth. */
    static final int SIZE = 3 * FileOffer.MIN_CHUNK_SIZE + 5;

    private FileFuzzSeeds() {
    }

    /** The file whose chunks the fuzzer opens. */
    static byte[] file() {
        byte[] file = new byte[SIZE];
        new SeededRandom("file fuzz seeds: file").nextBytes(file);
        return file;
    }

    static MerkleTree tree(byte[] file) {
        List<byte[]> leaves = new ArrayList<>();
        for (int at = 0; at < file.length; at += FileOffer.MIN_CHUNK_SIZE) {
            leaves.add(MerkleTree.leafHash(file, at, Math.min(FileOffer.MIN_CHUNK_SIZE, file.length - at)));
        }
        return MerkleTree.of(leaves);
    }

    /** The offer of {@link #file()}: the same id and key every time. */
    public static FileOffer offer() {
        SeededRandom random = new SeededRandom("file fuzz seeds: offer");
        byte[] file = file();
        byte[] key = new byte[FileOffer.KEY_LENGTH];
        random.nextBytes(key);
        try (SecretBytes k = SecretBytes.copyOf(key)) {
            return new FileOffer(FileId.random(random), Instant.ofEpochMilli(1_765_000_000_000L), "report.pdf",
                    "application/pdf", SIZE, FileOffer.MIN_CHUNK_SIZE, sha256(file), tree(file).root(), k);
        } catch (CryptoException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Valid file messages of every type, by seed file name. */
    static Map<String, byte[]> messages() {
        FileOffer offer = offer();
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("seed-offer", new FileMessage.Offer(offer).encode());
        m.put("seed-have-empty", new FileMessage.Have(offer.id(), ChunkBitmap.empty(4)).encode());
        m.put("seed-have-some", new FileMessage.Have(offer.id(), ChunkBitmap.empty(21).with(0).with(20)).encode());
        m.put("seed-have-none-of-none", new FileMessage.Have(offer.id(), ChunkBitmap.empty(0)).encode());
        m.put("seed-done", new FileMessage.Done(offer.id(), offer.sha256()).encode());
        for (CancelReason r : CancelReason.values()) {
            m.put("seed-cancel-" + r.code(), new FileMessage.Cancel(offer.id(), r).encode());
        }
        return m;
    }

    /** Chunks of {@link #offer()}: every valid one, and ones that open to a wrong path or length. */
    static Map<String, byte[]> chunks() {
        FileOffer offer = offer();
        byte[] file = file();
        MerkleTree tree = tree(file);
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < offer.chunkCount(); i++) {
            m.put("seed-chunk-" + i, new Chunk(offer.id(), i, ChunkSealer.seal(offer, i, chunk(file, i),
                    tree.auditPath(i))).encode());
        }
        m.put("seed-wrong-path", new Chunk(offer.id(), 3, ChunkSealer.sealUnchecked(offer, 3, chunk(file, 3),
                tree.auditPath(2))).encode());
        m.put("seed-wrong-length", new Chunk(offer.id(), 3, ChunkSealer.sealUnchecked(offer, 3, new byte[4],
                tree.auditPath(3))).encode());
        m.put("seed-past-the-end", new Chunk(offer.id(), 4, new byte[Chunk.MIN_SEALED]).encode());
        return m;
    }

    private static byte[] chunk(byte[] file, int i) {
        return Arrays.copyOfRange(file, i * FileOffer.MIN_CHUNK_SIZE,
                Math.min(file.length, (i + 1) * FileOffer.MIN_CHUNK_SIZE));
    }

    private static byte[] sha256(byte[] data) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) throws IOException {
        write(DIR.resolve("FileMessageFuzzInputs/decodesToWhatItEncodesOrIsRefused"), messages());
        write(DIR.resolve("ChunkFuzzInputs/opensOrIsRefusedWithAFileTransferReason"), chunks());
    }

    private static void write(Path dir, Map<String, byte[]> seeds) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
    }
}
