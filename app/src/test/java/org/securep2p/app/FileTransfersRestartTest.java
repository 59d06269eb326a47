package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.files.Chunk;
import org.securep2p.app.files.ChunkSealer;
import org.securep2p.app.files.FileId;
import org.securep2p.app.files.FileMessage;
import org.securep2p.app.files.FileOffer;
import org.securep2p.app.files.ReceivingFile;
import org.securep2p.app.files.TransferStore;
import org.securep2p.crypto.testing.Await;

/**
 * A receiver stopped around a file's completion (PROTOCOL.md §24.5, §24.6): a file whose every chunk is held is
 * kept at the next start, a close never throws a whole file away, and the sender always hears DONE in the end,
 * though no session and no inbox could take it when the file was kept.
 */
class FileTransfersRestartTest {

    private static final int ROUNDS = 40;

    private final SecureRandom random = new SecureRandom();
    @TempDir
    Path dir;

    @Test
    void aFileWhoseLastChunkWasJournaledBeforeAStopIsCompletedAtTheNextStart() throws Exception {
        // The state a SIGKILL leaves between the last chunk's journal record and the file kept: accepted, every
        // chunk in the .part and the journal. No HAVE will bring another chunk, so the start must finish it.
        FileEngineFixtures.TwoChunks two = FileEngineFixtures.twoChunks(dir, random);
        FileId id = FileId.random(random);
        Path home = Files.createDirectories(dir.resolve("killed"));
        FileOffer offer = two.offer(id);
        TransferStore store = two.store(home);
        Path part = Files.createDirectories(home.resolve("downloads")).resolve("race.bin.part");
        store.save(new TransferStore.Transfer(TransferStore.Direction.IN, two.peer(), offer,
                TransferStore.Status.ACCEPTED, part, List.of()));
        ReceivingFile file = ReceivingFile.open(part, store.journalOf(id), offer);
        for (Chunk c : two.sealed(id, 0, 1)) {
            assertThat(file.write(c.index(), ChunkSealer.open(offer, c))).isTrue();
        }
        file.close();

        // Held until somebody will see file_done: the engine starts before any front end listens. A close waits for
        // every completion already handed over, so one started at load would have ended (and spoken) by now.
        FileEngineFixtures.RecordingHost unheard = new FileEngineFixtures.RecordingHost();
        try (FileTransfers receiver = two.receiver(unheard, home)) {
            receiver.start();
        }
        assertThat(unheard.events).isEmpty();
        assertThat(part).exists();

        FileEngineFixtures.RecordingHost host = new FileEngineFixtures.RecordingHost();
        try (FileTransfers receiver = two.receiver(host, home)) {
            receiver.start();
            receiver.completeHeldFiles();
            Await.until(() -> "the file done at start; events " + host.events, Duration.ofSeconds(30),
                    () -> host.doneBy.get() != null);
            ChatEvent.FileDone done = onlyDone(host);
            assertThat(Files.readAllBytes(Path.of(done.path()))).isEqualTo(two.content());
            assertThat(part).doesNotExist();
            Await.until(() -> "DONE posted: " + host.posted, Duration.ofSeconds(30), () -> host.posted.stream()
                    .anyMatch(p -> p.fileMessage() instanceof FileMessage.Done d && d.id().equals(id)));
            two.awaitTold(home, id);
        }
    }

    @Test
    void aDoneThatFindsNoWayToTheSenderIsToldAtItsNextSessionEvenAfterARestart() throws Exception {
        FileEngineFixtures.TwoChunks two = FileEngineFixtures.twoChunks(dir, random);
        FileId id = FileId.random(random);
        Path home = Files.createDirectories(dir.resolve("untold"));
        FileEngineFixtures.RecordingHost host = new FileEngineFixtures.RecordingHost();
        // The chunks came through the inbox, and the contact's inbox is gone by the time the file is kept.
        host.inbox = false;
        try (FileTransfers receiver = two.receiver(host, home)) {
            two.deliverThroughInbox(receiver, id);
            host.awaitFileDone();
        }
        assertThat(onlyDone(host).path()).endsWith("race.bin");
        try (java.util.stream.Stream<Path> stored = Files.list(home.resolve("transfers"))) {
            assertThat(stored).as("the transfer is kept until the sender is told")
                    .anyMatch(p -> p.getFileName().toString().startsWith(id.hex()));
        }

        FileEngineFixtures.RecordingHost after = new FileEngineFixtures.RecordingHost();
        FileEngineFixtures.RecordingLink session = new FileEngineFixtures.RecordingLink();
        try (FileTransfers receiver = two.receiver(after, home)) {
            receiver.start();
            receiver.sessionUp(two.peer(), session);
            assertThat(session.controls).extracting(ChatPayload::fileMessage)
                    .anyMatch(m -> m instanceof FileMessage.Done d && d.id().equals(id)
                            && java.util.Arrays.equals(d.sha256(), two.sha256()));
            two.awaitTold(home, id);
            assertThat(after.events).as("the file was shown done once, before the restart")
                    .noneMatch(ChatEvent.FileDone.class::isInstance);
        }
    }

