package org.securep2p.relay;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

/**
 * One WebSocket binary message between a relay client and the relay (PROTOCOL.md §22.3):
 * {@code u8 version || u8 type || u32 request_id || body}. {@link #decode} is strict: an unknown version is
 * {@link RelayException.Reason#UNKNOWN_VERSION}, anything else that does not parse exactly (unknown type, a length
 * out of range, trailing bytes) is {@link RelayException.Reason#BAD_FRAME}, and a message over {@link #MAX_FRAME}
 * is {@link RelayException.Reason#TOO_LARGE}, refused before it is read. Values are immutable (byte arrays are
 * copied in and out).
 */
public sealed interface RelayFrame {

    int VERSION = 1;
    /** Largest item a relay stores (the top padding bucket, §22.4). */
    int MAX_BLOB = 1 << 20;
    /** Largest frame: a DELIVER of the largest item plus its header. */
    int MAX_FRAME = MAX_BLOB + 1024;
    int NONCE_LENGTH = 32;
    int MAX_PASSWORD = 256;
    int MAX_DETAIL = 256;
    /** Prefix of every signed request's input (§22.3). */
    byte[] SIGNATURE_LABEL = "securep2p/v1/relay/request\0".getBytes(StandardCharsets.US_ASCII);

    /** The request this frame is or answers (0 for CHALLENGE). */
    int requestId();

    byte[] encode();

    /** Frame types and their wire codes. */
    enum Type {
        CHALLENGE(1), OK(2), ERROR(3), DELIVER(4), CREATE(16), POST(17), SUBSCRIBE(18), DELETE(19), PING(20);

        final int code;

