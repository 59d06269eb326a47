package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.files.Chunk;
import org.securep2p.app.files.FileId;
import org.securep2p.app.files.FileMessage;
import org.securep2p.app.files.FileOffer;
import org.securep2p.app.files.TransferStore;
import org.securep2p.app.trust.TrustStore;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.Await;
import org.securep2p.transport.Connector;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.TransportConfig;

/**
 * The file engine between two real messengers on loopback (PROTOCOL.md §24.5): a file offered, accepted, carried in
 * verified chunks and kept only once whole; declined and refused offers write nothing; a dropped connection resumes
 * from the receiver's HAVE without sending verified chunks again; a chunk nobody offered does not end the session.
 */
class FileTransfersTest {

    private static final SecurityLevel LEVEL = SecurityLevel.STANDARD;
    private final SecureRandom random = new SecureRandom();
    private final Clock clock = Clock.systemUTC();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    @TempDir
    Path dir;

    /** One messenger with its events and its downloads folder. */
    private record Side(DefaultMessenger messenger, List<ChatEvent> events, Path downloads, String fingerprint) {
    }

    private Side side(String name, FileTransfers.Limits limits) throws Exception {
        InMemoryPrivateKeys keys = InMemoryPrivateKeys.generate(random, clock, 2, 2);
        toClose.add(keys);
        TransportConfig config = TransportConfig.builder().hostCandidates(TransportConfig.HostCandidates.LOOPBACK_ONLY)
                .stunServers(List.of()).connectTimeout(Duration.ofSeconds(4)).build();
        byte[] k = new byte[32];
        random.nextBytes(k);
        List<ChatEvent> events = new CopyOnWriteArrayList<>();
        DefaultMessenger m = new DefaultMessenger(keys, new Connector(config, keys,
                TransportCertificate.loadOrCreate(dir.resolve("cert-" + name), keys, clock), random), config,
                TrustStore.open(dir.resolve("trust-" + name + ".json"), clock),
                new ConversationStore(dir.resolve("conversations-" + name), SecretBytes.copyOf(k), random, clock),
                new MemoryHistory(), name, new ChatEvent.Ready(keys.identity().fingerprint().displayString(), name,
                        "test", "test", "codes"), Optional.empty(), random, clock);
        m.addListener(events::add);
        Path downloads = dir.resolve("downloads-" + name);
        m.startFiles(new TransferStore(dir.resolve("transfers-" + name), SecretBytes.copyOf(k), random), downloads,
                limits);
        toClose.add(0, m);
        return new Side(m, events, downloads, keys.identity().fingerprint().displayString());
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private static void pair(Side waiter, Side dialler) throws Exception {
        ChatEvent.Endpoint code = waiter.messenger().waitForPeer(LEVEL);
        String attempt = dialler.messenger().connect(code.code(), LEVEL);
        await(dialler, ChatEvent.Connected.class, c -> c.attempt().equals(attempt));
        await(waiter, ChatEvent.Connected.class, c -> c.attempt().equals(code.attempt()));
    }

    private static <T extends ChatEvent> T await(Side s, Class<T> type, Predicate<T> which) {
        return Await.value(() -> "a " + type.getSimpleName() + "; events: " + s.events(), Duration.ofSeconds(60),
                () -> s.events().stream().filter(type::isInstance).map(type::cast).filter(which).findFirst());
    }

    private Path randomFile(String name, int bytes) throws Exception {
        byte[] data = new byte[bytes];
        new Random(bytes).nextBytes(data);
        Path f = dir.resolve(name);
        Files.write(f, data);
        return f;
    }

    private static String sha256(Path f) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }

