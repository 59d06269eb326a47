package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeTranscript;
import org.securep2p.crypto.HybridSignature;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

import static org.securep2p.keymanager.IpcException.Reason.FRAME_TOO_LARGE;
import static org.securep2p.keymanager.IpcException.Reason.MALFORMED_FRAME;
import static org.securep2p.keymanager.IpcException.Reason.REJECTED;
import static org.securep2p.keymanager.IpcException.Reason.TRUNCATED;
import static org.securep2p.keymanager.IpcException.Reason.UNKNOWN_OP;
import static org.securep2p.keymanager.IpcException.Reason.UNKNOWN_VERSION;

/**
 * The key-manager wire format (docs/PROTOCOL.md section 16). A frame is {@code u32 length || version u8 ||
 * op u8 || request id u32 || body}; a response frame adds {@code status u8} before its body. Every length is
 * checked, bodies must be consumed exactly, and every failure is an {@link IpcException} (or, for a key
 * holder's refusal carried back in a response, the {@link CryptoException} it was).
 *
 * <p>Not its job: authentication or deciding what to do with a bad frame; the server and client do that.
 */
final class IpcCodec {

    static final int VERSION = 1;
    /** version u8 || op u8 || request id u32. */
    static final int HEADER_LENGTH = 6;
    /**
     * The largest request is SIGN_TRANSPORT_CERTIFICATE: header 6 + u16 + a TBSCertificate of at most
     * {@link #MAX_TBS_CERTIFICATE_LENGTH} = 16,392 bytes. The largest response is a prekey bundle, about 4.9 KB
     * (identity 1,861 + signed prekey with Falcon signature ≤ 1,441 + KEM prekey 1,582 + one-time prekey 37).
     * 32 KiB leaves headroom for both and bounds what one connection can make the other side allocate.
     */
    static final int MAX_FRAME_LENGTH = 32 * 1024;
    /** 256-bit launch token: unguessable, and as long as a key so it is compared like one. */
    static final int TOKEN_LENGTH = 32;
    /** Both an X25519 output and an ML-KEM-1024 shared secret are 32 bytes. */
    static final int SECRET_LENGTH = 32;
    static final int X25519_KEY_LENGTH = 32;
    static final int ML_KEM_1024_CIPHERTEXT_LENGTH = 1568;
    /** 64 spaces, a 33-byte context string, a zero byte and a SHA-384 hash (RFC 8446 section 4.4.3). */
    static final int MAX_CERTIFICATE_VERIFY_LENGTH = 64 + 33 + 1 + 48;
    /** core-crypto's own limit on a TBSCertificate it will sign. */
    static final int MAX_TBS_CERTIFICATE_LENGTH = 16 * 1024;
    static final int ED25519_SIGNATURE_LENGTH = 64;
    /** See {@link #MAX_FRAME_LENGTH}: a bundle is about 4.9 KB; 8 KiB bounds it with room for growth. */
    static final int MAX_BUNDLE_LENGTH = 8 * 1024;
    /** Error texts are short diagnostics (core-crypto messages name fields and sizes), never payloads. */
    static final int MAX_ERROR_TEXT_LENGTH = 200;

    /** The first byte of a response body. Codes are wire values: never renumber. */
    enum Status {
        OK(0),
        /** The key holder refused with a {@link CryptoException}; the body carries its reason code. */
        CRYPTO_ERROR(1),
        MALFORMED_REQUEST(2),
        UNKNOWN_OP(3),
        UNKNOWN_VERSION(4),
        FRAME_TOO_LARGE(5),
        /** The backend failed unexpectedly; the text is generic so no internal detail leaks. */
        INTERNAL_ERROR(6);

        final int code;

        Status(int code) {
            this.code = code;
        }