        Type(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    /** A client request whose last 64 bytes are an Ed25519 signature by a mailbox key. */
    sealed interface Signed extends RelayFrame permits Create, Post, Subscribe, Delete {
        MailboxId mailbox();

        byte[] signature();

        /** Whether {@code publicKey} signed this request on the connection whose challenge was {@code nonce}. */
        default boolean verify(byte[] publicKey, byte[] nonce) {
            byte[] all = encode();
            byte[] unsigned = Arrays.copyOf(all, all.length - SigningKey.SIGNATURE_LENGTH);
            return SigningKey.verify(publicKey, signatureInput(nonce, unsigned), signature());
        }
    }

    /** First frame from the relay: the connection's nonce and its limits. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; frames are compared by encode()
    record Challenge(byte[] nonce, int maxBlob, int maxTtlSeconds) implements RelayFrame {
        public Challenge {
            nonce = fixed(nonce, NONCE_LENGTH, "nonce");
            if (maxBlob < 1 || maxTtlSeconds < 1) {
                throw new IllegalArgumentException("a challenge's limits are positive");
            }
        }

        @Override
        public byte[] nonce() {
            return nonce.clone();
        }

        @Override
        public int requestId() {
            return 0;
        }

        @Override
        public byte[] encode() {
            return head(Type.CHALLENGE, 0).bytes(nonce).u32(maxBlob).u32(maxTtlSeconds).toByteArray();
        }
    }

    /** Success; {@code value} is the stored item's sequence for POST, 0 otherwise. */
    record Ok(int requestId, long value) implements RelayFrame {
        public Ok {
            answerId(requestId);
            if (value < 0) {
                throw new IllegalArgumentException("an OK value is not negative");
            }
        }

        @Override
        public byte[] encode() {
            return head(Type.OK, requestId).u64(value).toByteArray();
        }
    }

    /** Failure of request {@code requestId}; {@code detail} is a short sentence (no ids, no keys). */
    @SuppressWarnings("JavaLangClash") // §22.3's name; always written RelayFrame.Error
    record Error(int requestId, RelayException.Reason reason, String detail) implements RelayFrame {
        public Error {
            answerId(requestId);
            if (reason.code() == 0) {
                throw new IllegalArgumentException(reason + " never travels");
            }
            detail = fitDetail(detail);
        }

        @Override
        public byte[] encode() {
            return head(Type.ERROR, requestId).u16(reason.code()).var16(detail.getBytes(StandardCharsets.UTF_8))
                    .toByteArray();
        }

        /**
         * The longest prefix of {@code detail} whose UTF-8 fits {@link #MAX_DETAIL}, cut between characters: cutting
         * the bytes could split a character, and the replacement character made of the split one would be longer
         * than the cut, leaving a detail that does not fit or does not decode.
         */
        private static String fitDetail(String detail) {
            // Every character is at least one byte: start from at most MAX_DETAIL of them, then drop from the end.
            String d = detail.substring(0, detail.offsetByCodePoints(0,
                    Math.min(MAX_DETAIL, detail.codePointCount(0, detail.length()))));
            while (d.getBytes(StandardCharsets.UTF_8).length > MAX_DETAIL) {
                int end = d.offsetByCodePoints(d.length(), -1);
                d = d.substring(0, end);
            }
            return d;
        }
    }

    /** An item pushed to a subscriber, in sequence order per mailbox; {@code requestId} is the SUBSCRIBE's. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; frames are compared by encode()
    record Deliver(int requestId, MailboxId mailbox, long sequence, long postedMillis, byte[] blob)
            implements RelayFrame {
        public Deliver {
            answerId(requestId);
            if (sequence < 1 || postedMillis < 0) {
                throw new IllegalArgumentException("a delivered item's sequence is positive, its time not negative");
            }
            blob = checkedBlob(blob);
        }

        @Override
        public byte[] blob() {
            return blob.clone();
        }

        @Override
        public byte[] encode() {
            return head(Type.DELIVER, requestId).bytes(mailbox.bytes()).u64(sequence).u64(postedMillis).var32(blob)
                    .toByteArray();
        }
    }

    /** Creates {@code mailbox}, signed by its receive key; idempotent for the same keys. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; frames are compared by encode()
    record Create(int requestId, MailboxId mailbox, byte[] receiveKey, byte[] sendKey, byte[] password,
            byte[] signature) implements Signed {
        public Create {
            checkRequestId(requestId);
            receiveKey = fixed(receiveKey, SigningKey.PUBLIC_LENGTH, "receive key");
            sendKey = fixed(sendKey, SigningKey.PUBLIC_LENGTH, "send key");
            if (password.length > MAX_PASSWORD) {
                throw new IllegalArgumentException("password over " + MAX_PASSWORD + " bytes");
            }
            password = password.clone();
            signature = fixed(signature, SigningKey.SIGNATURE_LENGTH, "signature");
        }

        public static Create sign(int requestId, MailboxId mailbox, SigningKey receive, byte[] sendKey,
                byte[] password, byte[] nonce) {
            byte[] unsigned = head(Type.CREATE, requestId).bytes(mailbox.bytes()).bytes(receive.publicKey())
                    .bytes(sendKey).var16(password).toByteArray();
            return new Create(requestId, mailbox, receive.publicKey(), sendKey, password,
                    receive.sign(signatureInput(nonce, unsigned)));
        }

        @Override
        public byte[] receiveKey() {
            return receiveKey.clone();
        }

        @Override
        public byte[] sendKey() {
            return sendKey.clone();
        }

        @Override
        public byte[] password() {
            return password.clone();
        }

        @Override
        public byte[] signature() {
            return signature.clone();
        }

        @Override
        public byte[] encode() {
            return head(Type.CREATE, requestId).bytes(mailbox.bytes()).bytes(receiveKey).bytes(sendKey)
                    .var16(password).bytes(signature).toByteArray();
        }

        @Override
        public String toString() {
            return "Create[" + requestId + ", " + mailbox + "]";
        }
    }

    /** Appends {@code blob} to {@code mailbox}, signed by its send key; kept {@code ttlSeconds} at most. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; frames are compared by encode()
    record Post(int requestId, MailboxId mailbox, int ttlSeconds, byte[] blob, byte[] signature) implements Signed {
        public Post {
            checkRequestId(requestId);
            if (ttlSeconds < 1) {
                throw new IllegalArgumentException("ttl must be positive");
            }
            blob = checkedBlob(blob);
            signature = fixed(signature, SigningKey.SIGNATURE_LENGTH, "signature");
        }

        public static Post sign(int requestId, MailboxId mailbox, int ttlSeconds, byte[] blob, SigningKey send,
                byte[] nonce) {
            byte[] unsigned = head(Type.POST, requestId).bytes(mailbox.bytes()).u32(ttlSeconds).var32(blob)
                    .toByteArray();
            return new Post(requestId, mailbox, ttlSeconds, blob, send.sign(signatureInput(nonce, unsigned)));
        }

        @Override
        public byte[] blob() {
            return blob.clone();
        }

        @Override
        public byte[] signature() {
            return signature.clone();
        }

        @Override
        public byte[] encode() {
            return head(Type.POST, requestId).bytes(mailbox.bytes()).u32(ttlSeconds).var32(blob).bytes(signature)
                    .toByteArray();
        }

        @Override
        public String toString() {
            return "Post[" + requestId + ", " + mailbox + ", " + blob.length + " bytes]";
        }
    }

    /** Asks for every stored item of {@code mailbox} with a sequence above {@code after}, then each new one. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; frames are compared by encode()
    record Subscribe(int requestId, MailboxId mailbox, long after, byte[] signature) implements Signed {
        public Subscribe {
            checkRequestId(requestId);
            if (after < 0) {
                throw new IllegalArgumentException("after must not be negative");
            }
            signature = fixed(signature, SigningKey.SIGNATURE_LENGTH, "signature");
        }

        public static Subscribe sign(int requestId, MailboxId mailbox, long after, SigningKey receive, byte[] nonce) {
            byte[] unsigned = head(Type.SUBSCRIBE, requestId).bytes(mailbox.bytes()).u64(after).toByteArray();
            return new Subscribe(requestId, mailbox, after, receive.sign(signatureInput(nonce, unsigned)));
        }

        @Override
        public byte[] signature() {
            return signature.clone();
        }

        @Override
        public byte[] encode() {
            return head(Type.SUBSCRIBE, requestId).bytes(mailbox.bytes()).u64(after).bytes(signature).toByteArray();
        }
    }

    /** Deletes every item of {@code mailbox} up to and including {@code upTo}. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; frames are compared by encode()
    record Delete(int requestId, MailboxId mailbox, long upTo, byte[] signature) implements Signed {
        public Delete {
            checkRequestId(requestId);
            if (upTo < 1) {
                throw new IllegalArgumentException("upTo must be positive");
            }
            signature = fixed(signature, SigningKey.SIGNATURE_LENGTH, "signature");
        }

        public static Delete sign(int requestId, MailboxId mailbox, long upTo, SigningKey receive, byte[] nonce) {
            byte[] unsigned = head(Type.DELETE, requestId).bytes(mailbox.bytes()).u64(upTo).toByteArray();
            return new Delete(requestId, mailbox, upTo, receive.sign(signatureInput(nonce, unsigned)));
        }

        @Override
        public byte[] signature() {
            return signature.clone();
        }

        @Override
        public byte[] encode() {
            return head(Type.DELETE, requestId).bytes(mailbox.bytes()).u64(upTo).bytes(signature).toByteArray();
        }
    }

    /** Keeps the connection alive (answered by OK(0)); not signed, names no mailbox. */
    record Ping(int requestId) implements RelayFrame {
        public Ping {
            checkRequestId(requestId);
        }

        @Override
        public byte[] encode() {
            return head(Type.PING, requestId).toByteArray();
        }
    }

    /** {@code SIGNATURE_LABEL || nonce || unsigned}: what a mailbox key signs. */
    static byte[] signatureInput(byte[] nonce, byte[] unsigned) {
        if (nonce == null || nonce.length != NONCE_LENGTH) {
            throw new IllegalArgumentException("a challenge nonce is 32 bytes");
        }
        byte[] in = new byte[SIGNATURE_LABEL.length + NONCE_LENGTH + unsigned.length];
        System.arraycopy(SIGNATURE_LABEL, 0, in, 0, SIGNATURE_LABEL.length);
        System.arraycopy(nonce, 0, in, SIGNATURE_LABEL.length, NONCE_LENGTH);
        System.arraycopy(unsigned, 0, in, SIGNATURE_LABEL.length + NONCE_LENGTH, unsigned.length);
        return in;
    }

    /** Reads one frame; see the class comment for the errors. */
    static RelayFrame decode(byte[] data) throws RelayException {
        if (data == null || data.length < 6) {
            throw new RelayException(RelayException.Reason.BAD_FRAME, "The frame is too short.");
        }
        if (data.length > MAX_FRAME) {
            throw new RelayException(RelayException.Reason.TOO_LARGE, "The frame is over the relay's limit.");
        }
        int version = data[0] & 0xFF;
        if (version != VERSION) {
            throw new RelayException(RelayException.Reason.UNKNOWN_VERSION,
                    "Relay frame version " + version + " is not spoken here.");
        }
        StrictReader r = new StrictReader(data, "relay frame");
        try {
            r.u8("version");
            int type = r.u8("type");
            int id = r.u32("request id");
            RelayFrame f = switch (type) {
                case 1 -> {
                    requireId(id, 0);
                    yield new Challenge(r.fixed(NONCE_LENGTH, "nonce"), positive(r.u32("max blob")),
                            positive(r.u32("max ttl")));
                }
                case 2 -> new Ok(id, nonNegative(r.u64("value")));
                case 3 -> {
                    int code = r.u16("code");
                    RelayException.Reason reason = RelayException.Reason.ofCode(code);
                    if (reason.code() != code) {
                        throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "unknown error code");
                    }
                    yield new Error(id, reason, utf8(r.var16(0, MAX_DETAIL, "detail")));
                }
                case 4 -> new Deliver(id, MailboxId.of(r.fixed(MailboxId.LENGTH, "mailbox")),
                        positiveLong(r.u64("sequence")), nonNegative(r.u64("posted")), r.var32(1, MAX_BLOB, "blob"));
                case 16 -> {
                    requireRequest(id);
                    yield new Create(id, MailboxId.of(r.fixed(MailboxId.LENGTH, "mailbox")),
                            r.fixed(SigningKey.PUBLIC_LENGTH, "receive key"), r.fixed(SigningKey.PUBLIC_LENGTH,
                                    "send key"), r.var16(0, MAX_PASSWORD, "password"),
                            r.fixed(SigningKey.SIGNATURE_LENGTH, "signature"));
                }
                case 17 -> {
                    requireRequest(id);
                    yield new Post(id, MailboxId.of(r.fixed(MailboxId.LENGTH, "mailbox")), positive(r.u32("ttl")),
                            r.var32(1, MAX_BLOB, "blob"), r.fixed(SigningKey.SIGNATURE_LENGTH, "signature"));
                }
                case 18 -> {
                    requireRequest(id);
                    yield new Subscribe(id, MailboxId.of(r.fixed(MailboxId.LENGTH, "mailbox")),
                            nonNegative(r.u64("after")), r.fixed(SigningKey.SIGNATURE_LENGTH, "signature"));
                }
                case 19 -> {
                    requireRequest(id);
                    yield new Delete(id, MailboxId.of(r.fixed(MailboxId.LENGTH, "mailbox")),
                            positiveLong(r.u64("up to")), r.fixed(SigningKey.SIGNATURE_LENGTH, "signature"));
                }
                case 20 -> {
                    requireRequest(id);
                    yield new Ping(id);
                }
                default -> throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "unknown frame type");
            };
            r.expectEnd();
            return f;
        } catch (CryptoException e) {
            throw new RelayException(RelayException.Reason.BAD_FRAME, "The frame does not parse: " + e.getMessage()
                    + ".");
        }
    }

