package org.securep2p.app.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.store.SealedFormat;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.testing.SeededRandom;

/** The {@code .xfer} files (PROTOCOL.md §24.6): round trip, strict decoding, files that do not open, full disk. */
class TransferStoreTest {

    private final SecureRandom random = new SeededRandom("transfer-store");
    private final SecretBytes storageKey = SecretBytes.copyOf(new byte[32]);
    @TempDir
    Path home;
    private Path mounted;

    @AfterEach
    void unmountSmallDisk() throws Exception {
        if (mounted != null && FilesTesting.isMountPoint(mounted)) {
            FilesTesting.unmount(mounted);
        }
    }

    private static Fingerprint peer(long seed) throws CryptoException {
        return Fingerprint.fromBytes(FilesTesting.bytes(new Random(seed), Fingerprint.LENGTH));
    }

    private static TransferStore.Transfer outgoing(long seed) throws CryptoException {
        FileOffer offer = FilesTesting.offer(3L * FilesTesting.CHUNK + 5, FilesTesting.CHUNK, seed);
        Random r = new Random(seed);
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < offer.chunkCount(); i++) {
            leaves.add(FilesTesting.bytes(r, 32));
        }
        return new TransferStore.Transfer(TransferStore.Direction.OUT, peer(seed), offer,
                TransferStore.Status.ACCEPTED, Path.of("/home/alice/photos/été " + seed + ".jpg"), leaves);
    }

    private static TransferStore.Transfer incoming(long seed) throws CryptoException {
        FileOffer offer = FilesTesting.offer(1_000_000, FileOffer.MAX_CHUNK_SIZE, seed);
        return new TransferStore.Transfer(TransferStore.Direction.IN, peer(seed), offer,
                TransferStore.Status.OFFERED, Path.of("downloads", "report " + seed + ".pdf.part"), List.of());
    }

    private static void assertSameTransfer(TransferStore.Transfer got, TransferStore.Transfer want) {
        assertThat(got.direction()).isEqualTo(want.direction());
        assertThat(got.peer()).isEqualTo(want.peer());
        assertThat(got.status()).isEqualTo(want.status());
        assertThat(got.path()).isEqualTo(want.path());
        assertThat(got.leaves()).hasSameSizeAs(want.leaves());
        for (int i = 0; i < want.leaves().size(); i++) {
            assertThat(got.leaves().get(i)).isEqualTo(want.leaves().get(i));
        }
        FileOffer g = got.offer();
        FileOffer w = want.offer();
        assertThat(g.id()).isEqualTo(w.id());
        assertThat(g.time()).isEqualTo(w.time());
        assertThat(g.name()).isEqualTo(w.name());
        assertThat(g.mediaType()).isEqualTo(w.mediaType());
        assertThat(g.size()).isEqualTo(w.size());
        assertThat(g.chunkSize()).isEqualTo(w.chunkSize());
        assertThat(g.sha256()).isEqualTo(w.sha256());
        assertThat(g.merkleRoot()).isEqualTo(w.merkleRoot());
        assertThat(g.fileKey().copyBytes()).isEqualTo(w.fileKey().copyBytes());
    }

    @Test
    void everyFieldOfBothDirectionsSurvivesSaveAndLoadAll() throws Exception {
        TransferStore.Transfer out = outgoing(1);
        TransferStore.Transfer in = incoming(2);
        try (TransferStore store = new TransferStore(home.resolve("transfers"), storageKey, random)) {
            store.save(out);
            store.save(in);
        }
        try (TransferStore store = new TransferStore(home.resolve("transfers"), storageKey, random)) {
            List<TransferStore.Transfer> all = store.loadAll();
            assertThat(all).hasSize(2);
            for (TransferStore.Transfer t : all) {
                assertSameTransfer(t, t.direction() == TransferStore.Direction.OUT ? out : in);
            }
            assertSameTransfer(store.load(out.id()).orElseThrow(), out);
            assertThat(store.load(FileId.random(random))).isEmpty();
        }
    }

    @Test
    void aSaveReplacesTheTransfersFile() throws Exception {
        TransferStore.Transfer in = incoming(3);
        try (TransferStore store = new TransferStore(home.resolve("transfers"), storageKey, random)) {
            store.save(in);
            store.save(in.withStatus(TransferStore.Status.DONE).withPath(Path.of("downloads/report.pdf")));
            TransferStore.Transfer got = store.load(in.id()).orElseThrow();
            assertThat(got.status()).isEqualTo(TransferStore.Status.DONE);
            assertThat(got.path()).isEqualTo(Path.of("downloads/report.pdf"));
            assertThat(store.loadAll()).hasSize(1);
        }
    }

    @Test
    void aFileThatDoesNotOpenIsSkippedAndLeftOnDisk() throws Exception {
        Path dir = home.resolve("transfers");
        TransferStore.Transfer a = outgoing(4);
        TransferStore.Transfer b = incoming(5);
        TransferStore.Transfer c = incoming(6);
        try (TransferStore store = new TransferStore(dir, storageKey, random)) {
            store.save(a);
            store.save(b);
            store.save(c);
            // a's file under another transfer's name: sealed for a's context, so it must not open as that one.
            Path moved = dir.resolve(FileId.random(random).hex() + ".xfer");
            Files.move(dir.resolve(a.id().hex() + ".xfer"), moved);
            // Well sealed under the right context, but for another role.
            byte[] plain = TransferStore.encode(c);
            Path foreign = dir.resolve(c.id().hex() + ".xfer");
            Files.write(foreign, SealedFormat.seal("mailbox", c.id().hex(), plain, storageKey, random));
            Path garbage = dir.resolve("00".repeat(16) + ".xfer");
            Files.write(garbage, new byte[] {1, 2, 3});
            byte[] movedBytes = Files.readAllBytes(moved);
            byte[] foreignBytes = Files.readAllBytes(foreign);

            List<TransferStore.Transfer> all = store.loadAll();

            assertThat(all).hasSize(1);
            assertSameTransfer(all.get(0), b);
            assertThat(Files.readAllBytes(moved)).isEqualTo(movedBytes);
            assertThat(Files.readAllBytes(foreign)).isEqualTo(foreignBytes);
            assertThat(Files.readAllBytes(garbage)).containsExactly(1, 2, 3);
            assertThatThrownBy(() -> store.load(c.id())).isInstanceOfSatisfying(FileTransferException.class,
                    e -> assertThat(e.reason()).isEqualTo(FileTransferException.Reason.STORAGE_FAILED));
        }
    }

    @Test
    void deleteRemovesTheTransferAndItsJournal() throws Exception {
        TransferStore.Transfer in = incoming(7);
        TransferStore.Transfer other = incoming(8);
        try (TransferStore store = new TransferStore(home.resolve("transfers"), storageKey, random)) {
            store.save(in);
            store.save(other);
            Files.write(store.journalOf(in.id()), new byte[36]);
            Files.write(store.journalOf(other.id()), new byte[36]);
            store.delete(in.id());
            assertThat(store.load(in.id())).isEmpty();
            assertThat(store.journalOf(in.id())).doesNotExist();
            assertThat(store.journalOf(other.id())).exists();
            assertThat(store.loadAll()).hasSize(1);
        }
    }

    @Test
    void toStringShowsNeitherKeyNorPath() throws Exception {
        TransferStore.Transfer out = outgoing(9);
        String s = out.toString();
        assertThat(s).doesNotContain(java.util.HexFormat.of().formatHex(out.offer().fileKey().copyBytes()))
                .doesNotContain("alice").contains(out.id().hex());
    }

    @Test
    void anOutgoingTransferNeedsOneLeafPerChunk() throws Exception {
        TransferStore.Transfer out = outgoing(10);
        List<byte[]> fewer = out.leaves().subList(1, out.leaves().size());
        assertThatThrownBy(() -> new TransferStore.Transfer(TransferStore.Direction.OUT, out.peer(), out.offer(),
                out.status(), out.path(), fewer)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TransferStore.Transfer(TransferStore.Direction.IN, out.peer(), out.offer(),
                out.status(), out.path(), out.leaves())).isInstanceOf(IllegalArgumentException.class);
    }

    @Property(tries = 40)
    void everyTruncationOrExtensionIsRefused(@ForAll long seed, @ForAll boolean out) throws Exception {
        TransferStore.Transfer t = out ? outgoing(seed) : incoming(seed);
        byte[] encoded = TransferStore.encode(t);
        assertSameTransfer(TransferStore.decode(encoded), t);
        for (int cut = 0; cut < encoded.length; cut++) {
            byte[] shorter = Arrays.copyOf(encoded, cut);
            assertThatThrownBy(() -> TransferStore.decode(shorter)).isInstanceOf(CryptoException.class);
        }
        byte[] longer = Arrays.copyOf(encoded, encoded.length + 1);
        assertThatThrownBy(() -> TransferStore.decode(longer)).isInstanceOf(CryptoException.class);
    }

    @Test
    void unknownVersionDirectionOrStatusIsRefused() throws Exception {
        byte[] encoded = TransferStore.encode(incoming(11));
        byte[] version = encoded.clone();
        version[0] = 2;
        assertThatThrownBy(() -> TransferStore.decode(version)).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.reason()).isEqualTo(CryptoException.Reason.UNKNOWN_VERSION));
        byte[] direction = encoded.clone();
        direction[1] = 3;
        assertThatThrownBy(() -> TransferStore.decode(direction)).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.reason()).isEqualTo(CryptoException.Reason.BAD_ENCODING));
        // An IN transfer read as OUT lacks its leaf count.
        byte[] asOut = encoded.clone();
        asOut[1] = 1;
        assertThatThrownBy(() -> TransferStore.decode(asOut)).isInstanceOf(CryptoException.class);
    }

    @Test
    void aFullDiskIsNoSpace() throws Exception {
        mounted = Files.createDirectory(home.resolve("small"));
        FilesTesting.mountSmallDisk(mounted, "256k");
        try (TransferStore store = new TransferStore(mounted.resolve("transfers"), storageKey, random)) {
            Path filler = mounted.resolve("filler");
            try {
                Files.write(filler, new byte[1 << 20]);
            } catch (java.io.IOException expected) {
                // The disk is now full.
            }
            assertThatThrownBy(() -> store.save(outgoing(12))).isInstanceOfSatisfying(FileTransferException.class,
                    e -> assertThat(e.reason()).isEqualTo(FileTransferException.Reason.NO_SPACE));
        }
    }
}
