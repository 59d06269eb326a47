package org.securep2p.app;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

import org.securep2p.app.files.FileMessage;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.SendCapability;
import org.securep2p.relay.SigningKey;

/**
 * What travels inside the ratchet ({@code docs/PROTOCOL.md} §20.3, §22.5): a confirmation of the connection's
 * binding, a text message, a cumulative acknowledgement, the introduction of an inbox on a relay (MAILBOX), or a
 * rendezvous offer or answer, or a file transfer's message (FILE, §24.2). Strictly parsed like {@link ChatFrame}.
 * A MAILBOX carries a send key's seed and a FILE offer a file key: the accessors hand out copies or the holder,
 * {@link #wipe()} zeroes the payload's own, and {@code toString()} never shows either.
 */
final class ChatPayload {

    static final int BINDING_LENGTH = 32;
    static final int ID_LENGTH = 16;
    /** UTF-8 bytes of one message; the TUI and the JSON mode refuse longer texts before encrypting. */
    static final int MAX_TEXT_BYTES = 64 * 1024;
    /** An OFFER's id (random, chosen by the opener). */
    static final int OFFER_ID_LENGTH = 16;
    /** A connection code's text in an OFFER or ANSWER (§22.5): codes are far shorter, §11.5. */
    static final int MAX_CODE_BYTES = 4096;
    /** A FILE payload's file message (§24.2): a HAVE of the largest bitmap fits. */
    static final int MAX_FILE_MESSAGE = FileMessage.MAX_ENCODED;

    enum Kind {
        CONFIRM(1), TEXT(2), ACK(3), MAILBOX(4), OFFER(5), ANSWER(6), FILE(7);

        final int code;

        Kind(int code) {
            this.code = code;
        }
    }

    private final Kind kind;
    private final byte[] binding;
    private final long sequence;
    private final byte[] id;
    private final long timeMillis;
    private final String text;
    /** MAILBOX only. */
    private final RelayAddress relay;
    private final byte[] mailbox;
    private final byte[] sendSeed;
    /** FILE only. */
    private final FileMessage file;

    private ChatPayload(Kind kind, byte[] binding, long sequence, byte[] id, long timeMillis, String text) {
        this(kind, binding, sequence, id, timeMillis, text, null, null, null);
    }

    private ChatPayload(FileMessage file) {
        this.kind = Kind.FILE;
        this.binding = null;
        this.sequence = 0;
        this.id = null;
        this.timeMillis = 0;
        this.text = null;
        this.relay = null;
        this.mailbox = null;
        this.sendSeed = null;
        this.file = file;
    }

    private ChatPayload(Kind kind, byte[] binding, long sequence, byte[] id, long timeMillis, String text,
            RelayAddress relay, byte[] mailbox, byte[] sendSeed) {
        this.kind = kind;
        this.binding = binding;
        this.sequence = sequence;
        this.id = id;
        this.timeMillis = timeMillis;
        this.text = text;
        this.relay = relay;
        this.mailbox = mailbox;
        this.sendSeed = sendSeed;
        this.file = null;
    }

    /** A file transfer's message (§24.2). An OFFER's key stays with {@code m}: wiping this payload wipes it. */
    static ChatPayload file(FileMessage m) {
        return new ChatPayload(Objects.requireNonNull(m));
    }

    /** Introduces an inbox: the contact may post into {@code to} from now on (§22.5). Copies the seed. */
    static ChatPayload mailbox(SendCapability to) {
        byte[] seed = to.sendKey().seed();
        return new ChatPayload(Kind.MAILBOX, null, 0, null, 0, null, to.relay(), to.id().bytes(), seed);
    }

    /** A rendezvous offer: {@code code} is a connection code's text (§22.7). */
    static ChatPayload offer(byte[] offerId, Instant time, String code) {
        checkOffer(offerId, code);
        if (time.toEpochMilli() < 0) {
            throw new IllegalArgumentException("bad offer time");
        }
        return new ChatPayload(Kind.OFFER, null, 0, offerId.clone(), time.toEpochMilli(), code);
    }