    private static StrictWriter head(Type type, int requestId) {
        return new StrictWriter().u8(VERSION).u8(type.code).u32(requestId);
    }

    private static byte[] fixed(byte[] b, int length, String what) {
        if (b == null || b.length != length) {
            throw new IllegalArgumentException(what + " must be " + length + " bytes");
        }
        return b.clone();
    }

    /** An answer's id: 0 (no request, e.g. BUSY before any) or a request's. */
    private static void answerId(int id) {
        if (id < 0) {
            throw new IllegalArgumentException("a request id is 0..2^31-1");
        }
    }

    /** A request's id: at least 1 (§22.3). */
    private static void checkRequestId(int id) {
        if (id < 1) {
            throw new IllegalArgumentException("a request id is at least 1");
        }
    }

    private static byte[] checkedBlob(byte[] b) {
        if (b == null || b.length < 1 || b.length > MAX_BLOB) {
            throw new IllegalArgumentException("an item is 1.." + MAX_BLOB + " bytes");
        }
        return b.clone();
    }

    private static void requireId(int id, int expected) throws CryptoException {
        if (id != expected) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "unexpected request id");
        }
    }

    private static void requireRequest(int id) throws CryptoException {
        if (id < 1) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "a request id is at least 1");
        }
    }

    private static int positive(int v) throws CryptoException {
        if (v < 1) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "value must be positive");
        }
        return v;
    }

    private static long positiveLong(long v) throws CryptoException {
        if (v < 1) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "value must be positive");
        }
        return v;
    }

    private static long nonNegative(long v) throws CryptoException {
        if (v < 0) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "value out of range");
        }
        return v;
    }

    private static String utf8(byte[] b) throws CryptoException {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "detail is not UTF-8");
        }
    }
}
