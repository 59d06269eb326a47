package org.securep2p.app.files;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

/**
 * What a FILE payload carries inside the ratchet (PROTOCOL.md §24.2): {@code u8 type || body}, one of OFFER, HAVE,
 * DONE, CANCEL. {@link #decode} is strict (unknown type or reason, bad lengths, trailing bytes: BAD_ENCODING), so
 * one message has one encoding. An {@link Offer} holds the file key: its encoding holds it too.
 */
public sealed interface FileMessage {

    /** The FILE payload's bound on an encoded message (a HAVE of the largest bitmap fits). */
    int MAX_ENCODED = 70_000;

    /** The transfer this message is about. */
    FileId id();

    /**
     * The wire bytes. For an {@link Offer} they hold the file key: the caller wipes them once sent or sealed.
     */
    byte[] encode();

    /** OFFER: what the file is and its key. Equality compares the encodings in constant time. */
    record Offer(FileOffer offer) implements FileMessage {
        static final int TYPE = 1;

        public Offer {
            Objects.requireNonNull(offer);
        }

        @Override
        public FileId id() {
            return offer.id();
        }

        @Override
        public byte[] encode() {
            StrictWriter w = new StrictWriter().u8(TYPE);
            offer.write(w);
            return w.toByteArrayThenWipe();
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Offer other)) {
                return false;
            }
            byte[] a = encode();
            byte[] b = other.encode();
            try {
                return MessageDigest.isEqual(a, b);
            } finally {
                Arrays.fill(a, (byte) 0);
                Arrays.fill(b, (byte) 0);
            }
        }

        @Override
        public int hashCode() {
            return offer.id().hashCode();
        }

        @Override
        public String toString() {
            return "Offer[" + offer + "]";
        }
    }

    /** HAVE: the receiver's whole state of a transfer; an empty set accepts the offer. */
    record Have(FileId id, ChunkBitmap chunks) implements FileMessage {
        static final int TYPE = 2;

        public Have {
            Objects.requireNonNull(id);
            Objects.requireNonNull(chunks);
        }

        @Override
        public byte[] encode() {
            return new StrictWriter().u8(TYPE).bytes(id.bytes()).u32(chunks.count()).var32(chunks.toBitmap())
                    .toByteArray();
        }
    }

    /** DONE: the receiver verified and kept the whole file, whose SHA-256 this is. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; equals and hashCode below compare the contents
    record Done(FileId id, byte[] sha256) implements FileMessage {
        static final int TYPE = 3;

        public Done {
            Objects.requireNonNull(id);
            if (Objects.requireNonNull(sha256).length != FileOffer.HASH_LENGTH) {
                throw new IllegalArgumentException("a SHA-256 is 32 bytes");
            }
            sha256 = sha256.clone();
        }

        @Override
        public byte[] sha256() {
            return sha256.clone();
        }

        @Override
        public byte[] encode() {
            return new StrictWriter().u8(TYPE).bytes(id.bytes()).bytes(sha256).toByteArray();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Done other && id.equals(other.id) && MessageDigest.isEqual(sha256, other.sha256);
        }

        @Override
        public int hashCode() {
            return 31 * id.hashCode() + Arrays.hashCode(sha256);
        }

        @Override
        public String toString() {
            return "Done[" + id + "]";
        }
    }

    /** CANCEL: either side ends the transfer, for {@code reason}. */
    record Cancel(FileId id, CancelReason reason) implements FileMessage {
        static final int TYPE = 4;

        public Cancel {
            Objects.requireNonNull(id);
            Objects.requireNonNull(reason);
        }

        @Override
        public byte[] encode() {
            return new StrictWriter().u8(TYPE).bytes(id.bytes()).u8(reason.code()).toByteArray();
        }
    }

    /**
     * Parses a file message. Anything off the layout of §24.2 is BAD_ENCODING, including an offer outside the
     * limits of §24.1. The input of an OFFER holds the key: the caller wipes it.
     */
    static FileMessage decode(byte[] encoded) throws CryptoException {
        Objects.requireNonNull(encoded, "encoded");
        if (encoded.length > MAX_ENCODED) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "file message: too long");
        }
        StrictReader r = new StrictReader(encoded, "file message");
        int type = r.u8("type");
        switch (type) {
            case Offer.TYPE -> {
                FileOffer offer = FileOffer.read(r);
                if (r.remaining() != 0) {
                    offer.wipe();
                    r.expectEnd();
                }
                return new Offer(offer);
            }
            case Have.TYPE -> {
                FileId id = FileId.of(r.fixed(FileId.LENGTH, "file id"));
                int count = r.u32("chunk count");
                if (count > FileOffer.MAX_CHUNK_COUNT) {
                    throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "file message: chunk count "
                            + count + " out of range");
                }
                byte[] bitmap = r.var32(0, ChunkBitmap.bytesFor(count), "bitmap");
                r.expectEnd();
                return new Have(id, ChunkBitmap.decode(count, bitmap));
            }
            case Done.TYPE -> {
                FileId id = FileId.of(r.fixed(FileId.LENGTH, "file id"));
                byte[] sha = r.fixed(FileOffer.HASH_LENGTH, "sha256");
                r.expectEnd();
                return new Done(id, sha);
            }
            case Cancel.TYPE -> {
                FileId id = FileId.of(r.fixed(FileId.LENGTH, "file id"));
                CancelReason reason = CancelReason.of(r.u8("reason"));
                r.expectEnd();
                return new Cancel(id, reason);
            }
            default -> throw new CryptoException(CryptoException.Reason.BAD_ENCODING,
                    "file message: unknown type " + type);
        }
    }
}
