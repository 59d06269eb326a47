package org.securep2p.app;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

import org.securep2p.app.files.Chunk;
import org.securep2p.app.files.FileId;
import org.securep2p.app.files.FileOffer;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

/**
 * The chat protocol's frames, one per transport message ({@code docs/PROTOCOL.md} §20): {@code u8 version ||
 * u8 type || body}; CHUNK and CHUNK_ACK carry a file's sealed chunks and their flow control (§24.3). Built only
 * through the factories or {@link #decode}, which checks every length, rejects unknown versions and types, and
 * refuses trailing bytes, so one frame has exactly one encoding.
 *
 * <p>Not its job: confidentiality (TLS and the ratchet give it) or deciding what a frame means.
 */
final class ChatFrame {

    static final int VERSION = 1;
    static final int SESSION_ID_LENGTH = 16;
    static final int MAX_USERNAME_BYTES = PeerText.MAX_NAME_BYTES;
    static final int MAX_BLOB = 1_000_000;
    static final int MAX_CLOSE_DETAIL = 512;

    enum Type {
        HELLO(1), BUNDLE(2), INIT(3), RATCHET(4), CLOSE(5), CHUNK(6), CHUNK_ACK(7);

        final int code;

        Type(int code) {
            this.code = code;
        }

        static Type of(int code) throws CryptoException {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat frame: unknown type " + code);
        }
    }

    /** Why a side closes; sent so the other side can say it in words. */
    enum CloseReason {
        DOWNGRADE(1), IDENTITY_REFUSED(2), PROTOCOL(3), BINDING_MISMATCH(4), BYE(5), HANDSHAKE_FAILED(6),
        PEER_CHANGED_PENDING(7);

        final int code;

        CloseReason(int code) {
            this.code = code;
        }

        static CloseReason of(int code) throws CryptoException {
            for (CloseReason r : values()) {
                if (r.code == code) {
                    return r;
                }
            }
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat frame: unknown close reason " + code);
        }
    }

    private final Type type;
    private final byte[] encoded;
    // HELLO
    private final SecurityLevel floor;
    private final String username;
    private final byte[] sessionId;
    // BUNDLE, INIT, RATCHET
    private final byte[] blob;
    // CLOSE
    private final CloseReason closeReason;
    private final String closeDetail;
    // CHUNK
    private final Chunk chunk;
    // CHUNK_ACK
    private final FileId fileId;
    private final int chunkIndex;

    private ChatFrame(Type type, byte[] encoded, SecurityLevel floor, String username, byte[] sessionId, byte[] blob,
            CloseReason closeReason, String closeDetail) {
        this(type, encoded, floor, username, sessionId, blob, closeReason, closeDetail, null, null, -1);
    }

    private ChatFrame(Type type, byte[] encoded, SecurityLevel floor, String username, byte[] sessionId, byte[] blob,
            CloseReason closeReason, String closeDetail, Chunk chunk, FileId fileId, int chunkIndex) {
        this.type = type;
        this.encoded = encoded;
        this.floor = floor;
        this.username = username;
        this.sessionId = sessionId;
        this.blob = blob;
        this.closeReason = closeReason;
        this.closeDetail = closeDetail;
        this.chunk = chunk;
        this.fileId = fileId;
        this.chunkIndex = chunkIndex;
    }

    /** This side's floor, name, and the session it holds for the peer (empty when none). */
    static ChatFrame hello(SecurityLevel floor, String username, Optional<byte[]> sessionId) {
        Optional<String> problem = PeerText.nameProblem(username);
        if (problem.isPresent()) {
            throw new IllegalArgumentException("username: " + problem.get());
        }
        byte[] name = username.getBytes(StandardCharsets.UTF_8);
        StrictWriter w = header(Type.HELLO).u8(floor.code()).var16(name);
        if (sessionId.isPresent()) {
            if (sessionId.get().length != SESSION_ID_LENGTH) {
                throw new IllegalArgumentException("session id must be " + SESSION_ID_LENGTH + " bytes");
            }
            w.u8(1).bytes(sessionId.get());
        } else {
            w.u8(0);
        }
        return decodeUnchecked(w.toByteArray());
    }