    private static List<Path> listed(Path folder) throws Exception {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(folder)) {
            return s.toList();
        }
    }

    @Test
    void anAcceptedFileArrivesByteExactAndOnlyWhenWhole() throws Exception {
        Side alice = side("alice", FileTransfers.Limits.DEFAULT);
        Side bob = side("bob", FileTransfers.Limits.DEFAULT);
        pair(alice, bob);
        // 13 chunks of 240 KiB, the last one short.
        Path file = randomFile("report one.pdf", 3 * 1024 * 1024 + 17);
        String id = alice.messenger().sendFile(bob.fingerprint(), file);

        ChatEvent.FileOffered offered = await(bob, ChatEvent.FileOffered.class, o -> o.id().equals(id));
        assertThat(offered.name()).isEqualTo("report one.pdf");
        assertThat(offered.size()).isEqualTo(Files.size(file));
        assertThat(offered.autoAccepted()).isFalse();
        assertThat(listed(bob.downloads())).as("nothing is written before the user accepts").isEmpty();
        bob.messenger().acceptFile(id);

        ChatEvent.FileDone received = await(bob, ChatEvent.FileDone.class, d -> d.id().equals(id));
        ChatEvent.FileDone sent = await(alice, ChatEvent.FileDone.class, d -> d.id().equals(id));
        Path kept = Path.of(received.path());
        assertThat(kept).isEqualTo(bob.downloads().resolve("report one.pdf"));
        assertThat(Files.readAllBytes(kept)).isEqualTo(Files.readAllBytes(file));
        assertThat(received.sha256()).isEqualTo(sha256(file)).isEqualTo(sent.sha256());
        assertThat(listed(bob.downloads())).containsExactly(kept);
        assertThat(alice.messenger().files().orElseThrow().resent(FileId.parse(id))).isZero();
        // The last progress says the whole file, on both sides.
        for (Side s : List.of(alice, bob)) {
            List<ChatEvent.FileProgress> p = s.events().stream().filter(ChatEvent.FileProgress.class::isInstance)
                    .map(ChatEvent.FileProgress.class::cast).filter(e -> e.id().equals(id)).toList();
            assertThat(p).isNotEmpty();
            assertThat(p.get(p.size() - 1).bytes()).isEqualTo(Files.size(file));
        }
    }

    @Test
    void aSecondFileOfTheSameNameIsNumberedAndNeverReplacesTheFirst() throws Exception {
        Side alice = side("alice", FileTransfers.Limits.DEFAULT);
        Side bob = side("bob", new FileTransfers.Limits(2048L << 20, 64L << 20));
        pair(alice, bob);
        Path one = randomFile("notes.txt", 1000);
        String first = alice.messenger().sendFile(bob.fingerprint(), one);
        await(bob, ChatEvent.FileDone.class, d -> d.id().equals(first));
        Files.write(one, new byte[] {1, 2, 3});
        String second = alice.messenger().sendFile(bob.fingerprint(), one);
        ChatEvent.FileDone d = await(bob, ChatEvent.FileDone.class, e -> e.id().equals(second));
        assertThat(Path.of(d.path()).getFileName().toString()).isEqualTo("notes (2).txt");
        assertThat(Files.readAllBytes(bob.downloads().resolve("notes.txt"))).hasSize(1000);
        assertThat(Files.readAllBytes(Path.of(d.path()))).containsExactly(1, 2, 3);
        assertThat(await(bob, ChatEvent.FileOffered.class, o -> o.id().equals(second)).autoAccepted()).isTrue();
    }

    @Test
    void aDeclinedOfferWritesNothingAndTheSenderIsTold() throws Exception {
        Side alice = side("alice", FileTransfers.Limits.DEFAULT);
        Side bob = side("bob", FileTransfers.Limits.DEFAULT);
        pair(alice, bob);
        String id = alice.messenger().sendFile(bob.fingerprint(), randomFile("big.bin", 500_000));
        await(bob, ChatEvent.FileOffered.class, o -> o.id().equals(id));
        bob.messenger().declineFile(id);
        ChatEvent.FileFailed told = await(alice, ChatEvent.FileFailed.class, f -> f.id().equals(id));
        assertThat(told.reason()).containsIgnoringCase("declined");
        assertThat(listed(bob.downloads())).isEmpty();
        assertThatThrownBy(() -> bob.messenger().acceptFile(id)).isInstanceOf(AppException.class)
                .extracting(e -> ((AppException) e).reason()).isEqualTo(AppException.Reason.UNKNOWN_FILE);
    }

    @Test
    void aFileOverTheReceiversLimitIsRefusedAndTheSenderIsTold() throws Exception {
        Side alice = side("alice", FileTransfers.Limits.DEFAULT);
        Side bob = side("bob", new FileTransfers.Limits(1L << 20, 0));
        pair(alice, bob);
        String id = alice.messenger().sendFile(bob.fingerprint(), randomFile("large.iso", (1 << 20) + 1));
        ChatEvent.FileFailed told = await(alice, ChatEvent.FileFailed.class, f -> f.id().equals(id));
        assertThat(told.reason()).containsIgnoringCase("large");
        assertThat(bob.events()).noneMatch(ChatEvent.FileOffered.class::isInstance);
        assertThat(listed(bob.downloads())).isEmpty();
    }

    @Test
    void aFileThatIsNotThereOrTooLargeIsRefusedAtOnce() throws Exception {
        Side alice = side("alice", new FileTransfers.Limits(1L << 20, 0));
        Side bob = side("bob", FileTransfers.Limits.DEFAULT);
        pair(alice, bob);
        for (Path p : List.of(dir.resolve("missing"), dir, randomFile("big", (1 << 20) + 1))) {
            assertThatThrownBy(() -> alice.messenger().sendFile(bob.fingerprint(), p))
                    .isInstanceOf(AppException.class).extracting(e -> ((AppException) e).reason())
                    .isEqualTo(AppException.Reason.FILE_REFUSED);
        }
    }

    @Test
    void anOfferWhoseNameLeavesTheDownloadsFolderIsRefusedAndNothingIsWritten() throws Exception {
        Side alice = side("alice", FileTransfers.Limits.DEFAULT);
        Side bob = side("bob", new FileTransfers.Limits(2048L << 20, 64L << 20));
        pair(alice, bob);
        ChatSession s = alice.messenger().session(Fingerprint.parse(bob.fingerprint())).orElseThrow();
        for (String name : List.of("../../evil.sh", "..", "a/b", "c\\d")) {
            try (SecretBytes key = SecretBytes.copyOf(new byte[32])) {
                FileOffer evil = new FileOffer(FileId.random(random), Instant.now(), name, "text/plain", 10,
                        FileOffer.MAX_CHUNK_SIZE, new byte[32], new byte[32], key);
                assertThat(s.sendControl(ChatPayload.file(new FileMessage.Offer(evil)))).isTrue();
            }
        }
        // The session is still up and carries the next message: nothing ended it.
        alice.messenger().send(bob.fingerprint(), "still here");
        await(bob, ChatEvent.MessageReceived.class, m -> m.text().equals("still here"));
        assertThat(bob.events()).noneMatch(ChatEvent.FileOffered.class::isInstance);
        assertThat(listed(bob.downloads())).isEmpty();
        assertThat(listed(dir)).noneMatch(p -> p.getFileName().toString().startsWith("evil"));
    }

    @Test
    void aChunkOfNoOfferedFileIsRefusedAndTheSessionGoesOn() throws Exception {
        Side alice = side("alice", FileTransfers.Limits.DEFAULT);
        Side bob = side("bob", FileTransfers.Limits.DEFAULT);
        pair(alice, bob);
        ChatSession s = alice.messenger().session(Fingerprint.parse(bob.fingerprint())).orElseThrow();
        byte[] junk = new byte[4096];
        random.nextBytes(junk);
        assertThat(s.sendFrame(ChatFrame.chunk(new Chunk(FileId.random(random), 0, junk)))).isTrue();
        assertThat(s.sendFrame(ChatFrame.chunkAck(FileId.random(random), 3))).isTrue();
        alice.messenger().send(bob.fingerprint(), "after the junk");
        await(bob, ChatEvent.MessageReceived.class, m -> m.text().equals("after the junk"));
        assertThat(listed(bob.downloads())).isEmpty();
    }

    @Test
    void aTransferCutByADisconnectResumesWithoutSendingVerifiedChunksAgain() throws Exception {
        Side alice = side("alice", FileTransfers.Limits.DEFAULT);
        Side bob = side("bob", new FileTransfers.Limits(2048L << 20, 4096L << 20));
        pair(alice, bob);
        Path file = randomFile("movie.mkv", 48 << 20);
        String id = alice.messenger().sendFile(bob.fingerprint(), file);
        // Cut it once part of the file is in.
        await(bob, ChatEvent.FileProgress.class, p -> p.id().equals(id) && p.bytes() > 0 && p.bytes() < p.total());
        bob.messenger().disconnect(alice.fingerprint());
        Fingerprint bobs = Fingerprint.parse(bob.fingerprint());
        Await.until("the session to end on both sides", Duration.ofSeconds(30),
                () -> alice.messenger().session(bobs).isEmpty());
        long before = alice.events().stream().filter(e -> e instanceof ChatEvent.FileDone).count();
        assertThat(before).isZero();
        // A new code exchange resumes the stored session; the receiver's HAVE says where to go on.
        pair(alice, bob);
        ChatEvent.FileDone done = await(bob, ChatEvent.FileDone.class, d -> d.id().equals(id));
        assertThat(Files.readAllBytes(Path.of(done.path()))).isEqualTo(Files.readAllBytes(file));
        assertThat(alice.messenger().files().orElseThrow().resent(FileId.parse(id)))
                .as("only chunks in flight when the connection dropped go again").isLessThanOrEqualTo(
                        FileTransfers.WINDOW);
        await(alice, ChatEvent.FileDone.class, d -> d.id().equals(id));
    }

    @Test
    void eitherSideCancelsAndThePartialFileIsRemoved() throws Exception {
        Side alice = side("alice", FileTransfers.Limits.DEFAULT);
        Side bob = side("bob", new FileTransfers.Limits(2048L << 20, 4096L << 20));
        pair(alice, bob);
        String id = alice.messenger().sendFile(bob.fingerprint(), randomFile("huge.bin", 64 << 20));
        await(bob, ChatEvent.FileProgress.class, p -> p.id().equals(id) && p.bytes() > 0);
        bob.messenger().cancelFile(id);
        await(alice, ChatEvent.FileFailed.class, f -> f.id().equals(id));
        await(bob, ChatEvent.FileFailed.class, f -> f.id().equals(id));
        Await.until("the .part to be gone", Duration.ofSeconds(10), () -> {
            try {
                return listed(bob.downloads()).isEmpty();
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(bob.events()).noneMatch(e -> e instanceof ChatEvent.FileDone);
    }
}