    @Test
    void aRecordOlderThanThirtyDaysIsForgottenAtStart() throws Exception {
        FileEngineFixtures.TwoChunks two = FileEngineFixtures.twoChunks(dir, random);
        FileId id = FileId.random(random);
        Path home = Files.createDirectories(dir.resolve("never-told"));
        TransferStore store = two.store(home);
        store.save(new TransferStore.Transfer(TransferStore.Direction.IN, two.peer(), two.offer(id),
                TransferStore.Status.DONE, home.resolve("downloads").resolve("race.bin"), List.of()));
        Path xfer = home.resolve("transfers").resolve(id.hex() + ".xfer");
        Files.setLastModifiedTime(xfer, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(FileTransfers.RECEIVED_KEPT).minus(Duration.ofHours(1))));

        // And one received and told that long ago: a repeated offer is asked about again after 30 days.
        FileId told = FileId.random(random);
        store.save(new TransferStore.Transfer(TransferStore.Direction.IN, two.peer(), two.offer(told),
                TransferStore.Status.TOLD, home.resolve("downloads").resolve("race.bin"), List.of()));
        Path toldXfer = home.resolve("transfers").resolve(told.hex() + ".xfer");
        Files.setLastModifiedTime(toldXfer, Files.getLastModifiedTime(xfer));