    /** The answer code to the offer {@code offerId}. */
    static ChatPayload answer(byte[] offerId, String code) {
        checkOffer(offerId, code);
        return new ChatPayload(Kind.ANSWER, null, 0, offerId.clone(), 0, code);
    }

    private static void checkOffer(byte[] offerId, String code) {
        int n = code.getBytes(StandardCharsets.UTF_8).length;
        if (offerId.length != OFFER_ID_LENGTH || n < 1 || n > MAX_CODE_BYTES) {
            throw new IllegalArgumentException("bad offer or answer");
        }
    }

    /** The binding hash of this connection and the highest sequence this side has received from the peer. */
    static ChatPayload confirm(byte[] binding, long receivedUpTo) {
        if (binding.length != BINDING_LENGTH || receivedUpTo < 0) {
            throw new IllegalArgumentException("bad confirm");
        }
        return new ChatPayload(Kind.CONFIRM, binding.clone(), receivedUpTo, null, 0, null);
    }

    static ChatPayload text(long sequence, byte[] id, Instant time, String text) {
        if (sequence < 1 || id.length != ID_LENGTH || text.getBytes(StandardCharsets.UTF_8).length > MAX_TEXT_BYTES
                || time.toEpochMilli() < 0) {
            throw new IllegalArgumentException("bad text message");
        }
        return new ChatPayload(Kind.TEXT, null, sequence, id.clone(), time.toEpochMilli(), text);
    }

    /** Acknowledges every message up to and including {@code sequence}. */
    static ChatPayload ack(long sequence) {
        if (sequence < 1) {
            throw new IllegalArgumentException("bad ack");
        }
        return new ChatPayload(Kind.ACK, null, sequence, null, 0, null);
    }

    byte[] encode() {
        StrictWriter w = new StrictWriter().u8(kind.code);
        return switch (kind) {
            case CONFIRM -> w.bytes(binding).u64(sequence).toByteArray();
            case TEXT -> w.u64(sequence).bytes(id).u64(timeMillis).var32(text.getBytes(StandardCharsets.UTF_8))
                    .toByteArray();
            case ACK -> w.u64(sequence).toByteArray();
            // The seed passes through the writer's buffer: wiped there, the caller wipes the result.
            case MAILBOX -> w.var16(relay.toString().getBytes(StandardCharsets.UTF_8)).bytes(mailbox).bytes(sendSeed)
                    .toByteArrayThenWipe();
            case OFFER -> w.bytes(id).u64(timeMillis).var16(text.getBytes(StandardCharsets.UTF_8)).toByteArray();
            case ANSWER -> w.bytes(id).var16(text.getBytes(StandardCharsets.UTF_8)).toByteArray();
            case FILE -> {
                // An OFFER's key passes through both buffers: wiped there, the caller wipes the result.
                byte[] m = file.encode();
                try {
                    yield w.var32(m).toByteArrayThenWipe();
                } finally {
                    Arrays.fill(m, (byte) 0);
                }
            }
        };
    }

