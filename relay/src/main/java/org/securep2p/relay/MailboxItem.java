package org.securep2p.relay;

import java.util.Arrays;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

/**
 * What one contact posts into the other's inbox (PROTOCOL.md §22.4): {@code u8 version || u8 kind || var32 body}
 * padded with zero bytes to the smallest of {@link #BUCKETS} that holds it, so the relay learns only a size
 * class. The body is already end-to-end protected (a ratchet message or a sealed file chunk); the padding is checked to be all zeros so
 * that one item has one encoding. Immutable.
 */
@SuppressWarnings("ArrayRecordComponent") // copied in and out; equals and hashCode below compare the contents
public record MailboxItem(Kind kind, byte[] body) {

    public static final int VERSION = 1;
    /** Padded sizes, smallest first; the largest is {@link RelayFrame#MAX_BLOB}. A copy for callers to read. */
    @SuppressWarnings("MutablePublicArray") // callers read it; the codec uses SIZES, which no caller can reach
    public static final int[] BUCKETS = {1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18, RelayFrame.MAX_BLOB};
    private static final int[] SIZES = BUCKETS.clone();
    /** Largest body: the top bucket less the 6-byte header. */
    public static final int MAX_BODY = RelayFrame.MAX_BLOB - 6;

    /** What the body is. */
    public enum Kind {
        /** A ratchet wire message (§10) of the conversation the inbox belongs to. */
        RATCHET(1),
        /** A file's sealed chunk (§24.3), opaque here: it is sealed end to end under the file's key. */
        CHUNK(2);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    public MailboxItem {
        if (body == null || body.length < 1 || body.length > MAX_BODY) {
            throw new IllegalArgumentException("an item body is 1.." + MAX_BODY + " bytes");
        }
        body = body.clone();
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    /** Equal kinds and equal bodies (a record compares arrays by identity). */
    @Override
    public boolean equals(Object o) {
        return o instanceof MailboxItem other && kind == other.kind && Arrays.equals(body, other.body);
    }

    @Override
    public int hashCode() {
        return 31 * kind.hashCode() + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "MailboxItem[" + kind + ", " + body.length + " bytes]";
    }

    /** The padded blob to post. */
    public byte[] encode() {
        byte[] plain = new StrictWriter().u8(VERSION).u8(kind.code).var32(body).toByteArray();
        return Arrays.copyOf(plain, bucketFor(plain.length));
    }

    /** The smallest bucket of at least {@code length} bytes. */
    public static int bucketFor(int length) {
        for (int b : SIZES) {
            if (length <= b) {
                return b;
            }
        }
        throw new IllegalArgumentException("over the largest bucket");
    }

    /** Reads a blob taken from an inbox: its length must be a bucket, the padding zeros. */
    public static MailboxItem decode(byte[] blob) throws RelayException {
        if (blob == null || Arrays.binarySearch(SIZES, blob.length) < 0) {
            throw new RelayException(RelayException.Reason.BAD_FRAME, "A mailbox item is not of a padded size.");
        }
        StrictReader r = new StrictReader(blob, "mailbox item");
        try {
            int version = r.u8("version");
            if (version != VERSION) {
                throw new RelayException(RelayException.Reason.UNKNOWN_VERSION,
                        "Mailbox item version " + version + " is not spoken here.");
            }
            int code = r.u8("kind");
            Kind kind = Arrays.stream(Kind.values()).filter(k -> k.code == code).findFirst()
                    .orElseThrow(() -> new RelayException(RelayException.Reason.BAD_FRAME,
                            "Unknown mailbox item kind."));
            byte[] body = r.var32(1, MAX_BODY, "body");
            if (blob.length != bucketFor(r.position())) {
                // One item has one encoding: a larger bucket than needed would also let a sender mark its items.
                throw new RelayException(RelayException.Reason.BAD_FRAME,
                        "A mailbox item is padded beyond its bucket.");
            }
            byte pad = 0;
            for (int i = r.position(); i < blob.length; i++) {
                pad |= blob[i];
            }
            if (pad != 0) {
                throw new RelayException(RelayException.Reason.BAD_FRAME, "A mailbox item's padding is not zero.");
            }
            return new MailboxItem(kind, body);
        } catch (CryptoException e) {
            throw new RelayException(RelayException.Reason.BAD_FRAME, "A mailbox item does not parse.");
        }
    }
}