        FileEngineFixtures.RecordingLink session = new FileEngineFixtures.RecordingLink();
        try (FileTransfers receiver = two.receiver(new FileEngineFixtures.RecordingHost(), home)) {
            receiver.start();
            assertThat(xfer).doesNotExist();
            assertThat(toldXfer).doesNotExist();
            assertThat(receiver.list()).isEmpty();
            receiver.sessionUp(two.peer(), session);
            assertThat(session.controls).isEmpty();
        }
    }

    @Test
    void aFileReceivedAndToldIsAnsweredDoneWhenOfferedAgainAfterARestart() throws Exception {
        // The DONE went into a session that died before the sender read it: the sender offers the file again at
        // the next session, and the receiver, restarted meanwhile, must not ask its user a second time.
        FileEngineFixtures.TwoChunks two = FileEngineFixtures.twoChunks(dir, random);
        FileId id = FileId.random(random);
        Path home = Files.createDirectories(dir.resolve("told"));
        FileEngineFixtures.RecordingHost host = new FileEngineFixtures.RecordingHost();
        try (FileTransfers receiver = two.receiver(host, home)) {
            two.deliverThroughInbox(receiver, id);
            two.awaitTold(home, id);
        }
        FileEngineFixtures.RecordingHost after = new FileEngineFixtures.RecordingHost();
        FileEngineFixtures.RecordingLink session = new FileEngineFixtures.RecordingLink();
        after.live.set(session);
        try (FileTransfers receiver = two.receiver(after, home)) {
            receiver.start();
            assertThat(receiver.list()).as("a told file is not listed after a restart").isEmpty();
            receiver.message(two.peer(), new FileMessage.Offer(two.offer(id)), true);
            assertThat(session.controls).extracting(ChatPayload::fileMessage)
                    .singleElement().isInstanceOfSatisfying(FileMessage.Done.class, d -> {
                        assertThat(d.id()).isEqualTo(id);
                        assertThat(d.sha256()).isEqualTo(two.sha256());
                    });
            assertThat(after.events).isEmpty();

            // Another contact offering a file under that id is neither answered nor asked about.
            byte[] other = new byte[32];
            random.nextBytes(other);
            receiver.message(org.securep2p.crypto.Fingerprint.fromBytes(other),
                    new FileMessage.Offer(two.offer(id)), true);
            assertThat(session.controls).hasSize(1);
            assertThat(after.events).isEmpty();
            assertThat(two.storedStatus(home, id)).contains(TransferStore.Status.TOLD);
        }
    }

    @Test
    void aSenderWhoseChunksWereAllAcknowledgedOffersAgainAtTheNextSession() throws Exception {
        // Every chunk acknowledged and no DONE: it was lost with the session. The next session asks again.
        byte[] content = new byte[3 * FileOffer.MAX_CHUNK_SIZE];
        new java.util.Random(5).nextBytes(content);
        Path source = Files.write(dir.resolve("acked.bin"), content);
        FileEngineFixtures.TwoChunks two = FileEngineFixtures.twoChunks(dir, random);
        FileEngineFixtures.RecordingHost host = new FileEngineFixtures.RecordingHost();
        FileEngineFixtures.RecordingLink first = new FileEngineFixtures.RecordingLink();
        host.live.set(first);
        try (FileTransfers sender = two.receiver(host, Files.createDirectories(dir.resolve("sender")))) {
            FileId id = FileId.parse(sender.send(two.peer(), source));
            Await.until(() -> "the offer sent: " + first.controls, Duration.ofSeconds(30),
                    () -> first.controls.stream().anyMatch(p -> p.fileMessage() instanceof FileMessage.Offer));
            sender.message(two.peer(), new FileMessage.Have(id, org.securep2p.app.files.ChunkBitmap.empty(3)), true);
            for (int i = 0; i < 3; i++) {
                sender.chunkAck(two.peer(), id, i);
            }
            host.live.set(null);

            FileEngineFixtures.RecordingLink next = new FileEngineFixtures.RecordingLink();
            host.live.set(next);
            sender.sessionUp(two.peer(), next);
            assertThat(next.controls).extracting(ChatPayload::fileMessage)
                    .anyMatch(m -> m instanceof FileMessage.Offer o && o.offer().id().equals(id));

            // Once DONE came, nothing more is asked.
            sender.message(two.peer(), new FileMessage.Done(id, sha256(content)), true);
            FileEngineFixtures.RecordingLink third = new FileEngineFixtures.RecordingLink();
            sender.sessionUp(two.peer(), third);
            assertThat(third.controls).isEmpty();
        }
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return java.security.MessageDigest.getInstance("SHA-256").digest(data);
    }

    @Test
    void aRepeatedOfferOfAFileAlreadyKeptIsAnsweredWithDone() throws Exception {
        // Through the relay the sender stays "offered" until it hears from the receiver, and offers again at the
        // next session: a receiver that kept the file answers DONE, not a full HAVE that would leave it waiting.
        FileEngineFixtures.TwoChunks two = FileEngineFixtures.twoChunks(dir, random);
        FileId id = FileId.random(random);
        Path home = Files.createDirectories(dir.resolve("offered-again"));
        FileEngineFixtures.RecordingHost host = new FileEngineFixtures.RecordingHost();
        host.inbox = false;
        try (FileTransfers receiver = two.receiver(host, home)) {
            two.deliverThroughInbox(receiver, id);
            host.awaitFileDone();
            FileEngineFixtures.RecordingLink session = new FileEngineFixtures.RecordingLink();
            host.live.set(session);
            receiver.message(two.peer(), new FileMessage.Offer(two.offer(id)), true);
            assertThat(session.controls).extracting(ChatPayload::fileMessage)
                    .anyMatch(m -> m instanceof FileMessage.Done d && d.id().equals(id))
                    .noneMatch(FileMessage.Have.class::isInstance);
            two.awaitTold(home, id);
            assertThat(host.events).filteredOn(ChatEvent.FileOffered.class::isInstance).hasSize(1);
        }
    }

    @Test
    void aChunkArrivingAsTheEngineClosesKeepsThePartialFile() throws Exception {
        // The courier may hand over one more chunk while the messenger closes: the closed .part must not make it
        // look like a full disk, which would remove the chunks already held.
        FileEngineFixtures.TwoChunks two = FileEngineFixtures.twoChunks(dir, random);
        FileId id = FileId.random(random);
        Path home = Files.createDirectories(dir.resolve("closing"));
        List<Chunk> chunks = two.sealed(id, 0, 1);
        FileEngineFixtures.RecordingHost host = new FileEngineFixtures.RecordingHost();
        FileTransfers closing = two.receiver(host, home);
        closing.message(two.peer(), new FileMessage.Offer(two.offer(id)), false);
        closing.chunk(two.peer(), chunks.get(0), Optional.empty());
        closing.close();
        closing.chunk(two.peer(), chunks.get(1), Optional.empty());
        assertThat(host.events).noneMatch(ChatEvent.FileFailed.class::isInstance);
        assertThat(host.posted).extracting(ChatPayload::fileMessage).noneMatch(FileMessage.Cancel.class::isInstance);

        FileEngineFixtures.RecordingHost after = new FileEngineFixtures.RecordingHost();
        FileEngineFixtures.RecordingLink session = new FileEngineFixtures.RecordingLink();
        try (FileTransfers receiver = two.receiver(after, home)) {
            receiver.start();
            after.live.set(session);
            receiver.sessionUp(two.peer(), session);
            assertThat(session.controls).extracting(ChatPayload::fileMessage)
                    .filteredOn(FileMessage.Have.class::isInstance).singleElement()
                    .satisfies(m -> {
                        FileMessage.Have h = (FileMessage.Have) m;
                        assertThat(h.chunks().has(0)).as("chunk 0 still held").isTrue();
                        assertThat(h.chunks().has(1)).isFalse();
                    });
            receiver.chunk(two.peer(), chunks.get(1), Optional.of(session));
            after.awaitFileDone();
            assertThat(Files.readAllBytes(Path.of(onlyDone(after).path()))).isEqualTo(two.content());
        }
    }

    @Test
    void aCloseRightAfterTheLastChunkNeverLosesTheFile() throws Exception {
        // The engine closes while the whole-file check may be running on its worker: the file is either kept
        // before the close or at the next start, never failed and removed.
        FileEngineFixtures.TwoChunks two = FileEngineFixtures.twoChunks(dir, random);
        for (int round = 0; round < ROUNDS; round++) {
            FileId id = FileId.random(random);
            Path home = Files.createDirectories(dir.resolve("round-" + round));
            FileEngineFixtures.RecordingHost host = new FileEngineFixtures.RecordingHost();
            try (FileTransfers receiver = two.receiver(host, home)) {
                two.deliverThroughInbox(receiver, id);
            }
            assertThat(host.events).as("round %d", round).noneMatch(ChatEvent.FileFailed.class::isInstance);
            FileEngineFixtures.RecordingHost after = new FileEngineFixtures.RecordingHost();
            try (FileTransfers receiver = two.receiver(after, home)) {
                receiver.start();
                // What a restart is followed by: the contact's next session, which hears any DONE still owed and
                // completes a file found whole at start.
                receiver.sessionUp(two.peer(), new FileEngineFixtures.RecordingLink());
                int r = round;
                Await.until(() -> "round " + r + ": kept before the close or at the start; events " + host.events
                        + " then " + after.events, Duration.ofSeconds(30),
                        () -> host.doneBy.get() != null || after.doneBy.get() != null);
                List<ChatEvent> all = new java.util.ArrayList<>(host.events);
                all.addAll(after.events);
                assertThat(all).as("round %d", round).noneMatch(ChatEvent.FileFailed.class::isInstance)
                        .filteredOn(ChatEvent.FileDone.class::isInstance).hasSize(1);
                ChatEvent.FileDone done = (ChatEvent.FileDone) all.stream()
                        .filter(ChatEvent.FileDone.class::isInstance).findFirst().orElseThrow();
                assertThat(Files.readAllBytes(Path.of(done.path()))).as("round %d", round).isEqualTo(two.content());
                two.awaitTold(home, id);
            }
        }
    }

    private static ChatEvent.FileDone onlyDone(FileEngineFixtures.RecordingHost host) {
        assertThat(host.events).filteredOn(ChatEvent.FileDone.class::isInstance).hasSize(1);
        return (ChatEvent.FileDone) host.events.stream().filter(ChatEvent.FileDone.class::isInstance).findFirst()
                .orElseThrow();
    }
}