    static ChatFrame bundle(byte[] preKeyBundle) {
        return blobFrame(Type.BUNDLE, preKeyBundle);
    }

    static ChatFrame init(byte[] initialMessage) {
        return blobFrame(Type.INIT, initialMessage);
    }

    static ChatFrame ratchet(byte[] wireMessage) {
        return blobFrame(Type.RATCHET, wireMessage);
    }

    static ChatFrame close(CloseReason reason, String detail) {
        byte[] d = detail.getBytes(StandardCharsets.UTF_8);
        if (d.length > MAX_CLOSE_DETAIL) {
            d = Arrays.copyOf(d, MAX_CLOSE_DETAIL);
            // A cut can split a character; decoding is strict, so cut back to a whole one.
            while (!isValidUtf8(d)) {
                d = Arrays.copyOf(d, d.length - 1);
            }
        }
        return decodeUnchecked(header(Type.CLOSE).u8(reason.code).var16(d).toByteArray());
    }

    /**
     * A sealed chunk of a file, sent directly (§24.3). Not parsed back as the other frames are (the chunk's own
     * constructor checked its parts), and built with one copy of the sealed bytes: a transfer moves each of its
     * bytes through here, and every quarter-megabyte copy shows in its profile.
     */
    static ChatFrame chunk(Chunk c) {
        return new ChatFrame(Type.CHUNK, chunkEncoding(c), null, null, null, null, null, null, c, c.id(), c.index());
    }

    /** {@code version || CHUNK || var32 chunk}. */
    private static byte[] chunkEncoding(Chunk c) {
        int body = c.encodedLength();
        if (body > MAX_BLOB) {
            throw new IllegalArgumentException("CHUNK body must be 1.." + MAX_BLOB + " bytes");
        }
        ByteBuffer out = ByteBuffer.allocate(2 + 4 + body).put((byte) VERSION).put((byte) Type.CHUNK.code)
                .putInt(body);
        c.encodeInto(out);
        return out.array();
    }

    /** The receiver's "chunk {@code index} of {@code id} stored, send more" (§24.3). */
    static ChatFrame chunkAck(FileId id, int index) {
        if (index < 0 || index >= FileOffer.MAX_CHUNK_COUNT) {
            throw new IllegalArgumentException("chunk index out of range");
        }
        return decodeUnchecked(header(Type.CHUNK_ACK).bytes(id.bytes()).u32(index).toByteArray());
    }

    private static ChatFrame blobFrame(Type type, byte[] blob) {
        if (blob.length < 1 || blob.length > MAX_BLOB) {
            throw new IllegalArgumentException(type + " body must be 1.." + MAX_BLOB + " bytes");
        }
        return decodeUnchecked(header(type).var32(blob).toByteArray());
    }

    private static StrictWriter header(Type type) {
        return new StrictWriter().u8(VERSION).u8(type.code);
    }

    private static ChatFrame decodeUnchecked(byte[] encoded) {
        try {
            return decode(encoded);
        } catch (CryptoException e) {
            throw new IllegalStateException("own frame does not parse", e);
        }
    }

