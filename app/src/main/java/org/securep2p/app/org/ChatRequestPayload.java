package org.securep2p.app.org;

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
 * The payload of a chat request between members (PROTOCOL.md §23.4), opaque to the relay:
 * {@code u8 version (=1) || u8 kind || request_id u8[16] || u64 time (Unix ms) || var16 code (0..4096)}. A REQUEST
 * carries the requester's offer code (1..4096 bytes), an ACCEPT the answer code or nothing, a DECLINE and a
 * TERMINATE nothing. Only {@link #decode} reads one, and it refuses anything else exactly: an unknown version is
 * {@code UNKNOWN_VERSION}, every other fault {@code BAD_ENCODING}.
 *
 * <p>Not its job: whether the sender may ask (the certificate and block list), or whether the time is fresh.
 */
@SuppressWarnings("ArrayRecordComponent") // copied in and out; compared only in constant time by the caller
public record ChatRequestPayload(Kind kind, byte[] requestId, Instant time, String code) {

    static final int VERSION = 1;
    /** A request id is 16 random bytes: never guessed, so a stray answer matches no open request. */
    public static final int REQUEST_ID_LENGTH = 16;
    /** A connection code's text is at most this long (§11); the relay's payload limit (4200) holds it. */
    public static final int MAX_CODE_BYTES = 4096;
    /** The relay's limit on a REQUEST frame's payload (§23.4). */
    public static final int MAX_PAYLOAD = 4200;

    /** What the payload says; the code is the wire's. */
    public enum Kind {
        REQUEST(1), ACCEPT(2), DECLINE(3), TERMINATE(4);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind of(int code) throws CryptoException {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat request: unknown kind " + code);
        }
    }

    public ChatRequestPayload {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(code, "code");
        if (requestId.length != REQUEST_ID_LENGTH) {
            throw new IllegalArgumentException("a request id is " + REQUEST_ID_LENGTH + " bytes");
        }
        requestId = requestId.clone();
        int length = code.getBytes(StandardCharsets.UTF_8).length;
        boolean fits = switch (kind) {
            case REQUEST -> length >= 1 && length <= MAX_CODE_BYTES;
            case ACCEPT -> length <= MAX_CODE_BYTES;
            case DECLINE, TERMINATE -> length == 0;
        };
        if (!fits) {
            throw new IllegalArgumentException("a " + kind + " carries " + (kind == Kind.REQUEST ? "a code of 1 to "
                    + MAX_CODE_BYTES + " bytes" : kind == Kind.ACCEPT ? "at most " + MAX_CODE_BYTES + " bytes"
                    : "no code"));
        }
        if (time.toEpochMilli() < 0) {
            throw new IllegalArgumentException("a request's time is after 1970");
        }
    }

    @Override
    public byte[] requestId() {
        return requestId.clone();
    }

    /** The request id in hex: how the front ends name an incoming request ({@code accept_request {id}}). */
    public String idHex() {
        return HexFormat.of().formatHex(requestId);
    }

    public byte[] encode() {
        return new StrictWriter().u8(VERSION).u8(kind.code).bytes(requestId).u64(time.toEpochMilli())
                .var16(code.getBytes(StandardCharsets.UTF_8)).toByteArray();
    }

    /** Parses exactly one payload; anything else fails (never a partial value). */
    public static ChatRequestPayload decode(byte[] payload) throws CryptoException {
        StrictReader r = new StrictReader(Objects.requireNonNull(payload, "payload"), "chat request");
        int version = r.u8("version");
        if (version != VERSION) {
            throw new CryptoException(CryptoException.Reason.UNKNOWN_VERSION, "chat request version " + version);
        }
        Kind kind = Kind.of(r.u8("kind"));
        byte[] id = r.fixed(REQUEST_ID_LENGTH, "request id");
        long millis = r.u64("time");
        if (millis < 0) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat request: time out of range");
        }
        int min = kind == Kind.REQUEST ? 1 : 0;
        int max = kind == Kind.REQUEST || kind == Kind.ACCEPT ? MAX_CODE_BYTES : 0;
        byte[] code = r.var16(min, max, "code");
        r.expectEnd();
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(code)).toString();
        } catch (CharacterCodingException e) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat request: the code is not UTF-8");
        }
        return new ChatRequestPayload(kind, id, Instant.ofEpochMilli(millis), text);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChatRequestPayload p && kind == p.kind
                && java.security.MessageDigest.isEqual(requestId, p.requestId)
                && time.equals(p.time) && code.equals(p.code);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(requestId);
    }

    /** Without the code: it carries ICE credentials. */
    @Override
    public String toString() {
        return "ChatRequestPayload[" + kind + ", " + HexFormat.of().formatHex(requestId, 0, 4) + "…]";
    }
}