        static Optional<Status> fromCode(int code) {
            for (Status s : values()) {
                if (s.code == code) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * Wire codes of {@link CryptoException.Reason}: code = index + 1. Listed by hand, not by ordinal, so
     * reordering the enum cannot change the wire; a reason missing here is a test failure, not a silent 0.
     */
    private static final CryptoException.Reason[] CRYPTO_REASONS = {
        CryptoException.Reason.BAD_ENCODING,
        CryptoException.Reason.UNKNOWN_VERSION,
        CryptoException.Reason.WRONG_KEY_TYPE,
        CryptoException.Reason.BAD_SIGNATURE,
        CryptoException.Reason.DOWNGRADE,
        CryptoException.Reason.LOW_ORDER_POINT,
        CryptoException.Reason.DECRYPT_FAILED,
        CryptoException.Reason.IDENTITY_MISMATCH,
        CryptoException.Reason.MISSING_PREKEY,
        CryptoException.Reason.UNKNOWN_PREKEY,
        CryptoException.Reason.PREKEY_ALREADY_USED,
        CryptoException.Reason.STALE_PREKEY,
        CryptoException.Reason.UNSUPPORTED_PARAMETER,
        CryptoException.Reason.KEY_REUSE,
        CryptoException.Reason.STATE_NOT_PERSISTED,
    };

    private IpcCodec() {
    }

    static int cryptoReasonCode(CryptoException.Reason reason) {
        for (int i = 0; i < CRYPTO_REASONS.length; i++) {
            if (CRYPTO_REASONS[i] == reason) {
                return i + 1;
            }
        }
        return 0;
    }

    static Optional<CryptoException.Reason> cryptoReason(int code) {
        return code >= 1 && code <= CRYPTO_REASONS.length ? Optional.of(CRYPTO_REASONS[code - 1]) : Optional.empty();
    }

    // ---- frames ---------------------------------------------------------------------------------------------

    /**
     * Reads one frame and returns what follows its length prefix, or empty at a clean end of stream (between
     * frames). A stream ending inside a frame is {@code TRUNCATED}; a length below the header or above
     * {@link #MAX_FRAME_LENGTH} is refused before anything is allocated.
     */
    static Optional<byte[]> readFrame(ReadableByteChannel in) throws IOException {
        ByteBuffer prefix = ByteBuffer.allocate(4);
        if (!readFully(in, prefix, true)) {
            return Optional.empty();
        }
        long length = prefix.flip().getInt() & 0xFFFF_FFFFL;
        if (length > MAX_FRAME_LENGTH) {
            throw new IpcException(FRAME_TOO_LARGE, "frame of " + length + " bytes, limit " + MAX_FRAME_LENGTH);
        }
        if (length < HEADER_LENGTH) {
            throw new IpcException(MALFORMED_FRAME, "frame of " + length + " bytes is shorter than its header");
        }
        ByteBuffer payload = ByteBuffer.allocate((int) length);
        readFully(in, payload, false);
        return Optional.of(payload.array());
    }

    /** Writes {@code frame} (already length-prefixed) completely. */
    static void writeFrame(WritableByteChannel out, byte[] frame) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(frame);
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    private static boolean readFully(ReadableByteChannel in, ByteBuffer b, boolean endAllowed) throws IOException {
        while (b.hasRemaining()) {
            if (in.read(b) < 0) {
                if (endAllowed && b.position() == 0) {
                    return false;
                }
                throw new IpcException(TRUNCATED, "stream ended inside a frame");
            }
        }
        return true;
    }

    /** {@code u32 length || payload}. */
    private static byte[] frame(byte[] payload) {
        if (payload.length > MAX_FRAME_LENGTH) {
            throw new IllegalArgumentException("frame exceeds " + MAX_FRAME_LENGTH + " bytes");
        }
        // The payload may hold the launch token or a shared secret: neither it nor the writer's buffer outlives this.
        byte[] out = new StrictWriter().u32(payload.length).bytes(payload).toByteArrayThenWipe();
        Arrays.fill(payload, (byte) 0);
        return out;
    }

    /** The request id of a payload that passed {@link #readFrame}, for error replies; 0 if out of range. */
    static int requestId(byte[] payload) {
        int id = ((payload[2] & 0xFF) << 24) | ((payload[3] & 0xFF) << 16) | ((payload[4] & 0xFF) << 8)
                | (payload[5] & 0xFF);
        return Math.max(id, 0);
    }

    /** The raw op byte of a payload that passed {@link #readFrame}, echoed in error replies. */
    static int opCode(byte[] payload) {
        return payload[1] & 0xFF;
    }

    // ---- requests -------------------------------------------------------------------------------------------

    /** The complete, length-prefixed frame for {@code request}. */
    static byte[] encodeRequest(IpcRequest request) {
        StrictWriter w = new StrictWriter().u8(VERSION).u8(request.op().code).u32(request.id());
        switch (request.op()) {
            case HELLO -> w.bytes(request.dataUnsafe());
            case IDENTITY, PREKEY_BUNDLE -> {
                // No body.
            }
            case AGREE_IDENTITY, SIGN_TLS_CERTIFICATE_VERIFY, SIGN_TRANSPORT_CERTIFICATE, DERIVE_STORAGE_KEY ->
                    w.var16(request.dataUnsafe());
            case AGREE_SIGNED_PREKEY, CONSUME_ONE_TIME_PREKEY, DECAPSULATE ->
                    w.u32(request.keyId()).var16(request.dataUnsafe());
            case SIGN_HANDSHAKE_TRANSCRIPT ->
                    w.u8(request.transcript().level().code()).bytes(request.transcript().hash());
            default -> throw new IllegalStateException("unhandled op " + request.op());
        }
        return frame(w.toByteArrayThenWipe());
    }

    /**
     * Parses a payload from {@link #readFrame}. Unknown version and unknown op are told apart from a malformed
     * body, so the server can answer each with its own status.
     */
    static IpcRequest decodeRequest(byte[] payload) throws IpcException {
        StrictReader r = new StrictReader(payload, "key-manager request");
        try {
            int version = r.u8("version");
            if (version != VERSION) {
                throw new IpcException(UNKNOWN_VERSION, "request version " + version);
            }
            int opCode = r.u8("op");
            IpcOp op = IpcOp.fromCode(opCode)
                    .orElseThrow(() -> new IpcException(UNKNOWN_OP, "op 0x" + Integer.toHexString(opCode)));
            int id = r.u32("request id");
            IpcRequest request = switch (op) {
                case HELLO -> {
                    byte[] token = r.fixed(TOKEN_LENGTH, "token");
                    IpcRequest hello = IpcRequest.hello(id, token);
                    Arrays.fill(token, (byte) 0);
                    yield hello;
                }
                case IDENTITY, PREKEY_BUNDLE -> IpcRequest.empty(op, id);
                case AGREE_IDENTITY -> IpcRequest.bytes(op, id, r.var16(0, X25519_KEY_LENGTH, "peer public key"));
                case SIGN_TLS_CERTIFICATE_VERIFY -> IpcRequest.bytes(op, id,
                        r.var16(0, MAX_CERTIFICATE_VERIFY_LENGTH, "CertificateVerify input"));
                case SIGN_TRANSPORT_CERTIFICATE ->
                        IpcRequest.bytes(op, id, r.var16(0, MAX_TBS_CERTIFICATE_LENGTH, "TBSCertificate"));
                case DERIVE_STORAGE_KEY ->
                        IpcRequest.bytes(op, id, r.var16(1, AppStorageKeys.MAX_PURPOSE_LENGTH, "purpose"));
                case AGREE_SIGNED_PREKEY, CONSUME_ONE_TIME_PREKEY -> {
                    int prekey = r.u32("prekey id");
                    yield IpcRequest.withKeyId(op, id, prekey, r.var16(0, X25519_KEY_LENGTH, "peer public key"));
                }
                case DECAPSULATE -> {
                    int kemId = r.u32("KEM prekey id");
                    yield IpcRequest.withKeyId(op, id, kemId,
                            r.var16(0, ML_KEM_1024_CIPHERTEXT_LENGTH, "ML-KEM ciphertext"));
                }
                case SIGN_HANDSHAKE_TRANSCRIPT -> {
                    SecurityLevel level = SecurityLevel.fromCode(r.u8("security level"));
                    byte[] hash = r.fixed(level.kdfHash().outputLength(), "transcript hash");
                    yield IpcRequest.sign(id, HandshakeTranscript.of(level, hash));
                }
                default -> throw new IllegalStateException("unhandled op " + op);
            };
            r.expectEnd();
            return request;
        } catch (CryptoException e) {
            throw new IpcException(MALFORMED_FRAME, e.getMessage(), e);
        }
    }

    // ---- responses ------------------------------------------------------------------------------------------

    /** An OK response frame; {@code body} is consumed (zeroed), since it may hold a shared secret. */
    static byte[] okResponse(IpcOp op, int id, byte[] body) {
        byte[] payload = new StrictWriter().u8(VERSION).u8(op.code).u32(id).u8(Status.OK.code).bytes(body)
                .toByteArrayThenWipe();
        Arrays.fill(body, (byte) 0);
        return frame(payload);
    }

    /**
     * An error response frame. {@code text} is reduced to printable ASCII and {@link #MAX_ERROR_TEXT_LENGTH}
     * characters; callers pass only messages that carry no secret (core-crypto's contract for its messages).
     */
    static byte[] errorResponse(int opCode, int id, Status status, int cryptoReason, String text) {
        if (status == Status.OK) {
            throw new IllegalArgumentException("an error response needs an error status");
        }
        StringBuilder clean = new StringBuilder();
        for (int i = 0; i < text.length() && clean.length() < MAX_ERROR_TEXT_LENGTH; i++) {
            char c = text.charAt(i);
            clean.append(c >= 0x20 && c < 0x7F ? c : '?');
        }
        return frame(new StrictWriter().u8(VERSION).u8(opCode & 0xFF).u32(Math.max(id, 0)).u8(status.code)
                .u8(cryptoReason).var16(clean.toString().getBytes(StandardCharsets.US_ASCII)).toByteArray());
    }

    static byte[] identityBody(IdentityPublicKeys identity) {
        return identity.encoded();
    }

    static byte[] bundleBody(PreKeyBundle bundle) {
        return new StrictWriter().var16(bundle.encode()).toByteArray();
    }

    /** The secret's bytes; the caller zeroes the array once it is framed. */
    static byte[] secretBody(SecretBytes secret) {
        if (secret.length() != SECRET_LENGTH) {
            throw new IllegalStateException("shared secret of " + secret.length() + " bytes");
        }
        return secret.copyBytes();
    }

    static byte[] signatureBody(HybridSignature signature) {
        StrictWriter w = new StrictWriter();
        signature.write(w);
        return w.toByteArray();
    }

    static byte[] ed25519SignatureBody(byte[] signature) {
        if (signature.length != ED25519_SIGNATURE_LENGTH) {
            throw new IllegalStateException("Ed25519 signature of " + signature.length + " bytes");
        }
        return signature.clone();
    }

    /**
     * The body of an OK response to request {@code id} with {@code op}. An error response becomes the
     * {@link CryptoException} the key holder threw, or an {@link IpcException} ({@code REJECTED}) for any other
     * status; a response for another op or id, or of another version, is {@code MALFORMED_FRAME}.
     */
    static StrictReader responseBody(byte[] payload, IpcOp op, int id) throws IpcException, CryptoException {
        StrictReader r = new StrictReader(payload, "key-manager response");
        Status status;
        int reasonCode;
        String text;
        try {
            int version = r.u8("version");
            if (version != VERSION) {
                throw new IpcException(UNKNOWN_VERSION, "response version " + version);
            }
            int opCode = r.u8("op");
            int responseId = r.u32("request id");
            if (opCode != op.code || responseId != id) {
                throw new IpcException(MALFORMED_FRAME, "response to op " + opCode + " #" + responseId
                        + " while waiting for " + op + " #" + id);
            }
            int statusCode = r.u8("status");
            status = Status.fromCode(statusCode)
                    .orElseThrow(() -> new IpcException(MALFORMED_FRAME, "unknown status " + statusCode));
            if (status == Status.OK) {
                return r;
            }
            reasonCode = r.u8("error reason");
            text = new String(r.var16(0, MAX_ERROR_TEXT_LENGTH, "error text"), StandardCharsets.US_ASCII);
            r.expectEnd();
        } catch (CryptoException e) {
            throw new IpcException(MALFORMED_FRAME, e.getMessage(), e);
        }
        if (status == Status.CRYPTO_ERROR) {
            CryptoException.Reason reason = cryptoReason(reasonCode).orElseThrow(
                    () -> new IpcException(MALFORMED_FRAME, "unknown crypto reason code " + reasonCode));
            throw new CryptoException(reason, "key manager: " + stripReasonPrefix(text, reason));
        }
        throw new IpcException(REJECTED, "key manager answered " + status + ": " + text);
    }

    /** CryptoException messages start with their reason; the client adds it again, so drop the copy. */
    private static String stripReasonPrefix(String text, CryptoException.Reason reason) {
        String prefix = reason + ": ";
        return text.startsWith(prefix) ? text.substring(prefix.length()) : text;
    }

    static IdentityPublicKeys readIdentity(StrictReader r) throws IpcException {
        try {
            IdentityPublicKeys identity = IdentityPublicKeys.decode(
                    r.fixed(IdentityPublicKeys.ENCODED_LENGTH, "identity"));
            r.expectEnd();
            return identity;
        } catch (CryptoException e) {
            throw new IpcException(MALFORMED_FRAME, e.getMessage(), e);
        }
    }

    static PreKeyBundle readBundle(StrictReader r) throws IpcException {
        try {
            PreKeyBundle bundle = PreKeyBundle.decode(r.var16(1, MAX_BUNDLE_LENGTH, "prekey bundle"));
            r.expectEnd();
            return bundle;
        } catch (CryptoException e) {
            throw new IpcException(MALFORMED_FRAME, e.getMessage(), e);
        }
    }

    /** The shared secret; the payload array it came from is the caller's to zero. */
    static SecretBytes readSecret(StrictReader r) throws IpcException {
        try {
            byte[] secret = r.fixed(SECRET_LENGTH, "shared secret");
            try {
                r.expectEnd();
                return SecretBytes.copyOf(secret);
            } finally {
                Arrays.fill(secret, (byte) 0);
            }
        } catch (CryptoException e) {
            throw new IpcException(MALFORMED_FRAME, e.getMessage(), e);
        }
    }

    static HybridSignature readSignature(StrictReader r) throws IpcException {
        try {
            HybridSignature signature = HybridSignature.read(r, "transcript signature");
            r.expectEnd();
            return signature;
        } catch (CryptoException e) {
            throw new IpcException(MALFORMED_FRAME, e.getMessage(), e);
        }
    }

    static byte[] readEd25519Signature(StrictReader r) throws IpcException {
        try {
            byte[] signature = r.fixed(ED25519_SIGNATURE_LENGTH, "Ed25519 signature");
            r.expectEnd();
            return signature;
        } catch (CryptoException e) {
            throw new IpcException(MALFORMED_FRAME, e.getMessage(), e);
        }
    }
}
