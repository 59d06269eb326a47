package org.securep2p.app;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

import org.securep2p.app.store.AtomicFile;
import org.securep2p.app.store.SealedFormat;
import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.relay.Inbox;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.SendCapability;
import org.securep2p.relay.SigningKey;

/**
 * A contact's two mailboxes (PROTOCOL.md §22.5): the inbox this side owns for the contact, the contact's inbox
 * this side may post into, and how far the queue has been posted there. One sealed file per contact,
 * {@code conversations/<hex fingerprint>.mailbox} (role {@code mailbox}, context the fingerprint in hex, the
 * conversations' storage key), replaced atomically. A file that does not open is an error, never "no mailboxes":
 * replacing it would strand the inbox the contact was told about.
 *
 * <p>Not its job: talking to a relay (the {@link RelayCourier}).
 */
final class MailboxStore implements AutoCloseable {

    static final String ROLE = "mailbox";
    private static final int VERSION = 1;
    /** Two addresses and four 32-byte values: far below this. */
    private static final int MAX_FILE = 4096;

    /** What is stored for one contact. Holds seeds: {@link #destroy()} zeroes them; toString shows none. */
    record Mailboxes(Optional<Inbox> own, Optional<SendCapability> peer, long postedUpTo) {
        static final Mailboxes NONE = new Mailboxes(Optional.empty(), Optional.empty(), 0);

        Mailboxes {
            Objects.requireNonNull(own);
            Objects.requireNonNull(peer);
            if (postedUpTo < 0) {
                throw new IllegalArgumentException("posted_up_to is not negative");
            }
        }

        Mailboxes withOwn(Inbox inbox) {
            return new Mailboxes(Optional.of(inbox), peer, postedUpTo);
        }

        /** The contact's (new) inbox: nothing of the queue has been posted there yet. */
        Mailboxes withPeer(SendCapability inbox) {
            return new Mailboxes(own, Optional.of(inbox), 0);
        }

        Mailboxes withPostedUpTo(long sequence) {
            return new Mailboxes(own, peer, sequence);
        }

        void destroy() {
            own.ifPresent(Inbox::destroy);
            peer.ifPresent(p -> p.sendKey().destroy());
        }

        @Override
        public String toString() {
            return "Mailboxes[own " + own.isPresent() + ", peer " + peer.isPresent() + ", posted up to " + postedUpTo
                    + "]";
        }
    }

    private final Path dir;
    private final SecretBytes key;
    private final SecureRandom random;

    MailboxStore(Path dir, SecretBytes storageKey, SecureRandom random) throws StoreException {
        this.dir = dir;
        this.key = SealedFormat.copyKey(storageKey);
        this.random = random;
        AtomicFile.ensureDirectory(dir);
    }

    /** The contact's mailboxes; {@link Mailboxes#NONE} when it has no file. A file that does not open throws. */
    synchronized Mailboxes load(Fingerprint peer) throws AppException {
        Path file = fileFor(peer);
        try {
            Optional<byte[]> sealed = AtomicFile.read(file, MAX_FILE);
            if (sealed.isEmpty()) {
                return Mailboxes.NONE;
            }
            byte[] plain = SealedFormat.open(ROLE, context(peer), sealed.get(), key, random,
                    file.getFileName().toString());
            try {
                return decode(plain);
            } catch (CryptoException e) {
                throw new StoreException(StoreException.Reason.CORRUPT, file.getFileName() + ": " + e.reason());
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        } catch (StoreException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, "the mailbox file " + file.getFileName()
                    + " does not open (" + e.getMessage() + "); it was left untouched", e);
        }
    }

    /** Replaces the contact's file, atomically and durably, before returning. */
    synchronized void save(Fingerprint peer, Mailboxes m) throws AppException {
        byte[] plain = encode(m);
        try {
            AtomicFile.write(fileFor(peer), SealedFormat.seal(ROLE, context(peer), plain, key, random));
        } catch (StoreException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, "could not save the mailboxes: "
                    + e.getMessage(), e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    static byte[] encode(Mailboxes m) {
        StrictWriter w = new StrictWriter().u8(VERSION);
        if (m.own().isPresent()) {
            Inbox own = m.own().get();
            byte[] receive = own.receiveKey().seed();
            byte[] send = own.sendKey().seed();
            w.u8(1).var16(own.relay().toString().getBytes(StandardCharsets.UTF_8)).bytes(own.id().bytes())
                    .bytes(receive).bytes(send);
            Arrays.fill(receive, (byte) 0);
            Arrays.fill(send, (byte) 0);
        } else {
            w.u8(0);
        }
        if (m.peer().isPresent()) {
            SendCapability peer = m.peer().get();
            byte[] send = peer.sendKey().seed();
            w.u8(1).var16(peer.relay().toString().getBytes(StandardCharsets.UTF_8)).bytes(peer.id().bytes())
                    .bytes(send);
            Arrays.fill(send, (byte) 0);
        } else {
            w.u8(0);
        }
        return w.u64(m.postedUpTo()).toByteArrayThenWipe();
    }

    static Mailboxes decode(byte[] plain) throws CryptoException {
        StrictReader r = new StrictReader(plain, "mailbox file");
        int version = r.u8("version");
        if (version != VERSION) {
            throw new CryptoException(CryptoException.Reason.UNKNOWN_VERSION, "mailbox file version " + version);
        }
        Optional<Inbox> own = Optional.empty();
        if (flag(r, "has_own")) {
            RelayAddress relay = relay(r);
            MailboxId id = MailboxId.of(r.fixed(MailboxId.LENGTH, "mailbox"));
            own = Optional.of(new Inbox(relay, id, key(r, "receive seed"), key(r, "send seed")));
        }
        Optional<SendCapability> peer = Optional.empty();
        if (flag(r, "has_peer")) {
            RelayAddress relay = relay(r);
            MailboxId id = MailboxId.of(r.fixed(MailboxId.LENGTH, "mailbox"));
            peer = Optional.of(new SendCapability(relay, id, key(r, "send seed")));
        }
        long posted = r.u64("posted_up_to");
        if (posted < 0) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "mailbox file: posted_up_to");
        }
        r.expectEnd();
        return new Mailboxes(own, peer, posted);
    }

    private static boolean flag(StrictReader r, String field) throws CryptoException {
        int v = r.u8(field);
        if (v > 1) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "mailbox file: " + field);
        }
        return v == 1;
    }

    private static RelayAddress relay(StrictReader r) throws CryptoException {
        try {
            return RelayAddress.parse(new String(r.var16(1, RelayAddress.MAX_TEXT, "relay"), StandardCharsets.UTF_8));
        } catch (RelayException e) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "mailbox file: relay address");
        }
    }

    private static SigningKey key(StrictReader r, String field) throws CryptoException {
        byte[] seed = r.fixed(SigningKey.SEED_LENGTH, field);
        try {
            return SigningKey.fromSeed(seed);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    private Path fileFor(Fingerprint peer) {
        return dir.resolve(context(peer) + ".mailbox");
    }

    private static String context(Fingerprint peer) {
        return HexFormat.of().formatHex(peer.toBytes());
    }

    @Override
    public synchronized void close() {
        key.close();
    }
}
