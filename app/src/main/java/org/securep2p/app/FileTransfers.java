package org.securep2p.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.securep2p.app.files.CancelReason;
import org.securep2p.app.files.Chunk;
import org.securep2p.app.files.ChunkBitmap;
import org.securep2p.app.files.ChunkSealer;
import org.securep2p.app.files.DownloadNames;
import org.securep2p.app.files.FileId;
import org.securep2p.app.files.FileMessage;
import org.securep2p.app.files.FileOffer;
import org.securep2p.app.files.FileTransferException;
import org.securep2p.app.files.MerkleTree;
import org.securep2p.app.files.ReceivingFile;
import org.securep2p.app.files.SourceFile;
import org.securep2p.app.files.TransferStore;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.relay.RelayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file-transfer engine (PROTOCOL.md §24.5): offers, answers and chunks in both directions, over the live
 * session when there is one and through the contact's relay inbox when not, resumed from the receiver's HAVE after
 * any reconnection or restart. Every outcome is a {@link ChatEvent}; every refused input a security-log line.
 *
 * <p>Guarantees: a file is shown done only after every chunk verified against the offer's Merkle root and the whole
 * file against its SHA-256; nothing is written outside the downloads folder; the outgoing transfer is stored before
 * its OFFER leaves; at most {@link #WINDOW} chunks are unacknowledged on a direct path, so text is never held behind
 * more than that and a receiver killed mid-transfer costs at most that many chunks sent again.
 */
final class FileTransfers implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FileTransfers.class);
    private static final Logger SECURITY = LoggerFactory.getLogger("securep2p.security");
    /** Every chunk sent, at DEBUG (the file-transfer IT counts resends from it). */
    private static final Logger CHUNKS = LoggerFactory.getLogger("securep2p.files.chunks");

    /** Chunks sent and not yet acknowledged on a direct path (§24.5). */
    static final int WINDOW = 2;
    /** Ours (§24.1): a chunk and its envelope fill one 256 KiB relay bucket. */
    static final int CHUNK_SIZE = FileOffer.MAX_CHUNK_SIZE;
    static final long PROGRESS_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    static final String MEDIA_TYPE = "application/octet-stream";
    /**
     * How long a received file's record stays after it was written (§24.6): an untold DONE waits this long for a
     * way to its sender (a contact never seen again must not keep it for ever), and a told one is remembered this
     * long to answer a repeated offer.
     */
    static final Duration RECEIVED_KEPT = Duration.ofDays(30);
    /** How long a close waits for a file being checked and kept (a 2 GiB file read back in full: seconds). */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(10);
    /** The path of an incoming transfer whose .part is not made yet. */
    static final Path NO_FILE_YET = Path.of("");

    /** What the engine needs of the messenger. */
    interface Host {
        /** The live session with {@code peer}, if one is connected. */
        Optional<FileLink> live(Fingerprint peer);

        /** Posts a control payload into the contact's inbox (§22.7 style); empty when the contact has none. */
        Optional<CompletableFuture<Void>> postControl(Fingerprint peer, ChatPayload payload);

        /** Posts one chunk (a CHUNK item, §24.3) into the contact's inbox; empty when the contact has none. */
        Optional<CompletableFuture<Void>> postChunk(Fingerprint peer, byte[] chunk);

        /** The contact's name for sentences. */
        String name(Fingerprint peer);

        void emit(ChatEvent event);
    }

    /** Limits from securep2p.conf (§24.1, §24.5). */
    record Limits(long maxBytes, long autoAcceptBytes) {
        static final Limits DEFAULT = new Limits(2048L << 20, 0);
    }

    private final Host host;
    private final TransferStore store;
    private final Path downloads;
    private final Limits limits;
    private final SecureRandom random;
    private final Clock clock;
    private final Map<FileId, Transfer> transfers = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "file-transfer");
        t.setDaemon(true);
        return t;
    });
    /**
     * Where whole files are checked and kept: apart from {@link #workers}, so that closing lets a running completion
     * finish (for up to {@link #CLOSE_WAIT}) instead of interrupting it halfway through its writes.
     */
    private final ExecutorService completions = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "file-complete");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;
    /**
     * Received files found whole at start, completed once somebody will see the outcome: when a front end listens
     * ({@link #completeHeldFiles}) or at the sender's next session, whichever comes first.
     */
    private final List<Incoming> heldAtStart = new ArrayList<>();
    /**
     * Files received and told before this start, by id: their sender may still offer them again (its DONE lost
     * with a session), and is answered DONE instead of the user being asked a second time. No key is kept.
     */
    private final Map<FileId, Received> received = new ConcurrentHashMap<>();

    /** A file received and told: who sent it and its hash, what a DONE for it says. */
    private record Received(Fingerprint peer, FileMessage.Done done) {
    }

    FileTransfers(Host host, TransferStore store, Path downloads, Limits limits, SecureRandom random, Clock clock) {
        this.host = host;
        this.store = store;
        this.downloads = downloads;
        this.limits = limits;
        this.random = random;
        this.clock = clock;
    }

    /** One transfer in memory, either direction. Its own lock guards its fields. */
    private abstract static class Transfer {
        final Fingerprint peer;
        final FileOffer offer;
        TransferStore.Transfer stored;
        /** What the receiver is known to hold (sender: from HAVE and CHUNK_ACK; receiver: verified). */
        BitSet have = new BitSet();
        long lastProgressNanos;
        long rateBytes;
        long rateSinceNanos = System.nanoTime();
        long rate;
        String state;
        volatile boolean over;

        Transfer(TransferStore.Transfer stored, String state) {
            this.peer = stored.peer();
            this.offer = stored.offer();
            this.stored = stored;
            this.state = state;
        }

        synchronized long bytes() {
            long n = 0;
            for (int i = have.nextSetBit(0); i >= 0; i = have.nextSetBit(i + 1)) {
                n += offer.chunkLength(i);
            }
            return n;
        }

        abstract boolean outgoing();
    }

    private static final class Outgoing extends Transfer {
        SourceFile source;
        MerkleTree tree;
        /** The direct sender's window: chunks sent and not acknowledged (CHUNK_ACK) on the current session. */
        final BitSet inFlight = new BitSet();
        /** Chunks posted to the relay (this process). */
        final BitSet posted = new BitSet();
        /** Chunks sent at all by this process, to count sends again. */
        final BitSet everSent = new BitSet();
        int resent;
        /** Bumped at every HAVE: a sender loop of an older generation stops. */
        int generation;
        boolean relayLoop;
        /** A HAVE came over a session not yet published: {@link #sessionUp} starts sending from it. */
        boolean awaitingSession;

        Outgoing(TransferStore.Transfer stored) {
            super(stored, "offered");
        }

        @Override
        boolean outgoing() {
            return true;
        }
    }

    private static final class Incoming extends Transfer {
        ReceivingFile file;
        int duplicates;
        /** Set, under the lock, by the one caller that verifies and keeps the whole file. */
        boolean completing;
        /** Stored as done: from then on its sender may be told. */
        boolean doneStored;
        /** Done, and its DONE handed to a live session or taken by the relay: the record is TOLD from then on. */
        boolean told;

        Incoming(TransferStore.Transfer stored, String state) {
            super(stored, state);
        }

        @Override
        boolean outgoing() {
            return false;
        }
    }

    /**
     * Loads the stored transfers: running ones wait for their peer's next session, a received file whose every chunk
     * is held is held for {@link #completeHeldFiles}, a received file whose DONE the sender was never told waits to
     * tell it, one told is remembered to answer a repeated offer, and other finished ones are forgotten.
     */
    void start() {
        List<TransferStore.Transfer> stored;
        try {
            stored = store.loadAll();
        } catch (FileTransferException e) {
            LOG.warn("stored transfers not read: {}", e.getMessage());
            return;
        }
        List<Incoming> whole = new ArrayList<>();
        for (TransferStore.Transfer t : stored) {
            FileId id = t.offer().id();
            try {
                switch (t.status()) {
                    case DONE -> {
                        if (t.direction() == TransferStore.Direction.IN && writtenWithinKept(id)) {
                            // Kept until the sender hears DONE (§24.6): the next session, or the relay, tells it.
                            Incoming in = new Incoming(t, "done");
                            in.over = true;
                            in.doneStored = true;
                            in.have.set(0, t.offer().chunkCount());
                            transfers.put(id, in);
                        } else {
                            store.delete(id);
                        }
                    }
                    case TOLD -> {
                        if (t.direction() == TransferStore.Direction.IN && writtenWithinKept(id)) {
                            received.put(id, new Received(t.peer(), new FileMessage.Done(id, t.offer().sha256())));
                        } else {
                            store.delete(id);
                        }
                        t.offer().wipe();
                    }
                    case CANCELLED, FAILED -> store.delete(id);
                    case OFFERED, ACCEPTED -> {
                        if (t.direction() == TransferStore.Direction.OUT) {
                            Outgoing o = new Outgoing(t);
                            o.source = SourceFile.reopen(t.path(), t.offer().size(), t.offer().chunkSize(),
                                    t.leaves());
                            o.tree = MerkleTree.of(t.leaves());
                            o.state = t.status() == TransferStore.Status.OFFERED ? "offered" : "waiting";
                            transfers.put(id, o);
                        } else {
                            Incoming in = new Incoming(t, t.status() == TransferStore.Status.OFFERED ? "asking"
                                    : "waiting");
                            if (!t.path().toString().isEmpty()) {
                                openPart(in);
                            }
                            transfers.put(id, in);
                            if (t.status() == TransferStore.Status.ACCEPTED && in.file != null
                                    && in.file.complete()) {
                                // The last chunk was journaled and the process stopped before the file was kept
                                // (§24.5): no HAVE would bring a chunk to complete it, so it completes now.
                                in.state = "receiving";
                                whole.add(in);
                            }
                        }
                    }
                }
            } catch (FileTransferException | RuntimeException e) {
                LOG.warn("stored transfer {} not resumed: {}", id, e.getMessage());
            }
        }
        synchronized (heldAtStart) {
            heldAtStart.addAll(whole);
        }
    }

    /** Whether the record of {@code id} was last written less than {@link #RECEIVED_KEPT} ago (§24.6). */
    private boolean writtenWithinKept(FileId id) {
        return store.savedAt(id).filter(at -> at.plus(RECEIVED_KEPT).isAfter(clock.instant())).isPresent();
    }

    /**
     * Completes the received files that {@link #start} found whole (§24.5, "Stops around the end"). The messenger
     * calls it once a front end listens: their {@code file_done} must reach somebody, and the engine starts before
     * any front end is attached.
     */
    void completeHeldFiles() {
        List<Incoming> now;
        synchronized (heldAtStart) {
            now = List.copyOf(heldAtStart);
            heldAtStart.clear();
        }
        now.forEach(this::completeLater);
    }

    /**
     * A relay is connected: a received file's DONE that found neither a session nor an inbox when the file was kept
     * (for one, a file completed at start, before the relays) goes through the contact's inbox now, if it has one.
     */
    void relayConnected() {
        for (Transfer t : transfers.values()) {
            if (t instanceof Incoming in && untold(in)) {
                tellDone(in, Optional.empty());
            }
        }
    }

    // ---------------------------------------------------------------- the user's calls

    String send(Fingerprint peer, Path path) throws AppException {
        Path file = path.toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new AppException(AppException.Reason.FILE_REFUSED, Files.exists(file)
                    ? "Not a regular file: " + file.getFileName() + "." : "No such file: " + file + ".");
        }
        if (!Files.isReadable(file)) {
            throw new AppException(AppException.Reason.FILE_REFUSED, "The file cannot be read: " + file + ".");
        }
        try {
            if (Files.size(file) > limits.maxBytes()) {
                throw new AppException(AppException.Reason.FILE_REFUSED, "The file is larger than files.max_mb ("
                        + (limits.maxBytes() >> 20) + " MiB).");
            }
        } catch (IOException e) {
            throw new AppException(AppException.Reason.FILE_REFUSED, "The file cannot be read: " + file + ".");
        }
        FileId id = FileId.random(random);
        // Hashing a large file takes seconds: the id is returned now, the offer follows.
        workers.execute(() -> prepareAndOffer(peer, id, file));
        return id.hex();
    }

    private void prepareAndOffer(Fingerprint peer, FileId id, Path file) {
        Outgoing o;
        try {
            SourceFile source = SourceFile.prepare(file, CHUNK_SIZE, limits.maxBytes());
            byte[] keyBytes = new byte[FileOffer.KEY_LENGTH];
            random.nextBytes(keyBytes);
            MerkleTree tree = MerkleTree.of(source.leaves());
            FileOffer offer;
            try (SecretBytes key = SecretBytes.copyOf(keyBytes)) {
                offer = new FileOffer(id, clock.instant(), offeredName(file), MEDIA_TYPE, source.size(), CHUNK_SIZE,
                        source.sha256(), tree.root(), key);
            } finally {
                java.util.Arrays.fill(keyBytes, (byte) 0);
            }
            TransferStore.Transfer t = new TransferStore.Transfer(TransferStore.Direction.OUT, peer, offer,
                    TransferStore.Status.OFFERED, file, source.leaves());
            // Stored before the offer leaves: a restart resumes it (§24.5).
            store.save(t);
            o = new Outgoing(t);
            o.source = source;
            o.tree = tree;
            transfers.put(id, o);
        } catch (FileTransferException | CryptoException | RuntimeException e) {
            LOG.warn("file {} not offered: {}", id, e.getMessage());
            host.emit(new ChatEvent.FileFailed(peer.displayString(), id.hex(), "Not sent: " + e.getMessage()));
            return;
        }
        progress(o, true);
        offer(o);
    }

    /** The last element of the path, as the peer will see it (its own check and sanitising follow there). */
    private static String offeredName(Path file) {
        String n = file.getFileName().toString();
        return n.isEmpty() ? "file" : n;
    }

    /** Sends the OFFER through the live session, else through the relay and then the chunks after it. */
    private void offer(Outgoing o) {
        FileMessage.Offer m = new FileMessage.Offer(o.offer);
        Optional<FileLink> live = host.live(o.peer);
        if (live.isPresent() && sendControl(live.get(), m)) {
            return;
        }
        Optional<CompletableFuture<Void>> posted = host.postControl(o.peer, ChatPayload.file(m));
        if (posted.isEmpty()) {
            setState(o, "waiting");
            return;
        }
        workers.execute(() -> {
            try {
                await(posted.get());
                relayChunks(o);
            } catch (AppException e) {
                setState(o, "waiting");
                host.emit(new ChatEvent.Notice("The offer of " + o.offer.name() + " waits for " + host.name(o.peer)
                        + " to be online: " + e.getMessage()));
            }
        });
    }

    void accept(FileId id) throws AppException {
        Incoming in = incoming(id);
        boolean whole;
        synchronized (in) {
            if (!"asking".equals(in.state)) {
                return;
            }
            try {
                if (in.file == null) {
                    reservePart(in);
                }
                in.stored = in.stored.withStatus(TransferStore.Status.ACCEPTED);
                store.save(in.stored);
            } catch (FileTransferException e) {
                throw new AppException(AppException.Reason.STORAGE_FAILED, e.getMessage(), e);
            }
            in.state = "receiving";
            // Everything came through the relay before the user said yes (decided under the lock, as in chunk).
            whole = in.file.complete();
        }
        // The sender waits for this on a direct path; through the relay it posts without waiting, and a HAVE there
        // would ask for chunks still in the inbox again (§24.5): the next session's HAVE says where we are.
        if (host.live(in.peer).isPresent()) {
            sendHave(in);
        }
        if (whole) {
            completeLater(in);
        }
    }

    void decline(FileId id) throws AppException {
        Incoming in = incoming(id);
        end(in, CancelReason.DECLINED, "You declined the file.", true);
    }

    void cancel(FileId id) throws AppException {
        Transfer t = transfers.get(id);
        if (t == null || t.over) {
            throw new AppException(AppException.Reason.UNKNOWN_FILE, "There is no such file transfer running.");
        }
        end(t, CancelReason.CANCELLED, "Cancelled.", true);
    }

    List<Messenger.TransferInfo> list() {
        List<Messenger.TransferInfo> out = new ArrayList<>();
        for (Transfer t : transfers.values()) {
            synchronized (t) {
                out.add(new Messenger.TransferInfo(t.offer.id().hex(), t.peer.displayString(), t.offer.name(),
                        t.outgoing(), t.bytes(), t.offer.size(), t.rate, t.state, t.stored.path().toString()));
            }
        }
        out.sort(java.util.Comparator.comparing(Messenger.TransferInfo::id));
        return out;
    }

    private Incoming incoming(FileId id) throws AppException {
        if (transfers.get(id) instanceof Incoming in && !in.over) {
            return in;
        }
        throw new AppException(AppException.Reason.UNKNOWN_FILE, "There is no such file offer.");
    }

    // ---------------------------------------------------------------- from the peer

    /**
     * A FILE payload from {@code peer}, out of a session ({@code overSession}) or an inbox, already committed with
     * the ratchet. A session's reader runs before the session is published as the live one (§20.8), so a HAVE may
     * arrive over a session that {@link Host#live} does not show yet.
     */
    void message(Fingerprint peer, FileMessage m, boolean overSession) {
        try {
            if (m instanceof FileMessage.Offer o) {
                offered(peer, o.offer());
            } else if (m instanceof FileMessage.Have h) {
                have(peer, h, overSession);
            } else if (m instanceof FileMessage.Done d) {
                done(peer, d);
            } else if (m instanceof FileMessage.Cancel c) {
                cancelled(peer, c);
            }
        } catch (RuntimeException e) {
            LOG.error("file message from {} failed: {}", peer.shortForm(), e.toString());
        }
    }

    private void offered(Fingerprint peer, FileOffer offer) {
        Received before = received.get(offer.id());
        if (before != null) {
            offer.wipe();
            if (!before.peer().equals(peer)) {
                SECURITY.warn("file offer from {} reuses the id of a received file: ignored", peer.shortForm());
                return;
            }
            // Received and told before a restart: the DONE was lost on its way, and the sender asks again.
            sendControl(peer, before.done());
            return;
        }
        Transfer known = transfers.get(offer.id());
        if (known != null) {
            offer.wipe();
            if (!known.peer.equals(peer) || known.outgoing()) {
                SECURITY.warn("file offer from {} reuses the id of another transfer: ignored", peer.shortForm());
                return;
            }
            // The sender offers again after a reconnection: answer with where we are.
            if (known instanceof Incoming in) {
                if (done(in)) {
                    // It never heard DONE (an offer through the relay leaves it offered until it does).
                    tellDone(in, Optional.empty());
                } else if (in.file != null && !in.over) {
                    sendHave(in);
                }
            }
            return;
        }
        try {
            DownloadNames.check(offer.name());
        } catch (FileTransferException e) {
            SECURITY.warn("file offer {} from {} refused: {} ({})", offer.id(), peer.shortForm(), e.reason(),
                    PeerText.forLog(offer.name()));
            refuse(peer, offer, CancelReason.REFUSED);
            return;
        }
        if (offer.size() > limits.maxBytes()) {
            SECURITY.warn("file offer {} from {} refused: TOO_LARGE ({} bytes)", offer.id(), peer.shortForm(),
                    offer.size());
            refuse(peer, offer, CancelReason.TOO_LARGE);
            host.emit(new ChatEvent.FileFailed(peer.displayString(), offer.id().hex(), "A file of "
                    + offer.size() + " bytes was refused: it is larger than files.max_mb."));
            return;
        }
        // No file yet: the .part is made when the user accepts (or the first chunk comes through the relay).
        TransferStore.Transfer t = new TransferStore.Transfer(TransferStore.Direction.IN, peer, offer,
                TransferStore.Status.OFFERED, NO_FILE_YET, List.of());
        Incoming in = new Incoming(t, "asking");
        boolean auto = offer.size() <= limits.autoAcceptBytes();
        try {
            store.save(t);
        } catch (FileTransferException e) {
            LOG.warn("file offer {} not stored: {}", offer.id(), e.getMessage());
            refuse(peer, offer, CancelReason.NO_SPACE);
            return;
        }
        transfers.put(offer.id(), in);
        host.emit(new ChatEvent.FileOffered(peer.displayString(), offer.id().hex(), offer.name(), offer.size(),
                offer.mediaType(), auto));
        if (auto) {
            try {
                accept(offer.id());
            } catch (AppException e) {
                LOG.warn("file {} not accepted: {}", offer.id(), e.getMessage());
            }
        }
    }

    private void refuse(Fingerprint peer, FileOffer offer, CancelReason reason) {
        sendControl(peer, new FileMessage.Cancel(offer.id(), reason));
        offer.wipe();
    }

    /** The receiver's state: the sender (re)sends what it lacks. */
    private void have(Fingerprint peer, FileMessage.Have h, boolean overSession) {
        if (!(transfers.get(h.id()) instanceof Outgoing o) || !o.peer.equals(peer) || o.over) {
            SECURITY.warn("HAVE for unknown file {} from {} ignored", h.id(), peer.shortForm());
            return;
        }
        ChunkBitmap bits = h.chunks();
        if (bits.count() != o.offer.chunkCount()) {
            SECURITY.warn("HAVE for file {} from {} with {} chunks instead of {} ignored", h.id(), peer.shortForm(),
                    bits.count(), o.offer.chunkCount());
            return;
        }
        Optional<FileLink> live;
        synchronized (o) {
            // Under o: sessionUp looks at awaitingSession under o too, after the session is published.
            live = host.live(peer);
            o.awaitingSession = live.isEmpty() && overSession;
            o.have = new BitSet();
            for (int i = 0; i < bits.count(); i++) {
                if (bits.has(i)) {
                    o.have.set(i);
                }
            }
            if (o.stored.status() == TransferStore.Status.OFFERED) {
                o.stored = o.stored.withStatus(TransferStore.Status.ACCEPTED);
                try {
                    store.save(o.stored);
                } catch (FileTransferException e) {
                    LOG.warn("transfer {} not stored as accepted: {}", o.offer.id(), e.getMessage());
                }
            }
            o.generation++;
            o.inFlight.clear();
            o.state = live.isPresent() ? "sending" : "waiting";
            o.notifyAll();
        }
        progress(o, true);
        if (live.isPresent()) {
            int generation;
            synchronized (o) {
                generation = o.generation;
            }
            workers.execute(() -> sendDirect(o, live.get(), generation));
        } else if (overSession) {
            LOG.debug("file {}: HAVE before its session is published; sending starts when it is", o.offer.id());
        } else {
            synchronized (o) {
                // A HAVE through the relay follows a refused chunk (§24.5). The inbox delivers in posting order,
                // so every chunk up to the highest held one (and the one just past it) was taken or refused:
                // those missing are posted again.
                int top = o.have.length();
                for (int i = o.posted.nextSetBit(0); i >= 0 && i <= top; i = o.posted.nextSetBit(i + 1)) {
                    if (!o.have.get(i)) {
                        o.posted.clear(i);
                    }
                }
            }
            workers.execute(() -> relayChunks(o));
        }
    }

    private void done(Fingerprint peer, FileMessage.Done d) {
        if (!(transfers.get(d.id()) instanceof Outgoing o) || !o.peer.equals(peer) || o.over) {
            LOG.info("DONE for unknown file {} from {} ignored", d.id(), peer.shortForm());
            return;
        }
        if (!MessageDigest.isEqual(d.sha256(), o.offer.sha256())) {
            SECURITY.warn("DONE for file {} from {} names another hash", d.id(), peer.shortForm());
        }
        synchronized (o) {
            o.have.set(0, o.offer.chunkCount());
            o.state = "done";
        }
        progress(o, true);
        finishStored(o, TransferStore.Status.DONE);
        host.emit(new ChatEvent.FileDone(peer.displayString(), d.id().hex(), o.stored.path().toString(),
                HexFormat.of().formatHex(o.offer.sha256())));
        forget(o);
    }

    private void cancelled(Fingerprint peer, FileMessage.Cancel c) {
        Transfer t = transfers.get(c.id());
        if (t == null || !t.peer.equals(peer) || t.over) {
            LOG.info("CANCEL for unknown file {} from {} ignored", c.id(), peer.shortForm());
            return;
        }
        end(t, null, host.name(peer) + ": " + c.reason().sentence(), false);
    }

    /** A chunk from {@code peer}: verified, written, acknowledged on {@code via} (absent: it came from the relay). */
    void chunk(Fingerprint peer, Chunk chunk, Optional<FileLink> via) {
        if (closed) {
            // The .part is closed or closing: a chunk now would fail as the disk's fault and remove it. Held chunks
            // stay; this one is sent again after the next start's HAVE.
            return;
        }
        if (!(transfers.get(chunk.id()) instanceof Incoming in) || !in.peer.equals(peer) || in.over) {
            SECURITY.warn("chunk {} of unknown file {} from {} refused: UNKNOWN_FILE", chunk.index(), chunk.id(),
                    peer.shortForm());
            return;
        }
        try {
            ChunkSealer.OpenedChunk opened = ChunkSealer.open(in.offer, chunk);
            boolean fresh;
            boolean whole;
            synchronized (in) {
                if (in.over || in.completing) {
                    // A copy that lost the race to the one that made the file whole (the inbox and the session
                    // both carry chunks): the file is held, or being closed, and writing would fail on a closed
                    // file. Nothing to do: DONE tells the sender.
                    in.duplicates++;
                    return;
                }
                if (in.file == null) {
                    if (via.isPresent()) {
                        // Direct chunks come only after our HAVE accepted the offer.
                        SECURITY.warn("chunk of file {} from {} before it was accepted refused", in.offer.id(),
                                peer.shortForm());
                        return;
                    }
                    // Through the relay the sender posts without waiting (§24.5): kept in the .part meanwhile.
                    reservePart(in);
                }
                fresh = in.file.write(chunk.index(), opened);
                if (fresh) {
                    in.have.set(chunk.index());
                    in.rateBytes += opened.length();
                    if ("waiting".equals(in.state)) {
                        in.state = "receiving";
                    }
                } else {
                    in.duplicates++;
                    LOG.debug("file {}: chunk {} again (held already, {} so far)", in.offer.id(), chunk.index(),
                            in.duplicates);
                }
                // Decided under the lock: chunks arrive over a session and through the inbox at once, and only
                // the write that made the file whole may complete it.
                // Kept before the user decided (relay path): completed only once accepted.
                whole = fresh && in.file.complete() && !"asking".equals(in.state);
            }
            via.ifPresent(s -> s.sendFrame(ChatFrame.chunkAck(in.offer.id(), chunk.index())));
            if (!"asking".equals(in.state)) {
                progress(in, false);
            }
            if (whole) {
                completeLater(in);
            }
        } catch (FileTransferException e) {
            if (closed) {
                LOG.info("file {}: chunk {} not kept: closing", in.offer.id(), chunk.index());
                return;
            }
            switch (e.reason()) {
                case NO_SPACE, STORAGE_FAILED -> {
                    LOG.warn("file {}: {}", in.offer.id(), e.getMessage());
                    end(in, e.reason() == FileTransferException.Reason.NO_SPACE ? CancelReason.NO_SPACE
                            : CancelReason.SAVE_FAILED, e.reason() == FileTransferException.Reason.NO_SPACE
                                    ? "The disk is full: the partial file was removed." : e.getMessage(), true);
                }
                default -> {
                    // A chunk refused (BAD_INDEX, BAD_CHUNK, BAD_PROOF): logged, and asked for again.
                    SECURITY.warn("chunk {} of file {} from {} refused: {}", chunk.index(), in.offer.id(),
                            peer.shortForm(), e.reason());
                    sendHave(in);
                }
            }
        }
    }

    /** The receiver stored chunk {@code index}: one more may go. */
    void chunkAck(Fingerprint peer, FileId id, int index) {
        if (!(transfers.get(id) instanceof Outgoing o) || !o.peer.equals(peer)) {
            SECURITY.warn("CHUNK_ACK for unknown file {} from {} ignored", id, peer.shortForm());
            return;
        }
        synchronized (o) {
            if (index < 0 || index >= o.offer.chunkCount()) {
                return;
            }
            o.inFlight.clear(index);
            if (!o.have.get(index)) {
                o.have.set(index);
                o.rateBytes += o.offer.chunkLength(index);
            }
            o.notifyAll();
        }
        progress(o, false);
    }

    /** A session with {@code peer} is up: receivers say where they are, unanswered offers go again. */
    void sessionUp(Fingerprint peer, FileLink s) {
        for (Transfer t : transfers.values()) {
            if (t.peer.equals(peer) && t instanceof Incoming done && untold(done)) {
                tellDone(done, Optional.of(s));
                continue;
            }
            if (t instanceof Incoming held && t.peer.equals(peer) && takeHeld(held)) {
                // Found whole at start and not yet completed: its sender is here to hear DONE.
                completeLater(held);
                continue;
            }
            if (!t.peer.equals(peer) || t.over) {
                continue;
            }
            if (t instanceof Incoming in) {
                if (in.file != null && in.stored.status() == TransferStore.Status.ACCEPTED) {
                    sendHave(in);
                }
            } else if (t instanceof Outgoing o) {
                synchronized (o) {
                    // Under the lock, which forget() takes to wipe the key: a DONE handled meanwhile on the reader
                    // ends the transfer first, and no OFFER is encoded from a wiped key.
                    if (!o.over && (o.stored.status() == TransferStore.Status.OFFERED || allAcknowledged(o))) {
                        // Unanswered, or every chunk acknowledged and no DONE yet (lost with the last session):
                        // the receiver answers a repeated OFFER with where it is, or with DONE.
                        sendControl(s, new FileMessage.Offer(o.offer));
                    }
                }
                int generation = -1;
                synchronized (o) {
                    if (o.awaitingSession) {
                        // The receiver's HAVE came over this session before it was published: go on from it.
                        o.awaitingSession = false;
                        o.state = "sending";
                        generation = o.generation;
                    }
                }
                if (generation >= 0) {
                    int g = generation;
                    workers.execute(() -> sendDirect(o, s, g));
                }
            }
        }
    }

    // ---------------------------------------------------------------- sending chunks

    /**
     * Sends the chunks the receiver lacks over {@code s}, with at most {@link #WINDOW} unacknowledged. The next
     * chunk is read and sealed on another thread while this one is written to the channel, so the file's crypto
     * overlaps the channel's (§24.5); sealing a chunk again gives the same bytes (§24.3), so one sealed ahead and
     * not sent costs nothing.
     */
    private void sendDirect(Outgoing o, FileLink s, int generation) {
        int count = o.offer.chunkCount();
        SealAhead ahead = new SealAhead(o);
        for (int i = 0; i < count; i++) {
            int next;
            synchronized (o) {
                while (o.generation == generation && !o.over && !closed && s.isLive()
                        && o.inFlight.cardinality() >= WINDOW) {
                    try {
                        o.wait(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (o.generation != generation || o.over || closed || !s.isLive()) {
                    return;
                }
                if (o.have.get(i)) {
                    continue;
                }
                o.inFlight.set(i);
                next = o.have.nextClearBit(i + 1);
            }
            byte[] sealedChunk;
            try {
                sealedChunk = ahead.take(i);
            } catch (FileTransferException e) {
                end(o, CancelReason.FAILED, e.getMessage(), true);
                return;
            }
            if (next < count) {
                ahead.start(next);
            }
            if (!s.sendFrame(ChatFrame.chunk(new Chunk(o.offer.id(), i, sealedChunk)))) {
                synchronized (o) {
                    o.state = "waiting";
                }
                return;
            }
            sent(o, i);
        }
    }

    /**
     * Posts the chunks not known to be held (nor posted already) into the contact's inbox, one at a time, lowest
     * index first; a chunk a HAVE asked for again (its posted mark cleared) is picked up by the same loop.
     */
    private void relayChunks(Outgoing o) {
        synchronized (o) {
            if (o.relayLoop || o.over) {
                return;
            }
            o.relayLoop = true;
            o.state = "sending";
        }
        int count = o.offer.chunkCount();
        try {
            while (true) {
                int i;
                synchronized (o) {
                    if (o.over || closed || host.live(o.peer).isPresent()) {
                        // A session took over: its HAVE drives the rest.
                        return;
                    }
                    BitSet todo = (BitSet) o.have.clone();
                    todo.or(o.posted);
                    i = todo.nextClearBit(0);
                    if (i >= count) {
                        return;
                    }
                }
                byte[] sealedChunk;
                try {
                    sealedChunk = new Chunk(o.offer.id(), i, sealed(o, i)).encode();
                } catch (FileTransferException e) {
                    end(o, CancelReason.FAILED, e.getMessage(), true);
                    return;
                }
                Optional<CompletableFuture<Void>> f = host.postChunk(o.peer, sealedChunk);
                if (f.isEmpty()) {
                    return;
                }
                try {
                    await(f.get());
                } catch (AppException e) {
                    long posted;
                    synchronized (o) {
                        posted = o.posted.cardinality();
                        o.state = "waiting";
                    }
                    host.emit(new ChatEvent.Notice("The relay did not take more of " + o.offer.name() + " ("
                            + posted + " of " + count + " chunks posted): " + e.getMessage()
                            + " The rest is sent when " + host.name(o.peer) + " is online."));
                    return;
                }
                synchronized (o) {
                    o.posted.set(i);
                }
                sent(o, i);
            }
        } finally {
            synchronized (o) {
                o.relayLoop = false;
            }
        }
    }

    /** One chunk of an outgoing transfer read and sealed ahead of its turn, on a worker. Used by one thread. */
    private final class SealAhead {
        private final Outgoing o;
        private int index = -1;
        private CompletableFuture<byte[]> sealing;

        SealAhead(Outgoing o) {
            this.o = o;
        }

        /** Starts sealing chunk {@code i}, the one the sender expects to take next. */
        void start(int i) {
            index = i;
            sealing = CompletableFuture.supplyAsync(() -> {
                try {
                    return sealed(o, i);
                } catch (FileTransferException e) {
                    throw new CompletionException(e);
                }
            }, workers);
        }

        /** Chunk {@code i} sealed: the one sealed ahead when it is {@code i}, else sealed now on this thread. */
        byte[] take(int i) throws FileTransferException {
            CompletableFuture<byte[]> f = index == i ? sealing : null;
            index = -1;
            sealing = null;
            if (f == null) {
                return sealed(o, i);
            }
            try {
                return f.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof FileTransferException failure) {
                    throw failure;
                }
                throw e;
            }
        }
    }

    /** Reads, checks against its leaf and seals chunk {@code i}. */
    private static byte[] sealed(Outgoing o, int i) throws FileTransferException {
        return o.source.sealChunk(o.offer, i, o.tree.auditPath(i));
    }

    private void sent(Outgoing o, int i) {
        boolean again;
        synchronized (o) {
            again = o.everSent.get(i);
            o.everSent.set(i);
            if (again) {
                o.resent++;
            }
        }
        CHUNKS.debug("file {} chunk {} sent{}", o.offer.id(), i, again ? " again" : "");
    }

    // ---------------------------------------------------------------- receiving

    private void reservePart(Incoming in) throws FileTransferException {
        try {
            Files.createDirectories(downloads);
            Path part = DownloadNames.reservePart(downloads, DownloadNames.sanitise(in.offer.name()));
            in.stored = in.stored.withPath(part);
            store.save(in.stored);
        } catch (IOException e) {
            throw new FileTransferException(FileTransferException.Reason.STORAGE_FAILED,
                    "The downloads folder cannot be written.", e);
        }
        openPart(in);
    }

    private void openPart(Incoming in) throws FileTransferException {
        in.file = ReceivingFile.open(in.stored.path(), store.journalOf(in.offer.id()), in.offer);
        in.have = in.file.have();
    }

    /**
     * Completes {@code in} on a worker thread. The whole-file check fsyncs the file and reads back what was not
     * hashed in order (§24.5), which takes as long as the file is large; the thread that delivered the last chunk is
     * the session's reader (or the courier's), and a text behind that chunk must not wait for it (§24.8).
     */
    private void completeLater(Incoming in) {
        try {
            completions.execute(() -> completeIncoming(in));
        } catch (RejectedExecutionException e) {
            // Closing: nothing is removed; the stored transfer, its .part and its journal stay as they are.
            LOG.info("file {} not completed: closing", in.offer.id());
        }
    }

    private void completeIncoming(Incoming in) {
        Path done;
        try {
            synchronized (in) {
                if (in.over || in.completing) {
                    return;
                }
                in.completing = true;
                byte[] sha = in.file.sha256();
                if (!MessageDigest.isEqual(sha, in.offer.sha256())) {
                    SECURITY.warn("file {} from {} refused: NOT_VERIFIED (every chunk verified, the whole file's "
                            + "SHA-256 is not the offer's)", in.offer.id(), in.peer.shortForm());
                    end(in, CancelReason.NOT_VERIFIED, "The file did not verify: it was removed.", true);
                    return;
                }
                in.file.close();
                done = DownloadNames.finish(in.stored.path(), downloads);
                // Ended under the lock: a cancel waiting for it finds the file kept, not a transfer to cancel.
                in.stored = in.stored.withPath(done).withStatus(TransferStore.Status.DONE);
                in.over = true;
                in.state = "done";
            }
        } catch (FileTransferException | IOException e) {
            if (closed) {
                // Closing interrupted the check (or closed the .part under it): the file is not at fault. Nothing
                // is removed; the stored transfer is still accepted with every chunk held, and the next start
                // completes it.
                LOG.info("file {} not finished: closing; it completes at the next start", in.offer.id());
                return;
            }
            LOG.warn("file {} not finished: {}", in.offer.id(), e.getMessage());
            end(in, CancelReason.SAVE_FAILED, "The file could not be saved: " + e.getMessage(), true);
            return;
        }
        finishStored(in, TransferStore.Status.DONE);
        synchronized (in) {
            in.doneStored = true;
        }
        progress(in, true);
        // The sender is told before the user is (as a DONE sent at once always was): whoever sees file_done may
        // count on the DONE being on its way.
        tellDone(in, Optional.empty());
        host.emit(new ChatEvent.FileDone(in.peer.displayString(), in.offer.id().hex(), done.toString(),
                HexFormat.of().formatHex(in.offer.sha256())));
    }

    private static boolean done(Incoming in) {
        synchronized (in) {
            return in.doneStored;
        }
    }

    /**
     * Every chunk acknowledged, no DONE, and the receiver still remembers the file if it was told (§24.6): past
     * that, a repeated offer would ask its user again and the whole file would go once more.
     */
    private boolean allAcknowledged(Outgoing o) {
        synchronized (o) {
            return !o.over && o.have.cardinality() == o.offer.chunkCount()
                    && o.offer.time().plus(RECEIVED_KEPT).isAfter(clock.instant());
        }
    }

    /** Whether {@code in} was held at start and is now taken from there (to be completed by the caller). */
    private boolean takeHeld(Incoming in) {
        synchronized (heldAtStart) {
            return heldAtStart.remove(in);
        }
    }

    /** A received file kept (stored done) whose DONE has not yet reached a session or the relay. */
    private static boolean untold(Incoming in) {
        if (!in.over) {
            // Not ended (maybe being checked right now, under its lock, for seconds): not done.
            return false;
        }
        synchronized (in) {
            return in.doneStored && !in.told;
        }
    }

    /**
     * Tells the sender a received file is kept: through {@code via} or the live session, else the contact's inbox.
     * The record becomes TOLD only once one of them took the DONE; until then it stays done, and the next session
     * (or the next relay connection after a start) tells it, so a sender does not wait for ever on a file it has
     * delivered.
     */
    private void tellDone(Incoming in, Optional<FileLink> via) {
        FileMessage.Done m = new FileMessage.Done(in.offer.id(), in.offer.sha256());
        Optional<FileLink> session = via.isPresent() ? via : host.live(in.peer);
        if (session.isPresent() && sendControl(session.get(), m)) {
            told(in);
            return;
        }
        Optional<CompletableFuture<Void>> posted = host.postControl(in.peer, ChatPayload.file(m));
        if (posted.isEmpty()) {
            LOG.info("file {}: DONE waits for the next session with {}", in.offer.id(), in.peer.shortForm());
            return;
        }
        var unused = posted.get().whenComplete((ok, e) -> {
            if (e == null) {
                told(in);
            } else {
                LOG.info("file {}: DONE not posted ({}); it goes at the next session", in.offer.id(),
                        e.getMessage());
            }
        });
    }

    /**
     * The sender was told: the record stays as TOLD, without its journal, for {@link #RECEIVED_KEPT}, to answer a
     * repeated offer after a restart (§24.6); the key is wiped in memory.
     */
    private void told(Incoming in) {
        TransferStore.Transfer kept;
        synchronized (in) {
            if (in.told) {
                return;
            }
            in.told = true;
            in.stored = in.stored.withStatus(TransferStore.Status.TOLD);
            kept = in.stored;
        }
        try {
            store.save(kept);
            store.deleteJournal(in.offer.id());
        } catch (FileTransferException e) {
            LOG.warn("transfer {}: the told record not stored: {}", in.offer.id(), e.getMessage());
        }
        if (in.file != null) {
            in.file.close();
        }
        synchronized (in) {
            in.offer.wipe();
        }
    }

    private void sendHave(Incoming in) {
        BitSet have;
        synchronized (in) {
            have = (BitSet) in.have.clone();
        }
        int count = in.offer.chunkCount();
        // The wire layout of §24.2 (bit 7 - i mod 8 of byte i / 8), built at once: with() copies per bit.
        byte[] bitmap = new byte[ChunkBitmap.bytesFor(count)];
        for (int i = have.nextSetBit(0); i >= 0 && i < count; i = have.nextSetBit(i + 1)) {
            bitmap[i >>> 3] |= (byte) (0x80 >>> (i & 7));
        }
        ChunkBitmap bits;
        try {
            bits = ChunkBitmap.decode(count, bitmap);
        } catch (CryptoException e) {
            throw new IllegalStateException("a bitmap of our own making", e);
        }
        sendControl(in.peer, new FileMessage.Have(in.offer.id(), bits));
    }

    // ---------------------------------------------------------------- endings and plumbing

    /**
     * Ends {@code t}: the peer told (when {@code tell}, with {@code reason}), a partial file removed, the state
     * stored, the user told.
     */
    private void end(Transfer t, CancelReason reason, String sentence, boolean tell) {
        synchronized (t) {
            if (t.over) {
                return;
            }
            t.over = true;
            t.state = reason == CancelReason.CANCELLED || reason == null ? "cancelled" : "failed";
            t.notifyAll();
        }
        if (tell && reason != null) {
            sendControl(t.peer, new FileMessage.Cancel(t.offer.id(), reason));
        }
        if (t instanceof Incoming in && in.file != null) {
            try {
                in.file.discard();
            } catch (FileTransferException e) {
                LOG.warn("file {}: the partial file was not removed: {}", t.offer.id(), e.getMessage());
            }
        }
        finishStored(t, reason == CancelReason.CANCELLED || reason == null
                ? TransferStore.Status.CANCELLED : TransferStore.Status.FAILED);
        host.emit(new ChatEvent.FileFailed(t.peer.displayString(), t.offer.id().hex(), sentence));
        forget(t);
    }

    private void finishStored(Transfer t, TransferStore.Status status) {
        synchronized (t) {
            t.over = true;
            t.stored = t.stored.withStatus(status);
        }
        try {
            store.save(t.stored);
        } catch (FileTransferException e) {
            if (Thread.interrupted()) {
                // A close that gave up waiting (a completion past its rename): the ending must still be stored,
                // or the next start would look for a .part that is gone. Once more without the interrupt.
                try {
                    store.save(t.stored);
                    return;
                } catch (FileTransferException again) {
                    e = again;
                } finally {
                    Thread.currentThread().interrupt();
                }
            }
            LOG.warn("transfer {} end not stored: {}", t.offer.id(), e.getMessage());
        }
    }

    /** After its final event: the stored state goes, the key is wiped; it stays listed until the next start. */
    private void forget(Transfer t) {
        try {
            store.delete(t.offer.id());
        } catch (FileTransferException e) {
            LOG.warn("transfer {} not deleted: {}", t.offer.id(), e.getMessage());
        }
        if (t instanceof Incoming in && in.file != null) {
            in.file.close();
        }
        synchronized (t) {
            // Under the lock: sessionUp encodes a repeated OFFER (the key in it) under it, after checking over.
            t.offer.wipe();
        }
    }

    private boolean sendControl(FileLink s, FileMessage m) {
        try {
            return s.sendControl(ChatPayload.file(m));
        } catch (AppException e) {
            LOG.warn("file message not sent: {}", e.getMessage());
            return false;
        }
    }

    /** Through the live session, else the contact's inbox; a HAVE or DONE that cannot go now goes at the next session. */
    private void sendControl(Fingerprint peer, FileMessage m) {
        Optional<FileLink> live = host.live(peer);
        if (live.isPresent() && sendControl(live.get(), m)) {
            return;
        }
        Optional<CompletableFuture<Void>> posted = host.postControl(peer, ChatPayload.file(m));
        if (posted.isPresent()) {
            // The courier logs a failure; the next session repeats what matters (HAVE, OFFER).
            var unused = posted.get().whenComplete((ok, e) -> {
                if (e != null) {
                    LOG.info("file message to {} not posted: {}", peer.shortForm(), e.getMessage());
                }
            });
        }
    }

    private void setState(Transfer t, String state) {
        synchronized (t) {
            if (!t.over) {
                t.state = state;
            }
        }
    }

    /** At most one progress event per transfer every 250 ms, and always the one that says it is complete. */
    private void progress(Transfer t, boolean force) {
        long now = System.nanoTime();
        long bytes;
        long rate;
        synchronized (t) {
            long since = now - t.rateSinceNanos;
            if (since >= TimeUnit.SECONDS.toNanos(1)) {
                t.rate = t.rateBytes * 1_000_000_000L / since;
                t.rateBytes = 0;
                t.rateSinceNanos = now;
            }
            if (!force && now - t.lastProgressNanos < PROGRESS_INTERVAL_NANOS) {
                return;
            }
            t.lastProgressNanos = now;
            bytes = t.bytes();
            rate = t.rate;
        }
        host.emit(new ChatEvent.FileProgress(t.peer.displayString(), t.offer.id().hex(), bytes, t.offer.size(), rate));
    }

    private static void await(CompletableFuture<Void> f) throws AppException {
        try {
            f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RelayException r && (r.reason() == RelayException.Reason.QUOTA_EXCEEDED
                    || r.reason() == RelayException.Reason.TOO_LARGE)) {
                throw new AppException(AppException.Reason.UNREACHABLE, "the relay's mailbox quota is too small for "
                        + "this file (" + r.getMessage() + ").", r);
            }
            throw new AppException(AppException.Reason.UNREACHABLE, c == null ? "the relay failed."
                    : c.getMessage(), e);
        } catch (TimeoutException e) {
            throw new AppException(AppException.Reason.UNREACHABLE, "the relay did not answer in time.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AppException(AppException.Reason.UNREACHABLE, "interrupted.", e);
        }
    }

    /** How many chunks this process sent more than once (tests, diagnostics). */
    int resent(FileId id) {
        return transfers.get(id) instanceof Outgoing o ? o.resent : 0;
    }

    @Override
    public void close() {
        closed = true;
        completions.shutdown();
        workers.shutdownNow();
        try {
            if (!completions.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                completions.shutdownNow();
            }
        } catch (InterruptedException e) {
            completions.shutdownNow();
            Thread.currentThread().interrupt();
        }
        for (Transfer t : transfers.values()) {
            if (t instanceof Incoming in && in.file != null) {
                in.file.close();
            }
        }
    }
}