    static ChatPayload decode(byte[] plaintext) throws CryptoException {
        Objects.requireNonNull(plaintext, "plaintext");
        StrictReader r = new StrictReader(plaintext, "chat payload");
        int k = r.u8("kind");
        ChatPayload p;
        if (k == Kind.CONFIRM.code) {
            p = new ChatPayload(Kind.CONFIRM, r.fixed(BINDING_LENGTH, "binding"), r.u64("received up to"), null, 0,
                    null);
        } else if (k == Kind.TEXT.code) {
            long seq = r.u64("sequence");
            byte[] id = r.fixed(ID_LENGTH, "id");
            long time = r.u64("time");
            byte[] body = r.var32(0, MAX_TEXT_BYTES, "text");
            if (seq < 1) {
                throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat payload: sequence 0");
            }
            p = new ChatPayload(Kind.TEXT, null, seq, id, time, utf8(body, "text"));
        } else if (k == Kind.ACK.code) {
            long seq = r.u64("sequence");
            if (seq < 1) {
                throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat payload: ack of 0");
            }
            p = new ChatPayload(Kind.ACK, null, seq, null, 0, null);
        } else if (k == Kind.MAILBOX.code) {
            String address = utf8(r.var16(1, RelayAddress.MAX_TEXT, "relay address"), "relay address");
            RelayAddress relay;
            try {
                relay = RelayAddress.parse(address);
            } catch (RelayException e) {
                // Only our parser's sentence, never the peer's text.
                throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat payload: " + e.getMessage());
            }
            byte[] mailbox = r.fixed(MailboxId.LENGTH, "mailbox");
            byte[] seed = r.fixed(SigningKey.SEED_LENGTH, "send key seed");
            p = new ChatPayload(Kind.MAILBOX, null, 0, null, 0, null, relay, mailbox, seed);
            if (r.remaining() != 0) {
                p.wipe();
            }
        } else if (k == Kind.OFFER.code) {
            byte[] offerId = r.fixed(OFFER_ID_LENGTH, "offer id");
            long time = r.u64("time");
            String code = utf8(r.var16(1, MAX_CODE_BYTES, "code"), "code");
            p = new ChatPayload(Kind.OFFER, null, 0, offerId, time, code);
        } else if (k == Kind.ANSWER.code) {
            byte[] offerId = r.fixed(OFFER_ID_LENGTH, "offer id");
            String code = utf8(r.var16(1, MAX_CODE_BYTES, "code"), "answer code");
            p = new ChatPayload(Kind.ANSWER, null, 0, offerId, 0, code);
        } else if (k == Kind.FILE.code) {
            byte[] body = r.var32(1, MAX_FILE_MESSAGE, "file message");
            try {
                p = new ChatPayload(FileMessage.decode(body));
            } finally {
                Arrays.fill(body, (byte) 0);
            }
            if (r.remaining() != 0) {
                p.wipe();
            }
        } else {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat payload: unknown kind " + k);
        }
        r.expectEnd();
        return p;
    }

    private static String utf8(byte[] body, String field) throws CryptoException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat payload: " + field
                    + " is not UTF-8");
        }
    }

    Kind kind() {
        return kind;
    }

    byte[] binding() {
        return binding.clone();
    }

    /** TEXT: its sequence; ACK: acknowledged up to; CONFIRM: received up to. */
    long sequence() {
        return sequence;
    }

    String id() {
        return HexFormat.of().formatHex(id);
    }

    Instant time() {
        return Instant.ofEpochMilli(timeMillis);
    }

    String text() {
        return text;
    }

    /** OFFER, ANSWER: the offer's id. */
    byte[] offerId() {
        return id.clone();
    }

    /** OFFER, ANSWER: the connection code's text. */
    String code() {
        return text;
    }

    /** MAILBOX: what the contact introduced, as a capability to post there (its own copy of the seed). */
    SendCapability capability() {
        byte[] seed = sendSeed.clone();
        try {
            return new SendCapability(relay, MailboxId.of(mailbox), SigningKey.fromSeed(seed));
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    /** FILE: the file transfer's message (an OFFER's key is the payload's: {@link #wipe()} zeroes it). */
    FileMessage fileMessage() {
        if (file == null) {
            throw new IllegalStateException("not a FILE payload but " + kind);
        }
        return file;
    }

    /** Zeroes a MAILBOX's seed and a FILE offer's key; other kinds hold no secret. */
    void wipe() {
        if (sendSeed != null) {
            Arrays.fill(sendSeed, (byte) 0);
        }
        if (file instanceof FileMessage.Offer o) {
            o.offer().wipe();
        }
    }

    @Override
    public String toString() {
        // Never the text: payloads are plaintext.
        return "ChatPayload[" + kind + ", seq " + sequence + "]";
    }
}
