package org.securep2p.relay.server;

import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayException;

/**
 * A mailbox store that alters what it is given, once: the first item of kind CHUNK (code 2, PROTOCOL.md §24.3)
 * posted into any mailbox is stored with one byte of its body flipped; everything else passes untouched. It models
 * a relay (or a disk under it) corrupting a file chunk, which the receiver must refuse and ask for again. Reads the
 * blob as {@code MailboxItem} lays it out ({@code u8 version || u8 kind || u32 length || body || padding}) rather
 * than through the codec, so it does not depend on the app's item kinds. Says on {@code out} when it did it, so a
 * test can tell a refused chunk from one that was never altered. Test code only.
 */
final class TamperingMailboxStore implements MailboxStore {

    /** The mailbox item kind of a file chunk. */
    static final int CHUNK_KIND = 2;
    private static final int HEADER = 6;

    private final MailboxStore store;
    private final PrintStream out;
    private final AtomicBoolean done = new AtomicBoolean();

    TamperingMailboxStore(MailboxStore store, PrintStream out) {
        this.store = store;
        this.out = out;
    }

    /**
     * The blob with one byte flipped in the middle of its body (inside the sealed chunk, past its file id and index)
     * if it is an item of kind CHUNK; else empty.
     */
    static Optional<byte[]> tampered(byte[] blob) {
        if (blob.length <= HEADER || blob[0] != 1 || blob[1] != CHUNK_KIND) {
            return Optional.empty();
        }
        long length = ((blob[2] & 0xFFL) << 24) | ((blob[3] & 0xFFL) << 16) | ((blob[4] & 0xFFL) << 8)
                | (blob[5] & 0xFFL);
        if (length < 1 || length > blob.length - HEADER) {
            return Optional.empty();
        }
        byte[] copy = blob.clone();
        copy[HEADER + (int) (length / 2)] ^= 0x01;
        return Optional.of(copy);
    }

    @Override
    public long post(MailboxId mailbox, byte[] blob, Instant now, Instant expires) throws RelayException {
        Optional<byte[]> altered = done.get() ? Optional.empty() : tampered(blob);
        if (altered.isPresent() && done.compareAndSet(false, true)) {
            long sequence = store.post(mailbox, altered.get(), now, expires);
            out.println("tampered: chunk item " + sequence + ", one byte of its body flipped");
            out.flush();
            return sequence;
        }
        return store.post(mailbox, blob, now, expires);
    }

    @Override
    public void create(MailboxId mailbox, byte[] receiveKey, byte[] sendKey, Instant now) throws RelayException {
        store.create(mailbox, receiveKey, sendKey, now);
    }

    @Override
    public Optional<Keys> keys(MailboxId mailbox) throws RelayException {
        return store.keys(mailbox);
    }

    @Override
    public List<Item> itemsAfter(MailboxId mailbox, long after, Instant now, int limit) throws RelayException {
        return store.itemsAfter(mailbox, after, now, limit);
    }

    @Override
    public int delete(MailboxId mailbox, long upTo) throws RelayException {
        return store.delete(mailbox, upTo);
    }

    @Override
    public int sweep(Instant now) throws RelayException {
        return store.sweep(now);
    }

    @Override
    public void close() {
        store.close();
    }
}
