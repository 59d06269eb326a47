package org.securep2p.keymanager;

import java.util.Arrays;
import java.util.Objects;

import org.securep2p.crypto.HandshakeTranscript;

/**
 * One parsed request of the key-manager IPC: an op, its request id and the op's typed fields. Built only by
 * the factories below (the client) or by {@link IpcCodec#decodeRequest} (the server), so a request that
 * exists has the shape its op demands. Byte fields are copied in and out.
 *
 * <p>The HELLO token is a secret: {@link #wipe()} zeroes it, and {@code toString()} never shows any field.
 */
final class IpcRequest {

    private final IpcOp op;
    private final int id;
    private final int keyId;
    private final byte[] data;
    private final HandshakeTranscript transcript;

    private IpcRequest(IpcOp op, int id, int keyId, byte[] data, HandshakeTranscript transcript) {
        this.op = Objects.requireNonNull(op, "op");
        if (id < 0) {
            throw new IllegalArgumentException("request id must be a u32 below 2^31");
        }
        this.id = id;
        this.keyId = keyId;
        this.data = data;
        this.transcript = transcript;
    }

    static IpcRequest hello(int id, byte[] token) {
        return new IpcRequest(IpcOp.HELLO, id, 0, token.clone(), null);
    }

    /** IDENTITY or PREKEY_BUNDLE, which carry no body. */
    static IpcRequest empty(IpcOp op, int id) {
        if (op != IpcOp.IDENTITY && op != IpcOp.PREKEY_BUNDLE) {
            throw new IllegalArgumentException(op + " has a body");
        }
        return new IpcRequest(op, id, 0, null, null);
    }

    /** AGREE_IDENTITY, SIGN_TLS_CERTIFICATE_VERIFY, SIGN_TRANSPORT_CERTIFICATE, DERIVE_STORAGE_KEY: one byte string. */
    static IpcRequest bytes(IpcOp op, int id, byte[] data) {
        if (op != IpcOp.AGREE_IDENTITY && op != IpcOp.SIGN_TLS_CERTIFICATE_VERIFY
                && op != IpcOp.SIGN_TRANSPORT_CERTIFICATE && op != IpcOp.DERIVE_STORAGE_KEY) {
            throw new IllegalArgumentException(op + " does not carry a single byte string");
        }
        return new IpcRequest(op, id, 0, data.clone(), null);
    }

    /** AGREE_SIGNED_PREKEY, CONSUME_ONE_TIME_PREKEY, DECAPSULATE: a prekey id and a byte string. */
    static IpcRequest withKeyId(IpcOp op, int id, int keyId, byte[] data) {
        if (op != IpcOp.AGREE_SIGNED_PREKEY && op != IpcOp.CONSUME_ONE_TIME_PREKEY && op != IpcOp.DECAPSULATE) {
            throw new IllegalArgumentException(op + " does not carry a prekey id");
        }
        if (keyId < 0) {
            throw new IllegalArgumentException("prekey id must be a u32 below 2^31");
        }
        return new IpcRequest(op, id, keyId, data.clone(), null);
    }

    static IpcRequest sign(int id, HandshakeTranscript transcript) {
        return new IpcRequest(IpcOp.SIGN_HANDSHAKE_TRANSCRIPT, id, 0, null,
                Objects.requireNonNull(transcript, "transcript"));
    }

    IpcOp op() {
        return op;
    }

    int id() {
        return id;
    }

    int keyId() {
        return keyId;
    }

    /** A copy of the op's byte string (token, public key, ciphertext or signing input). */
    byte[] data() {
        return data.clone();
    }

    /** The backing array, for the codec and the token comparison, which must not make extra copies. */
    byte[] dataUnsafe() {
        return data;
    }

    HandshakeTranscript transcript() {
        return transcript;
    }

    /** Zeroes the byte string (used for the HELLO token once compared or sent). */
    void wipe() {
        if (data != null) {
            Arrays.fill(data, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return "IpcRequest[" + op + " #" + id + "]";
    }
}