    /** Parses a frame; any deviation from the layout is a {@link CryptoException}. */
    static ChatFrame decode(byte[] encoded) throws CryptoException {
        Objects.requireNonNull(encoded, "encoded");
        StrictReader r = new StrictReader(encoded, "chat frame");
        int version = r.u8("version");
        if (version != VERSION) {
            throw new CryptoException(CryptoException.Reason.UNKNOWN_VERSION, "chat frame version " + version);
        }
        Type type = Type.of(r.u8("type"));
        // A received chunk is only read, never sent on: its frame's bytes are not kept (encode() builds them).
        byte[] copy = type == Type.CHUNK ? null : encoded.clone();
        switch (type) {
            case HELLO -> {
                SecurityLevel floor = SecurityLevel.fromCode(r.u8("floor"));
                String name = utf8(r.var16(1, MAX_USERNAME_BYTES, "username"), "username");
                // A name is shown beside trust decisions and stored in the trust store: one that could look
                // like another (bidi overrides, invisible characters) or break a line is refused here, typed.
                if (PeerText.nameProblem(name).isPresent()) {
                    throw new CryptoException(CryptoException.Reason.BAD_ENCODING,
                            "chat frame: " + PeerText.nameProblem(name).get());
                }
                int has = r.u8("has session");
                byte[] sid = null;
                if (has == 1) {
                    sid = r.fixed(SESSION_ID_LENGTH, "session id");
                } else if (has != 0) {
                    throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat frame: bad session flag");
                }
                r.expectEnd();
                return new ChatFrame(type, copy, floor, name, sid, null, null, null);
            }
            case BUNDLE, INIT, RATCHET -> {
                byte[] blob = r.var32(1, MAX_BLOB, "body");
                r.expectEnd();
                return new ChatFrame(type, copy, null, null, null, blob, null, null);
            }
            case CLOSE -> {
                CloseReason reason = CloseReason.of(r.u8("reason"));
                String detail = utf8(r.var16(0, MAX_CLOSE_DETAIL, "detail"), "detail");
                r.expectEnd();
                return new ChatFrame(type, copy, null, null, null, null, reason, detail);
            }
            case CHUNK -> {
                // var32 chunk, read in place: the chunk fills the rest of the frame exactly.
                int length = r.u32("chunk length");
                if (length < 1 || length > MAX_BLOB || length != r.remaining()) {
                    throw new CryptoException(CryptoException.Reason.BAD_ENCODING,
                            "chat frame: the chunk's length is not the rest of the frame");
                }
                Chunk c = Chunk.read(r);
                r.expectEnd();
                return new ChatFrame(type, copy, null, null, null, null, null, null, c, c.id(), c.index());
            }
            case CHUNK_ACK -> {
                FileId id = FileId.of(r.fixed(FileId.LENGTH, "file id"));
                int index = r.u32("chunk index");
                if (index >= FileOffer.MAX_CHUNK_COUNT) {
                    throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat frame: bad chunk index");
                }
                r.expectEnd();
                return new ChatFrame(type, copy, null, null, null, null, null, null, null, id, index);
            }
            default -> throw new AssertionError(type);
        }
    }

    private static String utf8(byte[] bytes, String field) throws CryptoException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "chat frame: " + field + " is not UTF-8");
        }
    }

    private static boolean isValidUtf8(byte[] bytes) {
        try {
            utf8(bytes, "text");
            return true;
        } catch (CryptoException e) {
            return false;
        }
    }

    Type type() {
        return type;
    }

    byte[] encode() {
        return encoded != null ? encoded.clone() : chunkEncoding(chunk);
    }

    /**
     * The encoding itself, not a copy, for the send path, which only reads it (and must not change it): a chunk
     * frame is a quarter megabyte.
     */
    byte[] wireBytes() {
        return encoded != null ? encoded : chunkEncoding(chunk);
    }

    SecurityLevel floor() {
        return require(Type.HELLO, floor);
    }

    String username() {
        return require(Type.HELLO, username);
    }

    Optional<byte[]> sessionId() {
        require(Type.HELLO, "");
        return Optional.ofNullable(sessionId).map(byte[]::clone);
    }

    byte[] blob() {
        if (blob == null) {
            throw new IllegalStateException(type + " has no body");
        }
        return blob.clone();
    }

    CloseReason closeReason() {
        return require(Type.CLOSE, closeReason);
    }

    String closeDetail() {
        return require(Type.CLOSE, closeDetail);
    }

    /** CHUNK: the sealed chunk. */
    Chunk chunk() {
        return require(Type.CHUNK, chunk);
    }

    /** CHUNK_ACK (and CHUNK): the transfer it is about. */
    FileId fileId() {
        if (fileId == null) {
            throw new IllegalStateException(type + " names no file");
        }
        return fileId;
    }

    /** CHUNK_ACK (and CHUNK): the chunk's index. */
    int chunkIndex() {
        if (fileId == null) {
            throw new IllegalStateException(type + " names no chunk");
        }
        return chunkIndex;
    }

    private <T> T require(Type expected, T value) {
        if (type != expected) {
            throw new IllegalStateException("not a " + expected + " frame but " + type);
        }
        return value;
    }

    @Override
    public String toString() {
        return "ChatFrame[" + type + ", " + (encoded != null ? encoded.length : 6 + chunk.encodedLength())
                + " bytes]";
    }
}
