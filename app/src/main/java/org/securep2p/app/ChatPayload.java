package org.securep2p.app;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

/**
 * What travels inside the ratchet ({@code docs/PROTOCOL.md} §20.4): a confirmation of the connection's
 * binding, a text message, or a cumulative acknowledgement. Strictly parsed like {@link ChatFrame}.
 */
final class ChatPayload {

    static final int BINDING_LENGTH = 32;
    static final int ID_LENGTH = 16;
    /** UTF-8 bytes of one message; the TUI and the JSON mode refuse longer texts before encrypting. */
    static final int MAX_TEXT_BYTES = 64 * 1024;

    enum Kind {
        CONFIRM(1), TEXT(2), ACK(3);

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

    private ChatPayload(Kind kind, byte[] binding, long sequence, byte[] id, long timeMillis, String text) {
        this.kind = kind;
        this.binding = binding;
        this.sequence = sequence;
        this.id = id;
        this.timeMillis = timeMillis;
        this.text = text;
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
            default -> throw new AssertionError(kind);
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
            try {
                String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
                p = new ChatPayload(Kind.TEXT, null, seq, id, time, text);
            } catch (CharacterCodingException e) {
                throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat payload: text is not UTF-8");
            }
        } else if (k == Kind.ACK.code) {
            long seq = r.u64("sequence");
            if (seq < 1) {
                throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat payload: ack of 0");
            }
            p = new ChatPayload(Kind.ACK, null, seq, null, 0, null);
        } else {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat payload: unknown kind " + k);
        }
        r.expectEnd();
        return p;
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

    @Override
    public String toString() {
        // Never the text: payloads are plaintext.
        return "ChatPayload[" + kind + ", seq " + sequence + "]";
    }
}
