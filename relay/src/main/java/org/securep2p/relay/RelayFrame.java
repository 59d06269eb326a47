package org.securep2p.relay;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

/**
 * One WebSocket binary message between a relay client and the relay (PROTOCOL.md §22.3):
 * {@code u8 version || u8 type || u32 request_id || body}. {@link #decode} is strict: an unknown version is
 * {@link RelayException.Reason#UNKNOWN_VERSION}, anything else that does not parse exactly (unknown type, a length
 * out of range, trailing bytes) is {@link RelayException.Reason#BAD_FRAME}, and a message over {@link #MAX_FRAME}
 * is {@link RelayException.Reason#TOO_LARGE}, refused before it is read. Values are immutable (byte arrays are
 * copied in and out). Frames 5–7 and 21–25 are an organisation relay's directory and chat requests (§23.3–23.4).
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
    /** Largest prekey bundle a member publishes (§23.3). */
    int MAX_BUNDLE = 64 * 1024;
    /** Largest member certificate in an ENTRY or INCOMING (§21.2 check 1). */
    int MAX_CERTIFICATE = 256 * 1024;
    /** Most listings in one MEMBER_LIST (§23.3). */
    int MAX_MEMBERS = 8192;
    /** Longest member name in a listing, in UTF-8 bytes (§21.1: 64 characters of a one-byte set). */
    int MAX_NAME = 64;
    /** Length of an identity fingerprint (SHA-256). */
    int FINGERPRINT_LENGTH = 32;
    /** Longest chat request payload (§23.4: the app's header and a 4096-byte code). */
    int MAX_PAYLOAD = 4200;
    /** Prefix of every signed request's input (§22.3). */
    byte[] SIGNATURE_LABEL = "securep2p/v1/relay/request\0".getBytes(StandardCharsets.US_ASCII);

    /** The request this frame is or answers (0 for CHALLENGE). */
    int requestId();

    byte[] encode();

    /** Frame types and their wire codes. */
    enum Type {
        CHALLENGE(1), OK(2), ERROR(3), DELIVER(4), MEMBER_LIST(5), ENTRY(6), INCOMING(7), CREATE(16), POST(17),
        SUBSCRIBE(18), DELETE(19), PING(20), PUBLISH(21), UNPUBLISH(22), MEMBERS(23), LOOKUP(24), REQUEST(25);

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

    /**
     * A client request to an organisation relay's directory (§23.3–23.4). Not signed: the relay authorises it by
     * the member the connection authenticated as in TLS (§23.1); its request id still increases strictly.
     */
    sealed interface MemberRequest extends RelayFrame permits Publish, Unpublish, Members, Lookup, Request {
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

    /** The connection's member's entry in the directory, with its prekey bundle (§23.3); answered OK(0). */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; frames are compared by encode()
    record Publish(int requestId, byte[] bundle) implements MemberRequest {
        public Publish {
            checkRequestId(requestId);
            bundle = sized(bundle, 1, MAX_BUNDLE, "a prekey bundle");
        }

        @Override
        public byte[] bundle() {
            return bundle.clone();
        }

        @Override
        public byte[] encode() {
            return head(Type.PUBLISH, requestId).var32(bundle).toByteArray();
        }

        @Override
        public String toString() {
            return "Publish[" + requestId + ", " + bundle.length + " bytes]";
        }
    }

    /** Removes the connection's member's entry (§23.3); answered OK(0), also when there is none. */
    record Unpublish(int requestId) implements MemberRequest {
        public Unpublish {
            checkRequestId(requestId);
        }

        @Override
        public byte[] encode() {
            return head(Type.UNPUBLISH, requestId).toByteArray();
        }
    }

    /** Asks for the member list (§23.3); answered MEMBER_LIST. */
    record Members(int requestId) implements MemberRequest {
        public Members {
            checkRequestId(requestId);
        }

        @Override
        public byte[] encode() {
            return head(Type.MEMBERS, requestId).toByteArray();
        }
    }

    /** Asks for the entry of {@code fingerprint} (§23.3); answered ENTRY or ERROR UNKNOWN_MEMBER. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; frames are compared by encode()
    record Lookup(int requestId, byte[] fingerprint) implements MemberRequest {
        public Lookup {
            checkRequestId(requestId);
            fingerprint = fixed(fingerprint, FINGERPRINT_LENGTH, "fingerprint");
        }

        @Override
        public byte[] fingerprint() {
            return fingerprint.clone();
        }

        @Override
        public byte[] encode() {
            return head(Type.LOOKUP, requestId).bytes(fingerprint).toByteArray();
        }
    }

    /** A chat request for every connection of the member {@code to} (§23.4); OK(0) or ERROR NOT_ONLINE. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; frames are compared by encode()
    record Request(int requestId, byte[] to, byte[] payload) implements MemberRequest {
        public Request {
            checkRequestId(requestId);
            to = fixed(to, FINGERPRINT_LENGTH, "fingerprint");
            payload = sized(payload, 1, MAX_PAYLOAD, "a request payload");
        }

        @Override
        public byte[] to() {
            return to.clone();
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        @Override
        public byte[] encode() {
            return head(Type.REQUEST, requestId).bytes(to).var16(payload).toByteArray();
        }

        @Override
        public String toString() {
            return "Request[" + requestId + ", " + payload.length + " bytes]";
        }
    }

    /** The answer to MEMBERS: at most {@link #MAX_MEMBERS} listings, as the relay claims them (§23.3). */
    record MemberList(int requestId, List<MemberDirectory.Listing> members) implements RelayFrame {
        public MemberList {
            answerId(requestId);
            if (members.size() > MAX_MEMBERS) {
                throw new IllegalArgumentException("a member list holds at most " + MAX_MEMBERS + " members");
            }
            for (MemberDirectory.Listing m : members) {
                checkName(m.name());
                fixed(m.fingerprint(), FINGERPRINT_LENGTH, "fingerprint");
            }
            members = List.copyOf(members);
        }

        @Override
        public byte[] encode() {
            StrictWriter w = head(Type.MEMBER_LIST, requestId).u32(members.size());
            for (MemberDirectory.Listing m : members) {
                w.var16(m.name().getBytes(StandardCharsets.UTF_8)).bytes(m.fingerprint()).u8(m.online() ? 1 : 0);
            }
            return w.toByteArray();
        }

        @Override
        public String toString() {
            return "MemberList[" + requestId + ", " + members.size() + " members]";
        }
    }

    /** The answer to LOOKUP: a member's certificate (DER) and bundle, and when it published (§23.3). */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; frames are compared by encode()
    record Entry(int requestId, byte[] certificate, byte[] bundle, long publishedMillis) implements RelayFrame {
        public Entry {
            answerId(requestId);
            certificate = sized(certificate, 1, MAX_CERTIFICATE, "a certificate");
            bundle = sized(bundle, 1, MAX_BUNDLE, "a prekey bundle");
            if (publishedMillis < 0) {
                throw new IllegalArgumentException("a publication time is not negative");
            }
        }

        @Override
        public byte[] certificate() {
            return certificate.clone();
        }

        @Override
        public byte[] bundle() {
            return bundle.clone();
        }

        @Override
        public byte[] encode() {
            return head(Type.ENTRY, requestId).var32(certificate).var32(bundle).u64(publishedMillis).toByteArray();
        }

        @Override
        public String toString() {
            return "Entry[" + requestId + ", " + certificate.length + "-byte certificate, " + bundle.length
                    + "-byte bundle]";
        }
    }

    /** A chat request pushed to a member (request id 0), stamped with its sender's certificate (§23.4). */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; frames are compared by encode()
    record Incoming(byte[] fromCertificate, byte[] payload) implements RelayFrame {
        public Incoming {
            fromCertificate = sized(fromCertificate, 1, MAX_CERTIFICATE, "a certificate");
            payload = sized(payload, 1, MAX_PAYLOAD, "a request payload");
        }

        @Override
        public int requestId() {
            return 0;
        }

        @Override
        public byte[] fromCertificate() {
            return fromCertificate.clone();
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        @Override
        public byte[] encode() {
            return head(Type.INCOMING, 0).var32(fromCertificate).var16(payload).toByteArray();
        }

        @Override
        public String toString() {
            return "Incoming[" + payload.length + " bytes]";
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
                case 5 -> memberList(id, r);
                case 6 -> new Entry(id, r.var32(1, MAX_CERTIFICATE, "certificate"), r.var32(1, MAX_BUNDLE, "bundle"),
                        nonNegative(r.u64("published")));
                case 7 -> {
                    requireId(id, 0);
                    yield new Incoming(r.var32(1, MAX_CERTIFICATE, "certificate"), r.var16(1, MAX_PAYLOAD,
                            "payload"));
                }
                case 21 -> {
                    requireRequest(id);
                    yield new Publish(id, r.var32(1, MAX_BUNDLE, "bundle"));
                }
                case 22 -> {
                    requireRequest(id);
                    yield new Unpublish(id);
                }
                case 23 -> {
                    requireRequest(id);
                    yield new Members(id);
                }
                case 24 -> {
                    requireRequest(id);
                    yield new Lookup(id, r.fixed(FINGERPRINT_LENGTH, "fingerprint"));
                }
                case 25 -> {
                    requireRequest(id);
                    yield new Request(id, r.fixed(FINGERPRINT_LENGTH, "fingerprint"), r.var16(1, MAX_PAYLOAD,
                            "payload"));
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

    private static MemberList memberList(int id, StrictReader r) throws CryptoException {
        int count = r.u32("count");
        if (count > MAX_MEMBERS) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "too many members");
        }
        // Each listing is at least 36 bytes: a count the frame cannot hold fails before anything is allocated.
        if (count > r.remaining() / 36) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "member list shorter than its count");
        }
        List<MemberDirectory.Listing> members = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String name = utf8(r.var16(1, MAX_NAME, "name"));
            byte[] fingerprint = r.fixed(FINGERPRINT_LENGTH, "fingerprint");
            int online = r.u8("online");
            if (online > 1) {
                throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "online is 0 or 1");
            }
            members.add(new MemberDirectory.Listing(name, fingerprint, online == 1));
        }
        return new MemberList(id, members);
    }

    /** A listing's name: 1 to {@link #MAX_NAME} bytes of UTF-8. */
    private static void checkName(String name) {
        int n = name.getBytes(StandardCharsets.UTF_8).length;
        if (n < 1 || n > MAX_NAME || !StandardCharsets.UTF_8.newEncoder().canEncode(name)) {
            throw new IllegalArgumentException("a member name is 1.." + MAX_NAME + " bytes of UTF-8");
        }
    }

    private static byte[] sized(byte[] b, int min, int max, String what) {
        if (b == null || b.length < min || b.length > max) {
            throw new IllegalArgumentException(what + " is " + min + ".." + max + " bytes");
        }
        return b.clone();
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
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "text is not UTF-8");
        }
    }
}
