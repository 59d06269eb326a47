package org.securep2p.app.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.crypto.testing.SeededRandom;

/** Sealed chunks (PROTOCOL.md §24.3): what opens, what is refused and with which reason. */
class ChunkSealerTest {

    private static final int CHUNK = FileOffer.MIN_CHUNK_SIZE;
    /** Four full chunks and a short fifth. */
    private static final int SIZE = 4 * CHUNK + 100;

    private final SeededRandom random = new SeededRandom("chunk sealer test");
    private final byte[] file = bytes(SIZE);
    private final MerkleTree tree = treeOf(file);
    private final FileOffer offer = offer(FileId.random(random), file, tree.root(), key());

    @Test
    void theFirstMiddleAndShortLastChunkRoundTrip() throws Exception {
        for (int i : new int[] {0, 2, 4}) {
            byte[] data = chunk(i);
            ChunkSealer.OpenedChunk opened = ChunkSealer.open(offer, i, seal(i));
            assertThat(opened.data()).as("chunk %d", i).isEqualTo(data);
            assertThat(opened.leafHash()).isEqualTo(tree.leaf(i));
        }
        assertThat(chunk(4)).hasSize(100);
    }

    @Test
    void theLayoutIsTheProtocols() throws Exception {
        // §24.3 computed here with the JDK's HMAC and AES-GCM directly, not through core-crypto.
        int i = 3;
        byte[] label = "securep2p/v1/file/chunk\0".getBytes(StandardCharsets.US_ASCII);
        byte[] info = new StrictWriter().bytes(label).u32(i).toByteArray();
        Mac hmac = Mac.getInstance("HmacSHA256");
        hmac.init(new SecretKeySpec(offer.id().bytes(), "HmacSHA256"));
        byte[] prk = hmac.doFinal(offer.fileKey().copyBytes());
        hmac.init(new SecretKeySpec(prk, "HmacSHA256"));
        hmac.update(info);
        byte[] key = hmac.doFinal(new byte[] {1});
        byte[] ad = new StrictWriter().bytes(label).bytes(offer.id().bytes()).u32(i).u64(SIZE).u32(CHUNK)
                .bytes(tree.root()).toByteArray();
        StrictWriter plain = new StrictWriter().u8(tree.auditPath(i).size());
        tree.auditPath(i).forEach(plain::bytes);
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, new byte[12]));
        gcm.updateAAD(ad);
        assertThat(seal(i)).isEqualTo(gcm.doFinal(plain.bytes(chunk(i)).toByteArray()));
    }

    @Test
    void sealingTheSameChunkTwiceGivesTheSameBytes() {
        // §24.3: one (key, nonce) only ever seals one plaintext, so a resend after a restart is byte-identical.
        for (int i = 0; i < 5; i++) {
            assertThat(seal(i)).isEqualTo(seal(i));
        }
    }

    @Test
    void everyFlippedBitIsRefused() {
        byte[] sealed = seal(4);
        for (int bit = 0; bit < sealed.length * 8; bit++) {
            byte[] flipped = sealed.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            assertRefused(() -> ChunkSealer.open(offer, 4, flipped), FileTransferException.Reason.BAD_CHUNK);
        }
        byte[] full = seal(1);
        for (int bit = 0; bit < full.length * 8; bit += 61) {
            byte[] flipped = full.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            assertRefused(() -> ChunkSealer.open(offer, 1, flipped), FileTransferException.Reason.BAD_CHUNK);
        }
        assertRefused(() -> ChunkSealer.open(offer, 4, Arrays.copyOf(sealed, sealed.length - 1)),
                FileTransferException.Reason.BAD_CHUNK);
        assertRefused(() -> ChunkSealer.open(offer, 4, new byte[0]), FileTransferException.Reason.BAD_CHUNK);
    }

    @Test
    void aChunkSealedForAnotherIndexFileOrOfferIsRefused() throws Exception {
        byte[] sealed = seal(1);
        assertRefused(() -> ChunkSealer.open(offer, 2, sealed), FileTransferException.Reason.BAD_CHUNK);
        byte[] k = offer.fileKey().copyBytes();
        // The same key and file under another id, the same id with another key, size or root.
        FileOffer otherId = offer(FileId.random(random), file, tree.root(), k);
        FileOffer otherKey = offer(offer.id(), file, tree.root(), key());
        byte[] longer = Arrays.copyOf(file, SIZE + 1);
        FileOffer otherSize = offer(offer.id(), longer, treeOf(longer).root(), k);
        byte[] changed = file.clone();
        changed[SIZE - 1] ^= 1;
        FileOffer otherRoot = offer(offer.id(), changed, treeOf(changed).root(), k);
        for (FileOffer other : List.of(otherId, otherKey, otherSize, otherRoot)) {
            assertRefused(() -> ChunkSealer.open(other, 1, sealed), FileTransferException.Reason.BAD_CHUNK);
        }
        assertThat(ChunkSealer.open(offer(offer.id(), file, tree.root(), k), 1, sealed).data()).isEqualTo(chunk(1));
    }

    @Test
    void aValidAeadAroundAnotherLeafsPathIsABadProof() {
        byte[] sealed = ChunkSealer.sealUnchecked(offer, 1, chunk(1), tree.auditPath(0));
        assertRefused(() -> ChunkSealer.open(offer, 1, sealed), FileTransferException.Reason.BAD_PROOF);
        byte[] wrongData = chunk(2);
        byte[] swapped = ChunkSealer.sealUnchecked(offer, 1, wrongData, tree.auditPath(1));
        assertRefused(() -> ChunkSealer.open(offer, 1, swapped), FileTransferException.Reason.BAD_PROOF);
    }

    @Test
    void aWrongDepthOrDataLengthIsABadChunk() {
        List<byte[]> shorter = new ArrayList<>(tree.auditPath(1));
        shorter.remove(shorter.size() - 1);
        assertRefused(() -> ChunkSealer.open(offer, 1, ChunkSealer.sealUnchecked(offer, 1, chunk(1), shorter)),
                FileTransferException.Reason.BAD_CHUNK);
        assertRefused(() -> ChunkSealer.open(offer, 4, ChunkSealer.sealUnchecked(offer, 4, chunk(3),
                tree.auditPath(4))), FileTransferException.Reason.BAD_CHUNK);
        assertRefused(() -> ChunkSealer.open(offer, 1, ChunkSealer.sealUnchecked(offer, 1,
                Arrays.copyOf(chunk(1), CHUNK - 1), tree.auditPath(1))), FileTransferException.Reason.BAD_CHUNK);
    }

    @Test
    void anIndexPastTheFileIsABadIndex() throws Exception {
        byte[] sealed = seal(4);
        assertRefused(() -> ChunkSealer.open(offer, 5, sealed), FileTransferException.Reason.BAD_INDEX);
        assertRefused(() -> ChunkSealer.open(offer, -1, sealed), FileTransferException.Reason.BAD_INDEX);
        FileOffer empty = offer(FileId.random(random), new byte[0], MerkleTree.of(List.of()).root(), key());
        assertRefused(() -> ChunkSealer.open(empty, 0, sealed), FileTransferException.Reason.BAD_INDEX);
    }

    @Test
    void sealingRefusesDataOrAPathTheTreeDoesNotHold() {
        assertThatThrownBy(() -> ChunkSealer.seal(offer, 1, chunk(2), tree.auditPath(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChunkSealer.seal(offer, 1, chunk(1), tree.auditPath(0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChunkSealer.seal(offer, 5, chunk(4), tree.auditPath(4)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSourceSealsWhatSealDoesAndOnlyChunksOfTheOffersTree(@TempDir Path dir) throws Exception {
        Path path = Files.write(dir.resolve("f.bin"), file);
        SourceFile source = SourceFile.prepare(path, CHUNK, Long.MAX_VALUE);
        for (int i = 0; i < 5; i++) {
            // Hashed once, by the source: the same bytes as seal's, which hashes them itself.
            assertThat(source.sealChunk(offer, i, tree.auditPath(i))).as("chunk %d", i).isEqualTo(seal(i));
        }
        // A source whose leaves are another file's (a stored transfer that does not match its offer): the data
        // hashes to its own leaf, but that leaf's path does not lead to the offer's root, so nothing is sealed.
        byte[] other = bytes(SIZE);
        Files.write(path, other);
        MerkleTree otherTree = treeOf(other);
        List<byte[]> otherLeaves = new ArrayList<>();
        for (int i = 0; i < otherTree.count(); i++) {
            otherLeaves.add(otherTree.leaf(i));
        }
        SourceFile forged = SourceFile.reopen(path, SIZE, CHUNK, otherLeaves);
        assertThatThrownBy(() -> forged.sealChunk(offer, 2, tree.auditPath(2)))
                .isInstanceOf(IllegalArgumentException.class);
        // The offered source, its file changed on disk: not sealed either.
        assertThatThrownBy(() -> source.sealChunk(offer, 2, tree.auditPath(2)))
                .isInstanceOfSatisfying(FileTransferException.class,
                        e -> assertThat(e.reason()).isEqualTo(FileTransferException.Reason.SOURCE_CHANGED));
    }

    private byte[] seal(int i) {
        return ChunkSealer.seal(offer, i, chunk(i), tree.auditPath(i));
    }

    private byte[] chunk(int i) {
        return Arrays.copyOfRange(file, i * CHUNK, Math.min(SIZE, (i + 1) * CHUNK));
    }

    private static MerkleTree treeOf(byte[] data) {
        List<byte[]> leaves = new ArrayList<>();
        for (int at = 0; at < data.length; at += CHUNK) {
            leaves.add(MerkleTree.leafHash(data, at, Math.min(CHUNK, data.length - at)));
        }
        return MerkleTree.of(leaves);
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private byte[] key() {
        return bytes(32);
    }

    private static FileOffer offer(FileId id, byte[] data, byte[] root, byte[] key) {
        try (SecretBytes k = SecretBytes.copyOf(key)) {
            return new FileOffer(id, Instant.EPOCH, "f.bin", "application/octet-stream", data.length, CHUNK,
                    MessageDigest.getInstance("SHA-256").digest(data), root, k);
        } catch (CryptoException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Opening {
        void run() throws FileTransferException;
    }

    private static void assertRefused(Opening opening, FileTransferException.Reason reason) {
        assertThatThrownBy(opening::run).isInstanceOf(FileTransferException.class)
                .satisfies(e -> assertThat(((FileTransferException) e).reason()).isEqualTo(reason));
    }
}
